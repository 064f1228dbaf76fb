"""The alerts grammar: on/off/status and the typed snooze."""

from __future__ import annotations

from datetime import time

import pytest

from bot.errors import CommandError
from bot.slack.parsing import AlertsCommand, Snooze, parse_command
from tests.slack.parsing.refusals import assert_refused

VALID = [
    ("alerts", AlertsCommand(action="status")),
    ("alerts status", AlertsCommand(action="status")),
    ("alerts off", AlertsCommand(action="off")),
    ("alerts on", AlertsCommand(action="on")),
    (
        "alerts on <#C1|support> window 1h min 5 high",
        AlertsCommand(action="on", channel_id="C1", window_minutes=60, min_count=5, sensitivity="high"),
    ),
    ("alerts on window 90m", AlertsCommand(action="on", window_minutes=90)),
    (
        "alerts on window:30m min:3 sensitivity:low",
        AlertsCommand(action="on", window_minutes=30, min_count=3, sensitivity="low"),
    ),
    ("alerts on sensitivity medium", AlertsCommand(action="on", sensitivity="normal")),
    ("alerts snooze 2h", AlertsCommand(action="snooze", snooze=Snooze(minutes=120))),
    ("alerts snooze 30m", AlertsCommand(action="snooze", snooze=Snooze(minutes=30))),
    ("alerts snooze 1d", AlertsCommand(action="snooze", snooze=Snooze(minutes=1440))),
    ("alerts snooze for 2 hours", AlertsCommand(action="snooze", snooze=Snooze(minutes=120))),
    ("alerts snooze 1h30m", AlertsCommand(action="snooze", snooze=Snooze(minutes=90))),
    ("alerts snooze until 17:30", AlertsCommand(action="snooze", snooze=Snooze(until=time(17, 30)))),
    ("alerts snooze until 5:30pm", AlertsCommand(action="snooze", snooze=Snooze(until=time(17, 30)))),
    ("alerts snooze off", AlertsCommand(action="snooze", snooze=Snooze(off=True))),
]


@pytest.mark.parametrize("text,expected", VALID, ids=[t or "<empty>" for t, _ in VALID])
def test_parses(text, expected):
    assert parse_command(text) == expected


# (text, error class, words the message must contain, words the hint must contain)
INVALID = [
    ("alerts of", CommandError, "did you mean `off`?", "alerts on"),
    ("alerts frob", CommandError, "use on, off, snooze or status", "alerts on"),
    ("alerts off now", CommandError, "`now`", "alerts off"),
    ("alerts status #x", CommandError, "channel", "alerts"),
    ("alerts on window", CommandError, "`window` needs a value", "alerts"),
    ("alerts on window 2m", CommandError, "`2m` is not a window", "alerts"),
    ("alerts on window 2d", CommandError, "`2d` is not a window", "alerts"),
    ("alerts on window ninety", CommandError, "`ninety` is not a window", "alerts"),
    ("alerts on min 0", CommandError, "`0` is not a breach count", "alerts"),
    ("alerts on min lots", CommandError, "`lots` is not a breach count", "alerts"),
    ("alerts on sensitivity extreme", CommandError, "`extreme` is not a sensitivity", "alerts"),
    ("alerts on low high", CommandError, "one sensitivity, not two", "alerts"),
    ("alerts on group:x", CommandError, "doesn't take filters", "alerts"),
    ("alerts on windw 1h", CommandError, "did you mean `window`?", "alerts"),
    ("alerts snooze", CommandError, "For how long?", "alerts snooze"),
    ("alerts snooze forever", CommandError, "`forever` is not a snooze", "alerts snooze"),
    ("alerts snooze 8d", CommandError, "at most 7 days", "alerts snooze"),
    ("alerts snooze 0m", CommandError, "`0m` is not a snooze", "alerts snooze"),
    ("alerts snooze until", CommandError, "is not a time", "alerts snooze"),
    ("alerts snooze until 25:00", CommandError, "`25:00` is not a time", "alerts snooze"),
    ("alerts snooze 2h2h", CommandError, "is not a snooze", "alerts snooze"),
]


@pytest.mark.parametrize("text,error,in_message,in_hint", INVALID, ids=[t for t, *_ in INVALID])
def test_refuses_with_a_pointed_message(text, error, in_message, in_hint):
    assert_refused(text, error, in_message, in_hint)
