"""The rule table in docs/analyze.md is the registry's, to the byte (`make docs` re-writes it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.rulekit import doctable
from analyzer.rulekit.registry import rule_classes

ANALYZE_MD = Path(__file__).resolve().parents[2] / "docs" / "analyze.md"


def test_docs_rule_table_is_what_the_registry_writes() -> None:
    text = ANALYZE_MD.read_text(encoding="utf-8")
    assert doctable.with_table(text) == text, "docs/analyze.md is out of date: run `make docs`"


def test_the_table_has_one_row_per_rule_with_its_metadata() -> None:
    rows = [line for line in doctable.rule_table().splitlines() if line.startswith("| `")]
    assert sorted(row.split("`")[1] for row in rows) == sorted(rule_classes())
    keyspec = next(row for row in rows if row.startswith("| `keyspec-signature`"))
    assert "| fault | 3 | elevation, pfx |" in keyspec
    assert "learn.microsoft.com" in keyspec
    expired = next(row for row in rows if row.startswith("| `certificate-expired`"))
    assert "| fault/advisory |" in expired


def test_check_mode_reports_a_stale_table_and_writing_fixes_it(tmp_path: Path) -> None:
    page = tmp_path / "analyze.md"
    page.write_text(
        f"# x\n\n{doctable.BEGIN}\n| old |\n{doctable.END}\n\nafter\n", encoding="utf-8"
    )
    assert doctable.main(["--check", str(page)]) == 1
    assert doctable.main([str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "| old |" not in text and text.endswith(f"{doctable.END}\n\nafter\n")
    assert doctable.main(["--check", str(page)]) == 0


def test_a_page_without_markers_is_refused() -> None:
    with pytest.raises(doctable.MarkersMissing):
        doctable.with_table("# no markers here\n")
