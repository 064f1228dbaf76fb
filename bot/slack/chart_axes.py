"""A chart's categories for a range of time, read in the asker's timezone (pure).

Hours for a range of a day or less, days up to 31, whole weeks past that (two or
more weeks a bucket when weeks would be more than 31, so a 12-month range still
fits). Labels read well in at most 20 characters (`Mon 30 Nov`, `14:00`,
`30 Nov–6 Dec`) and are unique, DST days included.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from bot.slack.charts import MAX_CATEGORIES, MAX_CATEGORY, ChartError, Series, finite

Step = Literal["hour", "day", "week"]
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

THIS_PERIOD, PREVIOUS_PERIOD = "This period", "Previous period"


@dataclass(frozen=True)
class TimeAxis:
    """Buckets of time, each from its start to the next one's (the last to the range's end), and their labels."""

    step: Step
    weeks_per_bucket: int
    starts: tuple[datetime, ...]
    end: datetime
    labels: tuple[str, ...]

    def bucket_of(self, moment: datetime) -> int | None:
        """The index of the bucket holding `moment`, None outside the range."""
        # timestamps, not datetimes: two aware times in one zone compare by the wall clock, and a DST day repeats an hour
        at = moment.timestamp()
        if at < self.starts[0].timestamp() or at > self.end.timestamp():
            return None
        return bisect.bisect_right([s.timestamp() for s in self.starts], at) - 1

    def values(
        self, points: Iterable[tuple[datetime, float | None]], combine: Callable[[list[float]], float] = math.fsum
    ) -> list[float | None]:
        """One value per bucket: `combine` of its finite values (a sum unless told), None where there are none."""
        grouped: list[list[float]] = [[] for _ in self.starts]
        for moment, value in points:
            i = self.bucket_of(moment)
            v = finite(value)
            if i is not None and v is not None:
                grouped[i].append(v)
        return [combine(g) if g else None for g in grouped]


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        raise ChartError("times must be aware")
    return moment.astimezone(tz)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first moment of `day` in tz (a day whose midnight is skipped by DST starts at 01:00)."""
    naive = datetime.combine(day, time())
    moment = naive.replace(tzinfo=tz)
    back = moment.astimezone(timezone.utc).astimezone(tz)
    return back if back.replace(tzinfo=None) == naive else (moment + HOUR).astimezone(tz)


def _day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _hours(start: datetime, end: datetime, tz: ZoneInfo) -> TimeAxis:
    first = start.replace(minute=0, second=0, microsecond=0)
    starts = []
    moment = first.astimezone(timezone.utc)
    while moment <= end:
        starts.append(moment.astimezone(tz))
        moment += HOUR
    one_day = len({s.date() for s in starts}) == 1
    labels = [f"{s:%H:%M}" if one_day else f"{s:%a %H:%M}" for s in starts]
    # a DST day repeats an hour on the wall clock: the zone's name tells the two apart
    labels = [
        f"{label} {s.tzname()}" if labels.count(label) > 1 else label for label, s in zip(labels, starts, strict=True)
    ]
    return TimeAxis("hour", 0, tuple(starts), end, tuple(labels))


def _days(start: datetime, end: datetime, tz: ZoneInfo) -> TimeAxis:
    days = [start.date() + DAY * i for i in range((end.date() - start.date()).days + 1)]
    starts = [start, *(_midnight(d, tz) for d in days[1:])]
    return TimeAxis("day", 0, tuple(starts), end, tuple(_day_label(d) for d in days))


def _span_label(first: date, last: date, with_year: bool) -> str:
    fmt = (lambda d: f"{d.day} {d:%b %y}") if with_year else (lambda d: f"{d.day} {d:%b}")
    return fmt(first) if first == last else f"{fmt(first)}–{fmt(last)}"


def _weeks(start: datetime, end: datetime, tz: ZoneInfo) -> TimeAxis:
    first_day, last_day = start.date(), end.date()
    monday = first_day - DAY * first_day.weekday()
    weeks = math.ceil(((last_day - monday).days + 1) / 7)
    per_bucket = math.ceil(weeks / MAX_CATEGORIES)
    bucket_starts = [monday + timedelta(weeks=per_bucket * i) for i in range(math.ceil(weeks / per_bucket))]
    spans = [(max(b, first_day), min(b + timedelta(weeks=per_bucket) - DAY, last_day)) for b in bucket_starts]
    labels = [_span_label(a, b, with_year=False) for a, b in spans]
    if len(set(labels)) < len(labels):
        labels = [_span_label(a, b, with_year=True) for a, b in spans]
    starts = [start, *(_midnight(a, tz) for a, _ in spans[1:])]
    return TimeAxis("week", per_bucket, tuple(starts), end, tuple(labels))


def time_axis(start: datetime, end: datetime, tz: ZoneInfo) -> TimeAxis:
    """Categories for start..end (aware; end inclusive, e.g. 23:59:59): hours, days, or whole weeks past 31 days."""
    start, end = _local(start, tz), _local(end, tz)
    if end < start:
        raise ChartError(f"the range ends ({end}) before it starts ({start})")
    if end - start <= DAY:
        axis = _hours(start, end, tz)
    elif (end.date() - start.date()).days < MAX_CATEGORIES:
        axis = _days(start, end, tz)
    else:
        axis = _weeks(start, end, tz)
    if len(axis.labels) > MAX_CATEGORIES or any(len(label) > MAX_CATEGORY for label in axis.labels):
        raise ChartError(f"{len(axis.labels)} categories for {start}..{end}: too many or too long")
    return axis


def compare_series(
    current: Sequence[float | None],
    previous: Sequence[float | None],
    categories: Sequence[str],
    names: tuple[str, str] = (THIS_PERIOD, PREVIOUS_PERIOD),
) -> list[Series]:
    """This period and the one before as two series on this period's categories, matched by position.

    The previous period's day 1 sits on this period's day 1; values past the
    categories are left out, and a bucket either period lacks is a gap.
    """
    if len(current) > len(categories):
        raise ChartError(f"{len(current)} values for {len(categories)} categories")
    return [
        Series(name, {c: v for c, v in zip(categories, values, strict=False)})
        for name, values in zip(names, (current, previous), strict=True)
    ]
