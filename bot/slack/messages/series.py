"""Time series in a report: hourly or daily buckets, their labels, a sparkline squeezed to fit, and a chart (pure)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.slack.chart_axes import TimeAxis, time_axis
from bot.slack.charts import MAX_SERIES, line_chart, series
from bot.slack.format import downsample, sparkline
from bot.slack.messages.common import SPARK_WIDTH
from bot.timeframe import Timeframe


def is_hourly(starts: Sequence[datetime]) -> bool:
    if len(starts) >= 2:
        return min(b - a for a, b in zip(starts, starts[1:], strict=False)) < timedelta(days=1)
    return bool(starts) and (starts[0].hour, starts[0].minute) != (0, 0)


def bucket_label(start: datetime, hourly: bool) -> str:
    day = f"{start:%a} {start.day} {start:%b}"
    return f"{day} {start:%H:%M}" if hourly else day


def bar_note(hourly: bool, group: int) -> str:
    unit = "hour" if hourly else "day"
    return f"one bar per {unit}" if group == 1 else f"one bar per {group} {unit}s"


def trend(values: Sequence[float | None], how: str = "sum") -> tuple[str, int]:
    squeezed, group = downsample(list(values), SPARK_WIDTH, how)  # type: ignore[arg-type]
    return sparkline(squeezed), group


# ---------------------------------------------------------------- charts (from the points already fetched)

MAX_LINES = MAX_SERIES


def _local(start: datetime, tz: ZoneInfo) -> datetime:
    """A bucket's naive local start (as Lexer answers) as an aware time in the asker's timezone."""
    return start if start.tzinfo is not None else start.replace(tzinfo=tz)


def per_step(axis: TimeAxis) -> str:
    """'per day', 'per hour', 'per week', 'per 2 weeks': how one point of the chart is counted."""
    if axis.step == "week" and axis.weeks_per_bucket > 1:
        return f"per {axis.weeks_per_bucket} weeks"
    return f"per {axis.step}"


def time_chart(
    title: str,
    tf: Timeframe,
    lines: Mapping[str, Sequence[tuple[datetime, float | None]]],
    combine: Callable[[list[float]], float] = math.fsum,
    y_label: str | None = None,
) -> dict | None:
    """A line chart over tf's hours, days or weeks in the asker's timezone: one line per name (at most 6).

    `title` holds `{per}` for 'per day' and the like; a value that is not a finite number is a gap.
    None when there is nothing to draw.
    """
    axis = time_axis(tf.start, tf.end, tf.tz)
    shown = {name: [(_local(t, tf.tz), v) for t, v in points] for name, points in list(lines.items())[:MAX_LINES]}
    # a range that includes now is drawn up to its last bucket Lexer answered for: the rest has not happened yet
    held = [i for points in shown.values() for t, _ in points if (i := axis.bucket_of(t)) is not None]
    if not held:
        return None
    labels = axis.labels[: max(held) + 1]
    drawn = [series(name, labels, axis.values(points, combine)[: len(labels)]) for name, points in shown.items()]
    return line_chart(title.format(per=per_step(axis)), labels, drawn, y_label=y_label)
