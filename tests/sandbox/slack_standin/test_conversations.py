"""conversations.* and users.*: channel visibility, joining, DMs, users and their time zones."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from slack_sdk import WebClient

from bot.sandbox.server import serve_in_thread
from bot.sandbox.slack_standin import SlackStandIn
from tests.sandbox.slack_standin.conftest import TOKEN, error_of, world


def test_conversations_info_and_join(client, slack):
    assert client.conversations_info(channel="CPUBLIC")["channel"]["is_member"] is False
    client.conversations_join(channel="CPUBLIC")
    try:
        assert client.conversations_info(channel="CPUBLIC")["channel"]["is_member"] is True
        client.chat_postMessage(channel="CPUBLIC", text="now I can")
    finally:
        slack.add_channel("CPUBLIC", "general", member=False)
    assert error_of(lambda: client.conversations_join(channel="COLD")).response["error"] == "is_archived"
    assert error_of(lambda: client.conversations_info(channel="CPRIVATE")).response["error"] == "channel_not_found"


def test_conversations_open_unknown_user(client, slack):
    assert error_of(lambda: client.conversations_open(users="UNOBODY")).response["error"] == "user_not_found"


@pytest.mark.parametrize(
    "when, user, offset, label",
    [
        (datetime(2025, 1, 15, tzinfo=timezone.utc), "UALICE", 11 * 3600, "AEDT"),
        (datetime(2025, 7, 15, tzinfo=timezone.utc), "UALICE", 10 * 3600, "AEST"),
        (datetime(2025, 7, 15, tzinfo=timezone.utc), "UBOB", -4 * 3600, "EDT"),
    ],
)
def test_users_info_timezone_offset_at_now(when, user, offset, label):
    standin = world(SlackStandIn(clock=when.timestamp))
    with serve_in_thread(standin) as handle:
        client = WebClient(base_url=handle.url + "/api/", token=TOKEN)
        info = client.users_info(user=user)["user"]
    assert (info["tz_offset"], info["tz_label"]) == (offset, label)
    assert info["tz"] in ("Australia/Sydney", "America/New_York")


def test_users_info_fields_and_unknown_user(client, slack):
    info = client.users_info(user="UALICE")["user"]
    assert (info["id"], info["name"], info["real_name"], info["is_admin"]) == ("UALICE", "alice", "Alice Lead", True)
    assert error_of(lambda: client.users_info(user="UNOBODY")).response["error"] == "user_not_found"
