"""The Home tab view (pure): today's numbers, digests, alerts, buttons, Slack's limits."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.slack import actions
from bot.slack.blocks import validate_view
from bot.slack.messages import home
from bot.slack.text import render_message_text
from tests.conftest import ADMIN, CHANNEL, utc

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
        (actions.HOME_PAUSE, "1"),
        (actions.HOME_DELETE, "1"),
        (actions.HOME_RESUME, "2"),
        (actions.HOME_DELETE, "2"),
        (actions.HOME_PAUSE, "3"),
        (actions.HOME_DELETE, "3"),
        (actions.ALERT_SNOOZE_1H, channel_value()),
        (actions.ALERT_SNOOZE_TOMORROW, channel_value()),
    ]
    delete = next(
        e
        for blk in view["blocks"]
        if blk["type"] == "actions"
        for e in blk["elements"]
        if e["action_id"] == actions.HOME_DELETE
    )
    assert delete["confirm"]["confirm"]["text"] == "Delete"


def test_non_admins_see_no_buttons():
    view = home.home_view(data(is_admin=False, subscriptions=[sub_row(1)], alerts=[alert_row()]))
    validate_view(view)
    assert action_ids(view) == []
    assert "#1 · SLA digest" in texts(view)


def test_snoozed_alert_offers_end_snooze():
    view = home.home_view(data(alerts=[alert_row(snoozed_until="2026-01-14T23:00:00+00:00")]))
    assert action_ids(view) == [(actions.HOME_UNSNOOZE, channel_value())]
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
