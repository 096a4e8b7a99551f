"""Remote Desktop (TermService): the RDP-Tcp listener's ``SSLCertificateSHA1Hash`` (reg query or
Get-ItemProperty) names its certificate; TerminalServices-RemoteConnectionManager 1057 / 1058 say
it could not make or replace one ("Troubleshoot Azure VM RDP connection issues by Event ID",
https://learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/event-id-troubleshoot-vm-rdp-connecton).
"""

from __future__ import annotations

from analyzer.case import Case
from analyzer.knowledge import services as known
from analyzer.knowledge.eventfields import RDP_SERVICES
from analyzer.knowledge.wellknown import fold
from analyzer.model import Evidence, RegistryValue
from analyzer.servicemap.base import ConfiguredCertificate

FAILURE_EVENTS: dict[str, tuple[tuple[str, int], ...]] = {
    known.RDP: ((RDP_SERVICES, 1057), (RDP_SERVICES, 1058)),
}


def rdp_hash_values(case: Case) -> list[RegistryValue]:
    """The RDP-Tcp listener's SSLCertificateSHA1Hash values of the case."""
    return [
        value
        for value in case.records(RegistryValue)
        if fold(value.name) == fold(known.RDP_HASH_VALUE)
        and value.key is not None
        and fold(value.key) == fold(known.RDP_TCP_KEY)
    ]


def configured(case: Case) -> list[ConfiguredCertificate]:
    out: list[ConfiguredCertificate] = []
    for value in rdp_hash_values(case):
        thumbprint = value.binary if value.binary and len(value.binary) == 40 else None
        shown = value.data if len(value.data) <= 60 else value.data[:57] + "..."
        out.append(
            ConfiguredCertificate(
                known.RDP,
                thumbprint,
                known.RDP_STORES,
                Evidence(
                    f"Remote Desktop is configured with certificate {thumbprint or shown} "
                    f"({known.RDP_HASH_VALUE} of RDP-Tcp)",
                    value.source,
                    f"{value.name}    {value.type or ''}    {shown}".replace("        ", "    "),
                ),
            )
        )
    return out
