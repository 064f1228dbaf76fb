"""parse_command: the first word picks the grammar; `public` anywhere; words that are no command."""

from __future__ import annotations

import pytest

from bot.errors import CommandError
from tests.slack.parsing.refusals import assert_refused

# (text, error class, words the message must contain, words the hint must contain)
INVALID = [
    ("frobnicate", CommandError, "`frobnicate` is not a command", "/lexer help"),
    ("tema last-week", CommandError, "`tema` is not a command — did you mean `team`?", "/lexer help"),
    ("subscription", CommandError, "did you mean `subscriptions`?", "summary"),
    ("last-week", CommandError, "Start with a command", "summary"),
    ("group:x", CommandError, "Start with a command", "summary"),
    ("<#C1|general>", CommandError, "is not a command", "/lexer help"),
]


@pytest.mark.parametrize("text,error,in_message,in_hint", INVALID, ids=[t for t, *_ in INVALID])
def test_refuses_with_a_pointed_message(text, error, in_message, in_hint):
    assert_refused(text, error, in_message, in_hint)
