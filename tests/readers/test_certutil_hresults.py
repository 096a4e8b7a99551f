"""The HRESULT table the certutil reader and the rules share."""

from __future__ import annotations

from analyzer.knowledge.hresults import HRESULTS, find_code, lookup, normalise_code


def test_hresult_lookup_by_hex_signed_decimal_and_name() -> None:
    keyset = lookup("0x80090016")
    assert keyset is not None and keyset.name == "NTE_BAD_KEYSET" and keyset.category == "key"
    assert lookup("-2146893802") == keyset == lookup("NTE_BAD_KEYSET") == lookup(0x80090016)
    assert lookup("0x8009200B").name == "CRYPT_E_NO_KEY_PROPERTY"  # type: ignore[union-attr]
    assert (
        lookup("0x8009030d").text == "The credentials supplied to the package were not recognized"
    )  # type: ignore[union-attr]
    assert lookup("0x12345678") is None and normalise_code("nonsense") is None
    assert find_code("FAILED: 0x80092004 (-2146885628 CRYPT_E_NOT_FOUND)") == "0x80092004"


def test_table_codes_are_normalised_and_unique() -> None:
    assert all(code == normalise_code(code) for code in HRESULTS)
    names = [h.name for h in HRESULTS.values()]
    assert len(names) == len(set(names))
