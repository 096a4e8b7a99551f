"""Facts about a certificate's key the rules and fixes share: CSP or KSP, its folder and file."""

from __future__ import annotations

from analyzer.model import Certificate, Key

SCHANNEL_PROVIDER = "Microsoft RSA SChannel Cryptographic Provider"
MACHINEKEYS = r"%ProgramData%\Microsoft\Crypto\RSA\MachineKeys"
CNG_KEYS = r"%ProgramData%\Microsoft\Crypto\Keys"


def is_ksp(key: Key) -> bool:
    return key.provider_class == "ksp" or (key.provider_class is None and key.provider_type == 0)


def is_csp(key: Key) -> bool:
    if key.provider_class is not None:
        return key.provider_class == "csp"
    if key.provider_type is not None:
        return key.provider_type != 0
    return bool(key.provider) and "Cryptographic Provider" in (key.provider or "")


def key_folder(key: Key) -> str:
    return CNG_KEYS if is_ksp(key) else MACHINEKEYS


def key_file_path(key: Key) -> str | None:
    return f"{key_folder(key)}\\{key.key_file}" if key.key_file else None


def store_of(cert: Certificate) -> str:
    return cert.store or "my"
