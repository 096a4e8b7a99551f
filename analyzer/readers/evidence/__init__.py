"""Readers of the evidence beside certutil dumps and event logs: icacls, Process Monitor, netsh,
applicationHost.config, PowerShell certificate listings, folder listings (dir, Get-ChildItem),
process listings (tasklist /v, Get-Process -IncludeUserName), certificate files, registry values
(reg query, Get-ItemProperty) and service accounts (sc qc, Win32_Service), SQL Server's ERRORLOG.

Importing this package registers every one of them (the registry imports it, see
`analyzer.readers.registry`)."""

from analyzer.readers.evidence import (
    certfile,
    dirlist,
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
)

__all__ = [
    "certfile",
    "dirlist",
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
]
