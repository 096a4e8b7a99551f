"""A binary-XML element tree with literal values and no template, as some providers log their
UserData (the CAPI2 Operational log: a nested value holding ``<WinVerifyTrustStart>`` ...).

python-evtx cannot read these: it expects template instances, and element headers with a
dependency id, which these omit. The tree is small, so it is read here token by token.
"""

from __future__ import annotations

import struct

from analyzer.readers.evtx.values import XmlNode

MAX_DEPTH = 32
TOKEN_ELEMENT, TOKEN_CLOSE_START, TOKEN_CLOSE_EMPTY, TOKEN_END = 0x01, 0x02, 0x03, 0x04
TOKEN_VALUE, TOKEN_ATTRIBUTE, TOKEN_CHAR_REF, TOKEN_ENTITY_REF = 0x05, 0x06, 0x08, 0x09
ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def is_plain_element(buf: bytes, pos: int) -> bool:
    return buf[pos] & 0x0F == TOKEN_ELEMENT


class _Reader:
    def __init__(self, buf: bytes, chunk_offset: int, end: int, root: int) -> None:
        self.buf, self.base, self.end = buf, chunk_offset, end
        # Decided once per tree, at its root: without a dependency id the name offset follows
        # the size and points just past itself (a new name) or back into the chunk (a known one).
        name_offset = struct.unpack_from("<I", buf, root + 5)[0]
        self.with_dependency = not (
            name_offset == root + 9 - chunk_offset or 512 <= name_offset < root - chunk_offset
        )

    def byte(self, pos: int) -> int:
        if pos >= self.end:
            raise ValueError("element tree runs past its value")
        return self.buf[pos]

    def name(self, pos: int) -> tuple[str, int]:
        """The name at chunk-relative u32 ``pos``: inline right here, or defined earlier."""
        offset = struct.unpack_from("<I", self.buf, pos)[0]
        pos += 4
        count = struct.unpack_from("<H", self.buf, self.base + offset + 6)[0]
        start = self.base + offset + 8
        text = self.buf[start : start + 2 * count].decode("utf-16-le", "replace")
        if self.base + offset == pos:  # inline: next offset, hash, count, chars, NUL
            pos += 8 + 2 * count + 2
        return text, pos

    def text(self, pos: int) -> tuple[str, int]:
        """Text pieces back to back: values, character and entity references (``&amp;``)."""
        pieces = []
        while True:
            token = self.byte(pos) & 0x0F
            if token == TOKEN_VALUE:
                if self.byte(pos + 1) != 0x01:
                    raise ValueError(f"unsupported value type {self.byte(pos + 1):#x}")
                count = struct.unpack_from("<H", self.buf, pos + 2)[0]
                start = pos + 4
                pieces.append(self.buf[start : start + 2 * count].decode("utf-16-le", "replace"))
                pos = start + 2 * count
            elif token == TOKEN_CHAR_REF:
                pieces.append(chr(struct.unpack_from("<H", self.buf, pos + 1)[0]))
                pos += 3
            elif token == TOKEN_ENTITY_REF:
                entity, pos = self.name(pos + 1)
                pieces.append(ENTITIES.get(entity, f"&{entity};"))
            else:
                break
        if not pieces:
            raise ValueError(f"unsupported token {self.byte(pos):#x} in an element tree")
        return "".join(pieces), pos

    def element(self, pos: int, depth: int) -> tuple[XmlNode, int]:
        if depth > MAX_DEPTH:
            raise ValueError("element tree nests too deeply")
        token = self.byte(pos)
        if token & 0x0F != TOKEN_ELEMENT:
            raise ValueError(f"expected an element, found token {token:#x}")
        name, pos = self.name(pos + (7 if self.with_dependency else 5))
        node = XmlNode(name)
        if token & 0x40:
            pos += 4  # attribute list size
            while self.byte(pos) & 0x0F == TOKEN_ATTRIBUTE:
                more = self.byte(pos) & 0x40
                attribute, pos = self.name(pos + 1)
                text, pos = self.text(pos)
                node.attrs.append((attribute, text))
                if not more:
                    break
        token = self.byte(pos)
        if token == TOKEN_CLOSE_EMPTY:
            return node, pos + 1
        if token != TOKEN_CLOSE_START:
            raise ValueError(f"unexpected token {token:#x} in element <{name}>")
        pos += 1
        while (token := self.byte(pos)) != TOKEN_END:
            if token & 0x0F == TOKEN_ELEMENT:
                child, pos = self.element(pos, depth + 1)
                node.children.append(child)
            else:
                text, pos = self.text(pos)
                node.text = (node.text or "") + text
        return node, pos + 1


def read_element_tree(buf: bytes, pos: int, end: int, chunk_offset: int) -> XmlNode:
    """The element at ``pos`` (absolute) with its attributes, text and children."""
    return _Reader(buf, chunk_offset, end, pos).element(pos, 0)[0]
