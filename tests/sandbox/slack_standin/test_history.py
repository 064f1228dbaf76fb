"""conversations.history on the stand-in answers as Slack does: pages, ranges, metadata only when asked."""

from tests.sandbox.slack_standin.conftest import error_of

METADATA = {"event_type": "lexer_digest", "event_payload": {"subscription_id": 7, "scheduled_for": "x"}}


def test_newest_first_with_metadata_only_when_asked(slack, client):
    first = client.chat_postMessage(channel="CSUPPORT", text="one", metadata=METADATA)["ts"]
    second = client.chat_postMessage(channel="CSUPPORT", text="two")["ts"]
    plain = client.conversations_history(channel="CSUPPORT")
    assert [m["ts"] for m in plain["messages"]] == [second, first]
    assert "metadata" not in plain["messages"][1] and plain["has_more"] is False
    full = client.conversations_history(channel="CSUPPORT", include_all_metadata=True)
    assert full["messages"][1]["metadata"] == METADATA


def test_thread_replies_are_not_in_the_channel_history(slack, client):
    parent = client.chat_postMessage(channel="CSUPPORT", text="parent")["ts"]
    client.chat_postMessage(channel="CSUPPORT", text="reply", thread_ts=parent)
    [shown] = client.conversations_history(channel="CSUPPORT")["messages"]
    assert shown["ts"] == parent and shown["reply_count"] == 1


def test_pages_follow_the_cursor_and_oldest_latest_bound_the_range(slack, client):
    stamps = [client.chat_postMessage(channel="CSUPPORT", text=str(i))["ts"] for i in range(5)]
    page = client.conversations_history(channel="CSUPPORT", limit=2)
    seen = [m["ts"] for m in page["messages"]]
    while page["has_more"]:
        page = client.conversations_history(
            channel="CSUPPORT", limit=2, cursor=page["response_metadata"]["next_cursor"]
        )
        seen += [m["ts"] for m in page["messages"]]
    assert seen == stamps[::-1]
    bounded = client.conversations_history(channel="CSUPPORT", oldest=stamps[1], latest=stamps[3])
    assert [m["ts"] for m in bounded["messages"]] == [stamps[2]]
    inclusive = client.conversations_history(channel="CSUPPORT", oldest=stamps[1], latest=stamps[3], inclusive=True)
    assert [m["ts"] for m in inclusive["messages"]] == [stamps[3], stamps[2], stamps[1]]


def test_channels_the_bot_cannot_read(slack, client):
    assert error_of(lambda: client.conversations_history(channel="CPUBLIC")).response["error"] == "not_in_channel"
    assert error_of(lambda: client.conversations_history(channel="CPRIVATE")).response["error"] == "channel_not_found"
    bad = error_of(lambda: client.conversations_history(channel="CSUPPORT", cursor="garbage!"))
    assert bad.response["error"] == "invalid_cursor"
