"""Time series in a report: hourly or daily buckets, their labels, and a sparkline squeezed to fit (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.slack.format import downsample, sparkline
from bot.slack.messages.common import SPARK_WIDTH


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
