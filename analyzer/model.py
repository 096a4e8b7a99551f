"""The typed records every stage speaks: readers produce them, rules read them, renderers print them.

This module imports nothing from the package. Field names follow the JSON contracts
(`certtriage.certutil/1`, `certtriage.events/1`, `certtriage.analysis/1`); the JSON field
order and encoding live in `analyzer.render.json`, not here.

`source` fields are kept out of equality (``compare=False``): the same fact read from two
copies of a file is the same fact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from functools import cached_property
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
    """How much a reading message matters: only `ERROR` makes an input unusable."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


# --------------------------------------------------------------------------- times

_ISO_TIME = re.compile(
    r"^\s*(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<clock>\d{2}:\d{2}(?::\d{2})?)"
    r"(?:[.,](?P<fraction>\d+))?)?\s*(?P<zone>Z|z|UTC|(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2}))?\s*$"
)
# Real offsets run from UTC-12:00 to UTC+14:00; anything beyond is not an offset.
MAX_UTC_OFFSET = timedelta(hours=14)


def parse_time(text: str | None) -> datetime | None:
    """The one parser of the ISO 8601 times records carry, or None when ``text`` is not one.

    Readers write ``2022-10-16T20:27:36.2228549Z`` (Windows' 7 fraction digits: the 7th is
    dropped), ``2024-05-01 10:00:00+00:00``, ``2022-10-16T22:27:36+02:00``, or a time without a
    zone (certificate dates, local export times). A zone gives an aware datetime at that offset
    (``Z``/``UTC``: UTC); no zone gives a naive one, whose zone the caller decides (`as_utc`)."""
    if not text:
        return None
    match = _ISO_TIME.match(text)
    if match is None:
        return None
    clock = match["clock"] or "00:00:00"
    if len(clock) == 5:
        clock += ":00"
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    try:
        moment = datetime.fromisoformat(f"{match['date']}T{clock}.{fraction}")
    except ValueError:
        return None
    if match["zone"] is None:
        return moment
    if match["sign"] is None:
        return moment.replace(tzinfo=timezone.utc)
    offset = timedelta(hours=int(match["hours"]), minutes=int(match["minutes"]))
    if offset > MAX_UTC_OFFSET:
        return None
    return moment.replace(tzinfo=timezone(-offset if match["sign"] == "-" else offset))


def as_utc(moment: datetime | None, offset: timedelta | None = None) -> datetime | None:
    """An aware UTC datetime: a naive ``moment`` is UTC, or local time at ``offset`` when given."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return (moment - offset if offset is not None else moment).replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


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


# "<area>.<what>": lower-case words joined by "-", e.g. "evtx.chunk-bad-crc", "input.empty".
CODE_SHAPE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Message:
    """A warning or error found while reading, kept as data and shown to the user.

    ``code`` is stable across releases and wordings (tools match on it, never on ``text``); each
    module that says something declares its codes in ``MESSAGE_CODES`` (code -> meaning), listed
    in docs/diagnostics.md."""

    level: Level
    text: str
    source: Source
    code: str

    def __post_init__(self) -> None:
        if not CODE_SHAPE.fullmatch(self.code):
            raise ValueError(f"message code {self.code!r} is not <area>.<what>")

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

    # The dump's dates as parsed once (naive: certutil prints local time without a zone). Not
    # fields: neither JSON nor equality sees them.
    @cached_property
    def valid_from_moment(self) -> datetime | None:
        return parse_time(self.valid_from)

    @cached_property
    def valid_to_moment(self) -> datetime | None:
        return parse_time(self.valid_to)


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

    @cached_property
    def first_moment(self) -> datetime | None:
        """``first`` as an aware UTC datetime (parsed once; not a field)."""
        return as_utc(parse_time(self.first))

    @cached_property
    def last_moment(self) -> datetime | None:
        """``last`` as an aware UTC datetime (parsed once; not a field)."""
        return as_utc(parse_time(self.last))


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

    # The times as parsed once (not fields: neither JSON nor equality sees them).
    @cached_property
    def moment(self) -> datetime | None:
        """``time`` as written: aware, or naive when it carries no zone (``time_is_local``);
        `utc_moment` places a local one."""
        return parse_time(self.time)

    @cached_property
    def local_moment(self) -> datetime | None:
        """``local_time``: the exporter's wall clock, aware at its UTC offset."""
        return parse_time(self.local_time)

    def utc_moment(self, offset: timedelta | None = None) -> datetime | None:
        """The event's time in UTC; a local time (``time_is_local``) is placed at ``offset``
        from UTC, and a time without a zone is otherwise taken as UTC."""
        return as_utc(self.moment, offset if self.time_is_local else None)


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

    @cached_property
    def collected_moment(self) -> datetime | None:
        """``collected_at`` as an aware UTC datetime (parsed once; not a field)."""
        return as_utc(parse_time(self.collected_at))


# Where Windows keeps the MachineGuid value (REG_SZ) that ends machine key file names.
CRYPTOGRAPHY_KEY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Cryptography"


@dataclass(frozen=True)
class MachineGuid:
    """One MachineGuid value as a paste shows it (``reg query``, ``Get-ItemProperty``)."""

    guid: str  # lower case, no braces: as the registry holds it and key file names end
    key: str | None  # the registry key the output names (HKEY_LOCAL_MACHINE\...), when it does
    form: str  # "reg-query" | "get-itemproperty" | "bare" (the value alone, after its command)
    source: Source = field(default=Source(""), compare=False)


@dataclass(frozen=True)
class RegistryValue:
    """One registry value as ``reg query`` or ``Get-ItemProperty`` prints it.

    ``data`` is the text as printed (REG_BINARY: reg's upper-case hex digits without spaces;
    Get-ItemProperty: ``{154, 108, ...}``); ``binary`` the bytes as lower-case hex when the value
    is binary and every byte was shown (Format-List cuts arrays after four items unless
    ``$FormatEnumerationLimit`` is raised: then None)."""

    key: str | None  # HKEY_LOCAL_MACHINE\..., as printed (HKLM\ spelled out); None: not shown
    name: str  # the value's name; "" for the key's default value
    type: str | None  # REG_SZ, REG_BINARY, REG_DWORD, REG_MULTI_SZ, ...; None when not printed
    data: str
    binary: str | None = None
    form: str = "reg-query"  # "reg-query" | "get-itemproperty"
    source: Source = field(default=Source(""), compare=False)


@dataclass(frozen=True)
class ServiceConfig:
    """A Windows service's configured logon account, from ``sc qc <service>`` or a
    ``Win32_Service`` listing (Get-CimInstance / Get-WmiObject, table or list)."""

    name: str  # the service (key) name: TermService, W3SVC, MSSQLSERVER
    start_name: str | None  # SERVICE_START_NAME / StartName as printed; None when not shown
    display_name: str | None = None
    binary_path: str | None = None
    form: str = "sc-qc"  # "sc-qc" | "win32-service-table" | "win32-service-list"
    source: Source = field(default=Source(""), compare=False)


@dataclass(frozen=True)
class WinRmListener:
    """One WinRM listener as ``winrm enumerate winrm/config/listener`` (``winrm e``, ``winrm get
    winrm/config/listener?...``), ``Get-WSManInstance ... -Enumerate`` or the ``WSMan:`` drive
    (``Get-ChildItem WSMan:\\localhost\\Listener\\Listener_<n>``) prints it."""

    address: str | None  # "*", "IP:10.0.0.4"
    transport: str | None  # "HTTP" | "HTTPS", upper case
    port: int | None
    hostname: str | None  # None: empty (the listener answers any name)
    enabled: bool | None
    certificate_thumbprint: str | None  # 40 lower-case hex; None when empty
    # The text as printed when it is not a thumbprint (cut, or another value): shown, never used.
    thumbprint_text: str | None = None
    listening_on: tuple[str, ...] = ()
    origin: str | None = None  # [Source="GPO"] / [Source="Compatibility"], as printed
    form: str = "winrm"  # "winrm" | "get-wsmaninstance" | "wsman-drive"
    source: Source = field(default=Source(""), compare=False)


@dataclass(frozen=True)
class WinRmCommandError:
    """A WSManFault a pasted ``winrm`` command printed (``winrm quickconfig -transport:https``,
    ``winrm create ...``): its error number and message as printed."""

    code: str  # "0x80338115", lower-case hex digits after 0x
    message: str | None  # the fault's Message text, joined from its wrapped lines
    command: str | None = None  # the winrm command of the prompt line before it, when pasted
    hostname: str | None = None  # a host name the output names (Hostname="..."), when it does
    source: Source = field(default=Source(""), compare=False)


# --------------------------------------------------------------------------- AD FS, Exchange


@dataclass(frozen=True)
class AdfsCertificate:
    """One certificate AD FS is configured with, as ``Get-AdfsCertificate`` lists it."""

    certificate_type: str  # "Token-Signing" | "Token-Decrypting" | "Service-Communications" | ...
    thumbprint: str | None  # 40 lower-case hex; the text as given when not ``hash_valid``
    hash_valid: bool = True
    is_primary: bool | None = None
    store_location: str | None = None  # "LocalMachine" as printed; None: empty or not shown
    store_name: str | None = None  # "My" as printed; None: empty or not shown
    subject: str | None = None  # from the Certificate property's [Subject] part
    source: Source = field(default=Source(""), compare=False)


@dataclass(frozen=True)
class AdfsSslCertificate:
    """One HTTP.sys binding AD FS made for itself, as ``Get-AdfsSslCertificate`` lists it."""

    host_name: str
    port: int | None
    certificate_hash: str | None  # 40 lower-case hex; the text as given when not ``hash_valid``
    hash_valid: bool = True
    source: Source = field(default=Source(""), compare=False)


@dataclass(frozen=True)
class AdfsProperty:
    """One property of ``Get-AdfsProperties`` that the rules read (AutoCertificateRollover)."""

    name: str
    value: str
    source: Source = field(default=Source(""), compare=False)


@dataclass(frozen=True)
class ExchangeCertificate:
    """One certificate as ``Get-ExchangeCertificate`` lists it (Format-List or its table)."""

    thumbprint: str | None  # 40 lower-case hex; the text as given when not ``hash_valid``
    services: tuple[str, ...]  # upper case: "IIS", "SMTP", "IMAP", "POP", "UM", ...; () = None
    hash_valid: bool = True
    has_private_key: bool | None = None
    status: str | None = None  # "Valid", "Invalid", "RevocationCheckFailure", ...
    not_after: str | None = None  # as printed
    subject: str | None = None
    domains: tuple[str, ...] = ()  # CertificateDomains, lower case
    form: str = "list"  # "list" | "table"
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

    def warn(
        self, text: str, line: int | None = None, record: int | None = None, *, code: str
    ) -> None:
        """Record a warning; an `ok` input becomes `partial`."""
        self.messages.append(Message(Level.WARNING, text, Source(self.path, line, record), code))
        if self.status is Status.OK:
            self.status = Status.PARTIAL

    def note(
        self, text: str, line: int | None = None, record: int | None = None, *, code: str
    ) -> None:
        """Record an informational message that does not change the status."""
        self.messages.append(Message(Level.INFO, text, Source(self.path, line, record), code))

    def fail(
        self, text: str, line: int | None = None, record: int | None = None, *, code: str
    ) -> None:
        """The input is unusable for this reader."""
        self.messages.append(Message(Level.ERROR, text, Source(self.path, line, record), code))
        self.status = Status.ERROR

    def skip(self, text: str, *, code: str) -> None:
        """Not an input for this reader (or for any): said once, the status is `skipped`."""
        self.messages.append(Message(Level.INFO, text, Source(self.path), code))
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


class StepAction(str, Enum):
    """What a fix step asks of the person: run it (with its neighbours), run it and read what it
    prints before going on, or do something by hand."""

    RUN = "run"
    CHECK = "check"
    MANUAL = "manual"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class FixStep:
    """One step of a fix plan: its text as in ``remediation`` (a command, a command followed by
    ``   (note)``, or prose), what it asks of the person, and the Microsoft page it rests on."""

    text: str
    action: StepAction
    reference: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", StepAction(self.action))


@dataclass(frozen=True)
class FixPlan:
    """One way to fix a diagnosis: ``when`` it applies, its steps in order, and the blocks of
    commands that may be pasted at once (a step to do by hand or an output to read ends one)."""

    title: str
    when: str
    steps: tuple[FixStep, ...]
    paste_blocks: tuple[str, ...] = ()


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
    remediation: tuple[str, ...] = ()  # the first plan's steps, as text
    references: tuple[str, ...] = ()
    explains_events: bool = False
    # The product whose configuration names the certificate (analyzer.knowledge.services ids:
    # "iis", "http.sys", "rdp", ...), or None when the evidence names none.
    service: str | None = None
    summary: str = ""
    remediation_plans: tuple[FixPlan, ...] = ()  # alternatives, the one to try first first
    # The id of the diagnosis this one is a runner-up of: an alternative the evidence neither
    # confirms nor contradicts, shown as such and never as a second fault.
    alternative_to: str | None = None
    # The account that must open the key (None where access is not the point): see
    # `analyzer.rulekit.accounts`. Declared below with the other access records.
    account: Account | None = None

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


@dataclass(frozen=True)
class InScope:
    """A certificate the failures may point at, and why."""

    thumbprint: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class EvidenceNote:
    """A fact for the report with its source as shown (``path:line``, ``path#record N``)."""

    text: str
    source: str
    quote: str | None = None


@dataclass(frozen=True)
class OsFact:
    """The Windows version the case settled on and the input it came from."""

    version: str
    build: int | None
    source: str | None


@dataclass(frozen=True)
class CorrelationSummary:
    """What correlation found, for the report and the `correlation` member of
    `certtriage.analysis/1` (one JSON key per field, same name). A new fact is one field with a
    default: the JSON carries it and the report shows it as plain text until it gets a sentence
    of its own (analyzer/render/report_facts.py)."""

    failures: int = 0  # server-side 36870 events considered (the --at window when given)
    failures_total: int = 0  # every 36870 event in the logs
    reference_time: str | None = None  # --at, else the last failure's time (UTC ISO)
    reference_from: str | None = None  # "--at" | "last 36870" | "none"
    at_assumed_utc: bool = False  # --at had no offset and was taken as UTC
    in_use: tuple[str, ...] = ()  # thumbprints named by --thumbprint or a binding
    in_use_from: str | None = None  # "--thumbprint" | "binding" | "36868"
    in_scope: tuple[InScope, ...] = ()
    notes: tuple[str, ...] = ()
    service: str | None = None  # "not known" unless the evidence names it
    services: tuple[str, ...] = ()  # the ids of the services the evidence names (iis, rdp, ...)
    service_failures: int = 0  # failure events of known services (Remote Desktop 1057/1058)
    service_evidence: tuple[EvidenceNote, ...] = ()
    local_offset: str | None = None  # the customer's UTC offset, when an export reveals it
    # thumbprint -> PowerShell listings / certificate files merged into its record
    certificates_merged: dict[str, tuple[str, ...]] = field(default_factory=dict)
    os: OsFact | None = None

    @cached_property
    def reference_moment(self) -> datetime | None:
        """``reference_time`` as an aware UTC datetime."""
        return as_utc(parse_time(self.reference_time))


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
    context: CorrelationSummary  # correlation facts for the report

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
        context: CorrelationSummary | None = None,
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
        self.context = CorrelationSummary() if context is None else context

    @property
    def at_moment(self) -> datetime | None:
        """``at`` (--at) as an aware UTC datetime."""
        return as_utc(parse_time(self.at))


# --------------------------------------------------------------------------- access


@dataclass(frozen=True)
class Account:
    """The account that must open a key: named by an event ("The SSPI client process is ..."), a
    service configuration, other evidence, or the default for the service (HTTP.sys: LocalSystem).
    ``assumed`` when no evidence names it and the default stands in."""

    name: str
    sid: str | None
    source: str  # "event" | "service-config" | "evidence" | "service-log" | "default"
    assumed: bool


@dataclass(frozen=True)
class ProcessOwner:
    """One row of a process listing that names the process's account (`tasklist /v`,
    `Get-Process -IncludeUserName`): what maps an event's "SSPI client process is NAME (PID: N)"
    to the account whose token opens the key."""

    process: str  # image or process name as listed ("sqlservr.exe", "sqlservr")
    pid: int
    user: str  # as listed, in the machine's language ("NT Service\MSSQLSERVER")
    source: Source = field(default=Source(""), compare=False)


# --------------------------------------------------------------------------- SQL Server ERRORLOG


@dataclass(frozen=True)
class SqlServerStart:
    """What one start of SQL Server wrote about itself at the top of its ERRORLOG: the version
    banner, the server name ("Server name is 'HOST\\SALES'"), the instance (from that name, or the
    instance id in the log's own path), the service account ("The service account is '...'") and
    the process id. A field the log does not show (a cut file) is None."""

    version: str | None  # the banner's first line: "Microsoft SQL Server 2019 (RTM-CU25) ..."
    server_name: str | None  # "SQL01\SALES" as logged
    instance: str | None  # instance name: "MSSQLSERVER" (default instance), "SALES"
    service_account: str | None  # as logged: "NT Service\MSSQLSERVER"
    process_id: int | None
    time: str | None  # the banner's timestamp as logged (server local time, no zone)
    source: Source = field(default=Source(""), compare=False)


@dataclass(frozen=True)
class SqlCertificateEvent:
    """A line of SQL Server's ERRORLOG about its TLS certificate or the start it stopped: 26013
    (loaded), 26014 / 26015 (user-specified certificate not loaded), 26010 (could not load, with
    an error code), 33565 (found but the service account has no access), and 17182 / 17826 /
    17120 (the network library did not start). ``number`` from the ``Error: N, Severity: S,
    State: T.`` header or a message text Microsoft publishes; None when neither says."""

    number: int | None
    time: str | None  # as logged (server local time, no zone): "2024-05-14 10:21:33.45"
    process: str  # the source column: "Server", "spid12s"
    text: str  # the message, continuation lines joined by "\n" (bounded)
    thumbprint: str | None = None  # Cert Hash(sha1), 40 lower-case hex digits
    error_code: str | None = None  # 0x8009030d (26010, 17182), lower case
    severity: int | None = None
    state: int | None = None
    instance: str | None = None  # as the log's start lines say (SqlServerStart.instance)
    source: Source = field(default=Source(""), compare=False)
