"""bot.isotime: the one ISO-8601 format for stored and carried instants."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.isotime import parse_iso, to_iso, utcnow_iso

SYD = ZoneInfo("Australia/Sydney")


@pytest.mark.parametrize(
    "t,timespec,text",
    [
        (datetime(2024, 12, 2, 9, 0, 30, 123456, tzinfo=SYD), "seconds", "2024-12-01T22:00:30+00:00"),
        (datetime(2024, 12, 2, 9, 0, 30, 123456, tzinfo=SYD), "microseconds", "2024-12-01T22:00:30.123456+00:00"),
        (datetime(2024, 6, 1, tzinfo=timezone.utc), "microseconds", "2024-06-01T00:00:00.000000+00:00"),
    ],
)
def test_to_iso_is_utc_text(t, timespec, text):
    assert to_iso(t, timespec) == text


def test_utcnow_iso_takes_an_injected_now():
    assert utcnow_iso(datetime(2024, 1, 1, 11, tzinfo=SYD)) == "2024-01-01T00:00:00+00:00"
    now = datetime.fromisoformat(utcnow_iso())
    assert abs(now - datetime.now(timezone.utc)) < timedelta(seconds=5)


@pytest.mark.parametrize("text", [None, ""])
def test_parse_iso_of_nothing_is_none(text):
    assert parse_iso(text) is None
    assert parse_iso(text, lenient=True) is None


def test_parse_iso_round_trips():
    t = datetime(2024, 12, 2, 9, 0, tzinfo=SYD)
    assert parse_iso(to_iso(t)) == t


def test_parse_iso_strict_raises_on_bad_text():
    with pytest.raises(ValueError):
        parse_iso("soon")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("soon", None),
        ("2024-12-02T09:00:00", datetime(2024, 12, 2, 9, tzinfo=timezone.utc)),
        ("2024-12-02T09:00:00+11:00", datetime(2024, 12, 1, 22, tzinfo=timezone.utc)),
    ],
)
def test_parse_iso_lenient(text, expected):
    assert parse_iso(text, lenient=True) == expected
