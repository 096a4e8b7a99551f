"""The AD FS reader: Get-AdfsCertificate (its default list with the certificate's text, a
table, pasted in a markdown quote with the prompt, UTF-16LE with BOM), Get-AdfsSslCertificate
(table and list), AutoCertificateRollover, and what a cut or retyped thumbprint gives."""

from __future__ import annotations

from pathlib import Path

from analyzer.model import AdfsCertificate, AdfsProperty, AdfsSslCertificate, Status
from analyzer.readers.evidence.adfs import SPEC
from fixtures.writers.evidence_writer import encode
from fixtures.writers.tickets_adfs import (
    DECRYPTING_CERT,
    SIGNING_CERT,
    SSL_CERT,
    _configured,
    get_adfs_certificate,
    get_adfs_ssl_certificate,
    rollover,
)
from tests.readers.evidence_helpers import read, sniff, warnings

TICKETS = Path(__file__).resolve().parents[2] / "fixtures" / "tickets"


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "adfs.txt"
    path.write_bytes(encode(text, encoding))
    return path


def test_default_list_gives_role_store_thumbprint_and_subject(tmp_path: Path) -> None:
    text = get_adfs_certificate(_configured(SIGNING_CERT, DECRYPTING_CERT))
    path = write(tmp_path, text, "utf-16")
    assert sniff(SPEC, path) >= 80
    result = read(SPEC, path)
    assert result.status is Status.OK and result.encoding.startswith("utf-16")
    got = [
        (c.certificate_type, c.thumbprint, c.is_primary, c.store_location, c.store_name, c.subject)
        for c in result.records(AdfsCertificate)
    ]
    assert got == [
        (
            "Service-Communications",
            SSL_CERT.thumbprint,
            True,
            "LocalMachine",
            "My",
            SSL_CERT.subject,
        ),
        (
            "Token-Decrypting",
            DECRYPTING_CERT.thumbprint,
            True,
            "LocalMachine",
            "My",
            DECRYPTING_CERT.subject,
        ),
        (
            "Token-Signing",
            SIGNING_CERT.thumbprint,
            True,
            "LocalMachine",
            "My",
            SIGNING_CERT.subject,
        ),
    ]
    # each record points at its first line (the Certificate property)
    lines = text.splitlines()
    for record in result.records(AdfsCertificate):
        assert lines[(record.source.line or 0) - 1].startswith("Certificate     :")


def test_empty_store_fields_are_none_and_rollover_is_read(tmp_path: Path) -> None:
    text = get_adfs_certificate([("Token-Signing", SIGNING_CERT, SIGNING_CERT.thumbprint, False)])
    result = read(SPEC, write(tmp_path, text + rollover(True)))
    [cert] = result.records(AdfsCertificate)
    assert (cert.store_location, cert.store_name) == (None, None)
    assert [(p.name, p.value) for p in result.records(AdfsProperty)] == [
        ("AutoCertificateRollover", "True")
    ]


def test_pasted_in_a_markdown_quote_and_as_a_table(tmp_path: Path) -> None:
    thumb = SIGNING_CERT.thumbprint.upper()
    text = (
        "> PS C:\\> Get-AdfsCertificate | ft CertificateType,IsPrimary,Thumbprint\n"
        ">\n"
        "> CertificateType        IsPrimary Thumbprint\n"
        "> ---------------        --------- ----------\n"
        f"> Token-Signing               True {thumb}\n"
        f"> Token-Decrypting            True {thumb[:30]}...\n"
    )
    result = read(SPEC, write(tmp_path, text))
    got = [
        (c.certificate_type, c.thumbprint, c.hash_valid, c.is_primary)
        for c in result.records(AdfsCertificate)
    ]
    assert got == [
        ("Token-Signing", SIGNING_CERT.thumbprint, True, True),
        ("Token-Decrypting", f"{thumb[:30]}...", False, True),
    ]
    assert any("cut by the table" in w and "Format-List" in w for w in warnings(result))


def test_ssl_bindings_as_table_and_list(tmp_path: Path) -> None:
    table = get_adfs_ssl_certificate(SSL_CERT.thumbprint)
    result = read(SPEC, write(tmp_path, table))
    assert [
        (b.host_name, b.port, b.certificate_hash) for b in result.records(AdfsSslCertificate)
    ] == [
        ("fs.contoso.com", 443, SSL_CERT.thumbprint),
        ("localhost", 443, SSL_CERT.thumbprint),
        ("fs.contoso.com", 49443, SSL_CERT.thumbprint),
    ]
    listing = (
        "HostName        : fs.contoso.com\n"
        "PortNumber      : 443\n"
        f"CertificateHash : {SSL_CERT.thumbprint.upper()}\n\n"
        "HostName        : localhost\n"
        "PortNumber      : 443\n"
        "CertificateHash : 0A1B2C3D4E5F6O718293A4B5C6D7E8F901234567\n"
    )
    result = read(SPEC, write(tmp_path, listing))
    got = [(b.host_name, b.port, b.hash_valid) for b in result.records(AdfsSslCertificate)]
    assert got == [("fs.contoso.com", 443, True), ("localhost", 443, False)]
    assert any("not 40 hex digits" in w for w in warnings(result))


def test_unknown_type_kept_and_nothing_usable_is_a_coded_failure(tmp_path: Path) -> None:
    text = "CertificateType : Token-Whatever\nThumbprint      : " + SIGNING_CERT.thumbprint + "\n"
    result = read(SPEC, write(tmp_path, text))
    [cert] = result.records(AdfsCertificate)
    assert cert.certificate_type == "Token-Whatever"
    assert any(m.code == "adfs.unknown-type" for m in result.messages)
    empty = read(SPEC, write(tmp_path, "PS C:\\> Get-AdfsCertificate\nnothing here\n"))
    assert empty.status is Status.ERROR
    assert [m.code for m in empty.messages] == ["adfs.none"]


def test_ticket_listing_is_detected_as_adfs() -> None:
    path = TICKETS / "adfs-signing-key-without-gmsa" / "adfs-certificates.txt"
    assert sniff(SPEC, path) >= 80
    assert len(read(SPEC, path).records(AdfsCertificate)) == 3
