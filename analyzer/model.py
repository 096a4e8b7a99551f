"""The typed records every stage speaks: readers produce them, rules read them, renderers print them.

This module imports nothing from the package. Field names follow the JSON contracts
(`certtriage.certutil/1`, `certtriage.events/1`, `certtriage.analysis/1`); the JSON field
order and encoding live in `analyzer.render.json`, not here.

`source` fields are kept out of equality (``compare=False``): the same fact read from two
copies of a file is the same fact.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

R = TypeVar("R")


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
class FolderListing:
    """The files one ``dir`` / ``Get-ChildItem`` listing shows in one folder."""

    folder: str  # as the listing's header prints it
    files: tuple[str, ...]  # file names (no folders), as listed
    # The command named a pattern or -Filter/-Include: a file it does not show may still exist.
    filtered: bool = False
    source: Source = field(default=Source(""), compare=False)


@dataclass(frozen=True)
class Binding:
    """An SSL binding from ``netsh http show sslcert`` or ``applicationHost.config``."""

    endpoint: (
        str  # 0.0.0.0:443, www.contoso.com:443 (SNI), ccs:443; IIS bindings named as netsh does
    )
    certificate_hash: str | None  # 40 lower-case hex, or the text as given when not hash_valid
    store: str | None = None
    app_id: str | None = None
    site: str | None = None
    ssl_flags: int | None = None
    origin: str = "netsh"  # "netsh" | "applicationHost.config"
    hash_valid: bool = True
    source: Source = field(default=Source(""), compare=False)


@dataclass(frozen=True)
class Collection:
    """What the certtriage collector's ``manifest.json`` says about the run that made a
    collection zip: used where the case has no better evidence (OS, local offset, elevation)."""

    host: str | None
    collected_at: str | None  # UTC ISO 8601 with Z
    utc_offset: str | None  # "+02:00"
    elevated: bool | None
    os: OsInfo | None
    os_caption: str | None
    collector_version: str | None
    files: tuple[tuple[str, str], ...] = ()  # (display path, SHA-256) of each file it lists
    source: Source = field(default=Source(""), compare=False)


# Where Windows keeps the MachineGuid value (REG_SZ) that ends machine key file names.
CRYPTOGRAPHY_KEY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Cryptography"


@dataclass(frozen=True)
class MachineGuid:
    """One MachineGuid value as a paste shows it (``reg query``, ``Get-ItemProperty``)."""

    guid: str  # lower case, no braces: as the registry holds it and key file names end
    key: str | None  # the registry key the output names (HKEY_LOCAL_MACHINE\...), when it does
    form: str  # "reg-query" | "get-itemproperty" | "bare" (the value alone, after its command)
    source: Source = field(default=Source(""), compare=False)


# --------------------------------------------------------------------------- records


def unique_records(records: Iterable[R]) -> list[R]:
    """Identical records once, in first-seen order: how a case joins most inputs' records."""
    seen: set[Hashable] = set()
    out: list[R] = []
    for record in records:
        try:
            if record in seen:
                continue
            seen.add(record)
        except TypeError:  # a record holding a list cannot be hashed: keep it, undeduplicated
            pass
        out.append(record)
    return out


@dataclass(frozen=True)
class RecordType:
    """A kind of record a reader produces, declared beside its `ReaderSpec` (``records=``).

    The case, the analysis document and the report carry every declared record type without
    knowing it: the records go under ``json_key`` in ``certtriage.analysis/1`` and the report's
    inputs section counts them with ``label``."""

    cls: type
    json_key: str  # the analysis document's member holding these records (a list)
    label: str  # "certificates", "SSL bindings": the report's count, "3 SSL bindings"
    description: str = ""  # one line for the generated table in docs/readers.md
    # How the case joins the records of several inputs (default: identical records once).
    combine: Callable[[Iterable[Any]], list[Any]] = unique_records
    # Order in the analysis document (default: the case's order).
    json_order: Callable[[Any], Any] | None = None
    # Keys of the first contract version are always present; a record type added later
    # appears only when there is a record, so older documents keep their bytes.
    json_when_empty: bool = False


class RecordStore:
    """Records of any type, one live list per type, in the order they were added."""

    __slots__ = ("_lists",)

    def __init__(self, records: Iterable[object] = ()) -> None:
        self._lists: dict[type, list[Any]] = {}
        for record in records:
            self.add(record)

    def of(self, cls: type[R]) -> list[R]:
        """The list of ``cls`` records; appending to it adds to the store."""
        found = self._lists.get(cls)
        if found is None:
            found = self._lists[cls] = []
        return found

    def add(self, record: object) -> None:
        self.of(type(record)).append(record)

    def put(self, cls: type[R], records: Iterable[R]) -> None:
        """Replace the ``cls`` records (the same list object stays live)."""
        self.of(cls)[:] = records

    def types(self) -> tuple[type, ...]:
        """The types holding at least one record, in the order they were first stored."""
        return tuple(cls for cls, records in self._lists.items() if records)

    def __iter__(self) -> Iterator[tuple[type, list[Any]]]:
        return ((cls, self._lists[cls]) for cls in self.types())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RecordStore):
            return NotImplemented
        return dict(iter(self)) == dict(iter(other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        counts = ", ".join(f"{cls.__name__}: {len(records)}" for cls, records in self)
        return f"RecordStore({counts})"


class RecordLists:
    """The record lists of the first contract version as attributes (``result.certificates``,
    ``case.acls``, ``analysis.bindings``): live views onto the record store, kept while code
    written before the store moves to ``records(Type)``."""

    store: RecordStore

    def records(self, cls: type[R]) -> list[R]:
        """The records of one type (a live list)."""
        return self.store.of(cls)

    def add(self, *records: object) -> None:
        for record in records:
            self.store.add(record)

    @property
    def certificates(self) -> list[Certificate]:
        return self.store.of(Certificate)

    @certificates.setter
    def certificates(self, records: Iterable[Certificate]) -> None:
        self.store.put(Certificate, records)

    @property
    def events(self) -> list[Event]:
        return self.store.of(Event)

    @events.setter
    def events(self, records: Iterable[Event]) -> None:
        self.store.put(Event, records)

    @property
    def acls(self) -> list[AclEntry]:
        return self.store.of(AclEntry)

    @acls.setter
    def acls(self, records: Iterable[AclEntry]) -> None:
        self.store.put(AclEntry, records)

    @property
    def file_access(self) -> list[FileAccess]:
        return self.store.of(FileAccess)

    @file_access.setter
    def file_access(self, records: Iterable[FileAccess]) -> None:
        self.store.put(FileAccess, records)

    @property
    def bindings(self) -> list[Binding]:
        return self.store.of(Binding)

    @bindings.setter
    def bindings(self, records: Iterable[Binding]) -> None:
        self.store.put(Binding, records)


def record_store(records: Iterable[object] = (), *lists: Iterable[object] | None) -> RecordStore:
    """A store holding ``records`` and then every record of ``lists`` (None lists skipped)."""
    store = RecordStore(records)
    for items in lists:
        for record in items or ():
            store.add(record)
    return store


# --------------------------------------------------------------------------- reading


@dataclass(init=False)
class ReadResult(RecordLists):
    """What every reader returns for one input: records of any type plus messages as data."""

    path: str
    kind: str
    status: Status
    encoding: str | None
    engine: str | None
    store: RecordStore
    coverage: Coverage | None
    messages: list[Message]

    def __init__(
        self,
        path: str,
        kind: str,
        status: Status = Status.OK,
        encoding: str | None = None,
        engine: str | None = None,
        *,
        records: Iterable[object] = (),
        coverage: Coverage | None = None,
        messages: list[Message] | None = None,
        certificates: Iterable[Certificate] | None = None,
        events: Iterable[Event] | None = None,
        acls: Iterable[AclEntry] | None = None,
        file_access: Iterable[FileAccess] | None = None,
        bindings: Iterable[Binding] | None = None,
    ) -> None:
        self.path = path
        self.kind = kind
        self.status = status
        self.encoding = encoding
        self.engine = engine
        self.store = record_store(records, certificates, events, acls, file_access, bindings)
        self.coverage = coverage
        self.messages = [] if messages is None else messages

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


class Kind(str, Enum):
    """What a diagnosis is: a cause that can make the binding fail, or advice worth following."""

    FAULT = "fault"
    ADVISORY = "advisory"

    def __str__(self) -> str:
        return self.value


class Confidence(str, Enum):
    """How sure a diagnosis is, strongest first (the verdict orders by this)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Diagnosis:
    id: str
    kind: Kind
    scenario: int | None
    title: str
    confidence: Confidence
    confidence_reason: str
    certificates: tuple[str, ...] = ()
    events: tuple[Source, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    remediation: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    explains_events: bool = False
    summary: str = ""

    def __post_init__(self) -> None:
        # Plain strings are accepted (and refused when unknown): the enums are what is kept.
        object.__setattr__(self, "kind", Kind(self.kind))
        object.__setattr__(self, "confidence", Confidence(self.confidence))


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


@dataclass(init=False)
class Analysis(RecordLists):
    """Everything one ticket's analysis found; what every renderer takes.

    `diagnoses` are in verdict order: the first one is the verdict. The records of every type
    are in ``store`` (``analysis.records(Binding)``)."""

    inputs: list[ReadResult]
    diagnoses: list[Diagnosis]
    store: RecordStore
    not_checked: list[NotChecked]
    ask_for: list[AskFor]
    thumbprint: str | None  # --thumbprint, normalised
    at: str | None  # --at, UTC ISO 8601
    context: dict[str, Any]  # correlation facts for the report

    def __init__(
        self,
        inputs: list[ReadResult],
        certificates: Iterable[Certificate] | None = None,
        events: Iterable[Event] | None = None,
        diagnoses: list[Diagnosis] | None = None,
        not_checked: list[NotChecked] | None = None,
        ask_for: list[AskFor] | None = None,
        acls: Iterable[AclEntry] | None = None,
        file_access: Iterable[FileAccess] | None = None,
        bindings: Iterable[Binding] | None = None,
        thumbprint: str | None = None,
        at: str | None = None,
        context: dict[str, Any] | None = None,
        *,
        records: Iterable[object] = (),
    ) -> None:
        self.inputs = inputs
        self.diagnoses = [] if diagnoses is None else diagnoses
        self.store = record_store(records, certificates, events, acls, file_access, bindings)
        self.not_checked = [] if not_checked is None else not_checked
        self.ask_for = [] if ask_for is None else ask_for
        self.thumbprint = thumbprint
        self.at = at
        self.context = {} if context is None else context


# --------------------------------------------------------------------------- access


@dataclass(frozen=True)
class Account:
    """The account that must open a key: named by an event ("The SSPI client process is ..."), a
    service configuration, other evidence, or the default for the service (HTTP.sys: LocalSystem).
    ``assumed`` when no evidence names it and the default stands in."""

    name: str
    sid: str | None
    source: str  # "event" | "service-config" | "evidence" | "default"
    assumed: bool
