"""The directory grammar: users, groups, forms take nothing but `public`."""

from __future__ import annotations

import pytest

from bot.errors import BadRangeError, CommandError
from bot.slack.parsing import ListCommand, parse_command
from tests.slack.parsing.refusals import assert_refused

VALID = [
    ("users", ListCommand("users")),
    ("groups public", ListCommand("groups", public=True)),
    ("forms", ListCommand("forms")),
]


@pytest.mark.parametrize("text,expected", VALID, ids=[t or "<empty>" for t, _ in VALID])
def test_parses(text, expected):
    assert parse_command(text) == expected


# (text, error class, words the message must contain, words the hint must contain)
INVALID = [
    ("users group:x", CommandError, "`users` doesn't take filters like `group:x`", "users [public]"),
    ("groups last-week", BadRangeError, "`groups` doesn't take a range", "groups"),
    ("forms foo", CommandError, "`foo`", "forms"),
]


@pytest.mark.parametrize("text,error,in_message,in_hint", INVALID, ids=[t for t, *_ in INVALID])
def test_refuses_with_a_pointed_message(text, error, in_message, in_hint):
    assert_refused(text, error, in_message, in_hint)
