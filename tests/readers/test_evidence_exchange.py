"""The Exchange reader: Get-ExchangeCertificate's Format-List (CertificateDomains wrapped,
Services as a comma list, UTF-16LE with BOM, pasted after the Exchange Management Shell's
prompt) and its default table (Services as AllowedServices letters), cut values, bad input."""

from __future__ import annotations

from pathlib import Path

from analyzer.model import ExchangeCertificate, Status
from analyzer.readers.evidence.exchange import SPEC
from fixtures.writers.evidence_writer import encode
from fixtures.writers.tickets_exchange import EX01_CERT, MAIL_CERT, exchange_list, exchange_table
from tests.readers.evidence_helpers import read, sniff, warnings

TICKETS = Path(__file__).resolve().parents[2] / "fixtures" / "tickets"


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "exchange.txt"
    path.write_bytes(encode(text, encoding))
    return path


def test_format_list_gives_services_domains_status_and_key() -> None:
    path = TICKETS / "exchange-smtp-key-without-network-service" / "exchange-certificates.txt"
    assert sniff(SPEC, path) >= 80
    result = read(SPEC, path)
    assert result.status is Status.OK and result.encoding.startswith("utf-16")
    listed = [c for c in result.records(ExchangeCertificate) if c.form == "list"]
    assert [(c.thumbprint, c.services, c.has_private_key, c.status) for c in listed] == [
        (MAIL_CERT.thumbprint, ("IMAP", "POP", "IIS", "SMTP"), True, "Valid"),
        (EX01_CERT.thumbprint, ("SMTP",), True, "Valid"),
    ]
    # the wrapped CertificateDomains value is joined back whole
    assert listed[0].domains == MAIL_CERT.san
    assert listed[0].subject == MAIL_CERT.subject
    assert listed[0].not_after == "1/14/2027 9:22:00 AM"


def test_default_table_letters_are_read_by_position(tmp_path: Path) -> None:
    text = exchange_table([(MAIL_CERT, "IP.WS.."), (EX01_CERT, "....S.."), (MAIL_CERT, "...W...")])
    result = read(SPEC, write(tmp_path, "> " + text.replace("\n", "\n> ")))
    got = [(c.thumbprint, c.services, c.form) for c in result.records(ExchangeCertificate)]
    assert got == [
        (MAIL_CERT.thumbprint, ("IMAP", "POP", "IIS", "SMTP"), "table"),
        (EX01_CERT.thumbprint, ("SMTP",), "table"),
        (MAIL_CERT.thumbprint, ("IIS",), "table"),
    ]


def test_none_services_cut_thumbprint_and_nothing_usable(tmp_path: Path) -> None:
    text = exchange_list([(EX01_CERT, "None")]).replace(
        EX01_CERT.thumbprint.upper(), EX01_CERT.thumbprint.upper()[:20] + "..."
    )
    result = read(SPEC, write(tmp_path, text))
    [cert] = result.records(ExchangeCertificate)
    assert cert.services == () and cert.hash_valid is False
    assert any("is cut" in w for w in warnings(result))
    empty = read(SPEC, write(tmp_path, "[PS] C:\\>Get-ExchangeCertificate\nWARNING: nothing\n"))
    assert empty.status is Status.ERROR
    assert [m.code for m in empty.messages] == ["exchange.none"]
