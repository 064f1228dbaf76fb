"""SLA-spike alerts, bot side: stored state, `/lexer alerts on|off|snooze|status`, and the alert buttons.

The checks themselves run on the clock (digests.alerts); this module works
from what they store: configs, episodes and the samples with their expected
counts. The database is the interface between the two processes.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.commands import FEATURE_HANDLERS, Asker, Reply, Services, admin_refusal, is_admin
from bot.errors import CommandError
from bot.slack.actions import ALERT_SHOW_TEAM, ALERT_SNOOZE_1H, ALERT_SNOOZE_TOMORROW, parse_alert_button_value
from bot.slack.messages.alerts import (
    INVITE_HELP,
    SENSITIVITY_WORDS,
    SNOOZE_USAGE,
    status_message,
    when_text,
    window_words,
)
from bot.slack.messages.common import ReplyContext
from bot.slack.messages.help import error_message, notice_message
from bot.slack.messages.reports import team_message
from bot.store import utcnow_iso
from bot.timeframe import Timeframe

logger = logging.getLogger(__name__)

UTC = timezone.utc

DEFAULT_WINDOW_MINUTES = 120  # longer than a typical SLA: a message only counts as a breach once answered late
DEFAULT_MIN_COUNT = 5
DEFAULT_SENSITIVITY = "normal"
MIN_WINDOW_MINUTES, MAX_WINDOW_MINUTES = 5, 24 * 60
MAX_SNOOZE = timedelta(days=7)
TOMORROW_AT = time(9, 0)  # "Snooze until tomorrow" ends at the start of the clicker's working day


# ---------------------------------------------------------------- time helpers (pure)


def parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def iso(t: datetime) -> str:
    return utcnow_iso(t)


def _local(d: date, at: time, tz: ZoneInfo) -> datetime:
    """A wall time in tz as an aware instant (a time skipped by DST moves forward)."""
    return datetime.combine(d, at).replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def tomorrow_morning(now: datetime, tz: ZoneInfo) -> datetime:
    return _local(now.astimezone(tz).date() + timedelta(days=1), TOMORROW_AT, tz)


_DURATION_RE = re.compile(
    r"^(?:for\s+)?(?:(\d+)\s*d)?\s*(?:(\d+)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:in(?:utes?)?)?)?$"
)
_UNTIL_RE = re.compile(r"^until\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")


def parse_snooze(text: str | None, now: datetime, tz: ZoneInfo) -> datetime | None:
    """'2h' / '90m' / 'until 17:30' (in tz) / 'until tomorrow' -> when the snooze ends (UTC); 'off' -> None."""
    t = " ".join((text or "").strip().lower().split())
    if t in ("off", "cancel", "end", "stop", "none"):
        return None
    if t in ("until tomorrow", "tomorrow"):
        return tomorrow_morning(now, tz).astimezone(UTC)
    if m := _UNTIL_RE.match(t):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if m.group(3):
            if not 1 <= hour <= 12:
                raise CommandError(f"`{text}` is not a time of day.", hint=f"Use e.g. {SNOOZE_USAGE}.")
            hour = hour % 12 + (12 if m.group(3) == "pm" else 0)
        if hour > 23 or minute > 59:
            raise CommandError(f"`{text}` is not a time of day.", hint=f"Use e.g. {SNOOZE_USAGE}.")
        local = now.astimezone(tz)
        end = _local(local.date(), time(hour, minute), tz)
        if end <= local:
            end = _local(local.date() + timedelta(days=1), time(hour, minute), tz)
        return end.astimezone(UTC)
    m = _DURATION_RE.match(t)
    if t and m and any(m.groups()):
        length = timedelta(days=int(m.group(1) or 0), hours=int(m.group(2) or 0), minutes=int(m.group(3) or 0))
        if length <= timedelta(0):
            raise CommandError("A snooze must last at least a minute.", hint=f"Use e.g. {SNOOZE_USAGE}.")
        if length > MAX_SNOOZE:
            raise CommandError("A snooze lasts at most 7 days.", hint="Use `/lexer alerts off` to stop alerts.")
        return (now + length).astimezone(UTC)
    raise CommandError(f"`{text or ''}` is not a snooze I understand.", hint=f"Use e.g. {SNOOZE_USAGE}.")


def window_timeframe(end: datetime, minutes: int, tz: ZoneInfo) -> Timeframe:
    """The window [end - minutes, end] in tz, worded like `last-Nh`."""
    end_local = end.astimezone(tz).replace(microsecond=0)
    text = f"last-{minutes // 60}h" if minutes % 60 == 0 else f"last-{minutes}m"
    return Timeframe(end_local - timedelta(minutes=minutes), end_local, text, window_words(minutes))


# ---------------------------------------------------------------- stored state


class AlertStore:
    """Named queries on alert_configs, alert_episodes, alert_samples and alert_baselines."""

    def __init__(self, store):
        self.store = store

    @property
    def db(self):
        return self.store.db

    # configs
    def config(self, channel_id: str) -> dict | None:
        rows = list(self.db["alert_configs"].rows_where("channel_id = ?", [channel_id]))
        return rows[0] if rows else None

    def enabled_configs(self) -> list[dict]:
        return list(self.db["alert_configs"].rows_where("enabled = 1", order_by="channel_id"))

    def save_config(
        self, channel_id: str, *, window_minutes: int, min_count: int, sensitivity: str, user_id: str, now: datetime
    ) -> None:
        old = self.config(channel_id) or {}
        self.db["alert_configs"].upsert(
            {
                "channel_id": channel_id,
                "enabled": 1,
                "window_minutes": window_minutes,
                "min_count": min_count,
                "sensitivity": sensitivity,
                "created_by": user_id,
                "snoozed_until": old.get("snoozed_until"),
                "updated_at": iso(now),
            },
            pk="channel_id",
        )

    def disable(self, channel_id: str, now: datetime) -> bool:
        if not (self.config(channel_id) or {}).get("enabled"):
            return False
        self.db["alert_configs"].update(channel_id, {"enabled": 0, "updated_at": iso(now)})
        # an episode left open would carry on in an old thread if alerts came back on later
        self.db.execute(
            "update alert_episodes set state = 'closed', resolved_at = ? where channel_id = ? and state = 'firing'",
            [iso(now), channel_id],
        )
        return True

    def snooze(self, channel_id: str, until: datetime | None, now: datetime) -> None:
        self.db["alert_configs"].update(
            channel_id, {"snoozed_until": iso(until) if until else None, "updated_at": iso(now)}
        )

    @staticmethod
    def snoozed_until(config: dict | None, now: datetime) -> datetime | None:
        until = parse_iso((config or {}).get("snoozed_until"))
        return until if until is not None and until > now else None

    # samples
    def claim_sample(self, window_end: datetime, window_minutes: int, now: datetime) -> int | None:
        """Insert the slot's row; None when another process (or pass) already has it."""
        try:
            return (
                self.db["alert_samples"]
                .insert(
                    {
                        "window_end": iso(window_end),
                        "window_minutes": window_minutes,
                        "status": "pending",
                        "checked_at": iso(now),
                    }
                )
                .last_pk
            )
        except sqlite3.IntegrityError:
            return None

    def record_sample(self, sample_id: int, values: dict) -> None:
        self.db["alert_samples"].update(sample_id, values)

    def samples_since(self, start: datetime) -> list[dict]:
        return list(
            self.db["alert_samples"].rows_where(
                "window_end >= ? and status = 'ok'", [iso(start)], order_by="window_end"
            )
        )

    def latest_sample(self, window_minutes: int) -> dict | None:
        rows = list(
            self.db["alert_samples"].rows_where(
                "window_minutes = ? and status in ('ok', 'missing')",
                [window_minutes],
                order_by="window_end desc",
                limit=1,
            )
        )
        return rows[0] if rows else None

    def prune_samples(self, before: datetime) -> None:
        self.db.execute("delete from alert_samples where window_end < ?", [iso(before)])

    # the daily trailing-7-day baseline
    def baseline(self, key: str) -> dict | None:
        rows = list(self.db["alert_baselines"].rows_where("key = ?", [key]))
        return rows[0] if rows else None

    def save_baseline(self, row: dict) -> None:
        self.db["alert_baselines"].upsert(row, pk="key")

    # episodes
    def open_episode(self, channel_id: str) -> dict | None:
        rows = list(
            self.db["alert_episodes"].rows_where(
                "channel_id = ? and state = 'firing'", [channel_id], order_by="id desc", limit=1
            )
        )
        return rows[0] if rows else None

    def last_episode(self, channel_id: str) -> dict | None:
        rows = list(self.db["alert_episodes"].rows_where("channel_id = ?", [channel_id], order_by="id desc", limit=1))
        return rows[0] if rows else None

    def save_episode(self, row: dict) -> int:
        if row.get("id"):
            self.db["alert_episodes"].update(row["id"], {k: v for k, v in row.items() if k != "id"})
            return row["id"]
        return self.db["alert_episodes"].insert({k: v for k, v in row.items() if k != "id"}).last_pk


# ---------------------------------------------------------------- /lexer alerts


def _target_channel(cmd, asker: Asker) -> str:
    name = getattr(cmd, "channel_name", None)
    if name and not getattr(cmd, "channel_id", None):
        # a bare "#name" (not a Slack channel link) must not silently mean this channel
        raise CommandError(
            f"I could not tell which channel `#{name}` is.",
            hint="Pick the channel from Slack's suggestions as you type `#`, or run the command in that channel.",
        )
    channel = getattr(cmd, "channel_id", None) or asker.channel_id
    if not channel:
        raise CommandError("Say which channel.", hint="e.g. `/lexer alerts on #support-leads`, run in Slack.")
    return channel


def check_bot_in_channel(slack, channel_id: str) -> None:
    """Refuse (with how to invite the bot) when it cannot post in the channel."""
    if slack is None:
        return
    from slack_sdk.errors import SlackApiError

    from bot.slack_web import CHANNEL_HELP, slack_error_code

    try:
        info = slack.conversations_info(channel=channel_id).get("channel") or {}
    except SlackApiError as exc:
        code = slack_error_code(exc)
        raise CommandError(f"I cannot see that channel ({code}).", hint=CHANNEL_HELP.get(code, INVITE_HELP)) from None
    if info.get("is_archived"):
        raise CommandError("That channel is archived.", hint="Pick another channel.")
    if info.get("is_member") is False:
        raise CommandError("The bot is not in that channel, so it could not post alerts there.", hint=INVITE_HELP)


def _on(cmd, asker: Asker, services: Services) -> Reply:
    channel = _target_channel(cmd, asker)
    window = getattr(cmd, "window_minutes", None) or DEFAULT_WINDOW_MINUTES
    min_count = getattr(cmd, "min_count", None) or DEFAULT_MIN_COUNT
    sensitivity = getattr(cmd, "sensitivity", None) or DEFAULT_SENSITIVITY
    if not MIN_WINDOW_MINUTES <= window <= MAX_WINDOW_MINUTES:
        raise CommandError("The window must be between 5 minutes and 24 hours.", hint="e.g. `window 1h`.")
    if min_count < 1:
        raise CommandError("`min` must be at least 1.", hint="e.g. `min 5`.")
    if sensitivity not in SENSITIVITY_WORDS:
        raise CommandError(f"`{sensitivity}` is not a sensitivity.", hint="Use low, normal or high.")
    check_bot_in_channel(services.slack, channel)
    now = services.now()
    alerts = AlertStore(services.store)
    alerts.save_config(
        channel, window_minutes=window, min_count=min_count, sensitivity=sensitivity, user_id=asker.user_id, now=now
    )
    services.store.audit(
        asker.user_id,
        "alerts.on",
        {"channel_id": channel, "window_minutes": window, "min_count": min_count, "sensitivity": sensitivity},
        now=now,
    )
    text = (
        f"SLA-spike alerts are on for <#{channel}>. Every 5 minutes I compare the SLA breaches in "
        f"{window_words(window)} with the team's usual rate for that time, and post here when they spike "
        f"(at least {min_count} breaches, sensitivity {SENSITIVITY_WORDS[sensitivity]}). "
        "One message per spike, updates in its thread, and a note when it is over."
    )
    return Reply(notice_message(text, title="Alerts on"))


def _off(cmd, asker: Asker, services: Services) -> Reply:
    channel = _target_channel(cmd, asker)
    now = services.now()
    if not AlertStore(services.store).disable(channel, now):
        return Reply(notice_message(f"Alerts were not on for <#{channel}>; nothing changed."))
    services.store.audit(asker.user_id, "alerts.off", {"channel_id": channel}, now=now)
    return Reply(
        notice_message(
            f"SLA-spike alerts are off for <#{channel}>. Turn them back on with `/lexer alerts on`.", title="Alerts off"
        )
    )


def _snooze(cmd, asker: Asker, services: Services) -> Reply:
    channel = _target_channel(cmd, asker)
    alerts = AlertStore(services.store)
    config = alerts.config(channel)
    if not (config or {}).get("enabled"):
        raise CommandError(
            "Alerts are not on for this channel, so there is nothing to snooze.",
            hint="Turn them on with `/lexer alerts on`.",
        )
    now = services.now()
    until = parse_snooze(getattr(cmd, "snooze_text", None), now, asker.tz)
    alerts.snooze(channel, until, now)
    services.store.audit(
        asker.user_id, "alerts.snooze", {"channel_id": channel, "until": iso(until) if until else None}, now=now
    )
    if until is None:
        return Reply(notice_message(f"Alerts for <#{channel}> are no longer snoozed."))
    return Reply(
        notice_message(
            f"Alerts for <#{channel}> are snoozed until {when_text(until, now, asker.tz)} ({asker.tz.key}). "
            "Spikes are still tracked; nothing is posted until then. `/lexer alerts snooze off` ends it early.",
            title="Alerts snoozed",
        )
    )


def _status(cmd, asker: Asker, services: Services) -> Reply:
    channel = _target_channel(cmd, asker)
    alerts = AlertStore(services.store)
    config = alerts.config(channel)
    sample = alerts.latest_sample(config["window_minutes"]) if config else None
    return Reply(
        status_message(
            channel,
            config,
            sample,
            alerts.open_episode(channel),
            alerts.last_episode(channel),
            services.now(),
            asker.tz,
        )
    )


def alerts_command(cmd, asker: Asker, services: Services) -> Reply:
    """`/lexer alerts on|off|snooze|status` (on/off/snooze are admin-only, checked by CommandRunner)."""
    action = getattr(cmd, "alerts_action", None) or "status"
    handler = {"on": _on, "off": _off, "snooze": _snooze, "status": _status}.get(action)
    if handler is None:
        raise CommandError(f"`alerts {action}` is not a command.", hint="Use `alerts on`, `off`, `snooze` or `status`.")
    return handler(cmd, asker, services)


# ---------------------------------------------------------------- buttons


def _value(action: dict, body: dict) -> dict:
    return parse_alert_button_value(action.get("value"), (body.get("channel") or {}).get("id"))


def _ephemeral(respond, message: dict) -> None:
    respond(**message, response_type="ephemeral", replace_original=False)


def _snooze_button(until_fn):
    def handle(action: dict, body: dict, deps, client=None, respond=None) -> None:
        user_id = (body.get("user") or {}).get("id", "")
        if not is_admin(deps.settings, user_id):
            exc = admin_refusal(deps.settings)
            _ephemeral(respond, error_message(exc.message, exc.hint or None, ask_users=getattr(exc, "ask_users", ())))
            return
        channel = _value(action, body)["c"]
        tz = deps.timezones.tz_for(user_id)
        now = deps.services.now()
        until = until_fn(now, tz)
        alerts = AlertStore(deps.store)
        if alerts.config(channel) is None:
            _ephemeral(respond, error_message("Alerts are not set up for this channel any more."))
            return
        alerts.snooze(channel, until, now)
        deps.store.audit(
            user_id, "alerts.snooze", {"channel_id": channel, "until": iso(until), "via": "button"}, now=now
        )
        _ephemeral(
            respond,
            notice_message(
                f"Alerts for <#{channel}> are snoozed until {when_text(until, now, tz)} ({tz.key}). "
                "The spike is still tracked; `/lexer alerts snooze off` ends the snooze early."
            ),
        )

    return handle


def show_team(action: dict, body: dict, deps, client=None, respond=None) -> None:
    """The team report for the alert's window, to the clicker only."""
    user_id = (body.get("user") or {}).get("id", "")
    value = _value(action, body)
    tz = deps.timezones.tz_for(user_id)
    end = parse_iso(value.get("end")) or deps.services.now()
    tf = window_timeframe(end, int(value.get("m") or DEFAULT_WINDOW_MINUTES), tz)
    try:
        agents = deps.api.user_summary(tf)
    except Exception as exc:  # LexerApiError and transport trouble: say so, never raise into Bolt
        message = getattr(exc, "message", None) or "Lexer did not answer."
        _ephemeral(respond, error_message(message, getattr(exc, "hint", None) or "Try again in a minute."))
        return
    _ephemeral(respond, team_message(agents, tf, ReplyContext(sandbox=deps.settings.sandbox_mode)))


ACTIONS = {
    ALERT_SNOOZE_1H: _snooze_button(lambda now, tz: now + timedelta(hours=1)),
    ALERT_SNOOZE_TOMORROW: _snooze_button(lambda now, tz: tomorrow_morning(now, tz).astimezone(UTC)),
    ALERT_SHOW_TEAM: show_team,
}


def install(runtime) -> None:
    """Register `/lexer alerts` and the alert buttons."""
    from bot.listeners.actions import ACTION_HANDLERS

    FEATURE_HANDLERS["alerts"] = alerts_command
    ACTION_HANDLERS.update(ACTIONS)
