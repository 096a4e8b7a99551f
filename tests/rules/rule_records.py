"""The one builder of reader records for the rule tests: certificates, keys, events and the
more-evidence inputs (bindings, icacls, procmon, PFX) built in code, and the analysis of them."""

from __future__ import annotations

import hashlib
from typing import Any

from analyzer.case import Case, CaseOptions
from analyzer.correlate import correlate
from analyzer.model import (
    AclEntry,
    Analysis,
    Binding,
    Certificate,
    Coverage,
    Diagnosis,
    Event,
    FileAccess,
    Key,
    OsInfo,
    ReadResult,
    Source,
)
from analyzer.pipeline import analyse_case

SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
CODE_SIGNING = "1.3.6.1.5.5.7.3.3"
CSP = "Microsoft Strong Cryptographic Provider"
KSP = "Microsoft Software Key Storage Provider"
DUMP = "ticket/my.txt"
LOG = "ticket/System.evtx"
MACHINEKEYS = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys"
KEY_FILE = "99247943bd018ca78ef945b82652598d_3ade29bb-f050-41f3-b0db-f2b69957a1d7"  # key() default
KEY_PATH = f"{MACHINEKEYS}\\{KEY_FILE}"
# The KB 278381 defaults of the MachineKeys folder, in a German listing.
DEFAULT_FOLDER = (
    (MACHINEKEYS, "Jeder", "S-1-1-0", ("R", "W")),
    (MACHINEKEYS, "VORDEFINIERT\\Administratoren", "S-1-5-32-544", ("F",)),
)


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


def cert(name: str = "www", line: int = 2, **fields: Any) -> Certificate:
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


def log(*events: Event, os: OsInfo | None = None) -> ReadResult:
    return ReadResult(
        LOG,
        "evtx",
        events=list(events),
        coverage=Coverage(channel="System", records=len(events), os=os),
    )


def analyse(*results: ReadResult, **options: Any) -> Analysis:
    return analyse_case(Case.from_results(list(results), CaseOptions(**options)))


def correlation_of(*results: ReadResult, **options: Any):
    return correlate(Case.from_results(list(results), CaseOptions(**options)))


def netsh(*bindings: Binding) -> ReadResult:
    return ReadResult("sslcert.txt", "netsh-sslcert", bindings=list(bindings))


def binding(thumbprint: str, store: str | None = "My", valid: bool = True) -> Binding:
    return Binding(
        "0.0.0.0:443",
        thumbprint,
        store,
        "{4dc3e181-e14b-4a21-b022-59fc669b0914}",
        hash_valid=valid,
        source=Source("sslcert.txt", 4),
    )


def icacls(*entries: tuple[str, str, str, tuple[str, ...]], allow: bool = True) -> ReadResult:
    """An icacls listing of (path, account, SID, rights) entries, one a line of acl.txt."""
    acls = [
        AclEntry(path, account, sid, rights, allow=allow, source=Source("acl.txt", i + 1))
        for i, (path, account, sid, rights) in enumerate(entries)
    ]
    return ReadResult("acl.txt", "icacls", acls=acls)


def procmon(path: str, result: str, operation: str = "CreateFile", line: int = 5) -> ReadResult:
    """A Process Monitor CSV with one row: lsass.exe doing ``operation`` on ``path``."""
    row = FileAccess(
        "10:00:01", "lsass.exe", 640, operation, path, result, source=Source("pm.csv", line)
    )
    return ReadResult("pm.csv", "procmon-csv", file_access=[row])


def pfx(path: str = "www.pfx") -> ReadResult:
    return ReadResult(path, "pfx")


def ids(analysis: Analysis) -> list[str]:
    return [d.id for d in analysis.diagnoses]


def by_id(analysis: Analysis, rule_id: str) -> list[Diagnosis]:
    return [d for d in analysis.diagnoses if d.id == rule_id]
