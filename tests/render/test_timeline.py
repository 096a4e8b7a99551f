"""The timeline geometry and the time helpers behind the report, without a browser."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from analyzer.model import Coverage, Event, ReadResult, Source, as_utc, parse_time
from analyzer.render.timeline import (
    MAX_TICKS,
    PLOT_LEFT,
    PLOT_RIGHT,
    build_timeline,
    focus_window,
    shorten,
)
from analyzer.render.times import format_local, offset_label, parse_offset
from tests.render.report_cases import LOG, make_analysis, schannel_36870

UTC = timezone.utc


def parse_utc_time(text: str | None, offset: timedelta | None = None) -> datetime | None:
    return as_utc(parse_time(text), offset)


def test_parse_time_keeps_zone_less_times_naive_and_offsets_as_written() -> None:
    assert parse_time("2022-10-16T20:27:36") == datetime(2022, 10, 16, 20, 27, 36)
    moment = parse_time(" 2022-10-16T22:27:36+02:00 ")
    assert moment is not None and moment.utcoffset() == timedelta(hours=2)
    assert parse_time("2022-10-16T20:27:36.2228549z") == datetime(
        2022, 10, 16, 20, 27, 36, 222854, tzinfo=UTC
    )


def test_parse_utc_time_reads_every_reader_spelling() -> None:
    expected = datetime(2022, 10, 16, 20, 27, 36, 222854, tzinfo=UTC)
    assert parse_utc_time("2022-10-16T20:27:36.2228549Z") == expected
    assert parse_utc_time("2022-10-16 20:27:36.222854+00:00") == expected
    assert parse_utc_time("2022-10-16T22:27:36.222854+02:00") == expected
    assert parse_utc_time("2022-10-16T20:27:36") == expected.replace(microsecond=0)
    assert parse_utc_time("2022-10-16T21:27:36", timedelta(hours=1)) == expected.replace(
        microsecond=0
    )
    assert parse_utc_time("2022-10-16") == datetime(2022, 10, 16, tzinfo=UTC)
    for bad in (None, "", "yesterday", "2022-13-45T99:99:99Z", "2022-10-16T20:27:36+99:00"):
        assert parse_utc_time(bad) is None


def test_offsets_in_their_usual_spellings() -> None:
    assert parse_offset("+02:00") == timedelta(hours=2)
    assert parse_offset("-0530") == -timedelta(hours=5, minutes=30)
    assert parse_offset("UTC+1") == timedelta(hours=1)
    assert parse_offset(-300) == -timedelta(hours=5)
    assert parse_offset(timedelta(hours=9)) == timedelta(hours=9)
    for bad in (None, True, "", "Europe/Berlin", "+15:00", 24 * 60, [1]):
        assert parse_offset(bad) is None
    assert offset_label(-timedelta(hours=5, minutes=30)) == "UTC-05:30"
    moment = datetime(2025, 3, 2, 23, 30, tzinfo=UTC)
    assert format_local(moment, timedelta(hours=1)) == "2025-03-03 00:30:00 local (UTC+01:00)"


def test_one_lane_per_log_with_its_coverage_and_the_at_line() -> None:
    analysis = make_analysis()
    timeline = build_timeline(analysis.inputs, analysis.events, analysis.at_moment)
    assert timeline is not None
    assert [lane.path for lane in timeline.lanes] == [LOG]
    lane = timeline.lanes[0]
    assert lane.bar_x0 is not None and lane.bar_x1 is not None
    assert PLOT_LEFT <= lane.bar_x0 < lane.bar_x1 <= PLOT_RIGHT
    assert "3 events shown" in lane.summary  # the boot event 6009 is not drawn
    assert {mark.category for mark in timeline.marks} == {"key-failure", "http"}
    assert sum(mark.count for mark in timeline.marks) == 3
    assert timeline.at_x is not None and lane.bar_x0 < timeline.at_x < lane.bar_x1
    assert timeline.start == "2025-02-27 06:00:00 UTC" and timeline.end == "2025-03-02 09:30:00 UTC"
    xs = [tick.x for tick in timeline.ticks]
    assert xs == sorted(xs) and 2 <= len(xs) <= MAX_TICKS + 1


def test_nothing_to_draw_gives_no_timeline() -> None:
    assert build_timeline([], []) is None
    dump = ReadResult("my.txt", "certutil")
    assert build_timeline([dump], [], at=datetime(2025, 3, 2, 8, 15, tzinfo=UTC)) is None
    no_time = replace(schannel_36870(1, "x"), time=None)
    assert build_timeline([], [no_time]) is None


def test_thousands_of_events_merge_into_few_marks() -> None:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    events = [
        schannel_36870(n, (start + timedelta(seconds=7 * n)).isoformat().replace("+00:00", "Z"))
        for n in range(20_000)
    ]
    timeline = build_timeline([], events)
    assert timeline is not None
    assert sum(mark.count for mark in timeline.marks) == 20_000
    assert len(timeline.marks) <= (PLOT_RIGHT - PLOT_LEFT) / 4 + 1
    assert max(mark.radius for mark in timeline.marks) <= 8.0


def test_a_single_event_without_coverage_still_gets_an_axis() -> None:
    timeline = build_timeline([], [schannel_36870(1, "2025-03-02T08:14:05Z")])
    assert timeline is not None
    (mark,) = timeline.marks
    assert PLOT_LEFT < mark.x < PLOT_RIGHT
    assert timeline.lanes[0].bar_x0 is None
    assert timeline.ticks


def test_local_event_times_use_the_offset() -> None:
    local = replace(schannel_36870(1, "2025-03-02T09:14:05"), time_is_local=True)
    utc = schannel_36870(2, "2025-03-02T08:14:05Z")
    timeline = build_timeline([], [local, utc], offset=timedelta(hours=1))
    assert timeline is not None
    (mark,) = timeline.marks  # the same moment, so one merged mark
    assert mark.count == 2


def test_long_paths_keep_their_file_name() -> None:
    path = "ticket.zip!/" + "deep/" * 20 + "System.evtx"
    assert shorten(path).endswith("System.evtx") and len(shorten(path)) <= 28


moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
)


@given(st.lists(moments, min_size=1, max_size=30), st.one_of(st.none(), moments))
def test_every_mark_lands_inside_the_plot(times: list[datetime], at: datetime | None) -> None:
    events = [
        Event("Schannel", 36870, t.isoformat(), n, source=Source("System.evtx", record=n))
        for n, t in enumerate(times)
    ]
    log = ReadResult("System.evtx", "evtx")
    log.coverage = Coverage(first=min(times).isoformat(), last=max(times).isoformat())
    timeline = build_timeline([log], events, at)
    assert timeline is not None
    for x in [m.x for m in timeline.marks] + [t.x for t in timeline.ticks]:
        assert PLOT_LEFT <= x <= PLOT_RIGHT
    if timeline.at_x is not None:
        assert PLOT_LEFT <= timeline.at_x <= PLOT_RIGHT
    assert len(timeline.ticks) <= MAX_TICKS + 1


def test_close_up_around_the_failure_only_when_the_whole_is_much_longer() -> None:
    analysis = make_analysis()
    whole = build_timeline(analysis.inputs, analysis.events, analysis.at_moment)
    assert whole is not None
    window = focus_window(analysis.events, analysis.at_moment, None, whole.span)
    assert window is not None
    start, end = window
    assert start <= datetime(2025, 3, 2, 8, 14, 5, 123456, tzinfo=UTC) - timedelta(minutes=5)
    assert end >= datetime(2025, 3, 2, 8, 15, 41, tzinfo=UTC) + timedelta(minutes=5)
    close = build_timeline(analysis.inputs, analysis.events, analysis.at_moment, None, window)
    assert close is not None
    assert [m.category for m in close.marks] == ["key-failure", "key-failure"]  # no HTTP 15021
    lane = close.lanes[0]  # the coverage bar is cut to the window
    assert (lane.bar_x0, lane.bar_x1) == (PLOT_LEFT, PLOT_RIGHT)
    assert close.at_x is not None
    # a short log needs no close-up; nor does a case without 36870
    assert focus_window(analysis.events, analysis.at_moment, None, timedelta(minutes=20)) is None
    http_only = [e for e in analysis.events if e.event_id != 36870]
    assert focus_window(http_only, analysis.at, None, whole.span) is None


def test_close_up_ignores_36870_far_from_at() -> None:
    far = schannel_36870(1, "2025-01-01T00:00:00Z")
    near = schannel_36870(2, "2025-03-02T08:14:05Z")
    window = focus_window([far, near], datetime(2025, 3, 2, 8, 15, tzinfo=UTC))
    assert window is not None and window[0] > datetime(2025, 3, 2, tzinfo=UTC)
    assert focus_window([far], datetime(2025, 3, 2, 8, 15, tzinfo=UTC)) is None


def test_a_zero_filetime_does_not_stretch_the_axis() -> None:
    log = ReadResult("System.evtx", "evtx")
    log.coverage = Coverage(first="1601-01-01T00:00:00Z", last="2025-03-02T09:30:00Z")
    zero = schannel_36870(1, "1601-01-01T00:00:00Z")
    real = schannel_36870(2, "2025-03-02T08:14:05Z")
    timeline = build_timeline([log], [zero, real])
    assert timeline is not None
    assert timeline.unplaced == 1 and sum(m.count for m in timeline.marks) == 1
    assert timeline.start.startswith("2025-03-02") and timeline.span < timedelta(hours=2)
    lane = timeline.lanes[0]
    assert lane.bar_x0 == lane.bar_x1  # only the last record's time is usable


def test_close_up_leaves_out_logs_with_nothing_in_the_window() -> None:
    analysis = make_analysis()
    other = ReadResult("Application.evtx", "evtx")
    other.coverage = Coverage(first="2024-01-01T00:00:00Z", last="2024-02-01T00:00:00Z")
    inputs = [*analysis.inputs, other]
    whole = build_timeline(inputs, analysis.events, analysis.at_moment)
    assert whole is not None and len(whole.lanes) == 2
    window = focus_window(analysis.events, analysis.at_moment, None, whole.span)
    assert window is not None
    close = build_timeline(inputs, analysis.events, analysis.at_moment, None, window)
    assert close is not None and [lane.path for lane in close.lanes] == [LOG]
