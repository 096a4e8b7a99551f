"""Rules on the more-evidence inputs: bindings, key-folder listings, localized icacls."""

from __future__ import annotations

from engine_records import analyse, cert, dump, event, key, log, thumb

from analyzer.model import AclEntry, Binding, ReadResult, Source

FOLDER = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys"
KEY_FILE = "99247943bd018ca78ef945b82652598d_3ade29bb-f050-41f3-b0db-f2b69957a1d7"
OTHER_FILE = "0123456789abcdef0123456789abcdef_3ade29bb-f050-41f3-b0db-f2b69957a1d7"


def netsh(*bindings: Binding) -> ReadResult:
    return ReadResult("sslcert.txt", "netsh-sslcert", bindings=list(bindings))


def binding(thumbprint: str, store: str | None = "My", valid: bool = True) -> Binding:
    return Binding(
        "0.0.0.0:443",
        thumbprint,
        store,
        "{4dc3e181-e14b-4a21-b022-59fc669b0914}",
        hash_valid=valid,
        source=Source("sslcert.txt", 4),
    )


def icacls(*entries: tuple[str, str, str, tuple[str, ...]], allow: bool = True) -> ReadResult:
    acls = [
        AclEntry(path, account, sid, rights, allow=allow, source=Source("acl.txt", i + 1))
        for i, (path, account, sid, rights) in enumerate(entries)
    ]
    return ReadResult("acl.txt", "icacls", acls=acls)


DEFAULT_FOLDER = (
    (FOLDER, "Jeder", "S-1-1-0", ("R", "W")),
    (FOLDER, "VORDEFINIERT\\Administratoren", "S-1-5-32-544", ("F",)),
)


def ids(analysis) -> list[str]:
    return [d.id for d in analysis.diagnoses]


def by_id(analysis, rule_id: str):
    return [d for d in analysis.diagnoses if d.id == rule_id]


def test_binding_to_a_certificate_absent_from_the_dumped_store() -> None:
    gone = thumb("gone")
    analysis = analyse(dump(cert("www")), log(event()), netsh(binding(gone)))
    (diagnosis,) = by_id(analysis, "binding-cert-missing")
    assert diagnosis.kind == "fault" and diagnosis.confidence == "high"
    assert diagnosis.certificates == (gone,)
    assert str(diagnosis.evidence[0].source) == "sslcert.txt:4"
    assert "netsh http delete sslcert ipport=0.0.0.0:443" in diagnosis.remediation


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


def test_key_file_missing_from_a_listing_of_the_folder_files() -> None:
    listing = icacls(
        *DEFAULT_FOLDER, (f"{FOLDER}\\{OTHER_FILE}", "NT-AUTORITÄT\\SYSTEM", "S-1-5-18", ("F",))
    )
    analysis = analyse(dump(cert("www")), log(event()), listing)
    (diagnosis,) = by_id(analysis, "key-file-missing")
    assert diagnosis.confidence == "high" and diagnosis.certificates == (thumb("www"),)
    assert KEY_FILE in diagnosis.summary


def test_key_file_listed_or_folder_only_or_cng_key_stays_silent() -> None:
    listed = icacls(
        *DEFAULT_FOLDER, (f"{FOLDER}\\{KEY_FILE}", "NT AUTHORITY\\SYSTEM", "S-1-5-18", ("F",))
    )
    folder_only = icacls(*DEFAULT_FOLDER)
    other = (f"{FOLDER}\\{OTHER_FILE}", "NT AUTHORITY\\SYSTEM", "S-1-5-18", ("F",))
    cng = cert("www", key=key(provider="Microsoft Software Key Storage Provider"))
    for analysis in (
        analyse(dump(cert("www")), listed),
        analyse(dump(cert("www")), folder_only),
        analyse(dump(cng), icacls(*DEFAULT_FOLDER, other)),
    ):
        assert "key-file-missing" not in ids(analysis)
        assert "machinekeys-permissions" not in ids(analysis)
        assert "key-folder-acl-advice" not in ids(analysis)


def test_key_file_without_system_in_german_is_scenario_2_fixed_by_sid() -> None:
    missing = key(state="missing", exportable=None, tests=(), acl_sddl=None)
    listing = icacls(
        *DEFAULT_FOLDER,
        (f"{FOLDER}\\{KEY_FILE}", "CONTOSO\\webadmin", None, ("F",)),  # type: ignore[arg-type]
    )
    analysis = analyse(
        dump(cert("www", key=missing), cert("other", line=40)), log(event()), listing
    )
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.scenario, verdict.confidence) == (
        "machinekeys-permissions",
        2,
        "high",
    )
    assert verdict.evidence[0].text.startswith("icacls: SYSTEM has no read access to the key file")
    assert str(verdict.evidence[0].source) == "acl.txt:3"
    steps = verdict.remediation
    save = next(i for i, s in enumerate(steps) if "/save" in s and KEY_FILE in s)
    grant = next(i for i, s in enumerate(steps) if "/grant *S-1-5-18" in s)
    assert save < grant and KEY_FILE in steps[grant]


def test_everyone_full_control_inherited_is_advice_not_a_fault() -> None:
    listing = icacls(
        (FOLDER, "Tout le monde", "S-1-1-0", ("F",)),
        (FOLDER, "BUILTIN\\Administrateurs", "S-1-5-32-544", ("F",)),
    )
    analysis = analyse(dump(cert("www")), listing)
    (advice,) = by_id(analysis, "key-folder-acl-advice")
    assert advice.kind == "advisory"
    assert (
        'icacls "' + FOLDER + '" /grant:r *S-1-1-0:(R,W)   (this folder only)' in advice.remediation
    )
    assert "machinekeys-permissions" not in ids(analysis)


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


def test_an_attached_pfx_answers_the_pfx_question() -> None:
    broken = key(state="failed", exportable=False, tests=("encryption-failed",), acl_sddl=None)
    certs = dump(cert("www", key=broken), cert("ok", line=40))
    question = "whether the original PFX (and its password) is still at hand"
    assert question in {a.what for a in analyse(certs, log(event())).ask_for}
    pfx = ReadResult("www.pfx", "pfx")
    assert question not in {a.what for a in analyse(certs, log(event()), pfx).ask_for}


def test_procmon_name_not_found_on_the_key_file_means_it_is_gone() -> None:
    from analyzer.model import FileAccess

    row = FileAccess(
        "10:00:01",
        "lsass.exe",
        640,
        "CreateFile",
        f"{FOLDER}\\{KEY_FILE}",
        "NAME NOT FOUND",
        source=Source("pm.csv", 7),
    )
    procmon = ReadResult("pm.csv", "procmon-csv", file_access=[row])
    analysis = analyse(dump(cert("www")), log(event()), procmon)
    (diagnosis,) = by_id(analysis, "key-file-missing")
    assert diagnosis.confidence == "high" and str(diagnosis.evidence[1].source) == "pm.csv:7"
    listed = icacls(
        *DEFAULT_FOLDER, (f"{FOLDER}\\{KEY_FILE}", "NT AUTHORITY\\SYSTEM", "S-1-5-18", ("F",))
    )
    assert "key-file-missing" not in ids(analyse(dump(cert("www")), log(event()), procmon, listed))
