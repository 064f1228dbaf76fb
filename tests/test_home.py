"""App Home: the view (pure) and the Home tab end to end against the Slack stand-in."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot import home
from bot.slack.blocks import validate_view
from bot.store import utcnow_iso
from tests.conftest import ADMIN, CHANNEL, USER_SYDNEY, utc, wait_for

SYD = ZoneInfo("Australia/Sydney")


def sub_row(id=1, kind="sla", channel_id=CHANNEL, cadence="daily", weekday=None, at_time="09:00",
            tz="Australia/Sydney", paused=0, **extra) -> dict:
    return {"id": id, "kind": kind, "form_id": None, "channel_id": channel_id, "cadence": cadence,
            "weekday": weekday, "at_time": at_time, "tz": tz, "created_by": ADMIN,
            "created_at": "2026-01-01T00:00:00+00:00", "paused": paused, "broken_reason": None, **extra}


# ------------------------------------------------------------------ next run (pure)

@pytest.mark.parametrize("sub, now, expected", [
    # daily, before and after the time (Sydney is UTC+11 in January)
    (sub_row(), utc(2026, 1, 14, 21, 0), datetime(2026, 1, 15, 9, 0, tzinfo=SYD)),
    (sub_row(), utc(2026, 1, 14, 23, 0), datetime(2026, 1, 16, 9, 0, tzinfo=SYD)),
    # weekdays: Friday after the time -> Monday
    (sub_row(cadence="weekdays"), utc(2026, 1, 16, 0, 0), datetime(2026, 1, 19, 9, 0, tzinfo=SYD)),
    # weekly on Wednesday (2), asked on a Thursday
    (sub_row(cadence="weekly", weekday=2), utc(2026, 1, 15, 0, 0), datetime(2026, 1, 21, 9, 0, tzinfo=SYD)),
    # New York spring-forward: 02:30 does not exist on 8 Mar 2026, the clock moves it to 03:30
    (sub_row(at_time="02:30", tz="America/New_York"), utc(2026, 3, 8, 5, 0),
     datetime(2026, 3, 8, 3, 30, tzinfo=ZoneInfo("America/New_York"))),
    (sub_row(paused=1), utc(2026, 1, 14, 21, 0), None),
])
def test_next_run(sub, now, expected):
    got = home.next_run(sub, now)
    assert got == expected
    if got is not None:
        assert got > now


@pytest.mark.parametrize("sub, text", [
    (sub_row(), "every day at 09:00 (Australia/Sydney)"),
    (sub_row(cadence="weekdays", at_time="8:05"), "weekdays at 08:05 (Australia/Sydney)"),
    (sub_row(cadence="weekly", weekday=4, tz="UTC"), "every Friday at 09:00 (UTC)"),
])
def test_schedule_text(sub, text):
    assert home.schedule_text(sub) == text


# ------------------------------------------------------------------ the view (pure)

def data(**kw) -> home.HomeData:
    values = dict(user_id=ADMIN, is_admin=True, now=utc(2026, 1, 14, 21, 0), tz=SYD,
                  today=home.TodayNumbers(120, 96, 7, 1290.0, words="today (Thu 15 Jan 2026)"))
    values.update(kw)
    return home.HomeData(**values)


def texts(view: dict) -> str:
    from bot.sandbox.slack_standin import render_message_text
    return render_message_text({"blocks": view["blocks"]})


def action_ids(view: dict) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for blk in view["blocks"] if blk["type"] == "actions"
            for e in blk["elements"]]


def test_view_shows_today_subscriptions_alerts_and_how_to():
    alert = {"channel_id": CHANNEL, "enabled": 1, "window_minutes": 60, "min_count": 5, "sensitivity": "normal",
             "snoozed_until": None, "open_episode": {"started_at": "2026-01-14T20:00:00+00:00", "last_count": 14}}
    view = home.home_view(data(subscriptions=[sub_row(1), sub_row(2, kind="nps", form_id=3, paused=1)],
                               alerts=[alert]))
    validate_view(view)
    out = texts(view)
    for expected in ("Today so far", "120", "96", "7 (7% of responses)", "21m 30s", "#1 · SLA digest",
                     "NPS digest (form 3)", "Paused", "Spike in progress", "14 breaches", "/lexer team last-week"):
        assert expected in out, expected
    assert action_ids(view) == [(home.PAUSE, "1"), (home.DELETE, "1"), (home.RESUME, "2"), (home.DELETE, "2"),
                                (home.SNOOZE, CHANNEL)]


def test_non_admins_see_no_buttons():
    view = home.home_view(data(is_admin=False, subscriptions=[sub_row(1)],
                               alerts=[{"channel_id": CHANNEL, "enabled": 1, "open_episode": None}]))
    validate_view(view)
    assert action_ids(view) == []
    assert "#1 · SLA digest" in texts(view)


def test_snoozed_alert_offers_unsnooze():
    alert = {"channel_id": CHANNEL, "enabled": 1, "snoozed_until": "2026-01-14T23:00:00+00:00", "open_episode": None}
    view = home.home_view(data(alerts=[alert]))
    assert action_ids(view) == [(home.UNSNOOZE, CHANNEL)]
    assert "Snoozed until" in texts(view)


def test_today_error_is_a_sentence():
    view = home.home_view(data(today=home.TodayNumbers(error="Could not load today's numbers: Lexer is down.")))
    validate_view(view)
    assert "Lexer is down" in texts(view)


@pytest.mark.parametrize("n_subs, n_alerts, admin", [(0, 0, True), (40, 0, True), (300, 60, True), (300, 60, False)])
def test_view_stays_within_slack_limits(n_subs, n_alerts, admin):
    subs = [sub_row(i, broken_reason="not_in_channel " * 50) for i in range(1, n_subs + 1)]
    alerts = [{"channel_id": f"C{i:08d}", "enabled": 1, "open_episode": None} for i in range(n_alerts)]
    view = home.home_view(data(is_admin=admin, subscriptions=subs, alerts=alerts, notice="hello", sandbox=True))
    validate_view(view)
    assert len(view["blocks"]) <= 100
    if n_subs > 25:
        assert "/lexer subscriptions" in texts(view)


# ------------------------------------------------------------------ end to end

def open_home(bot, user_id: str) -> dict:
    before = len(bot.slack.app.views(user_id))
    r = bot.event({"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:], "tab": "home",
                   "event_ts": f"{time.time():.6f}"})
    assert r.status_code == 200
    return wait_for(lambda: bot.slack.app.views(user_id)[before:] and bot.slack.app.views(user_id)[-1])


def click(bot, user_id: str, action_id: str, value: str) -> dict:
    before = len(bot.slack.app.views(user_id))
    payload = {"type": "block_actions", "token": "legacy", "api_app_id": "A0TEST", "trigger_id": "1.2.abc",
               "team": {"id": "T0TEST", "domain": "test"},
               "user": {"id": user_id, "username": "someone", "team_id": "T0TEST"},
               "container": {"type": "view", "view_id": "V0HOME"},
               "view": {"id": "V0HOME", "type": "home", "callback_id": "lexer.home", "blocks": [],
                        "private_metadata": "", "state": {"values": {}}, "hash": "1.2"},
               "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                            "text": {"type": "plain_text", "text": "x"}, "action_ts": f"{time.time():.6f}"}]}
    r = bot.action(payload)
    assert r.status_code == 200, r.text
    return wait_for(lambda: bot.slack.app.views(user_id)[before:] and bot.slack.app.views(user_id)[-1])


def add_subscription(bot, **kw) -> int:
    row = sub_row(**kw)
    row.pop("id")
    return bot.runtime.store.db["subscriptions"].insert(row).last_pk


def test_home_tab_is_published_on_open(bot):
    sub_id = add_subscription(bot)
    view = open_home(bot, USER_SYDNEY)
    validate_view(view)
    out = texts(view)
    assert "Today so far" in out and "Volume" in out and "Median wait" in out
    assert f"#{sub_id} · SLA digest" in out
    assert action_ids(view) == []  # not an admin
    call = bot.slack.app.calls_to("views.publish")[-1]
    assert call.params["user_id"] == USER_SYDNEY


def test_admin_pauses_resumes_and_deletes_from_home(bot):
    sub_id = add_subscription(bot)
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
    actions = [r["action"] for r in bot.runtime.store.db["audit_log"].rows]
    assert actions == ["subscription.pause", "subscription.resume", "subscription.delete"]


def test_non_admin_buttons_change_nothing(bot):
    sub_id = add_subscription(bot)
    view = click(bot, USER_SYDNEY, home.DELETE, str(sub_id))
    assert bot.runtime.store.db["subscriptions"].count == 1
    assert "Only lexer-bot admins" in texts(view)


def test_snooze_from_home(bot):
    ids = home.alert_button_ids()
    now = datetime.now(timezone.utc)
    bot.runtime.store.db["alert_configs"].insert({"channel_id": CHANNEL, "enabled": 1, "window_minutes": 60,
                                                  "min_count": 5, "sensitivity": "normal", "created_by": ADMIN,
                                                  "snoozed_until": None, "updated_at": utcnow_iso(now)})
    view = open_home(bot, ADMIN)
    assert (ids[0], CHANNEL) in action_ids(view)
    view = click(bot, ADMIN, ids[0], CHANNEL)
    until = datetime.fromisoformat(bot.runtime.store.db["alert_configs"].get(CHANNEL)["snoozed_until"])
    assert now + timedelta(minutes=30) < until < now + timedelta(hours=25)
    assert "Snoozed until" in texts(view)
    assert (ids[1], CHANNEL) in action_ids(view)
