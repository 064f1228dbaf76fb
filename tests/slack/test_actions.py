"""Button values: what a button carries comes back as it was sent."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.slack import actions

SYDNEY = timezone(timedelta(hours=11))


def test_every_action_id_is_a_distinct_lexer_id():
    ids = [v for k, v in vars(actions).items() if k.isupper()]
    assert len(ids) == len(set(ids)) == 11
    assert all(i.startswith("lexer.") for i in ids)


def test_alert_button_value_round_trip():
    value = actions.alert_button_value("C1", datetime(2026, 11, 26, 14, 0, 30, 999, tzinfo=SYDNEY), 60)
    assert value == '{"c":"C1","end":"2026-11-26T03:00:30+00:00","m":60}'
    assert actions.parse_alert_button_value(value, "COTHER") == {"c": "C1", "end": "2026-11-26T03:00:30+00:00", "m": 60}


@pytest.mark.parametrize("value", [None, "", "not json"])
def test_alert_button_without_a_value_means_the_clicked_channel(value):
    assert actions.parse_alert_button_value(value, "C9") == {"c": "C9"}


def test_channel_button_value():
    assert actions.channel_button_value("C1") == '{"c":"C1"}'
    assert actions.parse_button_channel(actions.channel_button_value("C1")) == "C1"
    assert actions.parse_button_channel(None) == actions.parse_button_channel("{]") == ""


def test_subscription_button_value():
    assert actions.parse_subscription_button_value(actions.subscription_button_value(12)) == 12
    with pytest.raises(ValueError):
        actions.parse_subscription_button_value(None)
