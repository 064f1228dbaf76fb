"""App Home: the view (pure) and the Home tab end to end against the Slack stand-in."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot import home
from bot.sandbox.slack_standin import render_message_text
from bot.slack.blocks import validate_view
from tests.conftest import ADMIN, CHANNEL, USER_SYDNEY, utc, wait_for

SYD = ZoneInfo("Australia/Sydney")
NOW = utc(2026, 1, 14, 21, 0)


def sub_row(
    id=1,
    kind="sla",
    channel_id=CHANNEL,
    cadence="daily",
    weekday=None,
    at_time="09:00",
    tz="Australia/Sydney",
    paused=False,
    broken_reason=None,
    next_run=datetime(2026, 1, 15, 9, tzinfo=SYD),
    **extra,
) -> dict:
    return {
        "id": id,
        "kind": kind,
        "form_id": None,
        "channel_id": channel_id,
        "cadence": cadence,
        "weekday": weekday,
        "at_time": at_time,
        "tz": tz,
        "created_by": ADMIN,
        "paused": paused,
        "broken_reason": broken_reason,
        "next_run": None if paused or broken_reason else next_run,
        **extra,
    }


def alert_row(channel_id=CHANNEL, snoozed_until=None, open_episode=None) -> dict:
    return {
        "channel_id": channel_id,
        "enabled": 1,
        "window_minutes": 60,
        "min_count": 5,
        "sensitivity": "normal",
        "snoozed_until": snoozed_until,
        "open_episode": open_episode,
    }


def data(**kw) -> home.HomeData:
    values = dict(
        user_id=ADMIN,
        is_admin=True,
        now=NOW,
        tz=SYD,
        today=home.TodayNumbers(120, 96, 7, 1290.0, words="today (Thu 15 Jan 2026)"),
    )
    values.update(kw)
    return home.HomeData(**values)


def texts(view: dict) -> str:
    return render_message_text({"blocks": view["blocks"]})


def action_ids(view: dict) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for blk in view["blocks"] if blk["type"] == "actions" for e in blk["elements"]]


def channel_value(channel: str = CHANNEL) -> str:
    return json.dumps({"c": channel}, separators=(",", ":"))


# ------------------------------------------------------------------ the view (pure)


@pytest.mark.parametrize(
    "sub, text",
    [
        (sub_row(), "every day at 09:00 (Australia/Sydney)"),
        (sub_row(cadence="weekdays", at_time="08:05"), "weekdays at 08:05 (Australia/Sydney)"),
        (sub_row(cadence="weekly", weekday=4, tz="UTC"), "every Friday at 09:00 (UTC)"),
    ],
)
def test_schedule_text(sub, text):
    assert home.schedule_text(sub) == text


def test_view_shows_today_subscriptions_alerts_and_how_to():
    episode = {"started_at": "2026-01-14T20:00:00+00:00", "last_count": 14}
    view = home.home_view(
        data(
            subscriptions=[
                sub_row(1),
                sub_row(2, kind="nps", form_id=3, paused=True),
                sub_row(3, broken_reason="is_archived"),
            ],
            alerts=[alert_row(open_episode=episode)],
        )
    )
    validate_view(view)
    out = texts(view)
    for expected in (
        "Today so far",
        "120",
        "96",
        "7 (7% of responses)",
        "21m 30s",
        "#1 · SLA digest",
        "Next: Thu 15 Jan 09:00 AEDT",
        "NPS digest (form 3)",
        "Paused",
        "Stopped: the channel is archived",
        "Spike in progress",
        "14 breaches",
        "1h window",
        "/lexer team last-week",
    ):
        assert expected in out, expected
    assert action_ids(view) == [
        (home.PAUSE, "1"),
        (home.DELETE, "1"),
        (home.RESUME, "2"),
        (home.DELETE, "2"),
        (home.PAUSE, "3"),
        (home.DELETE, "3"),
        (home.SNOOZE_1H, channel_value()),
        (home.SNOOZE_TOMORROW, channel_value()),
    ]
    delete = next(
        e
        for blk in view["blocks"]
        if blk["type"] == "actions"
        for e in blk["elements"]
        if e["action_id"] == home.DELETE
    )
    assert delete["confirm"]["confirm"]["text"] == "Delete"


def test_non_admins_see_no_buttons():
    view = home.home_view(data(is_admin=False, subscriptions=[sub_row(1)], alerts=[alert_row()]))
    validate_view(view)
    assert action_ids(view) == []
    assert "#1 · SLA digest" in texts(view)


def test_snoozed_alert_offers_end_snooze():
    view = home.home_view(data(alerts=[alert_row(snoozed_until="2026-01-14T23:00:00+00:00")]))
    assert action_ids(view) == [(home.UNSNOOZE, channel_value())]
    assert "Snoozed until" in texts(view)


def test_today_error_is_a_sentence():
    view = home.home_view(data(today=home.TodayNumbers(error="Could not load today's numbers: Lexer is down.")))
    validate_view(view)
    assert "Lexer is down" in texts(view)


@pytest.mark.parametrize("n_subs, n_alerts, admin", [(0, 0, True), (40, 0, True), (300, 60, True), (300, 60, False)])
def test_view_stays_within_slack_limits(n_subs, n_alerts, admin):
    subs = [sub_row(i, broken_reason="x" * 3000 if i % 2 else None) for i in range(1, n_subs + 1)]
    alerts = [alert_row(f"C{i:08d}") for i in range(n_alerts)]
    view = home.home_view(data(is_admin=admin, subscriptions=subs, alerts=alerts, notice="hello", sandbox=True))
    validate_view(view)
    assert len(view["blocks"]) <= 100
    if n_subs > 25:
        assert "/lexer subscriptions" in texts(view)
    if n_alerts > 10:
        assert "/lexer alerts status" in texts(view)


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
    return bot.runtime.store.db["subscriptions"].count


def test_home_tab_is_published_on_open(bot):
    sub_id = subscribe(bot)
    view = open_home(bot, USER_SYDNEY)
    validate_view(view)
    out = texts(view)
    assert "Today so far" in out and "Volume" in out and "Median wait" in out
    assert f"#{sub_id} · SLA digest" in out and "weekdays at 09:00" in out and "Next: " in out
    assert action_ids(view) == []  # not an admin
    assert bot.slack.app.calls_to("views.publish")[-1].params["user_id"] == USER_SYDNEY


def test_admin_pauses_resumes_and_deletes_from_home(bot):
    sub_id = subscribe(bot)
    view = open_home(bot, ADMIN)
    assert (home.PAUSE, str(sub_id)) in action_ids(view)

    view = click(bot, ADMIN, home.PAUSE, str(sub_id))
    assert bot.runtime.store.db["subscriptions"].get(sub_id)["paused"] == 1
    assert (home.RESUME, str(sub_id)) in action_ids(view)
    assert f"Paused digest #{sub_id}" in texts(view)

    view = click(bot, ADMIN, home.RESUME, str(sub_id))
    assert bot.runtime.store.db["subscriptions"].get(sub_id)["paused"] == 0
    assert (home.PAUSE, str(sub_id)) in action_ids(view)

    view = click(bot, ADMIN, home.DELETE, str(sub_id))
    assert bot.runtime.store.db["subscriptions"].count == 0
    assert "No channel gets a digest yet" in texts(view)
    actions = [r["action"] for r in bot.runtime.store.db["audit_log"].rows_where("detail like '%home%'")]
    assert actions == ["subscription.pause", "subscription.resume", "unsubscribe"]


def test_non_admin_buttons_change_nothing(bot):
    sub_id = subscribe(bot)
    view = click(bot, USER_SYDNEY, home.DELETE, str(sub_id))
    assert bot.runtime.store.db["subscriptions"].count == 1
    assert "Only lexer-bot admins" in texts(view)
    view = click(bot, USER_SYDNEY, home.UNSNOOZE, channel_value())
    assert "Only lexer-bot admins" in texts(view)


def test_snooze_and_end_snooze_from_home(bot):
    bot.command(f"alerts on <#{CHANNEL}|general>", user_id=ADMIN)
    view = open_home(bot, ADMIN)
    assert (home.SNOOZE_1H, channel_value()) in action_ids(view)

    now = datetime.now(timezone.utc)
    view = click(bot, ADMIN, home.SNOOZE_1H, channel_value())
    until = datetime.fromisoformat(bot.runtime.store.db["alert_configs"].get(CHANNEL)["snoozed_until"])
    assert now + timedelta(minutes=50) < until < now + timedelta(minutes=70)
    out = texts(view)
    assert "snoozed until" in out.lower() and "Snoozed until" in out
    assert action_ids(view) == [(home.UNSNOOZE, channel_value())]

    view = click(bot, ADMIN, home.UNSNOOZE, channel_value())
    assert bot.runtime.store.db["alert_configs"].get(CHANNEL)["snoozed_until"] is None
    assert "no longer snoozed" in texts(view)
    assert (home.SNOOZE_1H, channel_value()) in action_ids(view)
