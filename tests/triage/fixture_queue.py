"""A triage queue made of every fixture ticket plus three tickets with nothing readable in them
(an encrypted zip, a corrupt archive, a folder of files certtriage does not read)."""

from __future__ import annotations

import shutil
from pathlib import Path

from fixtures.writers.hostile_archives import encrypted_zip, write, zip_bytes

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_TICKETS = sorted(p for p in (ROOT / "fixtures" / "tickets").iterdir() if p.is_dir())
DUMP = (ROOT / "fixtures" / "tickets" / "demo-keyspec2" / "my.txt").read_bytes()

# ticket name -> a piece of the reason its summary row must give
UNREADABLE = {
    "T-9001-encrypted.zip": "encrypted (password-protected)",
    "T-9002-corrupt.zip": "corrupt zip archive",
    "T-9003 unknown files": "not an input certtriage reads",
}


def build_fixture_queue(root: Path) -> Path:
    root.mkdir(parents=True)
    for ticket in FIXTURE_TICKETS:
        shutil.copytree(ticket, root / ticket.name)
    write(root / "T-9001-encrypted.zip", encrypted_zip({"my.txt": DUMP}))
    write(root / "T-9002-corrupt.zip", zip_bytes({"my.txt": DUMP})[:300])
    folder = root / "T-9003 unknown files"
    write(folder / "screenshot.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    write(folder / "notes.txt", b"Customer says: the binding fails since Monday.\n")
    write(folder / "invoice.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n")
    return root
