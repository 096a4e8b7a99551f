"""The classifier's short way for "Label: value" lines of a known ASCII label gives what the
whole chain of tests gives, whatever the value (the short way is only a speed-up)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from analyzer.inputs.decode import decode_bytes
from tests.conftest import FIXTURES

# The module (the package's `classify` attribute is the function of the same name).
classifier = importlib.import_module("analyzer.readers.certutil.classify")

VALUES = [
    "",
    "x",
    "3",
    "c53b10208efc6143626b717069448b35",
    "8275f642c63bc078bfa804d24ef775b532b7ee88",
    "db 31 4d 00",
    "0000  00 11 22",
    "aad9d2841c449d251a4407028948b0d0_4be58f30-7127-42f5-9b76-f47187495247",
    "{8198A13C-BE21-B0C2-9A5C-EBE2B9579910}",
    "Microsoft Strong Cryptographic Provider",
    "Microsoft Software Key Storage Provider",
    "1/14/2025 9:12 AM",
    "10.08.2021 14:14",
    "CN=host0000.contoso.com, O=Contoso",
    "1 -- AT_KEYEXCHANGE",
    "KeySpec = 2",
    "KeySpec=0",
    "certutil -v -store my",
    "C:\\> certutil.exe -store my",
    "CertUtil: -store command completed successfully.",
    "test passed",
    "test FAILED: 0x8009030d",
    "AES256+RSAES_OAEP(RSA:CNG) test skipped",
    "Encryption test passed",
    "Missing stored keyset",
    "CERT_KEY_PROV_INFO_PROP_ID(2):",
    "D:PAI(A;;GA;;;SY)",
    "= 5",
    ": x",
    "(sha1): 00",
    "...",
    "Element 0:",
    "20 (32)",
    "0x80090016 (-2146893802 NTE_BAD_KEYSET)",
    "EMPTY (DNS Name=www.contoso.com)",
]
SEPARATORS = [":", ": ", " : ", "=", " = ", "  =  ", "\uff1a", "= :", ":=", "\x0b:"]


def _labels() -> list[str]:
    """Every label of the tables, and labels that look like what an earlier test wants."""
    from analyzer.readers.certutil.labels import FIELD_LABELS, KEY_LABELS, OTHER_SHA1_LABELS

    known = {
        text
        for tables in (FIELD_LABELS, KEY_LABELS)
        for labels in tables.values()
        for texts in labels.values()
        for text in texts
    }
    odd = {
        "CN",
        "DNS Name",
        "Version",
        "Key Id Hash(rfc-sha1)",
        "Cert Hash(md5)",
        "Foo (sha1)",
        "Foo test",
        "Foo testing",
        "Signature test",
        "PS C",
        "PSX",
        "D",
        "O",
        "G",
        "Dx",
        "x",
        "Element 1",
        "element",
        "certutil",
        "CertUtil -f",
        "X_PROP_ID(2)",
        "CERT_X_PROP_ID(2)",
        "0000",
        "abcd",
        "abc",
        "ab",
        "Encryption test passed",
        "Encryption",
        "Private key is NOT",
        "Missing stored keyset",
        "No key provider information",
        "Signature matches Public Key",
        "Non-root Certificate",
        "Root Certificate",
        "...",
        "-----",
        "==== Certificate 1",
        "*Evil-WinRM* PS C",
        "1.2.840",
        "Flags",
        "Provider ",
        "Key Container  ",
        "A\x0b",
        "Allow Full Control NT AUTHORITY\\SYSTEM",
        "http",
        "Template",
    }
    return sorted(known | set(OTHER_SHA1_LABELS) | odd)


@pytest.mark.parametrize("label", _labels())
def test_the_short_way_agrees_with_the_whole_chain(label: str) -> None:
    for sep in SEPARATORS:
        for value in VALUES:
            for text in (f"{label}{sep}{value}", f"{label}{sep}{value}".strip()):
                assert classifier.classify(text) == classifier._classify(text), text


def test_the_short_way_agrees_on_every_fixture_line() -> None:
    roots = [FIXTURES / "certutil", FIXTURES / "real" / "certutil"]
    shared = Path(__file__).resolve().parents[3] / "shared" / "real-samples" / "certutil"
    files = [p for root in [*roots, shared] if root.is_dir() for p in sorted(root.iterdir())]
    seen = 0
    for path in files:
        if path.suffix in (".md", ".json") or not path.is_file():
            continue
        for line in decode_bytes(path.read_bytes()).text.splitlines():
            text = line.strip()
            assert classifier.classify(text) == classifier._classify(text), (path.name, text)
            seen += 1
    assert seen > 1000


def test_the_labels_unique_to_a_certificate_take_the_short_way() -> None:
    for label, sep in (
        ("Serial Number", ":"),
        ("Cert Hash(sha1)", ":"),
        ("CN", "="),
        ("Key Container ", "="),
    ):
        assert classifier._safe_label(label, sep), label
    assert not classifier._safe_label("Encryption test passed", ":")
