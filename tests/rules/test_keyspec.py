"""`keyspec-signature` (scenario 3) and `keyspec-none-csp`: KeySpec against the key's provider."""

from __future__ import annotations

from rule_records import (
    CODE_SIGNING,
    KSP,
    analyse,
    cert,
    dump,
    event,
    every_step,
    ids,
    key,
    log,
    thumb,
)


def test_verbose_keyspec_2_is_the_verdict_with_its_evidence() -> None:
    analysis = analyse(
        dump(cert(key=key(keyspec=2, tests=("signature-passed",)))), log(event(record=7))
    )
    verdict = analysis.diagnoses[0]
    assert verdict.id == "keyspec-signature" and verdict.scenario == 3
    assert (verdict.kind, verdict.confidence, verdict.explains_events) == ("fault", "high", True)
    assert verdict.certificates == (thumb("www"),)
    assert "KeySpec = 2 -- AT_SIGNATURE" in (verdict.evidence[0].quote or "")
    assert str(verdict.evidence[0].source) == "ticket/my.txt:2"
    assert [str(s) for s in verdict.events] == ["ticket/System.evtx#record 7"]
    # exportable CSP key: export, delete, re-import with AT_KEYEXCHANGE into the SChannel CSP
    fix = "\n".join(verdict.remediation)  # the first plan: the key is exportable
    assert "certutil -exportPFX" in fix and f"certutil -delstore my {thumb('www')}" in fix
    assert '-csp "Microsoft RSA SChannel Cryptographic Provider" -importPFX my' in fix
    assert "AT_KEYEXCHANGE" in fix


def test_non_verbose_signature_only_csp_key_is_the_same_tell_at_lower_confidence() -> None:
    short = key(keyspec=None, provider_type=None, tests=("signature-passed",), acl_sddl=None)
    analysis = analyse(dump(cert(key=short, eku=None)), log(event()))
    assert analysis.diagnoses[0].id == "keyspec-signature"
    assert analysis.diagnoses[0].confidence == "medium"


def test_ksp_signature_only_and_ksp_keyspec_0_are_normal() -> None:
    ksp_short = key(provider=KSP, keyspec=None, provider_type=None, tests=("signature-passed",))
    ksp_verbose = key(provider=KSP, keyspec=0, tests=("signature-passed",))
    analysis = analyse(dump(cert("a", key=ksp_short), cert("b", key=ksp_verbose)), log(event()))
    assert not {"keyspec-signature", "keyspec-none-csp"} & set(ids(analysis))


def test_code_signing_certificate_with_keyspec_2_stays_silent() -> None:
    signing = cert("sign", eku=(CODE_SIGNING,), key=key(keyspec=2, tests=("signature-passed",)))
    assert "keyspec-signature" not in ids(analyse(dump(signing), log(event())))


def test_ksp_keyspec_2_is_repaired_with_an_inf_setting_keyspec_0() -> None:
    ksp2 = key(provider=KSP, keyspec=2, container="te-0125d557")
    verdict = analyse(dump(cert(key=ksp2)), log(event())).diagnoses[0]
    assert verdict.id == "keyspec-signature"
    fix = "\n".join(verdict.remediation)
    assert '_continue_ = "KeySpec=0"' in fix and "Container=te-0125d557&" in fix
    assert f'certutil -repairstore my {thumb("www")} "%TEMP%\\KeySpec0.inf"' in fix


def test_non_exportable_csp_key_needs_the_pfx_or_a_new_request() -> None:
    locked = key(keyspec=2, exportable=False, tests=("signature-passed",))
    verdict = analyse(dump(cert(key=locked)), log(event())).diagnoses[0]
    fix = "\n".join(every_step(verdict))
    for line in (
        "KeySpec = 1",
        "MachineKeySet = TRUE",
        "ProviderType = 12",
        'ProviderName = "Microsoft RSA SChannel Cryptographic Provider"',
        "KeyUsage = 0xa0",
        'Subject = "CN=www.contoso.com"',
        '_continue_ = "dns=www.contoso.com"',
    ):
        assert line in fix
    assert "certutil -exportPFX" not in fix


def test_csp_key_with_keyspec_0_is_a_broken_association() -> None:
    broken = cert(key=key(keyspec=0))
    analysis = analyse(dump(broken), log(event()))
    assert analysis.diagnoses[0].id == "keyspec-none-csp"
    assert any("-repairstore my" in step for step in analysis.diagnoses[0].remediation)


def test_ca_certificate_with_keyspec_2_is_not_a_server_certificate() -> None:
    ca = cert(
        "ca",
        eku=None,
        key_usage=("digitalSignature", "keyCertSign", "cRLSign"),
        key=key(keyspec=2, tests=("signature-passed",)),
    )
    assert "keyspec-signature" not in ids(analyse(dump(ca, cert()), log(event())))
    # the same key usage with an explicit Server Authentication EKU is a server certificate
    both = cert("both", key_usage=("digitalSignature", "keyCertSign"), key=key(keyspec=2))
    assert "keyspec-signature" in ids(analyse(dump(both), log(event())))
