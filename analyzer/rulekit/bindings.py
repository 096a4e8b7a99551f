"""What the binding rules share: a binding's store, the stores the case covers, a binding quoted as
evidence, and the netsh commands that re-create a binding."""

from __future__ import annotations

from analyzer.case import Case
from analyzer.knowledge.quoting import cmd_word
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


def netsh_target(binding: Binding) -> str:
    """How netsh names the binding: ``ipport=``, ``hostnameport=`` or ``ccs=``."""
    endpoint = binding.endpoint
    if endpoint.startswith("ccs:"):
        return f"ccs={cmd_word(endpoint[4:])}"
    host = endpoint.rsplit(":", 1)[0]
    if host.startswith("[") or host.replace(".", "").isdigit():
        return f"ipport={cmd_word(endpoint)}"
    return f"hostnameport={cmd_word(endpoint)}"


def netsh_add(binding: Binding, thumbprint: str) -> str:
    """The `netsh http add sslcert` that re-creates this binding with another certificate."""
    target = netsh_target(binding)
    app_id = cmd_word(binding.app_id or "{4dc3e181-e14b-4a21-b022-59fc669b0914}")
    store = cmd_word(binding.store or "MY")
    return f"netsh http add sslcert {target} certhash={thumbprint} appid={app_id} certstorename={store}"
