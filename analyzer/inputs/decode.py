"""Decode a customer's text file once, whatever its encoding, and normalise its lines.

Customers save command output from PowerShell 5.1 (UTF-16LE with BOM), from cmd (the OEM code
page: cp850, cp437, cp936/GBK, cp932), from editors (UTF-8 with or without BOM) and from chat
pastes. The order of guesses matters: a BOM is certain; NUL bytes in every other position mean
UTF-16 without BOM; strict UTF-8 almost never decodes legacy bytes by accident; among the code
pages we prefer the one whose non-ASCII characters look most like real words.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import BinaryIO

# Legacy code pages tried after UTF-8. Each decoding that succeeds gets a plausibility score
# (Latin: common accented letters versus symbols and stray capitals; CJK: common GB2312 rows or
# kana); the best wins and this order only breaks ties.
LEGACY_CODEPAGES: tuple[str, ...] = ("cp1252", "cp850", "gbk", "cp932", "cp437")

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
    # A file written in two encodings (cmd's `>>` appending its bytes to PowerShell 5.1's UTF-16,
    # or PowerShell appending UTF-16 to a UTF-8 file): (byte offset, codec, first line) of the
    # second part, which was decoded on its own; None for a file in one encoding.
    second_part: tuple[int, str, int] | None = None

    def parts_note(self) -> tuple[str, int] | None:
        """The message a reader records for a two-part file, and the line it starts at."""
        if self.second_part is None:
            return None
        offset, codec, line = self.second_part
        return (
            f"the file changes encoding at byte {offset:,}: {self.encoding} up to there, "
            f"{codec} after (output appended by another shell?); both parts were read",
            line,
        )


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


# Accented letters common in de/fr/es/pt/it console text. A wrong Latin code page turns them
# into box drawing, symbols or capitals inside lower-case words ("clé" read as cp850 is "clÚ").
_COMMON_ACCENTED = frozenset("éèêëàâäçùûüôöîïñáíóúœßÉÈÀÇÜÖÄÑ¿¡ºª°’“”«»")


def _latin_score(text: str) -> float:
    """-1..1: how much the non-ASCII characters of a single-byte decoding look like real text."""
    good = bad = total = 0
    previous = " "
    for ch in text:
        if ch < "\x80":
            previous = ch
            continue
        total += 1
        if ch in _COMMON_ACCENTED:
            good += 1
        elif (ch.isupper() and previous.islower()) or (not ch.isalpha() and ch != "\xa0"):
            bad += 1
        previous = ch
    return 1.0 if total == 0 else (good - bad) / total


def _cjk_score(text: str, codec: str) -> float:
    """-1..1 for a double-byte decoding: GB2312's common range for GBK, kana and kanji for cp932.
    Latin bytes read as GBK give rare extension characters; GBK read as cp932 gives half-width
    katakana; cp932 read as GBK gives characters outside GB2312's common rows."""
    good = bad = total = 0
    for ch in text:
        o = ord(ch)
        if o < 0x80:
            continue
        total += 1
        if 0xFF61 <= o <= 0xFF9F or 0xE000 <= o < 0xF900 or o == 0xFFFD:
            bad += 1
        elif codec == "gbk":
            raw = ch.encode("gbk", errors="ignore")
            if (
                len(raw) == 2
                and 0xA1 <= raw[1] <= 0xFE
                and (0xB0 <= raw[0] <= 0xF7 or raw[0] <= 0xA9)
            ):
                good += 1
        elif (
            0x3040 <= o <= 0x30FF
            or 0x4E00 <= o <= 0x9FFF
            or 0x3000 <= o <= 0x303F
            or 0xFF01 <= o <= 0xFF5E
        ):
            good += 1
    return 1.0 if total == 0 else (good - bad) / total


def _strict_utf8(data: bytes) -> str | None:
    """Strict UTF-8, tolerating only a multi-byte character cut at the very end (a file head)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return None
    pending = decoder.getstate()[0]
    if pending and len(data) < 1024:
        return None  # a short text ending in a lead byte is a legacy code page, not a cut head
    return text + ("\ufffd" if pending else "")


# UTF-16 text of ASCII characters (little- or big-endian), as PowerShell 5.1 appends it.
_UTF16LE_RUN = re.compile(rb"(?:\xff\xfe)?(?:[\x09\x0a\x0d\x20-\x7e]\x00){16}")
_UTF16BE_RUN = re.compile(rb"(?:\xfe\xff)?(?:\x00[\x09\x0a\x0d\x20-\x7e]){16}")
_NO_NUL_RUN = re.compile(rb"[^\x00]{128}")
_SWITCH_WINDOW = 256  # a UTF-16 file whose last bytes hold no NUL may have text appended


def _utf16_then_other(data: bytes, start: int) -> int | None:
    """Where single-byte text (UTF-8, a code page) appended to UTF-16 text starts: the first run
    of 128 bytes without a NUL after which no NUL follows at all."""
    if len(data) - start < 2 * _SWITCH_WINDOW or 0 in data[-_SWITCH_WINDOW:]:
        return None
    found = _NO_NUL_RUN.search(data, start)
    if found is None or found.start() <= start:
        return None
    at = found.start() + (found.start() - start) % 2  # UTF-16 code units come in pairs
    return at if 0 not in data[at:] else None


def _other_then_utf16(data: bytes) -> tuple[int, str] | None:
    """Where UTF-16 text appended to single-byte text starts, and its byte order."""
    first_nul = data.find(0)
    if first_nul < 0:
        return None
    for pattern, codec in ((_UTF16LE_RUN, "utf-16-le"), (_UTF16BE_RUN, "utf-16-be")):
        found = pattern.search(data, max(first_nul - 34, 0))
        # The first part is a few lines at least, and holds no NUL at all.
        if found is not None and found.start() >= 32 and 0 not in data[: found.start()]:
            return found.start(), codec
    return None


def _two_parts(first: DecodedText, at: int, tail: DecodedText) -> DecodedText:
    text = first.text + tail.text
    line = first.text.count("\n") + first.text.count("\r") - first.text.count("\r\n") + 1
    return DecodedText(
        text,
        first.encoding,
        first.had_bom,
        first.replaced or tail.replaced,
        (at, tail.encoding, line),
    )


def decode_bytes(data: bytes) -> DecodedText:
    """Decode bytes to text, in two parts when the encoding changes part way (see
    `DecodedText.second_part`). Never raises: the last resort replaces undecodable bytes."""
    if not data.startswith(tuple(bom for bom, _ in _BOMS)):
        switch = _other_then_utf16(data)
        if switch is not None:
            at, codec = switch
            body = data[at:]
            bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}[codec]
            body = body[len(bom) :] if body.startswith(bom) else body
            tail_text = body.decode(codec, errors="replace")
            tail = DecodedText(tail_text, codec, replaced="\ufffd" in tail_text)
            return _two_parts(_decode_one(data[:at]), at, tail)
    whole = _decode_one(data)
    if whole.encoding.startswith("utf-16"):
        cut = _utf16_then_other(data, 2 if whole.had_bom else 0)
        if cut is not None:
            return _two_parts(_decode_one(data[:cut]), cut, _decode_one(data[cut:]))
    return whole


def _decode_one(data: bytes) -> DecodedText:
    """Decode bytes in one encoding."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(codec.replace("-sig", ""), errors="replace")
            name = "utf-8" if codec == "utf-8-sig" else codec
            return DecodedText(text, name, had_bom=True, replaced="\ufffd" in text)
    utf16 = _utf16_without_bom(data)
    if utf16:
        text = data.decode(utf16, errors="replace")
        return DecodedText(text, utf16, replaced="\ufffd" in text)
    utf8 = _strict_utf8(data)
    if utf8 is not None:
        return DecodedText(utf8, "utf-8", replaced=utf8.endswith("\ufffd"))
    best: DecodedText | None = None
    best_score = -2.0
    for codec in LEGACY_CODEPAGES:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            # A head cut inside a double-byte character: retry without the last byte.
            if codec not in ("gbk", "cp932"):
                continue
            try:
                text = data[:-1].decode(codec)
            except UnicodeDecodeError:
                continue
        if any(ord(c) < 32 and c not in "\r\n\t\x0c" for c in text[:4096]):
            continue
        score = _cjk_score(text, codec) if codec in ("gbk", "cp932") else _latin_score(text)
        if score > best_score + 1e-9:
            best, best_score = DecodedText(text, codec), score
    if best is not None:
        return best
    text = data.decode("utf-8", errors="replace")
    return DecodedText(text, "utf-8", replaced=True)


def split_lines(text: str) -> list[str]:
    """Split on CRLF, LF or a lone CR; drop one trailing empty line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def stream_decoding(fh: BinaryIO, size: int) -> tuple[str, str, int] | None:
    """How to decode a file a block at a time into exactly the text `decode_bytes` gives for
    all of it: (Python codec, encoding name, bytes to skip), or None when only the whole file
    can tell. Settled by a byte order mark (UTF-8, UTF-32; UTF-16 when its last bytes hold a NUL,
    so nothing single-byte was appended), or by a pass over the file: no NUL anywhere and strict
    UTF-8 throughout (a character cut at the very end is replaced, as `decode_bytes` does)."""
    head = fh.read(4096)
    for bom, codec in _BOMS:
        if head.startswith(bom):
            if codec.startswith("utf-16") and size - len(bom) >= 2 * _SWITCH_WINDOW:
                fh.seek(size - _SWITCH_WINDOW)
                if 0 not in fh.read():
                    return None
            return codec.replace("-sig", ""), "utf-8" if codec == "utf-8-sig" else codec, len(bom)
    if _utf16_without_bom(head):
        return None
    fh.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    while block := fh.read(1 << 20):
        if 0 in block:
            return None
        try:
            decoder.decode(block)
        except UnicodeDecodeError:
            return None
    if decoder.getstate()[0] and size < 1024:
        return None
    return "utf-8", "utf-8", 0
