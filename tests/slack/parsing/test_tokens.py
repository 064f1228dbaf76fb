"""The tokenizer: quotes, key:value words, Slack links and mentions; what is quoted back."""

from __future__ import annotations

import pytest

from bot.errors import CommandError
from bot.slack.parsing import parse_command
from bot.slack.parsing.tokens import show, tokenize
from tests.slack.parsing.refusals import assert_refused

# (text, error class, words the message must contain, words the hint must contain)
INVALID = [
    ('team group:"Email Support', CommandError, "quote", 'group:"Email Support"'),
]


@pytest.mark.parametrize("text,error,in_message,in_hint", INVALID, ids=[t for t, *_ in INVALID])
def test_refuses_with_a_pointed_message(text, error, in_message, in_hint):
    assert_refused(text, error, in_message, in_hint)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("team last-week", [("word", "team"), ("word", "last-week")]),
        ('group:"Email Support"', [("kv", "Email Support", "group")]),
        ("group:“Email Support”", [("kv", "Email Support", "group")]),
        ('group: "Email Support"', [("kv", "Email Support", "group")]),
        ("agent:<mailto:jane@x.io|jane@x.io>", [("kv", "jane@x.io", "agent")]),
        ("group:R&amp;D", [("kv", "R&D", "group")]),
        ('"Customer NPS"', [("text", "Customer NPS")]),
        ('""', []),
        ("<#C123|general>", [("channel", "C123")]),
        ("#Support", [("channel_name", "support")]),
        ("<@U123|jane>", [("mention", "@U123|jane")]),
        ("grp:x", [("kv", "x", "grp")]),  # close to a filter key: a key, so the error can say `group:`
        ("note:x", [("word", "note:x")]),
    ],
)
def test_tokenize(text, expected):
    got = [(it.kind, it.text, it.key) if it.kind == "kv" else (it.kind, it.text) for it in tokenize(text)]
    assert got == expected


def test_show_cuts_long_words_and_hides_tokens():
    assert show("x" * 100) == "x" * 39 + "…"
    assert show("xoxb-1234") == "…"
    assert show("a`b") == "a'b"


@pytest.mark.parametrize(
    "text",
    [
        "xoxb-1234-5678-abcdef",
        "team xoxb-1234-5678-abcdef",
        "team 12345678-1234-1234-1234-123456789",
        "subscribe sla xapp-1-A0-123",
    ],
)
def test_a_pasted_token_is_never_echoed(text):
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert "xox" not in caught.value.message and "xapp" not in caught.value.message
    assert "12345678-1234" not in caught.value.message


def test_long_words_are_cut_short_in_messages():
    with pytest.raises(CommandError) as caught:
        parse_command("team " + "x" * 5000)
    assert len(caught.value.message) < 200
