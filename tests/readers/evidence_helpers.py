"""Shared helpers for the evidence reader tests: read one fixture with one reader spec."""

from __future__ import annotations

from pathlib import Path

from analyzer.inputs.files import InputFile
from analyzer.model import Level, ReadResult
from analyzer.readers import ReaderSpec, ReadOptions, sample_of

EVIDENCE = Path(__file__).resolve().parents[2] / "fixtures" / "evidence"
KEY_FILE = "60fd2daa4bba0a605d75b8fe322db8f2_4be58f30-7127-42f5-9b76-f47187495247"
OTHER_KEY = "8219989eabc1caae72c76ed0b51deea0_4be58f30-7127-42f5-9b76-f47187495247"
WEB_THUMBPRINT = "26c8c253be4503b5ca817e34be8e4fe11c5de9c8"
INTRANET_THUMBPRINT = "b13e86ce9b20590ef12e04fb507b5a00af53395e"
MACHINEKEYS = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys"


def read(spec: ReaderSpec, path: Path) -> ReadResult:
    return spec.read(InputFile.from_path(path), ReadOptions())


def sniff(spec: ReaderSpec, path: Path) -> int:
    return spec.sniff(sample_of(InputFile.from_path(path)))


def warnings(result: ReadResult) -> list[str]:
    """Warnings as ``line: text`` (the file name is checked once per test via `path`)."""
    out = []
    for message in result.messages:
        if message.level is Level.WARNING:
            assert message.source.path == result.path
            out.append(f"{message.source.line}: {message.text}")
    return out
