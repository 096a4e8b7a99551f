"""The one place tests build readers' records without a file: certificates, keys, events and the
read results holding them. Defaults describe a healthy IIS certificate and a server-side
Schannel 36870; every field can be given. (`tests/rules/rule_records.py` re-exports these
for the rule tests and adds the case and analysis helpers.)"""

from __future__ import annotations

import hashlib
from typing import Any

from analyzer.model import Certificate, Coverage, Event, Key, OsInfo, ReadResult, Source

SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
CODE_SIGNING = "1.3.6.1.5.5.7.3.3"
CSP = "Microsoft Strong Cryptographic Provider"
KSP = "Microsoft Software Key Storage Provider"
DUMP = "ticket/my.txt"
LOG = "ticket/System.evtx"


def thumb(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def key(**fields: Any) -> Key:
    ksp = fields.get("provider") == KSP
    base: dict[str, Any] = {
        "container": "{0F81886A-5F70-430A-939C-BB7DD58ECE2A}",
        "key_file": "99247943bd018ca78ef945b82652598d_3ade29bb-f050-41f3-b0db-f2b69957a1d7",
        "provider": CSP,
        "provider_type": 0 if ksp else 1,
        "provider_class": "ksp" if ksp else "csp",
        "flags": 32,
        "machine_keyset": True,
        "keyspec": 0 if ksp else 1,
        "exportable": True,
        "state": "ok",
        "tests": ("encryption-passed",),
        "acl_sddl": "D:PAI(A;;GAGR;;;BA)(A;;GAGR;;;SY)",
    }
    base.update(fields)
    return Key(**base)


def certificate(thumbprint: str, path: str = DUMP, line: int = 1, **fields: Any) -> Certificate:
    """A certificate with only what is given (a listing or a file shows little)."""
    base: dict[str, Any] = {"index": None, "store": "my", "user_store": False}
    base.update(fields)
    return Certificate(thumbprint=thumbprint, source=Source(path, line), **base)


def cert(name: str = "www", line: int = 2, **fields: Any) -> Certificate:
    """A dumped machine certificate for ``name``.contoso.com with a healthy CSP key."""
    base: dict[str, Any] = {
        "index": 0,
        "store": "my",
        "user_store": False,
        "thumbprint": thumb(name),
        "subject": f"CN={name}.contoso.com",
        "issuer": "CN=Contoso CA",
        "not_before": "1/14/2025 9:12 AM",
        "not_after": "1/14/2027 9:22 AM",
        "valid_from": "2025-01-14T09:12:00",
        "valid_to": "2027-01-14T09:22:00",
        "eku": (SERVER_AUTH,),
        "san": (f"DNS Name={name}.contoso.com",),
        "key": key(),
        "source": Source(DUMP, line),
    }
    base.update(fields)
    return Certificate(**base)


def event(
    event_id: int = 36870, record: int = 100, time: str = "2025-06-01T10:00:00Z", **data: Any
) -> Event:
    """A Schannel event of the System log; keyword arguments are its event data."""
    fields = data or {"Type": "server", "ErrorCode": "0x8009030d", "ErrorStatus": 10001}
    return Event(
        provider="Schannel",
        event_id=event_id,
        time=time,
        record_id=record,
        computer="IIS01",
        level=2,
        role=fields.get("Type") if fields.get("Type") in ("server", "client") else None,
        data=fields,
        channel="System",
        source=Source(LOG, record=record),
    )


def dump(*certs: Certificate, path: str = DUMP) -> ReadResult:
    return ReadResult(path, "certutil", certificates=list(certs))


def log(*events: Event, os: OsInfo | None = None, path: str = LOG) -> ReadResult:
    return ReadResult(
        path,
        "evtx",
        events=list(events),
        coverage=Coverage(channel="System", records=len(events), os=os),
    )


def every_step(diagnosis: Any) -> list[str]:
    """The text of every step of every fix plan of a diagnosis, plan after plan."""
    return [step.text for plan in diagnosis.remediation_plans for step in plan.steps]
