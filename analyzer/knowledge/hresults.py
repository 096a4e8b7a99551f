"""HRESULT codes certtriage meets in certutil FAILED lines and Schannel events, as data.

Texts are the winerror.h message texts. ``category`` says what a code means for a certificate's
private key, so the certutil reader and the rules agree:

- ``key``: the key is missing, unreadable or broken (a key error);
- ``access``: the key exists but the caller may not use it (permissions);
- ``export``: the key is fine but may not be exported (``-exportPFX`` of a non-exportable key);
- ``not-found``: the certificate or property was not found;
- ``credential``: Schannel could not build a credential;
- ``other``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class HResult:
    code: str  # "0x80090016", lowercase hex, 8 digits
    name: str
    text: str
    category: str


_TABLE: tuple[tuple[int, str, str, str], ...] = (
    (0x80070002, "ERROR_FILE_NOT_FOUND", "The system cannot find the file specified.", "not-found"),
    (0x80070005, "E_ACCESSDENIED", "Access is denied.", "access"),
    (
        0x80070520,
        "ERROR_NO_SUCH_LOGON_SESSION",
        "A specified logon session does not exist. It may already have been terminated.",
        "credential",
    ),
    (0x8009000B, "NTE_BAD_KEY_STATE", "Key not valid for use in specified state.", "export"),
    (0x8009000D, "NTE_NO_KEY", "Key does not exist.", "key"),
    (0x80090010, "NTE_PERM", "Access denied.", "access"),
    (0x80090011, "NTE_NOT_FOUND", "Object was not found.", "key"),
    (0x80090014, "NTE_BAD_PROV_TYPE", "Invalid provider type specified.", "key"),
    (0x80090016, "NTE_BAD_KEYSET", "Keyset does not exist", "key"),
    (0x80090019, "NTE_KEYSET_NOT_DEF", "The keyset is not defined.", "key"),
    (0x8009001A, "NTE_KEYSET_ENTRY_BAD", "Keyset as registered is invalid.", "key"),
    (0x80090020, "NTE_FAIL", "An internal error occurred.", "key"),
    (0x80090029, "NTE_NOT_SUPPORTED", "The requested operation is not supported.", "other"),
    (0x80092004, "CRYPT_E_NOT_FOUND", "Cannot find object or property.", "not-found"),
    (
        0x8009200B,
        "CRYPT_E_NO_KEY_PROPERTY",
        "Cannot find the certificate and private key for decryption.",
        "key",
    ),
    (0x80090302, "SEC_E_UNSUPPORTED_FUNCTION", "The function requested is not supported", "other"),
    (
        0x80090304,
        "SEC_E_INTERNAL_ERROR",
        "The Local Security Authority cannot be contacted",
        "credential",
    ),
    (0x8009030C, "SEC_E_LOGON_DENIED", "The logon attempt failed", "credential"),
    (
        0x8009030D,
        "SEC_E_UNKNOWN_CREDENTIALS",
        "The credentials supplied to the package were not recognized",
        "credential",
    ),
    (
        0x8009030E,
        "SEC_E_NO_CREDENTIALS",
        "No credentials are available in the security package",
        "credential",
    ),
    (
        0x80090325,
        "SEC_E_UNTRUSTED_ROOT",
        "The certificate chain was issued by an authority that is not trusted.",
        "other",
    ),
    (
        0x80090327,
        "SEC_E_CERT_UNKNOWN",
        "An unknown error occurred while processing the certificate.",
        "other",
    ),
    (0x80090328, "SEC_E_CERT_EXPIRED", "The received certificate has expired.", "other"),
    (
        0x80090331,
        "SEC_E_ALGORITHM_MISMATCH",
        "The client and server cannot communicate, because they do not possess a common algorithm.",
        "other",
    ),
)

HRESULTS: dict[str, HResult] = {
    f"0x{code:08x}": HResult(f"0x{code:08x}", name, text, category)
    for code, name, text, category in _TABLE
}
_BY_NAME = {h.name: h for h in HRESULTS.values()}

_HEX = re.compile(r"0x([0-9a-fA-F]{1,8})\b")


def normalise_code(value: str | int) -> str | None:
    """``0x80090016``, ``0X80090016``, ``-2146893802`` or an int -> ``0x80090016``; else None."""
    if isinstance(value, int):
        return f"0x{value & 0xFFFFFFFF:08x}"
    text = value.strip()
    match = _HEX.fullmatch(text) if text.lower().startswith("0x") else None
    if match:
        return f"0x{int(match.group(1), 16):08x}"
    if re.fullmatch(r"-?\d{1,10}", text):
        number = int(text)
        if -(2**31) <= number < 2**32:
            return f"0x{number & 0xFFFFFFFF:08x}"
    return None


def lookup(value: str | int) -> HResult | None:
    """The table entry for a code (hex, signed decimal or int) or a symbol (``NTE_BAD_KEYSET``)."""
    if isinstance(value, str) and value.strip().upper() in _BY_NAME:
        return _BY_NAME[value.strip().upper()]
    code = normalise_code(value)
    return HRESULTS.get(code) if code else None


def find_code(text: str) -> str | None:
    """The first ``0x`` + 8 hex digits code in a line (``... FAILED: 0x80090016 (...)``)."""
    for match in _HEX.finditer(text):
        if len(match.group(1)) == 8:
            return f"0x{match.group(1).lower()}"
    return None
