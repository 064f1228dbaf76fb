"""The help grammar, and `COMMAND help` / an empty text becoming help."""

from __future__ import annotations

import pytest

from bot.errors import CommandError
from bot.slack.parsing import HelpCommand, parse_command
from tests.slack.parsing.refusals import assert_refused

VALID = [
    ("", HelpCommand()),
    ("   ", HelpCommand()),
    ("help", HelpCommand()),
    ("HELP", HelpCommand()),
    ("?", HelpCommand()),
    ("help team", HelpCommand(topic="team")),
    ("help sla", HelpCommand(topic="summary")),
    ("help public", HelpCommand(public=True)),
    ("public", HelpCommand(public=True)),
    ("team help", HelpCommand(topic="team")),
    ("subscribe sla help", HelpCommand(topic="subscribe")),
]


@pytest.mark.parametrize("text,expected", VALID, ids=[t or "<empty>" for t, _ in VALID])
def test_parses(text, expected):
    assert parse_command(text) == expected


# (text, error class, words the message must contain, words the hint must contain)
INVALID = [
    ("help frob", CommandError, "no command `frob`", "/lexer help"),
    ("help team extra", CommandError, "`extra`", "help [COMMAND]"),
]


@pytest.mark.parametrize("text,error,in_message,in_hint", INVALID, ids=[t for t, *_ in INVALID])
def test_refuses_with_a_pointed_message(text, error, in_message, in_hint):
    assert_refused(text, error, in_message, in_hint)
