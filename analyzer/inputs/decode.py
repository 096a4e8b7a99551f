"""Decode a customer's text file once, whatever its encoding, and normalise its lines.

Customers save command output from PowerShell 5.1 (UTF-16LE with BOM), from cmd (the OEM code
page: cp850, cp437, cp936/GBK, cp932), from editors (UTF-8 with or without BOM) and from chat
pastes. The order of guesses matters: a BOM is certain; NUL bytes in every other position mean
UTF-16 without BOM; strict UTF-8 almost never decodes legacy bytes by accident; among the code
pages we prefer the one whose text looks most like console output.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

# Legacy code pages tried after UTF-8, in order. GBK and cp932 go first because Latin code pages
# decode every byte and would always "succeed"; they are kept only when the result looks sane.
LEGACY_CODEPAGES: tuple[str, ...] = ("gbk", "cp932", "cp850", "cp1252", "cp437")

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # the Python codec name used ("utf-16-le", "utf-8", "cp850", ...)
    had_bom: bool = False
    replaced: bool = False  # undecodable bytes were replaced with U+FFFD


def _utf16_without_bom(data: bytes) -> str | None:
    """ASCII-heavy UTF-16 has a NUL in every other byte; the side with the NULs tells the order."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nul = sample[0::2].count(0)
    odd_nul = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nul > half * 0.4 and even_nul < half * 0.1:
        return "utf-16-le"
    if even_nul > half * 0.4 and odd_nul < half * 0.1:
        return "utf-16-be"
    return None


def _plausibility(text: str) -> float:
    """Share of characters that look like console text (printable, not box-drawing soup)."""
    if not text:
        return 1.0
    bad = 0
    for ch in text:
        o = ord(ch)
        if ch in "\r\n\t":
            continue
        if (
            o < 32
            or 0x7F <= o < 0xA0
            or 0x2500 <= o < 0x2600
            or 0xE000 <= o < 0xF900
            or o == 0xFFFD
        ):
            bad += 1
    return 1.0 - bad / len(text)


def decode_bytes(data: bytes) -> DecodedText:
    """Decode bytes to text. Never raises: the last resort replaces undecodable bytes."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(codec.replace("-sig", ""), errors="replace")
            name = "utf-8" if codec == "utf-8-sig" else codec
            return DecodedText(text, name, had_bom=True, replaced="\ufffd" in text)
    utf16 = _utf16_without_bom(data)
    if utf16:
        text = data.decode(utf16, errors="replace")
        return DecodedText(text, utf16, replaced="\ufffd" in text)
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    best: DecodedText | None = None
    best_score = -1.0
    for codec in LEGACY_CODEPAGES:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text)
        if codec in ("gbk", "cp932"):
            # A multi-byte code page that decodes Latin-1 bytes produces rare CJK soup; demand
            # that a good part of the non-ASCII text is common CJK before trusting it.
            non_ascii = [c for c in text if ord(c) > 0x7F]
            cjk = sum(
                1 for c in non_ascii if 0x4E00 <= ord(c) <= 0x9FFF or 0x3040 <= ord(c) <= 0x30FF
            )
            if not non_ascii or cjk / len(non_ascii) < 0.9 or _latin_bigram_hint(data):
                continue
        if score > best_score + 1e-9:
            best, best_score = DecodedText(text, codec), score
    if best is not None:
        return best
    text = data.decode("utf-8", errors="replace")
    return DecodedText(text, "utf-8", replaced=True)


_LATIN_HINTS = (b"\xe9", b"\xe8", b"\xfc", b"\xe4", b"\xf6", b"\x81", b"\x82", b"\x94")


def _latin_bigram_hint(data: bytes) -> bool:
    """German/French text in cp850/cp1252 has single high bytes between ASCII letters
    (``Schl\\x81ssel``, ``cl\\xe9``), which a double-byte code page never produces."""
    for i in range(1, min(len(data), 65536) - 1):
        b = data[i]
        if b >= 0x80 and 0x61 <= data[i - 1] <= 0x7A and 0x61 <= data[i + 1] <= 0x7A:
            return True
    return False


def split_lines(text: str) -> list[str]:
    """Split on CRLF, LF or a lone CR; drop one trailing empty line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
