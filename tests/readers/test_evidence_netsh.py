"""`netsh http show sslcert` reader."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analyzer.model import Binding, Status
from analyzer.readers.evidence.netsh import SPEC
from analyzer.readers.evidence.values import normalise_hash
from tests.readers.evidence_helpers import (
    EVIDENCE,
    INTRANET_THUMBPRINT,
    WEB_THUMBPRINT,
    read,
    sniff,
    warnings,
)

NETSH = EVIDENCE / "netsh"
APP_ID = "{4dc3e181-e14b-4a21-b022-59fc669b0914}"


def test_english_ip_and_hostname_bindings() -> None:
    path = NETSH / "sslcert-en.txt"
    result = read(SPEC, path)
    assert result.status is Status.OK and warnings(result) == []
    assert len(result.bindings) == 2
    assert result.bindings[1] == Binding(
        endpoint="intranet.contoso.com:443",
        certificate_hash=INTRANET_THUMBPRINT,
        store="WebHosting",
        app_id=APP_ID,
    )
    assert result.bindings[0].source.line == 6
    assert sniff(SPEC, path) >= 80


def test_german_cp850_labels() -> None:
    result = read(SPEC, NETSH / "sslcert-de.txt")
    assert result.encoding == "cp850" and warnings(result) == []
    assert result.bindings == [
        Binding(endpoint="0.0.0.0:443", certificate_hash=WEB_THUMBPRINT, store="MY", app_id=APP_ID)
    ]


def test_cut_hash_is_flagged_never_matched_and_1312_is_reported() -> None:
    result = read(SPEC, NETSH / "sslcert-bad-hash.txt")
    assert result.encoding == "utf-16-le"
    found = warnings(result)
    assert len(found) == 2
    assert found[0].startswith("2: netsh reports error 1312")
    assert found[1].startswith("11: certificate hash '26c8c253be45...e9c8' is not 40 hex digits")
    assert len(result.bindings) == 1
    assert result.bindings[0].hash_valid is False
    assert result.bindings[0].certificate_hash == "26c8c253be45...e9c8"


def test_certutil_dump_is_not_netsh(tmp_path) -> None:
    path = tmp_path / "dump.txt"
    path.write_text(f"Cert Hash(sha1): {WEB_THUMBPRINT}\n  Key Container = x\n", encoding="utf-8")
    assert sniff(SPEC, path) == 0


HEX = st.text(alphabet="0123456789abcdefABCDEF", min_size=40, max_size=40)


@given(HEX, st.sampled_from(["", " ", ":", "\u200e"]))
def test_hash_normalisation_accepts_separators(digits: str, separator: str) -> None:
    spaced = separator.join(digits[i : i + 2] for i in range(0, 40, 2))
    assert normalise_hash(spaced) == (digits.lower(), True)


@given(st.text(alphabet="0123456789abcdef.…", min_size=0, max_size=60))
def test_hash_of_wrong_length_is_never_valid(text: str) -> None:
    _value, valid = normalise_hash(text)
    assert valid == (len(text) == 40 and all(c in "0123456789abcdef" for c in text))


def test_a_pasted_failed_add_alone_is_read(tmp_path) -> None:
    path = tmp_path / "add.txt"
    path.write_text(
        "C:\\>netsh http add sslcert ipport=0.0.0.0:443 certhash=26c8 appid={4dc3e181-e14b-4a21-b022-59fc669b0914}\n"
        "SSL Certificate add failed, Error: 1312\n"
        "A specified logon session does not exist. It may already have been terminated.\n",
        encoding="cp437",
    )
    assert sniff(SPEC, path) >= 50
    result = read(SPEC, path)
    assert result.bindings == [] and result.status is Status.PARTIAL
    assert warnings(result)[0].startswith("2: netsh reports error 1312")
