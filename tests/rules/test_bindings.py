"""The binding rules: `binding-cert-missing`, `binding-store-not-covered`, `binding-add-failed`,
and the bound certificate preferred by every diagnosis."""

from __future__ import annotations

from rule_records import (
    analyse,
    binding,
    by_id,
    cert,
    dump,
    event,
    every_step,
    ids,
    key,
    log,
    netsh,
    thumb,
)


def test_binding_to_a_certificate_absent_from_the_dumped_store() -> None:
    gone = thumb("gone")
    analysis = analyse(dump(cert("www")), log(event()), netsh(binding(gone)))
    (diagnosis,) = by_id(analysis, "binding-cert-missing")
    assert diagnosis.kind == "fault" and diagnosis.confidence == "high"
    assert diagnosis.certificates == (gone,)
    assert str(diagnosis.evidence[0].source) == "sslcert.txt:4"
    # the PFX first (the binding then works unchanged); re-pointing it is the alternative, and
    # with the OS not known: the bindings saved, then delete and add
    steps = every_step(diagnosis)
    assert diagnosis.remediation_plans[0].title == "Put the certificate into the machine store"
    show = steps.index(
        'netsh http show sslcert > "%TEMP%\\sslcert-before.txt"   (keeps every binding as it is '
        "now)"
    )
    assert steps.index("netsh http delete sslcert ipport=0.0.0.0:443") == show + 1


def test_binding_near_misses_stay_silent() -> None:
    healthy = analyse(dump(cert("www")), log(event()), netsh(binding(thumb("www"))))
    cut = analyse(dump(cert("www")), netsh(binding("26c8c253be45...e9c8", valid=False)))
    other_store = analyse(dump(cert("www")), netsh(binding(thumb("gone"), store="WebHosting")))
    for analysis in (healthy, cut, other_store):
        assert "binding-cert-missing" not in ids(analysis)
        assert "binding-store-not-covered" not in ids(analysis)


def test_binding_certificate_only_in_the_user_store() -> None:
    user = cert("www", store="my", user_store=True)
    analysis = analyse(
        dump(cert("intranet")), dump(user, path="user.txt"), netsh(binding(thumb("www")))
    )
    (diagnosis,) = by_id(analysis, "binding-cert-missing")
    assert "`-user` dump only" in diagnosis.evidence[-1].text


def test_binding_in_an_unusual_store_without_its_dump() -> None:
    analysis = analyse(dump(cert("www")), netsh(binding(thumb("shop"), store="Contoso Shop")))
    (diagnosis,) = by_id(analysis, "binding-store-not-covered")
    assert diagnosis.kind == "advisory"
    assert diagnosis.remediation[0].startswith('certutil -v -store "Contoso Shop"')


def test_the_diagnosis_prefers_the_bound_certificate() -> None:
    broken = key(state="missing", exportable=False, tests=(), acl_sddl=None)
    certs = dump(cert("old", key=broken), cert("www", line=30, key=broken), cert("ok", line=60))
    analysis = analyse(certs, log(event()), netsh(binding(thumb("www"))))
    assert analysis.diagnoses[0].certificates == (thumb("www"),)
    assert analysis.diagnoses[0].explains_events


def test_netsh_error_1312_is_reported_and_asks_for_the_selected_thumbprint() -> None:
    from pathlib import Path

    from analyzer.inputs.files import InputFile
    from analyzer.readers import ReadOptions
    from analyzer.readers.evidence.netsh import SPEC

    fixture = (
        Path(__file__).resolve().parents[2]
        / "fixtures"
        / "evidence"
        / "netsh"
        / "sslcert-bad-hash.txt"
    )
    listing = SPEC.read(InputFile.from_path(fixture), ReadOptions())
    analysis = analyse(dump(cert("www")), listing)
    (diagnosis,) = by_id(analysis, "binding-add-failed")
    assert diagnosis.evidence[0].source.line == 2
    assert "--thumbprint" in diagnosis.remediation[0]
    assert "binding-cert-missing" not in ids(analysis)  # the cut hash is never matched
    with_thumbprint = analyse(dump(cert("www")), listing, thumbprint=thumb("www"))
    assert "--thumbprint" not in by_id(with_thumbprint, "binding-add-failed")[0].remediation[0]
