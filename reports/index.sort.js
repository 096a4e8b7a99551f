// Sort the ticket table when a column header is clicked (the page reads fine without this).
document.querySelectorAll("table.tickets th[data-sort]").forEach(function (th, column) {
  th.tabIndex = 0;
  function sort() {
    var table = th.closest("table");
    var body = table.tBodies[0];
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var numeric = th.dataset.sort === "number";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[column].dataset.value || a.cells[column].textContent.trim();
      var y = b.cells[column].dataset.value || b.cells[column].textContent.trim();
      var order = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y);
      return ascending ? order : -order;
    });
    table.querySelectorAll("th[aria-sort]").forEach(function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.forEach(function (row) { body.appendChild(row); });
  }
  th.addEventListener("click", sort);
  th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
});
