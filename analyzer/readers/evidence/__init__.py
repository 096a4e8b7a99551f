"""Readers of the evidence beside certutil dumps and event logs: icacls, Process Monitor, netsh,
applicationHost.config, PowerShell certificate listings, folder listings (dir, Get-ChildItem),
process listings (tasklist /v, Get-Process -IncludeUserName), certificate files, registry values
(reg query, Get-ItemProperty), service accounts (sc qc, Win32_Service) and WinRM listeners and
faults (winrm enumerate, the WSMan: drive, winrm quickconfig).

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
    winrm,
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
    "winrm",
]
