"""The wheel carries everything the installed tool needs: grammars, report templates, the CLI.

Builds the wheel from this checkout, installs it (without dependencies) into a fresh virtual
environment and runs it from an unrelated directory, borrowing the dependencies of the running
environment through PYTHONPATH (a path entry, unlike a site directory, does not process the
editable install's ``.pth`` file, so `analyzer` can only come from the wheel).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from analyzer import __version__

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DEMO_TICKET = ROOT / "fixtures" / "tickets" / "demo-keyspec2"
FIXTURE_DUMP = (
    ROOT / "fixtures" / "real" / "certutil" / "blog-kaushal-iis-0x80070520-keyspec2-fragment.txt"
)


def _run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _scripts(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(wheel, venv, environment to run it with)."""
    pytest.importorskip(
        "hatchling", reason="the wheel is built with hatchling: pip install -e '.[test]'"
    )
    work = tmp_path_factory.mktemp("packaging")
    dist = work / "dist"
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(dist),
        ],
        cwd=work,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("certtriage-*.whl")

    venv = work / "venv"
    created = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=work)
    assert created.returncode == 0, created.stderr
    python = _scripts(venv) / ("python.exe" if os.name == "nt" else "python")
    install = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        cwd=work,
    )
    assert install.returncode == 0, install.stderr

    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = os.pathsep.join(sorted(deps))
    return wheel, venv, env


def test_wheel_carries_grammars_and_reports(installed: tuple[Path, Path, dict[str, str]]) -> None:
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    folders = ("reports", "grammars", "collector")
    shipped = [p for folder in folders for p in (ROOT / folder).iterdir()]
    for source in sorted(p for p in shipped if p.is_file()):
        assert f"analyzer/_data/{source.parent.name}/{source.name}" in names
    assert "analyzer/_data/reports/report.html.j2" in names
    assert "analyzer/_data/collector/certtriage-collect.ps1" in names


def test_installed_tool_runs_from_another_directory(
    installed: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    _, venv, env = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    python = _scripts(venv) / ("python.exe" if os.name == "nt" else "python")
    probe = _run(
        [
            str(python),
            "-c",
            "import analyzer, analyzer.resources as r; "
            "print(analyzer.__file__); print(r.reports_dir()); print(r.data_dir('grammars'))",
        ],
        cwd=elsewhere,
        env=env,
    )
    assert probe.returncode == 0, probe.stderr
    package, reports, grammars = (Path(line) for line in probe.stdout.splitlines())
    assert venv.resolve() in package.resolve().parents  # the wheel's copy, not this checkout
    assert reports.resolve() == package.resolve().parent / "_data" / "reports"
    assert grammars.resolve() == package.resolve().parent / "_data" / "grammars"

    certtriage = _scripts(venv) / ("certtriage.exe" if os.name == "nt" else "certtriage")
    version = _run([str(certtriage), "--version"], cwd=elsewhere, env=env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"certtriage {__version__}"

    dump = _run([str(certtriage), "certutil", str(FIXTURE_DUMP), "--json"], cwd=elsewhere, env=env)
    assert dump.returncode == 0, dump.stderr
    listing = json.loads(dump.stdout)
    assert listing["schema"] == "certtriage.certutil/1"
    assert any((c.get("key") or {}).get("keyspec") == 2 for c in listing["certificates"])

    # A whole ticket: the certutil grammar reads the dump, the report templates render.
    report = elsewhere / "out" / "report.html"
    ticket = _run(
        [str(certtriage), "analyze", str(DEMO_TICKET), "--html", str(report), "--json", "-"],
        cwd=elsewhere,
        env=env,
    )
    assert ticket.returncode == 1, ticket.stderr  # 1: a fault was found
    document = json.loads(ticket.stdout)
    assert document["tool"] == {"name": "certtriage", "version": __version__}
    assert document["diagnoses"][0]["id"] == "keyspec-signature"
    page = report.read_text(encoding="utf-8")
    assert 'id="verdict"' in page and f"certtriage {__version__}" in page
    assert sorted(p.name for p in elsewhere.iterdir()) == ["out"]  # nothing else written

    # The collector script comes from the wheel's package data.
    script = _run([str(certtriage), "collector", "--out", "-"], cwd=elsewhere, env=env)
    assert script.returncode == 0, script.stderr
    assert f"certtriage collector {__version__}" in script.stdout
