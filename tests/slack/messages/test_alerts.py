"""The alert messages (pure): `/lexer alerts status` from stored state, and the button values."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.slack.messages.alerts import status_message, window_timeframe
from tests.conftest import CHANNEL

UTC = timezone.utc
SYD = ZoneInfo("Australia/Sydney")
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 14:00 in Sydney


def text_of(reply: dict) -> str:
    return json.dumps(reply.get("blocks") or []) + reply.get("text", "")


def test_status_message_from_stored_state():
    config = {
        "channel_id": CHANNEL,
        "enabled": 1,
        "window_minutes": 60,
        "min_count": 5,
        "sensitivity": "normal",
        "snoozed_until": (NOW + timedelta(hours=1)).isoformat(),
    }
    sample = {
        "status": "ok",
        "window_end": NOW.isoformat(),
        "broke_sla": 12,
        "responded": 40,
        "expected": 3.5,
        "expected_fraction": 0.1,
    }
    firing = {
        "started_at": (NOW - timedelta(minutes=20)).isoformat(),
        "state": "firing",
        "last_count": 12,
        "resolved_at": None,
    }
    text = text_of(status_message(CHANNEL, config, sample, firing, firing, NOW, SYD))
    for part in (
        "spiking since 13:40",
        "12 breaches in the last hour",
        "about 3.5",
        "30% of 40 replies",
        "usually 10%",
        "until 15:00",
        "ongoing",
    ):
        assert part in text, part


WINDOW_END = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # 21:00 in Sydney


@pytest.mark.parametrize(
    "minutes, text, words, start",
    [
        (60, "last-1h", "the last hour", datetime(2026, 11, 26, 20, 0, tzinfo=SYD)),
        (120, "last-2h", "the last 2 hours", datetime(2026, 11, 26, 19, 0, tzinfo=SYD)),
        (30, "last-30m", "the last 30 minutes", datetime(2026, 11, 26, 20, 30, tzinfo=SYD)),
    ],
)
def test_window_timeframe(minutes, text, words, start):
    tf = window_timeframe(WINDOW_END + timedelta(microseconds=5), minutes, SYD)
    assert (tf.text, tf.words, tf.start, tf.end) == (text, words, start, datetime(2026, 11, 26, 21, 0, tzinfo=SYD))
    assert tf.tz_name == "Australia/Sydney"
