"""Start-up: finding the readers and sniffing a file's kind imports no heavy library.

The registry imports every reader module (a new reader is one new file) and `detect()` asks every
sniffer, so whatever a reader module imports at its top, every command that reads an input pays
for, whatever the input. A reader imports its heavy libraries (cryptography, defusedxml, py7zr,
the evtx engines, lark...) inside the functions that decode, never at the top of the module:
this test fails, naming the module, when one does (docs/architecture.md, Conventions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Top-level packages (or modules) a reader module may import only inside a function.
HEAVY = (
    "cryptography",
    "defusedxml",
    "py7zr",
    "lark",
    "jinja2",
    "evtx",
    "Evtx",
    "pydantic",
    "rich",
    "typer",
    "xml.etree",
    "pyexpat",
    "hyperscan",
    "stringzilla",
    "re2",
    "dask",
    "distributed",
    "fastapi",
)
# What a sniffer may import to confirm its own kind (the file is then read with it anyway): a
# DER certificate is decoded by the certificate-file sniffer.
CONFIRMS = {("cryptography", "cert-file")}

SCRIPT = """
import importlib, json, sys
from pathlib import Path
heavy = tuple(json.loads(sys.argv[1]))
def loaded():
    return {h for h in heavy if h in sys.modules}
found = {}
def note(step):
    for name in sorted(loaded() - set(found)):
        found[name] = step
import analyzer.readers as readers
note("analyzer.readers")
for module in readers.reader_modules():
    importlib.import_module(module)
    note(module)
readers.registry()
note("the registry")
from analyzer.inputs.files import InputFile
skip = ("goldens", "writers")
for path in sorted(Path(sys.argv[2]).rglob("*")):
    if path.is_file() and not any(part in skip for part in path.parts):
        spec = readers.detect(InputFile.from_path(path))
        note(f"detect({path.name}) -> {spec.kind if spec else None}")
print(json.dumps(found))
"""


def test_finding_readers_and_sniffing_imports_no_heavy_library() -> None:
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(HEAVY), str(ROOT / "fixtures")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    found = {
        package: step
        for package, step in json.loads(run.stdout.splitlines()[-1]).items()
        if (package, step.rsplit(" -> ", 1)[-1]) not in CONFIRMS
    }
    assert found == {}, "imported at the top of a reader module or by a sniffer: " + ", ".join(
        f"{package} (by {step})" for package, step in found.items()
    )
