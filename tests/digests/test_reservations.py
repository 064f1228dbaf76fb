"""digests.reservations: what Lexer's budget holds for the digests due in the coming window."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import digests.triggers
from bot.lexer.budget import DIGEST
from digests.reservations import REQUESTS_PER_DIGEST, reservations
from digests.triggers import Schedule, fire_times, fires_between

UTC = timezone.utc
ZONES = ("Australia/Sydney", "America/New_York", "Europe/London", "Asia/Kolkata", "UTC", "Pacific/Chatham")


@settings(deadline=None)
@given(
    cadence=st.sampled_from(("daily", "weekdays", "weekly")),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    minute=st.sampled_from((0, 1, 29, 30, 59)),
    tz=st.sampled_from(ZONES),
    # 2026's DST changes in these zones (Mar, Apr, Sep, Oct, Nov) and the days around them
    start=st.datetimes(datetime(2026, 3, 1), datetime(2026, 11, 10)).map(lambda d: d.replace(tzinfo=UTC)),
    length_s=st.integers(0, 3 * 86400),
)
def test_fires_between_is_the_triggers_walk(cadence, weekday, hour, minute, tz, start, length_s):
    schedule = Schedule(cadence, weekday if cadence == "weekly" else None, f"{hour:02d}:{minute:02d}", tz)
    end = start + timedelta(seconds=length_s)
    assert fires_between(schedule, start, end) == fire_times(schedule, start, end)


@pytest.mark.both_databases
def test_the_budget_walks_each_schedule_once_not_each_subscription(fresh_store, monkeypatch):
    """500 digests at two times: the hold is computed from two schedules, and again from the cache (each
    subscription's own walk held a web process's interpreter lock for half a second at a burst's first ack)."""
    now = datetime(2026, 12, 2, 8, 58, tzinfo=UTC)
    for i in range(500):
        fresh_store.subscriptions.add(
            kind="nps" if i % 2 else "sla",
            form_id=55 if i % 2 else None,
            channel_id=f"C{i}",
            cadence="daily",
            at_time="09:00" if i % 4 < 2 else "09:02",
            tz="UTC",
            created_by="UADMIN",
        )
    built = []
    real = digests.triggers.digest_trigger
    monkeypatch.setattr(digests.triggers, "digest_trigger", lambda sub: built.append(sub) or real(sub))
    digests.triggers._fires_on.cache_clear()

    held = reservations(fresh_store, now.timestamp())
    # sla and nps due at 09:00 and 09:02 today: the cache answers identical queries, one digest of each kind
    assert held.held[DIGEST] == REQUESTS_PER_DIGEST["sla"] + REQUESTS_PER_DIGEST["nps"]
    assert len(built) <= 2 * 2  # two schedules, each over the UTC days the window spans
    first = len(built)
    reservations(fresh_store, now.timestamp() + 5)
    assert len(built) == first  # the same day: every fire time from the cache
    later = reservations(fresh_store, (now + timedelta(hours=1)).timestamp())
    assert later.held.get(DIGEST, 0) == 0
