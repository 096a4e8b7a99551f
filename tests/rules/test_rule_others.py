"""no-private-key, validity, EKU, CNG on 2008, 36871 policy, machine store, no known cause."""

from __future__ import annotations

from engine_records import KSP, analyse, cert, dump, event, key, log, thumb

from analyzer.collector import RUN_LINE
from analyzer.model import OsInfo

CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"


def ids(analysis) -> list[str]:
    return [d.id for d in analysis.diagnoses]


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


def test_expired_predecessor_never_outranks_the_broken_key_in_use() -> None:
    old = cert(
        "old",
        valid_from="2022-01-01T00:00:00",
        valid_to="2024-01-01T00:00:00",
        not_after="1/1/2024 12:00 AM",
    )
    current = cert("www", key=key(keyspec=2, tests=("signature-passed",)))
    analysis = analyse(dump(old, current), log(event()))
    assert ids(analysis)[0] == "keyspec-signature"
    expired = next(d for d in analysis.diagnoses if d.id == "certificate-expired")
    assert expired.kind == "advisory" and expired.certificates == (thumb("old"),)
    assert ids(analysis).index("certificate-expired") > ids(analysis).index("keyspec-signature")


def test_expired_certificate_in_use_is_a_fault() -> None:
    old = cert("old", valid_to="2024-01-01T00:00:00")
    analysis = analyse(dump(old), log(event()), thumbprint=thumb("old"))
    expired = next(d for d in analysis.diagnoses if d.id == "certificate-expired")
    assert expired.kind == "fault"


def test_a_day_of_slack_for_zone_less_dates_is_said() -> None:
    nearly = cert("www", valid_to="2025-06-01T00:00:00")
    analysis = analyse(dump(nearly), log(event(time="2025-06-01T10:00:00Z")))
    assert "certificate-expired" not in ids(analysis)
    assert any("zone" in note for note in analysis.context["notes"])


def test_not_yet_valid_certificate() -> None:
    future = cert("new", valid_from="2025-09-01T00:00:00", valid_to="2027-09-01T00:00:00")
    analysis = analyse(dump(future, cert("www")), log(event()))
    assert "certificate-not-yet-valid" in ids(analysis)


def test_certificate_in_use_without_server_authentication() -> None:
    client = cert("client", eku=(CLIENT_AUTH,))
    analysis = analyse(dump(client), log(event()), thumbprint=thumb("client"))
    assert "no-server-auth-eku" in ids(analysis)
    assert "no-server-auth-eku" not in ids(analyse(dump(client), log(event())))


def test_cng_key_on_server_2008() -> None:
    ksp = cert(key=key(provider=KSP, keyspec=0))
    on_2008 = analyse(dump(ksp), log(event(), os=OsInfo("6.0", 6002, 1)))
    diagnosis = next(d for d in on_2008.diagnoses if d.id == "cng-key-on-2008")
    assert (diagnosis.kind, diagnosis.explains_events) == ("fault", True)
    unknown = analyse(dump(ksp), log(event()))
    assert next(d for d in unknown.diagnoses if d.id == "cng-key-on-2008").kind == "advisory"
    on_2016 = analyse(dump(ksp), log(event(), os=OsInfo("10.0", 14393, 1)))
    assert "cng-key-on-2008" not in ids(on_2016)


def test_36871_state_10013_is_protocol_policy_not_a_key_problem() -> None:
    policy = event(36871, Type="client", ErrorState=10013)
    analysis = analyse(dump(cert()), log(policy))
    assert analysis.diagnoses[0].id == "protocol-policy-36871"
    assert "protocol-policy-36871" not in ids(
        analyse(dump(cert()), log(event(36871, Type="client", ErrorState=10011)))
    )


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


def test_healthy_case_with_36870_has_no_known_cause() -> None:
    analysis = analyse(dump(cert()), log(event()))
    assert ids(analysis) == ["no-known-cause"]
    assert not analysis.diagnoses[0].explains_events
    assert "keyspec-signature" in analysis.diagnoses[0].summary  # lists what was checked
    asked = "\n".join(f"{a.what}\n{a.command}" for a in analysis.ask_for)
    for item in ("HTTP.sys SSL bindings", "key folders and files", "procmon", "wevtutil epl"):
        assert item in asked
    assert RUN_LINE in asked  # the collector gathers the bindings and the key permissions


def test_validity_advisories_are_one_diagnosis_for_many_certificates() -> None:
    olds = [cert(f"old{i}", valid_to="2024-01-01T00:00:00") for i in range(12)]
    analysis = analyse(dump(*olds, cert()), log(event()))
    expired = [d for d in analysis.diagnoses if d.id == "certificate-expired"]
    assert len(expired) == 1 and expired[0].kind == "advisory"
    assert len(expired[0].certificates) == 12 and len(expired[0].evidence) == 10
    assert "12 certificates" in expired[0].title and "(and 2 more)" in expired[0].summary


def test_ask_for_shrinks_as_inputs_arrive() -> None:
    from analyzer.model import AclEntry, Binding, ReadResult, Source

    broken = key(state="failed", exportable=False, tests=("encryption-failed",))
    before = analyse(dump(cert(key=broken), cert("other")), log(event()))
    asked = "\n".join(a.what for a in before.ask_for)
    assert "key folders and files" in asked and "HTTP.sys SSL bindings" in asked
    ace = AclEntry(
        "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys",
        "BUILTIN\\Administrators",
        "S-1-5-32-544",
        ("F",),
        source=Source("acl.txt", 1),
    )
    binding = Binding("0.0.0.0:443", thumb("www"), "MY", source=Source("ssl.txt", 3))
    after = analyse(
        dump(cert(key=broken), cert("other")),
        log(event()),
        ReadResult("acl.txt", "icacls", acls=[ace]),
        ReadResult("ssl.txt", "netsh-sslcert", bindings=[binding]),
    )
    asked = "\n".join(a.what for a in after.ask_for)
    assert "key folders and files" not in asked and "HTTP.sys SSL bindings" not in asked
