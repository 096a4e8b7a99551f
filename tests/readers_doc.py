"""docs/readers.md, generated from the reader registry: ``python tests/readers_doc.py --write``
(``make docs``) re-writes it; tests/readers/test_reader_registry.py fails when it is out of date."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READERS_DOC = ROOT / "docs" / "readers.md"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def write() -> None:
    from analyzer.readers.catalog import readers_markdown

    READERS_DOC.write_text(readers_markdown(), encoding="utf-8", newline="\n")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python tests/readers_doc.py --write")
    write()
