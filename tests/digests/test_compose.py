from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from digests.compose import nps_windows, report_day, sla_windows, slowest, top_breaches
from tests.digests.samples import AGENTS

SYD = ZoneInfo("Australia/Sydney")
NYC = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    "due, tz, yesterday, week_ago, spark_from",
    [
        (
            datetime(2024, 12, 2, 9, 0, tzinfo=SYD),
            SYD,
            ("2024-12-01T00:00:00+11:00", "2024-12-01T23:59:59+11:00"),
            "2024-11-24T00:00:00+11:00",
            "2024-11-25T00:00:00+11:00",
        ),
        # the day clocks went back in Sydney is 25 hours long, and each end carries its own offset
        (
            datetime(2026, 4, 6, 9, 0, tzinfo=SYD),
            SYD,
            ("2026-04-05T00:00:00+11:00", "2026-04-05T23:59:59+10:00"),
            "2026-03-29T00:00:00+11:00",
            "2026-03-30T00:00:00+11:00",
        ),
        (
            datetime(2026, 3, 9, 0, 30, tzinfo=NYC),
            NYC,
            ("2026-03-08T00:00:00-05:00", "2026-03-08T23:59:59-04:00"),
            "2026-03-01T00:00:00-05:00",
            "2026-03-02T00:00:00-05:00",
        ),
    ],
)
def test_sla_windows(due, tz, yesterday, week_ago, spark_from):
    w = sla_windows(due, tz)
    assert (w.yesterday.date_from, w.yesterday.date_to) == yesterday
    assert w.week_ago.date_from == week_ago
    assert w.last_7d.date_from == spark_from and w.last_7d.date_to == yesterday[1]
    assert w.day_before.last_day == w.yesterday.first_day - timedelta(days=1)


def test_windows_depend_only_on_zone_and_local_day():
    """Same zone and day -> the same report bodies, however late the run (so the cache coalesces them)."""
    base = datetime(2024, 12, 2, 9, 0, tzinfo=SYD)
    for late in (timedelta(0), timedelta(minutes=59), timedelta(hours=10)):
        assert sla_windows(base + late, SYD) == sla_windows(base, SYD)
        assert nps_windows(base + late, SYD) == nps_windows(base, SYD)
    # a UTC scheduled time is read in the subscription's zone
    assert report_day(datetime(2024, 12, 1, 22, 0, tzinfo=timezone.utc), SYD).isoformat() == "2024-12-01"


def test_nps_windows():
    w = nps_windows(datetime(2024, 12, 2, 9, 0, tzinfo=SYD), SYD)
    assert (w.last_7d.first_day.isoformat(), w.last_7d.last_day.isoformat()) == ("2024-11-25", "2024-12-01")
    assert (w.prev_7d.first_day.isoformat(), w.prev_7d.last_day.isoformat()) == ("2024-11-18", "2024-11-24")
    assert len(w.trend.days()) == 14


def test_agents_ranked():
    assert [a.breaches for a in top_breaches(AGENTS)] == [9, 6, 1]
    assert [a.name for a in slowest(AGENTS)] == ["Tom O'Brien & Co", "Barry <!channel> Nguyen", "Jane Remington"]
    assert top_breaches([]) == [] and slowest([AGENTS[-1]]) == []  # an agent who answered nobody is not "slow"
