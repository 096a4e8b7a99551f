"""Localisation tables of the export formats, kept as data: a new language is a few rows.

Event Viewer writes its column names, header labels and level names in the exporting user's UI
language; the event XML and the Get-WinEvent property names are language-neutral.
"""

from __future__ import annotations

import re

from analyzer.knowledge.eventfields import EVENTLOG, HTTP_EVENT, SCHANNEL, W3SVC

# Event Viewer "Save as" CSV / tab-delimited text: the five header names, per UI language.
# Rows carry a sixth value, the message text, under no header name.
EV_COLUMNS: dict[str, tuple[str, str, str, str, str]] = {
    "en": ("Level", "Date and Time", "Source", "Event ID", "Task Category"),
    "de": ("Ebene", "Datum und Uhrzeit", "Quelle", "Ereignis-ID", "Aufgabenkategorie"),
    "fr": ("Niveau", "Date et heure", "Source", "ID de l'événement", "Catégorie de la tâche"),
    "es": ("Nivel", "Fecha y hora", "Origen", "Id. del evento", "Categoría de la tarea"),
}

# Level names (Event Viewer's Level column, Get-WinEvent's LevelDisplayName) -> Level number.
LEVEL_NAMES: dict[str, int] = {
    "critical": 1,
    "error": 2,
    "warning": 3,
    "information": 4,
    "verbose": 5,
    "kritisch": 1,
    "fehler": 2,
    "warnung": 3,
    "informationen": 4,
    "ausführlich": 5,
    "critique": 1,
    "erreur": 2,
    "avertissement": 3,
    "commentaires": 5,
    "crítico": 1,
    "advertencia": 3,
    "información": 4,
    "detallado": 5,
    "严重": 1,
    "错误": 2,
    "警告": 3,
    "信息": 4,
    "详细": 5,
}

# Event Viewer "Copy details as text" header labels -> field. The XML part follows a last label
# ("Event Xml:", "Ereignis-XML:") that we need not know: the `<Event` tag is found directly.
TEXT_COPY_LABELS: dict[str, str] = {
    "log name": "channel",
    "protokollname": "channel",
    "nom du journal": "channel",
    "nombre de registro": "channel",
    "日志名称": "channel",
    "source": "provider",
    "quelle": "provider",
    "origen": "provider",
    "来源": "provider",
    "date": "date",
    "datum": "date",
    "fecha": "date",
    "日期": "date",
    "event id": "event_id",
    "ereignis-id": "event_id",
    "id de l'événement": "event_id",
    "id de l’événement": "event_id",
    "id. del evento": "event_id",
    "事件 id": "event_id",
    "level": "level",
    "ebene": "level",
    "niveau": "level",
    "nivel": "level",
    "级别": "level",
    "computer": "computer",
    "ordinateur": "computer",
    "equipo": "computer",
    "计算机": "computer",
    "description": "description",
    "beschreibung": "description",
    "descripción": "description",
    "描述": "description",
    "task category": "task",
    "aufgabenkategorie": "task",
    "keywords": "keywords",
    "schlüsselwörter": "keywords",
    "user": "user",
    "benutzer": "user",
    "opcode": "opcode",
}

# Get-WinEvent | Export-Csv: EventLogRecord property names (not localized).
WINEVENT_TYPE_LINE = "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord"
WINEVENT_COLUMNS = frozenset(
    {"Message", "Id", "ProviderName", "LogName", "TimeCreated", "RecordId", "MachineName"}
)

# AM/PM markers in local dates (12-hour clocks), lower case.
AM_MARKERS = frozenset({"am", "a.m.", "上午", "午前", "vorm."})
PM_MARKERS = frozenset({"pm", "p.m.", "下午", "午後", "nachm."})

# Field values recovered from English message text, for exports that keep only the message
# (Event Viewer CSV, Get-WinEvent CSV). Wording per Windows build in docs/schannel-events.md.
# Real messages are a few hundred characters; a longer one is scanned only this far, which keeps
# the lazy patterns linear on hostile input.
MESSAGE_SCAN_CHARS = 2000
_HEX = r"(?:0x)*(?P<ErrorCode>[0-9A-Fa-f]{1,8})"
MESSAGE_PATTERNS: dict[tuple[str, int], tuple[re.Pattern[str], ...]] = {
    (SCHANNEL, 36870): (
        re.compile(
            r"access the (?:SSL|TLS) (?P<Type>\S+) credential private key\. The error code"
            r" returned from the cryptographic module is " + _HEX + r"\."
            r"(?:\s*The internal error state is (?P<ErrorStatus>\d+)\.)?"
        ),
    ),
    (SCHANNEL, 36871): (
        re.compile(
            r"while creating an? (?:SSL|TLS) (?P<Type>\S+) credential\."
            r"\s*The internal error state is (?P<ErrorState>\d+)\."
        ),
    ),
    (SCHANNEL, 36874): (re.compile(r"An? (?P<Protocol>.+?) connection request was received"),),
    (SCHANNEL, 36887): (
        re.compile(r"fatal alert code is (?P<AlertDesc>\d+)"),
        re.compile(r"The following fatal alert was received: (?P<AlertDesc>\d+)\."),
    ),
    (SCHANNEL, 36888): (
        re.compile(
            r"fatal (?:alert|error) code is (?P<AlertDesc>\d+)\."
            r"(?:\s*The Windows SChannel error state is (?P<ErrorState>\d+)\.)?"
        ),
        re.compile(
            r"The following fatal alert was generated: (?P<AlertDesc>\d+)\."
            r"\s*The internal error state is (?P<ErrorState>\d+)\."
        ),
    ),
    (HTTP_EVENT, 15021): (re.compile(r"for endpoint (?P<Endpoint>\S+?)\.?\s"),),
    (HTTP_EVENT, 15300): (re.compile(r"for (?:endpoint|Port) ?: (?P<Endpoint>\S+)"),),
    (HTTP_EVENT, 15301): (re.compile(r"for (?:endpoint|Port) ?: (?P<Endpoint>\S+)"),),
    (HTTP_EVENT, 15302): (re.compile(r"for (?:endpoint|Port) ?: (?P<Endpoint>\S+)"),),
    (W3SVC, 1003): (
        re.compile(r"URL prefix '?(?P<UrlPrefix>[^' ]*)'? for site '?(?P<SiteId>[^'. ]*)"),
    ),
    (W3SVC, 1004): (
        re.compile(r"URL prefix '?(?P<UrlPrefix>[^' ]*)'? for site '?(?P<SiteId>[^'. ]*)"),
    ),
    (W3SVC, 1007): (
        re.compile(r"URL prefix '?(?P<UrlPrefix>[^' ]*)'? for site '?(?P<SiteId>[^'. ]*)"),
    ),
    (EVENTLOG, 6009): (re.compile(r"Windows \(R\) (?P<Version>\d+\.\d+\.) (?P<Build>\d+)"),),
}


def fields_from_message(provider: str, event_id: int, message: str) -> dict[str, str]:
    """EventData values a known English message states, in manifest order; {} if none match."""
    # Wrapped or pasted text breaks lines anywhere: compare on single spaces.
    head = " ".join(message[:MESSAGE_SCAN_CHARS].split())
    for pattern in MESSAGE_PATTERNS.get((provider, event_id), ()):
        match = pattern.search(head)
        if match:
            found = {k: v for k, v in match.groupdict().items() if v is not None}
            if "ErrorCode" in found:  # the pattern keeps the digits; the text may omit "0x"
                found["ErrorCode"] = "0x" + found["ErrorCode"]
            return found
    return {}


def level_number(text: str) -> int | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    return LEVEL_NAMES.get(text.lower())
