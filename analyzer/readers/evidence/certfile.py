"""Certificate files: `.cer`/`.crt`/`.pem`/DER read with `cryptography`, and `.pfx`/`.p12`
recognised as private-key material.

A certificate file gives what the certificate itself says (thumbprint, subject, SANs, EKU, key
usage, validity) and joins a dump by thumbprint. A PKCS#12 file holds a private key: it is
reported as being there (so the fix can re-import it), never opened (no password is ever used)
and nothing of its content goes into a report. A PEM with a private key block is read for its
certificates only, with a warning.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from analyzer.inputs.files import InputFile
from analyzer.model import Certificate, ReadResult, Source
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import MAX_EVIDENCE_BYTES
from analyzer.readers.records import CERTIFICATES

if TYPE_CHECKING:  # cryptography is imported when a certificate is decoded, not at start-up
    from cryptography import x509

KIND_CERT = "cert-file"
KIND_PFX = "pfx"
MAX_CERT_FILE_BYTES = 1024 * 1024
PFX_MESSAGE = (
    "PKCS#12 (.pfx/.p12) file: private-key material. Not opened (certtriage never uses a "
    "password) and not copied into any report; its presence means the certificate can be "
    "re-imported"
)

_PEM_CERT = re.compile(
    rb"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----.+?-----END (?:X509 |TRUSTED )?CERTIFICATE-----",
    re.S,
)
_PEM_KEY = re.compile(rb"-----BEGIN (?:RSA |EC |ENCRYPTED |DSA )?PRIVATE KEY-----")
# PKCS#12: SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data ... } }.
_PKCS7_DATA_OID = bytes.fromhex("06092a864886f70d010701")
_KEY_USAGE_NAMES = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)


# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "certfile.private-key-present": (
        "the file also holds a PRIVATE KEY block: not read, never copied"
    ),
    "certfile.bad-pem-block": "a PEM certificate block that does not decode",
    "certfile.not-a-certificate": "not a readable DER or PEM certificate",
    "certfile.no-certificate": "no certificate could be read from the file",
    "pfx.not-opened": (
        "a PFX is never opened (no password is asked for): what it holds is not known"
    ),
}


def looks_like_pfx(head: bytes) -> bool:
    if len(head) < 24 or head[0] != 0x30:
        return False
    length_bytes = head[1] - 0x80 if head[1] & 0x80 else 0
    body = head[2 + length_bytes :]
    return body[:3] == b"\x02\x01\x03" and _PKCS7_DATA_OID in head[:40]


def _der_certificate(head: bytes) -> bool:
    return len(head) > 64 and head[0] == 0x30 and head[1] in (0x82, 0x83) and head[4] == 0x30


def _local(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat()


def _extension(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> object | None:
    from cryptography import x509

    try:
        return cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def _san_text(name: x509.GeneralName) -> str:
    from cryptography import x509

    # SAN entries spelled the way certutil prints them, so that records from both sources compare.
    labels: tuple[tuple[type, str], ...] = (
        (x509.DNSName, "DNS Name"),
        (x509.IPAddress, "IP Address"),
        (x509.RFC822Name, "RFC822 Name"),
        (x509.UniformResourceIdentifier, "URL"),
    )
    for kind, text in labels:
        if isinstance(name, kind):
            return f"{text}={name.value}"
    return f"Other Name={name.value!r}"


def certificate_record(cert: x509.Certificate, source: Source) -> Certificate:
    """A `Certificate` from what the certificate itself says (no store, no key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtensionOID

    eku_ext = _extension(cert, ExtensionOID.EXTENDED_KEY_USAGE)
    ku_ext = _extension(cert, ExtensionOID.KEY_USAGE)
    san_ext = _extension(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    key_usage = None
    if isinstance(ku_ext, x509.KeyUsage):
        key_usage = tuple(name for attr, name in _KEY_USAGE_NAMES if getattr(ku_ext, attr))
    san = None
    if isinstance(san_ext, x509.SubjectAlternativeName):
        san = tuple(_san_text(name) for name in san_ext)
    not_before = cert.not_valid_before_utc
    not_after = cert.not_valid_after_utc
    return Certificate(
        index=None,
        store=None,
        user_store=None,
        thumbprint=cert.fingerprint(hashes.SHA1()).hex(),
        serial=format(cert.serial_number, "x"),
        subject=", ".join(reversed([attr.rfc4514_string() for attr in cert.subject])) or None,
        issuer=", ".join(reversed([attr.rfc4514_string() for attr in cert.issuer])) or None,
        not_before=not_before.isoformat(),
        not_after=not_after.isoformat(),
        valid_from=_local(not_before),
        valid_to=_local(not_after),
        key_usage=key_usage,
        eku=tuple(oid.dotted_string for oid in eku_ext)
        if isinstance(eku_ext, x509.ExtendedKeyUsage)
        else None,
        san=san,
        key=None,
        source=source,
    )


def read_cert_file(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND_CERT)
    if file.size > MAX_CERT_FILE_BYTES:
        result.fail(
            f"{file.size} bytes is too large for a certificate file", code="input.too-large"
        )
        return result
    data = file.read_bytes(min(MAX_CERT_FILE_BYTES, MAX_EVIDENCE_BYTES))
    if _PEM_KEY.search(data):
        result.warn(
            "this file also holds a PRIVATE KEY block: not read and not copied into any report",
            code="certfile.private-key-present",
        )
    from cryptography import x509

    blocks = _PEM_CERT.findall(data)
    if blocks:
        for block in blocks:
            line = data[: data.find(block)].count(b"\n") + 1
            try:
                cert = x509.load_pem_x509_certificate(block)
            except ValueError as exc:
                result.warn(
                    f"PEM certificate block that does not decode: {exc}",
                    line=line,
                    code="certfile.bad-pem-block",
                )
                continue
            result.certificates.append(certificate_record(cert, Source(file.display, line)))
    else:
        try:
            cert = x509.load_der_x509_certificate(data)
        except ValueError as exc:
            result.fail(
                f"not a readable DER or PEM certificate: {exc}", code="certfile.not-a-certificate"
            )
            return result
        result.certificates.append(certificate_record(cert, Source(file.display)))
    if not result.certificates and result.status.value != "error":
        result.fail("no certificate could be read from this file", code="certfile.no-certificate")
    return result


def sniff_cert_file(sample: Sample) -> int:
    if (
        b"-----BEGIN CERTIFICATE-----" in sample.head
        or b"-----BEGIN X509 CERTIFICATE-----" in sample.head
    ):
        return 95
    if _der_certificate(sample.head) and not looks_like_pfx(sample.head):
        from cryptography import x509

        try:
            x509.load_der_x509_certificate(sample.head[: sample.size])
        except ValueError:
            return 30 if sample.name.lower().endswith((".cer", ".crt", ".der")) else 0
        return 90
    return 0


def read_pfx(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND_PFX)
    result.note(PFX_MESSAGE, code="pfx.not-opened")
    return result


def sniff_pfx(sample: Sample) -> int:
    if looks_like_pfx(sample.head):
        return 95
    return 0


SPEC_CERT = register(
    ReaderSpec(
        KIND_CERT,
        sniff_cert_file,
        read_cert_file,
        "certificate file (.cer/.crt/.pem/DER)",
        records=(CERTIFICATES,),
    )
)
SPEC_PFX = register(
    ReaderSpec(
        KIND_PFX,
        sniff_pfx,
        read_pfx,
        "PKCS#12 .pfx/.p12 (recognised as private-key material, never opened)",
    )
)
