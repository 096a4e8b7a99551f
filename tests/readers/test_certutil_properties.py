"""Hypothesis properties of the certutil reader: presentation does not change the facts, a wrong
code page does not lose them, and no mutation of a real dump raises anything unexpected."""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.errors import CerttriageError
from analyzer.inputs.decode import decode_bytes
from analyzer.readers.certutil import parse_certutil
from fixtures.writers.certutil_dump import CSP_STRONG, KSP_SOFTWARE, CertSpec, DumpSpec, render
from tests.conftest import FIXTURES

REAL = sorted((FIXTURES / "real" / "certutil").glob("*.txt"))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cert_specs = st.builds(
    CertSpec,
    subject=st.sampled_from(["CN=www.contoso.com", "CN=api.fabrikam.net, O=Fabrikam, C=DE"]),
    provider=st.sampled_from([CSP_STRONG, KSP_SOFTWARE]),
    keyspec=st.sampled_from([None, 1, 2]),
    exportable=st.sampled_from([True, False, "plain-text"]),
    key_state=st.sampled_from(["ok", "failed", "missing", "no-key-info"]),
    not_before=st.datetimes(datetime(2015, 1, 1), datetime(2030, 1, 1)).map(
        lambda d: d.replace(second=0, microsecond=0)
    ),
    index=st.integers(0, 60),
)
dumps = st.builds(
    DumpSpec,
    certs=st.lists(cert_specs, min_size=1, max_size=3),
    verbose=st.booleans(),
    language=st.sampled_from(["en", "de", "fr", "es"]),
    user=st.booleans(),
)


def _facts(text: str) -> list[tuple]:
    result = parse_certutil(text, "dump.txt")
    return [
        (
            c.index,
            c.thumbprint,
            c.key
            and (c.key.provider, c.key.keyspec, c.key.exportable, c.key.state, c.key.key_file),
        )
        for c in result.certificates
    ]


def _expected(dump: DumpSpec) -> list[tuple]:
    out = []
    for i, c in enumerate(dump.certs):
        state = {"failed": "failed", "missing": "missing", "no-key-info": "no-key-info"}.get(
            c.key_state, "ok"
        )
        if c.key_state in ("missing", "no-key-info"):
            exportable = None
        else:
            exportable = c.exportable is not False
        key = None
        if c.key_state == "no-key-info":
            key = (None, None, None, "no-key-info", None)
        else:
            keyspec = c.effective_keyspec if dump.verbose else None
            key = (c.provider, keyspec, exportable, state, c.key_file)
        out.append((c.index if c.index is not None else i, c.thumbprint, key))
    return out


@SETTINGS
@given(dump=dumps)
def test_writer_facts_survive_reading(dump: DumpSpec) -> None:
    assert _facts(render(dump)) == _expected(dump)


@SETTINGS
@given(
    dump=dumps,
    newline=st.sampled_from(["\r\n", "\n", "\r"]),
    indent=st.sampled_from(["", "    ", "\t", "  \t"]),
    encoding=st.sampled_from(["utf-16-le-bom", "utf-16-le", "utf-8-bom", "utf-8"]),
)
def test_line_endings_indentation_and_bom_do_not_change_the_result(
    dump: DumpSpec, newline: str, indent: str, encoding: str
) -> None:
    plain = render(dump).replace("\r\n", "\n")
    text = newline.join(indent + line if line else line for line in plain.split("\n"))
    codec = encoding.removesuffix("-bom")
    data = text.encode(codec)
    if encoding == "utf-16-le-bom":
        data = b"\xff\xfe" + data
    elif encoding == "utf-8-bom":
        data = b"\xef\xbb\xbf" + data
    decoded = decode_bytes(data)
    base = parse_certutil(plain, "dump.txt")
    other = parse_certutil(decoded.text, "dump.txt")
    assert other.certificates == base.certificates
    assert [(m.text, m.source.line) for m in other.messages] == [
        (m.text, m.source.line) for m in base.messages
    ]


@SETTINGS
@given(dump=dumps)
def test_a_wrong_code_page_keeps_thumbprints_and_key_facts(dump: DumpSpec) -> None:
    garbled = "".join(ch if ord(ch) < 128 else "\ufffd" for ch in render(dump))
    assert _facts(garbled) == _expected(dump)


@SETTINGS
@given(dump=dumps, wrong=st.sampled_from(["cp1252", "cp850", "latin-1"]))
def test_utf8_read_with_a_legacy_code_page_keeps_the_facts(dump: DumpSpec, wrong: str) -> None:
    mojibake = render(dump).encode("utf-8").decode(wrong, errors="replace")
    assert _facts(mojibake) == _expected(dump)


def _mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    buf = bytearray(data)
    for kind, where, value in edits:
        if not buf:
            break
        at = where % len(buf)
        if kind == 0:
            buf[at] = value
        elif kind == 1:
            del buf[at : at + value % 64 + 1]
        elif kind == 2:
            buf[at:at] = bytes([value]) * (value % 7 + 1)
        else:
            buf = buf[:at]
    return bytes(buf)


@settings(max_examples=150, deadline=None)
@given(
    sample=st.sampled_from(REAL),
    edits=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 10**6), st.integers(0, 255)), max_size=12
    ),
)
def test_mutated_real_samples_never_raise_unexpected_errors(sample, edits) -> None:
    data = _mutate(sample.read_bytes(), edits)
    try:
        decoded = decode_bytes(data)
        result = parse_certutil(decoded.text, sample.name, decoded.encoding)
    except CerttriageError:
        return
    for cert in result.certificates:
        assert cert.thumbprint is None or len(cert.thumbprint) == 40
