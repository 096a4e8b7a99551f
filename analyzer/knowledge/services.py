"""The Windows services that load a machine-store TLS key: their ids, service names, the account
each runs as by default, and where each names its certificate. Data, usable by readers and rules.

Ids are what ``diagnoses[].service`` and ``correlation.services[]`` hold (docs/analyze.md):

- ``iis``: an IIS site (applicationHost.config) or a netsh binding owned by IIS's application id;
- ``http.sys``: an HTTP.sys binding whose owner is not identified (WinRM HTTPS, AD FS and any
  ``netsh http`` binding are HTTP.sys bindings too);
- ``rdp``: Remote Desktop (TermService);
- ``winrm``: WinRM's HTTPS listener (``winrm enumerate winrm/config/listener``) and the HTTP.sys
  binding WinRM makes for it: LocalSystem opens the key (`HTTP_SYS_SERVICES`);
- ``sqlserver``: SQL Server's Database Engine, per instance (``MSSQLSERVER``, ``MSSQL$<name>``);
- ``adfs``: AD FS (``adfssrv``): its HTTP.sys bindings (SSL, opened as LocalSystem) and its
  token-signing, token-decrypting and service-communications certificates, whose keys its own
  account reads (``analyzer.servicemap.adfs``);
- ``exchange``: Exchange's certificates by the services they are enabled for
  (``analyzer.servicemap.exchange``); the SMTP certificate's key is read by the Transport
  service's account (Network Service).

Accounts: HTTP.sys loads the key in lsass as LocalSystem ("LocalSystem Account",
https://learn.microsoft.com/windows/win32/services/localsystem-account). TermService runs in
``svchost.exe -k NetworkService`` as NETWORK SERVICE (``sc qc TermService`` shows
``SERVICE_START_NAME : NT Authority\\NetworkService``; "NetworkService Account",
https://learn.microsoft.com/windows/win32/services/networkservice-account), and Microsoft's RDP
troubleshooting page grants ``NT AUTHORITY\\NETWORK SERVICE:(R)`` on MachineKeys for its 1057 /
1058 / 36870 failures ("Troubleshoot Azure VM RDP connection issues by Event ID",
https://learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/event-id-troubleshoot-vm-rdp-connecton).
SQL Server's default is its virtual account ``NT SERVICE\\MSSQLSERVER`` ("Configure Windows
service accounts and permissions",
https://learn.microsoft.com/sql/database-engine/configure-windows/configure-windows-service-accounts-and-permissions).
"""

from __future__ import annotations

from dataclasses import dataclass

IIS = "iis"
HTTP_SYS = "http.sys"
RDP = "rdp"
SQL_SERVER = "sqlserver"
WINRM = "winrm"
ADFS = "adfs"
EXCHANGE = "exchange"

# IIS's application id on the HTTP.sys bindings it makes (appcmd / IIS Manager): the
# "Application ID" netsh prints for a site binding ("netsh http" page's examples use it).
IIS_APP_ID = "4dc3e181-e14b-4a21-b022-59fc669b0914"

# WinRM over HTTPS: WinRM makes an HTTP.sys binding for its HTTPS listener's CertificateThumbprint
# (port 5986 by default: "Installation and configuration for Windows Remote Management",
# https://learn.microsoft.com/windows/win32/winrm/installation-and-configuration-for-windows-remote-management),
# so Schannel opens its key in lsass as LocalSystem, whatever account the WinRM service runs as
# (what `sc qc WinRM` shows is the service's own account, not the key's reader). The application
# id netsh shows on that binding is not documented by Microsoft; public netsh outputs of WinRM HTTPS listeners and configuration tools that
# recreate WinRM's binding (Criteo's winrm-config cookbook) show this one. The listener's own
# thumbprint and port identify the binding without it.
WINRM_APP_ID = "afebb9ad-9b97-4a91-9ab5-daf4d59122f6"
WINRM_HTTPS_PORT = 5986
# Services whose certificate is an HTTP.sys binding: Schannel opens the key as LocalSystem.
HTTP_SYS_SERVICES = frozenset({IIS, HTTP_SYS, WINRM})
# AD FS's application id on the HTTP.sys bindings it makes ("Users can't sign in by using AD FS
# from inside the corporate network": "{5d89a20c-beab-4389-9447-324788eb944a} - AD FS App ID",
# https://learn.microsoft.com/troubleshoot/windows-server/active-directory/ad-fs-tshoot-corpnet-sign-in).
ADFS_APP_ID = "5d89a20c-beab-4389-9447-324788eb944a"
# The SCM name of the AD FS service; Microsoft's page above grants `NT SERVICE\adfssrv` read on
# the service-communications key, so the service's token holds that service SID beside its
# logon account (often a gMSA, chosen at configuration: AD FS has no default account).
ADFS_SERVICE = "adfssrv"
ADFS_PAGE = (
    "https://learn.microsoft.com/troubleshoot/windows-server/active-directory/"
    "ad-fs-tshoot-corpnet-sign-in"
)

# Exchange: the Microsoft Exchange Transport service (MSExchangeTransport) runs as Network
# Service, the Frontend Transport service (MSExchangeFrontEndTransport) as Local System
# ("Overview of Exchange services on Exchange servers", security context column); both log
# 12014 / 12013 for their SMTP certificate. OWA and ECP are IIS sites: HTTP.sys bindings.
EXCHANGE_TRANSPORT_SERVICE = "msexchangetransport"
EXCHANGE_FRONTEND_SERVICE = "msexchangefrontendtransport"
EXCHANGE_PAGE = (
    "https://learn.microsoft.com/exchange/plan-and-deploy/deployment-ref/services-overview"
)

# Application ids netsh shows on HTTP.sys bindings -> the service that made the binding.
HTTP_SYS_APP_IDS: dict[str, str] = {IIS_APP_ID: IIS, ADFS_APP_ID: ADFS}

# Where Remote Desktop names the certificate it uses for TLS: the RDP-Tcp listener's
# SSLCertificateSHA1Hash (REG_BINARY, the thumbprint), as Microsoft's RDP troubleshooting page
# reads it with `reg query ... /v SSLCertificateSHA1Hash`; the Win32_TSGeneralSetting class
# exposes the same value ("Win32_TSGeneralSetting class",
# https://learn.microsoft.com/windows/win32/termserv/win32-tsgeneralsetting).
RDP_TCP_KEY = (
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp"
)
RDP_HASH_VALUE = "SSLCertificateSHA1Hash"
# The store TermService keeps its self-signed certificate in (certutil -store "Remote Desktop");
# a configured certificate sits in the machine's My store.
RDP_STORES = ("my", "remote desktop")


# SQL Server names its certificate in the registry of each instance: the SuperSocketNetLib key's
# ``Certificate`` (REG_SZ, the thumbprint as SQL Server Configuration Manager writes it: hex digits,
# either case; empty when none is configured) and ``ForceEncryption`` (REG_DWORD) ("Configure SQL
# Server Database Engine for encrypting connections",
# https://learn.microsoft.com/sql/database-engine/configure-windows/configure-sql-server-encryption).
# The instance id (``MSSQL16.MSSQLSERVER``, ``MSSQL15.SALES``) ends in the instance name; the
# default instance's service is MSSQLSERVER, a named instance's ``MSSQL$<name>``, whose virtual
# account is ``NT SERVICE\MSSQLSERVER`` / ``NT SERVICE\MSSQL$<name>`` ("Configure Windows service
# accounts and permissions"). It takes the certificate from the local computer's Personal (My)
# store or the service account's own store ("Certificate requirements for SQL Server").
SQL_KEY_PREFIX = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\"
SQL_KEY_SUFFIX = "\\MSSQLServer\\SuperSocketNetLib"
SQL_CERTIFICATE_VALUE = "Certificate"
SQL_FORCE_ENCRYPTION_VALUE = "ForceEncryption"
SQL_DEFAULT_INSTANCE = "MSSQLSERVER"
SQL_STORES = ("my",)


def sql_instance_of_id(instance_id: str) -> str:
    """``MSSQL15.SALES`` -> ``SALES``; ``MSSQL16.MSSQLSERVER`` -> ``MSSQLSERVER``; an id without
    the version part is taken as the name itself (upper case, as the SCM folds it)."""
    _, _, name = instance_id.strip().partition(".")
    return (name or instance_id).strip().upper()


def sql_service_name(instance: str | None) -> str:
    """The SCM name of an instance's Database Engine service: ``MSSQLSERVER`` or ``MSSQL$SALES``."""
    name = (instance or SQL_DEFAULT_INSTANCE).strip().upper()
    return name if name == SQL_DEFAULT_INSTANCE else f"MSSQL${name}"


def sql_instance_of_service(service_name: str) -> str | None:
    """``MSSQL$SALES`` -> ``SALES``, ``MSSQLSERVER`` -> ``MSSQLSERVER``; None for another name."""
    folded = service_name.strip().upper()
    if folded == SQL_DEFAULT_INSTANCE:
        return folded
    if folded.startswith("MSSQL$") and len(folded) > 6:
        return folded[6:]
    return None


@dataclass(frozen=True)
class ServiceInfo:
    id: str
    display: str  # as the report says it
    service_names: tuple[str, ...]  # SCM key names (sc qc <name>, Win32_Service.Name), folded
    default_account: str  # as sc qc prints the default StartName; "": none documented
    default_sid: str | None  # None: the account's SID depends on the instance
    page: str  # the Microsoft page naming that account
    # The service SID (NT SERVICE\<name>) its process token holds beside its account, when a
    # Microsoft page grants it on the key (AD FS); None: not relied on.
    service_sid_of: str | None = None


SERVICES: dict[str, ServiceInfo] = {
    info.id: info
    for info in (
        ServiceInfo(
            IIS,
            "IIS (HTTP.sys)",
            ("w3svc", "was"),
            "LocalSystem",
            "S-1-5-18",
            "https://learn.microsoft.com/windows/win32/services/localsystem-account",
        ),
        ServiceInfo(
            HTTP_SYS,
            "HTTP.sys",
            ("http",),
            "LocalSystem",
            "S-1-5-18",
            "https://learn.microsoft.com/windows/win32/services/localsystem-account",
        ),
        ServiceInfo(
            RDP,
            "Remote Desktop Services",
            ("termservice",),
            "NT Authority\\NetworkService",
            "S-1-5-20",
            "https://learn.microsoft.com/windows/win32/services/networkservice-account",
        ),
        ServiceInfo(
            SQL_SERVER,
            "SQL Server",
            ("mssqlserver",),
            "NT Service\\MSSQLSERVER",
            "S-1-5-80-3880718306-3832830129-1677859214-2598158968-1052248003",
            "https://learn.microsoft.com/sql/database-engine/configure-windows/"
            "configure-windows-service-accounts-and-permissions",
        ),
        ServiceInfo(
            WINRM,
            "WinRM (HTTP.sys)",
            # No SCM name: whatever account the WinRM service runs as, its HTTPS key is opened by
            # HTTP.sys as LocalSystem; its sc qc line must not stand for the key's account.
            (),
            "LocalSystem",
            "S-1-5-18",
            "https://learn.microsoft.com/windows/win32/services/localsystem-account",
        ),
        ServiceInfo(ADFS, "AD FS", (ADFS_SERVICE,), "", None, ADFS_PAGE, ADFS_SERVICE),
        ServiceInfo(
            EXCHANGE,
            "Exchange Transport",
            (EXCHANGE_TRANSPORT_SERVICE,),
            "NT Authority\\NetworkService",
            "S-1-5-20",
            EXCHANGE_PAGE,
        ),
    )
}
# Every id the contract allows (those without a ServiceInfo have no default account here yet).
SERVICE_IDS: tuple[str, ...] = (IIS, HTTP_SYS, RDP, SQL_SERVER, WINRM, ADFS, EXCHANGE)
# A service's own key name -> its id ("TermService" -> "rdp"); SQL Server named instances too.
_BY_NAME = {name: info.id for info in SERVICES.values() for name in info.service_names}


def service_id(service_name: str) -> str | None:
    """The id of a service named as the SCM names it (``TermService``, ``MSSQL$SALES``)."""
    folded = service_name.strip().casefold()
    if folded.startswith("mssql$"):
        return SQL_SERVER
    return _BY_NAME.get(folded)


def display(service: str) -> str:
    info = SERVICES.get(service)
    return info.display if info else service
