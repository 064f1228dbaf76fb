"""Shared values: suggestions, times, durations, time zones, and when a typed snooze ends."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.errors import CommandError
from bot.slack.parsing import COMMANDS, Snooze, parse_command, snooze_end, suggest
from bot.slack.parsing.tokens import Item
from bot.slack.parsing.values import parse_duration, parse_time, parse_tz

UTC = timezone.utc
SYD = ZoneInfo("Australia/Sydney")
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 14:00 in Sydney


@pytest.mark.parametrize(
    "word,options,expected",
    [
        ("tema", COMMANDS, "team"),
        ("SUMMRY", COMMANDS, "summary"),
        ("frobnicate", COMMANDS, None),
        ("", COMMANDS, None),
        ("x" * 500, COMMANDS, None),
        ("of", ("on", "off"), "off"),
    ],
)
def test_suggest(word, options, expected):
    assert suggest(word, options) == expected


@pytest.mark.parametrize(
    "text,after_at,expected",
    [
        ("17:30", False, "17:30"),
        ("9am", False, "09:00"),
        ("5:30pm", False, "17:30"),
        ("12am", False, "00:00"),
        ("noon", False, "12:00"),
        ("9", False, None),
        ("9", True, "09:00"),
        ("0730", True, "07:30"),
        ("25:00", True, None),
        ("13pm", True, None),
    ],
)
def test_parse_time(text, after_at, expected):
    assert parse_time(text, after_at=after_at) == expected


@pytest.mark.parametrize(
    "text,expected",
    [("2h", 120), ("30m", 30), ("1d", 1440), ("1h30m", 90), ("2 hours", 120), ("2h2h", None), ("soon", None)],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


def test_parse_tz_takes_keys_and_cities_and_suggests():
    assert parse_tz(Item("word", "australia/sydney", "australia/sydney")) == "Australia/Sydney"
    assert parse_tz(Item("word", "new_york", "new_york")) == "America/New_York"
    with pytest.raises(CommandError, match="did you mean `Australia/Sydney`"):
        parse_tz(Item("word", "australia/sydny", "australia/sydny"))


# what `/lexer alerts snooze TEXT` typed at NOW in Sydney snoozes until
@pytest.mark.parametrize(
    "text, expected",
    [
        ("2h", NOW + timedelta(hours=2)),
        ("30m", NOW + timedelta(minutes=30)),
        ("1d", NOW + timedelta(days=1)),
        ("1h 30m", NOW + timedelta(minutes=90)),
        ("until 17:30", datetime(2026, 11, 26, 17, 30, tzinfo=SYD)),
        ("until 9:00", datetime(2026, 11, 27, 9, 0, tzinfo=SYD)),  # already past today: tomorrow
        ("until 5pm", datetime(2026, 11, 26, 17, 0, tzinfo=SYD)),
        ("off", None),
    ],
)
def test_snooze_end(text, expected):
    until = snooze_end(parse_command("alerts snooze " + text).snooze, NOW, SYD)
    assert until == expected
    assert until is None or until.tzinfo == UTC


# the snoozes the parser refuses (each with its own message: see test_alerts)
@pytest.mark.parametrize("text", ["", "soon", "until 25:00", "8d", "0m", "until 13pm", "until tomorrow"])
def test_snooze_refuses(text):
    with pytest.raises(CommandError):
        parse_command("alerts snooze " + text)


def test_snooze_until_a_time_skipped_by_dst_moves_forward():
    # Sydney skips 02:00-03:00 on 2026-10-04; at 01:00 local, `until 02:30` is 03:30 that morning
    now = datetime(2026, 10, 3, 15, 0, tzinfo=UTC)
    assert snooze_end(Snooze(until=time(2, 30)), now, SYD) == datetime(2026, 10, 4, 3, 30, tzinfo=SYD)


@pytest.mark.parametrize("kwargs", [{}, {"minutes": 5, "off": True}, {"minutes": 5, "until": time(9, 0)}])
def test_a_snooze_is_exactly_one_kind(kwargs):
    with pytest.raises(ValueError):
        Snooze(**kwargs)
