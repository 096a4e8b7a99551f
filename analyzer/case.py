"""One ticket's evidence in one place: what every rule and the correlation read.

A `Case` is built from the readers' `ReadResult`s and the user's options. It only gathers and
de-duplicates; deciding what the evidence means is `correlate` and the rules' job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from analyzer.certmerge import merge_certificates
from analyzer.errors import UsageError
from analyzer.model import (
    AclEntry,
    Binding,
    Certificate,
    Coverage,
    Event,
    FileAccess,
    FolderListing,
    ReadResult,
)

# Invisible marks the Windows certificate dialog adds when a thumbprint is copied from it.
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\ufeff\u202a\u202b\u202c\u202d\u202e\u00a0"), None)
_THUMBPRINT = re.compile(r"[0-9a-f]{40}")

EVENT_KINDS = frozenset({"evtx", "evtx-xml", "evtx-text", "evtx-csv", "evtx-getwinevent-csv"})


def normalise_thumbprint(text: str) -> str:
    """``‎AB CD:ef…`` -> 40 lowercase hex digits; anything else is a usage error."""
    cleaned = text.translate(_INVISIBLE)
    cleaned = re.sub(r"[\s:\-]", "", cleaned).lower()
    if not _THUMBPRINT.fullmatch(cleaned):
        raise UsageError(
            f"--thumbprint {text.strip()!r} is not a SHA-1 thumbprint (40 hex digits, spaces "
            "and colons allowed)"
        )
    return cleaned


def parse_at(text: str) -> tuple[str, bool]:
    """``--at`` in ISO 8601 -> (UTC ``YYYY-MM-DDTHH:MM:SSZ``, whether it was assumed UTC because
    it had no offset)."""
    raw = text.strip()
    candidate = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        raise UsageError(
            f"--at {raw!r} is not an ISO 8601 time (e.g. 2024-05-01T10:00:00 or "
            "2024-05-01T12:00:00+02:00)"
        ) from None
    assumed_utc = moment.tzinfo is None
    if assumed_utc:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), assumed_utc


@dataclass(frozen=True)
class CaseOptions:
    """What the engineer knows beyond the files: the certificate chosen in IIS and when."""

    thumbprint: str | None = None  # normalised, see normalise_thumbprint
    at: str | None = None  # UTC, see parse_at
    at_assumed_utc: bool = False  # --at had no offset and was taken as UTC


@dataclass
class Case:
    """All evidence of one ticket. Lists keep input order; identical facts appear once."""

    inputs: list[ReadResult]
    certificates: list[Certificate] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    acls: list[AclEntry] = field(default_factory=list)
    file_access: list[FileAccess] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    listings: list[FolderListing] = field(default_factory=list)
    options: CaseOptions = field(default_factory=CaseOptions)
    # Certificate files matching no store certificate (see analyzer.certmerge): shown, never
    # taken by rules for certificates of the machine store.
    file_certificates: list[Certificate] = field(default_factory=list)
    merged_from: dict[str, list[str]] = field(default_factory=dict)  # thumbprint -> inputs

    @classmethod
    def from_results(cls, results: list[ReadResult], options: CaseOptions | None = None) -> Case:
        usable = [r for r in results if r.usable]
        merged = merge_certificates((r.kind, r.certificates) for r in usable)
        return cls(
            inputs=list(results),
            certificates=_unique(merged.certificates),
            file_certificates=_unique(merged.file_only),
            merged_from=merged.merged,
            events=_unique_events(e for r in usable for e in r.events),
            acls=_unique(a for r in usable for a in r.acls),
            file_access=_unique(f for r in usable for f in r.file_access),
            bindings=_unique(b for r in usable for b in r.bindings),
            listings=_unique(f for r in usable for f in r.listings),
            options=options or CaseOptions(),
        )

    # ------------------------------------------------------------------ inputs

    def inputs_of(self, *kinds: str) -> list[ReadResult]:
        """Usable inputs of these kinds (all usable inputs when no kind is given)."""
        return [r for r in self.inputs if r.usable and (not kinds or r.kind in kinds)]

    @property
    def usable(self) -> bool:
        return any(r.usable for r in self.inputs)

    @property
    def has_dump(self) -> bool:
        return bool(self.inputs_of("certutil"))

    @property
    def has_event_log(self) -> bool:
        return any(r.kind in EVENT_KINDS for r in self.inputs_of())

    def coverages(self) -> list[tuple[str, Coverage]]:
        return [(r.path, r.coverage) for r in self.inputs_of() if r.coverage is not None]

    def has_channel(self, channel: str) -> bool:
        """True when an event input covers ``channel`` (``System``, ``.../Operational``)."""
        wanted = channel.lower()
        return any((cov.channel or "").lower() == wanted for _, cov in self.coverages()) or any(
            (e.channel or "").lower() == wanted for e in self.events
        )

    # ------------------------------------------------------------------ records

    def events_of(self, provider: str, *event_ids: int) -> list[Event]:
        return [e for e in self.events if e.provider == provider and e.event_id in event_ids]

    def certificates_with(self, thumbprint: str) -> list[Certificate]:
        return [c for c in self.certificates if c.thumbprint == thumbprint]

    @property
    def machine_certificates(self) -> list[Certificate]:
        """Certificates of machine stores (or of dumps that do not say which)."""
        return [c for c in self.certificates if c.user_store is not True]

    @property
    def verbose_dump(self) -> bool:
        """A `-v` dump shows KeySpec (or at least a provider type) for some key."""
        return any(
            c.key is not None and (c.key.keyspec is not None or c.key.provider_type is not None)
            for c in self.certificates
        )


def _unique(items: Iterable) -> list:
    seen: set = set()
    out = []
    for item in items:
        try:
            if item in seen:
                continue
            seen.add(item)
        except TypeError:  # a record holding a list cannot be hashed: keep it, undeduplicated
            pass
        out.append(item)
    return out


def _unique_events(events: Iterable[Event]) -> list[Event]:
    """The same record read from an .evtx and from its export is one event: keep the richer copy
    (an export may carry the "SSPI client process" line a binary log lacks)."""
    chosen: dict[tuple, Event] = {}
    order: list[tuple] = []
    for event in events:
        if event.record_id is None or event.time is None or event.time_is_local:
            key: tuple = ("unkeyed", len(order))
        else:
            key = (event.provider, event.event_id, event.record_id, event.computer, event.time[:19])
        if key not in chosen:
            chosen[key] = event
            order.append(key)
        elif chosen[key].sspi_process is None and event.sspi_process is not None:
            chosen[key] = event
    return [chosen[k] for k in order]
