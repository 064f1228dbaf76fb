"""Help, errors and notices: the replies that are not reports (pure)."""

from __future__ import annotations

import re

from bot.slack import blocks as bk
from bot.slack.format import mrkdwn_escape
from bot.slack.messages.common import build_message, esc, list_blocks
from bot.timeframe import RANGE_HELP

HELP_TITLE = "/lexer commands"
HELP_FOOTER = (
    f"*Ranges:* {RANGE_HELP}.\n"
    "*Filters:* `group:NAME_OR_ID`, `agent:EMAIL_OR_ID`. "
    "Add `public` to post the answer in the channel; otherwise only you see it."
)


def help_message(usage: dict[str, str], order: list[str], topic: str | None = None) -> dict:
    """Every command with its usage line (mrkdwn from the parser), in `order`, then any others."""
    names = [n for n in order if n in usage] + sorted(n for n in usage if n not in order)
    blocks: list[dict] = []
    if topic is not None and topic in usage:
        blocks.append(bk.header(f"/lexer {topic}"))
        blocks.append(bk.section(usage[topic]))
        blocks.append(bk.context([HELP_FOOTER]))
        return build_message(f"/lexer {topic}: {usage[topic]}", blocks)
    blocks.append(bk.header(HELP_TITLE))
    if topic is not None:
        blocks.append(bk.section(f"I have no help on `{esc(topic)}`; here is everything."))
    blocks.extend(list_blocks([f"• {usage[n]}" for n in names], "commands", max_sections=bk.MAX_BLOCKS - 5))
    blocks.append(bk.context([HELP_FOOTER]))
    return build_message("/lexer commands: " + ", ".join(names), blocks)


def error_message(
    problem: str, hint: str | None = None, usage: str | None = None, *, ask_users: tuple[str, ...] = ()
) -> dict:
    """A refusal or failure; texts may echo user input, so & < > are escaped (backticks stay).

    `ask_users` are Slack user ids (validated at config time) shown as real mentions.
    """
    blocks = [bk.section(f":warning: {mrkdwn_escape(problem)}")]
    extra = []
    if hint:
        extra.append(mrkdwn_escape(hint))
    if ask_users:
        extra.append("Ask " + ", ".join(f"<@{u}>" for u in ask_users if re.fullmatch(r"[UW][A-Z0-9]+", u)) + ".")
    if usage:
        extra.append(f"*Usage:* {mrkdwn_escape(usage)}")
    if extra:
        blocks.append(bk.context(extra))
    return build_message(f"⚠ {mrkdwn_escape(problem)}", blocks)


def command_failed_message(command: str | None) -> dict:
    """A queued command given up on after its answering failed again and again: what to do, never why."""
    what = f"`/lexer {command}`" if command else "your `/lexer` command"
    return error_message(
        f"Something went wrong answering {what}.", "Try again, and tell your admin if it keeps happening."
    )


def notice_message(text: str, *, title: str | None = None) -> dict:
    """A plain confirmation; `text` is mrkdwn built by the caller (escape data in it, keep <#C…> links)."""
    blocks = []
    if title:
        blocks.append(bk.header(title))
    blocks.append(bk.section(text))
    return build_message(f"{title}: {text}" if title else text, blocks)
