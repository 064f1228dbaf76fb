"""What one pass of the SLA-spike checks decides, apart from its I/O (pure): slots, the sample row, a
channel's verdict, a first-post claim's age, what an alert shows as posted, the notice after failed posts.

digests.alerts.fetch asks Lexer, digests.alerts.post talks to Slack, digests.alerts.check runs the pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from digests.alerts.detect import (
    DEFAULT_MIN_COUNT,
    DEFAULT_SENSITIVITY,
    DEFAULT_WINDOW_MINUTES,
    Baseline,
    Observation,
    Verdict,
    detect,
    expected_in_window,
    is_anomalous,
)
from digests.alerts.episode import POSTED_KEYS, Episode

CHECK_EVERY = timedelta(minutes=5)
CHECKS_PER_HOUR = 12
# Budget stated as numbers so a test can hold the runner to them.
REQUESTS_PER_CHECK_PER_WINDOW = 1
BASELINE_REQUESTS_PER_DAY = 1
REQUESTS_PER_EPISODE = 2  # user_summary + classifications, once, when it first fires
SAMPLE_RETENTION = timedelta(days=63)  # nine weeks of hour-of-week history is plenty
BASELINE_RETRY = timedelta(hours=1)
# A first-post claim older than this belongs to a pass that died while posting (a pass's tries take under a minute).
STALE_CLAIM = timedelta(minutes=10)
MISFIRE_GRACE_S = 240  # a check this late still runs; a clock started this soon after a slot checks it at once
# A slot's sample still pending this long after its claim belongs to a pass that died (a clock killed mid-check):
# the next pass checks the slot again. The job runs every minute so that pass comes within the slot; a pass
# that finds its slot checked makes no call.
STALE_SAMPLE = timedelta(minutes=2)
POST_FAILURES_BEFORE_NOTICE = 3  # passes (15 minutes) an alert Slack keeps refusing, before its creator is told

UTC = timezone.utc


def check_slot(now: datetime) -> datetime:
    """The 5-minute slot a check at `now` belongs to (UTC)."""
    t = now.astimezone(UTC).replace(second=0, microsecond=0)
    return t - timedelta(minutes=t.minute % 5)


def catches_up(now: datetime) -> bool:
    """Whether a clock starting at `now` checks the slot that just passed at once (within the grace): safe, as
    the pass claims the slot's sample first, so a slot another clock already checked costs nothing."""
    return now - check_slot(now) <= timedelta(seconds=MISFIRE_GRACE_S)


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


def by_window(configs: list[dict]) -> dict[int, list[dict]]:
    """The channels' alert configs grouped by their window: one `summary` call serves each group."""
    grouped: dict[int, list[dict]] = {}
    for cfg in configs:
        grouped.setdefault(cfg["window_minutes"] or DEFAULT_WINDOW_MINUTES, []).append(cfg)
    return dict(sorted(grouped.items()))


def usable(s) -> bool:
    """The counts an alert reads are all numbers (bot.lexer.models: an unusable one is NaN)."""
    return all(math.isfinite(x) for x in (s.broke_sla, s.total_responded_to, s.total_volume))


def sample_record(obs: Observation | None, baseline: Baseline | None, window: int) -> dict:
    """What the database keeps of one window's check, for history and `/lexer alerts status`."""
    reference = detect(obs, baseline)
    return {
        "status": "ok" if obs is not None else "missing",
        "broke_sla": obs.broke_sla if obs else None,
        "responded": obs.responded if obs else None,
        "volume": obs.volume if obs else None,
        "expected": expected_in_window(baseline, window) if baseline else None,
        "expected_fraction": baseline.breach_fraction if baseline else None,
        "p_value": reference.p_value if reference.known else None,
        "anomalous": int(obs is not None and is_anomalous(obs, baseline)),
        "baseline_source": baseline.source if baseline else None,
    }


def channel_verdict(cfg: dict, obs: Observation | None, baseline: Baseline | None) -> Verdict:
    """One channel's judgement of the window, at its own thresholds."""
    return detect(
        obs,
        baseline,
        min_count=cfg["min_count"] or DEFAULT_MIN_COUNT,
        sensitivity=cfg["sensitivity"] or DEFAULT_SENSITIVITY,
    )


def claim_is_live(claimed_at: datetime | None, now: datetime) -> bool:
    """Whether the pass that claimed an episode's first post may still be at it (the episode is its to save)."""
    return claimed_at is not None and now - claimed_at < STALE_CLAIM


def with_posted(ep: Episode, verdict: Verdict) -> Episode:
    """What the alert says stays as posted (a late post, after a snooze, shows the numbers of its time)."""
    posted = {k: ep.detail.get(k) for k in POSTED_KEYS} | {"count": verdict.count, "expected": verdict.expected}
    return replace(ep, detail={**ep.detail, "posted": posted})


def failed_post_notice(ep: Episode, failures: int, answer: str) -> str | None:
    """What the alert's creator is told after a few passes Slack would not take it; None before then, or once told."""
    if failures < POST_FAILURES_BEFORE_NOTICE or ep.detail.get("creator_told"):
        return None
    return (
        f":warning: An SLA-breach alert for <#{ep.channel_id}> could not be posted: Slack answered "
        f"`{answer}` in {failures} checks in a row. lexer-bot tries again every 5 minutes while the spike "
        "lasts (see https://slack-status.com); meanwhile `/lexer alerts status` there shows the numbers."
    )
