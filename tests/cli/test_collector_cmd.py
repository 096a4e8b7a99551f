"""`certtriage collector`: writes the script (file or stdout), bounds --days, says what to do."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from analyzer import __version__
from analyzer.cli.commands import app
from analyzer.collector import RUN_LINE, SCRIPT_NAME, render_script

runner = CliRunner()


def test_writes_the_script_with_the_days_asked(tmp_path: Path) -> None:
    target = tmp_path / "collect.ps1"
    result = runner.invoke(app, ["collector", "--out", str(target), "--days", "14"])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == render_script(14).encode("ascii")
    assert "[int]$Days = 14," in target.read_text(encoding="ascii")
    assert RUN_LINE in result.output and "certtriage analyze" in result.output


def test_default_name_in_the_current_folder(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["collector"]).exit_code == 0
    assert f"certtriage collector {__version__}" in (tmp_path / SCRIPT_NAME).read_text("ascii")


def test_stdout_carries_the_script_alone() -> None:
    result = runner.invoke(app, ["collector", "--out", "-"])
    assert result.exit_code == 0
    assert result.stdout_bytes == render_script().encode("ascii")


def test_days_out_of_range_and_unwritable_targets_are_usage_errors(tmp_path: Path) -> None:
    for days in ("0", "366", "x"):
        assert runner.invoke(app, ["collector", "--days", days, "--out", "-"]).exit_code == 2
    result = runner.invoke(app, ["collector", "--out", str(tmp_path / "no" / "such" / "f.ps1")])
    assert result.exit_code == 2 and "cannot write --out" in result.output
