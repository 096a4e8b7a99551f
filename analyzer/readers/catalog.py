"""The reader registry as markdown: ``docs/readers.md`` is `readers_markdown()`'s output.

``make docs`` re-writes the file (``tests/readers_doc.py --write``) and
``tests/readers/test_reader_registry.py`` fails when it differs from what the registry says, so the
list of reader kinds and of the analysis document's record keys cannot drift from the code.
"""

from __future__ import annotations

from analyzer.readers import record_types, registry

HEADER = """# Readers and their records

<!-- Generated from the reader registry by `make docs`; do not edit by hand. -->

Every reader module in `analyzer/readers/` registers a `ReaderSpec`: its kind, its content
sniffer and the record types its results hold. Each record type has its own member (a list)
in the `certtriage.analysis/1` document; the case, the JSON and the report's inputs section
carry any declared type without being edited. Keys marked *always* are in every document (the
first contract version); the others appear when there is at least one record.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def readers_markdown() -> str:
    specs = registry()
    lines = [HEADER, "## Record keys of `certtriage.analysis/1`", ""]
    lines += ["| key | record | present | read from (kinds) | what |", "|---|---|---|---|---|"]
    for record_type in sorted(record_types(), key=lambda r: r.json_key):
        kinds = sorted(k for k, s in specs.items() if record_type in s.records)
        lines.append(
            f"| `{record_type.json_key}[]` | `{record_type.cls.__name__}` | "
            f"{'always' if record_type.json_when_empty else 'when any'} | "
            f"{', '.join(f'`{k}`' for k in kinds)} | {_cell(record_type.description)} |"
        )
    lines += ["", "## Reader kinds", "", "| kind | input | records |", "|---|---|---|"]
    for kind, spec in sorted(specs.items()):
        records = ", ".join(f"`{r.json_key}`" for r in spec.records) or "none"
        lines.append(f"| `{kind}` | {_cell(spec.description)} | {records} |")
    return "\n".join(lines) + "\n"
