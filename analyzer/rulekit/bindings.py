"""What the binding rules share: a binding's store, the stores the case covers, a binding quoted as
evidence (the netsh commands that re-point a binding are fix steps: `analyzer.rulekit.remedies`)."""

from __future__ import annotations

from analyzer.case import Case
from analyzer.model import Binding, Evidence

IIS_STORES = frozenset({"my", "webhosting"})
# The netsh reader's warning for `SSL Certificate add failed, Error: 1312`.
ADD_FAILED = "error 1312"


def binding_store(binding: Binding) -> str:
    """netsh prints `My`/`MY`, IIS `My`/`WebHosting`; no store shown means `MY`."""
    return (binding.store or "my").strip().lower()


def covered_stores(case: Case) -> set[str]:
    """Machine stores whose content the case shows (a dump or a PowerShell listing of them)."""
    return {c.store.lower() for c in case.certificates if c.user_store is not True and c.store}


def binding_evidence(binding: Binding) -> Evidence:
    where = f"site {binding.site}" if binding.site else binding.origin
    return Evidence(
        f"{binding.origin}: {binding.endpoint} ({where}) uses certificate "
        f"{binding.certificate_hash} in store {binding.store or 'MY'}",
        binding.source,
    )
