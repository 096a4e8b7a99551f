"""Decoding every encoding a customer's certutil dump arrives in."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.inputs.decode import decode_bytes, split_lines

SAMPLES = {
    "en": 'my "Personal"\n================ Certificate 0 ================\nProvider = Microsoft Strong Cryptographic Provider\n',
    "de": "Schlüsselcontainer = {A}\nLänge des öffentlichen Schlüssels: 2048 Bits\nVerschlüsselungstest wurde bestanden.\n",
    "fr": "Numéro de série : 12ab\nConteneur de clé = x\nAucune information sur le fournisseur de clé\nÉmetteur: CN=x\n",
    "es": "Número de serie: 12ab\nContenedor de claves = x\nLa clave privada NO se puede exportar\nPrueba de cifrado superada\n",
    "zh": "================ 证书 0 ================\n序列号: 12ab\n颁发者: CN=x\n使用者: CN=y\n密钥容器 = abc\n提供程序 = Microsoft Software Key Storage Provider\n",
    "ja": "================ 証明書 0 ================\nシリアル番号: 12ab\n発行者: CN=x\nキー コンテナー = abc\nプロバイダー = Microsoft\n",
}


@pytest.mark.parametrize(
    ("language", "codec", "expected"),
    [
        ("en", "utf-8", "utf-8"),
        ("de", "cp850", "cp850"),
        ("de", "cp1252", "cp1252"),
        ("de", "cp437", "cp850"),  # cp437 and cp850 agree on these letters: same text
        ("fr", "cp1252", "cp1252"),
        ("fr", "cp850", "cp850"),
        ("es", "cp1252", "cp1252"),
        ("es", "cp850", "cp850"),
        ("zh", "gbk", "gbk"),
        ("ja", "cp932", "cp932"),
        ("fr", "utf-8", "utf-8"),
        ("zh", "utf-8", "utf-8"),
    ],
)
def test_legacy_and_utf8_text_decodes_to_the_original(
    language: str, codec: str, expected: str
) -> None:
    text = SAMPLES[language]
    decoded = decode_bytes(text.encode(codec))
    assert decoded.encoding == expected
    assert decoded.text == text
    assert not decoded.had_bom and not decoded.replaced


@pytest.mark.parametrize(
    ("bom", "codec", "name"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
        (codecs.BOM_UTF8, "utf-8", "utf-8"),
        (b"", "utf-16-le", "utf-16-le"),
        (b"", "utf-16-be", "utf-16-be"),
    ],
)
@pytest.mark.parametrize("language", ["en", "de", "zh"])
def test_unicode_with_and_without_bom(bom: bytes, codec: str, name: str, language: str) -> None:
    text = SAMPLES[language]
    decoded = decode_bytes(bom + text.encode(codec))
    assert (decoded.encoding, decoded.text, decoded.had_bom) == (name, text, bool(bom))


def test_the_french_cp1252_case_is_not_read_as_cp850() -> None:
    assert decode_bytes("Conteneur de clé = x".encode("cp1252")).text == "Conteneur de clé = x"
    assert decode_bytes("clé".encode("cp1252")).encoding == "cp1252"


def test_a_utf8_head_cut_inside_a_character_stays_utf8() -> None:
    data = ("x" * 5000 + "é").encode("utf-8")[:-1]
    decoded = decode_bytes(data)
    assert decoded.encoding == "utf-8" and decoded.text.endswith("x\ufffd")


def test_undecodable_bytes_never_raise() -> None:
    decoded = decode_bytes(bytes(range(256)) * 4)
    assert isinstance(decoded.text, str)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_decode_never_raises(data: bytes) -> None:
    assert isinstance(decode_bytes(data).text, str)


@given(
    st.lists(st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=20), max_size=8),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_split_lines_is_the_same_for_every_line_ending(lines: list[str], newline: str) -> None:
    text = newline.join(lines) + newline
    assert split_lines(text) == split_lines("\n".join(lines) + "\n")


def test_decode_utf16_bom_and_line_endings() -> None:
    text = 'my "Personal"\r\nCert Hash(sha1): ab\rlast\n'
    decoded = decode_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    assert decoded.encoding == "utf-16-le" and decoded.had_bom
    assert split_lines(decoded.text) == ['my "Personal"', "Cert Hash(sha1): ab", "last"]


def test_decode_oem_code_page() -> None:
    decoded = decode_bytes("Schlüsselcontainer = x".encode("cp850"))
    assert decoded.encoding == "cp850"
    assert decoded.text == "Schlüsselcontainer = x"
