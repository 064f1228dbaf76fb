"""The help grammar (pure): `help [COMMAND]`."""

from __future__ import annotations

from bot.errors import CommandError
from bot.slack.parsing.commands import HelpCommand
from bot.slack.parsing.grammar import unknown
from bot.slack.parsing.tokens import Item, show
from bot.slack.parsing.usage import COMMAND_ALIASES, COMMANDS, HINT_COMMANDS
from bot.slack.parsing.values import canonical, suggest

MSG_UNKNOWN_TOPIC = "There is no command `{word}` to explain — did you mean `{suggestion}`?"
MSG_UNKNOWN_TOPIC_PLAIN = "There is no command `{word}` to explain."


def parse_help(items: list[Item], *, public: bool) -> HelpCommand:
    """The words after `help`: at most one command name -> HelpCommand."""
    if not items:
        return HelpCommand(public=public)
    first = items[0]
    topic = canonical(first.word, COMMANDS, COMMAND_ALIASES)
    if topic is None:
        s = suggest(first.word or first.text, COMMANDS)
        msg = (
            MSG_UNKNOWN_TOPIC.format(word=show(first.raw), suggestion=s)
            if s
            else MSG_UNKNOWN_TOPIC_PLAIN.format(word=show(first.raw))
        )
        raise CommandError(msg, hint=HINT_COMMANDS)
    for it in items[1:]:
        raise unknown("help", it)
    return HelpCommand(topic=topic, public=public)
