"""SLA-breach spike alerts: detection (pure), the episode state machine (pure), and the check runner.

Detection: the breaches (`broke_sla`) in the recent window are compared with
the team's baseline rate of breaches per hour. A spike is a count of at least
`min_count` whose Poisson upper-tail probability under the baseline is below
the sensitivity's threshold. The breach *fraction* (broke_sla /
total_responded_to) is then tested against the baseline fraction (binomial
upper tail) to tell a service failure (more of the replies break SLA) from a
volume surge (more messages, same share breaking SLA).

Baseline: samples the checks collect themselves (one per 5-minute slot), weighted
to the same hour of week once there are two weeks of history; before that, a
trailing 7-day `summary` fetched once a day and cached in SQLite.

API budget per hour (the test measures it): a check every 5 minutes makes one
`summary` call per distinct window configured (12/h for the usual single
window), plus one 7-day `summary` a day while history is under two weeks
(1/24 per hour), plus two calls (`user_summary`, `classifications`) once per
episode when it first fires. Nothing is called when no channel has alerts on.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from bot.isotime import parse_iso, to_iso
from bot.slack.actions import alert_button_value
from bot.slack.messages.alerts import TOP_N, alert_message, resolution_text, update_text

logger = logging.getLogger(__name__)

CHECK_EVERY = timedelta(minutes=5)
CHECKS_PER_HOUR = 12
# Budget stated as numbers so a test can hold the runner to them.
REQUESTS_PER_CHECK_PER_WINDOW = 1
BASELINE_REQUESTS_PER_DAY = 1
REQUESTS_PER_EPISODE = 2  # user_summary + classifications, once, when it first fires

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
UPDATE_EVERY = timedelta(minutes=30)
RESOLVE_AFTER_OK_CHECKS = 2
HOW_HISTORY = timedelta(days=14)  # history needed before hour-of-week weighting
SAMPLE_RETENTION = timedelta(days=63)  # nine weeks of hour-of-week history is plenty
# Samples whose window spiked by this (channel-independent) rule are left out of the baseline.
ANOMALY_P = SENSITIVITY_P["normal"]

UTC = timezone.utc


# ---------------------------------------------------------------- statistics (pure)


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


# ---------------------------------------------------------------- detection (pure)


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
    p = poisson_sf(obs.broke_sla, expected)
    spike = obs.broke_sla >= min_count and p < SENSITIVITY_P.get(sensitivity, SENSITIVITY_P[DEFAULT_SENSITIVITY])
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
    )


# ---------------------------------------------------------------- baseline (pure)


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


def _rates(samples: Sequence[Sample]) -> tuple[float, float, float | None]:
    """Mean breaches/hour, responded/hour, and pooled breach fraction of overlapping window samples."""
    hours = sum(s.window_minutes for s in samples) / 60.0
    broke = sum(s.broke_sla or 0 for s in samples)
    responded = sum(s.responded or 0 for s in samples)
    return broke / hours, responded / hours, (broke / responded if responded else None)


def hour_of_week(t: datetime, tz: ZoneInfo) -> int:
    local = t.astimezone(tz)
    return local.weekday() * 24 + local.hour


def baseline_from_samples(samples: Sequence[Sample], now: datetime, tz: ZoneInfo) -> Baseline | None:
    """Hour-of-week baseline from collected samples, or None while history is under two weeks.

    Shrinks the same-hour-of-week rate toward the last week's overall rate,
    weighting it by how many weeks stand behind it (W/(W+1)): with two weeks of
    history the hour of week counts twice as much as the week as a whole.
    """
    usable = [s for s in samples if s.usable and s.window_end < now]
    if not usable or now - min(s.window_end for s in usable) < HOW_HISTORY:
        return None
    target = hour_of_week(now, tz)
    same = [s for s in usable if hour_of_week(s.window_end, tz) == target]
    recent = [s for s in usable if s.window_end >= now - timedelta(days=7)] or usable
    all_b, all_r, all_f = _rates(recent)
    weeks = len({(now - s.window_end).days // 7 for s in same})
    if weeks == 0:
        return Baseline(all_b, all_r, all_f, "samples", sum(s.window_minutes for s in recent) / 60.0)
    how_b, how_r, how_f = _rates(same)
    w = weeks / (weeks + 1.0)
    fraction = how_f if all_f is None else all_f if how_f is None else w * how_f + (1 - w) * all_f
    return Baseline(
        w * how_b + (1 - w) * all_b,
        w * how_r + (1 - w) * all_r,
        fraction,
        "hour-of-week",
        sum(s.window_minutes for s in same) / 60.0,
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


# ---------------------------------------------------------------- episodes (pure)


@dataclass(frozen=True)
class Episode:
    """One spike in one channel, from the first spiking check to recovery."""

    channel_id: str
    state: str  # "firing" | "resolved"
    started_at: datetime
    id: int | None = None
    resolved_at: datetime | None = None
    message_ts: str | None = None
    last_update_at: datetime | None = None
    last_count: int = 0
    expected: float = 0.0
    ok_streak: int = 0
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """The episode after one check, and what to post: post_alert | post_update | resolve."""

    episode: Episode | None
    actions: tuple[str, ...] = ()


def _detail(verdict: Verdict, previous: dict | None = None) -> dict:
    d = dict(previous or {})
    d.update(
        {
            "cause": verdict.cause or d.get("cause"),
            "breach_fraction": verdict.breach_fraction,
            "expected_fraction": verdict.expected_fraction,
            "responded": verdict.responded,
            "expected_responded": round(verdict.expected_responded, 2),
            "p_value": verdict.p_value,
            "window_minutes": verdict.window_minutes,
            "window_end": verdict.window_end.isoformat() if verdict.window_end else None,
        }
    )
    d.setdefault("peak", verdict.count)
    d["peak"] = max(d["peak"], verdict.count)
    return d


def step_episode(
    current: Episode | None, verdict: Verdict, now: datetime, *, channel_id: str, snoozed: bool = False
) -> Step:
    """Advance a channel's episode by one check (pure). Snooze holds back new posts, never the tracking."""
    if not verdict.known:
        return Step(current)  # missing data: neither a spike nor a recovery
    firing = current if current is not None and current.state == "firing" else None
    if firing is None:
        if verdict.state != "spike":
            return Step(None)
        episode = Episode(
            channel_id, "firing", now, last_count=verdict.count, expected=verdict.expected, detail=_detail(verdict)
        )
        return Step(episode, () if snoozed else ("post_alert",))
    if verdict.state == "spike":
        episode = replace(
            firing,
            ok_streak=0,
            last_count=verdict.count,
            expected=verdict.expected,
            detail=_detail(verdict, firing.detail),
        )
        if snoozed:
            return Step(episode)
        if firing.message_ts is None:
            return Step(episode, ("post_alert",))  # it began during a snooze that is now over
        if firing.last_update_at is None or now - firing.last_update_at >= UPDATE_EVERY:
            return Step(episode, ("post_update",))
        return Step(episode)
    streak = firing.ok_streak + 1
    if streak < RESOLVE_AFTER_OK_CHECKS:
        return Step(replace(firing, ok_streak=streak, last_count=verdict.count))
    episode = replace(firing, state="resolved", resolved_at=now, ok_streak=streak, last_count=verdict.count)
    return Step(episode, ("resolve",) if firing.message_ts else ())


# ---------------------------------------------------------------- what an alert message shows (pure)

POSTED_KEYS = (
    "cause",
    "breach_fraction",
    "expected_fraction",
    "responded",
    "expected_responded",
    "p_value",
    "window_end",
    "window_minutes",
    "baseline_source",
)


def contributors_detail(agents: Sequence[Any] | None, classifications: Sequence[Any] | None) -> dict:
    """Top agents by breaches and classifications by volume, as plain lists for the episode detail (pure)."""
    out: dict = {}
    if agents:
        top = sorted((a for a in agents if a.broke_sla > 0), key=lambda a: (-a.broke_sla, a.name.casefold()))
        out["agents"] = [[a.name, a.broke_sla] for a in top[:TOP_N]]
    if classifications:
        totals: dict[str, int] = {}
        for c in classifications:
            totals[c.classification] = totals.get(c.classification, 0) + c.volume
        top_c = sorted((kv for kv in totals.items() if kv[1] > 0), key=lambda kv: (-kv[1], kv[0].casefold()))
        out["classifications"] = [[name, n] for name, n in top_c[:TOP_N]]
    return out


# ---------------------------------------------------------------- the check runner (API, database, Slack)


def check_slot(now: datetime) -> datetime:
    """The 5-minute slot a check at `now` belongs to (UTC)."""
    t = now.astimezone(UTC).replace(second=0, microsecond=0)
    return t - timedelta(minutes=t.minute % 5)


@dataclass
class CheckReport:
    """What one pass did: per window 'ok'|'missing'|'skipped', per channel (verdict, actions)."""

    slot: datetime | None
    windows: dict[int, str] = field(default_factory=dict)
    channels: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        if self.slot is None:
            return ["No channel has alerts on; nothing to check."]
        out = [f"check at {self.slot.isoformat(timespec='minutes')}"]
        out += [
            f"window {m} min: {s}" + (" (this slot was already checked)" if s == "skipped" else "")
            for m, s in sorted(self.windows.items())
        ]
        out += [f"{c}: {v}" + (f" -> {', '.join(a)}" if a else "") for c, (v, a) in sorted(self.channels.items())]
        return out


def _sample_of(row: dict) -> Sample:
    return Sample(
        datetime.fromisoformat(row["window_end"]),
        row["window_minutes"],
        row["broke_sla"],
        row["responded"],
        row["volume"],
        bool(row.get("anomalous")),
    )


BASELINE_RETRY = timedelta(hours=1)


def trailing_baseline(api, alerts, now: datetime, tz: ZoneInfo) -> Baseline | None:
    """The trailing 7 whole days from one `summary` call, cached in SQLite for the day."""
    from bot.errors import LexerApiError
    from bot.timeframe import parse_range

    tf = parse_range("last-7d", tz, now)
    key = f"7d:{tf.date_from}:{tf.date_to}"
    row = alerts.baseline(key)
    fresh = row is not None and (
        row["broke_sla"] is not None or now - datetime.fromisoformat(row["fetched_at"]) < BASELINE_RETRY
    )
    if not fresh:
        row = {
            "key": key,
            "date_from": tf.date_from,
            "date_to": tf.date_to,
            "hours": tf.span.total_seconds() / 3600.0,
            "fetched_at": to_iso(now),
            "broke_sla": None,
            "responded": None,
            "volume": None,
        }
        try:
            s = api.summary(tf)
            row.update(broke_sla=s.broke_sla, responded=s.total_responded_to, volume=s.total_volume)
        except LexerApiError as exc:  # remembered for an hour, so an outage does not cost a call per check
            logger.warning("alerts: the 7-day baseline could not be fetched: %s", type(exc).__name__)
        alerts.save_baseline(row)
    if row["broke_sla"] is None:
        return None
    return baseline_from_summary(row["broke_sla"], row["responded"], row["hours"])


def current_baseline(api, alerts, now: datetime, tz: ZoneInfo) -> Baseline | None:
    samples = [_sample_of(r) for r in alerts.samples_since(now - SAMPLE_RETENTION)]
    return baseline_from_samples(samples, now, tz) or trailing_baseline(api, alerts, now, tz)


def fetch_observation(api, slot: datetime, window_minutes: int, tz: ZoneInfo) -> Observation | None:
    """One `summary` over the window ending at the slot; None when Lexer fails (missing data)."""
    from bot.alerting import window_timeframe
    from bot.errors import LexerApiError

    tf = window_timeframe(slot, window_minutes, tz)
    try:
        s = api.summary(tf)
    except LexerApiError as exc:
        logger.warning(
            "alerts: no data for the %d-minute window to %s: %s", window_minutes, slot.isoformat(), type(exc).__name__
        )
        return None
    return Observation(slot, window_minutes, s.broke_sla, s.total_responded_to, s.total_volume)


def _episode_of(row: dict) -> Episode:
    return Episode(
        row["channel_id"],
        row["state"],
        parse_iso(row["started_at"]),
        row["id"],
        parse_iso(row["resolved_at"]),
        row["message_ts"],
        parse_iso(row["last_update_at"]),
        row["last_count"] or 0,
        row["expected"] or 0.0,
        row["ok_streak"] or 0,
        json.loads(row["detail"] or "{}"),
    )


def _row_of(ep: Episode) -> dict:
    fmt = lambda v: to_iso(v) if v else None  # noqa: E731
    return {
        "id": ep.id,
        "channel_id": ep.channel_id,
        "state": ep.state,
        "started_at": fmt(ep.started_at),
        "resolved_at": fmt(ep.resolved_at),
        "message_ts": ep.message_ts,
        "last_update_at": fmt(ep.last_update_at),
        "last_count": ep.last_count,
        "expected": ep.expected,
        "ok_streak": ep.ok_streak,
        "detail": json.dumps(ep.detail, sort_keys=True),
    }


class AlertChecker:
    """One pass of the checks: fetch, judge, advance each channel's episode, post."""

    def __init__(self, runtime):
        self.runtime = runtime
        self.api = runtime.api
        self.slack = runtime.slack
        self.tz = runtime.settings.tz
        self.sandbox = runtime.settings.sandbox_mode
        self.alerts = runtime.store.alerts

    def run(self, now: datetime) -> CheckReport:
        configs = self.alerts.enabled_configs()
        if not configs:
            return CheckReport(None)  # no alerts on: no API calls at all
        slot = check_slot(now)
        report = CheckReport(slot)
        by_window: dict[int, list[dict]] = {}
        for cfg in configs:
            by_window.setdefault(cfg["window_minutes"] or DEFAULT_WINDOW_MINUTES, []).append(cfg)
        baseline: Baseline | None = None
        baseline_loaded = False
        for window, cfgs in sorted(by_window.items()):
            sample_id = self.alerts.claim_sample(slot, window, now)
            if sample_id is None:
                report.windows[window] = "skipped"
                continue
            obs = fetch_observation(self.api, slot, window, self.tz)
            if not baseline_loaded:
                baseline, baseline_loaded = current_baseline(self.api, self.alerts, slot, self.tz), True
            reference = detect(obs, baseline)
            self.alerts.record_sample(
                sample_id,
                {
                    "status": "ok" if obs is not None else "missing",
                    "broke_sla": obs.broke_sla if obs else None,
                    "responded": obs.responded if obs else None,
                    "volume": obs.volume if obs else None,
                    "expected": expected_in_window(baseline, window) if baseline else None,
                    "expected_fraction": baseline.breach_fraction if baseline else None,
                    "p_value": reference.p_value if reference.known else None,
                    "anomalous": int(obs is not None and is_anomalous(obs, baseline)),
                    "baseline_source": baseline.source if baseline else None,
                },
            )
            report.windows[window] = "ok" if obs is not None else "missing"
            for cfg in cfgs:
                try:  # one channel's trouble never silences the others
                    verdict = detect(
                        obs,
                        baseline,
                        min_count=cfg["min_count"] or DEFAULT_MIN_COUNT,
                        sensitivity=cfg["sensitivity"] or DEFAULT_SENSITIVITY,
                    )
                    actions = self._advance(cfg, verdict, now, baseline)
                    report.channels[cfg["channel_id"]] = (verdict.state, actions)
                except Exception:
                    logger.exception("alerts: channel %s failed in this pass", cfg["channel_id"])
                    report.channels[cfg["channel_id"]] = ("error", ())
        self.alerts.prune_samples(slot - SAMPLE_RETENTION)
        return report

    # ------------------------------------------------------------ one channel
    def _advance(self, cfg: dict, verdict: Verdict, now: datetime, baseline: Baseline | None) -> tuple[str, ...]:
        from bot.alerting import snoozed_until

        channel = cfg["channel_id"]
        row = self.alerts.open_episode(channel)
        current = _episode_of(row) if row else None
        snoozed = snoozed_until(cfg, now) is not None
        step = step_episode(current, verdict, now, channel_id=channel, snoozed=snoozed)
        ep = step.episode
        if ep is None or (ep == current and not step.actions):
            return step.actions
        if current is None:
            ep = replace(ep, detail={**ep.detail, "baseline_source": baseline.source if baseline else None})
        # saved before posting: a restart after this point never alerts again for the same episode
        ep = replace(ep, id=self.alerts.save_episode(_row_of(ep)))
        done: list[str] = []
        for action in step.actions:
            try:
                ep = getattr(self, f"_{action}")(ep, verdict, now, snoozed)
                done.append(action)
            except Exception as exc:
                self._post_failed(channel, action, exc, now)
            self.alerts.save_episode(_row_of(ep))
        return tuple(done)

    def _tf(self, end: datetime, minutes: int):
        from bot.alerting import window_timeframe

        return window_timeframe(end, minutes or DEFAULT_WINDOW_MINUTES, self.tz)

    def _posted_tf(self, ep: Episode):
        posted = ep.detail["posted"]
        return self._tf(datetime.fromisoformat(posted["window_end"]), posted["window_minutes"])

    def _value(self, ep: Episode) -> str:
        posted = ep.detail["posted"]
        return alert_button_value(ep.channel_id, datetime.fromisoformat(posted["window_end"]), posted["window_minutes"])

    def _contributors(self, tf) -> dict:
        """Agents and classifications over the window: two calls, made only when an alert is first posted."""
        from bot.errors import LexerApiError

        agents = classifications = None
        try:
            agents = self.api.user_summary(tf)
        except LexerApiError as exc:
            logger.warning("alerts: user_summary failed: %s", type(exc).__name__)
        try:
            classifications = self.api.classifications(tf)
        except LexerApiError as exc:
            logger.warning("alerts: classifications failed: %s", type(exc).__name__)
        return contributors_detail(agents, classifications)

    def _post_alert(self, ep: Episode, verdict: Verdict, now: datetime, snoozed: bool) -> Episode:
        tf = self._tf(verdict.window_end, verdict.window_minutes)
        # what the message says stays as posted (a late post, after a snooze, shows the numbers of its time)
        posted = {k: ep.detail.get(k) for k in POSTED_KEYS} | {"count": verdict.count, "expected": verdict.expected}
        ep = replace(ep, detail={**ep.detail, "posted": posted})
        if "contributors_fetched" not in ep.detail:
            ep = replace(ep, detail={**ep.detail, **self._contributors(tf), "contributors_fetched": True})
            self.alerts.save_episode(_row_of(ep))  # a failed post must not cost the calls again
        message = alert_message(ep, tf, sandbox=self.sandbox, button_value=self._value(ep))
        response = self.slack.chat_postMessage(
            channel=ep.channel_id, text=message["text"], blocks=message["blocks"], unfurl_links=False
        )
        return replace(ep, message_ts=response["ts"], last_update_at=now)

    def _post_update(self, ep: Episode, verdict: Verdict, now: datetime, snoozed: bool) -> Episode:
        self.slack.chat_postMessage(
            channel=ep.channel_id,
            thread_ts=ep.message_ts,
            text=update_text(verdict, self._tf(verdict.window_end, verdict.window_minutes)),
        )
        return replace(ep, last_update_at=now)

    def _resolve(self, ep: Episode, verdict: Verdict, now: datetime, snoozed: bool) -> Episode:
        # the edit is quiet, so it happens even while snoozed; the thread post waits for no snooze
        message = alert_message(
            ep, self._posted_tf(ep), sandbox=self.sandbox, button_value=self._value(ep), resolved=True, now=now
        )
        self.slack.chat_update(channel=ep.channel_id, ts=ep.message_ts, text=message["text"], blocks=message["blocks"])
        if not snoozed:
            self.slack.chat_postMessage(
                channel=ep.channel_id,
                thread_ts=ep.message_ts,
                text=resolution_text(
                    ep, verdict, self._tf(verdict.window_end, verdict.window_minutes), ok_checks=RESOLVE_AFTER_OK_CHECKS
                ),
            )
        return ep

    def _post_failed(self, channel: str, action: str, exc: Exception, now: datetime) -> None:
        from slack_sdk.errors import SlackApiError

        from bot.slack_web import categorize, slack_error_code

        if not isinstance(exc, SlackApiError):
            logger.exception("alerts: %s for %s failed", action, channel)
            return
        code = slack_error_code(exc)
        logger.warning("alerts: %s for %s refused by Slack: %s", action, channel, code)
        if categorize(code) == "channel_gone":
            # the bot was removed or the channel archived: stop rather than fail every 5 minutes
            self.alerts.disable(channel, now)
            self.runtime.store.audit_log.record(
                "lexer-bot", "alerts.off", {"channel_id": channel, "reason": code}, now=now
            )


def run_alert_checks(runtime, now: datetime | None = None) -> CheckReport:
    """One evaluation pass (the scheduler's job and `lexer-bot alerts check`)."""
    return AlertChecker(runtime).run(now or runtime.now())


def scheduled_check(runtime) -> None:
    """The scheduler's job: never raises (a failed pass is logged; the next runs in 5 minutes)."""
    try:
        report = run_alert_checks(runtime)
        for line in report.lines()[1:]:
            logger.info("alerts: %s", line)
    except Exception:
        logger.exception("alerts: the check failed")


def schedule_checks(scheduler, runtime) -> None:
    """Every 5 minutes on the clock; a late or overlapping run is dropped, not doubled."""
    scheduler.add_job(
        scheduled_check,
        "cron",
        minute="*/5",
        args=[runtime],
        id="alerts-check",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=240,
    )
