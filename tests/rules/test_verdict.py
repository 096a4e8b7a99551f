"""The verdict: the order of the diagnoses (faults that explain the failures first), the closing
`no-known-cause`, `protocol-policy-36871` ahead of key guesses, and the ask-for list."""

from __future__ import annotations

from rule_records import (
    MACHINEKEYS,
    analyse,
    binding,
    cert,
    dump,
    event,
    icacls,
    ids,
    key,
    log,
    netsh,
    pfx,
    thumb,
)

from analyzer.collector import RUN_LINE


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


def test_36871_state_10013_is_protocol_policy_not_a_key_problem() -> None:
    policy = event(36871, Type="server", ErrorState=10013)
    analysis = analyse(dump(cert()), log(policy))
    assert analysis.diagnoses[0].id == "protocol-policy-36871"
    assert "protocol-policy-36871" not in ids(
        analyse(dump(cert()), log(event(36871, Type="server", ErrorState=10011)))
    )


def test_healthy_case_with_36870_has_no_known_cause() -> None:
    analysis = analyse(dump(cert()), log(event()))
    assert ids(analysis) == ["no-known-cause"]
    assert not analysis.diagnoses[0].explains_events
    assert "keyspec-signature" in analysis.diagnoses[0].summary  # lists what was checked
    asked = "\n".join(f"{a.what}\n{a.command}" for a in analysis.ask_for)
    for item in ("HTTP.sys SSL bindings", "key folders and files", "procmon", "wevtutil epl"):
        assert item in asked
    assert RUN_LINE in asked  # the collector gathers the bindings and the key permissions


def test_ask_for_shrinks_as_inputs_arrive() -> None:
    broken = key(state="failed", exportable=False, tests=("encryption-failed",), acl_sddl=None)
    before = analyse(dump(cert(key=broken), cert("other")), log(event()))
    asked = "\n".join(a.what for a in before.ask_for)
    assert "key folders and files" in asked and "HTTP.sys SSL bindings" in asked
    after = analyse(
        dump(cert(key=broken), cert("other")),
        log(event()),
        icacls((MACHINEKEYS, "BUILTIN\\Administrators", "S-1-5-32-544", ("F",))),
        netsh(binding(thumb("www"), "MY")),
    )
    asked = "\n".join(a.what for a in after.ask_for)
    assert "key folders and files" not in asked and "HTTP.sys SSL bindings" not in asked


def test_a_key_acl_that_lets_the_account_in_asks_for_no_acl() -> None:
    """The dump's own SDDL grants SYSTEM (through Administrators): nothing to ask about it."""
    broken = key(state="failed", exportable=False, tests=("encryption-failed",))
    analysis = analyse(dump(cert(key=broken), cert("other")), log(event()))
    assert "key folders and files" not in "\n".join(a.what for a in analysis.ask_for)
    assert "key folder and key file permissions" not in {n.what for n in analysis.not_checked}


def test_an_attached_pfx_answers_the_pfx_question() -> None:
    broken = key(state="failed", exportable=False, tests=("encryption-failed",), acl_sddl=None)
    certs = dump(cert("www", key=broken), cert("ok", line=40))
    question = "whether the original PFX (and its password) is still at hand"
    assert question in {a.what for a in analyse(certs, log(event())).ask_for}
    assert question not in {a.what for a in analyse(certs, log(event()), pfx()).ask_for}
