"""The certificate rules: `no-private-key`, `certificate-expired`, `certificate-not-yet-valid`,
`no-server-auth-eku`, `cert-not-in-machine-store`, and the service hook that decides whether a
certificate problem HTTP.sys tolerates is a fault."""

from __future__ import annotations

import dataclasses

from rule_records import (
    KSP,
    analyse,
    by_id,
    cert,
    dump,
    event,
    ids,
    key,
    log,
    thumb,
)

from analyzer.model import Event, OsInfo
from analyzer.rulekit.references import SQL_CERTIFICATE_REQUIREMENTS

SQL_PAGE = SQL_CERTIFICATE_REQUIREMENTS.url

CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"


def test_36869_with_a_keyless_certificate_is_no_private_key() -> None:
    keyless = cert(key=key(state="no-key-info", provider=None, keyspec=None, tests=()))
    analysis = analyse(dump(keyless), log(event(36869, Type="server")))
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.confidence) == ("no-private-key", "high")
    assert verdict.certificates == (thumb("www"),)
    assert verdict.evidence[0].quote == "No key provider information"


def test_certificate_in_use_without_a_key() -> None:
    keyless = cert(key=None)
    analysis = analyse(dump(keyless, cert("other")), log(event()), thumbprint=thumb("www"))
    assert analysis.diagnoses[0].id == "no-private-key"
    assert analysis.diagnoses[0].explains_events


def sql_server_event() -> Event:
    """36870 whose text names SQL Server's process as the SSPI client."""
    return dataclasses.replace(event(), sspi_process="sqlservr (PID: 2210)")


def test_expired_certificate_in_use_is_an_advisory_for_http_sys() -> None:
    old = cert("old", valid_to="2024-01-01T00:00:00")
    analysis = analyse(dump(old), log(event()), thumbprint=thumb("old"))
    expired = next(d for d in analysis.diagnoses if d.id == "certificate-expired")
    assert expired.kind == "advisory"
    assert "taken as HTTP.sys" in expired.confidence_reason
    assert not any("delstore" in step for step in expired.remediation)
    assert SQL_PAGE not in expired.references


def test_expired_certificate_in_use_is_a_fault_for_sql_server() -> None:
    old = cert("old", valid_to="2024-01-01T00:00:00")
    analysis = analyse(dump(old), log(sql_server_event()), thumbprint=thumb("old"))
    expired = next(d for d in analysis.diagnoses if d.id == "certificate-expired")
    assert expired.kind == "fault"
    assert SQL_PAGE in expired.references


def test_a_day_of_slack_for_zone_less_dates_is_said() -> None:
    nearly = cert("www", valid_to="2025-06-01T00:00:00")
    analysis = analyse(dump(nearly), log(event(time="2025-06-01T10:00:00Z")))
    assert "certificate-expired" not in ids(analysis)
    assert any("zone" in note for note in analysis.context.notes)


def test_not_yet_valid_certificate() -> None:
    future = cert("new", valid_from="2025-09-01T00:00:00", valid_to="2027-09-01T00:00:00")
    analysis = analyse(dump(future, cert("www")), log(event()))
    assert "certificate-not-yet-valid" in ids(analysis)


def test_validity_advisories_are_one_diagnosis_for_many_certificates() -> None:
    olds = [cert(f"old{i}", valid_to="2024-01-01T00:00:00") for i in range(12)]
    analysis = analyse(dump(*olds, cert()), log(event()))
    expired = [d for d in analysis.diagnoses if d.id == "certificate-expired"]
    assert len(expired) == 1 and expired[0].kind == "advisory"
    assert len(expired[0].certificates) == 12 and len(expired[0].evidence) == 10
    assert "12 certificates" in expired[0].title and "(and 2 more)" in expired[0].summary


def test_certificate_in_use_without_server_authentication() -> None:
    client = cert("client", eku=(CLIENT_AUTH,))
    analysis = analyse(dump(client), log(event()), thumbprint=thumb("client"))
    (eku,) = by_id(analysis, "no-server-auth-eku")
    assert eku.kind == "advisory"  # HTTP.sys binds it; clients reject it later
    assert "no-server-auth-eku" not in ids(analyse(dump(client), log(event())))
    strict = analyse(dump(client), log(sql_server_event()), thumbprint=thumb("client"))
    assert by_id(strict, "no-server-auth-eku")[0].kind == "fault"


def test_a_ksp_key_on_server_2008_is_no_fault() -> None:
    """No Microsoft page says Schannel on 6.0 cannot use CNG keys: the OS blames nothing."""
    ksp = cert(key=key(provider=KSP, keyspec=0))
    on_2008 = analyse(dump(ksp), log(event(), os=OsInfo("6.0", 6002, 1)))
    assert not any("2008" in d.title for d in on_2008.diagnoses)
    assert not any(d.kind == "fault" for d in on_2008.diagnoses)


def test_thumbprint_absent_from_the_machine_store() -> None:
    analysis = analyse(dump(cert()), log(event()), thumbprint=thumb("elsewhere"))
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.confidence) == ("cert-not-in-machine-store", "medium")
    user = cert("mine", user_store=True)
    in_user = analyse(dump(user), log(event()), thumbprint=thumb("mine"))
    assert (in_user.diagnoses[0].id, in_user.diagnoses[0].confidence) == (
        "cert-not-in-machine-store",
        "high",
    )


def test_only_user_dumps_is_an_advisory() -> None:
    analysis = analyse(dump(cert("mine", user_store=True)), log(event()))
    advisory = next(d for d in analysis.diagnoses if d.id == "cert-not-in-machine-store")
    assert advisory.kind == "advisory"
