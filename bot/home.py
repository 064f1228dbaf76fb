"""App Home: today's numbers, the workspace's digests and alerts (with admin buttons), and a short how-to.

`publish_home` answers app_home_opened and `ACTIONS` are the Home tab's buttons (bot/features.py lists them). The view is built
by the pure `home_view()`; `gather()` reads its inputs from the Activity API and the database through the
subscriptions and alerts features' own queries, so Home and `/lexer` never disagree.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import alerting, subscriptions
from bot.errors import LexerBotError
from bot.isotime import parse_iso
from bot.slack import blocks as b
from bot.slack.format import format_count, format_duration, format_percent, mrkdwn_escape
from bot.timeframe import parse_range

logger = logging.getLogger(__name__)

PAUSE = "lexer.home.pause"
RESUME = "lexer.home.resume"
DELETE = "lexer.home.delete"
# snoozing reuses the alert message's own buttons; ending a snooze early is Home's
SNOOZE_1H = alerting.ACTION_SNOOZE_1H
SNOOZE_TOMORROW = alerting.ACTION_SNOOZE_TOMORROW
UNSNOOZE = "lexer.home.unsnooze"

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
    # enabled alert_configs rows, each with "open_episode" (alert_episodes row or None) added
    alerts: list[dict] = field(default_factory=list)
    sandbox: bool = False
    admins_configured: bool = True
    notice: str | None = None


# ------------------------------------------------------------------ the view (pure)


def slack_date(at: datetime, fallback_tz: ZoneInfo) -> str:
    """A Slack date token (Slack shows it in the viewer's own timezone) with a readable fallback."""
    local = at.astimezone(fallback_tz)
    fallback = f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname() or ''}".strip()
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def schedule_text(sub: dict) -> str:
    """'weekdays at 09:00 (Australia/Sydney)'."""
    cadence = sub.get("cadence") or "daily"
    if cadence == "weekly":
        when = f"every {subscriptions.WEEKDAY_NAMES[(sub.get('weekday') or 0) % 7]}"
    else:
        when = {"daily": "every day", "weekdays": "weekdays"}.get(cadence, cadence)
    return f"{when} at {sub.get('at_time') or '09:00'} ({sub.get('tz') or 'UTC'})"


def digest_name(sub: dict) -> str:
    kind = (sub.get("kind") or "sla").lower()
    name = subscriptions.KIND_TITLES.get(kind, f"{kind} digest")
    if kind == "nps" and sub.get("form_id"):
        name += f" (form {sub['form_id']})"
    return name


def _today_blocks(t: TodayNumbers) -> list[dict]:
    title = f"*Today so far* · {mrkdwn_escape(t.words)}"
    if t.error:
        return [b.section(f"{title}\n:warning: {mrkdwn_escape(t.error)}")]
    breaches = format_count(t.breaches)
    if t.responded:
        breaches += f" ({format_percent((t.breaches or 0) / t.responded)} of responses)"
    return [
        b.section(title),
        b.fields_section(
            [
                ("Volume", format_count(t.volume)),
                ("Responded", format_count(t.responded)),
                ("SLA breaches", breaches),
                ("Median wait", format_duration(t.median_wait_s)),
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
            reason = subscriptions.BROKEN_WORDS.get(sub["broken_reason"], sub["broken_reason"])
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
            sid = str(sub["id"])
            toggle = b.button("Resume", RESUME, sid, "primary") if sub.get("paused") else b.button("Pause", PAUSE, sid)
            delete = {**b.button("Delete", DELETE, sid, "danger"), "confirm": _confirm_delete(sub)}
            out.append(b.actions([toggle, delete]))
    if len(subs) > len(shown):
        out.append(b.context([f"…and {len(subs) - len(shown)} more: `/lexer subscriptions` lists them all."]))
    return out


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
        until = parse_iso(cfg.get("snoozed_until"), lenient=True)
        snoozed = until is not None and until > data.now
        if episode:
            since = parse_iso(episode.get("started_at"), lenient=True)
            state = ":rotating_light: *Spike in progress*" + (f" since {slack_date(since, data.tz)}" if since else "")
            if episode.get("last_count") is not None:
                state += f" · {format_count(episode['last_count'])} breaches in the last check"
        else:
            state = ":white_check_mark: Normal"
        window = cfg.get("window_minutes") or alerting.DEFAULT_WINDOW_MINUTES
        lines = [
            f"*<#{channel}>* · {state}",
            f"{alerting.window_text(window)} window · at least "
            f"{cfg.get('min_count') or alerting.DEFAULT_MIN_COUNT} breaches · "
            f"sensitivity {cfg.get('sensitivity') or alerting.DEFAULT_SENSITIVITY}",
        ]
        if snoozed:
            lines.append(f":zzz: Snoozed until {slack_date(until, data.tz)}")
        out.append(b.section("\n".join(lines)))
        if data.is_admin:
            value = json.dumps({"c": channel}, separators=(",", ":"))  # the alert message's button value shape
            if snoozed:
                buttons = [b.button("End snooze", UNSNOOZE, value)]
            else:
                buttons = [
                    b.button("Snooze 1h", SNOOZE_1H, value),
                    b.button("Snooze until tomorrow", SNOOZE_TOMORROW, value),
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
    top += _today_blocks(data.today)
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
    return {"type": "home", "callback_id": "lexer.home", "blocks": top + subs + [b.divider()] + alerts + tail}


# ------------------------------------------------------------------ gathering (Activity API + database)


def today_numbers(api, tz: ZoneInfo, now: datetime) -> TodayNumbers:
    """`summary` for today in tz; an error becomes a sentence, never an exception."""
    try:
        tf = parse_range("today", tz, now)
        s = api.summary(tf)
        return TodayNumbers(
            s.total_volume, s.total_responded_to, s.broke_sla, s.median_response_time, words=tf.describe()
        )
    except LexerBotError as exc:
        return TodayNumbers(error=f"Could not load today's numbers: {exc.message}")
    except Exception as exc:
        logger.warning("Home: today's summary failed: %s", type(exc).__name__)
        return TodayNumbers(error="Could not load today's numbers right now; reopen the tab in a minute.")


def load_subscriptions(store, now: datetime) -> list[dict]:
    rows = []
    for sub in store.subscriptions.all():
        nxt = subscriptions.next_run(sub, now) if sub.active else None
        rows.append({**sub.__dict__, "next_run": nxt})
    return rows


def load_alerts(store) -> list[dict]:
    return store.alerts.enabled_with_open_episode()


def gather(runtime, user_id: str, notice: str | None = None) -> HomeData:
    """Read what the Home tab shows for one viewer."""
    settings = runtime.settings
    now = runtime.now()
    tz = runtime.timezones.tz_for(user_id) if user_id else settings.tz
    return HomeData(
        user_id=user_id,
        is_admin=user_id in settings.admins,
        now=now,
        tz=tz,
        today=today_numbers(runtime.api, tz, now),
        subscriptions=load_subscriptions(runtime.store, now),
        alerts=load_alerts(runtime.store),
        sandbox=settings.sandbox_mode,
        admins_configured=bool(settings.admins),
        notice=notice,
    )


def publish_home(user_id: str, deps, client, notice: str | None = None) -> None:
    """Build and views.publish the Home tab for one user."""
    if not user_id:
        return
    client.views_publish(user_id=user_id, view=home_view(gather(deps, user_id, notice)))


# ------------------------------------------------------------------ buttons


def _actor(body: dict) -> str:
    return str((body.get("user") or {}).get("id") or "")


def change_subscription(runtime, action_id: str, sub_id: int, user_id: str) -> str:
    """Pause, resume or delete one subscription; returns what happened, in words."""
    store, now = runtime.store, runtime.now()
    sub = store.subscriptions.get(sub_id)
    if sub is None:
        return f"Digest #{sub_id} no longer exists."
    if action_id == DELETE:
        store.subscriptions.delete(sub_id)
        store.audit_log.record(user_id, "unsubscribe", {"id": sub_id, "via": "home"}, now=now)
        done = f"Deleted digest #{sub_id}."
    else:
        paused = action_id == PAUSE
        store.subscriptions.set_paused(sub_id, paused)
        store.audit_log.record(
            user_id, "subscription.pause" if paused else "subscription.resume", {"id": sub_id, "via": "home"}, now=now
        )
        done = f"{'Paused' if paused else 'Resumed'} digest #{sub_id}."
    runtime.clock.ring()  # in `serve`, the scheduler picks the change up at once
    return done


def end_snooze(runtime, channel_id: str, user_id: str) -> str:
    alerts, now = runtime.store.alerts, runtime.now()
    if alerts.config(channel_id) is None:
        return f"Alerts are not set up for <#{channel_id}> any more."
    alerts.snooze(channel_id, None, now)
    runtime.store.audit_log.record(
        user_id, "alerts.snooze", {"channel_id": channel_id, "until": None, "via": "home"}, now=now
    )
    return f"Alerts for <#{channel_id}> are no longer snoozed."


def _subscription_button(action, body, deps, client=None, respond=None) -> None:
    user_id = _actor(body)
    if user_id not in deps.settings.admins:
        notice = NOT_ADMIN
    else:
        try:
            notice = change_subscription(deps, action.get("action_id", ""), int(str(action.get("value"))), user_id)
        except ValueError:
            notice = ":warning: That button carried no digest number; reopen the Home tab."
    publish_home(user_id, deps, client or deps.slack, notice)


def _unsnooze_button(action, body, deps, client=None, respond=None) -> None:
    user_id = _actor(body)
    if user_id not in deps.settings.admins:
        notice = NOT_ADMIN
    else:
        try:
            channel = str(json.loads(action.get("value") or "{}").get("c") or "")
        except ValueError:
            channel = ""
        notice = end_snooze(deps, channel, user_id)
    publish_home(user_id, deps, client or deps.slack, notice)


ACTIONS = {
    PAUSE: _subscription_button,
    RESUME: _subscription_button,
    DELETE: _subscription_button,
    UNSNOOZE: _unsnooze_button,
}
