"""One ticket's evidence in one place: what every rule and the correlation read.

A `Case` is built from the readers' `ReadResult`s and the user's options. It only gathers and
de-duplicates; deciding what the evidence means is `correlate` and the rules' job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from analyzer.certmerge import merge_certificates
from analyzer.errors import UsageError
from analyzer.model import (
    Certificate,
    Collection,
    Coverage,
    Event,
    FolderListing,
    ReadResult,
    RecordLists,
    RecordStore,
    as_utc,
    parse_time,
    unique_records,
)
from analyzer.readers import kinds_reading, record_types

# Invisible marks the Windows certificate dialog adds when a thumbprint is copied from it.
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\ufeff\u202a\u202b\u202c\u202d\u202e\u00a0"), None)
_THUMBPRINT = re.compile(r"[0-9a-f]{40}")


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

    @cached_property
    def at_moment(self) -> datetime | None:
        """``at`` as an aware UTC datetime (parsed once; not a field)."""
        return as_utc(parse_time(self.at))


@dataclass
class Case(RecordLists):
    """All evidence of one ticket: ``case.records(AclEntry)`` for the records of one type (in
    input order, joined as their `RecordType` says). Certificates are the machine-store ones;
    certificate files matching none of them are in ``file_certificates``."""

    inputs: list[ReadResult]
    store: RecordStore = field(default_factory=RecordStore)
    options: CaseOptions = field(default_factory=CaseOptions)
    # Certificate files matching no store certificate (see analyzer.certmerge): shown, never
    # taken by rules for certificates of the machine store.
    file_certificates: list[Certificate] = field(default_factory=list)
    merged_from: dict[str, list[str]] = field(default_factory=dict)  # thumbprint -> inputs

    @classmethod
    def from_results(cls, results: list[ReadResult], options: CaseOptions | None = None) -> Case:
        usable = [r for r in results if r.usable]
        # One certificate seen in a dump, a listing and a file is one record (analyzer.certmerge).
        merged = merge_certificates((r.kind, r.certificates) for r in usable)
        store = RecordStore()
        store.put(Certificate, unique_records(merged.certificates))
        # Every other record type as its declaration joins it; a type no reader declares (a
        # reader's bug, see tests/readers/test_reader_registry.py) is still carried, deduplicated.
        declared = {record_type.cls: record_type.combine for record_type in record_types()}
        held = {cls: unique_records for r in usable for cls in r.store.types()}
        combiners: dict[type[Any], Callable[[Iterable[Any]], list[Any]]] = {**held, **declared}
        for record_cls, combine in combiners.items():
            if record_cls is not Certificate:
                store.put(record_cls, combine(x for r in usable for x in r.records(record_cls)))
        return cls(
            inputs=list(results),
            store=store,
            file_certificates=unique_records(merged.file_only),
            merged_from=merged.merged,
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
        return bool(self.inputs_of(*kinds_reading(Event)))

    def coverages(self) -> list[tuple[str, Coverage]]:
        return [(r.path, r.coverage) for r in self.inputs_of() if r.coverage is not None]

    def has_channel(self, channel: str) -> bool:
        """True when an event input covers ``channel`` (``System``, ``.../Operational``)."""
        wanted = channel.lower()
        return any((cov.channel or "").lower() == wanted for _, cov in self.coverages()) or any(
            (e.channel or "").lower() == wanted for e in self.events
        )

    @property
    def listings(self) -> list[FolderListing]:
        """What folder listings (dir, Get-ChildItem) of this ticket show."""
        return self.records(FolderListing)

    @property
    def collections(self) -> list[Collection]:
        """What the certtriage collector manifests of this ticket say of their runs."""
        return self.records(Collection)

    def elevated(self, path: str) -> bool | None:
        """Whether the collector run that wrote the file ``path`` was elevated (None: the file
        is not from a collection, or its manifest does not say)."""
        return next(
            (c.elevated for c in self.collections if any(path == f for f, _ in c.files)), None
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
