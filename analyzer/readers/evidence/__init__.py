"""Readers of the evidence beside certutil dumps and event logs: icacls, Process Monitor, netsh,
applicationHost.config, PowerShell certificate listings, folder listings (dir, Get-ChildItem),
process listings (tasklist /v, Get-Process -IncludeUserName), certificate files, registry values
(reg query, Get-ItemProperty), service accounts (sc qc, Win32_Service), WinRM listeners and
faults (winrm enumerate, the WSMan: drive, winrm quickconfig), AD FS's and Exchange's
certificate listings (Get-AdfsCertificate, Get-AdfsSslCertificate, Get-ExchangeCertificate),
SQL Server's ERRORLOG.

Importing this package registers every one of them (the registry imports it, see
`analyzer.readers.registry`)."""

from analyzer.readers.evidence import (
    adfs,
    certfile,
    dirlist,
    exchange,
    getacl,
    icacls,
    iisconfig,
    netsh,
    processes,
    procmon,
    pslist,
    registry,
    service_config,
    sql_errorlog,
    winrm,
)

__all__ = [
    "adfs",
    "certfile",
    "dirlist",
    "exchange",
    "getacl",
    "icacls",
    "iisconfig",
    "netsh",
    "processes",
    "procmon",
    "pslist",
    "registry",
    "service_config",
    "sql_errorlog",
    "winrm",
]
