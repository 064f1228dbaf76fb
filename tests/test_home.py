"""App Home end to end against the Slack stand-in (the view itself: tests/slack/messages/test_home.py)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.slack import actions
from bot.slack.blocks import validate_view
from bot.slack.text import render_message_text
from tests.conftest import ADMIN, CHANNEL, USER_SYDNEY, utc, wait_for

SYD = ZoneInfo("Australia/Sydney")
NOW = utc(2026, 1, 14, 21, 0)


def texts(view: dict) -> str:
    return render_message_text({"blocks": view["blocks"]})


def action_ids(view: dict) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for blk in view["blocks"] if blk["type"] == "actions" for e in blk["elements"]]


def channel_value(channel: str = CHANNEL) -> str:
    return json.dumps({"c": channel}, separators=(",", ":"))


# ------------------------------------------------------------------ end to end (signed requests, stand-in)


def open_home(bot, user_id: str) -> dict:
    before = len(bot.slack.app.views(user_id))
    r = bot.event(
        {
            "type": "app_home_opened",
            "user": user_id,
            "channel": "D" + user_id[1:],
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
    )
    assert r.status_code == 200
    return wait_for(lambda: bot.slack.app.views(user_id)[before:] and bot.slack.app.views(user_id)[-1])


def click(bot, user_id: str, action_id: str, value: str) -> dict:
    """A button on the Home tab, as Slack sends it; returns the republished view."""
    before = len(bot.slack.app.views(user_id))
    payload = {
        "type": "block_actions",
        "token": "legacy",
        "api_app_id": "A0TEST",
        "trigger_id": "1.2.abc",
        "team": {"id": "T0TEST", "domain": "test"},
        "user": {"id": user_id, "username": "someone", "team_id": "T0TEST"},
        "container": {"type": "view", "view_id": "V0HOME"},
        "view": {
            "id": "V0HOME",
            "type": "home",
            "callback_id": "lexer.home",
            "blocks": [],
            "private_metadata": "",
            "state": {"values": {}},
            "hash": "1.2",
        },
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "text": {"type": "plain_text", "text": "x"},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    r = bot.action(payload)
    assert r.status_code == 200, r.text
    return wait_for(lambda: bot.slack.app.views(user_id)[before:] and bot.slack.app.views(user_id)[-1])


def subscribe(bot) -> int:
    reply = bot.command(f"subscribe sla <#{CHANNEL}|general> weekdays at 09:00", user_id=ADMIN)
    assert "digest" in json.dumps(reply).lower()
    return bot.deps.store.db["subscriptions"].count


def test_home_tab_is_published_on_open(bot):
    sub_id = subscribe(bot)
    view = open_home(bot, USER_SYDNEY)
    validate_view(view)
    out = texts(view)
    assert "Today so far" in out and "Volume" in out and "Median wait" in out
    assert f"#{sub_id} · SLA digest" in out and "weekdays at 09:00" in out and "Next: " in out
    assert action_ids(view) == []  # not an admin
    assert bot.slack.app.calls_to("views.publish")[-1].params["user_id"] == USER_SYDNEY


@pytest.mark.both_databases
def test_admin_pauses_resumes_and_deletes_from_home(bot):
    sub_id = subscribe(bot)
    view = open_home(bot, ADMIN)
    assert (actions.HOME_PAUSE, str(sub_id)) in action_ids(view)

    view = click(bot, ADMIN, actions.HOME_PAUSE, str(sub_id))
    assert bot.deps.store.db["subscriptions"].get(sub_id)["paused"] == 1
    assert (actions.HOME_RESUME, str(sub_id)) in action_ids(view)
    assert f"Paused digest #{sub_id}" in texts(view)

    view = click(bot, ADMIN, actions.HOME_RESUME, str(sub_id))
    assert bot.deps.store.db["subscriptions"].get(sub_id)["paused"] == 0
    assert (actions.HOME_PAUSE, str(sub_id)) in action_ids(view)

    view = click(bot, ADMIN, actions.HOME_DELETE, str(sub_id))
    assert bot.deps.store.db["subscriptions"].count == 0
    assert "No channel gets a digest yet" in texts(view)
    audited = [r["action"] for r in bot.deps.store.db["audit_log"].rows_where("detail like '%home%'")]
    assert audited == ["subscription.pause", "subscription.resume", "unsubscribe"]


def test_non_admin_buttons_change_nothing(bot):
    sub_id = subscribe(bot)
    view = click(bot, USER_SYDNEY, actions.HOME_DELETE, str(sub_id))
    assert bot.deps.store.db["subscriptions"].count == 1
    assert "Only lexer-bot admins" in texts(view)
    view = click(bot, USER_SYDNEY, actions.HOME_UNSNOOZE, channel_value())
    assert "Only lexer-bot admins" in texts(view)


def test_snooze_and_end_snooze_from_home(bot):
    bot.command(f"alerts on <#{CHANNEL}|general>", user_id=ADMIN)
    view = open_home(bot, ADMIN)
    assert (actions.ALERT_SNOOZE_1H, channel_value()) in action_ids(view)

    now = datetime.now(timezone.utc)
    view = click(bot, ADMIN, actions.ALERT_SNOOZE_1H, channel_value())
    until = datetime.fromisoformat(bot.deps.store.alerts.config(CHANNEL)["snoozed_until"])
    assert now + timedelta(minutes=50) < until < now + timedelta(minutes=70)
    out = texts(view)
    assert "snoozed until" in out.lower() and "Snoozed until" in out
    assert action_ids(view) == [(actions.HOME_UNSNOOZE, channel_value())]

    view = click(bot, ADMIN, actions.HOME_UNSNOOZE, channel_value())
    assert bot.deps.store.alerts.config(CHANNEL)["snoozed_until"] is None
    assert "no longer snoozed" in texts(view)
    assert (actions.ALERT_SNOOZE_1H, channel_value()) in action_ids(view)


def test_a_digest_that_could_not_be_posted_shows_on_home_for_its_creator(bot):
    """Failed before: a failed run showed nowhere; its creator (and admins) now see which digest, where, what to do."""
    sub_id = subscribe(bot)
    runs = bot.deps.store.digest_runs
    now = datetime.now(timezone.utc)
    run_id = runs.claim(sub_id, (now - timedelta(hours=1)).isoformat(timespec="seconds"), "proc", now)
    assert runs.fail(run_id, "proc", now, "service_unavailable")
    view = open_home(bot, ADMIN)
    validate_view(view)
    out = texts(view)
    assert f"digest #{sub_id}" in out and "was not posted" in out and "service_unavailable" in out
    assert "/lexer sla" in out
    assert "was not posted" not in texts(open_home(bot, USER_SYDNEY))  # neither its creator nor an admin
