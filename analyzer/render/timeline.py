"""Geometry of the report's event timeline: from events and log coverage to SVG coordinates.

Pure functions, no markup: the template draws what `build_timeline` computes. One lane per log,
its coverage window (first..last record) as a bar, events as marks on it, ``--at`` as a line.
Marks that would overlap are merged into one with a count, so a log with thousands of events
still gives a small picture.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from analyzer.knowledge.eventfields import BOOT_EVENTS, HTTP_EVENT, SCHANNEL
from analyzer.model import Event, ReadResult
from analyzer.render.times import format_utc

WIDTH = 960
PLOT_LEFT = 230
PLOT_RIGHT = WIDTH - 24
TOP = 30
LANE_HEIGHT = 40
AXIS_HEIGHT = 40
LABEL_CHARS = 28  # what fits the label column in 12px monospace
BUCKET = 4.0  # marks closer than this (in SVG units) in one lane and category are merged

# (category, legend text, vertical offset within the lane); drawn in this order, so the key
# failures end on top.
CATEGORIES: tuple[tuple[str, str, float], ...] = (
    ("other", "Other (IIS, RDP, CAPI2)", 10.0),
    ("http", "HTTP.sys (HttpEvent)", 10.0),
    ("schannel", "Other Schannel", -10.0),
    ("key-failure", "Schannel 36870 (private key)", 0.0),
)
_OFFSETS = {name: offset for name, _, offset in CATEGORIES}

# Tick spacings to choose from, in seconds: the first that gives at most MAX_TICKS ticks wins.
_STEPS = (
    1, 5, 15, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600,
    86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 365 * 86400,
)  # fmt: skip
MAX_TICKS = 7
FOCUS_REACH = timedelta(hours=2)  # 36870 events this close to --at belong to the attempt
FOCUS_MARGIN = timedelta(minutes=5)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)  # before any Windows with Schannel
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Lane:
    label: str  # shortened path, fits the label column
    path: str  # the full path, for the tooltip
    y: float  # centre line
    bar_x0: float | None  # coverage window, when the log says what it covers
    bar_x1: float | None
    summary: str  # "12 events; covers ... to ..."


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    radius: float
    category: str
    count: int
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    plot_left: float
    plot_right: float
    axis_y: float
    lanes: tuple[Lane, ...]
    marks: tuple[Mark, ...]
    ticks: tuple[Tick, ...]
    at_x: float | None
    at_label: str | None
    start: str
    end: str
    span: timedelta  # from the first to the last thing drawn
    legend: tuple[tuple[str, str], ...]
    unplaced: int  # events without a usable time (none, unreadable, or implausible)


def category_of(event: Event) -> str | None:
    """The mark's kind, or None for boot events (they are context, not findings)."""
    if (event.provider, event.event_id) in BOOT_EVENTS:
        return None
    if event.provider == SCHANNEL:
        return "key-failure" if event.event_id == 36870 else "schannel"
    if event.provider == HTTP_EVENT:
        return "http"
    return "other"


def shorten(path: str, limit: int = LABEL_CHARS) -> str:
    """Keep the end of a long path: the file name is what tells logs apart."""
    return path if len(path) <= limit else "…" + path[-(limit - 1) :]


def choose_step(span: float) -> int:
    for step in _STEPS:
        if span / step <= MAX_TICKS:
            return step
    return math.ceil(span / MAX_TICKS / _STEPS[-1]) * _STEPS[-1]


def tick_label(moment: datetime, step: int) -> str:
    if step >= 86400:
        return moment.strftime("%Y-%m-%d")
    if step >= 60:
        return moment.strftime("%m-%d %H:%M")
    return moment.strftime("%H:%M:%S")


def plausible(moment: datetime | None) -> datetime | None:
    """The moment, or None when no real log could hold it: a zero FILETIME reads as 1601 and
    would stretch the axis over four centuries."""
    return moment if moment is not None and EARLIEST <= moment < LATEST else None


def _event_time(event: Event, offset: timedelta | None) -> datetime | None:
    return plausible(event.utc_moment(offset))


def build_timeline(
    inputs: Sequence[ReadResult],
    events: Iterable[Event],
    at: datetime | None = None,
    offset: timedelta | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> Timeline | None:
    """The timeline of a case, or None when there is nothing to place on a time axis.

    With ``window``, only that stretch of time is drawn (a close-up around the failure)."""
    placed: list[tuple[str, str, datetime, Event]] = []
    unplaced = 0
    for event in events:
        category = category_of(event)
        if category is None:
            continue
        moment = _event_time(event, offset)
        if moment is None:
            unplaced += 1
            continue
        placed.append((event.source.path, category, moment, event))

    windows: dict[str, tuple[datetime | None, datetime | None]] = {}
    for result in inputs:
        if result.coverage is not None:
            first = plausible(result.coverage.first_moment)
            last = plausible(result.coverage.last_moment)
            if first or last:
                windows[result.path] = (first, last)
    lane_paths = list(windows)
    for path, _, _, _ in placed:
        if path not in windows and path not in lane_paths:
            lane_paths.append(path)
    at_moment = plausible(at)
    if window is not None:
        placed = [item for item in placed if window[0] <= item[2] <= window[1]]
        windows = {path: _clip(first_last, window) for path, first_last in windows.items()}
        # A close-up keeps only the logs that have something in it.
        busy = {path for path, _, _, _ in placed} | {p for p, ends in windows.items() if ends[0]}
        lane_paths = [path for path in lane_paths if path in busy]
        if at_moment is not None and not window[0] <= at_moment <= window[1]:
            at_moment = None
        moments = list(window)
    else:
        moments = [m for _, _, m, _ in placed]
        moments += [m for ends in windows.values() for m in ends if m is not None]
        if at_moment is not None:
            moments.append(at_moment)
    if not lane_paths or not moments:
        return None

    start, end = min(moments), max(moments)
    span = (end - start).total_seconds()
    if window is not None:
        pad = 0.0 if span > 0 else 1800.0
    else:
        pad = max(span * 0.03, 30.0) if span > 0 else 1800.0
    axis_start = start - timedelta(seconds=pad)
    axis_span = span + 2 * pad

    def x_of(moment: datetime) -> float:
        fraction = (moment - axis_start).total_seconds() / axis_span
        return round(PLOT_LEFT + fraction * (PLOT_RIGHT - PLOT_LEFT), 1)

    lanes = []
    lane_y: dict[str, float] = {}
    for index, path in enumerate(lane_paths):
        y = TOP + index * LANE_HEIGHT + LANE_HEIGHT / 2
        lane_y[path] = y
        first, last = windows.get(path, (None, None))
        bar_start, bar_end = first or last, last or first
        count = sum(1 for p, _, _, _ in placed if p == path)
        lanes.append(
            Lane(
                label=shorten(path),
                path=path,
                y=y,
                bar_x0=x_of(bar_start) if bar_start else None,
                bar_x1=x_of(bar_end) if bar_end else None,
                summary=_lane_summary(count, first, last),
            )
        )

    marks = _merge_marks(placed, lane_y, x_of)
    axis_y = TOP + len(lanes) * LANE_HEIGHT + 6
    step = choose_step(axis_span)
    # Seconds from the epoch by subtraction: fromtimestamp() rejects old dates on Windows.
    axis_seconds = (axis_start - EPOCH).total_seconds()
    ticks = []
    for stamp in range(
        math.ceil(axis_seconds / step) * step, int(axis_seconds + axis_span) + 1, step
    ):
        moment = EPOCH + timedelta(seconds=stamp)
        ticks.append(Tick(x_of(moment), tick_label(moment, step)))
    present = {mark.category for mark in marks}
    return Timeline(
        width=WIDTH,
        height=int(axis_y + AXIS_HEIGHT),
        plot_left=PLOT_LEFT,
        plot_right=PLOT_RIGHT,
        axis_y=axis_y,
        lanes=tuple(lanes),
        marks=marks,
        ticks=tuple(ticks),
        at_x=x_of(at_moment) if at_moment is not None else None,
        at_label=f"--at {format_utc(at_moment)}" if at_moment is not None else None,
        start=format_utc(start),
        end=format_utc(end),
        span=end - start,
        legend=tuple((name, text) for name, text, _ in CATEGORIES if name in present),
        unplaced=unplaced,
    )


def _clip(
    ends: tuple[datetime | None, datetime | None], window: tuple[datetime, datetime]
) -> tuple[datetime | None, datetime | None]:
    """A coverage window cut to the drawn stretch; (None, None) when they do not meet."""
    first, last = ends[0] or ends[1], ends[1] or ends[0]
    if first is None or last is None or last < window[0] or first > window[1]:
        return (None, None)
    return (max(first, window[0]), min(last, window[1]))


def focus_window(
    events: Iterable[Event],
    at: datetime | None,
    offset: timedelta | None = None,
    overall: timedelta | None = None,
) -> tuple[datetime, datetime] | None:
    """The stretch around the failure worth a close-up: the 36870 events near ``--at`` (or all
    of them) with some margin. None when there are none, or when the whole timeline is already
    that close (``overall`` is the full chart's span)."""
    at_moment = at
    failures = [
        moment
        for event in events
        if category_of(event) == "key-failure"
        and (moment := _event_time(event, offset)) is not None
        and (at_moment is None or abs(moment - at_moment) <= FOCUS_REACH)
    ]
    points = failures + ([at_moment] if at_moment is not None else [])
    if not failures or not points:
        return None
    start, end = min(points), max(points)
    pad = max((end - start) * 0.15, FOCUS_MARGIN)
    focus = (start - pad, end + pad)
    if overall is not None and overall < (focus[1] - focus[0]) * 6:
        return None
    return focus


def _lane_summary(count: int, first: datetime | None, last: datetime | None) -> str:
    events = f"{count} event{'s' if count != 1 else ''} shown"
    if first and last:
        return f"{events}; the log covers {format_utc(first)} to {format_utc(last)}"
    return events


def _merge_marks(
    placed: list[tuple[str, str, datetime, Event]],
    lane_y: dict[str, float],
    x_of: Callable[[datetime], float],
) -> tuple[Mark, ...]:
    buckets: dict[tuple[str, str, int], list[tuple[datetime, Event]]] = {}
    for path, category, moment, event in placed:
        key = (path, category, int(x_of(moment) // BUCKET))
        buckets.setdefault(key, []).append((moment, event))
    order = {name: rank for rank, (name, _, _) in enumerate(CATEGORIES)}
    marks = []
    for (path, category, _), members in sorted(
        buckets.items(), key=lambda item: (order[item[0][1]], item[0][0], item[0][2])
    ):
        members.sort(key=lambda member: member[0])
        xs = [x_of(moment) for moment, _ in members]
        marks.append(
            Mark(
                x=round(sum(xs) / len(xs), 1),
                y=lane_y[path] + _OFFSETS[category],
                radius=round(4.0 + min(4.0, math.log2(len(members))), 1),
                category=category,
                count=len(members),
                title=_mark_title(members),
            )
        )
    return tuple(marks)


def _mark_title(members: list[tuple[datetime, Event]]) -> str:
    first_moment, first_event = members[0]
    name = f"{first_event.provider} {first_event.event_id}"
    if len(members) == 1:
        record = f", record {first_event.record_id}" if first_event.record_id is not None else ""
        return f"{name} at {format_utc(first_moment)}{record}"
    ids = sorted({f"{e.provider} {e.event_id}" for _, e in members})
    return (
        f"{len(members)} events ({', '.join(ids)}) from {format_utc(first_moment)} "
        f"to {format_utc(members[-1][0])}"
    )
