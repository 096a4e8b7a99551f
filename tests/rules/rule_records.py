"""The rule tests' builders: the shared record builders of tests/records.py, plus the
more-evidence inputs (bindings, icacls, procmon, PFX) and the analysis of them."""

from __future__ import annotations

from typing import Any

from analyzer.case import Case, CaseOptions
from analyzer.correlate import correlate
from analyzer.model import (
    AclEntry,
    Analysis,
    Binding,
    Diagnosis,
    FileAccess,
    ReadResult,
    Source,
)
from analyzer.pipeline import analyse_case
from tests.records import (  # noqa: F401 - re-exported for the rule tests
    CODE_SIGNING,
    CSP,
    DUMP,
    KSP,
    LOG,
    SERVER_AUTH,
    cert,
    certificate,
    dump,
    event,
    every_step,
    key,
    log,
    thumb,
)

MACHINEKEYS = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys"
KEY_FILE = "99247943bd018ca78ef945b82652598d_3ade29bb-f050-41f3-b0db-f2b69957a1d7"  # key() default
KEY_PATH = f"{MACHINEKEYS}\\{KEY_FILE}"
# The KB 278381 defaults of the MachineKeys folder, in a German listing.
DEFAULT_FOLDER = (
    (MACHINEKEYS, "Jeder", "S-1-1-0", ("R", "W")),
    (MACHINEKEYS, "VORDEFINIERT\\Administratoren", "S-1-5-32-544", ("F",)),
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
