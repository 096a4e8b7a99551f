"""Merging a dump, a PowerShell listing and certificate files by thumbprint."""

from __future__ import annotations

from analyzer.case import Case
from analyzer.certmerge import merge_certificates
from analyzer.model import Key, ReadResult
from tests.records import certificate as cert

T1, T2, T3 = "a" * 40, "b" * 40, "c" * 40


def test_dump_wins_listing_fills_gaps_and_files_stay_apart() -> None:
    dump = cert(T1, "my.txt", index=0, subject="CN=a", key=Key(keyspec=2, state="ok"))
    listing = [
        cert(T1, "ps.txt", subject="CN=other", friendly_name="web", key=Key()),
        cert(T2, "ps.txt", subject="CN=b", key=Key()),
    ]
    files = [
        cert(T1, "a.cer", store=None, user_store=None, san=("a.contoso.com",)),
        cert(T3, "c.cer", store=None, user_store=None),
    ]
    merged = merge_certificates(
        [("cert-file", files), ("ps-certlist", listing), ("certutil", [dump])]
    )
    assert [c.thumbprint for c in merged.certificates] == [T1, T2]
    first = merged.certificates[0]
    assert first.subject == "CN=a" and first.friendly_name == "web"
    assert first.san == ("a.contoso.com",) and first.key == Key(keyspec=2, state="ok")
    assert first.source.path == "my.txt"
    assert [c.thumbprint for c in merged.file_only] == [T3]
    assert merged.merged == {T1: ["a.cer", "ps.txt"]}


def test_case_keeps_file_certificates_out_of_the_store_list() -> None:
    dump = ReadResult("my.txt", "certutil", certificates=[cert(T1, "my.txt", index=0)])
    file = ReadResult(
        "c.cer", "cert-file", certificates=[cert(T3, "c.cer", store=None, user_store=None)]
    )
    case = Case.from_results([dump, file])
    assert [c.thumbprint for c in case.certificates] == [T1]
    assert [c.thumbprint for c in case.file_certificates] == [T3]


def test_listing_only_certificates_say_what_they_cannot_show() -> None:
    from analyzer.pipeline import analyse_case

    listing = ReadResult("ps.txt", "ps-certlist", certificates=[cert(T2, "ps.txt", key=Key())])
    dump = ReadResult("my.txt", "certutil", certificates=[cert(T1, "my.txt", index=0)])
    also = ReadResult("ps2.txt", "ps-certlist", certificates=[cert(T1, "ps2.txt")])
    analysis = analyse_case(Case.from_results([dump, listing, also]))
    unchecked = [
        n.what for n in analysis.not_checked if n.what.startswith("KeySpec, key container")
    ]
    assert unchecked == [f"KeySpec, key container and key permissions of {T2}"]
    assert analysis.context.certificates_merged == {T1: ("ps2.txt",)}
