"""App Home: today's numbers, the workspace's digests and alerts (with admin buttons), and a short how-to.

`install(runtime)` adds the Home publisher (app_home_opened) and the Home tab's buttons. The view is built
by the pure `home_view()`; `publish_home()` gathers its inputs from the Activity API and the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import LexerBotError
from bot.slack import blocks as b
from bot.slack.format import format_count, format_duration, format_percent, mrkdwn_escape
from bot.store import utcnow_iso
from bot.timeframe import parse_range

logger = logging.getLogger(__name__)

PAUSE = "lexer.home.pause"
RESUME = "lexer.home.resume"
DELETE = "lexer.home.delete"
# used only when the alerts feature exposes no snooze button of its own
SNOOZE = "lexer.home.snooze"
UNSNOOZE = "lexer.home.unsnooze"
SNOOZE_FOR = timedelta(hours=2)

# blocks kept for the header, today's numbers, section titles, notes and the how-to
MAX_SUBSCRIPTIONS_SHOWN = 25
MAX_ALERTS_SHOWN = 10
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

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
    subscriptions: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)  # alert_configs rows + "open_episode" (dict | None)
    sandbox: bool = False
    admins_configured: bool = True
    notice: str | None = None


# ------------------------------------------------------------------ pure helpers

def _zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else default
    except (ZoneInfoNotFoundError, ValueError):
        return default


def _hhmm(at_time: str | None) -> tuple[int, int]:
    try:
        h, m = (int(x) for x in str(at_time or "09:00").split(":", 1))
        return (h, m) if 0 <= h < 24 and 0 <= m < 60 else (9, 0)
    except ValueError:
        return 9, 0


def _local(d: date, hm: tuple[int, int], tz: ZoneInfo) -> datetime:
    # a wall time inside a DST gap moves forward, as a clock would
    naive = datetime.combine(d, time(*hm))
    return naive.replace(tzinfo=tz).astimezone(timezone.utc).astimezone(tz)


def runs_on(cadence: str, weekday: int | None, d: date) -> bool:
    """Whether a digest with this cadence posts on local date d."""
    if cadence == "weekdays":
        return d.weekday() < 5
    if cadence == "weekly":
        return d.weekday() == (weekday if weekday is not None else 0)
    return True


def next_run(sub: dict, now: datetime, default_tz: ZoneInfo = ZoneInfo("UTC")) -> datetime | None:
    """The next time (aware, in the subscription's tz) a subscription posts after `now`; None if paused."""
    if sub.get("paused"):
        return None
    tz = _zone(sub.get("tz"), default_tz)
    hm = _hhmm(sub.get("at_time"))
    today = now.astimezone(tz).date()
    for days in range(0, 9):
        d = today + timedelta(days=days)
        if not runs_on(sub.get("cadence") or "daily", sub.get("weekday"), d):
            continue
        at = _local(d, hm, tz)
        if at > now:
            return at
    return None


def schedule_text(sub: dict) -> str:
    """'weekdays at 09:00 (Australia/Sydney)'."""
    cadence = sub.get("cadence") or "daily"
    hh, mm = _hhmm(sub.get("at_time"))
    when = {"daily": "every day", "weekdays": "weekdays"}.get(cadence)
    if cadence == "weekly":
        wd = sub.get("weekday") if sub.get("weekday") is not None else 0
        when = f"every {WEEKDAYS[wd % 7]}"
    return f"{when or cadence} at {hh:02d}:{mm:02d} ({sub.get('tz') or 'UTC'})"


def slack_date(at: datetime, fallback_tz: ZoneInfo) -> str:
    """A Slack date token (shown in the viewer's own timezone) with a readable fallback."""
    local = at.astimezone(fallback_tz)
    fallback = local.strftime("%a %d %b %H:%M ") + (local.tzname() or "")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback.strip()}>"


def digest_name(sub: dict) -> str:
    kind = (sub.get("kind") or "sla").lower()
    name = "SLA digest" if kind == "sla" else "NPS digest" if kind == "nps" else f"{kind} digest"
    if kind == "nps" and sub.get("form_id"):
        name += f" (form {sub['form_id']})"
    return name


def _parse_iso(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _today_blocks(t: TodayNumbers) -> list[dict]:
    title = f"*Today so far* · {mrkdwn_escape(t.words)}"
    if t.error:
        return [b.section(f"{title}\n:warning: {mrkdwn_escape(t.error)}")]
    breach_share = (t.breaches / t.responded) if t.responded else None
    breaches = format_count(t.breaches)
    if breach_share is not None:
        breaches += f" ({format_percent(breach_share)} of responses)"
    return [b.section(title), b.fields_section([
        ("Volume", format_count(t.volume)),
        ("Responded", format_count(t.responded)),
        ("SLA breaches", breaches),
        ("Median wait", format_duration(t.median_wait_s)),
    ])]


def _subscription_blocks(data: HomeData, budget: int) -> list[dict]:
    out: list[dict] = [b.header("Digest subscriptions")]
    subs = data.subscriptions
    if not subs:
        out.append(b.section("No channel gets a digest yet. An admin can start one with "
                             "`/lexer subscribe sla #channel daily at 09:00`."))
        return out
    per_sub = 2 if data.is_admin else 1
    shown = subs[:max(0, min(MAX_SUBSCRIPTIONS_SHOWN, (budget - 2) // per_sub))]
    for sub in shown:
        nxt = next_run(sub, data.now, data.tz)
        if sub.get("paused"):
            status = ":double_vertical_bar: Paused"
        elif nxt is not None:
            status = f"Next: {slack_date(nxt, data.tz)}"
        else:
            status = "Not scheduled"
        lines = [f"*#{sub['id']} · {digest_name(sub)}* → <#{sub['channel_id']}>",
                 f"{schedule_text(sub)} · {status}"]
        if sub.get("broken_reason"):
            lines.append(f":warning: {mrkdwn_escape(str(sub['broken_reason']))}")
        out.append(b.section("\n".join(lines)))
        if data.is_admin:
            sid = str(sub["id"])
            toggle = b.button("Resume", RESUME, sid, "primary") if sub.get("paused") else b.button("Pause", PAUSE, sid)
            delete = b.button("Delete", DELETE, sid, "danger")
            delete["confirm"] = {"title": {"type": "plain_text", "text": "Delete this digest?"},
                                 "text": {"type": "mrkdwn", "text": f"{digest_name(sub)} #{sid} stops posting "
                                          f"to <#{sub['channel_id']}> for good."},
                                 "confirm": {"type": "plain_text", "text": "Delete"},
                                 "deny": {"type": "plain_text", "text": "Keep it"}, "style": "danger"}
            out.append(b.actions([toggle, delete]))
    if len(subs) > len(shown):
        out.append(b.context([f"…and {len(subs) - len(shown)} more: `/lexer subscriptions` lists them all."]))
    return out


def _alert_blocks(data: HomeData, budget: int, snooze_ids: tuple[str, str]) -> list[dict]:
    out: list[dict] = [b.header("SLA alerts")]
    configs = [a for a in data.alerts if a.get("enabled")]
    if not configs:
        out.append(b.section("SLA-spike alerts are off. An admin can switch them on with `/lexer alerts on #channel`."))
        return out
    per = 2 if data.is_admin else 1
    shown = configs[:max(0, min(MAX_ALERTS_SHOWN, (budget - 2) // per))]
    snooze_id, unsnooze_id = snooze_ids
    for cfg in shown:
        episode = cfg.get("open_episode")
        snoozed_until = _parse_iso(cfg.get("snoozed_until"))
        snoozed = snoozed_until is not None and snoozed_until > data.now
        if episode:
            since = _parse_iso(episode.get("started_at"))
            state = ":rotating_light: *Spike in progress*" + (f" since {slack_date(since, data.tz)}" if since else "")
            if episode.get("last_count") is not None:
                state += f" · {format_count(episode['last_count'])} breaches in the last window"
        else:
            state = ":white_check_mark: Normal"
        lines = [f"*<#{cfg['channel_id']}>* · {state}",
                 f"Window {cfg.get('window_minutes') or 60} min · at least {cfg.get('min_count') or 0} breaches · "
                 f"sensitivity {cfg.get('sensitivity') or 'normal'}"]
        if snoozed:
            lines.append(f":zzz: Snoozed until {slack_date(snoozed_until, data.tz)}")
        out.append(b.section("\n".join(lines)))
        if data.is_admin:
            value = str(cfg["channel_id"])
            btn = b.button("Unsnooze", unsnooze_id, value) if snoozed else b.button("Snooze 2h", snooze_id, value)
            out.append(b.actions([btn]))
    if len(configs) > len(shown):
        out.append(b.context([f"…and {len(configs) - len(shown)} more: `/lexer alerts status` in a channel."]))
    return out


def home_view(data: HomeData, snooze_ids: tuple[str, str] = (SNOOZE, UNSNOOZE)) -> dict:
    """The Home tab view for one viewer (within Slack's 100-block limit)."""
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
    room = b.MAX_VIEW_BLOCKS - len(top) - len(tail) - 1  # 1: the divider between subscriptions and alerts
    alert_room = min(room // 2, 2 + MAX_ALERTS_SHOWN * 2)
    alerts = _alert_blocks(data, alert_room, snooze_ids)
    subs = _subscription_blocks(data, room - len(alerts))
    blocks = top + subs + [b.divider()] + alerts + tail
    return {"type": "home", "callback_id": "lexer.home", "blocks": blocks}


# ------------------------------------------------------------------ gathering (database + API)

def today_numbers(api, tz: ZoneInfo, now: datetime) -> TodayNumbers:
    """`summary` for today in tz; an error becomes a sentence, never an exception."""
    try:
        tf = parse_range("today", tz, now)
        s = api.summary(tf)
        return TodayNumbers(s.total_volume, s.total_responded_to, s.broke_sla, s.median_response_time,
                            words=tf.describe())
    except LexerBotError as exc:
        return TodayNumbers(error=f"Could not load today's numbers: {exc.message}")
    except Exception as exc:
        logger.warning("Home: today's summary failed: %s", type(exc).__name__)
        return TodayNumbers(error="Could not load today's numbers right now; reopen the tab in a minute.")


def load_subscriptions(store) -> list[dict]:
    if "subscriptions" not in store.db.table_names():
        return []
    return list(store.db["subscriptions"].rows_where(order_by="id"))


def load_alerts(store) -> list[dict]:
    db = store.db
    if "alert_configs" not in db.table_names():
        return []
    out = []
    for cfg in db["alert_configs"].rows_where(order_by="channel_id"):
        episode = next(iter(db["alert_episodes"].rows_where(
            "channel_id = ? and resolved_at is null", [cfg["channel_id"]], order_by="id desc", limit=1)), None)
        out.append({**cfg, "open_episode": episode})
    return out


def gather(runtime, user_id: str, notice: str | None = None) -> HomeData:
    """Read what the Home tab shows for one viewer."""
    settings = runtime.settings
    now = runtime.services.now()
    tz = runtime.timezones.tz_for(user_id) if user_id else settings.tz
    return HomeData(user_id=user_id, is_admin=user_id in settings.admins, now=now, tz=tz,
                    today=today_numbers(runtime.api, tz, now), subscriptions=load_subscriptions(runtime.store),
                    alerts=load_alerts(runtime.store), sandbox=settings.sandbox_mode,
                    admins_configured=bool(settings.admins), notice=notice)


def alert_button_ids() -> tuple[str, str]:
    """The alerts feature's snooze/unsnooze action ids when it has them, else ours."""
    from bot.listeners.actions import ACTION_HANDLERS

    try:
        from bot import alerting
    except ImportError:  # pragma: no cover - the stub always exists
        return SNOOZE, UNSNOOZE
    theirs = (getattr(alerting, "SNOOZE_ACTION_ID", None), getattr(alerting, "UNSNOOZE_ACTION_ID", None))
    if all(theirs) and all(a in ACTION_HANDLERS for a in theirs):
        return theirs  # type: ignore[return-value]
    return SNOOZE, UNSNOOZE


def publish_home(user_id: str, deps, client, notice: str | None = None) -> None:
    """Build and views.publish the Home tab for one user."""
    if not user_id:
        return
    view = home_view(gather(deps, user_id, notice), alert_button_ids())
    client.views_publish(user_id=user_id, view=view)


# ------------------------------------------------------------------ buttons

def _actor(body: dict) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _subscription_id(action: dict) -> int | None:
    try:
        return int(str(action.get("value") or ""))
    except ValueError:
        return None


def change_subscription(store, action_id: str, sub_id: int, user_id: str, now: datetime) -> str:
    """Pause, resume or delete one subscription; returns what happened, in words."""
    table = store.db["subscriptions"]
    rows = list(table.rows_where("id = ?", [sub_id]))
    if not rows:
        return f"Digest #{sub_id} no longer exists."
    if action_id == DELETE:
        table.delete(sub_id)
        store.audit(user_id, "subscription.delete", {"id": sub_id, "via": "home"}, now=now)
        return f"Deleted digest #{sub_id}."
    paused = 1 if action_id == PAUSE else 0
    table.update(sub_id, {"paused": paused})
    store.audit(user_id, "subscription.pause" if paused else "subscription.resume", {"id": sub_id, "via": "home"},
                now=now)
    return f"{'Paused' if paused else 'Resumed'} digest #{sub_id}."


def change_snooze(store, action_id: str, channel_id: str, user_id: str, now: datetime) -> str:
    """Snooze (2 h) or unsnooze one channel's alerts."""
    table = store.db["alert_configs"]
    if not list(table.rows_where("channel_id = ?", [channel_id])):
        return f"Alerts are not set up for <#{channel_id}>."
    until = utcnow_iso(now + SNOOZE_FOR) if action_id == SNOOZE else None
    table.update(channel_id, {"snoozed_until": until, "updated_at": utcnow_iso(now)})
    store.audit(user_id, "alerts.snooze" if until else "alerts.unsnooze", {"channel_id": channel_id, "via": "home",
                                                                            "until": until}, now=now)
    return f"Alerts in <#{channel_id}> snoozed for 2 hours." if until else f"Alerts in <#{channel_id}> are back on."


def _admin_only(handler: Callable[[Any, str, str, datetime], str]):
    def run(action, body, deps, *, client=None, respond=None):
        user_id = _actor(body)
        if user_id not in deps.settings.admins:
            notice = ":no_entry: Only lexer-bot admins can change digests and alerts."
        else:
            notice = handler(deps, action.get("action_id", ""), action, user_id)
        publish_home(user_id, deps, client or deps.slack, notice)

    return run


def _on_subscription(deps, action_id: str, action: dict, user_id: str) -> str:
    sub_id = _subscription_id(action)
    if sub_id is None:
        return ":warning: That button carried no digest id; reopen the Home tab."
    return change_subscription(deps.store, action_id, sub_id, user_id, deps.services.now())


def _on_snooze(deps, action_id: str, action: dict, user_id: str) -> str:
    return change_snooze(deps.store, action_id, str(action.get("value") or ""), user_id, deps.services.now())


def install(runtime) -> None:
    """Add the Home publisher and the Home tab's buttons."""
    from bot.listeners.actions import ACTION_HANDLERS
    from bot.listeners.events import HOME_PUBLISHERS

    if publish_home not in HOME_PUBLISHERS:
        HOME_PUBLISHERS.append(publish_home)
    for action_id in (PAUSE, RESUME, DELETE):
        ACTION_HANDLERS[action_id] = _admin_only(_on_subscription)
    for action_id in (SNOOZE, UNSNOOZE):
        ACTION_HANDLERS[action_id] = _admin_only(_on_snooze)
