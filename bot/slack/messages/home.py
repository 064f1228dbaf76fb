"""The Home tab: today's numbers, the digests and alerts (with admin buttons), and a short how-to (pure).

`home_view(HomeData)` builds the view; bot.features.home gathers the HomeData and publishes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.slack import blocks as b
from bot.slack.actions import (
    ALERT_SNOOZE_1H,
    ALERT_SNOOZE_TOMORROW,
    HOME_DELETE,
    HOME_PAUSE,
    HOME_RESUME,
    HOME_UNSNOOZE,
    HOME_VIEW,
    channel_button_value,
    subscription_button_value,
)
from bot.slack.format import format_count, format_duration, format_percent, mrkdwn_escape
from bot.slack.messages.alerts import window_text
from bot.slack.messages.subscriptions import BROKEN_WORDS, WEEKDAY_NAMES
from bot.slack.messages.subscriptions import KIND_TITLES as DIGEST_TITLES
from bot.slack.messages.targets import BREACH_RATE, MEDIAN_WAIT, RESPONSE_RATE, TargetSet, marked

MAX_SUBSCRIPTIONS_SHOWN = 25
MAX_ALERTS_SHOWN = 10
NOT_ADMIN = ":no_entry: Only lexer-bot admins can change digests and alerts."

HOW_TO = (
    "*How to use Lexer in Slack*\n"
    "• `/lexer summary today` — volume, responses and SLA breaches so far today\n"
    "• `/lexer team last-week` — every agent's numbers for last week\n"
    "• `/lexer nps` — your NPS for the last 7 days\n"
    "• `/lexer subscribe sla #channel daily at 09:00` — a morning SLA digest (admins)\n"
    "• `/lexer alerts on #channel` — an alert when SLA breaches spike (admins)\n"
    "• `/lexer export cases last-month` — a CSV in a direct message (admins)\n"
    "• `/lexer help` — everything else"
)


@dataclass
class TodayNumbers:
    """`summary` for today in the viewer's timezone, or why it is missing."""

    volume: int | None = None
    responded: int | None = None
    breaches: int | None = None
    median_wait_s: float | None = None
    words: str = "today"
    error: str | None = None


@dataclass
class HomeData:
    """Everything the Home tab shows, gathered for one viewer."""

    user_id: str
    is_admin: bool
    now: datetime
    tz: ZoneInfo
    today: TodayNumbers
    # subscription rows, each with "next_run" (aware datetime or None) added
    subscriptions: list[dict] = field(default_factory=list)
    # enabled alert_configs rows, defaults filled in, each with "open_episode" (alert_episodes row or None) added
    alerts: list[dict] = field(default_factory=list)
    sandbox: bool = False
    admins_configured: bool = True
    notice: str | None = None
    # recent digest runs that failed for good (digest_runs.failed_since rows), for their creator and admins
    failed_digests: list[dict] = field(default_factory=list)
    targets: TargetSet | None = None  # the workspace's SLA targets, marked on today's numbers
    # distribution mode: why this workspace has no Lexer numbers and what to do (shown instead of them)
    lexer_missing: str | None = None


MAX_FAILED_SHOWN = 3


def failed_digest_text(run: dict, tz: ZoneInfo) -> str:
    """One failed digest on Home: which digest, which channel, when, Slack's answer and what to do."""
    title = DIGEST_TITLES.get(run.get("kind") or "", "digest")
    due = _parse_iso(run.get("scheduled_for"))
    when = f" due {slack_date(due, tz)}" if due else ""
    return (
        f":warning: The {title} for <#{run.get('channel_id')}> (digest #{run.get('subscription_id')}){when} "
        f"was not posted: {mrkdwn_escape(str(run.get('error') or 'Slack did not take it'))}. "
        f"Run `/lexer {run.get('kind') or 'sla'}` in that channel for the numbers; the next digest posts as usual."
    )


def _failed_digest_blocks(data: HomeData) -> list[dict]:
    return [b.section(failed_digest_text(run, data.tz)) for run in data.failed_digests[:MAX_FAILED_SHOWN]]


def slack_date(at: datetime, fallback_tz: ZoneInfo) -> str:
    """A Slack date token (Slack shows it in the viewer's own timezone) with a readable fallback."""
    local = at.astimezone(fallback_tz)
    fallback = f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname() or ''}".strip()
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def schedule_text(sub: dict) -> str:
    """'weekdays at 09:00 (Australia/Sydney)'."""
    cadence = sub.get("cadence") or "daily"
    if cadence == "weekly":
        when = f"every {WEEKDAY_NAMES[(sub.get('weekday') or 0) % 7]}"
    else:
        when = {"daily": "every day", "weekdays": "weekdays"}.get(cadence, cadence)
    return f"{when} at {sub.get('at_time') or '09:00'} ({sub.get('tz') or 'UTC'})"


def digest_name(sub: dict) -> str:
    kind = (sub.get("kind") or "sla").lower()
    name = DIGEST_TITLES.get(kind, f"{kind} digest")
    if kind == "nps" and sub.get("form_id"):
        name += f" (form {sub['form_id']})"
    return name


def _parse_iso(value) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _today_blocks(t: TodayNumbers, targets: TargetSet | None = None) -> list[dict]:
    title = f"*Today so far* · {mrkdwn_escape(t.words)}"
    if t.error:
        return [b.section(f"{title}\n:warning: {mrkdwn_escape(t.error)}")]
    breaches = format_count(t.breaches)
    if t.responded:
        breaches += f" ({format_percent((t.breaches or 0) / t.responded)} of responses)"
    responded = format_count(t.responded)
    if targets:
        rate = (t.responded or 0) / t.volume if t.volume else None
        if rate is not None:
            responded = marked(f"{responded} ({format_percent(rate)})", RESPONSE_RATE, rate, targets)
        breaches = marked(breaches, BREACH_RATE, (t.breaches or 0) / t.responded if t.responded else None, targets)
    wait = format_duration(t.median_wait_s)
    if targets and t.responded:
        wait = marked(wait, MEDIAN_WAIT, t.median_wait_s, targets)
    return [
        b.section(title),
        b.fields_section(
            [
                ("Volume", format_count(t.volume)),
                ("Responded", responded),
                ("SLA breaches", breaches),
                ("Median wait", wait),
            ]
        ),
    ]


def _confirm_delete(sub: dict) -> dict:
    return {
        "title": {"type": "plain_text", "text": "Delete this digest?"},
        "text": {
            "type": "mrkdwn",
            "text": f"{digest_name(sub)} #{sub['id']} stops posting to <#{sub['channel_id']}> for good.",
        },
        "confirm": {"type": "plain_text", "text": "Delete"},
        "deny": {"type": "plain_text", "text": "Keep it"},
        "style": "danger",
    }


def _subscription_blocks(data: HomeData, budget: int) -> list[dict]:
    out: list[dict] = [b.header("Digest subscriptions")]
    subs = data.subscriptions
    if not subs:
        out.append(
            b.section(
                "No channel gets a digest yet. An admin can start one with "
                "`/lexer subscribe sla #channel daily at 09:00`."
            )
        )
        return out
    per_sub = 2 if data.is_admin else 1
    shown = subs[: max(0, min(MAX_SUBSCRIPTIONS_SHOWN, (budget - 2) // per_sub))]
    for sub in shown:
        if sub.get("broken_reason"):
            reason = BROKEN_WORDS.get(sub["broken_reason"], sub["broken_reason"])
            status = f":warning: Stopped: {mrkdwn_escape(str(reason))}"
        elif sub.get("paused"):
            status = ":double_vertical_bar: Paused"
        elif sub.get("next_run") is not None:
            status = f"Next: {slack_date(sub['next_run'], data.tz)}"
        else:
            status = "Not scheduled"
        out.append(
            b.section(f"*#{sub['id']} · {digest_name(sub)}* → <#{sub['channel_id']}>\n{schedule_text(sub)} · {status}")
        )
        if data.is_admin:
            sid = subscription_button_value(sub["id"])
            if sub.get("paused"):
                toggle = b.button("Resume", HOME_RESUME, sid, "primary")
            else:
                toggle = b.button("Pause", HOME_PAUSE, sid)
            delete = {**b.button("Delete", HOME_DELETE, sid, "danger"), "confirm": _confirm_delete(sub)}
            out.append(b.actions([toggle, delete]))
    if len(subs) > len(shown):
        out.append(b.context([f"…and {len(subs) - len(shown)} more: `/lexer subscriptions` lists them all."]))
    return out


def _post_failures(episode: dict | None) -> int:
    """Checks in a row in which Slack refused a firing episode's first post (0 once it is posted)."""
    if not episode or episode.get("message_ts"):
        return 0
    try:
        detail = json.loads(episode.get("detail") or "{}")
    except (TypeError, ValueError):
        return 0
    return int(detail.get("post_failures") or 0) if isinstance(detail, dict) else 0


def _alert_blocks(data: HomeData, budget: int) -> list[dict]:
    out: list[dict] = [b.header("SLA alerts")]
    configs = data.alerts
    if not configs:
        out.append(b.section("SLA-spike alerts are off. An admin can switch them on with `/lexer alerts on #channel`."))
        return out
    per = 2 if data.is_admin else 1
    shown = configs[: max(0, min(MAX_ALERTS_SHOWN, (budget - 2) // per))]
    for cfg in shown:
        channel = str(cfg["channel_id"])
        episode = cfg.get("open_episode")
        until = _parse_iso(cfg.get("snoozed_until"))
        snoozed = until is not None and until > data.now
        if episode:
            since = _parse_iso(episode.get("started_at"))
            state = ":rotating_light: *Spike in progress*" + (f" since {slack_date(since, data.tz)}" if since else "")
            if episode.get("last_count") is not None:
                state += f" · {format_count(episode['last_count'])} breaches in the last check"
        else:
            state = ":white_check_mark: Normal"
        lines = [
            f"*<#{channel}>* · {state}",
            f"{window_text(cfg['window_minutes'])} window · at least "
            f"{cfg['min_count']} breaches · sensitivity {cfg['sensitivity']}",
        ]
        if snoozed and until is not None:  # `snoozed` implies it; said again for the type checker
            lines.append(f":zzz: Snoozed until {slack_date(until, data.tz)}")
        failures = _post_failures(episode)
        if failures:
            lines.append(
                f":warning: The alert is not in the channel yet: Slack refused it in {failures} checks; "
                "lexer-bot tries again every 5 minutes"
            )
        out.append(b.section("\n".join(lines)))
        if data.is_admin:
            value = channel_button_value(channel)
            if snoozed:
                buttons = [b.button("End snooze", HOME_UNSNOOZE, value)]
            else:
                buttons = [
                    b.button("Snooze 1h", ALERT_SNOOZE_1H, value),
                    b.button("Snooze until tomorrow", ALERT_SNOOZE_TOMORROW, value),
                ]
            out.append(b.actions(buttons))
    if len(configs) > len(shown):
        out.append(b.context([f"…and {len(configs) - len(shown)} more: `/lexer alerts status` in a channel."]))
    return out


def home_view(data: HomeData) -> dict:
    """The Home tab view for one viewer, within Slack's 100-block limit."""
    top: list[dict] = [b.header("Lexer")]
    if data.notice:
        top.append(b.section(data.notice))
    top += _failed_digest_blocks(data)
    if data.lexer_missing:
        top.append(b.section(f":electric_plug: {data.lexer_missing}"))  # mentions the admins: not escaped
    else:
        top += _today_blocks(data.today, data.targets)
    top.append(b.divider())
    tail: list[dict] = [b.divider(), b.section(HOW_TO)]
    footer = []
    if data.sandbox:
        footer.append("Sandbox data: LEXER_API_TOKEN is not set.")
    if data.is_admin:
        footer.append("You are a lexer-bot admin.")
    elif not data.admins_configured:
        footer.append("No admins are configured (LEXERBOT_ADMINS), so digests, alerts and exports are switched off.")
    if footer:
        tail.append(b.context([" ".join(footer)]))
    room = b.MAX_VIEW_BLOCKS - len(top) - len(tail) - 1  # 1: the divider between digests and alerts
    alerts = _alert_blocks(data, min(room // 2, 3 + MAX_ALERTS_SHOWN * 2))
    subs = _subscription_blocks(data, room - len(alerts))
    return {"type": "home", "callback_id": HOME_VIEW, "blocks": top + subs + [b.divider()] + alerts + tail}
