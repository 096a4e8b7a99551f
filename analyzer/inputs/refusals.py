"""Refusals are counted, not listed without end.

A hostile or careless archive can hold 100,000 links (each refused) or 100,000 files of no kind
we read (each skipped). Listing every one would flood the terminal and the JSON and hide the
inputs that matter, so at most `MAX_COLLECTION_MESSAGES` collection messages and
`MAX_SKIPPED_INPUTS` skipped inputs are listed; the rest become one line saying how many were
left out ("and N more").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from analyzer.model import Level, Message, ReadResult, Source, Status

# Together about a thousand lines at most, whatever the archive holds.
MAX_COLLECTION_MESSAGES = 500
MAX_SKIPPED_INPUTS = 500


class MessageCap:
    """The collection's messages, listed up to a limit and counted beyond it."""

    def __init__(self, messages: list[Message], limit: int = MAX_COLLECTION_MESSAGES) -> None:
        self.messages, self.limit = messages, limit
        self.left_out: Counter[str] = Counter()  # message level -> count
        self.first_left_out: str | None = None  # the path of the first message left out

    def add(self, message: Message) -> None:
        if len(self.messages) < self.limit:
            self.messages.append(message)
            return
        self.left_out[message.level.value] += 1
        if self.first_left_out is None:
            self.first_left_out = message.source.path

    def summary(self) -> Message | None:
        """The "and N more" message, or None when nothing was left out."""
        if self.first_left_out is None:
            return None
        total = sum(self.left_out.values())
        kinds = ", ".join(f"{n:,} {level}" for level, n in sorted(self.left_out.items()))
        level = Level.ERROR if self.left_out.get(Level.ERROR.value) else Level.WARNING
        return Message(
            level,
            f"and {total:,} more messages about collecting the inputs ({kinds}), not listed: "
            f"at most {self.limit:,} are",
            Source(self.first_left_out),
        )


def _common_folder(paths: Sequence[str]) -> str:
    """The longest folder (or archive) path shared by ``paths``, '/'-separated."""
    split = [p.split("/")[:-1] for p in paths]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if any(part != parts[0] for part in parts):
            break
        common.append(parts[0])
    return "/".join(common) or "."


def fold_skipped(results: list[ReadResult], limit: int = MAX_SKIPPED_INPUTS) -> list[ReadResult]:
    """``results`` with at most ``limit`` skipped inputs listed (in path order); the rest are
    one skipped entry naming how many there were and why they were skipped."""
    skipped = sorted((r for r in results if r.status is Status.SKIPPED), key=lambda r: r.path)
    if len(skipped) <= limit:
        return results
    left_out = skipped[limit:]
    dropped = {id(r) for r in left_out}
    reasons = Counter(r.messages[0].text if r.messages else "skipped" for r in left_out)
    why = "; ".join(f"{n:,} × {text}" for text, n in sorted(reasons.items(), key=lambda i: -i[1]))
    folder = _common_folder([r.path for r in left_out])
    summary = ReadResult(folder, "collection")
    summary.skip(
        f"and {len(left_out):,} more skipped inputs, not listed (at most {limit:,} are; "
        f"first {left_out[0].path}, last {left_out[-1].path}): {why[:400]}"
    )
    return [r for r in results if id(r) not in dropped] + [summary]
