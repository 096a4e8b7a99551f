from __future__ import annotations

import subprocess
import sys

from analyzer import __version__
from analyzer.inputs.decode import decode_bytes, split_lines
from analyzer.knowledge.eventfields import build_event, normalise_hex
from analyzer.model import Source


def test_version_flag_prints_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "analyzer", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"certtriage {__version__}"


def test_decode_utf16_bom_and_line_endings() -> None:
    text = 'my "Personal"\r\nCert Hash(sha1): ab\rlast\n'
    decoded = decode_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    assert decoded.encoding == "utf-16-le" and decoded.had_bom
    assert split_lines(decoded.text) == ['my "Personal"', "Cert Hash(sha1): ab", "last"]


def test_decode_oem_code_page() -> None:
    decoded = decode_bytes("Schlüsselcontainer = x".encode("cp850"))
    assert decoded.encoding == "cp850"
    assert decoded.text == "Schlüsselcontainer = x"


def test_event_normalisation_positional_and_localized_type() -> None:
    event = build_event(
        provider="Schannel",
        event_id=36870,
        time="2022-10-16T20:27:36.222854Z",
        record_id=7,
        source=Source("System.evtx", record=7),
        data=["serveur", "0x8009030D", "10001"],
    )
    assert event.data == {"Type": "serveur", "ErrorCode": "0x8009030d", "ErrorStatus": 10001}
    assert event.role == "server"
    assert normalise_hex(-2146893043) == "0x8009030d"


def test_every_command_has_help_and_is_documented_in_the_readme() -> None:
    """A new command without help text or a README entry fails here (sqlite-utils style)."""
    from pathlib import Path

    import analyzer.cli.commands  # noqa: F401  (registers the commands)
    from analyzer.cli.app import app

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    names = []
    for command in app.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        names.append(name)
        help_text = command.help or (command.callback.__doc__ or "")
        assert len(help_text.strip()) > 20, f"{name}: no help text"
        assert f"certtriage {name}" in readme, f"{name}: not in README.md"
    assert sorted(names) == ["analyze", "certutil", "events", "serve", "triage"]
