"""Every action id the bot's buttons carry, and the values they send back (pure).

The ids are the contract between a message built now and a click that arrives
later, perhaps after a deploy: changing one strands the buttons already posted.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

# the buttons on an alert message; Home's alert rows reuse the two snoozes
ALERT_SNOOZE_1H = "lexer.alert.snooze_1h"
ALERT_SNOOZE_TOMORROW = "lexer.alert.snooze_tomorrow"
ALERT_SHOW_TEAM = "lexer.alert.show_team"

# the Home tab: its view, the digest buttons, and ending a snooze early
HOME_VIEW = "lexer.home"
HOME_PAUSE = "lexer.home.pause"
HOME_RESUME = "lexer.home.resume"
HOME_DELETE = "lexer.home.delete"
HOME_UNSNOOZE = "lexer.home.unsnooze"


def _compact(value: dict) -> str:
    return json.dumps(value, separators=(",", ":"))


def alert_button_value(channel_id: str, window_end: datetime, window_minutes: int) -> str:
    """An alert button's value: the channel and the window the alert was about."""
    end = window_end.astimezone(timezone.utc).isoformat(timespec="seconds")
    return _compact({"c": channel_id, "end": end, "m": window_minutes})


def parse_alert_button_value(value: str | None, channel_id: str | None = None) -> dict:
    """An alert button's value as a dict; a missing channel is the one the click came from."""
    try:
        parsed = json.loads(value or "{}")
    except ValueError:
        parsed = {}
    parsed.setdefault("c", channel_id)
    return parsed


def channel_button_value(channel_id: str) -> str:
    """The value of Home's alert buttons: the channel alone, in the alert message's shape."""
    return _compact({"c": channel_id})


def parse_button_channel(value: str | None) -> str:
    """The channel of a button value ('' when it carries none)."""
    try:
        return str(json.loads(value or "{}").get("c") or "")
    except ValueError:
        return ""


def subscription_button_value(sub_id: int) -> str:
    """The value of Home's digest buttons: the subscription id."""
    return str(sub_id)


def parse_subscription_button_value(value: object) -> int:
    """The subscription id of a digest button; ValueError when it carries none."""
    return int(str(value))


# the controls under every report answer (bot/slack/messages/controls.py builds them)
REPORT_RANGE = "lexer.report.range"
REPORT_COMPARE = "lexer.report.compare"
REPORT_SHARE = "lexer.report.share"


def report_command_text(
    name: str,
    range_text: str,
    *,
    group_id: int | None = None,
    agent_id: int | None = None,
    form_id: int | None = None,
    category: str | None = None,
    compare: bool = False,
) -> str:
    """A report's state as the `/lexer` text that asks for it; filters by Lexer id, so it stays short."""
    words = [name]
    if form_id is not None:
        words.append(f"form:{form_id}")
    words.append(range_text)
    if category:
        words.append(category)
    if group_id is not None:
        words.append(f"group:{group_id}")
    if agent_id is not None:
        words.append(f"agent:{agent_id}")
    if compare:
        words.append("compare")
    return " ".join(words)


def report_control_value(command_text: str, asker_id: str) -> str:
    """A report control's value, 'ASKER|COMMAND TEXT': who asked the answer it sits under, and what it asks for.

    Not JSON: a select option's value is capped at 150 characters and every one counts.
    """
    return f"{asker_id}|{command_text}"


def parse_report_control_value(value: str | None) -> tuple[str, str]:
    """(command text, asker id) of a report control; ('', '') when the value is not one of ours."""
    asker, sep, text = (value or "").partition("|")
    if not sep or not text.strip() or not asker:
        return "", ""
    return text.strip(), asker
