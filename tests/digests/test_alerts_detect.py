"""Spike detection, baseline and the episode state machine: pure tables."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from digests.alerts import (
    UNKNOWN,
    Baseline,
    Episode,
    Observation,
    Sample,
    baseline_from_samples,
    baseline_from_summary,
    binom_sf,
    detect,
    poisson_sf,
    step_episode,
)

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
SYD = ZoneInfo("Australia/Sydney")


@pytest.mark.parametrize(
    "k, mu, expected",
    [
        (0, 3.0, 1.0),
        (1, 0.0, 0.0),
        (1, 2.0, 1 - 0.1353352832366127),
        (12, 5.0, 0.005453),
        (5, 0.5, 0.0001721),
        (3, 10.0, 0.997231),
        (60, 4.0, 1.6e-47),
    ],
)
def test_poisson_sf(k, mu, expected):
    assert poisson_sf(k, mu) == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize(
    "k, n, p, expected",
    [
        (0, 10, 0.5, 1.0),
        (11, 10, 0.5, 0.0),
        (8, 10, 0.5, 0.0546875),
        (20, 200, 0.1, 0.5398),
        (20, 45, 0.1, 2.6177e-9),
    ],
)
def test_binom_sf(k, n, p, expected):
    assert binom_sf(k, n, p) == pytest.approx(expected, rel=2e-2)


BASE = Baseline(breaches_per_hour=4.0, responded_per_hour=40.0, breach_fraction=0.1, source="trailing-7d")
QUIET = Baseline(breaches_per_hour=0.1, responded_per_hour=5.0, breach_fraction=0.02, source="trailing-7d")
EMPTY = Baseline(breaches_per_hour=0.0, responded_per_hour=0.0, breach_fraction=None, source="trailing-7d")


def obs(broke, responded, minutes=60):
    return Observation(NOW, minutes, broke, responded, responded + 5)


@pytest.mark.parametrize(
    "name, observation, baseline, min_count, sensitivity, state, cause",
    [
        ("steady", obs(5, 50), BASE, 5, "normal", "normal", None),
        ("steady at the edge", obs(9, 45), BASE, 5, "normal", "normal", None),
        ("service failure", obs(20, 45), BASE, 5, "normal", "spike", "service"),
        ("volume surge, steady breach rate", obs(20, 200), BASE, 5, "normal", "spike", "volume"),
        ("breaches but nothing answered", obs(20, 0), BASE, 5, "normal", "spike", "service"),
        ("low-volume noise under min", obs(3, 6), QUIET, 5, "normal", "normal", None),
        ("min reached on a quiet team", obs(5, 8), QUIET, 5, "normal", "spike", "service"),
        ("min raised", obs(20, 45), BASE, 25, "normal", "normal", None),
        ("no history at all", obs(5, 10), EMPTY, 5, "normal", "spike", "service"),
        (
            "sensitivity high catches a moderate rise",
            obs(12, 50),
            Baseline(5.0, 50.0, 0.1, "x"),
            5,
            "high",
            "spike",
            "service",
        ),
        ("normal does not", obs(12, 50), Baseline(5.0, 50.0, 0.1, "x"), 5, "normal", "normal", None),
        ("low does not", obs(12, 50), Baseline(5.0, 50.0, 0.1, "x"), 5, "low", "normal", None),
        ("half-hour window halves expected", obs(9, 30, minutes=30), BASE, 5, "normal", "spike", "service"),
        ("missing data", None, BASE, 5, "normal", "unknown", None),
        ("missing baseline", obs(50, 60), None, 5, "normal", "unknown", None),
    ],
)
def test_detect(name, observation, baseline, min_count, sensitivity, state, cause):
    v = detect(observation, baseline, min_count=min_count, sensitivity=sensitivity)
    assert (v.state, v.cause) == (state, cause), (name, v)


def test_detect_reports_expected_and_fraction():
    v = detect(obs(20, 45), BASE)
    assert v.expected == pytest.approx(4.0)
    assert v.breach_fraction == pytest.approx(20 / 45)
    assert v.expected_fraction == pytest.approx(0.1)
    assert v.expected_responded == pytest.approx(40.0)
    assert v.p_value < 1e-6


def test_baseline_from_summary():
    b = baseline_from_summary(168, 1680, 168.0)
    assert (b.breaches_per_hour, b.responded_per_hour, b.breach_fraction, b.source) == (1.0, 10.0, 0.1, "trailing-7d")


def _history(days, rate_at, now=NOW, minutes=60):
    """One sample every hour back `days` days; rate_at(local datetime) -> breaches."""
    out = []
    t = now - timedelta(days=days)
    while t < now:
        b = rate_at(t.astimezone(SYD))
        out.append(Sample(t, minutes, b, b * 10, b * 12))
        t += timedelta(hours=1)
    return out


def test_baseline_needs_two_weeks_of_history():
    assert baseline_from_samples(_history(13, lambda t: 2), NOW, SYD) is None
    assert baseline_from_samples(_history(15, lambda t: 2), NOW, SYD).breaches_per_hour == pytest.approx(2.0)


def test_baseline_weights_the_same_hour_of_week():
    # 9 pm Sydney (NOW) is busy every day: 10 breaches/h, otherwise 1
    samples = _history(21, lambda t: 10 if t.hour == NOW.astimezone(SYD).hour else 1)
    b = baseline_from_samples(samples, NOW, SYD)
    assert b.source == "hour-of-week"
    overall = (10 + 23 * 1) / 24
    assert b.breaches_per_hour == pytest.approx(3 / 4 * 10 + 1 / 4 * overall, rel=1e-6)
    assert b.breach_fraction == pytest.approx(0.1)


def test_baseline_leaves_out_failed_and_anomalous_samples():
    samples = _history(15, lambda t: 2)
    samples.append(Sample(NOW - timedelta(days=7), 60, None, None))
    samples.append(Sample(NOW - timedelta(days=7, minutes=5), 60, 500, 510, anomalous=True))
    assert baseline_from_samples(samples, NOW, SYD).breaches_per_hour == pytest.approx(2.0)


# ---------------------------------------------------------------- episodes

SPIKE = detect(obs(20, 45), BASE)
OK = detect(obs(4, 45), BASE)


def run(verdicts, *, snoozed_at=(), start=NOW, posted_ts="111.1"):
    """Feed one verdict per 5-minute check; return the actions per check and the final episode."""
    ep, log = None, []
    for i, v in enumerate(verdicts):
        now = start + timedelta(minutes=5 * i)
        s = step_episode(ep, v, now, channel_id="C1", snoozed=i in snoozed_at)
        ep = s.episode
        if "post_alert" in s.actions:
            ep = Episode(**{**ep.__dict__, "message_ts": posted_ts, "last_update_at": now})
        if "post_update" in s.actions:
            ep = Episode(**{**ep.__dict__, "last_update_at": now})
        log.append(s.actions)
        if ep is not None and ep.state == "resolved":
            ep = None if i < len(verdicts) - 1 else ep
    return log, ep


def test_episode_fires_once_updates_every_30_minutes_and_resolves_after_two_ok_checks():
    log, ep = run([OK, SPIKE] + [SPIKE] * 7 + [OK, OK])
    assert log[0] == ()
    assert log[1] == ("post_alert",)
    assert [i for i, a in enumerate(log) if a == ("post_update",)] == [7]  # 30 minutes after the alert
    assert log[9] == ()  # one ok check is not a recovery
    assert log[10] == ("resolve",)
    assert ep.state == "resolved"


def test_missing_data_is_neither_spike_nor_recovery():
    log, ep = run([UNKNOWN, SPIKE, UNKNOWN, OK, UNKNOWN, UNKNOWN, SPIKE, OK, UNKNOWN, OK])
    assert log[0] == () and log[1] == ("post_alert",)
    assert all(a == () for a in log[2:9])
    assert log[9] == ("resolve",)


def test_a_spike_between_ok_checks_resets_the_streak():
    log, _ = run([SPIKE, OK, SPIKE, OK, OK])
    assert log == [("post_alert",), (), (), (), ("resolve",)]


def test_snooze_tracks_the_episode_without_posting_and_posts_when_it_ends_mid_episode():
    log, ep = run([SPIKE, SPIKE, SPIKE, OK, OK], snoozed_at={0, 1})
    assert log[:2] == [(), ()]
    assert log[2] == ("post_alert",)
    assert log[4] == ("resolve",)


def test_episode_born_and_over_within_a_snooze_posts_nothing():
    log, ep = run([SPIKE, SPIKE, OK, OK], snoozed_at={0, 1, 2, 3})
    assert log == [(), (), (), ()]
    assert ep.state == "resolved"
