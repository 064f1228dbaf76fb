"""digests.alerts.detect: the statistics, spike detection and the baseline (pure tables)."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from digests.alerts.detect import (
    Baseline,
    Observation,
    Sample,
    baseline_from_samples,
    baseline_from_summary,
    binom_sf,
    detect,
    hour_of_week,
    is_anomalous,
    poisson_sf,
    sample_from_row,
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
    assert baseline_from_samples(_history(13, lambda t: 2), NOW, SYD, 60) is None
    assert baseline_from_samples(_history(15, lambda t: 2), NOW, SYD, 60).breaches_per_hour == pytest.approx(2.0)


def test_baseline_weights_the_same_hour_of_week():
    # 9 pm Sydney (NOW) is busy every day: 10 breaches/h, otherwise 1
    samples = _history(21, lambda t: 10 if t.hour == NOW.astimezone(SYD).hour else 1)
    b = baseline_from_samples(samples, NOW, SYD, 60)
    assert b.source == "hour-of-week"
    overall = (10 + 23 * 1) / 24
    assert b.breaches_per_hour == pytest.approx(3 / 4 * 10 + 1 / 4 * overall, rel=1e-6)
    assert b.breach_fraction == pytest.approx(0.1)


def test_baseline_leaves_out_failed_and_anomalous_samples():
    samples = _history(15, lambda t: 2)
    samples.append(Sample(NOW - timedelta(days=7), 60, None, None))
    samples.append(Sample(NOW - timedelta(days=7, minutes=5), 60, 500, 510, anomalous=True))
    assert baseline_from_samples(samples, NOW, SYD, 60).breaches_per_hour == pytest.approx(2.0)


@pytest.mark.parametrize(
    "t, tz, expected",
    [
        (NOW, SYD, 3 * 24 + 21),  # Thursday 21:00 in Sydney
        (NOW, ZoneInfo("UTC"), 3 * 24 + 10),
        (datetime(2026, 11, 22, 23, 30, tzinfo=UTC), SYD, 0 * 24 + 10),  # Sunday night UTC is Monday in Sydney
    ],
)
def test_hour_of_week(t, tz, expected):
    assert hour_of_week(t, tz) == expected


@pytest.mark.parametrize(
    "observation, baseline, anomalous",
    [
        (obs(20, 45), BASE, True),
        (obs(9, 45), BASE, False),
        (obs(20, 45), None, False),
        (obs(4, 4), QUIET, False),  # under the default min count
    ],
)
def test_is_anomalous(observation, baseline, anomalous):
    assert is_anomalous(observation, baseline) is anomalous


@pytest.mark.parametrize(
    "row, sample",
    [
        (
            {
                "window_end": "2026-11-26T10:00:00+00:00",
                "window_minutes": 60,
                "broke_sla": 3,
                "responded": 30,
                "volume": 40,
                "anomalous": 1,
            },
            Sample(NOW, 60, 3, 30, 40, True),
        ),
        (
            {
                "window_end": "2026-11-26T10:00:00+00:00",
                "window_minutes": 120,
                "broke_sla": None,
                "responded": None,
                "volume": None,
            },
            Sample(NOW, 120, None, None, None, False),
        ),
    ],
)
def test_sample_from_row(row, sample):
    assert sample_from_row(row) == sample
    assert sample.usable is False
