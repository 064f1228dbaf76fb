"""SLA-spike alerts, bot side: `/lexer alerts on|off|snooze|status`, and the alert buttons.

The checks themselves run on the clock (digests.alerts.check); this module works
from what they store: configs, episodes and the samples with their expected
counts. The database is the interface between the two processes.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.commands.answer import Asker, CommandHandler, Reply, asker_is_admin, lexer_missing, refusal_for
from bot.deps import Deps
from bot.errors import CommandError
from bot.isotime import parse_iso, to_iso
from bot.slack.actions import ALERT_SHOW_TEAM, ALERT_SNOOZE_1H, ALERT_SNOOZE_TOMORROW, parse_alert_button_value
from bot.slack.messages.alerts import (
    INVITE_HELP,
    SENSITIVITY_WORDS,
    SNOOZE_USAGE,
    status_message,
    when_text,
    window_timeframe,
    window_words,
)
from bot.slack.messages.common import ReplyContext
from bot.slack.messages.help import error_message, notice_message
from bot.slack.messages.reports import team_message
from bot.slack.parsing import AlertsCommand, snooze_end
from bot.slack.parsing.values import MIN_COUNT, WINDOW_MINUTES, local_instant
from bot.slack_web import CHANNEL_HELP, channel_problem
from digests.alerts.detect import DEFAULT_MIN_COUNT, DEFAULT_SENSITIVITY, DEFAULT_WINDOW_MINUTES

logger = logging.getLogger(__name__)

UTC = timezone.utc

TOMORROW_AT = time(9, 0)  # "Snooze until tomorrow" ends at the start of the clicker's working day


def tomorrow_morning(now: datetime, tz: ZoneInfo) -> datetime:
    return local_instant(now.astimezone(tz).date() + timedelta(days=1), TOMORROW_AT, tz)


# ---------------------------------------------------------------- /lexer alerts


def _target_channel(cmd: AlertsCommand, asker: Asker) -> str:
    name = cmd.channel_name
    if name and not cmd.channel_id:
        # a bare "#name" (not a Slack channel link) must not silently mean this channel
        raise CommandError(
            f"I could not tell which channel `#{name}` is.",
            hint="Pick the channel from Slack's suggestions as you type `#`, or run the command in that channel.",
        )
    channel = cmd.channel_id or asker.channel_id
    if not channel:
        raise CommandError("Say which channel.", hint="e.g. `/lexer alerts on #support-leads`, run in Slack.")
    return channel


def check_bot_in_channel(slack: WebClient | None, channel_id: str) -> None:
    """Refuse (with how to invite the bot) when it cannot post in the channel."""
    problem = channel_problem(slack, channel_id)
    if problem is None:
        return
    if problem.unseen:
        hint = CHANNEL_HELP.get(problem.code, INVITE_HELP)
        raise CommandError(f"I cannot see that channel ({problem.code}).", hint=hint)
    if problem.code == "is_archived":
        raise CommandError("That channel is archived.", hint="Pick another channel.")
    raise CommandError("The bot is not in that channel, so it could not post alerts there.", hint=INVITE_HELP)


def _on(cmd: AlertsCommand, asker: Asker, deps: Deps) -> Reply:
    channel = _target_channel(cmd, asker)
    window = cmd.window_minutes or DEFAULT_WINDOW_MINUTES
    min_count = cmd.min_count or DEFAULT_MIN_COUNT
    sensitivity = cmd.sensitivity or DEFAULT_SENSITIVITY
    if not WINDOW_MINUTES[0] <= window <= WINDOW_MINUTES[1]:
        raise CommandError("The window must be between 5 minutes and 24 hours.", hint="e.g. `window 1h`.")
    if min_count < MIN_COUNT[0]:
        raise CommandError("`min` must be at least 1.", hint="e.g. `min 5`.")
    if sensitivity not in SENSITIVITY_WORDS:
        raise CommandError(f"`{sensitivity}` is not a sensitivity.", hint="Use low, normal or high.")
    check_bot_in_channel(deps.slack, channel)
    now = deps.now()
    alerts = deps.store.alerts
    alerts.save_config(
        channel, window_minutes=window, min_count=min_count, sensitivity=sensitivity, user_id=asker.user_id, now=now
    )
    deps.store.audit_log.record(
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


def _off(cmd: AlertsCommand, asker: Asker, deps: Deps) -> Reply:
    channel = _target_channel(cmd, asker)
    now = deps.now()
    if not deps.store.alerts.disable(channel, now):
        return Reply(notice_message(f"Alerts were not on for <#{channel}>; nothing changed."))
    deps.store.audit_log.record(asker.user_id, "alerts.off", {"channel_id": channel}, now=now)
    return Reply(
        notice_message(
            f"SLA-spike alerts are off for <#{channel}>. Turn them back on with `/lexer alerts on`.", title="Alerts off"
        )
    )


def _snooze(cmd: AlertsCommand, asker: Asker, deps: Deps) -> Reply:
    channel = _target_channel(cmd, asker)
    alerts = deps.store.alerts
    config = alerts.config(channel)
    if not (config or {}).get("enabled"):
        raise CommandError(
            "Alerts are not on for this channel, so there is nothing to snooze.",
            hint="Turn them on with `/lexer alerts on`.",
        )
    if cmd.snooze is None:  # the parser gives every `alerts snooze` one
        raise CommandError("For how long?", hint=f"Use e.g. {SNOOZE_USAGE}.")
    now = deps.now()
    until = snooze_end(cmd.snooze, now, asker.tz)
    alerts.snooze(channel, until, now)
    deps.store.audit_log.record(
        asker.user_id, "alerts.snooze", {"channel_id": channel, "until": to_iso(until) if until else None}, now=now
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


def _status(cmd: AlertsCommand, asker: Asker, deps: Deps) -> Reply:
    channel = _target_channel(cmd, asker)
    alerts = deps.store.alerts
    config = alerts.config(channel)
    sample = alerts.latest_sample(config["window_minutes"]) if config else None
    return Reply(
        status_message(
            channel,
            config,
            sample,
            alerts.open_episode(channel),
            alerts.last_episode(channel),
            deps.now(),
            asker.tz,
        )
    )


def alerts_command(cmd: AlertsCommand, asker: Asker, deps: Deps) -> Reply:
    """`/lexer alerts on|off|snooze|status` (on/off/snooze are admin-only, checked by CommandRunner)."""
    action = cmd.action
    handler = {"on": _on, "off": _off, "snooze": _snooze, "status": _status}.get(action)
    if handler is None:
        raise CommandError(f"`alerts {action}` is not a command.", hint="Use `alerts on`, `off`, `snooze` or `status`.")
    return handler(cmd, asker, deps)


# ---------------------------------------------------------------- buttons


def _value(action: dict, body: dict) -> dict:
    return parse_alert_button_value(action.get("value"), (body.get("channel") or {}).get("id"))


def _ephemeral(respond, message: dict) -> None:
    respond(**message, response_type="ephemeral", replace_original=False)


def _snooze_button(until_fn):
    def handle(action: dict, body: dict, deps, client=None, respond=None) -> None:
        user_id = (body.get("user") or {}).get("id", "")
        if not asker_is_admin(deps, user_id, client or deps.slack):
            exc = refusal_for(deps)
            _ephemeral(respond, error_message(exc.message, exc.hint or None, ask_users=getattr(exc, "ask_users", ())))
            return
        channel = _value(action, body)["c"]
        tz = deps.timezones.tz_for(user_id)
        now = deps.now()
        until = until_fn(now, tz)
        alerts = deps.store.alerts
        if alerts.config(channel) is None:
            _ephemeral(respond, error_message("Alerts are not set up for this channel any more."))
            return
        alerts.snooze(channel, until, now)
        deps.store.audit_log.record(
            user_id, "alerts.snooze", {"channel_id": channel, "until": to_iso(until), "via": "button"}, now=now
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
    missing = lexer_missing(deps, asker_is_admin(deps, user_id, client or deps.slack))
    if missing is not None:  # distribution mode, a workspace with no usable Lexer connection: how to connect
        _ephemeral(respond, missing)
        return
    value = _value(action, body)
    tz = deps.timezones.tz_for(user_id)
    end = parse_iso(value.get("end")) or deps.now()
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


COMMANDS: dict[str, CommandHandler] = {"alerts": alerts_command}
