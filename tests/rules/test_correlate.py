"""Correlation: which certificate, which time, which service, which OS; option parsing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rule_records import LOG, cert, correlation_of, dump, event, log, thumb

from analyzer.case import normalise_thumbprint, parse_at
from analyzer.correlate import validity_at
from analyzer.errors import UsageError
from analyzer.model import Coverage, Event, OsInfo, ReadResult, Source


def test_thumbprint_forms_from_the_certificate_dialog() -> None:
    expected = "32b5fd9a40d6acc11ecb2bcec1c3ccc7d1a5b3e4"
    for form in (
        "32 b5 fd 9a 40 d6 ac c1 1e cb 2b ce c1 c3 cc c7 d1 a5 b3 e4",
        "32:B5:FD:9A:40:D6:AC:C1:1E:CB:2B:CE:C1:C3:CC:C7:D1:A5:B3:E4",
        "\u200e32b5fd9a40d6acc11ecb2bcec1c3ccc7d1a5b3e4\u200f",
        "\ufeff32B5FD9A40D6ACC11ECB2BCEC1C3CCC7D1A5B3E4",
    ):
        assert normalise_thumbprint(form) == expected
    with pytest.raises(UsageError):
        normalise_thumbprint("not a thumbprint")


@given(st.binary(min_size=20, max_size=20), st.sampled_from([" ", ":", ""]), st.booleans())
def test_thumbprint_normalisation_property(raw: bytes, separator: str, upper: bool) -> None:
    text = separator.join(f"{b:02x}" for b in raw)
    text = text.upper() if upper else text
    assert normalise_thumbprint("\u200e" + text) == raw.hex()


def test_at_without_offset_is_utc_and_said_so() -> None:
    assert parse_at("2024-05-01T10:00:00") == ("2024-05-01T10:00:00Z", True)
    assert parse_at("2024-05-01T12:00:00+02:00") == ("2024-05-01T10:00:00Z", False)
    assert parse_at("2024-05-01T10:00:00Z") == ("2024-05-01T10:00:00Z", False)
    with pytest.raises(UsageError):
        parse_at("yesterday")


def test_at_selects_the_failures_of_the_attempt() -> None:
    early, late = (
        event(record=1, time="2025-05-01T08:00:00Z"),
        event(record=2, time="2025-06-01T10:05:00Z"),
    )
    corr = correlation_of(dump(cert()), log(early, late), at="2025-06-01T10:00:00Z")
    assert [e.record_id for e in corr.failures] == [2]
    assert corr.reference_time == "2025-06-01T10:00:00Z" and corr.reference_from == "--at"
    far = correlation_of(dump(cert()), log(early), at="2025-06-01T10:00:00Z")
    assert len(far.failures) == 1 and "no 36870 within 30 minutes" in far.notes[0]


def test_in_scope_certificates_and_why() -> None:
    expired = cert("old", valid_to="2024-01-01T00:00:00")
    keyless = cert("nokey", key=None)
    client = cert("client", eku=("1.3.6.1.5.5.7.3.2",))
    corr = correlation_of(dump(cert(), expired, keyless, client), log(event()))
    assert [s.thumbprint for s in corr.in_scope] == [thumb("www")]
    assert "Server Authentication EKU" in corr.in_scope[0].reasons
    named = correlation_of(dump(cert(), expired), log(event()), thumbprint=thumb("old"))
    assert [s.thumbprint for s in named.in_scope] == [thumb("old")]


def test_service_only_where_the_evidence_says_so() -> None:
    assert correlation_of(dump(cert()), log(event())).service == "not known"
    http = Event(
        "Schannel",
        36870,
        "2025-06-01T10:00:00Z",
        5,
        role="server",
        data={"ErrorCode": "0x8009030d"},
        sspi_process="SYSTEM (PID: 4)",
        source=Source("x.txt", 3),
    )
    export = ReadResult("x.txt", "evtx-text", events=[http])
    corr = correlation_of(export)
    assert corr.service == "HTTP.sys (IIS)"
    assert corr.service_evidence[0].quote == "The SSPI client process is SYSTEM (PID: 4)."
    http_15021 = Event(
        "Microsoft-Windows-HttpEvent",
        15021,
        "2025-06-01T10:00:00Z",
        9,
        data={"Endpoint": "0.0.0.0:443"},
        source=Source(LOG, record=9),
    )
    assert correlation_of(log(event(), http_15021)).service == "HTTP.sys (endpoint 0.0.0.0:443)"
    rdp = Event(
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
        1057,
        "2025-06-01T10:00:00Z",
        10,
        source=Source(LOG, record=10),
    )
    assert correlation_of(log(event(), rdp)).service == "Remote Desktop Services"


def test_client_36870_is_not_a_binding_failure() -> None:
    corr = correlation_of(log(event(Type="client", ErrorCode="0x8009030d", ErrorStatus=10003)))
    assert corr.failures == () and "client credential" in corr.notes[0]


def test_os_from_coverage_else_6009() -> None:
    assert correlation_of(log(event(), os=OsInfo("6.0", 6002, 3))).os == OsInfo("6.0", 6002, 3)
    boot = Event(
        "EventLog",
        6009,
        "2025-06-01T09:00:00Z",
        3,
        data={"MajorVersion": "6.01.", "BuildNumber": "7601"},
        source=Source(LOG, record=3),
    )
    result = ReadResult(LOG, "evtx", events=[boot], coverage=Coverage(channel="System"))
    assert correlation_of(result).os == OsInfo("6.1", 7601, 3)


def test_36868_names_the_certificate_by_its_key_container() -> None:
    named = Event(
        "Schannel",
        36868,
        "2025-06-01T09:59:59Z",
        99,
        role="server",
        data={
            "Type": "server",
            "CSPName": "Microsoft Strong Cryptographic Provider",
            "KeyName": "{0F81886A-5F70-430A-939C-BB7DD58ECE2A}",
        },
        source=Source(LOG, record=99),
    )
    other = cert("other", key=None)
    corr = correlation_of(dump(cert(), other), log(named, event()))
    assert corr.in_use == (thumb("www"),) and corr.in_use_from == "36868"
    assert "36868" in corr.notes[0]


@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)),
    st.integers(min_value=-5000, max_value=5000),
)
def test_validity_uses_exactly_one_day_of_slack(not_after: datetime, minutes: int) -> None:
    certificate = cert(valid_from=None, valid_to=not_after.replace(microsecond=0).isoformat())
    when = (not_after.replace(microsecond=0) + timedelta(minutes=minutes)).replace(
        tzinfo=timezone.utc
    )
    state = validity_at(certificate, when).state
    assert state == ("expired" if minutes > 24 * 60 else "valid")
