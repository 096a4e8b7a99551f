"""The key facts of one certificate -> its `Key` record: state, tests, exportability, key file.

The rules, from the certutil contract: `state` is `failed` for a test that FAILED or a key error
(a FAILED command code of the key family), `missing` for `Missing stored keyset`, `ok` when a key
test passed, `no-key-info` for `No key provider information`, else `unknown`; one test variant
that FAILED inline (`AES256+RSAES_OAEP(RSA:??) test FAILED`) beside a passed test is not a broken
key. `exportable` is false for `NOT exportable`, true for `NOT plain text exportable` or a key
certutil opened (a test line) without such a line, null otherwise; `export_policy` says which:
`none`, `encrypted-only` (NOT plain text exportable) or `allowed`.
"""

from __future__ import annotations

import re
from typing import Any

from analyzer.knowledge.hresults import find_code, lookup
from analyzer.model import Key, KeyFailure
from analyzer.readers.certutil.classify import Line
from analyzer.readers.certutil.labels import TEST_OF_STATUS

_KEY_FILE = re.compile(
    r"^[0-9a-f]{32}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
_KEY_STATUSES = {
    "not_plain_exportable",
    "not_exportable",
    "encryption_passed",
    "encryption_failed",
    "signature_passed",
    "signature_failed",
    "missing_keyset",
    "no_key_info",
    "cannot_find_key",
    "private_key_verifies",
    "variant_passed",
    "variant_failed",
    "variant_skipped",
}
_OPENED = _KEY_STATUSES - {"missing_keyset", "no_key_info", "cannot_find_key"}


def key_failure(code: str | None, text: str | None = None) -> KeyFailure:
    known = lookup(code) if code else None
    return KeyFailure(code, known.name if known else None, known.text if known else text)


def provider_class(provider: str | None, provider_type: int | None) -> str | None:
    if provider_type is not None:
        return "ksp" if provider_type == 0 else "csp"
    name = (provider or "").casefold()
    if "key storage provider" in name or re.search(r"\bksp\b", name):
        return "ksp"
    if "cryptographic provider" in name or "crypto provider" in name or re.search(r"\bcsp\b", name):
        return "csp"
    return None


_FIELD_LINES = {  # a key field's `Key` name -> the classifier's name of its line
    "container": "key_container",
    "unique_container": "unique_container",
    "simple_container": "simple_container",
    "provider": "provider",
    "provider_type": "provider_type",
    "flags": "flags",
    "keyspec": "keyspec",
    "acl_sddl": "acl_sddl",
    "exportable": "exportable",
    "error": "error",
}
_EXPORT_STATUSES = ("not_exportable", "not_plain_exportable")


def _state_line(found: list[tuple[str, Line]], state: str) -> int | None:
    """The first status line that decided ``state``."""
    deciding = {
        "failed": ("encryption_failed", "signature_failed", "variant_failed"),
        "missing": ("missing_keyset", "cannot_find_key"),
        "ok": ("encryption_passed", "signature_passed", "private_key_verifies", "variant_passed"),
        "no-key-info": ("no_key_info",),
    }.get(state, ())
    return next((line.lineno for status, line in found if status in deciding), None)


def build_key(
    found: list[tuple[str, Line]],
    failures: list[KeyFailure],
    facts: dict[str, Any],
    fact_lines: dict[str, int] | None = None,
) -> Key | None:
    """The `Key` of one certificate from its status lines (in dump order), the key errors
    found, the key fields and the dump line of each field; None when the dump says nothing
    about a key."""
    statuses = [s for s, _ in found if s in _KEY_STATUSES]
    if not statuses and not failures and not facts:
        return None
    kinds = set(statuses)
    tests: list[str] = []
    for status in statuses:
        test = TEST_OF_STATUS.get(status) or (
            "cng-test-skipped" if status == "variant_skipped" else None
        )
        if test and test not in tests:
            tests.append(test)
    error = next(iter(failures), None)
    variant_errors = [
        key_failure(find_code(line.value), line.value.strip(": "))
        for s, line in found
        if s == "variant_failed"
    ]
    passed = kinds & {
        "encryption_passed",
        "signature_passed",
        "private_key_verifies",
        "variant_passed",
    }
    if error is not None or kinds & {"encryption_failed", "signature_failed"}:
        state = "failed"
    elif "missing_keyset" in kinds:
        state = "missing"
    elif passed:
        state = "ok"
    elif variant_errors:
        state, error = "failed", variant_errors[0]
    elif "no_key_info" in kinds:
        state = "no-key-info"
    elif "cannot_find_key" in kinds:
        state = "missing"
    else:
        state = "unknown"
    # "NOT plain text exportable" is a CNG export policy with NCRYPT_ALLOW_EXPORT_FLAG and
    # without NCRYPT_ALLOW_PLAINTEXT_EXPORT_FLAG: exportable, in an encrypted PFX only
    # (https://learn.microsoft.com/windows/win32/api/certenroll/ne-certenroll-x509privatekeyexportflags).
    policy: str | None
    if "not_exportable" in kinds:
        exportable: bool | None = False
        policy = "none"
    elif "not_plain_exportable" in kinds:
        exportable, policy = True, "encrypted-only"
    elif "exportable" in facts:
        exportable = facts["exportable"]
        policy = None if exportable is None else ("allowed" if exportable else "none")
    else:
        exportable = True if kinds & _OPENED else None
        policy = "allowed" if exportable else None
    container, unique = facts.get("key_container"), facts.get("unique_container")
    key_file = next(
        (n.lower() for n in (container, unique) if n and _KEY_FILE.match(n.lower())), None
    )
    flags = facts.get("flags")
    if flags is not None:
        machine: bool | None = bool(flags & 0x20)
    else:
        machine = True if facts.get("machine_keyset_line") else None
    provider, provider_type = facts.get("provider"), facts.get("provider_type")
    given = fact_lines or {}
    lines = {name: given[kind] for name, kind in _FIELD_LINES.items() if kind in given}
    state_line = _state_line(found, state) or (lines.get("error") if state == "failed" else None)
    if state_line is not None:
        lines["state"] = state_line
    export_line = next((ln.lineno for s, ln in found if s in _EXPORT_STATUSES), None)
    if export_line is not None:
        lines.setdefault("exportable", export_line)
    if key_file is not None:
        lines["key_file"] = lines.get("container") or lines.get("unique_container", 0)
    return Key(
        container=container,
        unique_container=unique,
        simple_container=facts.get("simple_container"),
        key_file=key_file,
        provider=provider,
        provider_type=provider_type,
        provider_class=provider_class(provider, provider_type),
        flags=flags,
        machine_keyset=machine,
        keyspec=facts.get("keyspec"),
        exportable=exportable,
        export_policy=policy,
        state=state,
        tests=tuple(tests),
        error=error,
        acl_sddl=facts.get("acl_sddl"),
        lines={name: line for name, line in lines.items() if line},
    )
