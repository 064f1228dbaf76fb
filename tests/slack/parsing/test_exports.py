"""The export grammar: a kind anywhere, then what the report of it takes."""

from __future__ import annotations

import pytest

from bot.errors import CommandError
from bot.slack.parsing import ExportCommand, parse_command
from tests.slack.parsing.refusals import assert_refused

VALID = [
    ("export cases", ExportCommand(kind="cases")),
    ("export cases last-week", ExportCommand(kind="cases", range_text="last-week")),
    ("export last-week cases", ExportCommand(kind="cases", range_text="last-week")),
    ("export responses yesterday group:Email", ExportCommand(kind="responses", range_text="yesterday", group="Email")),
    ("export sla", ExportCommand(kind="responses")),
    ("export nps", ExportCommand(kind="nps")),
    (
        "export nps 12 last-month detractors",
        ExportCommand(kind="nps", form="12", range_text="last-month", category="detractors"),
    ),
    ('export nps "Customer NPS"', ExportCommand(kind="nps", form="Customer NPS")),
]


@pytest.mark.parametrize("text,expected", VALID, ids=[t or "<empty>" for t, _ in VALID])
def test_parses(text, expected):
    assert parse_command(text) == expected


# (text, error class, words the message must contain, words the hint must contain)
INVALID = [
    ("export", CommandError, "Say what to export: cases, responses or nps", "export cases|responses"),
    ("export last-week", CommandError, "Say what to export", "export cases|responses"),
    ("export csaes", CommandError, "did you mean `cases`?", "export"),
    ("export frob", CommandError, "try cases, responses or nps", "export"),
    ("export cases responses", CommandError, "one kind, not two", "export"),
    ("export cases promoters", CommandError, "only goes with `nps`", "nps"),
    ("export cases 12", CommandError, "`12`", "export"),
]


@pytest.mark.parametrize("text,error,in_message,in_hint", INVALID, ids=[t for t, *_ in INVALID])
def test_refuses_with_a_pointed_message(text, error, in_message, in_hint):
    assert_refused(text, error, in_message, in_hint)
