"""Fix-step splitting and time parsing take any text a rule or a log gives them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analyzer.model import as_utc, parse_time
from analyzer.render.steps import split_step
from analyzer.render.times import parse_offset


@given(st.text(max_size=300))
def test_split_step_only_cuts_the_step_it_was_given(step: str) -> None:
    split = split_step(step)
    text = step.strip()
    if split.command is not None:
        assert split.command in text
    if split.note is not None:
        assert f"({split.note})" in text
    for part, _ in split.prose:
        assert part in text
    assert split.command is not None or split.prose or not text


@given(
    st.sampled_from(["certutil", "icacls", "certreq", "netsh", "Get-ChildItem", "wevtutil"]),
    st.text(alphabet=st.characters(blacklist_characters="\n\r`"), max_size=80),
)
def test_a_command_line_stays_whole(tool: str, arguments: str) -> None:
    line = f"{tool} {arguments}".strip()
    split = split_step(line)
    assert split.prose == ()
    if split.note is None:
        assert split.command == line
    else:
        assert line.startswith(split.command or "") and line.endswith(f"({split.note})")


@given(st.text(max_size=60))
def test_time_and_offset_parsers_never_raise(text: str) -> None:
    moment = as_utc(parse_time(text))
    assert moment is None or moment.utcoffset() is not None
    parse_offset(text)
