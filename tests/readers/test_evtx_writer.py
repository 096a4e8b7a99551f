"""The EVTX fixture writer: its files read back identically through python-evtx and `evtx`, and
a written 36870 renders field by field like the real Event Viewer export of one."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from defusedxml import ElementTree
from Evtx.Evtx import ChunkHeader, Evtx

from fixtures.writers.evtx_events import boot, http_event, iis_system_log, schannel_36870
from fixtures.writers.evtx_writer import EventSpec, build_evtx, write_evtx
from tests.conftest import shared_samples

evtx = pytest.importorskip("evtx")

NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"


def _fields(xml: str) -> dict[str, str]:
    """Every System value and EventData item of one rendered event, normalised across renderers
    (GUID case/braces, time to the microsecond, hex padding, empty optional attributes)."""
    root = ElementTree.fromstring(re.sub(r"^<\?xml[^>]*>", "", xml.strip()))
    out: dict[str, str] = {}
    for elem in root.find(f"{NS}System"):
        tag = elem.tag.removeprefix(NS)
        if elem.text and elem.text.strip():
            out[tag] = elem.text.strip()
        for attr, value in elem.attrib.items():
            if value:
                out[f"{tag}.{attr}"] = value
    items: list[tuple[str | None, str]] = []
    for data in root.iter(f"{NS}Data"):
        text = (data.text or "").strip()
        if data.get("Name") is None and text.startswith("<string>"):
            # python-evtx renders a string array (type 0x81) as escaped <string> items.
            items += [(None, s) for s in re.findall(r"<string>(.*?)</string>", text)]
        else:
            items.append((data.get("Name"), text))
    for i, (name, text) in enumerate(items):
        out[f"Data.{name or i}"] = text
    for key, value in list(out.items()):
        if re.fullmatch(r"\{?[0-9A-Fa-f-]{36}\}?", value):
            out[key] = value.strip("{}").upper()
        elif key == "TimeCreated.SystemTime":
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T")[:26])
            out[key] = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-1]  # 100 µs: renderers differ
        elif key == "Keywords":
            out[key] = f"0x{int(value, 16):016x}"
    return out


def _rust_xml(path: Path) -> list[str]:
    return [r["data"] for r in evtx.PyEvtxParser(str(path)).records()]


def _python_xml(path: Path) -> list[str]:
    """Every physical chunk (python-evtx's own iteration trusts a stale header)."""
    with Evtx(str(path)) as log:
        buf = log._buf
        chunks = [ChunkHeader(buf, at) for at in range(4096, len(buf) - 65535, 65536)]
        return [r.xml() for chunk in chunks if chunk.check_magic() for r in chunk.records()]


def _real_36870() -> dict[str, str]:
    text = (
        shared_samples("evtx") / "exports/36870_servicefabric_tsg_eventviewer_copy.txt"
    ).read_text()
    return _fields(text.split("Event Xml:", 1)[1])


def test_written_36870_renders_like_the_real_export(tmp_path: Path) -> None:
    event = schannel_36870("2022-10-16T20:27:36.2228549Z")
    path = write_evtx(tmp_path / "s.evtx", [event], computer="nt0000000", first_record_id=2213)
    expected = _real_36870()
    assert expected["EventID"] == "36870" and expected["Data.ErrorCode"] == "0x8009030d"
    assert _fields(_rust_xml(path)[0]) == expected
    assert _fields(_python_xml(path)[0]) == expected


def _mixed_events() -> list[EventSpec]:
    start = datetime(2023, 3, 1, 8, 0, tzinfo=timezone.utc)
    events = boot(start)
    for i in range(60):
        events.append(schannel_36870(start + timedelta(minutes=i), state=10001 + i % 3))
        events.append(http_event(15021, start + timedelta(minutes=i, seconds=5), "0.0.0.0:443"))
    return events


@pytest.mark.parametrize(
    "options",
    [
        {"records_per_chunk": 40},
        {"dirty": True, "records_per_chunk": 40},
        {"no_crc": True, "records_per_chunk": 40},
        {"records_per_chunk": 7},
    ],
    ids=["clean", "dirty", "no-crc", "small-chunks"],
)
def test_engines_read_the_writer_identically(tmp_path: Path, options: dict) -> None:
    events = _mixed_events()
    path = write_evtx(tmp_path / "m.evtx", events, **options)
    rust = [_fields(x) for x in _rust_xml(path)]
    python = [_fields(x) for x in _python_xml(path)]
    assert len(rust) == len(events)
    assert rust == python
    assert [r["EventRecordID"] for r in rust] == [str(i) for i in range(1, len(events) + 1)]
    assert (path.stat().st_size - 4096) % 65536 == 0 and path.stat().st_size > 4096 + 65536


def test_oddities_are_where_asked(tmp_path: Path) -> None:
    data = build_evtx(
        _mixed_events(),
        dirty=True,
        header_chunks=1,
        bad_chunk=2,
        truncate_at=200_000,
        records_per_chunk=50,
    )
    assert len(data) == 200_000
    assert int.from_bytes(data[42:44], "little") == 1  # stale chunk count
    assert int.from_bytes(data[120:124], "little") & 1  # dirty flag
    assert data[4096 + 2 * 65536 : 4096 + 2 * 65536 + 8] != b"ElfChnk\0"
    assert data[4096 + 65536 : 4096 + 65536 + 8] == b"ElfChnk\0"


def test_iis_log_has_the_requested_size_and_errors() -> None:
    data = iis_system_log(1_000_000, n_36870=3)
    assert abs(len(data) - 1_000_000) < 70_000
    assert data.count("Schannel".encode("utf-16-le")) == 3
