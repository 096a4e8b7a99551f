// certtriage serve: send dropped files to the API and open their report. Messages from the
// server are shown as text, never as markup.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var zone = document.getElementById("drop-zone");
  var status = document.getElementById("status");

  function show(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  function send(files) {
    if (!files || files.length === 0) {
      show("Nothing was dropped: drop files, not a link or text.", true);
      return;
    }
    var data = new FormData();
    for (var i = 0; i < files.length; i++) {
      data.append("files", files[i], files[i].name);
    }
    ["thumbprint", "at"].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) {
        data.append(name, value);
      }
    });
    show("Analysing " + files.length + " file" + (files.length === 1 ? "" : "s") + "\u2026", false);
    fetch("api/analyze", {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        if (response.ok) {
          window.location.assign(body.report_url);
        } else {
          show(body.message || ("The server answered " + response.status + "."), true);
        }
      }, function () {
        show("The server answered " + response.status + " without a readable message.", true);
      });
    }, function () {
      show("The server could not be reached.", true);
    });
  }

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  zone.addEventListener("dragleave", function () {
    zone.classList.remove("over");
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("over");
    send(event.dataTransfer ? event.dataTransfer.files : null);
  });
})();
