"""HTTP.sys bindings (applicationHost.config, ``netsh http show sslcert``): ``iis`` when
applicationHost.config holds the binding or netsh shows IIS's application id on it; ``winrm`` when
netsh shows WinRM's application id, or the binding is the one of a WinRM HTTPS listener (its
CertificateThumbprint on its port); the service whose application id netsh shows
(``known.HTTP_SYS_APP_IDS``: AD FS); else ``http.sys`` (a binding whose owner is not identified).
Every one is opened by HTTP.sys as LocalSystem."""

from __future__ import annotations

from analyzer.case import Case
from analyzer.knowledge import services as known
from analyzer.model import Binding, Evidence
from analyzer.servicemap.base import ConfiguredCertificate
from analyzer.servicemap.winrm import listener_endpoints

# HTTP.sys failures are recognised from the 36870's SSPI client process and HttpEvent 15021
# (servicemap.services_in_case), not from service events of their own.
FAILURE_EVENTS: dict[str, tuple[tuple[str, int], ...]] = {}


def binding_port(binding: Binding) -> int | None:
    port = binding.endpoint.rpartition(":")[2]
    return int(port) if port.isdigit() else None


def binding_service(
    binding: Binding, winrm_endpoints: frozenset[tuple[str, int]] = frozenset()
) -> str:
    """``winrm_endpoints``: (thumbprint, port) of the case's WinRM HTTPS listeners."""
    app_id = (binding.app_id or "").strip("{} ").lower()
    if binding.origin == "applicationHost.config":
        return known.IIS
    if app_id == known.WINRM_APP_ID:
        return known.WINRM
    if (binding.certificate_hash, binding_port(binding)) in winrm_endpoints:
        return known.WINRM
    return known.HTTP_SYS_APP_IDS.get(app_id, known.HTTP_SYS)


def configured(case: Case) -> list[ConfiguredCertificate]:
    winrm_endpoints = listener_endpoints(case)
    return [
        ConfiguredCertificate(
            binding_service(binding, winrm_endpoints),
            binding.certificate_hash,
            ((binding.store or "my").lower(),),
            Evidence(
                f"SSL binding {binding.endpoint} uses certificate {binding.certificate_hash}",
                binding.source,
            ),
            http_sys=True,
            role="SSL",
        )
        for binding in case.bindings
        if binding.hash_valid and binding.certificate_hash
    ]
