"""WinRM over HTTPS: the HTTPS listener's ``CertificateThumbprint`` (``winrm enumerate
winrm/config/listener``, ``Get-WSManInstance``, the ``WSMan:`` drive) names its certificate, taken
from the machine's My store ("How to configure WINRM for HTTPS": a local computer Server
Authentication certificate,
https://learn.microsoft.com/troubleshoot/windows-client/system-management-components/configure-winrm-for-https).

WinRM serves HTTPS through HTTP.sys: the binding it makes for the listener (``netsh http show
sslcert``, port 5986) is named ``winrm`` by `analyzer.servicemap.httpsys` too, so a certificate
seen both as the listener's and as that binding is one service. WinRM logs no failure event of
its own for an unusable key: HTTP.sys's Schannel 36870 (SYSTEM (PID: 4)) is the failure.
"""

from __future__ import annotations

from analyzer.case import Case
from analyzer.knowledge import services as known
from analyzer.model import Evidence, WinRmCommandError, WinRmListener
from analyzer.servicemap.base import ConfiguredCertificate

FAILURE_EVENTS: dict[str, tuple[tuple[str, int], ...]] = {}
WINRM_STORES = ("my",)


def https_listeners(case: Case) -> list[WinRmListener]:
    """The HTTPS listeners of the case (enabled or not said; a disabled one serves nothing)."""
    return [
        listener
        for listener in case.records(WinRmListener)
        if listener.transport == "HTTPS" and listener.enabled is not False
    ]


def listener_port(listener: WinRmListener) -> int:
    return listener.port if listener.port is not None else known.WINRM_HTTPS_PORT


def listener_endpoints(case: Case) -> frozenset[tuple[str, int]]:
    """(thumbprint, port) of every HTTPS listener naming a readable thumbprint."""
    return frozenset(
        (listener.certificate_thumbprint, listener_port(listener))
        for listener in https_listeners(case)
        if listener.certificate_thumbprint
    )


def configured(case: Case) -> list[ConfiguredCertificate]:
    out: list[ConfiguredCertificate] = []
    for listener in https_listeners(case):
        thumbprint = listener.certificate_thumbprint
        if thumbprint is None and listener.thumbprint_text is None:
            continue  # the WSMan: container row: no thumbprint shown
        shown = thumbprint or listener.thumbprint_text
        host = f", Hostname {listener.hostname}" if listener.hostname else ""
        out.append(
            ConfiguredCertificate(
                known.WINRM,
                thumbprint,
                WINRM_STORES,
                Evidence(
                    f"the WinRM HTTPS listener (port {listener_port(listener)}{host}) is "
                    f"configured with certificate {shown}",
                    listener.source,
                    f"CertificateThumbprint = {shown}",
                ),
            )
        )
    return out


def named(case: Case) -> tuple[str, ...]:
    """WinRM is named by a fault a pasted winrm command printed (0x80338115: no certificate for
    the HTTPS listener), even when no listener is configured."""
    return (known.WINRM,) if case.records(WinRmCommandError) else ()
