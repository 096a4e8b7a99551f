"""The customer-side collector: one PowerShell script that gathers what a verdict needs into one
zip with a `manifest.json` (schema `certtriage.collection/1`), and the table of what it writes.

The script is package data (``collector/certtriage-collect.ps1`` in a checkout,
``analyzer/_data/collector/`` in the wheel); `render_script` fills in the version and the
number of days of logs. This module imports nothing from the rest of the package but
`analyzer.resources`, so that any stage (the verdict's "please send", the manifest reader, the
CLI) may use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer import __version__
from analyzer.resources import data_dir

SCHEMA = "certtriage.collection/1"
SCRIPT_NAME = "certtriage-collect.ps1"
MANIFEST_NAME = "manifest.json"
DEFAULT_DAYS = 7
MAX_DAYS = 365
# The one line the customer runs, from an elevated prompt (cmd or PowerShell), beside the script.
# In a file name of the table: the SQL Server instance's name, characters other than A-Z, a-z,
# 0-9, _ and - replaced by _ (the script's `$safe`).
INSTANCE = "<instance>"
RUN_LINE = f"powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\{SCRIPT_NAME}"


@dataclass(frozen=True)
class CollectedFile:
    """One file the script writes into the zip, and the reader kind that must read it.

    ``kind`` None: gathered for the engineer, no certtriage reader reads it yet (no other reader
    may claim it either: tests check both)."""

    name: str
    kind: str | None
    what: str

    @property
    def per_instance(self) -> bool:
        """One file per SQL Server instance: ``<instance>`` in the name stands for its name."""
        return INSTANCE in self.name

    def name_for(self, instance: str) -> str:
        return self.name.replace(INSTANCE, re.sub(r"[^A-Za-z0-9_-]", "_", instance))


COLLECTED_FILES: tuple[CollectedFile, ...] = (
    CollectedFile("certutil-v-store-my.txt", "certutil", "certutil -v -Unicode -store my"),
    CollectedFile(
        "certutil-v-store-remote-desktop.txt",
        "certutil",
        'certutil -v -Unicode -store "Remote Desktop"',
    ),
    CollectedFile(
        "certutil-v-store-webhosting.txt", "certutil", "certutil -v -Unicode -store WebHosting"
    ),
    CollectedFile("System.evtx", "evtx", "wevtutil epl System, the last N days"),
    CollectedFile("Application.evtx", "evtx", "wevtutil epl Application, the last N days"),
    CollectedFile("icacls-machinekeys.txt", "icacls", "icacls of the RSA MachineKeys folder"),
    CollectedFile(
        "icacls-machinekeys-files.txt", "icacls", "icacls of every file in RSA MachineKeys"
    ),
    CollectedFile("icacls-cng-keys.txt", "icacls", "icacls of the CNG Crypto\\Keys folder"),
    CollectedFile("icacls-cng-keys-files.txt", "icacls", "icacls of every file in Crypto\\Keys"),
    CollectedFile("netsh-http-show-sslcert.txt", "netsh-sslcert", "netsh http show sslcert"),
    CollectedFile(
        "applicationHost-sites.config",
        "iis-config",
        "the sites section of applicationHost.config, password attributes removed",
    ),
    CollectedFile(
        "machineguid.txt", "machineguid", "reg query HKLM\\SOFTWARE\\Microsoft\\Cryptography"
    ),
    CollectedFile("services.txt", "service-config", "sc qc of each service certtriage knows"),
    CollectedFile("rdp-certificate.txt", "registry", "reg query RDP-Tcp SSLCertificateSHA1Hash"),
    CollectedFile(
        "sql-certificate.txt", "registry", "reg query SQL Server SuperSocketNetLib Certificate"
    ),
    CollectedFile(
        "winrm-listeners.txt", "winrm", "winrm enumerate winrm/config/listener (WinRM's listeners)"
    ),
    CollectedFile(
        f"sql-errorlog-{INSTANCE}.txt",
        "sql-errorlog",
        "a copy of each SQL Server instance's ERRORLOG (its -e startup parameter), the last 16 MB",
    ),
    CollectedFile(
        f"sql-errorlog-{INSTANCE}-1.txt",
        "sql-errorlog",
        "a copy of each SQL Server instance's ERRORLOG.1 (the start before), the last 16 MB",
    ),
    CollectedFile("adfs-certificates.txt", "adfs", "Get-AdfsCertificate | Format-List *"),
    CollectedFile("adfs-ssl-certificates.txt", "adfs", "Get-AdfsSslCertificate | Format-List"),
    CollectedFile(
        "adfs-properties.txt",
        "adfs",
        "Get-AdfsProperties | Select-Object AutoCertificateRollover | Format-List",
    ),
    CollectedFile("ADFS-Admin.evtx", "evtx", 'wevtutil epl "AD FS/Admin", the last N days'),
    CollectedFile(
        "exchange-certificates.txt", "exchange-certs", "Get-ExchangeCertificate | Format-List"
    ),
    CollectedFile(MANIFEST_NAME, "collection-manifest", "what ran, its exit codes, file hashes"),
)


def script_template() -> str:
    return (data_dir("collector") / SCRIPT_NAME).read_text(encoding="utf-8")


def render_script(days: int = DEFAULT_DAYS) -> str:
    """The script as the customer gets it: CRLF line ends (Notepad-friendly), this version, the
    default number of days of logs (``-Days`` overrides it when the script runs)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1..{MAX_DAYS}, not {days}")
    text = script_template().replace("@VERSION@", __version__).replace("@DAYS@", str(days))
    return text.replace("\r\n", "\n").replace("\n", "\r\n")
