"""The rule table of docs/analyze.md, written from the registry (`make docs`).

The table sits between two marker lines; everything else in the file is kept as written.
``python -m analyzer.rulekit.doctable [FILE...]`` rewrites it, ``--check`` only says whether the
file is current (exit 1 when not); a test runs the check so that the table never drifts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from analyzer.model import Kind
from analyzer.rulekit.registry import Rule, all_rules

BEGIN = "<!-- rule table: generated from the rule registry by `make docs`; do not edit -->"
END = "<!-- end of the generated rule table -->"
DEFAULT_FILE = Path("docs") / "analyze.md"


class MarkersMissing(ValueError):
    pass


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _kind(rule: type[Rule]) -> str:
    return "fault/advisory" if rule.kind == Kind.FAULT and rule.advisory_too else rule.kind.value


def rule_table() -> str:
    """The markdown table: every rule in run order, with what it needs and rests on."""
    lines = [
        "| id | kind | scenario | needs | fires when | references |",
        "|---|---|---|---|---|---|",
    ]
    for rule in (type(r) for r in all_rules()):
        fires = ("closing rule: " if rule.closing else "") + rule.fires_when
        needs = ", ".join(sorted(n.value for n in rule.needs)) or "–"
        pages = "; ".join(f"[{_cell(p.title)}]({p.url})" for p in rule.references)
        cells = [
            f"`{rule.id}`",
            _kind(rule),
            str(rule.scenario) if rule.scenario is not None else "–",
            needs,
            _cell(fires),
            pages,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def with_table(text: str) -> str:
    """``text`` with the part between the markers replaced by the current table."""
    start = text.find(BEGIN)
    end = text.find(END, start + 1 if start >= 0 else 0)
    if start < 0 or end < 0:
        raise MarkersMissing(f"the rule table markers are missing ({BEGIN!r} ... {END!r})")
    return text[: start + len(BEGIN)] + "\n\n" + rule_table() + "\n" + text[end:]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    files = [Path(a) for a in argv if a != "--check"] or [DEFAULT_FILE]
    stale = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            wanted = with_table(text)
        except MarkersMissing as error:
            print(f"{path}: {error}", file=sys.stderr)
            return 2
        if wanted == text:
            continue
        if check:
            stale.append(path)
        else:
            path.write_text(wanted, encoding="utf-8", newline="\n")
            print(f"{path}: rule table written")
    for path in stale:
        print(f"{path}: the rule table is out of date: run `make docs`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
