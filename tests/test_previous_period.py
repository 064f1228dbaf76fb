"""One period earlier (the Compare button): each range's previous period, in the asker's timezone, across DST."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.timeframe import parse_range, previous_period

SYDNEY = ZoneInfo("Australia/Sydney")
NEW_YORK = ZoneInfo("America/New_York")
# Wed 8 Apr 2026 13:00 in Sydney; its daylight saving ended Sun 5 Apr
AFTER_SYDNEY_DST = datetime(2026, 4, 8, 3, 0, tzinfo=timezone.utc)
# Wed 11 Mar 2026 11:00 in New York; its daylight saving began Sun 8 Mar
AFTER_NEW_YORK_DST = datetime(2026, 3, 11, 15, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "tz,now,typed,date_from,date_to,words",
    [
        (SYDNEY, AFTER_SYDNEY_DST, "today", "2026-04-07T00:00:00+10:00", "2026-04-07T13:00:00+10:00", "yesterday"),
        (
            SYDNEY,
            AFTER_SYDNEY_DST,
            "yesterday",
            "2026-04-06T00:00:00+10:00",
            "2026-04-06T23:59:59+10:00",
            "the day before",
        ),
        # a week so far against the same days of last week, up to the same time of day, over the change
        (SYDNEY, AFTER_SYDNEY_DST, "this-week", "2026-03-30T00:00:00+11:00", "2026-04-01T13:00:00+11:00", "last week"),
        (
            SYDNEY,
            AFTER_SYDNEY_DST,
            "last-week",
            "2026-03-23T00:00:00+11:00",
            "2026-03-29T23:59:59+11:00",
            "the week before",
        ),
        (
            SYDNEY,
            AFTER_SYDNEY_DST,
            "last-7d",
            "2026-03-25T00:00:00+11:00",
            "2026-03-31T23:59:59+11:00",
            "the 7 days before",
        ),
        (
            SYDNEY,
            AFTER_SYDNEY_DST,
            "last-30d",
            "2026-02-07T00:00:00+11:00",
            "2026-03-08T23:59:59+11:00",
            "the 30 days before",
        ),
        (
            SYDNEY,
            AFTER_SYDNEY_DST,
            "this-month",
            "2026-03-01T00:00:00+11:00",
            "2026-03-08T13:00:00+11:00",
            "last month",
        ),
        (
            SYDNEY,
            AFTER_SYDNEY_DST,
            "last-month",
            "2026-02-01T00:00:00+11:00",
            "2026-02-28T23:59:59+11:00",
            "the month before",
        ),
        (
            SYDNEY,
            AFTER_SYDNEY_DST,
            "2026-03-31",
            "2026-03-30T00:00:00+11:00",
            "2026-03-30T23:59:59+11:00",
            "the day before",
        ),
        # an explicit span: the same number of days just before it
        (
            SYDNEY,
            AFTER_SYDNEY_DST,
            "2026-04-01..2026-04-07",
            "2026-03-25T00:00:00+11:00",
            "2026-03-31T23:59:59+11:00",
            "the 7 days before",
        ),
        # hours: the same length just before, in real time across the change (13:00 -> 01:00 is 12 hours)
        (
            SYDNEY,
            AFTER_SYDNEY_DST,
            "last-12h",
            "2026-04-07T13:00:00+10:00",
            "2026-04-08T00:59:59+10:00",
            "the 12 hours before",
        ),
        (
            NEW_YORK,
            AFTER_NEW_YORK_DST,
            "this-week",
            "2026-03-02T00:00:00-05:00",
            "2026-03-04T11:00:00-05:00",
            "last week",
        ),
        (
            NEW_YORK,
            AFTER_NEW_YORK_DST,
            "last-week",
            "2026-02-23T00:00:00-05:00",
            "2026-03-01T23:59:59-05:00",
            "the week before",
        ),
        # this month on the 31st: last month has 28 days, so its same days stop on its last day
        (
            NEW_YORK,
            datetime(2026, 3, 31, 16, 0, tzinfo=timezone.utc),
            "this-month",
            "2026-02-01T00:00:00-05:00",
            "2026-02-28T12:00:00-05:00",
            "last month",
        ),
    ],
)
def test_previous_period(tz, now, typed, date_from, date_to, words):
    before = previous_period(parse_range(typed, tz, now), now)
    assert (before.date_from, before.date_to, before.words) == (date_from, date_to, words)
    assert before.end < now


def test_a_previous_week_is_always_monday_to_sunday():
    for day in range(1, 29):
        now = datetime(2026, 2, day, 12, tzinfo=timezone.utc)
        before = previous_period(parse_range("last-week", SYDNEY, now), now)
        assert (before.first_day.weekday(), before.last_day.weekday(), len(before.days())) == (0, 6, 7)
