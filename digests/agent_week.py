"""The Monday DM of each agent's week: due check (pure), one pass that claims, builds and posts (clock side).

An agent is due from Monday 09:00 in their own timezone (Lexer's user timezone, so no Slack call is made
before anyone is due) until the digest grace ends. One `user_summary` and one `summary` for the team serve
every agent of a (week, timezone): the pass caches them, so 40 agents in one zone cost 3 Lexer requests
(with GET /users). Exactly once: agent_digest_runs' unique (workspace, agent, week) claim, as digest_runs.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.lexer.models import AgentSummary, Summary
from bot.slack.messages.agent_week import agent_week_message, opt_out_button
from bot.slack.messages.common import ReplyContext
from bot.slack.messages.targets import applicable, targets_from_rows
from bot.timeframe import Timeframe, days_window
from digests.workspaces import in_every_workspace

if TYPE_CHECKING:
    from bot.deps import Deps

logger = logging.getLogger(__name__)

SEND_AT = time(9, 0)
PASS_EVERY_S = 60


def week_slot(now: datetime, tz: ZoneInfo) -> tuple[date, datetime]:
    """(this local week's Monday, Monday 09:00 local as an aware instant)."""
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    return monday, datetime.combine(monday, SEND_AT, tz)


def is_due(now: datetime, tz: ZoneInfo, grace_s: float) -> tuple[bool, date]:
    monday, slot = week_slot(now, tz)
    return slot <= now <= slot + timedelta(seconds=grace_s), monday


def last_week(monday: date, tz: ZoneInfo) -> Timeframe:
    first = monday - timedelta(days=7)
    return days_window(first, monday - timedelta(days=1), tz, "last-week", "last week")


def _zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else default
    except (ZoneInfoNotFoundError, ValueError):
        return default


def send_agent_digests(deps: Deps, now: datetime | None = None) -> dict[str, int]:
    """One pass: DM every due, matched, opted-in agent their last week; returns counts by outcome."""
    from slack_sdk.errors import SlackApiError

    counts = {"posted": 0, "duplicate": 0, "unmatched": 0, "opted_out": 0, "failed": 0}
    store = deps.store.agent_digests
    if not store.enabled():
        return counts
    now = now or deps.now()
    grace = float(deps.settings.digest_grace_s)
    # cheap before any Lexer call: it is Monday 09:00 (+ grace) somewhere only from Sunday 19:00 UTC to Monday 22:00
    utc = now.astimezone(ZoneInfo("UTC"))
    if not ((utc.weekday() == 6 and utc.hour >= 19) or (utc.weekday() == 0 and utc.hour < 23)):
        return counts
    opted_out = store.opted_out()
    team: dict[tuple[date, str], tuple[list[AgentSummary], Summary | None, Timeframe]] = {}
    targets = applicable(targets_from_rows(deps.store.targets.all())) or None
    ctx = ReplyContext(sandbox=deps.settings.sandbox_mode)
    for user in deps.directory.users():
        if user.archived or not user.email:
            continue
        tz = _zone(user.timezone, deps.settings.tz)
        due, monday = is_due(now, tz, grace)
        week = monday.isoformat()
        if not due or store.exists(user.id, week):
            continue
        try:
            found = deps.slack.users_lookupByEmail(email=user.email).get("user") or {}
        except SlackApiError:
            counts["unmatched"] += 1
            continue
        slack_id = str(found.get("id") or "")
        if not slack_id:
            counts["unmatched"] += 1
            continue
        if slack_id in opted_out:
            counts["opted_out"] += 1
            continue
        run_id = store.claim(user.id, week, deps.worker_id, now, deps.lease_s)
        if run_id is None:
            counts["duplicate"] += 1
            continue
        try:
            key = (monday, tz.key)
            if key not in team:
                tf = last_week(monday, tz)
                team[key] = (deps.api.user_summary(tf), deps.api.summary(tf), tf)
            agents, summary, tf = team[key]
            mine = next((a for a in agents if a.user_id == user.id), None)
            message = agent_week_message(mine, user.name, agents, summary, tf, ctx, targets, [opt_out_button()])
        except Exception as exc:
            logger.warning("agent digest for %s could not be built: %s", user.id, type(exc).__name__)
            store.finish(run_id, "failed", error=f"build: {type(exc).__name__}")
            counts["failed"] += 1
            continue
        if not store.begin_post(run_id, deps.worker_id, slack_id, deps.now()):
            counts["duplicate"] += 1
            continue
        try:
            ts = deps.slack.chat_postMessage(channel=slack_id, text=message["text"], blocks=message["blocks"])["ts"]
        except Exception as exc:
            store.finish(run_id, "failed", error=f"post: {type(exc).__name__}")
            counts["failed"] += 1
            continue
        store.finish(run_id, "posted", message_ts=str(ts))
        counts["posted"] += 1
    if counts["posted"]:
        logger.info("agent digests: %s", counts)
    return counts


def run_agent_digests(deps: Deps) -> None:
    """The clock job, for every workspace on its own Deps; never raises."""
    in_every_workspace(deps, send_agent_digests, "agent digests pass failed", logger)
