"""`/lexer alerts …` and the alert buttons, end to end through signed Slack requests and the Slack stand-in."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.features.alerts import tomorrow_morning
from bot.slack.actions import ALERT_SHOW_TEAM, ALERT_SNOOZE_1H, ALERT_SNOOZE_TOMORROW, alert_button_value
from tests.conftest import ADMIN, CHANNEL, USER_SYDNEY, wait_for

UTC = timezone.utc
SYD = ZoneInfo("Australia/Sydney")
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 14:00 in Sydney


@pytest.fixture
def bot(bot):
    """conftest's bot, closing keep-alive connections first so its servers stop at once (not after 5 s)."""
    yield bot
    bot.http.close()
    bot.deps.api.http.close()
    bot.deps.api.download_http.close()


def text_of(reply: dict) -> str:
    return json.dumps(reply.get("blocks") or []) + reply.get("text", "")


def audit(bot, action):
    return [json.loads(r["detail"]) for r in bot.deps.store.db["audit_log"].rows_where("action = ?", [action])]


# ---------------------------------------------------------------- snooze (pure; typed snoozes: tests/slack/parsing)


def test_snooze_until_tomorrow_ends_at_nine_in_the_clickers_zone():
    assert tomorrow_morning(NOW, SYD) == datetime(2026, 11, 27, 9, 0, tzinfo=SYD)


# ---------------------------------------------------------------- commands


@pytest.mark.both_databases
def test_alerts_on_status_snooze_off(bot, slack):
    reply = bot.command("alerts on window 30m min 3 sensitivity high", user_id=ADMIN)
    assert "alerts are on" in text_of(reply) and "at least 3 breaches" in text_of(reply)
    assert reply["response_type"] == "ephemeral"
    config = bot.deps.store.alerts.config(CHANNEL)
    assert (config["enabled"], config["window_minutes"], config["min_count"], config["sensitivity"]) == (
        1,
        30,
        3,
        "high",
    )
    assert audit(bot, "alerts.on") == [
        {"channel_id": CHANNEL, "min_count": 3, "sensitivity": "high", "window_minutes": 30}
    ]

    status = text_of(bot.command("alerts status"))  # anyone may look
    assert "normal" in status and "no check yet" in status and "Snooze" in status

    reply = bot.command("alerts snooze until 17:30", user_id=ADMIN)  # ADMIN is in Sydney
    until = datetime.fromisoformat(bot.deps.store.alerts.config(CHANNEL)["snoozed_until"])
    assert until.astimezone(SYD).strftime("%H:%M") == "17:30" and until > datetime.now(UTC)
    assert "17:30" in text_of(reply) and "Australia/Sydney" in text_of(reply)
    assert audit(bot, "alerts.snooze")[0]["until"] == until.isoformat()
    assert "until" in text_of(bot.command("alerts status"))

    bot.command("alerts snooze off", user_id=ADMIN)
    assert bot.deps.store.alerts.config(CHANNEL)["snoozed_until"] is None

    reply = bot.command("alerts off", user_id=ADMIN)
    assert "off" in text_of(reply)
    assert not bot.deps.store.alerts.config(CHANNEL)["enabled"]
    assert audit(bot, "alerts.off") == [{"channel_id": CHANNEL}]


def test_alerts_on_defaults_to_this_channel_two_hours_min_5_normal(bot):
    bot.command("alerts on", user_id=ADMIN)
    config = bot.deps.store.alerts.config(CHANNEL)
    assert (config["window_minutes"], config["min_count"], config["sensitivity"]) == (120, 5, "normal")


@pytest.mark.parametrize("text", ["alerts on", "alerts off", "alerts snooze 2h"])
def test_changing_alerts_is_admin_only(bot, text):
    reply = bot.command(text, user_id=USER_SYDNEY)
    assert "Only lexer-bot admins" in text_of(reply)
    assert bot.deps.store.alerts.config(CHANNEL) is None


def test_alerts_on_where_the_bot_is_not_says_how_to_invite_it(bot):
    reply = bot.command("alerts on", user_id=ADMIN, channel_id="C0NOTIN")
    assert "/invite @lexer" in text_of(reply)
    assert bot.deps.store.alerts.config("C0NOTIN") is None


def test_alerts_on_another_channel_by_link(bot):
    reply = bot.command("alerts on <#C0NOTIN|random>", user_id=ADMIN)
    assert "/invite @lexer" in text_of(reply)
    bot.command("alerts on <#C0GENERAL|general> min 8", user_id=ADMIN, channel_id="C0NOTIN")
    assert bot.deps.store.alerts.config(CHANNEL)["min_count"] == 8


def test_a_bare_channel_name_is_not_taken_for_this_channel(bot):
    reply = bot.command("alerts on #random", user_id=ADMIN)
    assert "could not tell which channel" in text_of(reply)
    assert bot.deps.store.alerts.config(CHANNEL) is None


def test_snooze_without_alerts_on_says_so(bot):
    assert "not on" in text_of(bot.command("alerts snooze 2h", user_id=ADMIN))


def test_status_shows_the_latest_check(bot):
    bot.command("alerts on", user_id=ADMIN)
    from digests.alerts.check import run_alert_checks

    report = run_alert_checks(bot.deps)  # against the sandbox, now
    assert report.windows == {120: "ok"}
    status = text_of(bot.command("alerts status"))
    assert "breaches in the last 2 hours" in status and "Expected" in status


# ---------------------------------------------------------------- buttons


def _posted_alert(bot, slack) -> str:
    """Post an alert message as the checker would, and return its ts."""
    ts = bot.deps.slack.chat_postMessage(channel=CHANNEL, text="SLA breach spike")["ts"]
    return ts


def click(bot, slack, action_id: str, *, user_id: str = ADMIN, end: datetime | None = None) -> dict:
    ts = _posted_alert(bot, slack)
    key = f"act-{time.monotonic_ns()}"
    end = end or datetime.now(UTC).replace(second=0, microsecond=0)
    payload = {
        "type": "block_actions",
        "token": "legacy",
        "api_app_id": "A0TEST",
        "trigger_id": "1.2.abc",
        "team": {"id": "T0TEST", "domain": "test"},
        "user": {"id": user_id, "username": "someone", "team_id": "T0TEST"},
        "channel": {"id": CHANNEL, "name": "general"},
        "container": {"type": "message", "message_ts": ts, "channel_id": CHANNEL, "is_ephemeral": False},
        "message": {"ts": ts, "text": "SLA breach spike", "type": "message"},
        "response_url": slack.app.new_response_url(key),
        "actions": [
            {
                "action_id": action_id,
                "block_id": "alert",
                "type": "button",
                "action_ts": str(time.time()),
                "value": alert_button_value(CHANNEL, end, 60),
                "text": {"type": "plain_text", "text": "x"},
            }
        ],
    }
    r = bot.action(payload)
    assert r.status_code == 200, r.text
    return wait_for(lambda: (slack.app.responses(key) or [None])[-1])


def test_snooze_buttons(bot, slack):
    bot.command("alerts on", user_id=ADMIN)
    before = datetime.now(UTC)
    reply = click(bot, slack, ALERT_SNOOZE_1H)
    assert reply["response_type"] == "ephemeral" and reply.get("replace_original") is False
    until = datetime.fromisoformat(bot.deps.store.alerts.config(CHANNEL)["snoozed_until"])
    assert timedelta(minutes=59) <= until - before <= timedelta(minutes=61)
    assert audit(bot, "alerts.snooze")[-1]["via"] == "button"

    reply = click(bot, slack, ALERT_SNOOZE_TOMORROW)
    until = datetime.fromisoformat(bot.deps.store.alerts.config(CHANNEL)["snoozed_until"]).astimezone(SYD)
    assert until.strftime("%H:%M") == "09:00" and until.date() == datetime.now(SYD).date() + timedelta(days=1)
    assert "09:00" in text_of(reply)


def test_snooze_button_is_admin_only(bot, slack):
    bot.command("alerts on", user_id=ADMIN)
    reply = click(bot, slack, ALERT_SNOOZE_1H, user_id=USER_SYDNEY)
    assert "Only lexer-bot admins" in text_of(reply)
    assert bot.deps.store.alerts.config(CHANNEL)["snoozed_until"] is None


def test_show_team_button_answers_with_the_team_report_for_the_window(bot, slack, sandbox):
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    reply = click(bot, slack, ALERT_SHOW_TEAM, user_id=USER_SYDNEY, end=end)
    assert reply["response_type"] == "ephemeral"
    assert "Team performance" in text_of(reply) and "the last hour" in text_of(reply)
    [request] = [r for r in sandbox.app.requests if r["type"] == "user_summary"]
    start = datetime.fromisoformat(request["body"]["date_from"])
    assert start == end - timedelta(hours=1)
