import dataclasses
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler

from bot.slack.messages.subscriptions import when_words
from bot.store.subscriptions import Subscription
from digests.schedule import JOB_PREFIX, configure, run_scheduled_digest, scheduled_time, sync_digest_jobs
from digests.triggers import fire_times, next_run
from tests.conftest import CHANNEL, wait_for

UTC = timezone.utc


def sub(at="09:00", tz="Australia/Sydney", cadence="daily", weekday=None) -> Subscription:
    return Subscription(1, "sla", None, "C1", cadence, weekday, at, tz)


# (zone, wall time, first local day, the DST change inside the window)
DST_CASES = [
    ("Australia/Sydney", "09:00", "2026-04-02"),  # clocks back Sun 5 Apr 03:00 -> 02:00
    ("Australia/Sydney", "02:30", "2026-04-02"),  # 02:30 happens twice on 5 Apr
    ("Australia/Sydney", "09:00", "2026-10-01"),  # clocks forward Sun 4 Oct 02:00 -> 03:00
    ("Australia/Sydney", "02:30", "2026-10-01"),  # 02:30 does not exist on 4 Oct
    ("America/New_York", "09:00", "2026-03-05"),  # clocks forward Sun 8 Mar
    ("America/New_York", "02:30", "2026-03-05"),  # 02:30 does not exist on 8 Mar
    ("America/New_York", "09:00", "2026-10-29"),  # clocks back Sun 1 Nov
    ("America/New_York", "01:30", "2026-10-29"),  # 01:30 happens twice on 1 Nov
]


@pytest.mark.parametrize("tz, at, first", DST_CASES)
def test_one_fire_per_local_day_across_dst(tz, at, first):
    zone = ZoneInfo(tz)
    start = datetime.fromisoformat(first).replace(tzinfo=zone)
    times = fire_times(sub(at, tz), start, start + timedelta(days=7))
    days = [t.astimezone(zone).date() for t in times]
    assert days == [start.date() + timedelta(days=i) for i in range(7)]  # no skip, no double
    hour, minute = map(int, at.split(":"))
    for t in times:
        local = t.astimezone(zone)
        wall = local.hour * 60 + local.minute
        # the wall time, or an hour later on the day it does not exist
        assert wall in (hour * 60 + minute, hour * 60 + minute + 60), local
        if wall != hour * 60 + minute:
            naive = datetime.combine(local.date(), datetime.min.time()).replace(hour=hour, minute=minute)
            assert naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive
    # fires are at least 23 hours apart (a 25-hour day at most)
    gaps = {round((b - a).total_seconds() / 3600) for a, b in zip(times, times[1:], strict=False)}
    assert gaps <= {23, 24, 25}


def test_a_process_started_between_the_two_0130s_does_not_fire_the_second():
    s = sub("01:30", "America/New_York")
    between = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # 01:00 EST, after 01:30 EDT (05:30 UTC)
    assert next_run(s, between) == datetime(2026, 11, 2, 1, 30, tzinfo=ZoneInfo("America/New_York"))


@pytest.mark.parametrize(
    "cadence, weekday, now, expected",
    [
        ("daily", None, datetime(2024, 12, 1, 21, 0, tzinfo=UTC), "Mon 2 Dec 09:00 AEDT"),
        ("daily", None, datetime(2024, 12, 1, 23, 0, tzinfo=UTC), "Tue 3 Dec 09:00 AEDT"),
        ("weekdays", None, datetime(2024, 12, 5, 23, 0, tzinfo=UTC), "Mon 9 Dec 09:00 AEDT"),  # Fri 10:00 local
        ("weekly", 2, datetime(2024, 12, 1, 21, 0, tzinfo=UTC), "Wed 4 Dec 09:00 AEDT"),
        ("daily", None, datetime(2026, 5, 31, 22, 0, tzinfo=UTC), "Mon 1 Jun 09:00 AEST"),
    ],
)
def test_next_run_in_words(cadence, weekday, now, expected):
    assert when_words(next_run(sub(cadence=cadence, weekday=weekday), now)) == expected


@pytest.mark.parametrize(
    "cadence, weekday, local_days",
    [
        ("weekdays", None, ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("weekly", 6, ["Sun"]),
    ],
)
def test_cadences(cadence, weekday, local_days):
    zone = ZoneInfo("Australia/Sydney")
    start = datetime(2026, 3, 30, tzinfo=zone)
    times = fire_times(sub(cadence=cadence, weekday=weekday), start, start + timedelta(days=7))
    assert [t.astimezone(zone).strftime("%a") for t in times] == local_days


def test_scheduled_time_is_the_latest_fire_within_the_lookback():
    s = sub("09:00", "Australia/Sydney")
    fire = datetime(2026, 4, 5, 9, 0, tzinfo=ZoneInfo("Australia/Sydney"))  # the day clocks went back
    assert scheduled_time(s, fire + timedelta(seconds=2), 3600) == fire
    assert scheduled_time(s, fire + timedelta(minutes=59), 3600) == fire
    assert scheduled_time(s, fire + timedelta(hours=2), 3600) is None


@pytest.mark.parametrize("tz, at, first", [c for c in DST_CASES if c[1] != "09:00"])
def test_jobs_run_at_each_fire_post_once_per_day_across_dst(world, slack, tz, at, first):
    """The scheduler's path (trigger -> run_scheduled_digest -> send_digest) across a change, clock travelling."""
    s = world.subscribe("nps", form_id=55, at_time=at, tz=tz)
    zone = ZoneInfo(tz)
    start = datetime.fromisoformat(first).replace(tzinfo=zone) + timedelta(days=2)
    deps = world.deps()
    times = fire_times(s, start, start + timedelta(days=3))
    for t in times:
        for jitter in (0.2, 1.5, 40):  # the scheduler firing, and a second process firing late
            world.clock.value = t.astimezone(UTC) + timedelta(seconds=jitter)
            run_scheduled_digest(deps, s.id)
    runs = world.store.digest_runs.runs_for(s.id)
    assert [r["status"] for r in runs] == ["posted"] * 3
    assert [r["scheduled_for"] for r in runs] == [t.astimezone(UTC).isoformat(timespec="seconds") for t in times]
    assert len(slack.app.messages(CHANNEL)) == 3


@pytest.mark.both_databases
def test_sync_adds_updates_and_removes_jobs(world):
    scheduler = BackgroundScheduler(timezone="UTC")
    deps = world.deps()
    a = world.subscribe("sla")
    b = world.subscribe("nps", form_id=55, at_time="08:15", tz="America/New_York", cadence="weekly", weekday=0)
    scheduler.start(paused=True)
    try:
        assert sync_digest_jobs(scheduler, deps) == {"added": 2, "removed": 0, "changed": 0}
        jobs = {j.id: j for j in scheduler.get_jobs() if j.id.startswith(JOB_PREFIX)}
        assert set(jobs) == {f"{JOB_PREFIX}{a.id}", f"{JOB_PREFIX}{b.id}"}
        assert str(jobs[f"{JOB_PREFIX}{b.id}"].trigger.timezone) == "America/New_York"
        assert jobs[f"{JOB_PREFIX}{a.id}"].misfire_grace_time == 3600 and jobs[f"{JOB_PREFIX}{a.id}"].coalesce
        assert sync_digest_jobs(scheduler, deps) == {"added": 0, "removed": 0, "changed": 0}
        # another process changes the database
        world.store.db["subscriptions"].update(a.id, {"at_time": "07:45"})
        world.store.db["subscriptions"].delete(b.id)
        c = world.subscribe("sla", "C0OTHER")
        world.store.db["subscriptions"].update(c.id, {"broken_reason": "not_in_channel"})
        assert sync_digest_jobs(scheduler, deps) == {"added": 0, "removed": 1, "changed": 1}
        [job] = [j for j in scheduler.get_jobs() if j.id.startswith(JOB_PREFIX)]
        assert job.next_run_time.astimezone(ZoneInfo("Australia/Sydney")).strftime("%H:%M") == "07:45"
    finally:
        scheduler.shutdown(wait=False)


def test_a_real_background_scheduler_fires_the_digest_once_at_the_dst_change(world, slack):
    """Travel to just before 01:30 on New York's fall-back day, run the real scheduler through both 01:30s."""
    s = world.subscribe("sla", at_time="01:30", tz="America/New_York")
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST, the repeat
    # the scheduler's clock: the travelling one
    deps = dataclasses.replace(world.deps(), now=lambda: datetime.now(UTC), sleep=time.sleep)
    with time_machine.travel(first - timedelta(seconds=1), tick=True) as traveller:
        scheduler = BackgroundScheduler(timezone="UTC")
        configure(scheduler, deps)
        scheduler.start()
        try:
            wait_for(lambda: scheduler.get_job(f"{JOB_PREFIX}{s.id}"), timeout=5)
            wait_for(lambda: [r for r in world.store.digest_runs.runs_for(s.id) if r["status"] == "posted"], timeout=10)
            traveller.move_to(second - timedelta(seconds=0.5))
            scheduler.wakeup()
            time.sleep(1.5)  # past the repeated 01:30: nothing may fire
            job = scheduler.get_job(f"{JOB_PREFIX}{s.id}")
            assert job.next_run_time == datetime(2026, 11, 2, 6, 30, tzinfo=UTC)
        finally:
            scheduler.shutdown(wait=True)
    runs = world.store.digest_runs.runs_for(s.id)
    assert [(r["scheduled_for"], r["status"]) for r in runs] == [("2026-11-01T05:30:00+00:00", "posted")]
    assert len(slack.app.messages(CHANNEL)) == 1


@pytest.mark.parametrize(
    "created_min_before_fire, down_min, posts",
    [
        (60 * 24, 1, True),  # the clock restarted a minute after 09:00: posted late, once
        (60 * 24, 50, True),
        (60 * 24, 70, False),  # past the grace
        (1, 1, True),  # subscribed just before 09:00, picked up by the sync job just after
        (-1, 1, False),  # subscribed after 09:00: today's run is not owed
    ],
)
def test_a_fire_missed_while_no_scheduler_held_the_job_is_posted_late_once(
    world, slack, created_min_before_fire, down_min, posts
):
    s = world.subscribe("sla", at_time="09:00", tz="Australia/Sydney")
    fire = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Australia/Sydney")).astimezone(UTC)
    created = fire - timedelta(minutes=created_min_before_fire)
    world.store.db["subscriptions"].update(s.id, {"created_at": created.isoformat(timespec="seconds")})
    world.clock.value = fire + timedelta(minutes=down_min)
    deps = world.deps()
    for restart in range(2):  # a second restart after the late post owes nothing more
        scheduler = BackgroundScheduler(timezone="UTC")
        scheduler.start(paused=True)
        try:
            sync_digest_jobs(scheduler, deps)
            late = [j for j in scheduler.get_jobs() if not j.id.startswith(JOB_PREFIX) and j.id != "digests.sync"]
            assert len(late) == (1 if posts and restart == 0 else 0)
            for job in late:
                job.func(*job.args)
        finally:
            scheduler.shutdown(wait=False)
    runs = world.store.digest_runs.runs_for(s.id)
    assert [(r["scheduled_for"], r["status"]) for r in runs] == ([(fire.isoformat(), "posted")] if posts else [])
    assert len(slack.app.messages(CHANNEL)) == (1 if posts else 0)


def test_a_subscription_paused_over_its_fire_and_resumed_is_not_posted_late(world, slack):
    s = world.subscribe("sla", at_time="09:00", tz="Australia/Sydney")
    fire = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Australia/Sydney")).astimezone(UTC)
    world.store.db["subscriptions"].update(s.id, {"created_at": (fire - timedelta(days=3)).isoformat()})
    deps = world.deps()
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        world.clock.value = fire - timedelta(hours=1)
        sync_digest_jobs(scheduler, deps)
        world.store.db["subscriptions"].update(s.id, {"paused": 1})
        world.clock.value = fire - timedelta(minutes=5)
        sync_digest_jobs(scheduler, deps)
        world.store.db["subscriptions"].update(s.id, {"paused": 0})
        world.clock.value = fire + timedelta(minutes=5)
        assert sync_digest_jobs(scheduler, deps)["added"] == 1
        assert [j.id for j in scheduler.get_jobs() if not j.id.startswith(JOB_PREFIX) and j.id != "digests.sync"] == []
    finally:
        scheduler.shutdown(wait=False)
