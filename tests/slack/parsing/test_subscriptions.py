"""The subscription grammar: subscribe (channel, schedule, time, zone), unsubscribe, subscriptions."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.errors import BadRangeError, CommandError
from bot.slack.parsing import SubscribeCommand, SubscriptionsCommand, UnsubscribeCommand, parse_command
from bot.slack.parsing.values import zones
from tests.slack.parsing.refusals import assert_refused

VALID = [
    ("subscriptions", SubscriptionsCommand()),
    ("subscribe sla", SubscribeCommand(kind="sla")),
    ("subscribe sla <#C123ABC|general>", SubscribeCommand(kind="sla", channel_id="C123ABC")),
    ("subscribe sla <#C123ABC>", SubscribeCommand(kind="sla", channel_id="C123ABC")),
    ("subscribe sla to #Support", SubscribeCommand(kind="sla", channel_name="support")),
    ("subscribe sla daily", SubscribeCommand(kind="sla", cadence="daily")),
    ("subscribe sla weekdays at 09:00", SubscribeCommand(kind="sla", cadence="weekdays", at_time="09:00")),
    ("subscribe sla weekly monday", SubscribeCommand(kind="sla", cadence="weekly", weekday=0)),
    ("subscribe sla weekly on Fri", SubscribeCommand(kind="sla", cadence="weekly", weekday=4)),
    ("subscribe sla sunday", SubscribeCommand(kind="sla", cadence="weekly", weekday=6)),
    ("subscribe sla weekly wed at 9am", SubscribeCommand(kind="sla", cadence="weekly", weekday=2, at_time="09:00")),
    ("subscribe sla at 9:30pm", SubscribeCommand(kind="sla", at_time="21:30")),
    ("subscribe sla at 9 pm", SubscribeCommand(kind="sla", at_time="21:00")),
    ("subscribe sla at 12am", SubscribeCommand(kind="sla", at_time="00:00")),
    ("subscribe sla at 12pm", SubscribeCommand(kind="sla", at_time="12:00")),
    ("subscribe sla at 0730", SubscribeCommand(kind="sla", at_time="07:30")),
    ("subscribe sla at 7", SubscribeCommand(kind="sla", at_time="07:00")),
    ("subscribe sla 17:45", SubscribeCommand(kind="sla", at_time="17:45")),
    ("subscribe sla tz australia/sydney", SubscribeCommand(kind="sla", tz_name="Australia/Sydney")),
    ("subscribe sla tz new_york", SubscribeCommand(kind="sla", tz_name="America/New_York")),
    ("subscribe sla tz:UTC", SubscribeCommand(kind="sla", tz_name="UTC")),
    ("subscribe sla America/New_York", SubscribeCommand(kind="sla", tz_name="America/New_York")),
    (
        'subscribe nps "Customer NPS" <#C9|cs> weekly tue at 08:15 tz Europe/London',
        SubscribeCommand(
            kind="nps",
            form="Customer NPS",
            channel_id="C9",
            cadence="weekly",
            weekday=1,
            at_time="08:15",
            tz_name="Europe/London",
        ),
    ),
    ("subscribe nps 123 #cs", SubscribeCommand(kind="nps", form="123", channel_name="cs")),
    ("subscribe #cs nps", SubscribeCommand(kind="nps", channel_name="cs")),
    ("unsubscribe 12", UnsubscribeCommand(subscription_id=12)),
    ("unsubscribe #12", UnsubscribeCommand(subscription_id=12)),
]


@pytest.mark.parametrize("text,expected", VALID, ids=[t or "<empty>" for t, _ in VALID])
def test_parses(text, expected):
    assert parse_command(text) == expected


# (text, error class, words the message must contain, words the hint must contain)
INVALID = [
    ("subscriptions agent:x", CommandError, "doesn't take filters", "subscriptions"),
    ("subscribe", CommandError, "Say which digest: sla or nps", "subscribe sla|nps"),
    ("subscribe #support", CommandError, "Say which digest", "subscribe"),
    ("subscribe nsp", CommandError, "did you mean `nps`?", "subscribe"),
    ("subscribe sla weekly", CommandError, "`weekly` needs a day", "subscribe"),
    ("subscribe sla daily monday", CommandError, "`monday` doesn't go with `daily`", "subscribe"),
    ("subscribe sla weekly mon tue", CommandError, "one day, not two", "subscribe"),
    ("subscribe sla daily weekly mon", CommandError, "one schedule, not two", "subscribe"),
    ("subscribe sla at", CommandError, "`at` needs a time", "subscribe"),
    ("subscribe sla at noonish", CommandError, "`noonish` is not a time", "subscribe"),
    ("subscribe sla at 25:00", CommandError, "`25:00` is not a time", "subscribe"),
    ("subscribe sla at 13pm", CommandError, "`13pm` is not a time", "subscribe"),
    ("subscribe sla 9:75", CommandError, "`9:75` is not a time", "subscribe"),
    ("subscribe sla at 9am at 10am", CommandError, "one time, not two", "subscribe"),
    ("subscribe sla tz", CommandError, "`tz` needs a time zone", "Australia/Sydney"),
    ("subscribe sla tz australia/sydny", CommandError, "did you mean `Australia/Sydney`?", "IANA"),
    ("subscribe sla tz qqqqqqqq", CommandError, "`qqqqqqqq` is not a time zone", "IANA"),
    ("subscribe sla last-week", BadRangeError, "takes no range", "subscribe"),
    ("subscribe sla group:x", CommandError, "doesn't take filters", "subscribe"),
    ("subscribe sla form:3", CommandError, "`form:` only goes with `nps`", "nps"),
    ("subscribe sla 123", CommandError, "`123`", "subscribe"),
    ("subscribe sla #a #b", CommandError, "one channel, not two", "subscribe"),
    ("subscribe sla <#C1> #b", CommandError, "one channel, not two", "subscribe"),
    ("unsubscribe", CommandError, "Which subscription?", "/lexer subscriptions"),
    ("unsubscribe abc", CommandError, "`abc` is not a subscription number", "/lexer subscriptions"),
    ("unsubscribe 0", CommandError, "`0` is not a subscription number", "/lexer subscriptions"),
    ("unsubscribe 12 13", CommandError, "one subscription number, not two", "unsubscribe ID"),
    ("unsubscribe 12 please", CommandError, "`please`", "unsubscribe ID"),
]


@pytest.mark.parametrize("text,error,in_message,in_hint", INVALID, ids=[t for t, *_ in INVALID])
def test_refuses_with_a_pointed_message(text, error, in_message, in_hint):
    assert_refused(text, error, in_message, in_hint)


def test_every_zone_the_parser_can_give_is_one_zoneinfo_loads():
    """bot.features.subscriptions stores the parsed zone as it is: the parser is the only check."""
    by_key, by_city = zones()
    for key in {*by_key.values(), *by_city.values()}:
        assert ZoneInfo(key).key == key
