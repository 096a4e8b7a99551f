"""The servers the serve tests talk to (started once per test session, in subprocesses)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve.served import ROOT, Served, command, serving

pytest.importorskip("fastapi", reason="needs the serve extra (pip install 'certtriage[serve]')")
pytest.importorskip("uvicorn", reason="needs the serve extra (pip install 'certtriage[serve]')")
pytest.importorskip("httpx", reason="the API tests use httpx")

TICKETS = ROOT / "fixtures" / "tickets"
DEMO = TICKETS / "demo-keyspec2"  # the verdict: keyspec-signature
# A triage queue entry named like hostile markup: the index must show it as text.
HOSTILE_TICKET = "T-1001 <img src=x onerror=alert(1)> & 'quoted'"
MAX_UPLOAD_MB = 2
MAX_FILES = 8
UPLOAD_SECONDS = 3
TOKEN = "serve-test-token-0123456789abcdef"


@pytest.fixture(scope="session")
def triage_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real `certtriage triage` output folder of two tickets."""
    base = tmp_path_factory.mktemp("triage")
    queue = base / "queue"
    shutil.copytree(DEMO, queue / HOSTILE_TICKET)
    shutil.copytree(TICKETS / "healthy", queue / "T-1002-healthy")
    out = base / "out"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer",
            "triage",
            str(queue),
            "--out",
            str(out),
            "--workers",
            "1",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (base / "secret.html").write_text("<p>outside the triage folder</p>", encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, triage_out: Path) -> Iterator[Served]:
    """`certtriage serve` with small limits, on 127.0.0.1 (no token needed there)."""
    data = tmp_path_factory.mktemp("serve-data")
    args = command(
        "--data-dir", str(data),
        "--max-upload-mb", str(MAX_UPLOAD_MB),
        "--max-files", str(MAX_FILES),
        "--upload-timeout", str(UPLOAD_SECONDS),
        "--keep-days", "1",
        "--triage-dir", str(triage_out),
        "--workers", "2",
    )  # fmt: skip
    with serving(args, data, env={"CERTTRIAGE_TOKEN": ""}) as server:
        yield server
