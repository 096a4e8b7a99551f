"""Event XML copied from an XML *view* (Event Viewer's "XML View" tab, a browser showing the
file): ``- ``/``+ `` before each element with children, trailing spaces, no declaration, one
event or several, localized values."""

from __future__ import annotations

from pathlib import Path

from analyzer.inputs.files import InputFile
from analyzer.model import Level, ReadResult
from analyzer.readers import ReadOptions, detect
from fixtures.writers.export_events import sample_events
from fixtures.writers.export_writer import to_xml_view
from tests.conftest import FIXTURES

EXPORTS = FIXTURES / "exports"


def read(path: Path) -> ReadResult:
    file = InputFile.from_path(path)
    spec = detect(file)
    assert spec is not None and spec.kind == "evtx-xml", "not taken for event XML"
    return spec.read(file, ReadOptions())


def test_event_viewer_xml_view_of_one_localized_event() -> None:
    result = read(EXPORTS / "xml_view_eventviewer_36871_zh.txt")
    (event,) = result.events
    assert (event.provider, event.event_id, event.record_id) == ("Schannel", 36871, 2214)
    assert event.data["Type"] == "客户端" and event.data["ErrorState"] == 10013
    assert result.messages == []


def test_browser_view_of_a_saved_events_file_keeps_every_event() -> None:
    result = read(EXPORTS / "xml_view_browser_events.txt")  # UTF-16, an <Events> root
    assert [e.event_id for e in result.events] == [6009, 12, 36870, 36871, 36888, 15021]
    assert result.coverage is not None and result.coverage.records == 7


def test_collapsed_elements_are_named_and_the_rest_is_read(tmp_path: Path) -> None:
    result = read(EXPORTS / "xml_view_collapsed_system.txt")
    warnings = [m.text for m in result.messages if m.level is Level.WARNING]
    assert warnings[0].startswith("copied from an XML view with 2 collapsed (+) element(s)")
    assert result.events == []  # the provider and the id were inside the collapsed <System>


def test_marks_at_column_zero_as_internet_explorer_shows_them(tmp_path: Path) -> None:
    flat = "\n".join(line.lstrip() for line in to_xml_view([sample_events()[3]]).splitlines())
    path = tmp_path / "copied.txt"
    path.write_text(flat, encoding="utf-8")
    (event,) = read(path).events
    assert event.event_id == 36870 and event.data["ErrorStatus"] == 10001
