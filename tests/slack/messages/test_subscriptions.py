"""The subscription replies (pure): list lines, the list, subscribe and unsubscribe."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.slack.blocks import validate_message
from bot.slack.messages.subscriptions import (
    MAX_LIST_LINES,
    subscribed_message,
    subscription_line,
    subscriptions_message,
    unsubscribed_message,
    when_words,
)
from bot.store.subscriptions import Subscription

SYD = ZoneInfo("Australia/Sydney")
NEXT = datetime(2026, 12, 2, 9, 0, tzinfo=SYD)


def sub(**kw) -> Subscription:
    values = dict(id=3, kind="sla", form_id=None, channel_id="C1", cadence="weekdays", weekday=None)
    values.update(at_time="09:00", tz="Australia/Sydney")
    values.update(kw)
    return Subscription(**values)


def test_when_words():
    assert when_words(NEXT) == "Wed 2 Dec 09:00 AEDT"


def test_subscription_lines():
    assert subscription_line(sub(), NEXT) == (
        "`3` SLA digest in <#C1>, weekdays at 09:00 Australia/Sydney · next: Wed 2 Dec 09:00 AEDT"
    )
    assert subscription_line(sub(kind="nps", form_id=55, paused=True), None).endswith(
        "`3` NPS digest (form 55) in <#C1>, weekdays at 09:00 Australia/Sydney · paused"
    )
    assert subscription_line(sub(broken_reason="is_archived"), None).endswith(
        "· :warning: stopped: the channel is archived — invite the bot (`/invite @lexer`) and subscribe again"
    )


def test_subscriptions_message_cuts_long_lists():
    empty = subscriptions_message([])
    validate_message(empty)
    assert "No digests are scheduled" in empty["text"]
    many = subscriptions_message([f"line {i}" for i in range(MAX_LIST_LINES + 5)])
    validate_message(many)
    assert many["blocks"][0]["text"]["text"] == "Digest subscriptions"
    assert many["blocks"][1]["text"]["text"].endswith(f"line {MAX_LIST_LINES - 1}\n…and 5 more")


def test_subscribe_and_unsubscribe_replies():
    text = subscribed_message(sub(kind="nps", form_id=55), "Post-chat & <co>", NEXT)["blocks"][0]["text"]["text"]
    assert text == (
        ":white_check_mark: <#C1> will get the NPS digest for *Post-chat &amp; &lt;co&gt;* weekdays at 09:00 "
        "(Australia/Sydney).\nSubscription `3` · next: Wed 2 Dec 09:00 AEDT"
    )
    assert (
        unsubscribed_message(sub())["text"] == ":no_bell: <#C1> will no longer get the SLA digest (subscription `3`)."
    )
