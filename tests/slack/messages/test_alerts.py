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


@pytest.mark.parametrize(
    "end_utc, zone",
    [
        # Sydney falls back at 03:00 AEDT on 5 April 2026 (16:00 UTC the day before): 03:30 AEST is 17:30 UTC
        (datetime(2026, 4, 4, 17, 30, tzinfo=timezone.utc), "Australia/Sydney"),
        # New York springs forward at 02:00 EST on 8 March 2026 (07:00 UTC)
        (datetime(2026, 3, 8, 8, 30, tzinfo=timezone.utc), "America/New_York"),
        (datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc), "America/New_York"),
    ],
)
@pytest.mark.parametrize("minutes", [60, 120, 180])
def test_window_timeframe_is_real_time_across_a_dst_change(end_utc, zone, minutes):
    """'The last 2 hours' is 2 hours by the clock on the wall of UTC, never 1 or 3, when DST changes inside it."""
    tf = window_timeframe(end_utc, minutes, ZoneInfo(zone))
    assert tf.end.astimezone(timezone.utc) - tf.start.astimezone(timezone.utc) == timedelta(minutes=minutes)
    assert tf.end.astimezone(timezone.utc) == end_utc
