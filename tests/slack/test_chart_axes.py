"""A chart's categories for a range: hours, days or weeks in the asker's timezone, DST days included."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.chart_axes import PREVIOUS_PERIOD, THIS_PERIOD, compare_series, time_axis
from bot.slack.charts import MAX_CATEGORIES, MAX_CATEGORY, ChartError, line_chart, validate_chart

ZONES = ["Australia/Sydney", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
# days a clock goes forward or back in those zones, so the property tests land on them often
DST_DAYS = [
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 3, 29),
    date(2026, 10, 25),
]


def day_range(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A range as the bot sends it: local midnight to local 23:59:59."""
    return datetime.combine(first, time(), tz), datetime.combine(last, time(23, 59, 59), tz)


@pytest.mark.parametrize(
    "first, last, step, labels",
    [
        (date(2026, 11, 30), date(2026, 12, 6), "day", ["Mon 30 Nov", "Tue 1 Dec", "Wed 2 Dec", "Thu 3 Dec"]),
        (date(2026, 12, 7), date(2026, 12, 7), "hour", ["00:00", "01:00", "02:00", "03:00"]),
        (date(2026, 10, 1), date(2026, 12, 31), "week", ["1 Oct–4 Oct", "5 Oct–11 Oct", "12 Oct–18 Oct"]),
    ],
)
def test_labels_read_well(first, last, step, labels):
    axis = time_axis(*day_range(first, last, ZoneInfo("Europe/London")), ZoneInfo("Europe/London"))
    assert axis.step == step
    assert list(axis.labels[: len(labels)]) == labels


def test_a_dst_day_that_repeats_an_hour_names_both():
    tz = ZoneInfo("Australia/Sydney")
    axis = time_axis(*day_range(date(2026, 4, 5), date(2026, 4, 5), tz), tz)
    assert len(axis.labels) == 25
    assert axis.labels[2:4] == ("02:00 AEDT", "02:00 AEST")
    second_two_oclock = datetime(2026, 4, 5, 2, 30, tzinfo=tz, fold=1)  # 02:30 AEST, an hour after 02:30 AEDT
    assert axis.bucket_of(second_two_oclock) == 3
    assert axis.bucket_of(second_two_oclock.replace(fold=0)) == 2


def test_the_last_24_hours_say_which_day():
    tz = ZoneInfo("America/New_York")
    end = datetime(2026, 12, 8, 14, 30, tzinfo=tz)
    axis = time_axis(end - timedelta(hours=24), end, tz)
    assert axis.labels[0] == "Mon 14:00" and axis.labels[-1] == "Tue 14:00"


def test_a_twelve_month_range_buckets_by_whole_weeks_within_31():
    tz = ZoneInfo("Australia/Sydney")
    axis = time_axis(*day_range(date(2025, 12, 8), date(2026, 12, 7), tz), tz)
    assert axis.step == "week" and axis.weeks_per_bucket == 2
    assert len(axis.labels) <= MAX_CATEGORIES
    assert all(s.weekday() == 0 for s in axis.starts[1:])  # buckets start on Mondays


def test_values_sum_per_bucket_and_an_empty_bucket_is_a_gap():
    tz = ZoneInfo("UTC")
    axis = time_axis(*day_range(date(2026, 1, 1), date(2026, 3, 31), tz), tz)
    days = [datetime.combine(date(2026, 1, 1) + timedelta(days=i), time(), tz) for i in range(90)]
    values = axis.values([(d, 1.0) for d in days if d.month != 2])
    assert values[0] == 4  # Thu 1 Jan to Sun 4 Jan
    assert values[6] is None  # a week of February: no data, a gap
    with pytest.raises(ChartError, match="aware"):
        time_axis(datetime(2026, 1, 1), datetime(2026, 1, 2), tz)


def test_compare_puts_two_periods_on_the_same_categories():
    cats = ["Mon 30 Nov", "Tue 1 Dec", "Wed 2 Dec"]
    block = line_chart("Breaches", cats, compare_series([3, 5, 1], [2, None, 4, 9], cats))
    assert block is not None
    by_name = {s["name"]: [(p["label"], p["value"]) for p in s["data"]] for s in block["chart"]["series"]}
    assert by_name == {
        THIS_PERIOD: [("Mon 30 Nov", 3), ("Tue 1 Dec", 5), ("Wed 2 Dec", 1)],
        PREVIOUS_PERIOD: [("Mon 30 Nov", 2), ("Wed 2 Dec", 4)],  # its 4th day has no category; its 2nd is a gap
    }


@st.composite
def ranges(draw):
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    first = draw(st.one_of(st.sampled_from(DST_DAYS), st.dates(date(2024, 1, 1), date(2027, 12, 31))))
    days = draw(st.one_of(st.integers(0, 3), st.integers(0, 40), st.integers(0, 365)))
    if draw(st.booleans()):
        start, end = day_range(first, first + timedelta(days=days), tz)
    else:  # last-Nh: an hour-aligned or not end, N hours back
        end = datetime.combine(first, time(draw(st.integers(0, 23)), draw(st.integers(0, 59))), tz)
        start = end - timedelta(hours=draw(st.integers(1, 24 * 3)))
    return start, end, tz


@settings(max_examples=400, deadline=None)
@given(ranges())
def test_categories_are_unique_short_and_few(case):
    start, end, tz = case
    axis = time_axis(start, end, tz)
    assert len(axis.labels) == len(set(axis.labels)) == len(axis.starts)
    assert 1 <= len(axis.labels) <= MAX_CATEGORIES
    assert all(len(label) <= MAX_CATEGORY for label in axis.labels)
    assert [s.timestamp() for s in axis.starts] == sorted({s.timestamp() for s in axis.starts})
    assert [axis.bucket_of(s) for s in axis.starts] == list(range(len(axis.starts)))
    assert axis.bucket_of(end) == len(axis.starts) - 1
    if end - start <= timedelta(days=1):
        assert axis.step == "hour"
    elif (end.astimezone(tz).date() - start.astimezone(tz).date()).days >= MAX_CATEGORIES:
        assert axis.step == "week"


@settings(max_examples=200, deadline=None)
@given(ranges(), st.data())
def test_a_daily_series_is_charted_point_for_point(case, data):
    start, end, tz = case
    axis = time_axis(start, end, tz)
    if axis.step != "day":
        return
    values = data.draw(
        st.lists(
            st.one_of(st.none(), st.floats(-1e6, 1e6), st.just(math.nan)),
            min_size=len(axis.starts),
            max_size=len(axis.starts),
        )
    )
    points = list(zip(axis.starts, values, strict=True))
    per_day = axis.values(points)
    block = line_chart("Per day", axis.labels, [compare_series(per_day, [], axis.labels)[0]])
    expected = [(label, v) for label, v in zip(axis.labels, values, strict=True) if v is not None and math.isfinite(v)]
    if block is None:
        assert expected == []
        return
    validate_chart(block)
    assert [(p["label"], p["value"]) for p in block["chart"]["series"][0]["data"]] == expected
