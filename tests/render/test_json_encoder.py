"""The JSON documents are written by orjson where it is installed, to the byte what json.dumps
(sorted keys, ensure_ascii=False, compact separators) writes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analyzer.render import json as render_json


def _stdlib(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


CASES = [
    'a\x00\x1f\x7f\u2028\u2029é😀\\"',
    "\ud800",  # a lone surrogate: orjson refuses it
    2**70,  # beyond 64 bits: orjson refuses it
    {"b": 1, "a": [1, 2, {"é": None, "z": True, "Z": False}]},
    {1: 2},  # a key that is not a string
    render_json.plain([float("nan"), float("inf"), 1e-05, 1e-07, 1e16, 0.1, -0.0, 5e-324]),
    {"ErrorCode": "0x8009030d", "seconds": 1e-05, "n": 1.5},
]


@pytest.mark.parametrize("value", CASES, ids=range(len(CASES)))
def test_fast_encoder_writes_what_json_dumps_writes(value: Any) -> None:
    assert render_json._compact(value) == _stdlib(value)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_any_record_data_is_written_as_json_dumps_writes_it(value: Any) -> None:
    plain = render_json.plain(value)
    assert render_json._compact(plain) == _stdlib(plain)
