"""Copy-ready fix steps, filled in with the real thumbprint, store, container and key file.

Commands are for an elevated prompt on the server. ACL changes use SIDs (language-independent),
save the current ACL first, and never use ``/reset`` or a blind ``/t``.
"""

from __future__ import annotations

from analyzer.knowledge.quoting import cmd_word, inf_entry, inf_entry_text, inf_string
from analyzer.model import Certificate, Key
from analyzer.rulekit.keys import SCHANNEL_PROVIDER, key_file_path, key_folder, store_of
from analyzer.visible import visible

SYSTEM_SID = "*S-1-5-18"
ADMINISTRATORS_SID = "*S-1-5-32-544"
REBIND = (
    "In IIS Manager, edit the site's https binding and select the certificate again "
    "(or re-run the `netsh http add sslcert ...` that failed)."
)


def cert_id(cert: Certificate) -> str:
    """What certutil takes to name the certificate: its thumbprint, else its serial number
    (quoted for cmd.exe when it is not a plain word)."""
    given = cert.thumbprint or cert.serial
    return cmd_word(given, "serial number") if given else "<thumbprint>"


def _store(cert: Certificate) -> str:
    return cmd_word(store_of(cert), "store name")


def verify(cert: Certificate) -> str:
    return f"certutil -v -store {_store(cert)} {cert_id(cert)}"


def pfx_name(cert: Certificate) -> str:
    given = cert.thumbprint or cert.serial or ""
    # %TEMP% must expand, so the name part is a plain word or a fixed one, never quoted.
    return f"%TEMP%\\{given if cmd_word(given) == given else 'certificate'}.pfx"


def import_keyexchange(cert: Certificate, pfx: str | None = None) -> str:
    return (
        f'certutil -p "<PFX password>" -csp "{SCHANNEL_PROVIDER}" -importPFX '
        f"{_store(cert)} {pfx or pfx_name(cert)} AT_KEYEXCHANGE"
    )


def reimport_exportable(cert: Certificate) -> list[str]:
    """Export the certificate with its key, remove it, import it back with AT_KEYEXCHANGE."""
    return [
        f'certutil -exportPFX -p "<new PFX password>" {_store(cert)} {cert_id(cert)} '
        f"{pfx_name(cert)}",
        f"certutil -delstore {_store(cert)} {cert_id(cert)}",
        import_keyexchange(cert),
        f"{verify(cert)}   (expect: KeySpec = 1 -- AT_KEYEXCHANGE)",
        REBIND,
    ]


def repair_ksp_keyspec(cert: Certificate, key: Key) -> list[str]:
    """A KSP key's KeySpec is only a property of the certificate's link: rewrite it to 0."""
    container = key.container or key.unique_container or "<Key Container from the dump>"
    flags = key.flags if key.flags is not None else (32 if key.machine_keyset is not False else 0)
    provider = key.provider or "Microsoft Software Key Storage Provider"
    inf = "\n".join(
        [
            "[Properties]",
            '2 = "{text}"',
            f'_continue_ = "{inf_entry_text("Container = " + container, "Key Container")}&"',
            f'_continue_ = "{inf_entry_text("Provider = " + provider, "Provider")}&"',
            f'_continue_ = "Flags = {flags}&"',
            '_continue_ = "KeySpec = 0"',
        ]
    )
    return [
        f"Save this as %TEMP%\\KeySpec0.inf:\n{inf}",
        f"certutil -repairstore {_store(cert)} {cert_id(cert)} %TEMP%\\KeySpec0.inf",
        f"{verify(cert)}   (expect: KeySpec = 0)",
        REBIND,
    ]


def san_entries(cert: Certificate) -> list[str]:
    """SAN values in certreq's `_continue_` syntax (dns=, ipaddress=)."""
    out = []
    for value in cert.san or ():
        name, sep, rest = value.partition("=")
        if not sep:
            name, sep, rest = value.partition(":")
        kind = name.strip().lower().replace(" ", "")
        if kind in ("dnsname", "dns"):
            out.append(f"dns={rest.strip()}")
        elif kind in ("ipaddress", "ip"):
            out.append(f"ipaddress={rest.strip()}")
    return out


def new_request(cert: Certificate) -> list[str]:
    """A new key pair and request with the SChannel provider and KeySpec 1."""
    subject = inf_string(cert.subject or "CN=<host name>", "Subject")
    lines = [
        "[NewRequest]",
        f'Subject = "{subject}"',
        "KeySpec = 1",
        "KeyLength = 2048",
        "Exportable = TRUE",
        "MachineKeySet = TRUE",
        f'ProviderName = "{SCHANNEL_PROVIDER}"',
        "ProviderType = 12",
        "KeyUsage = 0xa0",
        "RequestType = PKCS10",
        "[EnhancedKeyUsageExtension]",
        "OID = 1.3.6.1.5.5.7.3.1",
    ]
    sans = [entry for entry in map(inf_entry, san_entries(cert)) if entry is not None]
    left_out = [s for s in san_entries(cert) if inf_entry(s) is None]
    # A SAN certreq's extension text cannot carry ('&' separates its entries) is left out,
    # said in an INF comment, with its control characters written visibly.
    lines += [f"; left out (add it by hand): {visible(s)}" for s in left_out]
    if sans:
        lines += ["[Extensions]", '2.5.29.17 = "{text}"']
        lines += [f'_continue_ = "{s}&"' for s in sans[:-1]]
        lines.append(f'_continue_ = "{sans[-1]}"')
    return [
        "Save this as %TEMP%\\request.inf:\n" + "\n".join(lines),
        "certreq -new %TEMP%\\request.inf %TEMP%\\request.req",
        "Submit %TEMP%\\request.req to the certificate authority, then: "
        "certreq -accept <issued certificate>.cer",
        "certutil -v -store my <new thumbprint>   (expect: KeySpec = 1 -- AT_KEYEXCHANGE)",
        REBIND.replace("select the certificate again", "select the new certificate"),
    ]


def fix_key_permissions(cert: Certificate, key: Key, folder_denied: bool) -> list[str]:
    """Give SYSTEM (and Administrators) back access to the key file, saving the ACL first."""
    steps = []
    folder = key_folder(key)  # ours, with %ProgramData% to expand: quoted, never escaped
    path = key_file_path(key)  # + a key file name the reader matched as <32 hex>_<GUID>
    if folder_denied:
        steps.append(f'icacls "{folder}" /save "%TEMP%\\keyfolder-acl.txt"')
    if path:
        steps += [
            f'icacls "{path}" /save "%TEMP%\\keyfile-acl.txt"',
            f'icacls "{path}" /remove:d {SYSTEM_SID}',
            f'icacls "{path}" /grant {SYSTEM_SID}:F {ADMINISTRATORS_SID}:F',
        ]
    else:
        steps.append(
            f"{verify(cert)}   (find the key file: the `Unique container name` or the "
            f"`Key Container` of the form <32 hex>_<machine GUID> under {folder})"
        )
    if folder_denied:
        steps += [
            f'icacls "{folder}" /remove:d {SYSTEM_SID}',
            f'icacls "{folder}" /grant {SYSTEM_SID}:F {ADMINISTRATORS_SID}:F',
        ]
    steps.append(
        f'certutil -repairstore {_store(cert)} {cert_id(cert)} "D:PAI(A;;GA;;;BA)(A;;GA;;;SY)"'
        "   (alternative: sets the key's own security descriptor)"
    )
    steps += [f"{verify(cert)}   (expect: Allow Full Control NT AUTHORITY\\SYSTEM)", REBIND]
    return steps
