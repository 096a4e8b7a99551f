"""Refusals are counted, not listed without end: an archive of 100,000 links or of thousands of
unknown files gives at most about a thousand messages ("and N more"), on the terminal and in
JSON."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from analyzer.cli import commands  # noqa: F401  (registers the commands)
from analyzer.cli.app import app
from fixtures.writers.hostile_archives import write

runner = CliRunner()
ABOUT_A_THOUSAND = 1100


def links_zip(count: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        for number in range(count):
            info = zipfile.ZipInfo(f"logs/link{number:06d}")
            info.create_system = 3
            info.external_attr = 0o120777 << 16
            archive.writestr(info, "/etc/passwd")
    return buf.getvalue()


def unknown_files_zip(count: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        for number in range(count):
            archive.writestr(f"junk/{number:05d}.bin", b"\x00\x01\x02 nothing we read")
    return buf.getvalue()


def analyze(archive: Path, tmp_path: Path) -> tuple[dict, str]:
    result = runner.invoke(
        app, ["analyze", str(archive), "--json", "-", "--html", str(tmp_path / "r.html")]
    )
    text = result.stdout
    document = json.loads(text[: text.index("\n}\n") + 3])
    return document, text[text.index("\n}\n") + 3 :] + (result.stderr or "")


def messages(document: dict) -> list[str]:
    return [m for entry in document["inputs"] for m in entry["messages"]]


def test_100000_links_give_about_a_thousand_messages(tmp_path: Path) -> None:
    archive = write(tmp_path / "links.zip", links_zip(100_000))
    document, _ = analyze(archive, tmp_path)
    listed = messages(document)
    assert len(listed) <= ABOUT_A_THOUSAND
    assert sum("refused: symbolic link" in m for m in listed) >= 400
    (more,) = [m for m in listed if "more messages about collecting" in m]
    assert f"and {100_000 - 500:,} more" in more
    summary = runner.invoke(
        app, ["-v", "analyze", str(archive), "--html", str(tmp_path / "r.html")]
    )
    assert summary.stdout.count("\n") <= ABOUT_A_THOUSAND
    assert f"and {100_000 - 500:,} more" in summary.stdout


def test_thousands_of_unknown_files_are_counted(tmp_path: Path) -> None:
    archive = write(tmp_path / "junk.zip", unknown_files_zip(2_000))
    document, _ = analyze(archive, tmp_path)
    assert len(document["inputs"]) <= 502
    assert len(messages(document)) <= ABOUT_A_THOUSAND
    (folded,) = [e for e in document["inputs"] if "more skipped inputs" in e["messages"][0]]
    assert folded["path"] == f"{archive}!/junk"
    assert "and 1,500 more skipped inputs" in folded["messages"][0]
    assert "1,500 × not an input certtriage reads" in folded["messages"][0]
    summary = runner.invoke(app, ["analyze", str(archive), "--html", str(tmp_path / "r.html")])
    assert summary.stdout.count("\n") <= ABOUT_A_THOUSAND
