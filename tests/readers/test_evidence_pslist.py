"""PowerShell certificate listings: Format-List *, localized dates with VERBOSE prefixes, tables."""

from __future__ import annotations

from analyzer.model import Certificate, Key, Status
from analyzer.readers.evidence.pslist import CANNOT_SHOW, SPEC
from analyzer.readers.evidence.values import local_datetime
from tests.readers.evidence_helpers import (
    EVIDENCE,
    INTRANET_THUMBPRINT,
    WEB_THUMBPRINT,
    read,
    sniff,
    warnings,
)

PS = EVIDENCE / "ps"


def test_format_list_utf16_two_certificates() -> None:
    path = PS / "formatlist-en.txt"
    result = read(SPEC, path)
    assert result.status is Status.OK and warnings(result) == []
    assert [c.thumbprint for c in result.certificates] == [WEB_THUMBPRINT, INTRANET_THUMBPRINT]
    assert result.certificates[0] == Certificate(
        index=None,
        store="my",
        user_store=False,
        thumbprint=WEB_THUMBPRINT,
        serial="d3d6830ec822f4e375761fc498fce26d",
        subject="CN=www.contoso.com",
        issuer="CN=Contoso Issuing CA 01, DC=contoso, DC=com",
        not_before="1/14/2025 9:12:00 AM",
        not_after="1/14/2027 9:22:00 AM",
        valid_from="2025-01-14T09:12:00",
        valid_to="2027-01-14T09:22:00",
        eku=("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"),
        san=("DNS Name=www.contoso.com",),
        friendly_name="www.contoso.com",
        key=Key(provider_class="csp", machine_keyset=True),
    )
    assert result.certificates[0].source.line == 3
    assert any(m.text == CANNOT_SHOW for m in result.messages)
    assert sniff(SPEC, path) >= 80


def test_german_dates_behind_verbose_and_quote_prefixes() -> None:
    result = read(SPEC, PS / "formatlist-de-verbose.txt")
    assert warnings(result) == []  # the verbose message is a note, not damage
    (cert,) = result.certificates
    assert cert.thumbprint == WEB_THUMBPRINT
    assert cert.not_after == "14.01.2027 09:22:00" and cert.valid_to == "2027-01-14T09:22:00"


def test_table_with_a_thumbprint_cut_by_the_width() -> None:
    result = read(SPEC, PS / "table-truncated.txt")
    found = warnings(result)
    assert len(found) == 1 and found[0].startswith(
        "7: thumbprint 'B13E86CE9B20590EF12E04FB507B5A...'"
    )
    (cert,) = result.certificates
    assert (cert.thumbprint, cert.subject, cert.store) == (
        WEB_THUMBPRINT,
        "CN=www.contoso.com",
        "my",
    )
    assert cert.key == Key(machine_keyset=True)


def test_dates_are_parsed_only_when_unambiguous() -> None:
    assert local_datetime("12/31/2025 11:59:59 PM") == "2025-12-31T23:59:59"
    assert local_datetime("31.12.2025 23:59:59") == "2025-12-31T23:59:59"
    assert local_datetime("2025-12-31 23:59:59") == "2025-12-31T23:59:59"
    assert local_datetime("31/13/2025 10:00:00") is None
    assert local_datetime("soon") is None


def test_default_format_list_without_blank_lines(tmp_path) -> None:
    """`Format-List` (no `*`): Subject comes before Thumbprint; a paste lost the blank lines."""
    path = tmp_path / "fl.txt"
    path.write_text(
        f"Subject      : CN=www.contoso.com\nIssuer       : CN=CA\nThumbprint   : {WEB_THUMBPRINT.upper()}\n"
        "NotAfter     : 31.12.2026 23:59:59\n"
        f"Subject      : CN=intranet.contoso.com\nIssuer       : CN=CA\nThumbprint   : {INTRANET_THUMBPRINT}\n",
        encoding="utf-8",
    )
    result = read(SPEC, path)
    assert warnings(result) == []
    assert [(c.subject, c.thumbprint) for c in result.certificates] == [
        ("CN=www.contoso.com", WEB_THUMBPRINT),
        ("CN=intranet.contoso.com", INTRANET_THUMBPRINT),
    ]
    assert result.certificates[0].store is None
