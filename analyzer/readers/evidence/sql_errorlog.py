"""SQL Server's ERRORLOG: what a start of the Database Engine says about its TLS certificate.

SQL Server writes ``ERRORLOG`` (and keeps the previous starts as ``ERRORLOG.1`` .. ``.6``) under
``<instance folder>\\MSSQL\\Log`` as UTF-16LE text with a byte-order mark; customers attach the file
as it is, or paste it as UTF-8 from a text editor or the SSMS log viewer (leading spaces or tabs,
a markdown quote, the top or the bottom cut off). Every entry starts with the time (server local
time, no zone, hundredths of a second), the source column (``Server``, ``spid12s``, ``Logon``) and
the message; lines without that prefix continue the entry above (the version banner, startup
parameters). An error is logged as two entries with one timestamp: the header
``Error: 26014, Severity: 16, State: 1.`` and the message.

Read here (records `SqlServerStart`, `SqlCertificateEvent` in `analyzer.model`):

- the start lines: the version banner (``Microsoft SQL Server 2019 (RTM-CU25) ...``), ``Server
  process ID is N.``, ``The service account is 'NT Service\\MSSQLSERVER'. This is an informational
  message; no user action is required.``, ``Server name is 'SQL01\\SALES'. ...`` and ``Logging SQL
  Server messages in file '...\\MSSQL15.SALES\\MSSQL\\Log\\ERRORLOG'.`` (the instance);
- the certificate lines, with their texts as Microsoft publishes them: 26013 "The certificate
  [Cert Hash(sha1) "%hs"] was successfully loaded for encryption.", 26014 "Unable to load
  user-specified certificate [Cert Hash(sha1) "%hs"]. The server will not accept a connection.
  ...", 26015 "Unable to load user-specified certificate. Because connection encryption is
  required, ...", 26010 "The server could not load the certificate it needs to initiate an SSL
  connection. It returned the following error: %#x. ..." ("Errors 26000 - 26999",
  https://learn.microsoft.com/previous-versions/sql/sql-server-2008-r2/cc645896(v=sql.105); the
  Spanish, Italian and Chinese texts of 26013 / 26014 / 26015 from the same table in those languages),
  33565 "Found the certificate [Cert Hash(sha1) "..."] in the local computer store but the SQL
  Server service account does not have access to it." ("Event ID 33565 and SQL Server doesn't
  start", https://learn.microsoft.com/troubleshoot/sql/database-engine/startup-shutdown/
  event-id-33565-start-sql-server), 17182 "TDSSNIClient initialization failed with error <x>,
  status code <y>." ("Troubleshooting protocol errors during Database Engine startup",
  https://learn.microsoft.com/previous-versions/sql/sql-server-2008/ms365392(v=sql.100)).
  17826 and 17120 (the network library and the communications thread did not start after such a
  failure) are matched on their ``Error:`` header number only: Microsoft's reference pages at
  hand do not give their text (a Microsoft support blog, learn.microsoft.com/archive/blogs/
  apgcdsd/sql-servertroubleshooting, quotes 17826's "Could not start the network library because
  of an internal error in the network library" from a log, which is no reference text). A message
  in another language is known by its header number alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analyzer.inputs.files import InputFile
from analyzer.model import ReadResult, RecordType, Source, SqlCertificateEvent, SqlServerStart
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import Line, clean_lines, read_text, sniff_lines

# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "sqlerrorlog.none": "no ERRORLOG entry found",
    "sqlerrorlog.no-time": "messages without their time column: read without a time",
    "sqlerrorlog.cut-start": "lines before the first entry (a log cut at the top): skipped",
    "sqlerrorlog.no-start": "the log does not show a start's banner: instance and account not known",
    "sqlerrorlog.too-many": "more certificate lines than are read",
    "sqlerrorlog.unknown-text": "a certificate hash in a message whose number is not known",
}

KIND = "sql-errorlog"
MAX_EVENTS = 2000  # certificate lines: one or two per start
MAX_STARTS = 200
MAX_TEXT = 1000  # characters of one message kept

SQL_STARTS = RecordType(
    SqlServerStart,
    "sql_server_starts",
    "SQL Server starts",
    "what a start of SQL Server says about itself in its ERRORLOG: version, instance, service "
    "account, process id",
)
SQL_CERTIFICATE_EVENTS = RecordType(
    SqlCertificateEvent,
    "sql_certificate_events",
    "SQL Server certificate lines",
    "ERRORLOG lines about the TLS certificate: 26013 loaded, 26014 / 26015 / 26010 not loaded, "
    "33565 no access for the service account, 17182 / 17826 / 17120 the start they stopped",
)

# `2024-05-14 10:21:33.45 Server      message` (hundredths; some builds log thousandths).
_ENTRY = re.compile(
    r"^\s*(?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)\s+(?P<process>\S+)"
    r"(?:\s+(?P<text>.*?))?\s*$"
)
_HEADER = re.compile(
    r"^Error:\s*(?P<number>\d{1,6}),\s*Severity:\s*(?P<severity>\d{1,3}),\s*"
    r"State:\s*(?P<state>\d{1,5})\.?\s*$",
    re.I,
)
# Localized headers use the same numbers: match the shape, not the words ("Fehler: 26014,
# Schweregrad: 16, Status: 1."; the Chinese page quotes "错误: 17182,严重性: 16,状态: 1。").
_ANY_HEADER = re.compile(
    r"^[^\d,:：]{2,20}[:：]\s*(?P<number>\d{4,6})\s*[,，]\s*[^\d,:：]{2,20}[:：]\s*"
    r"(?P<severity>\d{1,3})\s*[,，]\s*[^\d,:：]{2,20}[:：]\s*(?P<state>\d{1,5})\s*[.。]?\s*$"
)
_HASH = re.compile(r"Cert\s*Hash\s*\(\s*sha1\s*\)\s*\"(?P<hash>[^\"]{0,80})\"", re.I)
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_CODE = re.compile(r"\b0x[0-9a-fA-F]{1,8}\b")

# Texts Microsoft publishes, by number (English, and the localized 26013 / 26014 / 26015 texts of
# the "Errores / Errori / 错误 26000 - 26999" tables). Matched as the message's start.
TEXTS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (26013, re.compile(r"^The certificate \[Cert Hash", re.I)),
    (26013, re.compile(r"^Se cargó correctamente el certificado \[Cert Hash", re.I)),
    (26013, re.compile(r"^Il certificato \[Cert Hash.*caricato per la crittografia", re.I)),
    (26013, re.compile(r"^已成功加载用于加密的证书 \[Cert Hash")),
    (26014, re.compile(r"^Unable to load user-specified certificate \[Cert Hash", re.I)),
    # 26014 names the hash, 26015 (the same words, then "." and why) does not: both kept apart.
    (
        26014,
        re.compile(r"^No se puede cargar el certificado especificado por el usuario \[Cert", re.I),
    ),
    (
        26014,
        re.compile(r"^Impossibile caricare il certificato specificato dall'utente \[Cert", re.I),
    ),
    (26014, re.compile(r"^无法加载用户指定的证书 \[Cert Hash")),
    (26015, re.compile(r"^Unable to load user-specified certificate\. Because", re.I)),
    (26015, re.compile(r"^No se puede cargar el certificado especificado por el usuario\. ", re.I)),
    (26015, re.compile(r"^Impossibile caricare il certificato specificato dall'utente\. ", re.I)),
    (26015, re.compile(r"^无法加载用户指定的证书。")),
    (
        26010,
        re.compile(
            r"^The server could not load the certificate it needs to initiate an SSL connection",
            re.I,
        ),
    ),
    (33565, re.compile(r"^Found the certificate \[Cert Hash.*does not have access", re.I)),
    (17182, re.compile(r"^TDSSNIClient initialization failed with error", re.I)),
)
# Numbers kept as certificate lines (the others of an ERRORLOG are not read).
NUMBERS = frozenset({26010, 26013, 26014, 26015, 33565, 17182, 17826, 17120})

_BANNER = re.compile(r"^Microsoft SQL Server\b.*\d+\.\d+\.\d+", re.I)
_PROCESS_ID = re.compile(r"^Server process ID is (?P<pid>\d{1,10})\b", re.I)
_ACCOUNT = re.compile(r"^The service account is '(?P<account>[^']{1,256})'", re.I)
_SERVER_NAME = re.compile(r"^Server name is '(?P<name>[^']{1,300})'", re.I)
_LOG_FILE = re.compile(r"^Logging SQL Server messages in file '(?P<path>[^']{1,400})'", re.I)
_FACTS = (_PROCESS_ID, _ACCOUNT, _SERVER_NAME, _LOG_FILE)
# MSSQL15.SALES, MSSQL16.MSSQLSERVER: the instance id's part after the version is the name.
_INSTANCE_ID = re.compile(r"\\MSSQL\d{1,3}\.(?P<instance>[^\\]{1,128})\\MSSQL\\", re.I)


def sniff_sql_errorlog(sample: Sample) -> int:
    lines = sniff_lines(sample.text)
    entries = [m for x in lines if (m := _ENTRY.match(x))]
    if not entries:
        # Messages copied without their time column (the SSMS log viewer's row copy): a text
        # Microsoft publishes. Low: an Event Viewer copy of the same event is the export reader's.
        return 40 if any(_number_of(x.strip()) is not None for x in lines) else 0
    texts = [m.group("text") or "" for m in entries]
    if any(_BANNER.match(t) or _HEADER.match(t) or _HASH.search(t) for t in texts):
        return 92
    processes = {m.group("process").lower() for m in entries}
    if len(entries) >= 3 and processes & {"server", "logon", "backup"} | {
        p for p in processes if re.fullmatch(r"spid\d+s?", p)
    }:
        return 80
    return 0


@dataclass
class _Entry:
    line: int
    time: str
    process: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)[:MAX_TEXT]


@dataclass
class _Start:
    line: int
    time: str | None
    version: str | None = None
    server_name: str | None = None
    instance: str | None = None
    service_account: str | None = None
    process_id: int | None = None

    def record(self, path: str) -> SqlServerStart:
        return SqlServerStart(
            self.version,
            self.server_name,
            self.instance,
            self.service_account,
            self.process_id,
            self.time,
            Source(path, self.line),
        )


def instance_of_server_name(name: str) -> str:
    """``SQL01\\SALES`` -> ``SALES``; ``SQL01`` (the default instance) -> ``MSSQLSERVER``."""
    _, sep, instance = name.strip().rpartition("\\")
    return instance.strip().upper() if sep and instance.strip() else "MSSQLSERVER"


def read_sql_errorlog(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    cleaned = clean_lines(read_text(file, result).text, result)
    entries: list[_Entry] = []
    skipped: list[int] = []
    for line in cleaned.lines:
        if line.text.lstrip().startswith(("```", "~~~")):
            continue  # a markdown code fence around a paste
        match = _ENTRY.match(line.text)
        if match:
            entries.append(_Entry(line.number, match["time"], match["process"]))
            entries[-1].lines.append((match["text"] or "").strip())
        elif entries:
            if len(entries[-1].lines) < 64 and line.text.strip():
                entries[-1].lines.append(line.text.strip())
        elif line.text.strip():
            skipped.append(line.number)
    if not entries:
        entries = _bare_messages(cleaned.lines)
        skipped = []
        if entries:
            result.note(
                "no timestamped ERRORLOG line: the messages Microsoft publishes were read without "
                "their time (copied from the log viewer?)",
                entries[0].line,
                code="sqlerrorlog.no-time",
            )
    if not entries:
        result.fail(
            "no ERRORLOG entry found (expected lines like `2024-05-14 10:21:33.45 Server ...`)",
            code="sqlerrorlog.none",
        )
        return result
    if skipped:
        result.note(
            f"{len(skipped)} line(s) before the first entry (the log cut at the top, or text "
            "around a paste): skipped",
            skipped[0],
            code="sqlerrorlog.cut-start",
        )
    starts, events = _read_entries(file.display, entries, result)
    if not starts:
        result.note(
            "no start banner in this log (cut at the top?): the instance and the service "
            "account come from other evidence",
            code="sqlerrorlog.no-start",
        )
    result.store.put(SqlServerStart, [s.record(file.display) for s in starts[:MAX_STARTS]])
    result.store.put(SqlCertificateEvent, events)
    return result


def _read_entries(
    path: str, entries: list[_Entry], result: ReadResult
) -> tuple[list[_Start], list[SqlCertificateEvent]]:
    starts: list[_Start] = []
    events: list[SqlCertificateEvent] = []
    header: tuple[_Entry, re.Match[str]] | None = None
    for entry in entries:
        first = entry.lines[0] if entry.lines else ""
        head = _HEADER.match(first) or _ANY_HEADER.match(first)
        if head:
            header = (entry, head)
            continue
        if _BANNER.match(first):
            starts.append(_Start(entry.line, entry.time or None, first[:300]))
        elif not starts and any(p.match(first) for p in _FACTS):
            starts.append(_Start(entry.line, None))  # a log cut above its banner
        current = starts[-1] if starts else None
        if current is not None:
            _start_fact(current, first)
        # A header belongs to the next entry of the same time and source.
        number_from_header = None
        severity = state = None
        if header is not None:
            header_entry, match = header
            if (header_entry.time, header_entry.process) == (entry.time, entry.process):
                number_from_header = int(match["number"])
                severity, state = int(match["severity"]), int(match["state"])
            header = None
        number = number_from_header or _number_of(first)
        hash_match = _HASH.search(entry.text)
        if number not in NUMBERS and hash_match is None:
            continue
        if len(events) >= MAX_EVENTS:
            result.warn(
                f"more than {MAX_EVENTS} certificate lines; the rest is not read",
                entry.line,
                code="sqlerrorlog.too-many",
            )
            break
        thumbprint = None
        if hash_match is not None:
            digits = re.sub(r"\s", "", hash_match["hash"])
            thumbprint = digits.lower() if _HEX40.fullmatch(digits) else None
        if number not in NUMBERS and number_from_header is None:
            result.warn(
                "a certificate hash in a message whose number is not known (no Error: header, "
                f"a text not published): {first[:120]!r}",
                entry.line,
                code="sqlerrorlog.unknown-text",
            )
            number = None
        code = _CODE.search(entry.text)
        events.append(
            SqlCertificateEvent(
                number,
                entry.time or None,
                entry.process,
                entry.text,
                thumbprint,
                code.group(0).lower() if code and number in (26010, 17182) else None,
                severity,
                state,
                current.instance if current is not None else None,
                Source(path, entry.line),
            )
        )
    # The instance may be named after the first certificate line (the log file line is early,
    # the server name line later): fill it in from the start the line belongs to.
    return starts, _with_instances(events, starts)


def _with_instances(
    events: list[SqlCertificateEvent], starts: list[_Start]
) -> list[SqlCertificateEvent]:
    out = []
    for event in events:
        start = next((s for s in reversed(starts) if s.line <= (event.source.line or 0)), None)
        instance = start.instance if start is not None else None
        if instance is None and len({s.instance for s in starts} - {None}) == 1:
            instance = next(s.instance for s in starts if s.instance)
        if instance != event.instance:
            event = SqlCertificateEvent(
                event.number,
                event.time,
                event.process,
                event.text,
                event.thumbprint,
                event.error_code,
                event.severity,
                event.state,
                instance,
                event.source,
            )
        out.append(event)
    return out


def _bare_messages(lines: list[Line]) -> list[_Entry]:
    """Lines whose text is a message Microsoft publishes (or an ``Error:`` header) without the
    time and source columns, each one an entry without a time."""
    out: list[_Entry] = []
    for line in lines:
        text = line.text.strip()
        known = _number_of(text) is not None or _HEADER.match(text) or _BANNER.match(text)
        if known or (_facts_match(text) and out):
            out.append(_Entry(line.number, "", "", [text]))
    return out


def _facts_match(text: str) -> bool:
    return any(p.match(text) for p in _FACTS)


def _number_of(text: str) -> int | None:
    return next((number for number, pattern in TEXTS if pattern.match(text)), None)


def _start_fact(start: _Start, text: str) -> None:
    if (m := _PROCESS_ID.match(text)) and start.process_id is None:
        start.process_id = int(m["pid"])
    elif (m := _ACCOUNT.match(text)) and start.service_account is None:
        start.service_account = m["account"].strip()
    elif m := _SERVER_NAME.match(text):
        start.server_name = m["name"].strip()
        start.instance = instance_of_server_name(start.server_name)
    elif (m := _LOG_FILE.match(text)) and start.instance is None:
        found = _INSTANCE_ID.search(m["path"])
        if found:
            start.instance = found["instance"].strip().upper()


SPEC = register(
    ReaderSpec(
        KIND,
        sniff_sql_errorlog,
        read_sql_errorlog,
        "SQL Server ERRORLOG (UTF-16LE as written, or pasted): start banner, instance, service "
        "account, certificate lines 26013 / 26014 / 26015 / 26010 / 33565 and 17182 / 17826 / 17120",
        records=(SQL_STARTS, SQL_CERTIFICATE_EVENTS),
    )
)
