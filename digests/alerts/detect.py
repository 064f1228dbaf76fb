"""SLA-spike detection (pure): the statistics, one window judged against the baseline, and the baseline itself.

Detection: the breaches (`broke_sla`) in the recent window are compared with
the team's baseline rate of breaches per hour. A spike is a count of at least
`min_count` whose Poisson upper-tail probability under the baseline is below
the sensitivity's threshold. The breach *fraction* (broke_sla /
total_responded_to) is then tested against the baseline fraction (binomial
upper tail) to tell a service failure (more of the replies break SLA) from a
volume surge (more messages, same share breaking SLA).

Breach counts are burstier than Poisson (one slow hour late-answers several
messages at once), so the tail is a negative binomial with the baseline's mean
and a variance of `dispersion` x mean (quasi-Poisson), the dispersion estimated
from the team's own history of non-overlapping windows; 1 is plain Poisson.

An open episode stays open while the count is still `elevated`: a lower bar
(CLOSE_P) than the one that opened it, so a count near the threshold does not flap.

Baseline: samples the checks collect themselves (one per 5-minute slot), weighted
to the same hour of week once there are two weeks of history; before that, a
trailing 7-day `summary` fetched once a day and cached in SQLite.

The alert settings' defaults live here, for both processes: `/lexer alerts on`
stores them, and the checks and Home read an empty setting as them. Their
bounds are the grammar's (bot.slack.parsing.values).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SENSITIVITY_P = {"low": 1e-4, "normal": 1e-3, "high": 1e-2}
DEFAULT_WINDOW_MINUTES = 120  # longer than a typical SLA: a message only counts as a breach once answered late
DEFAULT_MIN_COUNT = 5
DEFAULT_SENSITIVITY = "normal"
# A team with no breaches in its history would make any breach infinitely
# surprising; half a breach per window keeps the test meaningful (min_count
# still guards against small-number noise).
MIN_EXPECTED_PER_WINDOW = 0.5
# How sure we must be that the breach *fraction* rose to call it a service failure.
FRACTION_P = 0.01
# The bar an open episode must fall under to count as a good check: far easier to meet than the one to open.
CLOSE_P = 0.05
# Dispersion estimated from history is bounded: at least Poisson, and never so wide that nothing is a spike.
MAX_DISPERSION = 10.0
MIN_DISPERSION_WINDOWS = 30  # non-overlapping historical windows needed before the estimate replaces Poisson
HOW_HISTORY = timedelta(days=14)  # history needed before hour-of-week weighting
# Samples whose window spiked by this (channel-independent) rule are left out of the baseline.
ANOMALY_P = SENSITIVITY_P["normal"]


# ---------------------------------------------------------------- statistics


def poisson_sf(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu), summed in log space so tiny tails do not underflow early."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    if k <= mu:  # the lower part is the short sum here
        term = math.exp(-mu)
        total = term
        for i in range(1, k):
            term *= mu / i
            total += term
        return max(0.0, min(1.0, 1.0 - total))
    log_term = -mu + k * math.log(mu) - math.lgamma(k + 1)
    term = math.exp(log_term)
    total, i = term, k
    while term > total * 1e-16 and i < k + 10000:
        i += 1
        term *= mu / i
        total += term
    return min(1.0, total)


def nbinom_sf(k: int, mu: float, dispersion: float) -> float:
    """P(X >= k) for a negative binomial with mean mu and variance dispersion * mu (Poisson when dispersion <= 1)."""
    if dispersion <= 1.0 + 1e-9:
        return poisson_sf(k, mu)
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    r = mu / (dispersion - 1.0)  # size; success probability p = 1 / dispersion
    lp, lq = -math.log(dispersion), math.log1p(-1.0 / dispersion)

    def log_pmf(i: int) -> float:
        return math.lgamma(i + r) - math.lgamma(r) - math.lgamma(i + 1) + r * lp + i * lq

    if k <= mu:  # the lower part is the short sum here
        return max(0.0, min(1.0, 1.0 - sum(math.exp(log_pmf(i)) for i in range(k))))
    total, i = 0.0, k
    while i < k + 100000:
        term = math.exp(log_pmf(i))
        total += term
        if term < total * 1e-16:
            break
        i += 1
    return min(1.0, total)


def binom_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    lp, lq = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k, n + 1):
        log_term = math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq
        term = math.exp(log_term)
        total += term
        if i > n * p and term < total * 1e-16:
            break
    return min(1.0, total)


# ---------------------------------------------------------------- detection


@dataclass(frozen=True)
class Observation:
    """The `summary` numbers for one window ending at `window_end` (UTC)."""

    window_end: datetime
    window_minutes: int
    broke_sla: int
    responded: int
    volume: int

    @property
    def breach_fraction(self) -> float | None:
        return self.broke_sla / self.responded if self.responded else None


@dataclass(frozen=True)
class Baseline:
    """Expected rates per hour, and where they came from."""

    breaches_per_hour: float
    responded_per_hour: float
    breach_fraction: float | None
    source: str  # "hour-of-week" | "trailing-7d" | "samples"
    hours: float = 0.0  # how much history stands behind it
    dispersion: float = 1.0  # variance / mean of a window's breach count, from history (1 = Poisson)


@dataclass(frozen=True)
class Verdict:
    """One window judged: state is spike | normal | unknown (missing data)."""

    state: str
    count: int = 0
    expected: float = 0.0
    p_value: float = 1.0
    cause: str | None = None  # "service" | "volume" when state == "spike"
    breach_fraction: float | None = None
    expected_fraction: float | None = None
    responded: int = 0
    expected_responded: float = 0.0
    window_minutes: int = DEFAULT_WINDOW_MINUTES
    window_end: datetime | None = None
    elevated: bool = False  # above the lower bar that keeps an open episode firing

    @property
    def known(self) -> bool:
        return self.state != "unknown"


UNKNOWN = Verdict("unknown")


def expected_in_window(baseline: Baseline, window_minutes: int) -> float:
    return max(baseline.breaches_per_hour * window_minutes / 60.0, MIN_EXPECTED_PER_WINDOW)


def detect(
    obs: Observation | None,
    baseline: Baseline | None,
    *,
    min_count: int = DEFAULT_MIN_COUNT,
    sensitivity: str = DEFAULT_SENSITIVITY,
) -> Verdict:
    """Judge one window against the baseline; no data (or no baseline) is 'unknown', never a spike or recovery."""
    if obs is None or baseline is None:
        return UNKNOWN
    expected = expected_in_window(baseline, obs.window_minutes)
    p = nbinom_sf(obs.broke_sla, expected, baseline.dispersion)
    spike = obs.broke_sla >= min_count and p < SENSITIVITY_P.get(sensitivity, SENSITIVITY_P[DEFAULT_SENSITIVITY])
    elevated = obs.broke_sla >= max(1, math.ceil(min_count / 2)) and p < CLOSE_P
    fraction = obs.breach_fraction
    cause = None
    if spike:
        cause = "service"
        if fraction is not None and baseline.breach_fraction is not None and obs.responded:
            # a steady share of breaches on a surge of replies is a volume surge, not a service failure
            if binom_sf(obs.broke_sla, obs.responded, baseline.breach_fraction) >= FRACTION_P:
                cause = "volume"
    return Verdict(
        "spike" if spike else "normal",
        obs.broke_sla,
        expected,
        p,
        cause,
        fraction,
        baseline.breach_fraction,
        obs.responded,
        baseline.responded_per_hour * obs.window_minutes / 60.0,
        obs.window_minutes,
        obs.window_end,
        spike or elevated,
    )


# ---------------------------------------------------------------- baseline


@dataclass(frozen=True)
class Sample:
    """A stored check: the window's numbers (None when the API failed)."""

    window_end: datetime
    window_minutes: int
    broke_sla: int | None
    responded: int | None
    volume: int | None = None
    anomalous: bool = False

    @property
    def usable(self) -> bool:
        return self.broke_sla is not None and self.responded is not None and not self.anomalous


def sample_from_row(row: dict) -> Sample:
    """A stored `alert_samples` row as a Sample."""
    return Sample(
        datetime.fromisoformat(row["window_end"]),
        row["window_minutes"],
        row["broke_sla"],
        row["responded"],
        row["volume"],
        bool(row.get("anomalous")),
    )


def _rates(samples: Sequence[Sample]) -> tuple[float, float, float | None]:
    """Mean breaches/hour, responded/hour, and pooled breach fraction of overlapping window samples."""
    hours = sum(s.window_minutes for s in samples) / 60.0
    broke = sum(s.broke_sla or 0 for s in samples)
    responded = sum(s.responded or 0 for s in samples)
    return broke / hours, responded / hours, (broke / responded if responded else None)


def hour_of_week(t: datetime, tz: ZoneInfo) -> int:
    local = t.astimezone(tz)
    return local.weekday() * 24 + local.hour


def weeks_back(t: datetime, now: datetime) -> int:
    """How many weeks before `now` a sample of the same hour of week lies (rounded: 6 d 23 h back is one week)."""
    return round((now - t) / timedelta(days=7))


def dispersion_from_samples(samples: Sequence[Sample], window_minutes: int, tz: ZoneInfo) -> float:
    """Pearson dispersion (quasi-Poisson) of non-overlapping windows' breach counts around each local hour's mean.

    Overlapping 5-minute samples share breaches, so only windows ending on a multiple
    of the window length count. Mean differences the hour of day does not explain
    are left in the estimate, which errs toward fewer alarms.
    """
    step = window_minutes * 60
    windows = [s for s in samples if s.window_minutes == window_minutes and int(s.window_end.timestamp()) % step == 0]
    if len(windows) < MIN_DISPERSION_WINDOWS:
        return 1.0
    by_hour: dict[int, list[int]] = {}
    for s in windows:
        by_hour.setdefault(s.window_end.astimezone(tz).hour, []).append(s.broke_sla or 0)
    chi2 = 0.0
    for counts in by_hour.values():
        mean = max(sum(counts) / len(counts), MIN_EXPECTED_PER_WINDOW)
        chi2 += sum((c - mean) ** 2 / mean for c in counts)
    dof = len(windows) - len(by_hour)
    return 1.0 if dof <= 0 else max(1.0, min(MAX_DISPERSION, chi2 / dof))


def baseline_from_samples(
    samples: Sequence[Sample], now: datetime, tz: ZoneInfo, window_minutes: int = DEFAULT_WINDOW_MINUTES
) -> Baseline | None:
    """Hour-of-week baseline from collected samples, or None while history is under two weeks.

    Samples whose window overlaps the one under test ([now - window, now]) are left
    out: a rising spike must not teach the baseline while it is being judged.
    Shrinks the same-hour-of-week rate toward the last week's overall rate,
    weighting it by how many weeks stand behind it (W/(W+1)): with two weeks of
    history the hour of week counts twice as much as the week as a whole.
    """
    test_start = now - timedelta(minutes=window_minutes)
    usable = [s for s in samples if s.usable and s.window_end <= test_start]
    if not usable or now - min(s.window_end for s in usable) < HOW_HISTORY:
        return None
    dispersion = dispersion_from_samples(usable, window_minutes, tz)
    target = hour_of_week(now, tz)
    same = [s for s in usable if hour_of_week(s.window_end, tz) == target and weeks_back(s.window_end, now) >= 1]
    recent = [s for s in usable if s.window_end >= now - timedelta(days=7)] or usable
    all_b, all_r, all_f = _rates(recent)
    weeks = len({weeks_back(s.window_end, now) for s in same})
    if weeks == 0:
        return Baseline(all_b, all_r, all_f, "samples", sum(s.window_minutes for s in recent) / 60.0, dispersion)
    how_b, how_r, how_f = _rates(same)
    w = weeks / (weeks + 1.0)
    fraction = how_f if all_f is None else all_f if how_f is None else w * how_f + (1 - w) * all_f
    return Baseline(
        w * how_b + (1 - w) * all_b,
        w * how_r + (1 - w) * all_r,
        fraction,
        "hour-of-week",
        sum(s.window_minutes for s in same) / 60.0,
        dispersion,
    )


def baseline_from_summary(broke_sla: int, responded: int, hours: float) -> Baseline:
    """Trailing-window baseline from one long `summary` call."""
    hours = max(hours, 1.0)
    return Baseline(
        broke_sla / hours, responded / hours, (broke_sla / responded if responded else None), "trailing-7d", hours
    )


def is_anomalous(obs: Observation, baseline: Baseline | None) -> bool:
    """Channel-independent rule for leaving a sample out of future baselines."""
    if baseline is None:
        return False
    v = detect(obs, baseline, min_count=DEFAULT_MIN_COUNT, sensitivity="normal")
    return v.state == "spike" and v.p_value < ANOMALY_P
