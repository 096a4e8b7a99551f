"""The compiled report templates and certutil parser tables kept in the user's cache folder: the
same output with and without them, a changed source recompiled, no cache when the folder cannot
be made or the cache is turned off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.readers.certutil import parser
from analyzer.render import html
from analyzer.resources import CACHE_VARIABLE, cache_dir
from tests.render.report_cases import make_analysis

DUMP = Path(__file__).resolve().parents[2] / "fixtures/real/certutil"


@pytest.fixture()
def fresh() -> Iterator[None]:
    """Each test builds the template environment and the parser anew, and leaves them so."""
    html.environment.cache_clear()
    parser._parser.cache_clear()
    yield
    html.environment.cache_clear()
    parser._parser.cache_clear()


def _one_dump_blocks() -> list[object]:
    dump = sorted(DUMP.glob("*.txt"))[0].read_text(encoding="utf-8", errors="replace")
    lines, _, _ = parser.classify_lines(dump)
    parser._shape.cache_clear()  # each block shape parsed again, by the parser of this test
    return parser.parse_blocks(lines)


def test_the_report_and_the_parse_are_the_same_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh: None
) -> None:
    monkeypatch.setenv(CACHE_VARIABLE, "")
    page, blocks = html.render_report(make_analysis()), _one_dump_blocks()
    html.environment.cache_clear()
    parser._parser.cache_clear()

    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path))
    assert html.render_report(make_analysis()) == page  # compiled and stored
    assert _one_dump_blocks() == blocks
    stored = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert any(name.startswith("__jinja2_") for name in stored)
    assert "certutil.lark.cache" in stored
    html.environment.cache_clear()
    parser._parser.cache_clear()
    assert html.render_report(make_analysis()) == page  # loaded from the cache
    assert _one_dump_blocks() == blocks


def test_no_cache_when_turned_off_or_the_folder_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_VARIABLE, "")
    assert cache_dir("templates") is None
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(CACHE_VARIABLE, str(blocker))
    assert cache_dir("templates") is None
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    made = cache_dir("templates")
    assert made is not None and made.is_dir() and made.is_relative_to(tmp_path / "cache")
