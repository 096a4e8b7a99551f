"""The record types the built-in readers share, with their keys in ``certtriage.analysis/1``.

A reader lists the types it produces in its `ReaderSpec` (``records=``); a record type only one
reader produces lives in that reader's module instead (see ``analyzer/readers/machineguid.py``).
These five are the keys of the first contract version: always present, even when empty.
"""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.model import (
    AclEntry,
    Binding,
    Certificate,
    Event,
    FileAccess,
    MachineGuid,
    RecordType,
)


def unique_events(events: Iterable[Event]) -> list[Event]:
    """The same record read from an .evtx and from its export is one event: keep the richer copy
    (an export may carry the "SSPI client process" line a binary log lacks)."""
    chosen: dict[tuple[object, ...], Event] = {}
    order: list[tuple[object, ...]] = []
    for event in events:
        if event.record_id is None or event.time is None or event.time_is_local:
            key: tuple[object, ...] = ("unkeyed", len(order))
        else:
            key = (event.provider, event.event_id, event.record_id, event.computer, event.time[:19])
        if key not in chosen:
            chosen[key] = event
            order.append(key)
        elif chosen[key].sspi_process is None and event.sspi_process is not None:
            chosen[key] = event
    return [chosen[k] for k in order]


def event_sort_key(event: Event) -> tuple[str, int]:
    """Events in the JSON documents: by input path, then record number."""
    return (event.source.path, event.record_id if event.record_id is not None else -1)


CERTIFICATES = RecordType(
    Certificate,
    "certificates",
    "certificates",
    "certificates and what their dump says of the private key (certutil, PowerShell "
    "listings, certificate files); the case merges one certificate seen in several inputs",
    json_when_empty=True,
)
EVENTS = RecordType(
    Event,
    "events",
    "relevant events",
    "the events that bear on a private-key failure (binary logs and exports); one record "
    "read from a log and from its export is one event",
    combine=unique_events,
    json_order=event_sort_key,
    json_when_empty=True,
)
ACLS = RecordType(
    AclEntry,
    "acls",
    "access entries",
    "access entries of the key folders and files (icacls, Get-Acl)",
    json_when_empty=True,
)
FILE_ACCESS = RecordType(
    FileAccess,
    "file_access",
    "file accesses kept",
    "Process Monitor rows on key paths (ACCESS DENIED, SHARING VIOLATION, ...)",
    json_when_empty=True,
)
BINDINGS = RecordType(
    Binding,
    "bindings",
    "SSL bindings",
    "SSL bindings (netsh http show sslcert, applicationHost.config)",
    json_when_empty=True,
)

MACHINE_GUIDS = RecordType(
    MachineGuid,
    "machine_guids",
    "MachineGuid values",
    "the machine's MachineGuid (reg query, Get-ItemProperty): the suffix of the key "
    "container names this machine creates",
)
