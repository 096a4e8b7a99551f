"""Certificate files (DER, PEM) and PKCS#12 files (recognised, never opened)."""

from __future__ import annotations

from analyzer.model import Status
from analyzer.readers.evidence.certfile import SPEC_CERT, SPEC_PFX
from tests.readers.evidence_helpers import EVIDENCE, read, sniff, warnings

CERTS = EVIDENCE / "certs"


def test_der_and_pem_give_the_same_certificate() -> None:
    der = read(SPEC_CERT, CERTS / "files.contoso.com.cer")
    pem = read(SPEC_CERT, CERTS / "files.contoso.com.pem")
    assert der.status is Status.OK and warnings(der) == [] and warnings(pem) == []
    assert der.certificates == pem.certificates
    (cert,) = der.certificates
    assert cert.subject == "CN=files.contoso.com, O=Contoso"
    assert cert.san == ("DNS Name=files.contoso.com", "DNS Name=contoso.com")
    assert cert.eku == ("1.3.6.1.5.5.7.3.1",)
    assert cert.key_usage == ("digitalSignature", "keyAgreement")  # an ECDSA key
    assert (cert.valid_from, cert.valid_to) == ("2025-01-01T00:00:00", "2027-01-01T00:00:00")
    assert cert.serial == "1234abcd" and len(cert.thumbprint or "") == 40
    assert cert.store is None and cert.key is None
    assert pem.certificates[0].source.line == 1


def test_pfx_is_recognised_never_opened_and_nothing_of_it_is_kept() -> None:
    path = CERTS / "files.contoso.com.pfx"
    assert sniff(SPEC_PFX, path) >= 90 and sniff(SPEC_CERT, path) == 0
    result = read(SPEC_PFX, path)
    assert result.status is Status.OK and result.certificates == []
    assert "private-key material" in result.messages[0].text
    assert sniff(SPEC_PFX, CERTS / "files.contoso.com.cer") == 0


def test_pem_with_a_private_key_block_warns(tmp_path) -> None:
    path = tmp_path / "both.pem"
    key_block = b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"
    path.write_bytes(key_block + (CERTS / "files.contoso.com.pem").read_bytes())
    result = read(SPEC_CERT, path)
    assert len(result.certificates) == 1 and result.certificates[0].source.line == 4
    assert "PRIVATE KEY" in warnings(result)[0]
    assert all("MIIB" not in m.text for m in result.messages)


def test_garbage_with_cer_extension_is_an_error(tmp_path) -> None:
    path = tmp_path / "broken.cer"
    path.write_bytes(b"\x30\x82\x01\x00" + b"\x30" + b"\x00" * 300)
    result = read(SPEC_CERT, path)
    assert result.status is Status.ERROR and result.certificates == []
