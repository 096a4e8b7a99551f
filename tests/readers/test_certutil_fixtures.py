"""Synthetic certutil fixtures (fixtures/certutil/), plaso style: for each file the record count,
the warnings it must give (none for a clean file) and, for the key ones, one record spelled out.

The writer-made files (see fixtures/writers/certutil_fixtures.py) describe the same certificates
in every encoding and language, so their records must be equal whatever the labels and bytes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from analyzer.inputs.files import InputFile
from analyzer.model import Certificate, Key, KeyFailure, Level, ReadResult, Status
from analyzer.readers import ReadOptions
from analyzer.readers.certutil import read_certutil
from fixtures.writers.certutil_fixtures import KSP_OK, SERVER_KEYSPEC2, dumps
from tests.conftest import FIXTURES

FOLDER = FIXTURES / "certutil"

# file -> (certificate count, encoding, [(line, keyword in the warning), ...])
CASES: dict[str, tuple[int, str, list[tuple[int, str]]]] = {
    "en-v-utf16le-bom-crlf.txt": (2, "utf-16-le", []),
    "en-store-utf16le-nobom-crlf.txt": (4, "utf-16-le", []),
    "en-store-utf16be-bom.txt": (4, "utf-16-be", []),
    "en-store-utf16be-nobom.txt": (4, "utf-16-be", []),
    "en-store-utf8-bom-lf.txt": (4, "utf-8", []),
    "en-user-store-utf8-cr.txt": (1, "utf-8", []),
    "de-store-cp850.txt": (4, "cp850", []),
    "de-store-cp437.txt": (4, "cp850", []),  # cp437 and cp850 agree on German letters
    "de-v-cp1252.txt": (2, "cp1252", []),
    "fr-store-cp1252.txt": (4, "cp1252", []),
    "fr-store-cp850.txt": (4, "cp850", []),
    "es-store-cp1252.txt": (4, "cp1252", []),
    "zh-CN-store-gbk.txt": (4, "gbk", []),
    "zh-CN-v-utf16le.txt": (2, "utf-16-le", []),
    "en-store-every-status.txt": (7, "utf-8", []),
    "en-v-force-ncrypt-trap-crlf.txt": (1, "utf-8", []),
    "en-repairstore-failed-bad-keyset.txt": (1, "utf-8", []),
    "en-exportpfx-failed-not-exportable.txt": (1, "utf-8", []),
    "en-exportpfx-failed-not-found.txt": (0, "utf-8", [(2, "CRYPT_E_NOT_FOUND")]),
    "en-dump-pfx-nesting-crlf.txt": (2, "utf-8", []),
    "en-dump-pfx-banner-nesting.txt": (2, "utf-8", []),
    "en-v-dump-pfx-banner-nesting-utf16.txt": (2, "utf-16-le", []),
    "en-percent-prefixed.txt": (1, "utf-8", []),
    "en-markdown-nbsp-emdash.txt": (1, "utf-8", []),
    "en-store-joined-lines.txt": (
        2,
        "utf-8",
        [(3, "joined"), (5, "joined"), (6, "joined"), (7, "joined"), (8, "joined"), (18, "joined")],
    ),
    "en-store-rewrapped.txt": (1, "utf-8", [(2, "re-wrapped")]),
    "en-v-truncated-crlf.txt": (2, "utf-8", [(27, "no Cert Hash"), (45, "closing line")]),
    "zh-CN-dump-gbk-read-as-utf8.txt": (1, "utf-8", []),
    "en-two-stores-my-user-root-crlf.txt": (2, "utf-8", []),
    "ja-store-cp932.txt": (1, "cp932", []),
}

# file -> (position, the record spelled out); `source` is not part of equality.
RECORDS: dict[str, tuple[int, Certificate]] = {
    "en-v-utf16le-bom-crlf.txt": (
        0,
        Certificate(
            index=0,
            store="my",
            user_store=False,
            thumbprint="21330ad03566e3464193122e119c825a0a0c294c",
            serial="c965f532a75b2dafd8fb20e2538707c9",
            subject="CN=www.contoso.com, OU=Web, O=Contoso, C=US",
            issuer="CN=Contoso Issuing CA 01, DC=contoso, DC=com",
            not_before="1/14/2025 9:12 AM",
            not_after="1/14/2027 9:22 AM",
            valid_from="2025-01-14T09:12:00",
            valid_to="2027-01-14T09:22:00",
            key_usage=("digitalSignature", "keyEncipherment"),
            eku=("1.3.6.1.5.5.7.3.1",),
            san=("DNS Name=www.contoso.com", "DNS Name=contoso.com"),
            template="WebServer",
            friendly_name=None,
            archived=False,
            key=Key(
                container="a9753c6e0833dd35a3504ffff48545df_4be58f30-7127-42f5-9b76-f47187495247",
                unique_container=None,
                simple_container="{BA107DA8-DC15-7CF6-B0A9-8B1B620A0085}",
                key_file="a9753c6e0833dd35a3504ffff48545df_4be58f30-7127-42f5-9b76-f47187495247",
                provider="Microsoft Strong Cryptographic Provider",
                provider_type=1,
                provider_class="csp",
                flags=32,
                machine_keyset=True,
                keyspec=2,
                exportable=False,
                export_policy="none",
                state="ok",
                tests=("signature-passed",),
                error=None,
                acl_sddl="D:PAI(A;;GAGR;;;BA)(A;;GAGR;;;SY)",
            ),
        ),
    ),
    "en-v-force-ncrypt-trap-crlf.txt": (
        0,
        Certificate(
            index=7,
            store="my",
            user_store=False,
            thumbprint="9d3e6f1a2b4c5d7e8f9a0b1c2d3e4f5a6b7c8d9e",
            serial="5e1c0a7f3b2d44e0a1c9b7d6e5f40312",
            subject="CN=intranet.contoso.com",
            issuer="CN=Contoso Issuing CA 01, DC=contoso, DC=com",
            not_before="14/01/2025 09:12",
            not_after="14/01/2027 09:22",
            valid_from="2025-01-14T09:12:00",
            valid_to="2027-01-14T09:22:00",
            key_usage=("digitalSignature", "keyEncipherment"),
            eku=(),
            san=(),
            template=None,
            friendly_name=None,
            archived=False,
            key=Key(
                container="6f2b0c9e1d3a4b5c6d7e8f9a0b1c2d3e_4be58f30-7127-42f5-9b76-f47187495247",
                unique_container=None,
                simple_container="{1C2D3E4F-5A6B-7C8D-9E0F-A1B2C3D4E5F6}",
                key_file="6f2b0c9e1d3a4b5c6d7e8f9a0b1c2d3e_4be58f30-7127-42f5-9b76-f47187495247",
                provider="Microsoft RSA SChannel Cryptographic Provider",
                provider_type=12,
                provider_class="csp",
                flags=32,
                machine_keyset=True,
                keyspec=1,
                exportable=True,
                export_policy="allowed",
                state="ok",
                tests=("encryption-passed", "signature-passed"),
                error=None,
                acl_sddl="D:PAI(A;;GAGR;;;BA)(A;;GAGR;;;SY)",
            ),
        ),
    ),
    "en-repairstore-failed-bad-keyset.txt": (
        0,
        Certificate(
            index=0,
            store="my",
            user_store=False,
            thumbprint="4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d",
            serial="0a5f1c3e7b9d2f4a6c8e0b1d3f5a7c9e",
            subject="CN=shop.contoso.com",
            issuer="CN=Contoso Issuing CA 01, DC=contoso, DC=com",
            not_before="1/14/2025 9:12 AM",
            not_after="1/14/2027 9:22 AM",
            valid_from="2025-01-14T09:12:00",
            valid_to="2027-01-14T09:22:00",
            key_usage=None,
            eku=None,
            san=None,
            template="WebServer",
            friendly_name=None,
            archived=False,
            key=Key(
                container="{7A1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D}",
                unique_container="3b1d5f7a9c2e4a6c8e0a2c4e6a8c0e2f_4be58f30-7127-42f5-9b76-f47187495247",
                simple_container=None,
                key_file="3b1d5f7a9c2e4a6c8e0a2c4e6a8c0e2f_4be58f30-7127-42f5-9b76-f47187495247",
                provider="Microsoft Enhanced Cryptographic Provider v1.0",
                provider_type=None,
                provider_class="csp",
                flags=None,
                machine_keyset=None,
                keyspec=None,
                exportable=None,
                export_policy=None,
                state="failed",
                tests=(),
                error=KeyFailure(
                    code="0x80090016", name="NTE_BAD_KEYSET", text="Keyset does not exist"
                ),
                acl_sddl=None,
            ),
        ),
    ),
    "en-dump-pfx-nesting-crlf.txt": (
        1,
        Certificate(
            index=None,
            store=None,
            user_store=None,
            thumbprint="a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e",
            serial="1a2b3c4d5e6f708192a3b4c5d6e7f809",
            subject="CN=www.fabrikam.com",
            issuer="CN=Contoso Root CA",
            not_before="2025/1/14 9:12",
            not_after="2027/1/14 9:22",
            valid_from="2025-01-14T09:12:00",
            valid_to="2027-01-14T09:22:00",
            key_usage=None,
            eku=None,
            san=None,
            template=None,
            friendly_name=None,
            archived=False,
            key=Key(
                container=None,
                unique_container=None,
                simple_container=None,
                key_file=None,
                provider="Microsoft Software Key Storage Provider",
                provider_type=None,
                provider_class="ksp",
                flags=None,
                machine_keyset=None,
                keyspec=None,
                exportable=True,
                export_policy="encrypted-only",
                state="ok",
                tests=("encryption-passed",),
                error=None,
                acl_sddl=None,
            ),
        ),
    ),
    "en-store-joined-lines.txt": (
        0,
        Certificate(
            index=0,
            store="my",
            user_store=False,
            thumbprint="8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b",
            serial="0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e",
            subject="CN=mail.contoso.com",
            issuer="CN=Contoso Issuing CA 01, DC=contoso, DC=com",
            not_before="1/14/2025 9:12 AM",
            not_after="1/14/2027 9:22 AM",
            valid_from="2025-01-14T09:12:00",
            valid_to="2027-01-14T09:22:00",
            key_usage=None,
            eku=None,
            san=None,
            template=None,
            friendly_name=None,
            archived=False,
            key=Key(
                container="{9C3D4E5F-6A7B-8C9D-0E1F-2A3B4C5D6E7F}",
                unique_container="7f9b1d3f5b7d9f1b3d5f7b9d1f3b5d7f_4be58f30-7127-42f5-9b76-f47187495247",
                simple_container=None,
                key_file="7f9b1d3f5b7d9f1b3d5f7b9d1f3b5d7f_4be58f30-7127-42f5-9b76-f47187495247",
                provider="Microsoft Strong Cryptographic Provider",
                provider_type=None,
                provider_class="csp",
                flags=None,
                machine_keyset=None,
                keyspec=None,
                exportable=False,
                export_policy="none",
                state="ok",
                tests=("signature-passed",),
                error=None,
                acl_sddl=None,
            ),
        ),
    ),
    "en-store-rewrapped.txt": (
        0,
        Certificate(
            index=4,
            store="my",
            user_store=None,
            thumbprint="0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d",
            serial="2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f70",
            subject="CN=portal.contoso.com, OU=Web, O=Contoso, L=Redmond, S=Washington, C=US",
            issuer="CN=Contoso Issuing CA 01, DC=contoso, DC=com",
            not_before="1/14/2025 9:12 AM",
            not_after="1/14/2027 9:22 AM",
            valid_from="2025-01-14T09:12:00",
            valid_to="2027-01-14T09:22:00",
            key_usage=None,
            eku=None,
            san=None,
            template=None,
            friendly_name=None,
            archived=False,
            key=Key(
                container="{1E5F6A7B-8C9D-0E1F-2A3B-4C5D6E7F8091}",
                unique_container="8a0c2e4a6c8e0a2c4e6a8c0e2a4c6e8a_4be58f30-7127-42f5-9b76-f47187495247",
                simple_container=None,
                key_file="8a0c2e4a6c8e0a2c4e6a8c0e2a4c6e8a_4be58f30-7127-42f5-9b76-f47187495247",
                provider="Microsoft Enhanced Cryptographic Provider v1.0",
                provider_type=None,
                provider_class="csp",
                flags=None,
                machine_keyset=None,
                keyspec=None,
                exportable=False,
                export_policy="none",
                state="failed",
                tests=("encryption-failed",),
                error=None,
                acl_sddl=None,
            ),
        ),
    ),
    "en-markdown-nbsp-emdash.txt": (
        0,
        Certificate(
            index=9,
            store="my",
            user_store=False,
            thumbprint="cc33dd44ee55ff6600778899aabbccddeeff0011",
            serial=None,
            subject=None,
            issuer=None,
            not_before=None,
            not_after=None,
            valid_from=None,
            valid_to=None,
            key_usage=None,
            eku=None,
            san=None,
            template=None,
            friendly_name=None,
            archived=False,
            key=Key(
                container="{2F6A7B8C-9D0E-1F2A-3B4C-5D6E7F8091A2}",
                unique_container="1b3d5f7b9d1f3b5d7f9b1d3f5b7d9f1b_3ade29bb-f050-41f3-b0db-f2b69957a1d7",
                simple_container=None,
                key_file="1b3d5f7b9d1f3b5d7f9b1d3f5b7d9f1b_3ade29bb-f050-41f3-b0db-f2b69957a1d7",
                provider="Microsoft Strong Cryptographic Provider",
                provider_type=1,
                provider_class="csp",
                flags=32,
                machine_keyset=True,
                keyspec=2,
                exportable=True,
                export_policy="allowed",
                state="ok",
                tests=("signature-passed",),
                error=None,
                acl_sddl=None,
            ),
        ),
    ),
    "en-store-every-status.txt": (
        6,
        Certificate(
            index=6,
            store="my",
            user_store=None,
            thumbprint="7777777777777777777777777777777777777777",
            serial="77aa22bb33cc44dd55ee66ff77889900",
            subject="CN=Contoso Issuing CA 01",
            issuer="CN=Contoso Root CA",
            not_before="1/14/2025 9:12 AM",
            not_after="1/14/2035 9:22 AM",
            valid_from="2025-01-14T09:12:00",
            valid_to="2035-01-14T09:22:00",
            key_usage=None,
            eku=None,
            san=None,
            template=None,
            friendly_name=None,
            archived=False,
            key=Key(
                container=None,
                unique_container="9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b_4be58f30-7127-42f5-9b76-f47187495247",
                simple_container="le-WebServer-0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f",
                key_file="9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b_4be58f30-7127-42f5-9b76-f47187495247",
                provider=None,
                provider_type=None,
                provider_class=None,
                flags=None,
                machine_keyset=None,
                keyspec=None,
                exportable=None,
                export_policy=None,
                state="no-key-info",
                tests=(),
                error=None,
                acl_sddl=None,
            ),
        ),
    ),
}


def _read(name: str) -> ReadResult:
    return read_certutil(InputFile.from_path(FOLDER / name), ReadOptions())


def test_every_fixture_file_has_a_case() -> None:
    assert sorted(p.name for p in FOLDER.glob("*.txt")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_count_encoding_and_warnings(name: str) -> None:
    count, encoding, warnings = CASES[name]
    result = _read(name)
    assert len(result.certificates) == count
    assert result.encoding == encoding
    got = [m for m in result.messages if m.level is Level.WARNING]
    assert len(got) == len(warnings), [str(m) for m in got]
    for message, (line, keyword) in zip(got, warnings, strict=True):
        assert message.source.line == line and keyword in message.text, str(message)
    assert result.status is (Status.PARTIAL if warnings else Status.OK)


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_fixture_record_spelled_out(name: str) -> None:
    position, expected = RECORDS[name]
    assert _read(name).certificates[position] == expected


def _without_raw_dates(certs: list[Certificate]) -> list[Certificate]:
    return [dataclasses.replace(c, not_before=None, not_after=None) for c in certs]


@pytest.mark.parametrize(
    ("name", "same_as"),
    [
        ("en-store-utf16le-nobom-crlf.txt", "en-store-utf8-bom-lf.txt"),
        ("en-store-utf16be-bom.txt", "en-store-utf8-bom-lf.txt"),
        ("de-store-cp850.txt", "en-store-utf8-bom-lf.txt"),
        ("de-store-cp437.txt", "en-store-utf8-bom-lf.txt"),
        ("en-store-utf16be-nobom.txt", "en-store-utf8-bom-lf.txt"),
        ("fr-store-cp1252.txt", "en-store-utf8-bom-lf.txt"),
        ("fr-store-cp850.txt", "en-store-utf8-bom-lf.txt"),
        ("es-store-cp1252.txt", "en-store-utf8-bom-lf.txt"),
        ("zh-CN-store-gbk.txt", "en-store-utf8-bom-lf.txt"),
        ("de-v-cp1252.txt", "en-v-utf16le-bom-crlf.txt"),
        ("zh-CN-v-utf16le.txt", "en-v-utf16le-bom-crlf.txt"),
    ],
)
def test_languages_and_encodings_give_the_same_records(name: str, same_as: str) -> None:
    assert _without_raw_dates(_read(name).certificates) == _without_raw_dates(
        _read(same_as).certificates
    )


def test_writer_made_fixtures_are_current() -> None:
    """The committed bytes are what the writer produces now (regenerate with
    `python -m fixtures.writers.certutil_fixtures`)."""
    from fixtures.writers.certutil_dump import encode

    for name, (dump, text) in dumps().items():
        assert (FOLDER / name).read_bytes() == encode(dump, text), name


def test_writer_facts_come_back_from_the_reader() -> None:
    certs = _read("en-v-utf16le-bom-crlf.txt").certificates
    server, api = certs
    assert server.thumbprint == SERVER_KEYSPEC2.thumbprint
    assert server.key is not None and server.key.key_file == SERVER_KEYSPEC2.key_file
    assert api.thumbprint == KSP_OK.thumbprint and api.friendly_name == "api 2025"
    assert api.key is not None and api.key.acl_sddl == "D:PAI(A;;GAGR;;;BA)"


def test_every_status_line_sets_its_state() -> None:
    certs = _read("en-store-every-status.txt").certificates
    states = [(c.key.state, c.key.exportable, c.key.tests) for c in certs if c.key]
    assert states == [
        ("failed", False, ("encryption-failed",)),
        ("failed", True, ("signature-failed",)),
        ("missing", None, ()),
        ("no-key-info", None, ()),
        ("ok", True, ("signature-passed",)),
        ("ok", True, ("private-key-verifies",)),
        ("no-key-info", None, ()),
    ]
    assert [c.archived for c in certs] == [False, False, False, False, True, False, False]


def test_exportpfx_of_a_non_exportable_key_is_not_a_broken_key() -> None:
    (cert,) = _read("en-exportpfx-failed-not-exportable.txt").certificates
    assert cert.key == Key(
        container="{8B2C3D4E-5F6A-7B8C-9D0E-1F2A3B4C5D6E}",
        unique_container="5d7f9b1d3f5b7d9f1b3d5f7b9d1f3b5d_4be58f30-7127-42f5-9b76-f47187495247",
        key_file="5d7f9b1d3f5b7d9f1b3d5f7b9d1f3b5d_4be58f30-7127-42f5-9b76-f47187495247",
        provider="Microsoft Strong Cryptographic Provider",
        provider_class="csp",
        exportable=False,
        export_policy="none",
        state="ok",
        tests=("encryption-passed",),
    )


def test_garbled_gbk_dump_still_gives_thumbprint_index_and_provider() -> None:
    result = _read("zh-CN-dump-gbk-read-as-utf8.txt")
    (cert,) = result.certificates
    assert cert.index == 0 and cert.thumbprint == "dd44ee55ff6600778899aabbccddeeff00112233"
    assert cert.valid_from == "2026-07-18T00:13:00"
    assert cert.key is not None and cert.key.provider == "Microsoft Software Key Storage Provider"
    assert any("thumbprint" in m.text for m in result.messages if m.level is Level.INFO)


def test_keyfailure_names_come_from_the_hresult_table() -> None:
    (cert,) = _read("en-repairstore-failed-bad-keyset.txt").certificates
    assert cert.key is not None
    assert cert.key.error == KeyFailure("0x80090016", "NTE_BAD_KEYSET", "Keyset does not exist")


def test_paths_keep_the_given_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES.parent)
    relative = Path("fixtures") / "certutil" / "en-store-utf8-bom-lf.txt"
    result = read_certutil(InputFile.from_path(relative), ReadOptions())
    assert result.path == "fixtures/certutil/en-store-utf8-bom-lf.txt"


def test_messages_are_capped_on_a_pathological_dump() -> None:
    from analyzer.readers.certutil import MAX_MESSAGES, parse_certutil

    result = parse_certutil("================ Certificate 1 ================\n" * 1000, "x.txt")
    assert len(result.certificates) == 1000
    assert len(result.messages) == MAX_MESSAGES + 1
    assert "more messages" in result.messages[-1].text


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "hello\nworld\n", "\x00\x01\x02" * 100, "CertUtil: Keyset does not exist\n"],
)
def test_inputs_without_certificates_are_errors_not_crashes(text: str) -> None:
    from analyzer.readers.certutil import parse_certutil

    result = parse_certutil(text, "x.txt")
    assert result.certificates == [] and result.status is Status.ERROR


def test_a_damaged_hash_value_is_named_once() -> None:
    from analyzer.readers.certutil import parse_certutil

    result = parse_certutil("Serial Number: 01\nCert Hash(sha1): 12 34\n", "x.txt")
    texts = [m.text for m in result.messages if m.level is Level.WARNING]
    assert texts[0] == "Cert Hash(sha1) value '1234' is not 40 hex digits"
    assert not any("no Cert Hash" in t for t in texts)


def test_a_not_found_failure_after_a_healthy_key_is_a_warning_not_a_broken_key() -> None:
    from analyzer.readers.certutil import parse_certutil

    text = (
        'my "Personal"\n================ Certificate 0 ================\nSerial Number: 01\n'
        "Cert Hash(sha1): 1111111111111111111111111111111111111111\n  Key Container = x\n"
        "  Provider = Microsoft Strong Cryptographic Provider\nEncryption test passed\n"
        "CertUtil: -store command FAILED: 0x80092004 (-2146885628 CRYPT_E_NOT_FOUND)\n"
        "CertUtil: Cannot find object or property.\n"
    )
    result = parse_certutil(text, "x.txt")
    assert result.certificates[0].key is not None
    assert result.certificates[0].key.state == "ok" and result.certificates[0].key.error is None
    assert [(m.source.line, "CRYPT_E_NOT_FOUND" in m.text) for m in result.messages] == [(8, True)]


def test_the_sniffer_scores_zero_for_other_evidence() -> None:
    """Event exports, icacls, netsh, procmon and PowerShell listings are not certutil dumps."""
    from analyzer.readers import sample_of
    from analyzer.readers.certutil import sniff_certutil

    others = [
        p
        for folder in ("exports", "evidence")
        for p in sorted((FIXTURES / folder).rglob("*"))
        if p.is_file() and p.suffix.lower() in (".txt", ".csv", ".xml", ".log", ".pml", "")
    ]
    assert others, "no other-evidence fixtures found"
    scores = {p.name: sniff_certutil(sample_of(InputFile.from_path(p))) for p in others}
    assert {name: s for name, s in scores.items() if s} == {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_sniffer_scores_every_certutil_fixture(name: str) -> None:
    from analyzer.readers import detect, sample_of
    from analyzer.readers.certutil import sniff_certutil

    file = InputFile.from_path(FOLDER / name)
    assert sniff_certutil(sample_of(file)) >= 30
    spec = detect(file)
    assert spec is not None and spec.kind == "certutil"


def test_two_dumps_in_one_file_keep_their_own_store_and_user_flag() -> None:
    mine, root = _read("en-two-stores-my-user-root-crlf.txt").certificates
    assert (mine.index, mine.store, mine.user_store) == (0, "my", False)
    assert (root.index, root.store, root.user_store) == (0, "root", True)
    assert root.key is not None and root.key.state == "no-key-info"
    assert mine.valid_from == "2025-01-14T09:12:00" and root.valid_to == "2021-05-10T01:28:00"


def test_japanese_cp932_dump_with_the_guessed_labels() -> None:
    (cert,) = _read("ja-store-cp932.txt").certificates
    assert (cert.index, cert.thumbprint) == (2, "0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3")
    assert cert.subject == "CN=www.contoso.co.jp" and cert.valid_from == "2025-01-14T09:12:00"
    assert cert.key is not None
    assert (
        cert.key.key_file == "5b7d9f1b3d5f7b9d1f3b5d7f9b1d3f5b_4be58f30-7127-42f5-9b76-f47187495247"
    )
    assert (cert.key.exportable, cert.key.state, cert.key.tests) == (
        False,
        "ok",
        ("encryption-passed",),
    )


def test_a_key_line_under_a_long_spaced_hash_is_not_a_wrapped_tail() -> None:
    from analyzer.readers.certutil import parse_certutil

    text = (
        "My\n================ Certificate 1 ================\n"
        "Serial Number: 0a\n"
        "Cert Hash(sha1): 7f d8 5c 00 27 bf 37 74 3d 71 5b 54 4e c0 94 20 45 75 bc 65\n"
        "  Контейнер ключа = {11111111-2222-3333-4444-555555555555}\n"
        "  Поставщик = Microsoft Enhanced Cryptographic Provider v1.0\n"
        "CertUtil: -store command completed successfully.\n"
    )
    result = parse_certutil(text, "ru.txt")
    (cert,) = result.certificates
    assert cert.thumbprint == "7fd85c0027bf37743d715b544ec094204575bc65"
    assert cert.key is not None
    assert cert.key.provider == "Microsoft Enhanced Cryptographic Provider v1.0"
    assert result.messages == []


def test_a_utf16_dump_cut_at_an_odd_byte_is_read_with_a_warning(tmp_path: Path) -> None:
    data = (FOLDER / "en-v-utf16le-bom-crlf.txt").read_bytes()
    clean = read_certutil(InputFile.from_path(FOLDER / "en-v-utf16le-bom-crlf.txt"), ReadOptions())
    odd = tmp_path / "odd.txt"
    odd.write_bytes(data + b"A")  # a copy cut or padded to an odd length
    result = read_certutil(InputFile.from_path(odd), ReadOptions())
    assert result.status is Status.PARTIAL
    assert [c.thumbprint for c in result.certificates] == [c.thumbprint for c in clean.certificates]
    last_line = data.decode("utf-16").count("\n") + 1
    assert [(m.level, m.source.line, m.text) for m in result.messages] == [
        (Level.WARNING, last_line, "some bytes are not valid utf-16-le; they were replaced")
    ]
