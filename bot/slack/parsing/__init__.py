"""`/lexer` text -> a typed command (pure): the SPEC §4 grammar, with errors that say what to type.

Only CommandError (or BadRangeError) ever leaves parse_command: the listener shows
its message and hint to the user as they are, so every text here is short,
friendly and names the word that was wrong.

tokens (words) -> one grammar module per feature (reports, directory, help, exports,
subscriptions, alerts), using the shared values and grammar pieces -> commands.
"""

from __future__ import annotations

from bot.errors import CommandError
from bot.slack.parsing.alerts import ALERTS_ACTIONS, parse_alerts
from bot.slack.parsing.commands import (
    AgentDigestsCommand,
    AlertsCommand,
    Command,
    ExportCommand,
    HelpCommand,
    ListCommand,
    MyWeekCommand,
    ReportCommand,
    SubscribeCommand,
    SubscriptionsCommand,
    TargetsCommand,
    UnsubscribeCommand,
    is_admin_command,
)
from bot.slack.parsing.directory import LIST_COMMANDS, parse_list
from bot.slack.parsing.exports import EXPORT_KINDS, parse_export
from bot.slack.parsing.grammar import Fields, refuse_all
from bot.slack.parsing.help import parse_help
from bot.slack.parsing.reports import parse_report
from bot.slack.parsing.subscriptions import DIGEST_KINDS, parse_subscribe, parse_subscriptions, parse_unsubscribe
from bot.slack.parsing.targets import parse_agent_digests, parse_targets
from bot.slack.parsing.tokens import Item, show, tokenize
from bot.slack.parsing.usage import (
    ADMIN_COMMANDS,
    ALERTS_ADMIN_ACTIONS,
    COMMAND_ALIASES,
    COMMANDS,
    FILTER_COMMANDS,
    HELP_ORDER,
    HINT_COMMANDS,
    REPORT_COMMANDS,
    USAGE,
)
from bot.slack.parsing.values import (
    CADENCES,
    NPS_CATEGORIES,
    SENSITIVITIES,
    WEEKDAY_WORDS,
    Snooze,
    canonical,
    is_range,
    snooze_end,
    suggest,
)
from bot.slack.parsing.workspaces import (
    WorkspaceCommand,
    holds_secret,
    is_connect_with_more,
    parse_admins,
    parse_connect,
)

__all__ = [
    "holds_secret",
    "is_connect_with_more",
    "AgentDigestsCommand",
    "ADMIN_COMMANDS",
    "ALERTS_ACTIONS",
    "ALERTS_ADMIN_ACTIONS",
    "CADENCES",
    "COMMANDS",
    "DIGEST_KINDS",
    "EXPORT_KINDS",
    "FILTER_COMMANDS",
    "HELP_ORDER",
    "LIST_COMMANDS",
    "NPS_CATEGORIES",
    "REPORT_COMMANDS",
    "SENSITIVITIES",
    "USAGE",
    "WEEKDAY_WORDS",
    "AlertsCommand",
    "Command",
    "ExportCommand",
    "HelpCommand",
    "ListCommand",
    "MyWeekCommand",
    "ReportCommand",
    "Snooze",
    "SubscribeCommand",
    "SubscriptionsCommand",
    "TargetsCommand",
    "UnsubscribeCommand",
    "WorkspaceCommand",
    "is_admin_command",
    "parse_command",
    "snooze_end",
    "suggest",
]

MSG_UNKNOWN_COMMAND = "`{word}` is not a command — did you mean `{suggestion}`?"
MSG_UNKNOWN_COMMAND_PLAIN = "`{word}` is not a command."
MSG_NEEDS_COMMAND = "Start with a command, then `{word}` — e.g. `/lexer summary {word}`."


def _command_name(item: Item) -> str:
    """The first word as a command name; CommandError with the closest name if it is none."""
    name = canonical(item.word, COMMANDS, COMMAND_ALIASES)
    if name is not None:
        return name
    if is_range(item) or item.kind == "kv":
        raise CommandError(MSG_NEEDS_COMMAND.format(word=show(item.raw)), hint=HINT_COMMANDS)
    s = suggest((item.word or "").replace("_", "-"), COMMANDS)
    msg = (
        MSG_UNKNOWN_COMMAND.format(word=show(item.raw), suggestion=s)
        if s
        else MSG_UNKNOWN_COMMAND_PLAIN.format(word=show(item.raw))
    )
    raise CommandError(msg, hint=HINT_COMMANDS)


def parse_command(text: str) -> Command:
    """`/lexer` text -> its command; CommandError (or BadRangeError) says what is wrong and how to write it."""
    items = tokenize(text or "")
    public = any(it.word == "public" for it in items)
    items = [it for it in items if it.word != "public"]
    if not items:
        return HelpCommand(public=public)
    name = _command_name(items[0])
    rest = items[1:]
    if name != "help" and any(it.word in ("help", "?", "--help") for it in rest):
        return HelpCommand(topic=name, public=public)
    if name in REPORT_COMMANDS:
        return parse_report(name, rest, public=public)
    if name in LIST_COMMANDS:
        return parse_list(name, rest, public=public)
    if name == "help":
        return parse_help(rest, public=public)
    if name == "export":
        return parse_export(rest, public=public)
    if name == "subscribe":
        return parse_subscribe(rest, public=public)
    if name == "unsubscribe":
        return parse_unsubscribe(rest, public=public)
    if name == "subscriptions":
        return parse_subscriptions(rest, public=public)
    if name == "alerts":
        return parse_alerts(rest, public=public)
    if name in ("connect", "disconnect"):
        return parse_connect(name, rest, public=public)
    if name == "admins":
        return parse_admins(rest, public=public)
    if name == "targets":
        return parse_targets(rest, public=public)
    if name == "agent-digests":
        return parse_agent_digests(rest, public=public)
    if name == "my-week":
        refuse_all(Fields("my-week"), rest)
        return MyWeekCommand(public=public)
    raise AssertionError(f"no grammar for `{name}`")  # COMMANDS names one of the grammars above
