"""The public pages the rules rest on, one constant per page; a rule names the ones it relies on.

Every page here was read (in the project's stored copy of Microsoft Learn / the IIS support blog)
for the fact noted beside it. A diagnosis lists its rule's pages as ``references`` in the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

# Hosts of Microsoft's own documentation; a rule must cite at least one page on them.
MICROSOFT_DOCS = frozenset({"learn.microsoft.com", "support.microsoft.com"})


@dataclass(frozen=True)
class Page:
    title: str
    url: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def is_microsoft_docs(self) -> bool:
        return self.host in MICROSOFT_DOCS


# IIS Support Blog: 0x80070520 on adding a binding is 36870 0x8009030d; scenario 1 (non-exportable
# import), 2 (MachineKeys permissions), 3 (KeySpec 2).
IIS_0X80070520 = Page(
    "Error HRESULT: 0x80070520 when adding SSL binding in IIS (IIS Support Blog)",
    "https://techcommunity.microsoft.com/t5/iis-support-blog/error-hresult-0x80070520-when-adding-ssl-binding-in-iis/ba-p/377281",
)
# dwKeySpec of CERT_KEY_PROV_INFO: AT_KEYEXCHANGE / AT_SIGNATURE; the property 36869 says is missing.
KEY_PROV_INFO = Page(
    "CRYPT_KEY_PROV_INFO structure (wincrypt.h)",
    "https://learn.microsoft.com/windows/win32/api/wincrypt/ns-wincrypt-crypt_key_prov_info",
)
# KeySpec 1 for a CSP key used for SSL, 0 for a CNG key, 2 (AT_SIGNATURE) signing only; the most
# common misconfiguration is 2; read it with `certutil -v -store my`.
ADFS_KEYSPEC = Page(
    "AD FS and certificate KeySpec property information",
    "https://learn.microsoft.com/windows-server/identity/ad-fs/technical-reference/ad-fs-and-keyspec-property",
)
# A KSP key's KeySpec is expected to be 0; 2 -> 0 with an INF and `certutil -repairstore`.
KSP_KEYSPEC_REPAIR = Page(
    "CA certificate renewal with the existing key pair fails when using a KSP provider",
    "https://learn.microsoft.com/troubleshoot/windows-server/certificates-and-public-key-infrastructure-pki/ca-certificate-renewal-fails-existing-key-pair",
)
CERTUTIL = Page(
    "certutil (Windows commands)",
    "https://learn.microsoft.com/windows-server/administration/windows-commands/certutil",
)
CERTREQ = Page(
    "certreq (Windows commands)",
    "https://learn.microsoft.com/windows-server/administration/windows-commands/certreq_1",
)
# KB 278381: the default permissions of RSA\MachineKeys (Administrators full control, Everyone
# special, this folder only).
MACHINEKEYS_DEFAULTS = Page(
    "Default permissions for the MachineKeys folders",
    "https://learn.microsoft.com/troubleshoot/windows-server/windows-security/default-permissions-machinekeys-folders",
)
# "By default, Windows grants traverse privilege to all users" (SeChangeNotifyPrivilege): opening a
# file by its path does not need rights on the folders above it.
TRAVERSE_PRIVILEGE = Page(
    "Checking for Traverse Privilege on IRP_MJ_CREATE",
    "https://learn.microsoft.com/windows-hardware/drivers/ifs/checking-for-traverse-privilege-on-irp-mj-create",
)
# The access check: ACEs in stored order, deny before the rights are granted shuts the caller out.
DACL_ACCESS = Page(
    "How DACLs Control Access to an Object",
    "https://learn.microsoft.com/windows/win32/secauthz/how-dacls-control-access-to-an-object",
)
# LocalSystem's token holds NT AUTHORITY\SYSTEM and BUILTIN\Administrators.
LOCAL_SYSTEM = Page(
    "LocalSystem Account",
    "https://learn.microsoft.com/windows/win32/services/localsystem-account",
)
# Where CSP (RSA\MachineKeys) and CNG (Crypto\Keys) machine keys are stored; CryptoAPI keys moved
# or copied to another machine (USMT) cannot be opened by CNG there.
KEY_STORAGE = Page(
    "Key Storage and Retrieval (CNG)",
    "https://learn.microsoft.com/windows/win32/seccng/key-storage-and-retrieval",
)
# The CNG KSP's UniqueContainerName is the name of the encrypted file that holds the key.
UNIQUE_CONTAINER_NAME = Page(
    "IX509PrivateKey::get_UniqueContainerName (certenroll.h)",
    "https://learn.microsoft.com/windows/win32/api/certenroll/nf-certenroll-ix509privatekey-get_uniquecontainername",
)
ICACLS = Page(
    "icacls (Windows commands)",
    "https://learn.microsoft.com/windows-server/administration/windows-commands/icacls",
)
# SCHANNEL\Protocols\<version>\Server: Enabled / DisabledByDefault.
TLS_REGISTRY = Page(
    "Transport Layer Security (TLS) registry settings",
    "https://learn.microsoft.com/windows-server/security/tls/tls-registry-settings",
)
# netsh http add/delete/show sslcert: ipport, hostnameport, ccs, certhash, appid, certstorename.
NETSH_HTTP = Page(
    "netsh http (Windows Server networking)",
    "https://learn.microsoft.com/windows-server/networking/technologies/netsh/netsh-http",
)
# 36870 0x8009030D / 10001: wrong permissions on MachineKeys or the RSA files, or a corrupted or
# missing RSA key; 36871 10013: older TLS versions disabled by policy. For Remote Desktop: 1057
# (failed to create a new self-signed certificate, e.g. "Keyset does not exist"), 1058 (failed to
# replace the expired one, e.g. "Access is denied."); the certificate is read with `reg query
# "HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp" /v
# SSLCertificateSHA1Hash`; the fix saves the ACLs, grants "NT AUTHORITY\NETWORK SERVICE:(R)" and
# runs `Restart-Service TermService -Force`.
SCHANNEL_EVENT_CAUSES = Page(
    "Troubleshoot Azure VM RDP connection issues by Event ID (Schannel 36870, 36871)",
    "https://learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/event-id-troubleshoot-vm-rdp-connecton",
)
# ERROR_NO_SUCH_LOGON_SESSION 1312 (0x520): the error netsh prints and 0x80070520 wraps.
SYSTEM_ERRORS_1300 = Page(
    "System Error Codes (1300-1699)",
    "https://learn.microsoft.com/windows/win32/debug/system-error-codes--1300-1699-",
)
# Windows IT Pro Blog: disabled TLS 1.0/1.1 shows as Schannel 36871 with internal state 10013.
TLS_1_0_1_1_DISABLED = Page(
    "TLS 1.0 and TLS 1.1 soon to be disabled in Windows (Windows IT Pro Blog)",
    "https://techcommunity.microsoft.com/t5/windows-it-pro-blog/tls-1-0-and-tls-1-1-soon-to-be-disabled-in-windows/ba-p/3887947",
)
# Web Topics blog (Microsoft): 36870 with 0x80090016 (NTE_BAD_KEYSET) after a server certificate
# installed in the user store was dragged to the Local Machine store: the key stayed behind in
# the user's profile.
SSL_STOPS_WORKING_IIS7 = Page(
    "SSL stops working in IIS7 (Web Topics blog archive)",
    "https://learn.microsoft.com/archive/blogs/webtopics/ssl-stops-working-in-iis7",
)
# .NET Framework clients pick their TLS versions from SchUseStrongCrypto and
# SystemDefaultTlsVersions (or the code's SslProtocols / ServicePointManager.SecurityProtocol).
DOTNET_TLS = Page(
    "Transport Layer Security (TLS) best practices with .NET Framework",
    "https://learn.microsoft.com/dotnet/framework/network-programming/tls",
)
# SQL Server requires its certificate to be within Valid from / Valid to and to carry the
# Server Authentication EKU: a service that checks what HTTP.sys does not.
SQL_CERTIFICATE_REQUIREMENTS = Page(
    "Certificate requirements for SQL Server",
    "https://learn.microsoft.com/sql/database-engine/configure-windows/certificate-requirements",
)
# The pages fix steps rest on (each step of a plan names one; the report links it).
# IIS Manager: Site Bindings > Edit > SSL certificate; an https binding is a certificate chosen
# from the machine store.
IIS_SSL_SETUP = Page(
    "How to Set Up SSL on IIS 7 or later",
    "https://learn.microsoft.com/iis/manage/configuring-security/how-to-set-up-ssl-on-iis",
)
# The Windows Server 2008 / 2008 R2 netsh http reference: add, delete and show sslcert, no
# `update` (the current page, NETSH_HTTP, lists `update sslcert`).
NETSH_HTTP_2008 = Page(
    "Netsh Commands for Hypertext Transfer Protocol (HTTP) (Windows Server 2008)",
    "https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2008-R2-and-2008/cc725882(v=ws.10)",
)
REG_QUERY = Page(
    "reg query (Windows commands)",
    "https://learn.microsoft.com/windows-server/administration/windows-commands/reg-query",
)
DIR_COMMAND = Page(
    "dir (Windows commands)",
    "https://learn.microsoft.com/windows-server/administration/windows-commands/dir",
)
DEL_COMMAND = Page(
    "del (Windows commands)",
    "https://learn.microsoft.com/windows-server/administration/windows-commands/del",
)
W32TM = Page(
    "Windows Time service tools and settings (w32tm)",
    "https://learn.microsoft.com/windows-server/networking/windows-time-service/windows-time-service-tools-and-settings",
)
PROCMON = Page(
    "Process Monitor (Sysinternals)",
    "https://learn.microsoft.com/sysinternals/downloads/procmon",
)
# D:, A/D ACEs, SY/BA aliases: what a key's security descriptor string in a -v dump means.
SDDL_FORMAT = Page(
    "Security Descriptor String Format",
    "https://learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format",
)
GET_TLS_CIPHER_SUITE = Page(
    "Get-TlsCipherSuite (TLS module)",
    "https://learn.microsoft.com/powershell/module/tls/get-tlsciphersuite",
)
# NETWORK SERVICE has the rights of Users and Authenticated Users, not of Administrators: a key
# granting only SYSTEM and Administrators is closed to it (Remote Desktop's TermService).
NETWORK_SERVICE_ACCOUNT = Page(
    "NetworkService Account",
    "https://learn.microsoft.com/windows/win32/services/networkservice-account",
)
# Remote Desktop Services Authentication and Encryption (Windows Server 2008 R2 event pages): 1051
# "configured to use SSL with user selected certificate, however, no usable certificate was
# found on the server. The default certificate will be used"; 1055: the private key of the
# configured certificate cannot be accessed.
RDS_AUTHENTICATION_EVENTS = Page(
    "Remote Desktop Services Authentication and Encryption (event IDs 1050-1058)",
    "https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2008-R2-and-2008/ee890993(v=ws.10)",
)
# Win32_TSGeneralSetting.SSLCertificateSHA1Hash: the thumbprint of the certificate the RDP
# listener uses (what `SSLCertificateSHA1Hash` under RDP-Tcp holds).
TS_GENERAL_SETTING = Page(
    "Win32_TSGeneralSetting class",
    "https://learn.microsoft.com/windows/win32/termserv/win32-tsgeneralsetting",
)
# Restart-Service: how a service re-reads its certificate after its key's ACL changed.
RESTART_SERVICE = Page(
    "Restart-Service (Microsoft.PowerShell.Management)",
    "https://learn.microsoft.com/powershell/module/microsoft.powershell.management/restart-service",
)
REG_ADD = Page(
    "reg add (Windows commands)",
    "https://learn.microsoft.com/windows-server/administration/windows-commands/reg-add",
)
# WinRM over HTTPS (issue 17). Support article (KB 2019527): WinRM HTTPS needs a local computer
# Server Authentication certificate with a CN matching the host name, not expired, revoked or
# self-signed; 0x80338115 ("Cannot create a WinRM listener on HTTPS because this machine does not
# have an appropriate certificate...") and what to check in the certificate (Valid from / To, the
# host name as Issued to or a SAN exactly, Server authentication EKU, This certificate is OK);
# `winrm quickconfig -transport:https`, `winrm enumerate winrm/config/listener`.
WINRM_HTTPS = Page(
    "How to configure WINRM for HTTPS",
    "https://learn.microsoft.com/troubleshoot/windows-client/system-management-components/configure-winrm-for-https",
)
# The listener's settings (Address, Transport, Port, Hostname, Enabled, URLPrefix,
# CertificateThumbprint, ListeningOn); `winrm quickconfig -transport:https` makes the HTTPS
# listener (port 5986).
WINRM_CONFIGURATION = Page(
    "Installation and configuration for Windows Remote Management",
    "https://learn.microsoft.com/windows/win32/winrm/installation-and-configuration-for-windows-remote-management",
)
# The WSMan: drive's listener parameters of New-Item: Address, Transport, HostName, Port,
# CertificateThumbPrint, Enabled, URLPrefix.
WSMAN_LISTENER_PARAMETERS = Page(
    "WSManProvidersListenerParameters Class (Microsoft.WSMan.Management)",
    "https://learn.microsoft.com/dotnet/api/microsoft.wsman.management.wsmanproviderslistenerparameters",
)
# Creating an HTTPS listener for a given certificate: `winrm create
# winrm/config/Listener?Address=*+Transport=HTTPS @{Hostname="...";CertificateThumbprint="..."}`
# (Hostname: the name as it appears in the certificate; the thumbprint without spaces).
WINRM_LISTENER_CREATE = Page(
    "Configuration and Security (Windows Remote Management)",
    "https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2003/cc782312(v=ws.10)",
)

# --------------------------------------------------------------------------- AD FS (issue 17)
# Event 387 / 249: "Ensure that the AD FS service account has read permission to the private key
# of all configured certificates"; the token-signing / token-decrypting certificates' keys are
# read by the AD FS service account.
ADFS_CERT_TROUBLESHOOTING = Page(
    "AD FS troubleshooting - certificates",
    "https://learn.microsoft.com/windows-server/identity/ad-fs/troubleshooting/ad-fs-tshoot-certs",
)
# AD FS's application id on its HTTP.sys bindings ({5d89a20c-...}); read access for
# `NT SERVICE\adfssrv` on the service-communications certificate's private key.
ADFS_CORPNET = Page(
    "AD FS troubleshooting - users can't sign in from inside the corporate network",
    "https://learn.microsoft.com/windows-server/identity/ad-fs/troubleshooting/ad-fs-tshoot-corpnet",
)
# AutoCertificateRollover: AD FS generates and renews the token-signing and token-decrypting
# certificates itself; Get-AdfsProperties shows whether it does.
ADFS_TS_TD_CERTS = Page(
    "Obtain and configure TS and TD certificates for AD FS",
    "https://learn.microsoft.com/windows-server/identity/ad-fs/operations/configure-ts-td-certs-ad-fs",
)

# --------------------------------------------------------------------------- Exchange (issue 17)
# Security context per Exchange service: Microsoft Exchange Transport (MSExchangeTransport)
# Network Service, Frontend Transport (MSExchangeFrontEndTransport) Local System.
EXCHANGE_SERVICES = Page(
    "Overview of Exchange services on Exchange servers",
    "https://learn.microsoft.com/exchange/plan-and-deploy/deployment-ref/services-overview",
)
# 12013's text: "If the certificate with this thumbprint still exists in the personal store, run
# Enable-ExchangeCertificate <thumbprint> -Services SMTP"; 12014's text (the same advice) is
# quoted from the event itself.
EXCHANGE_12013 = Page(
    "MSExchangeTransport 12013 (Exchange Server 2010 events)",
    "https://technet.microsoft.com/library/ff985435(v=exchg.141)",
)
ENABLE_EXCHANGE_CERTIFICATE = Page(
    "Enable-ExchangeCertificate (Exchange PowerShell)",
    "https://learn.microsoft.com/powershell/module/exchange/enable-exchangecertificate",
)
# The receive connectors and their Fqdn (the name 12014 says no certificate holds).
GET_RECEIVE_CONNECTOR = Page(
    "Get-ReceiveConnector (Exchange PowerShell)",
    "https://learn.microsoft.com/powershell/module/exchange/get-receiveconnector",
)
SET_RECEIVE_CONNECTOR = Page(
    "Set-ReceiveConnector (Exchange PowerShell)",
    "https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector",
)

# SQL Server (issue 16). The 26014 message and its causes (certificate moved or deleted, the
# service account without permission, expired); 33565 with 26010 0x8009030d: the service account
# has no access to the certificate's key, and the fix grants it; where the instance's certificate
# is configured (SuperSocketNetLib Certificate) and that the service account needs read access
# to the key; the default virtual account NT SERVICE\MSSQLSERVER / NT SERVICE\MSSQL$<instance>.
SQL_26014 = Page(
    "MSSQLSERVER_26014",
    "https://learn.microsoft.com/sql/relational-databases/errors-events/"
    "mssqlserver-26014-database-engine-error",
)
SQL_33565 = Page(
    "Event ID 33565 and SQL Server doesn't start after you enable encryption",
    "https://learn.microsoft.com/troubleshoot/sql/database-engine/startup-shutdown/"
    "event-id-33565-start-sql-server",
)
SQL_CONFIGURE_ENCRYPTION = Page(
    "Configure SQL Server Database Engine for encrypting connections",
    "https://learn.microsoft.com/sql/database-engine/configure-windows/"
    "configure-sql-server-encryption",
)
SQL_SERVICE_ACCOUNTS = Page(
    "Configure Windows service accounts and permissions (SQL Server)",
    "https://learn.microsoft.com/sql/database-engine/configure-windows/"
    "configure-windows-service-accounts-and-permissions",
)
