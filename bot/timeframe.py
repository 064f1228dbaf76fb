"""RANGE text + timezone -> the local window sent to Lexer (pure).

A range is whole local days, midnight to 23:59:59, sent with the UTC offset in
force at each end (so a range across a DST change carries two offsets), except
`last-Nh`, which ends now. Weeks start on Monday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.errors import BadRangeError

RANGE_WORDS = ("today", "yesterday", "this-week", "last-week", "this-month", "last-month")
RANGE_HELP = (
    "today, yesterday, this-week, last-week, this-month, last-month, last-7d, last-12h, "
    "2026-11-02 or 2026-11-02..2026-11-08"
)
MAX_DAYS_BACK = 3650

# re.ASCII: \d would otherwise accept other scripts' digits (e.g. "last-٣d")
_DAYS_RE = re.compile(r"^last-(\d{1,4})d$", re.ASCII)
_HOURS_RE = re.compile(r"^last-(\d{1,5})h$", re.ASCII)
_DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})$", re.ASCII)
_SPAN_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$", re.ASCII)


@dataclass(frozen=True)
class Timeframe:
    """An aware local window [start, end] and how to say it."""

    start: datetime
    end: datetime
    text: str  # the RANGE as typed, normalised ("last-week")
    words: str  # "last week"

    @property
    def tz(self) -> ZoneInfo:
        return self.start.tzinfo  # type: ignore[return-value]

    @property
    def tz_name(self) -> str:
        return getattr(self.start.tzinfo, "key", str(self.start.tzinfo))

    @property
    def date_from(self) -> str:
        return self.start.isoformat(timespec="seconds")

    @property
    def date_to(self) -> str:
        return self.end.isoformat(timespec="seconds")

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return self.end.date()

    @property
    def span(self) -> timedelta:
        """Real time from start to end (aware datetimes of one zone subtract as wall-clock time)."""
        return self.end.astimezone(timezone.utc) - self.start.astimezone(timezone.utc)

    def days(self) -> list[date]:
        d, out = self.first_day, []
        while d <= self.last_day:
            out.append(d)
            d += timedelta(days=1)
        return out

    def is_past(self, now: datetime) -> bool:
        """True when the whole window is over, so its numbers no longer change."""
        return self.end < now

    def dates_text(self) -> str:
        """'Mon 16 Nov – Sun 22 Nov 2026', 'Thu 26 Nov 2026' or '09:00–21:00 Thu 26 Nov 2026'."""
        if _HOURS_RE.match(self.text):
            if self.first_day == self.last_day:
                return f"{self.start:%H:%M}–{self.end:%H:%M} {_day(self.end, True)}"
            return (
                f"{self.start:%H:%M} {_day(self.start, self.first_day.year != self.last_day.year)} – "
                f"{self.end:%H:%M} {_day(self.end, True)}"
            )
        if self.first_day == self.last_day:
            return _day(self.start, True)
        same_year = self.first_day.year == self.last_day.year
        return f"{_day(self.start, not same_year)} – {_day(self.end, True)}"

    def describe(self) -> str:
        """'last week (Mon 16 Nov – Sun 22 Nov 2026)'."""
        return f"{self.words} ({self.dates_text()})"

    def shifted(self, days: int) -> Timeframe:
        """The same local window `days` later (negative: earlier), DST-correct."""
        return Timeframe(
            local_midnight(self.first_day + timedelta(days=days), self.tz)
            if self.start.time() == time(0)
            else _localize(self.start.replace(tzinfo=None) + timedelta(days=days), self.tz),
            _localize(self.end.replace(tzinfo=None) + timedelta(days=days), self.tz),
            self.text,
            self.words,
        )


def _day(d: datetime, with_year: bool) -> str:
    s = f"{d:%a} {d.day} {d:%b}"
    return f"{s} {d.year}" if with_year else s


def _capital(text: str) -> str:
    """First letter upper-cased, for a description that starts a sentence."""
    return text[:1].upper() + text[1:]


def _localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """Attach tz; a wall time skipped by DST moves forward to a real instant."""
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(ZoneInfo("UTC")).astimezone(tz)


def local_midnight(d: date, tz: ZoneInfo) -> datetime:
    return _localize(datetime.combine(d, time(0)), tz)


def local_end_of_day(d: date, tz: ZoneInfo) -> datetime:
    return _localize(datetime.combine(d, time(23, 59, 59)), tz)


def days_window(first: date, last: date, tz: ZoneInfo, text: str, words: str) -> Timeframe:
    return Timeframe(local_midnight(first, tz), local_end_of_day(last, tz), text, words)


def add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    last = (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)).day
    return date(y, m, min(d.day, last))


def over_twelve_months(start: datetime, end: datetime) -> bool:
    """Lexer's rule: a range may not be longer than 12 months."""
    limit = datetime.combine(add_months(start.date(), 12), start.time(), start.tzinfo)
    return end >= limit


def is_range_text(word: str) -> bool:
    w = word.strip().lower()
    return w in RANGE_WORDS or bool(_DAYS_RE.match(w) or _HOURS_RE.match(w) or _DATE_RE.match(w) or _SPAN_RE.match(w))


def _parse_date(s: str) -> date:
    try:
        d = date.fromisoformat(s)
    except ValueError:
        raise BadRangeError(
            f"`{s}` is not a real date.", hint="Dates are written YYYY-MM-DD, e.g. 2026-11-02."
        ) from None
    # years 1 and 9999 overflow datetime when shifted to UTC; Lexer has nothing that old anyway
    if not 1970 <= d.year <= 9998:
        raise BadRangeError(f"`{s}` is too far from today.", hint="Pick dates from 1970 up to today.")
    return d


def parse_range(text: str, tz: ZoneInfo, now: datetime) -> Timeframe:
    """RANGE -> Timeframe in tz; BadRangeError for malformed, future or over-12-month ranges."""
    raw = text.strip().lower()
    local_now = now.astimezone(tz)
    today = local_now.date()
    tf: Timeframe
    if raw == "today":
        tf = days_window(today, today, tz, raw, "today")
    elif raw == "yesterday":
        y = today - timedelta(days=1)
        tf = days_window(y, y, tz, raw, "yesterday")
    elif raw == "this-week":
        monday = today - timedelta(days=today.weekday())
        tf = days_window(monday, today, tz, raw, "this week so far")
    elif raw == "last-week":
        monday = today - timedelta(days=today.weekday() + 7)
        tf = days_window(monday, monday + timedelta(days=6), tz, raw, "last week")
    elif raw == "this-month":
        tf = days_window(today.replace(day=1), today, tz, raw, "this month so far")
    elif raw == "last-month":
        last = today.replace(day=1) - timedelta(days=1)
        tf = days_window(last.replace(day=1), last, tz, raw, f"last month ({last:%B})")
        tf = Timeframe(tf.start, tf.end, raw, "last month")
    elif m := _DAYS_RE.match(raw):
        n = int(m.group(1))
        if n < 1:
            raise BadRangeError("`last-0d` is an empty range.", hint="Use at least last-1d.")
        if n > MAX_DAYS_BACK:
            raise BadRangeError(
                f"`{raw}` is over 12 months.", hint="Lexer answers at most 12 months at a time; try last-365d or less."
            )
        y = today - timedelta(days=1)
        tf = days_window(y - timedelta(days=n - 1), y, tz, raw, f"the last {n} day{'s' if n > 1 else ''}")
    elif m := _HOURS_RE.match(raw):
        n = int(m.group(1))
        if n < 1:
            raise BadRangeError("`last-0h` is an empty range.", hint="Use at least last-1h.")
        if n > 24 * 370:
            raise BadRangeError(f"`{raw}` is over 12 months.", hint="Lexer answers at most 12 months at a time.")
        end = local_now.replace(microsecond=0)
        # subtract in UTC: aware arithmetic in one zone is wall-clock, off by an hour across DST
        start = (end.astimezone(ZoneInfo("UTC")) - timedelta(hours=n)).astimezone(tz)
        tf = Timeframe(start, end, raw, f"the last {n} hour{'s' if n > 1 else ''}")
    elif m := _DATE_RE.match(raw):
        d = _parse_date(m.group(1))
        tf = days_window(d, d, tz, raw, "the day" if d != today else "today")
    elif m := _SPAN_RE.match(raw):
        a, b = _parse_date(m.group(1)), _parse_date(m.group(2))
        if b < a:
            raise BadRangeError(f"`{raw}` ends before it starts.", hint=f"Write the earlier date first: {b}..{a}.")
        tf = days_window(a, b, tz, raw, "the days")
    else:
        raise BadRangeError(f"`{text.strip()}` is not a range I know.", hint=f"Ranges: {RANGE_HELP}.")
    if tf.start > now:
        raise BadRangeError(
            f"{_capital(tf.describe())} starts in the future.",
            hint="Lexer only has numbers for the past; pick a range that starts today or earlier.",
        )
    if over_twelve_months(tf.start, tf.end):
        raise BadRangeError(
            f"{_capital(tf.describe())} is longer than 12 months.",
            hint="Lexer answers at most 12 months at a time; split it into shorter ranges.",
        )
    return tf


# ---------------------------------------------------------------- one period earlier (the Compare button)


def _same_time_earlier(tf: Timeframe, first: date, last: date, now: datetime, text: str, words: str) -> Timeframe:
    """first..last, ending at now's local time of day when tf is still running (so far vs so far)."""
    end = local_end_of_day(last, tf.tz)
    if tf.end > now:
        # to the minute: a second click within it asks Lexer the same question, so the cache answers
        end = _localize(datetime.combine(last, now.astimezone(tf.tz).time().replace(second=0, microsecond=0)), tf.tz)
    return Timeframe(local_midnight(first, tf.tz), end, text, words)


def previous_period(tf: Timeframe, now: datetime) -> Timeframe:
    """The same range one period earlier, in tf's timezone (README "Compare" lists the rule per range).

    Ranges still running (today, this-week, this-month) compare with the same days one period
    earlier up to the same time of day, so a part week is never held against a whole one.
    """
    raw, tz = tf.text, tf.tz
    first, last = tf.first_day, tf.last_day
    if raw == "today":
        day = first - timedelta(days=1)
        return _same_time_earlier(tf, day, day, now, "", "yesterday")
    if raw == "this-week":
        return _same_time_earlier(tf, first - timedelta(days=7), last - timedelta(days=7), now, "", "last week")
    if raw == "last-week":
        return days_window(first - timedelta(days=7), last - timedelta(days=7), tz, "", "the week before")
    if raw == "this-month":
        a, b = add_months(first, -1), add_months(last, -1)
        return _same_time_earlier(tf, a, b, now, "", "last month")
    if raw == "last-month":
        a = add_months(first, -1)
        return days_window(a, first - timedelta(days=1), tz, "", "the month before")
    if m := _HOURS_RE.match(raw):
        n = int(m.group(1))
        end = tf.start.astimezone(timezone.utc) - timedelta(seconds=1)  # the second before tf starts
        start = (end - timedelta(hours=n) + timedelta(seconds=1)).astimezone(tz)
        return Timeframe(start, end.astimezone(tz), raw, f"the {n} hour{'s' if n > 1 else ''} before")
    # whole days: yesterday, last-Nd, a date, a span -> the same number of days just before
    n = (last - first).days + 1
    words = "the day before" if n == 1 else f"the {n} days before"
    return days_window(first - timedelta(days=n), first - timedelta(days=1), tz, "", words)
