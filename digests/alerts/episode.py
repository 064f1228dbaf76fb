"""SLA-spike episodes (pure): one spike in one channel, advanced by each check, and what to post.

An episode starts at the first spiking check, posts one alert, updates its
thread every UPDATE_EVERY while the spike lasts, and resolves after
RESOLVE_AFTER_OK_CHECKS good checks in a row. Missing data is neither a spike
nor a recovery; a snooze holds back posts, never the tracking. The bar to
open is higher than the bar to stay open (Verdict.state == "spike" opens,
Verdict.elevated keeps it firing), so a count near the threshold does not flap.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.isotime import parse_iso, to_iso
from digests.alerts.detect import Verdict

UPDATE_EVERY = timedelta(minutes=30)
RESOLVE_AFTER_OK_CHECKS = 2
# After a resolution, a new episode within COOLDOWN opens only when clearly larger than the last one's peak:
# a count hovering near the threshold would otherwise post an alert every few checks.
COOLDOWN = timedelta(hours=1)
CLEARLY_LARGER = 1.5
POSTING = "posting"  # message_ts while one pass holds the claim of the episode's first post
# message_ts of an episode whose claiming pass died mid-post: it may be in the channel, so it is never posted again
UNCERTAIN = "uncertain"
TOP_N = 5  # agents and classifications an alert names

# what the alert message shows, kept in the episode as posted
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
    version: int = 0  # the stored row's compare-and-set version

    @property
    def posted(self) -> bool:
        """The first post went out (not merely claimed by a pass that may still be posting)."""
        return self.message_ts is not None and self.message_ts not in (POSTING, UNCERTAIN)

    @property
    def peak(self) -> int:
        return int(self.detail.get("peak", self.last_count))


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


def in_cooldown(previous: Episode | None, verdict: Verdict, now: datetime) -> bool:
    """True when a spike follows the last resolution within COOLDOWN and is not clearly larger than its peak."""
    if previous is None or previous.resolved_at is None or now - previous.resolved_at >= COOLDOWN:
        return False
    return verdict.count < CLEARLY_LARGER * max(previous.peak, 1)


def step_episode(
    current: Episode | None,
    verdict: Verdict,
    now: datetime,
    *,
    channel_id: str,
    snoozed: bool = False,
    previous: Episode | None = None,
) -> Step:
    """Advance a channel's episode by one check. Snooze holds back new posts, never the tracking.

    `previous` is the channel's last resolved episode, for the cooldown after it.
    """
    if not verdict.known:
        return Step(current)  # missing data: neither a spike nor a recovery
    firing = current if current is not None and current.state == "firing" else None
    if firing is None:
        if verdict.state != "spike" or in_cooldown(previous, verdict, now):
            return Step(None)
        episode = Episode(
            channel_id, "firing", now, last_count=verdict.count, expected=verdict.expected, detail=_detail(verdict)
        )
        return Step(episode, () if snoozed else ("post_alert",))
    if verdict.state == "spike" or verdict.elevated:
        episode = replace(
            firing,
            ok_streak=0,
            last_count=verdict.count,
            expected=verdict.expected,
            detail=_detail(verdict, firing.detail),
        )
        if snoozed or (firing.message_ts is not None and not firing.posted):  # claimed, or uncertain: no posts
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
    return Step(episode, ("resolve",) if firing.posted else ())


def snoozed_until(config: dict | None, now: datetime) -> datetime | None:
    """When a channel's snooze ends, or None when it is not snoozed at `now`."""
    until = parse_iso((config or {}).get("snoozed_until"))
    return until if until is not None and until > now else None


def contributors_detail(agents: Sequence[Any] | None, classifications: Sequence[Any] | None) -> dict:
    """Top agents by breaches and classifications by volume, as plain lists for the episode detail."""
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


# ---------------------------------------------------------------- the stored row


def episode_from_row(row: dict) -> Episode:
    """A stored `alert_episodes` row as an Episode."""
    return Episode(
        row["channel_id"],
        row["state"],
        datetime.fromisoformat(row["started_at"]),  # always set: the episode's first check
        row["id"],
        parse_iso(row["resolved_at"]),
        row["message_ts"],
        parse_iso(row["last_update_at"]),
        row["last_count"] or 0,
        row["expected"] or 0.0,
        row["ok_streak"] or 0,
        json.loads(row["detail"] or "{}"),
        row.get("version") or 0,
    )


def row_from_episode(ep: Episode) -> dict:
    """An Episode as the `alert_episodes` row the store saves."""

    def fmt(v: datetime | None) -> str | None:
        return to_iso(v) if v else None

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
