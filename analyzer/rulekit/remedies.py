"""Fix plans: alternative ordered lists of steps, filled in with the real thumbprint, store and key
file, each step naming the Microsoft page it rests on.

A customer runs what we send as administrator, so every plan must be safe as written:

- the first plan's first step changes nothing it cannot undo (``certutil -repairstore my <id>``
  re-links a certificate to its key and changes nothing else);
- a step that deletes comes after the step that makes it safe: ``-delstore``/``-delkey`` after a
  ``certutil -p ... -dump`` proving the PFX opens (a non-exportable key deleted while its PFX
  does not open is gone for good); ``icacls /remove`` after ``icacls /save`` of the same path; a
  ``-repairstore`` with an SDDL (it replaces the whole DACL) after the current ``-v`` dump is
  saved, and shown beside the current SDDL; ``netsh http delete sslcert`` after ``netsh http show
  sslcert`` is saved;
- ACL repairs add what is missing and remove only the offending deny ACE, never a whole DACL;
- a re-import gets the default key ACL: the accounts the old key ACL granted (named from the
  dump's SDDL) are granted again, and an exported PFX is deleted from %TEMP%;
- paste blocks hold only commands that may run at once: a step done by hand stands between two
  blocks, and a step whose output must be read ends its block;
- one placeholder spelling per value (`PLACEHOLDERS`); values from customer files are quoted for
  the syntax they go into (`analyzer.knowledge.quoting`).
"""

from __future__ import annotations

import re

from analyzer.case import Case
from analyzer.knowledge.acl_defaults import is_key_folder, key_file_name
from analyzer.knowledge.quoting import cmd_word, inf_entry, inf_entry_text, inf_string
from analyzer.knowledge.sddl import parse_sddl
from analyzer.knowledge.tokens import LOCAL_SYSTEM_TOKEN
from analyzer.knowledge.wellknown import ADMINISTRATORS, SYSTEM, display_name
from analyzer.model import Binding, Certificate, FixPlan, FixStep, Key, StepAction
from analyzer.rulekit import references as pages
from analyzer.rulekit.keys import (
    MACHINEKEYS,
    SCHANNEL_PROVIDER,
    key_file_path,
    key_folder,
    store_of,
)
from analyzer.rulekit.references import Page

SYSTEM_SID = "*S-1-5-18"
ADMINISTRATORS_SID = "*S-1-5-32-544"

# Every placeholder a step may hold, one spelling per value: the person replaces it by hand.
THUMBPRINT = "<thumbprint>"  # the certificate the step is about, when the dump has no hash
NEW_THUMBPRINT = "<new thumbprint>"  # the certificate that replaces it
PFX_FILE = "<file.pfx>"  # the PFX the customer has (the original, or the one exported)
PFX_PASSWORD = "<PFX password>"  # that PFX's password (chosen when we export it)
ISSUED_CERTIFICATE = "<issued certificate.cer>"
UNIQUE_CONTAINER = "<Unique container name>"  # of the new key, from the dump after the import
KEY_CONTAINER = "<Key Container>"
HOST_NAME = "<host name>"
ACCOUNT_SID = "<SID>"  # of an account to grant read access to a key
CONNECTOR = "<connector>"  # an Exchange receive connector's identity (Get-ReceiveConnector)
PLACEHOLDERS = (
    ACCOUNT_SID,
    THUMBPRINT,
    NEW_THUMBPRINT,
    PFX_FILE,
    PFX_PASSWORD,
    ISSUED_CERTIFICATE,
    UNIQUE_CONTAINER,
    KEY_CONTAINER,
    HOST_NAME,
    CONNECTOR,
)

GONE_FOR_GOOD = (
    "a non-exportable key deleted while its PFX does not open (wrong file, wrong password, no "
    "private key in it) is gone for good"
)
DEFAULT_APP_ID = "{4dc3e181-e14b-4a21-b022-59fc669b0914}"
# netsh http update sslcert: on the current netsh http page, not on the 2008 / 2008 R2 one;
# Windows Server 2012 is NT 6.2.
UPDATE_SSLCERT_FROM = (6, 2)

_NOTE = re.compile(r"^(?P<command>.+?)\s{3,}\((?P<note>[^\n]*)\)$", re.DOTALL)


# --------------------------------------------------------------------------- steps and plans


def run(text: str, page: Page) -> FixStep:
    """A command that may run together with the commands around it."""
    return FixStep(text, StepAction.RUN, page.url)


def check(text: str, page: Page) -> FixStep:
    """A command whose output the person reads before going on: it ends its paste block."""
    return FixStep(text, StepAction.CHECK, page.url)


def manual(text: str, page: Page) -> FixStep:
    """Something done by hand (or a file to save): it stands between two paste blocks."""
    return FixStep(text, StepAction.MANUAL, page.url)


def command_of(step: FixStep) -> str:
    """The command of a run or check step, without its trailing ``   (note)``."""
    match = _NOTE.match(step.text)
    return match["command"] if match else step.text


def paste_blocks(steps: tuple[FixStep, ...]) -> tuple[str, ...]:
    """Runs of commands that may be pasted at once: a manual step ends a block and starts the
    next; a check ends its block (its output decides whether to go on)."""
    blocks: list[str] = []
    current: list[str] = []
    for step in steps:
        if step.action is StepAction.MANUAL:
            if current:
                blocks.append("\n".join(current))
            current = []
            continue
        current.append(command_of(step))
        if step.action is StepAction.CHECK:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return tuple(blocks)


def plan(title: str, when: str, *steps: FixStep) -> FixPlan:
    return FixPlan(title, when, tuple(steps), paste_blocks(tuple(steps)))


def single(*steps: FixStep, title: str = "Fix", when: str = "") -> tuple[FixPlan, ...]:
    """A diagnosis with one way to fix it."""
    return (plan(title, when, *steps),)


# --------------------------------------------------------------------------- names


def cert_id(cert: Certificate) -> str:
    """What certutil takes to name the certificate: its thumbprint, else its serial number
    (quoted for cmd.exe when it is not a plain word)."""
    given = cert.thumbprint or cert.serial
    return cmd_word(given, "serial number") if given else THUMBPRINT


def store(cert: Certificate) -> str:
    return cmd_word(store_of(cert), "store name")


def _file_stem(cert: Certificate) -> str:
    # %TEMP% must expand, so a name part is a plain word or a fixed one, never quoted.
    given = cert.thumbprint or cert.serial or ""
    return given if given and cmd_word(given) == given else "certificate"


def pfx_name(cert: Certificate) -> str:
    return f"%TEMP%\\{_file_stem(cert)}.pfx"


def saved_dump_name(cert: Certificate) -> str:
    return f"%TEMP%\\{_file_stem(cert)}-before.txt"


def verify(cert: Certificate) -> str:
    return f"certutil -v -store {store(cert)} {cert_id(cert)}"


# --------------------------------------------------------------------------- shared steps


def verify_step(cert: Certificate, expect: str) -> FixStep:
    return check(f"{verify(cert)}   (expect: {expect})", pages.CERTUTIL)


def repair_link(cert: Certificate) -> FixStep:
    """The first, non-destructive step for a key the certificate cannot reach."""
    return check(
        f"certutil -repairstore {store(cert)} {cert_id(cert)}   (re-links the certificate to its "
        "key and changes nothing else; expect: `Encryption test passed`)",
        pages.CERTUTIL,
    )


def save_dump(cert: Certificate) -> FixStep:
    """Keep the certificate's current properties and key ACL (its SDDL) before changing them."""
    return run(
        f'{verify(cert)} > "{saved_dump_name(cert)}"   (keeps the current key ACL and properties)',
        pages.CERTUTIL,
    )


def prove_pfx(cert: Certificate, pfx: str) -> FixStep:
    """The check before any delete: the PFX opens with its password and holds this key."""
    thumbprint = cert.thumbprint or THUMBPRINT
    return check(
        f'certutil -p "{PFX_PASSWORD}" -dump "{pfx}"   (expect: Cert Hash(sha1) {thumbprint} and '
        "`Encryption test passed`; if the password is refused or either is missing, stop here: "
        f"{GONE_FOR_GOOD})",
        pages.CERTUTIL,
    )


def delete_cert(cert: Certificate) -> FixStep:
    return run(f"certutil -delstore {store(cert)} {cert_id(cert)}", pages.CERTUTIL)


def import_keyexchange(cert: Certificate, pfx: str) -> str:
    return (
        f'certutil -p "{PFX_PASSWORD}" -csp "{SCHANNEL_PROVIDER}" -importPFX '
        f'{store(cert)} "{pfx}" AT_KEYEXCHANGE'
    )


def rebind(page: Page = pages.IIS_SSL_SETUP, new: bool = False) -> FixStep:
    which = "the new certificate" if new else "the certificate again"
    return manual(
        f"In IIS Manager, edit the site's https binding and select {which} (or run the "
        "`netsh http add sslcert ...` that failed again).",
        page,
    )


def delete_export(pfx: str) -> FixStep:
    return run(f'del "{pfx}"   (do not leave the exported key on disk)', pages.DEL_COMMAND)


def granted_accounts(key: Key | None) -> list[tuple[str, str, str]]:
    """(SID, name, icacls right) of each account other than SYSTEM and Administrators that the
    key's SDDL (from the -v dump) allows: a re-import gets the default ACL without them."""
    if key is None or not key.acl_sddl:
        return []
    out: dict[str, tuple[str, str, str]] = {}
    for ace in parse_sddl(key.acl_sddl).aces:
        if ace.type != "A" or ace.sid is None or ace.mask is None:
            continue
        if ace.sid in (SYSTEM, ADMINISTRATORS) or ace.sid.startswith("S-1-3-"):
            continue
        full = ace.mask & 0x10000000 or ace.mask & 0x001F01FF == 0x001F01FF
        right = "F" if full else "R"
        if ace.sid not in out or right == "F":
            out[ace.sid] = (ace.sid, display_name(ace.sid), right)
    return sorted(out.values())


def regrant_steps(key: Key | None, folder: str = MACHINEKEYS) -> list[FixStep]:
    """After a re-import or a new key (which get the default ACL): grant again what the old key
    ACL granted, on the new key file (its name is in the dump the step before prints)."""
    if key is None or not key.acl_sddl:
        return [
            manual(
                "The new key has the default ACL (SYSTEM and Administrators). The dump does not "
                "show the old key's ACL: if a service account (an application pool, NETWORK "
                "SERVICE) had been granted read access to the old key, grant it again on the new "
                f'key file: icacls "{folder}\\{UNIQUE_CONTAINER}" /grant *{ACCOUNT_SID}:(R)',
                pages.ICACLS,
            )
        ]
    path = f"{folder}\\{UNIQUE_CONTAINER}"
    return [
        run(
            f'icacls "{path}" /grant *{sid}:({right})   (the old key ACL granted {name} '
            f"{'full control' if right == 'F' else 'read'})",
            pages.ICACLS,
        )
        for sid, name, right in granted_accounts(key)
    ]


def new_key_expect(key: Key | None) -> str:
    """What the dump after an import or a new key should show, and what the grants need of it."""
    expect = "KeySpec = 1 -- AT_KEYEXCHANGE and `Encryption test passed`"
    if granted_accounts(key):
        expect += "; the new key's `Unique container name` goes into the icacls steps below"
    return expect


# --------------------------------------------------------------------------- whole remedies


def reimport_with_pfx(cert: Certificate, pfx: str = PFX_FILE) -> list[FixStep]:
    """Remove the certificate and import its PFX back with AT_KEYEXCHANGE: the check that the
    PFX opens first, the old ACL kept, its grants given back."""
    steps = [
        prove_pfx(cert, pfx),
        save_dump(cert),
        delete_cert(cert),
        run(import_keyexchange(cert, pfx), pages.CERTUTIL),
        verify_step(cert, new_key_expect(cert.key)),
        *regrant_steps(cert.key),
    ]
    return steps


def export_reimport(cert: Certificate) -> list[FixStep]:
    """An exportable key: export the certificate with its key, check the export, remove the
    certificate, import it back with AT_KEYEXCHANGE, delete the export."""
    pfx = pfx_name(cert)
    return [
        run(
            f'certutil -exportPFX -p "{PFX_PASSWORD}" {store(cert)} {cert_id(cert)} "{pfx}"   '
            "(choose the password here: the next steps use it)",
            pages.CERTUTIL,
        ),
        *reimport_with_pfx(cert, pfx),
        delete_export(pfx),
    ]


def repair_ksp_keyspec(cert: Certificate, key: Key) -> list[FixStep]:
    """A KSP key's KeySpec is only a property of the certificate's link: rewrite it to 0."""
    container = key.container or key.unique_container or KEY_CONTAINER
    flags = key.flags if key.flags is not None else (32 if key.machine_keyset is not False else 0)
    provider = key.provider or "Microsoft Software Key Storage Provider"
    inf = "\n".join(
        [
            "[Properties]",
            '2 = "{text}"',
            f'_continue_ = "{inf_entry_text("Container=" + container, "Key Container")}&"',
            f'_continue_ = "{inf_entry_text("Provider=" + provider, "Provider")}&"',
            f'_continue_ = "Flags={flags}&"',
            '_continue_ = "KeySpec=0"',
        ]
    )
    return [
        save_dump(cert),
        manual(f"Save this as %TEMP%\\KeySpec0.inf:\n{inf}", pages.KSP_KEYSPEC_REPAIR),
        run(
            f'certutil -repairstore {store(cert)} {cert_id(cert)} "%TEMP%\\KeySpec0.inf"',
            pages.KSP_KEYSPEC_REPAIR,
        ),
        verify_step(cert, "KeySpec = 0"),
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


def _shown(value: str) -> str:
    """A value for an INF comment: control characters written as escapes."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value
    )


def new_request(cert: Certificate) -> list[FixStep]:
    """A new key pair and request with the SChannel provider and KeySpec 1."""
    subject = inf_string(cert.subject or f"CN={HOST_NAME}", "Subject")
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
    entries = san_entries(cert)
    sans = [entry for entry in map(inf_entry, entries) if entry is not None]
    # A SAN certreq's extension text cannot carry ('&' separates its entries) is left out, said
    # in an INF comment.
    lines += [f"; left out (add it by hand): {_shown(s)}" for s in entries if inf_entry(s) is None]
    if sans:
        lines += ["[Extensions]", '2.5.29.17 = "{text}"']
        lines += [f'_continue_ = "{s}&"' for s in sans[:-1]]
        lines.append(f'_continue_ = "{sans[-1]}"')
    return [
        manual("Save this as %TEMP%\\request.inf:\n" + "\n".join(lines), pages.CERTREQ),
        run('certreq -new "%TEMP%\\request.inf" "%TEMP%\\request.req"', pages.CERTREQ),
        manual(
            "Submit %TEMP%\\request.req to the certificate authority and save the certificate "
            f"it issues as {ISSUED_CERTIFICATE}.",
            pages.CERTREQ,
        ),
        run(f'certreq -accept "{ISSUED_CERTIFICATE}"', pages.CERTREQ),
        check(
            f"certutil -v -store my {NEW_THUMBPRINT}   (expect: {new_key_expect(cert.key)})",
            pages.CERTUTIL,
        ),
        *regrant_steps(cert.key),
    ]


def new_certificate_plan(cert: Certificate, when: str) -> FixPlan:
    return plan(
        "Without the PFX: a new key and certificate",
        when,
        *new_request(cert),
        rebind(new=True),
    )


def with_pfx_plan(cert: Certificate, when: str) -> FixPlan:
    return plan(
        "With the original PFX: remove the certificate and import it again",
        when,
        *reimport_with_pfx(cert),
        rebind(),
    )


# --------------------------------------------------------------------------- key permissions


def _denies_system(sid: str | None) -> bool:
    return bool(sid) and LOCAL_SYSTEM_TOKEN.holds(sid, for_deny=True) is True


def _is_folder_of(path: str, key: Key) -> bool:
    lowered = path.replace("/", "\\").rstrip("\\").lower()
    return is_key_folder(path) and lowered.endswith(key_folder(key).lower().split("\\", 1)[1])


def key_acl_facts(case: Case, key: Key) -> tuple[list[str], list[str], bool]:
    """(SIDs denied on the key file, SIDs denied on the key folder, SYSTEM granted read on the
    key file) from the icacls listings and the key's SDDL: deny ACEs that apply to SYSTEM's
    token only. A deny the key file inherits is removed where it comes from, the folder."""
    wanted = (key.key_file or "").lower()
    on_file: set[str] = set()
    on_folder: set[str] = set()
    granted = False
    for entry in case.acls:
        name = (key_file_name(entry.path) or "").lower()
        if wanted and name == wanted:
            if not entry.allow and _denies_system(entry.sid):
                (on_folder if entry.inherited else on_file).add(entry.sid or "")
            elif entry.allow and entry.sid == SYSTEM and "IO" not in entry.inheritance:
                granted = True
        elif (
            not name
            and _is_folder_of(entry.path, key)
            and not entry.allow
            and _denies_system(entry.sid)
        ):
            on_folder.add(entry.sid or "")
    if key.acl_sddl:
        for ace in parse_sddl(key.acl_sddl).aces:
            if ace.type == "D" and _denies_system(ace.sid):
                (on_folder if ace.inherited else on_file).add(ace.sid or "")
            elif ace.type == "A" and ace.sid == SYSTEM and not ace.inherit_only:
                granted = True
    return sorted(on_file), sorted(on_folder), granted


def fix_key_permissions(case: Case, cert: Certificate, key: Key) -> tuple[FixPlan, ...]:
    """Give SYSTEM read access to the key file back by adding what is missing and removing only
    the deny ACEs that stop it, after saving the ACLs; a whole new DACL only as a last resort,
    beside the current one."""
    denied_on_file, denied_on_folder, system_granted = key_acl_facts(case, key)
    folder = key_folder(key)  # ours, with %ProgramData% to expand: quoted, never escaped
    path = key_file_path(key)  # + a key file name the reader matched as <32 hex>_<GUID>
    steps: list[FixStep] = []
    if denied_on_folder:
        steps.append(run(f'icacls "{folder}" /save "%TEMP%\\keyfolder-acl.txt"', pages.ICACLS))
        steps += [
            run(
                f'icacls "{folder}" /remove:d *{sid}   (only the deny entry of {display_name(sid)})',
                pages.ICACLS,
            )
            for sid in denied_on_folder
        ]
    if path:
        steps.append(run(f'icacls "{path}" /save "%TEMP%\\keyfile-acl.txt"', pages.ICACLS))
        steps += [
            run(
                f'icacls "{path}" /remove:d *{sid}   (only the deny entry of {display_name(sid)})',
                pages.ICACLS,
            )
            for sid in denied_on_file
        ]
        if not system_granted:
            steps.append(run(f'icacls "{path}" /grant {SYSTEM_SID}:(R)', pages.ICACLS))
        steps.append(
            check(
                f'icacls "{path}"   (expect: NT AUTHORITY\\SYSTEM with (R) or more, and no DENY)',
                pages.ICACLS,
            )
        )
    else:
        steps.append(
            check(
                f"{verify(cert)}   (expect: the `Unique container name`, the key file's name in "
                f"{folder}: send an icacls listing of that file and run certtriage again)",
                pages.CERTUTIL,
            )
        )
    steps += [verify_step(cert, "`Encryption test passed`"), rebind()]
    plans = [
        plan(
            "Add what is missing to the key file's ACL",
            "first: saves the ACLs, then removes only the deny entries that stop SYSTEM and adds "
            "its read access where it has none; every other entry stays",
            *steps,
        )
    ]
    whole = _whole_dacl_plan(cert, key) if key.acl_sddl else None
    return tuple(plans) + ((whole,) if whole is not None else ())


def _whole_dacl_plan(cert: Certificate, key: Key) -> FixPlan | None:
    """Replace the key's security descriptor: the current one, without the deny ACEs for SYSTEM
    and with SYSTEM allowed, so that the grants it holds stay; None when that is the current
    one already."""
    current = key.acl_sddl or ""
    descriptor = parse_sddl(current)
    kept = [
        ace.text for ace in descriptor.aces if not (ace.type == "D" and _denies_system(ace.sid))
    ]
    if not any(a.type == "A" and a.sid == SYSTEM for a in descriptor.aces):
        kept.append("(A;;GA;;;SY)")
    flags = "".join(descriptor.dacl_flags)
    new = f"D:{flags}{''.join(kept)}"
    if new == current.strip():
        return None
    return plan(
        "Set the key's whole security descriptor",
        "only if the ACL above cannot be changed with icacls: this replaces the whole DACL, and "
        "every grant not in the new string is dropped",
        save_dump(cert),
        manual(
            f"The key's security descriptor now (from the dump): `{current}`. The command below "
            f"sets `{new}`: the same entries without the deny for SYSTEM or Everyone, with SYSTEM "
            "allowed. Every grant that is not in it is dropped.",
            pages.SDDL_FORMAT,
        ),
        run(f'certutil -repairstore {store(cert)} {cert_id(cert)} "{new}"', pages.CERTUTIL),
        verify_step(cert, f"the security descriptor {new} and `Encryption test passed`"),
        rebind(),
    )


# --------------------------------------------------------------------------- bindings


def netsh_target(binding: Binding) -> str:
    """How netsh names the binding: ``ipport=``, ``hostnameport=`` or ``ccs=``."""
    endpoint = binding.endpoint
    if endpoint.startswith("ccs:"):
        return f"ccs={cmd_word(endpoint[4:])}"
    host = endpoint.rsplit(":", 1)[0]
    if host.startswith("[") or host.replace(".", "").isdigit():
        return f"ipport={cmd_word(endpoint)}"
    return f"hostnameport={cmd_word(endpoint)}"


def netsh_sslcert(verb: str, binding: Binding, thumbprint: str, store_name: str = "MY") -> str:
    """`netsh http add|update sslcert` for this binding with this certificate."""
    app_id = cmd_word(binding.app_id or DEFAULT_APP_ID)
    target = netsh_target(binding)
    if target.startswith("ccs="):
        # A Central Certificate Store binding names no certificate: it takes no certhash.
        return f"netsh http {verb} sslcert {target} appid={app_id}"
    return (
        f"netsh http {verb} sslcert {target} certhash={thumbprint} "
        f"appid={app_id} certstorename={cmd_word(store_name)}"
    )


def supports_update(os_version: str | None) -> bool | None:
    """Whether this Windows has `netsh http update sslcert`; None when the version is not known."""
    if not os_version:
        return None
    parts = os_version.split(".")
    try:
        version = (int(parts[0]), int(parts[1]) if len(parts) > 1 else 0)
    except ValueError:
        return None
    return version >= UPDATE_SSLCERT_FROM


def rebind_steps(
    binding: Binding, thumbprint: str, store_name: str, os_version: str | None
) -> list[FixStep]:
    """Point a binding at another certificate: `update` where netsh has it (Windows Server 2012,
    NT 6.2, and later), else save the bindings, delete and add."""
    if supports_update(os_version):
        return [run(netsh_sslcert("update", binding, thumbprint, store_name), pages.NETSH_HTTP)]
    known = "" if os_version is None else f" (Windows {os_version} has no `update sslcert`)"
    return [
        run(
            f'netsh http show sslcert > "%TEMP%\\sslcert-before.txt"   (keeps every binding '
            f"as it is now{known})",
            pages.NETSH_HTTP_2008,
        ),
        run(f"netsh http delete sslcert {netsh_target(binding)}", pages.NETSH_HTTP_2008),
        run(netsh_sslcert("add", binding, thumbprint, store_name), pages.NETSH_HTTP_2008),
    ]


# --------------------------------------------------------------------------- scenario 1


def broken_key_plans(cert: Certificate) -> tuple[FixPlan, ...]:
    """A key the certificate cannot use: re-link first (changes nothing else), then the PFX,
    then a new certificate."""
    return (
        plan(
            "Re-link the certificate to its key",
            "first: if the key is still on the machine this is enough, and it changes nothing else",
            repair_link(cert),
            verify_step(cert, "`Encryption test passed`"),
            rebind(),
        ),
        with_pfx_plan(
            cert,
            "the repair did not help, and the original PFX and its password are at hand "
            '(certutil imports the key exportable; in IIS Manager keep "Allow this certificate '
            'to be exported" checked)',
        ),
        new_certificate_plan(cert, "no PFX, or it does not open"),
    )
