"""Values shared by the grammars (pure): ranges, times, durations, time zones, snoozes, suggestions.

Each parser takes what was typed and gives a canonical value or None (or raises the
CommandError that names the word); the bounds and vocabularies here are the only ones.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import available_timezones

from bot.errors import BadRangeError, CommandError
from bot.slack.parsing.tokens import Item, show
from bot.timeframe import RANGE_HELP, RANGE_WORDS, is_range_text

UTC = timezone.utc

NPS_CATEGORIES = ("promoters", "passives", "detractors")
CATEGORY_ALIASES = {"promoter": "promoters", "passive": "passives", "detractor": "detractors"}
CATEGORY_WORDS = {**{c: c for c in NPS_CATEGORIES}, **CATEGORY_ALIASES}
CADENCES = ("daily", "weekdays", "weekly")
CADENCE_ALIASES = {"weekday": "weekdays"}
SENSITIVITIES = ("low", "normal", "high")
SENSITIVITY_ALIASES = {"medium": "normal"}
#: the words for a day of the week -> its number (Monday 0), as datetime.weekday() counts
WEEKDAY_WORDS = {
    **dict.fromkeys(("mon", "monday", "mondays"), 0),
    **dict.fromkeys(("tue", "tues", "tuesday", "tuesdays"), 1),
    **dict.fromkeys(("wed", "weds", "wednesday", "wednesdays"), 2),
    **dict.fromkeys(("thu", "thur", "thurs", "thursday", "thursdays"), 3),
    **dict.fromkeys(("fri", "friday", "fridays"), 4),
    **dict.fromkeys(("sat", "saturday", "saturdays"), 5),
    **dict.fromkeys(("sun", "sunday", "sundays"), 6),
}
WINDOW_MINUTES = (5, 24 * 60)
MIN_COUNT = (1, 10_000)
SNOOZE_MAX_MINUTES = 7 * 24 * 60

MSG_BAD_RANGE = "`{word}` is not a range I know."
MSG_BAD_RANGE_SUGGEST = "`{word}` is not a range I know — did you mean `{suggestion}`?"
MSG_BAD_DATE = "`{word}` is not a real date."
HINT_DATES = "Dates are written YYYY-MM-DD, e.g. 2026-11-02, or 2026-11-02..2026-11-08 for several days."
MSG_BAD_TIME = "`{word}` is not a time I understand; use 24-hour HH:MM like 09:00, or 9am / 5:30pm."
MSG_TZ_UNKNOWN = "`{word}` is not a time zone I know — did you mean `{suggestion}`?"
MSG_TZ_UNKNOWN_PLAIN = "`{word}` is not a time zone I know."
HINT_TZ = "Use an IANA name like Australia/Sydney, America/New_York or UTC."

_RANGE_LIKE_RE = re.compile(r"^(last|this|past|next)[-_]|^\d{4}-\d|\.\.", re.ASCII)
_DATE_PIECE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TIME_RE = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(am|pm|a\.m\.|p\.m\.)?$", re.ASCII)
TIME_LIKE_RE = re.compile(r"^\d{1,2}[:.]\d{2}([ap]\.?m\.?)?$|^\d{1,2}[ap]\.?m\.?$", re.ASCII)
_HHMM_RE = re.compile(r"^(\d{2})(\d{2})$", re.ASCII)
_DURATION_RE = re.compile(r"^(?:\d{1,5}[a-z]+)+$", re.ASCII)
_DURATION_PART_RE = re.compile(r"(\d{1,5})([a-z]+)", re.ASCII)
_DURATION_UNITS = {
    **dict.fromkeys(("d", "day", "days"), 1440),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 60),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 1),
}
_N_UNIT_RE = re.compile(r"^(\d{1,4})(d|h)$", re.ASCII)


def suggest(word: str, options: Iterable[str]) -> str | None:
    """The option closest to `word` (difflib), or None when nothing is close."""
    w = (word or "").strip().lower()
    if not w or len(w) > 40:  # long junk: nothing is close, and difflib is quadratic
        return None
    found = difflib.get_close_matches(w, list(options), n=1, cutoff=0.6)
    return found[0] if found else None


def canonical(word: str | None, names: Iterable[str], aliases: dict[str, str]) -> str | None:
    """`word` as one of `names` (through `aliases`, `_` read as `-`), or None."""
    if word is None:
        return None
    w = word.replace("_", "-")
    if w in aliases:
        return aliases[w]
    return w if w in names else None


def parse_time(s: str, *, after_at: bool) -> str | None:
    """'17:30', '9am', '5:30pm' (and after `at`: '9', '0900') -> 'HH:MM'; None if not a time."""
    s = s.lower()
    if s in ("noon", "midday"):
        return "12:00"
    if s == "midnight":
        return "00:00"
    if after_at and (m4 := _HHMM_RE.match(s)):
        hh, mm = int(m4.group(1)), int(m4.group(2))
        return f"{hh:02d}:{mm:02d}" if hh <= 23 and mm <= 59 else None
    m = _TIME_RE.match(s)
    if not m:
        return None
    hh, mm, ampm = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if ampm:
        if not 1 <= hh <= 12:
            return None
        hh = hh % 12 + (12 if ampm.startswith("p") else 0)
    elif m.group(2) is None and not after_at:
        return None
    if hh > 23 or mm > 59:
        return None
    return f"{hh:02d}:{mm:02d}"


def parse_duration(s: str) -> int | None:
    """'2h', '30m', '1d', '1h30m', '2 hours' -> minutes; None if not a duration."""
    s = "".join(s.lower().split())
    if not _DURATION_RE.match(s):
        return None
    total, seen = 0, set()
    for number, unit in _DURATION_PART_RE.findall(s):
        size = _DURATION_UNITS.get(unit)
        if size is None or size in seen:
            return None
        seen.add(size)
        total += int(number) * size
    return total


@lru_cache(maxsize=1)
def zones() -> tuple[dict[str, str], dict[str, str]]:
    """({lower key: key}, {lower city: key} for cities that name one zone)."""
    names = available_timezones() | {"UTC"}
    by_key = {z.lower(): z for z in names}
    cities: dict[str, str | None] = {}
    for z in sorted(names):
        if "/" in z and not z.lower().startswith(("etc/", "posix", "right")):
            city = z.rsplit("/", 1)[1].lower()
            cities[city] = None if city in cities else z
    return by_key, {c: z for c, z in cities.items() if z}


def parse_tz(item: Item) -> str:
    """A time zone key or city ('australia/sydney', 'new_york') -> its IANA name; CommandError if none."""
    by_key, by_city = zones()
    w = item.text.strip().lower().replace(" ", "_")
    if w in by_key:
        return by_key[w]
    if w in by_city:
        return by_city[w]
    s = suggest(w, by_key) or suggest(w, by_city)
    s = by_key.get(s or "", None) or by_city.get(s or "", None)
    if s:
        raise CommandError(MSG_TZ_UNKNOWN.format(word=show(item.raw), suggestion=s), hint=HINT_TZ)
    raise CommandError(MSG_TZ_UNKNOWN_PLAIN.format(word=show(item.raw)), hint=HINT_TZ)


def range_error(item: Item) -> BadRangeError:
    w = (item.word or item.text).lower()
    if _DATE_PIECE_RE.search(w) or re.match(r"^\d{4}-", w, re.ASCII):
        return BadRangeError(MSG_BAD_RANGE.format(word=show(item.raw)), hint=HINT_DATES)
    s = suggest(w.replace("_", "-"), RANGE_WORDS)
    if s:
        return BadRangeError(
            MSG_BAD_RANGE_SUGGEST.format(word=show(item.raw), suggestion=s), hint=f"Ranges: {RANGE_HELP}."
        )
    return BadRangeError(MSG_BAD_RANGE.format(word=show(item.raw)), hint=f"Ranges: {RANGE_HELP}.")


def checked_range(item: Item) -> str:
    """A RANGE word, lower-cased; its dates must be real (future/12 months are parse_range's job)."""
    w = item.text.lower()
    for piece in _DATE_PIECE_RE.findall(w):
        try:
            date.fromisoformat(piece)
        except ValueError:
            raise BadRangeError(MSG_BAD_DATE.format(word=show(piece)), hint=HINT_DATES) from None
    return w


def is_range(item: Item) -> bool:
    return item.kind == "word" and is_range_text(item.text)


def looks_like_range(item: Item) -> bool:
    return item.kind == "word" and bool(_RANGE_LIKE_RE.search(item.text.lower()))


def spaced_range(items: list[Item], i: int) -> tuple[str, str] | None:
    """`7d` or `last 7 days` / `last 12 hours` at items[i]: (what was typed, the RANGE meant)."""
    words = [it.word or "" for it in items[i : i + 3]]
    if m := _N_UNIT_RE.match(words[0]):
        return items[i].raw, f"last-{m.group(1)}{m.group(2)}"
    if len(words) >= 2 and words[0] in ("last", "past") and words[1].isascii() and words[1].isdigit():
        n, unit = int(words[1]), (words[2] if len(words) > 2 else "")
        if unit.startswith(("day", "hour", "hr", "week", "wk")):
            typed = " ".join(it.raw for it in items[i : i + 3])
            return typed, (f"last-{n}h" if unit[:1] == "h" else f"last-{n * 7 if unit[:1] == 'w' else n}d")
        if unit.isalpha():  # months, years…: no one-word range says that
            return None
        return " ".join(it.raw for it in items[i : i + 2]), f"last-{n}d"
    return None


@dataclass(frozen=True)
class Snooze:
    """`alerts snooze`: for `minutes`, `until` a wall time in the asker's zone, or `off`; exactly one."""

    minutes: int | None = None
    until: time | None = None
    off: bool = False

    def __post_init__(self) -> None:
        if (self.minutes is not None) + (self.until is not None) + self.off != 1:
            raise ValueError("a Snooze is one of minutes=, until= or off=True")


def local_instant(d: date, at: time, tz: tzinfo) -> datetime:
    """A wall time in tz as an aware instant (a time skipped by DST moves forward)."""
    return datetime.combine(d, at).replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def snooze_end(snooze: Snooze, now: datetime, tz: tzinfo) -> datetime | None:
    """When a snooze typed at `now` ends, in UTC (`until` a time already past today: tomorrow); None for off."""
    if snooze.off:
        return None
    if snooze.until is not None:
        local = now.astimezone(tz)
        end = local_instant(local.date(), snooze.until, tz)
        if end <= local:
            end = local_instant(local.date() + timedelta(days=1), snooze.until, tz)
        return end.astimezone(UTC)
    return (now + timedelta(minutes=snooze.minutes or 0)).astimezone(UTC)
