"""The typed records every stage speaks: readers produce them, rules read them, renderers print them.

This module imports nothing from the package. Field names follow the JSON contracts
(`certtriage.certutil/1`, `certtriage.events/1`, `certtriage.analysis/1`); the JSON field
order and encoding live in `analyzer.render.json`, not here.

`source` fields are kept out of equality (``compare=False``): the same fact read from two
copies of a file is the same fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    """What became of one input: the same four values for every command."""

    OK = "ok"  # read, nothing to say
    PARTIAL = "partial"  # read, with warnings
    ERROR = "error"  # meant for this reader but unreadable
    SKIPPED = "skipped"  # not an input this command reads

    def __str__(self) -> str:
        return self.value


class Level(str, Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Source:
    """Where a fact came from: a path as the user gave it ('/' separators; archive members as
    ``ticket.zip!/logs/System.evtx``), and a 1-based line or an event record number."""

    path: str
    line: int | None = None
    record: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}"
        if self.record is not None:
            return f"{self.path}#record {self.record}"
        return self.path


@dataclass(frozen=True)
class Message:
    """A warning or error found while reading, kept as data and shown to the user."""

    level: Level
    text: str
    source: Source

    def __str__(self) -> str:
        return f"{self.source}: {self.text}"


# --------------------------------------------------------------------------- certutil


@dataclass(frozen=True)
class KeyFailure:
    """A key error as certutil reports it: ``0x80090016``, ``NTE_BAD_KEYSET``, ``Keyset does not exist``."""

    code: str | None
    name: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Key:
    """What a dump says about a certificate's private key (``CERT_KEY_PROV_INFO_PROP_ID`` and the
    status lines after the block). See the certutil contract in the README for each field."""

    container: str | None = None
    unique_container: str | None = None
    simple_container: str | None = None
    key_file: str | None = None
    provider: str | None = None
    provider_type: int | None = None
    provider_class: str | None = None  # "csp" | "ksp" | None
    flags: int | None = None
    machine_keyset: bool | None = None
    keyspec: int | None = None
    exportable: bool | None = None
    # What `exportable` rests on: "none" (NOT exportable), "encrypted-only" (a CNG key that
    # may be exported, but only encrypted in a PFX: "NOT plain text exportable"), "allowed"
    # (certutil opened the key and printed neither line), or None (not known).
    export_policy: str | None = None
    state: str = "unknown"  # ok | missing | no-key-info | failed | unknown
    tests: tuple[str, ...] = ()
    error: KeyFailure | None = None
    acl_sddl: str | None = None
    # Dump line of each fact above ("keyspec", "provider", "state", "exportable", "error",
    # "acl_sddl", ...), so evidence can cite the very line; not part of the key's identity.
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Certificate:
    """One certificate block of a certutil dump (or, later, of another listing)."""

    index: int | None
    store: str | None
    user_store: bool | None
    thumbprint: str | None
    serial: str | None = None
    subject: str | None = None
    issuer: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    key_usage: tuple[str, ...] | None = None
    eku: tuple[str, ...] | None = None
    san: tuple[str, ...] | None = None
    template: str | None = None
    friendly_name: str | None = None
    archived: bool = False
    key: Key | None = None
    source: Source = field(default=Source(""), compare=False)


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class OsInfo:
    """The OS version at boot, from EventLog 6009 or Kernel-General 12."""

    version: str  # "6.3", "10.0"
    build: int | None
    record: int | None


@dataclass(frozen=True)
class Coverage:
    """What part of a log an input covers, so a report can say "no 36870 between T1 and T2"."""

    channel: str | None = None
    computer: str | None = None
    first: str | None = None
    last: str | None = None
    records: int = 0
    chunks_read: int = 0
    chunks_prefiltered: int = 0
    chunks_bad: int = 0
    record_gaps: tuple[tuple[int, int], ...] = ()
    os: OsInfo | None = None


@dataclass(frozen=True)
class Event:
    """One relevant event. ``time`` is UTC ISO 8601 with ``Z`` unless ``time_is_local``."""

    provider: str
    event_id: int
    time: str | None
    record_id: int | None
    computer: str | None = None
    level: int | None = None
    role: str | None = None  # "server" | "client" | None, from a possibly localized Type
    data: dict[str, Any] = field(default_factory=dict, hash=False)
    channel: str | None = None
    time_is_local: bool = False
    message: str | None = None  # only where an export carries the rendered text
    sspi_process: str | None = None  # "SYSTEM (PID: 4)" from a newer message text
    # The exporter's wall-clock time with its UTC offset ("2022-10-16T20:27:36+00:00"), when an
    # export gives both a local date and the UTC SystemTime (Event Viewer "copy as text").
    local_time: str | None = None
    source: Source = field(default=Source(""), compare=False)


# --------------------------------------------------------------------------- other evidence


@dataclass(frozen=True)
class AclEntry:
    """One ACE of an icacls listing or a key SDDL."""

    path: str  # as the listing prints it
    account: str  # as printed, in the machine's language
    sid: str | None  # a well-known account's or a printed SID; None when unknown
    rights: tuple[str, ...]  # icacls spelling: ("F",), ("R", "W"), ("RD", "WA")
    allow: bool = True  # False for (DENY)
    inherited: bool = False  # (I)
    inheritance: tuple[str, ...] = ()  # OI, CI, IO, NP
    owner: str | None = None  # Get-Acl shows it, icacls does not
    source: Source = field(default=Source(""), compare=False)


@dataclass(frozen=True)
class FileAccess:
    """One Process Monitor row kept for the diagnosis."""

    time: str | None  # Time of Day as exported (no date)
    process: str | None
    pid: int | None
    operation: str | None
    path: str
    result: str
    detail: str | None = None
    source: Source = field(default=Source(""), compare=False)


@dataclass(frozen=True)
class Binding:
    """An SSL binding from ``netsh http show sslcert`` or ``applicationHost.config``."""

    endpoint: str  # 0.0.0.0:443, www.contoso.com:443 (SNI), ccs:443; IIS bindings named as netsh does
    certificate_hash: str | None  # 40 lower-case hex, or the text as given when not hash_valid
    store: str | None = None
    app_id: str | None = None
    site: str | None = None
    ssl_flags: int | None = None
    origin: str = "netsh"  # "netsh" | "applicationHost.config"
    hash_valid: bool = True
    source: Source = field(default=Source(""), compare=False)


# --------------------------------------------------------------------------- reading


@dataclass
class ReadResult:
    """What every reader returns for one input: records of any kind plus messages as data."""

    path: str
    kind: str
    status: Status = Status.OK
    encoding: str | None = None
    engine: str | None = None
    certificates: list[Certificate] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    acls: list[AclEntry] = field(default_factory=list)
    file_access: list[FileAccess] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    coverage: Coverage | None = None
    messages: list[Message] = field(default_factory=list)

    def warn(self, text: str, line: int | None = None, record: int | None = None) -> None:
        """Record a warning; an `ok` input becomes `partial`."""
        self.messages.append(Message(Level.WARNING, text, Source(self.path, line, record)))
        if self.status is Status.OK:
            self.status = Status.PARTIAL

    def note(self, text: str, line: int | None = None, record: int | None = None) -> None:
        """Record an informational message that does not change the status."""
        self.messages.append(Message(Level.INFO, text, Source(self.path, line, record)))

    def fail(self, text: str, line: int | None = None, record: int | None = None) -> None:
        """The input is unusable for this reader."""
        self.messages.append(Message(Level.ERROR, text, Source(self.path, line, record)))
        self.status = Status.ERROR

    def skip(self, text: str) -> None:
        self.messages.append(Message(Level.INFO, text, Source(self.path)))
        self.status = Status.SKIPPED

    @property
    def usable(self) -> bool:
        return self.status in (Status.OK, Status.PARTIAL)


# --------------------------------------------------------------------------- diagnosis


@dataclass(frozen=True)
class Evidence:
    """One quoted fact a diagnosis rests on: the dump line or event field, with its source."""

    text: str
    source: Source
    quote: str | None = None


@dataclass(frozen=True)
class Diagnosis:
    id: str
    kind: str  # "fault" | "advisory"
    scenario: int | None
    title: str
    confidence: str  # "high" | "medium" | "low"
    confidence_reason: str
    certificates: tuple[str, ...] = ()
    events: tuple[Source, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    remediation: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    explains_events: bool = False
    summary: str = ""


@dataclass(frozen=True)
class AskFor:
    """Something the customer should send, as a copy-ready (elevated) command."""

    what: str
    command: str
    why: str


@dataclass(frozen=True)
class NotChecked:
    """A check that could not be made, and why (missing input, unknown OS, ...)."""

    what: str
    why: str


@dataclass
class Analysis:
    """Everything one ticket's analysis found; what every renderer takes.

    `diagnoses` are in verdict order: the first one is the verdict."""

    inputs: list[ReadResult]
    certificates: list[Certificate]
    events: list[Event]
    diagnoses: list[Diagnosis]
    not_checked: list[NotChecked] = field(default_factory=list)
    ask_for: list[AskFor] = field(default_factory=list)
    acls: list[AclEntry] = field(default_factory=list)
    file_access: list[FileAccess] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    thumbprint: str | None = None  # --thumbprint, normalised
    at: str | None = None  # --at, UTC ISO 8601
    context: dict[str, Any] = field(default_factory=dict)  # correlation facts for the report
