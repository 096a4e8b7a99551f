"""The OS version at boot, from EventLog 6009 or Kernel-General 12, for `coverage.os`.

6009 says ``6.03.`` and ``9600`` (major.minor with a zero-padded minor and a trailing dot);
Kernel-General 12 says MajorVersion 6, MinorVersion 3, BuildVersion 9600. Both give "6.3" and
build 9600. 6005 carries no version. Used by every event reader (binary and exports).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from analyzer.knowledge.eventfields import EVENTLOG, KERNEL_GENERAL
from analyzer.model import Event, OsInfo

_VERSION_TEXT = re.compile(r"\s*(\d{1,3})\.(\d{1,3})\.?\s*")


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def version_from_6009(text: Any) -> str | None:
    """``6.03.`` -> ``6.3``; ``10.00.`` -> ``10.0``; anything else -> None."""
    if not isinstance(text, str):
        return None
    match = _VERSION_TEXT.fullmatch(text)
    if not match:
        return None
    return f"{int(match.group(1))}.{int(match.group(2))}"


def os_info_of(event: Event) -> OsInfo | None:
    """The OS version an EventLog 6009 or Kernel-General 12 event states, else None."""
    data = event.data
    if event.provider == EVENTLOG and event.event_id == 6009:
        version = version_from_6009(data.get("Version"))
        if version is None:
            return None
        return OsInfo(version, _int_or_none(data.get("Build")), event.record_id)
    if event.provider == KERNEL_GENERAL and event.event_id == 12:
        major = _int_or_none(data.get("MajorVersion"))
        minor = _int_or_none(data.get("MinorVersion"))
        if major is None or minor is None:
            return None
        return OsInfo(f"{major}.{minor}", _int_or_none(data.get("BuildVersion")), event.record_id)
    return None


def last_boot_os(events: Iterable[Event]) -> OsInfo | None:
    """The OS of the latest boot event among ``events`` (by time, then record id).

    Times compare as text: all UTC ``...Z`` or all local from one export, so the order holds."""
    best: tuple[tuple[str, int], OsInfo] | None = None
    for event in events:
        info = os_info_of(event)
        if info is None:
            continue
        key = (event.time or "", event.record_id if event.record_id is not None else -1)
        if best is None or key > best[0]:
            best = (key, info)
    return best[1] if best else None
