"""Every command: the version flag, help text for each, an entry in the README, and the start-up
that loads only what the command that runs needs."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from analyzer import __version__

COMMANDS = ["analyze", "certutil", "collector", "events", "serve", "triage"]


def test_version_flag_prints_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "analyzer", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"certtriage {__version__}"


def test_every_command_has_help_and_is_documented_in_the_readme() -> None:
    """A new command without help text or a README entry fails here (sqlite-utils style)."""
    from pathlib import Path

    import typer

    import analyzer.cli.commands  # noqa: F401  (declares the commands)
    from analyzer.cli.app import app

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    context = group.make_context("certtriage", ["--help"], resilient_parsing=True)
    names = group.list_commands(context)
    for name in names:
        command = group.get_command(context, name)
        assert command is not None, f"{name}: declared but its module registers no such command"
        help_text = command.help or ""
        assert len(help_text.strip()) > 20, f"{name}: no help text"
        assert f"certtriage {name}" in readme, f"{name}: not in README.md"
    assert sorted(names) == COMMANDS


def test_help_lists_every_command_with_its_help() -> None:
    from analyzer.cli.commands import app

    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    listed = [line.split()[1] for line in result.output.splitlines() if line.startswith("│ ")]
    assert [name for name in listed if name in COMMANDS] == COMMANDS
    assert "Read certutil -store" in result.output
    assert "Triage a queue of tickets" in result.output


def test_a_mistyped_command_is_a_usage_error_that_suggests_the_command() -> None:
    from analyzer.cli.commands import app

    result = CliRunner().invoke(app, ["anlyze"])
    assert result.exit_code == 2
    assert "No such command 'anlyze'" in result.output
    assert "Did you mean 'analyze'?" in result.output


def _modules_loaded_by(*args: str) -> list[str]:
    """The modules a whole `certtriage ARGS` run has imported when it exits."""
    script = (
        "import json, sys\n"
        "from analyzer.cli.commands import main\n"
        f"sys.argv = ['certtriage', *{list(args)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(json.dumps(sorted(sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    return list(json.loads(run.stderr.splitlines()[-1]))


def test_version_loads_no_command_reader_or_renderer() -> None:
    loaded = _modules_loaded_by("--version")
    heavy = ("analyzer.cli.", "analyzer.readers", "analyzer.pipeline", "analyzer.model")
    assert [m for m in loaded if m.startswith(heavy) and m != "analyzer.cli.app"] == [
        "analyzer.cli.commands",
    ]
    for package in ("rich", "pydantic", "lark", "jinja2", "cryptography", "Evtx"):
        assert package not in loaded


def test_a_command_loads_its_own_module_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    loaded = _modules_loaded_by("collector", "--out", str(tmp_path / "c.ps1"))
    assert "analyzer.cli.collector_cmd" in loaded
    for other in ("analyze_cmd", "certutil_cmd", "events_cmd", "serve_cmd", "triage_cmd"):
        assert f"analyzer.cli.{other}" not in loaded
    assert "analyzer.pipeline" not in loaded
    assert "pydantic" not in loaded  # typer < 0.29: no pydantic adapter per parameter


def _run_entry(*args: str, before: str = "") -> subprocess.CompletedProcess[str]:
    script = (
        "import atexit, sys, threading, time\n"
        "from analyzer.cli.commands import run\n"
        "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
        f"{before}"
        f"sys.argv = ['certtriage', *{list(args)!r}]\n"
        "run()\n"
        "print('not reached')\n"
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)


def test_the_entry_point_exits_with_the_status_after_the_exit_handlers() -> None:
    version = _run_entry("--version")
    assert (version.returncode, version.stdout) == (0, f"certtriage {__version__}\n")
    assert version.stderr == "exit handler ran\n"
    unknown = _run_entry("nosuch")
    assert unknown.returncode == 2
    assert "No such command" in unknown.stderr and "exit handler ran" in unknown.stderr


def test_the_entry_point_waits_for_a_running_thread() -> None:
    thread = "threading.Thread(target=lambda: (time.sleep(0.2), print('thread done'))).start()\n"
    waited = _run_entry("--version", before=thread)
    assert waited.returncode == 0
    assert waited.stdout.splitlines() == [f"certtriage {__version__}", "thread done"]
    assert "exit handler ran" in waited.stderr
