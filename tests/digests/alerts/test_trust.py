"""Alerts a team lead trusts (pure tables): dispersion, a baseline that does not learn the spike, no flapping.

Each of these failed before: the tail was Poisson only, the baseline took in the samples
overlapping the window under test and counted today's same hour as a week of history, and a
count hovering near the threshold opened a new episode every few checks.
"""

import random
from datetime import datetime, timedelta, timezone
from math import comb
from zoneinfo import ZoneInfo

import pytest

from digests.alerts.detect import (
    Baseline,
    Observation,
    Sample,
    baseline_from_samples,
    detect,
    dispersion_from_samples,
    nbinom_sf,
    poisson_sf,
    weeks_back,
)
from digests.alerts.episode import COOLDOWN, step_episode

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
SYD = ZoneInfo("Australia/Sydney")
BASE = Baseline(breaches_per_hour=4.0, responded_per_hour=40.0, breach_fraction=0.1, source="trailing-7d")


def exact_nbinom_sf(k: int, r: int, p: float) -> float:
    return 1.0 - sum(comb(i + r - 1, i) * p**r * (1 - p) ** i for i in range(k))


@pytest.mark.parametrize(
    "k, mu, dispersion, expected",
    [
        (10, 4.0, 2.0, exact_nbinom_sf(10, 4, 0.5)),
        (3, 4.0, 2.0, exact_nbinom_sf(3, 4, 0.5)),
        (25, 6.0, 3.0, exact_nbinom_sf(25, 3, 1 / 3)),
        (12, 4.0, 1.0, poisson_sf(12, 4.0)),
        (0, 4.0, 2.0, 1.0),
    ],
)
def test_nbinom_sf(k, mu, dispersion, expected):
    assert nbinom_sf(k, mu, dispersion) == pytest.approx(expected, rel=1e-6)


def obs(broke, responded=45, minutes=60, end=NOW):
    return Observation(end, minutes, broke, responded, responded + 5)


@pytest.mark.parametrize(
    "dispersion, count, state",
    [
        (1.0, 12, "spike"),  # Poisson: 12 against 4 expected is p < 0.001
        (3.0, 12, "normal"),  # a bursty team sees 12 often enough
        (3.0, 25, "spike"),  # and a real spike is still one
    ],
)
def test_the_spread_of_the_teams_counts_sets_the_bar(dispersion, count, state):
    baseline = Baseline(4.0, 40.0, 0.1, "hour-of-week", dispersion=dispersion)
    assert detect(obs(count), baseline).state == state


def windows(days, count_at, minutes=60, step=timedelta(minutes=5), now=NOW):
    out, t = [], now - timedelta(days=days)
    while t < now:
        b = count_at(t)
        out.append(Sample(t, minutes, b, b * 10 + 20, b * 12 + 25))
        t += step
    return out


def test_dispersion_is_about_one_for_steady_counts_and_large_for_bursts():
    steady = windows(20, lambda t: 2 + (int(t.timestamp()) // 3600) % 3 - 1)  # 1, 2, 3: under-dispersed
    bursty = windows(20, lambda t: 8 if random.Random(t.replace(minute=0).isoformat()).random() < 0.25 else 0)
    assert dispersion_from_samples(steady, 60, SYD) == 1.0
    assert dispersion_from_samples(bursty, 60, SYD) > 4.0
    assert dispersion_from_samples(bursty[:100], 60, SYD) == 1.0  # too little history: Poisson


def test_a_rising_spike_does_not_teach_the_baseline():
    def rising(t):  # 2 an hour for weeks, then the last 55 minutes climb toward 40
        minutes_left = (NOW - t) / timedelta(minutes=1)
        return 2 if minutes_left > 55 else int(2 + (60 - minutes_left) * 0.7)

    b = baseline_from_samples(windows(15, rising), NOW, SYD, 60)
    assert b.breaches_per_hour == pytest.approx(2.0)
    assert detect(obs(30), b).state == "spike"


@pytest.mark.parametrize(
    "back, weeks",
    [
        (timedelta(days=7), 1),
        (timedelta(days=6, hours=23, minutes=5), 1),  # the same hour of week, late in it: last week, not this one
        (timedelta(days=14, minutes=55), 2),
        (timedelta(minutes=40), 0),
    ],
)
def test_weeks_back(back, weeks):
    assert weeks_back(NOW - back, NOW) == weeks


def test_todays_same_hour_is_not_a_week_of_history():
    now = NOW + timedelta(minutes=55)  # a 30-minute window: today's 10:05..10:25 do not overlap it
    today = now.replace(minute=0)

    def count(t):
        return 20 if today <= t < now else 2

    b = baseline_from_samples(windows(15, count, minutes=30, now=now), now, SYD, 30)
    assert b.source == "hour-of-week"
    assert b.breaches_per_hour < 4.5  # 2 per half hour; today's 20s are not a week of this hour


# ---------------------------------------------------------------- no flapping


def feed(counts, *, start=NOW, previous=None):
    """One verdict per 5-minute check against BASE; the actions per check (a resolved episode becomes `previous`)."""
    ep, log = None, []
    for i, c in enumerate(counts):
        now = start + timedelta(minutes=5 * i)
        step = step_episode(ep, detect(obs(c, end=now), BASE), now, channel_id="C1", previous=previous)
        ep = step.episode
        if "post_alert" in step.actions:
            ep = ep.__class__(**{**ep.__dict__, "message_ts": "1.1", "last_update_at": now})
        if ep is not None and ep.state == "resolved":
            previous, ep = ep, None
        log.append(step.actions)
    return log, previous


def test_a_count_hovering_near_the_threshold_posts_one_alert():
    log, _ = feed([13, 9, 9, 13, 9, 9, 13])  # 13 opens (p < 0.001); 9 would not open one, but is still elevated
    assert sum(a.count("post_alert") for a in log) == 1
    assert "resolve" not in sum(log, ())


def test_cooldown_after_a_resolution():
    log, previous = feed([14, 4, 4])
    assert log == [("post_alert",), (), ("resolve",)]
    soon = previous.resolved_at + timedelta(minutes=20)
    assert feed([15], start=soon, previous=previous)[0] == [()]  # not clearly larger than the peak of 14
    assert feed([21], start=soon, previous=previous)[0] == [("post_alert",)]  # 1.5 x the peak
    assert feed([15], start=previous.resolved_at + COOLDOWN, previous=previous)[0] == [("post_alert",)]
