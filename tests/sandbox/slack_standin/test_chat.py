"""chat.*: posting rules, content checks, update, delete, threads, permalinks and ephemerals."""

from __future__ import annotations

import json

import pytest

from tests.sandbox.slack_standin.conftest import error_of, section


@pytest.mark.parametrize(
    "channel, error",
    [
        ("CSUPPORT", None),
        ("#support", None),
        ("UALICE", None),  # a user id opens the DM implicitly
        ("CPUBLIC", "not_in_channel"),
        ("CPRIVATE", "channel_not_found"),  # a private channel the bot isn't in is invisible to it
        ("COLD", "is_archived"),
        ("CNOPE", "channel_not_found"),
        ("UNOBODY", "channel_not_found"),
    ],
)
def test_post_message_channel_rules(client, slack, channel, error):
    if error:
        assert error_of(lambda: client.chat_postMessage(channel=channel, text="hi")).response["error"] == error
    else:
        answer = client.chat_postMessage(channel=channel, text="hi")
        assert answer["message"]["text"] == "hi"
        assert [m["text"] for m in slack.messages(answer["channel"])] == ["hi"]


def test_post_to_a_user_lands_in_their_dm(client, slack):
    answer = client.chat_postMessage(channel="UALICE", text="your export")
    assert answer["channel"].startswith("D")
    assert client.conversations_open(users="UALICE")["channel"]["id"] == answer["channel"]
    assert slack.messages("UALICE") == slack.messages(answer["channel"])


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({}, "no_text"),
        ({"text": ""}, "no_text"),
        ({"blocks": []}, "no_text"),
        ({"text": "x", "blocks": [section("ok")] * 50}, None),
        ({"text": "x", "blocks": [section("ok")] * 51}, "invalid_blocks"),
        ({"text": "x", "blocks": [section("y" * 3000)]}, None),
        ({"text": "x", "blocks": [section("y" * 3001)]}, "invalid_blocks"),
        ({"text": "x", "blocks": [{"type": "no_such_block"}]}, "invalid_blocks"),
        ({"text": "x", "blocks": [{"type": "section"}]}, "invalid_blocks"),
        ({"text": "x", "blocks": [section("")]}, "invalid_blocks"),
        (
            {"text": "x", "blocks": [dict(section("a"), block_id="b"), dict(section("b"), block_id="b")]},
            "invalid_blocks",
        ),
        (
            {"text": "x", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}]},
            "invalid_blocks",
        ),
        ({"text": "y" * 40_001}, "msg_too_long"),
        ({"blocks": [section("only blocks")]}, None),
    ],
)
def test_post_message_content_rules(client, slack, kwargs, error):
    if error:
        answer = error_of(lambda: client.chat_postMessage(channel="CSUPPORT", **kwargs)).response
        assert answer["error"] == error
        if error == "invalid_blocks":
            assert answer["response_metadata"]["messages"][0].startswith("[ERROR]")
    else:
        client.chat_postMessage(channel="CSUPPORT", **kwargs)
        assert len(slack.messages("CSUPPORT")) == 1


@pytest.mark.parametrize("blocks", ["not json", '{"type": "divider"}'])
def test_blocks_that_are_not_a_json_list_are_invalid(client, slack, blocks):
    error = error_of(
        lambda: client.api_call("chat.postMessage", data={"channel": "CSUPPORT", "text": "x", "blocks": blocks})
    )
    assert error.response["error"] == "invalid_blocks"


def test_form_encoded_blocks_are_decoded_in_recordings(client, slack):
    blocks = [section("hello")]
    client.api_call("chat.postMessage", data={"channel": "CSUPPORT", "text": "x", "blocks": json.dumps(blocks)})
    [call] = slack.calls_to("chat.postMessage")
    assert call.params["blocks"] == blocks
    assert slack.messages("CSUPPORT")[0]["blocks"] == blocks


def test_ts_values_are_unique_increasing_and_slack_shaped(client, slack):
    stamps = [client.chat_postMessage(channel="CSUPPORT", text=str(i))["ts"] for i in range(5)]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 5
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


# ---- update, delete, threads, permalinks -----------------------------------------------------------------


def test_update_and_delete_change_the_channel_state(client, slack):
    first = client.chat_postMessage(channel="CSUPPORT", text="working on it")["ts"]
    second = client.chat_postMessage(channel="CSUPPORT", text="temp")["ts"]
    client.chat_update(channel="CSUPPORT", ts=first, text="done", blocks=[section("*done*")])
    client.chat_delete(channel="CSUPPORT", ts=second)
    [message] = slack.messages("CSUPPORT")
    assert (message["ts"], message["text"], message["blocks"]) == (first, "done", [section("*done*")])


@pytest.mark.parametrize("method", ["chat_update", "chat_delete"])
def test_update_or_delete_of_missing_or_foreign_message(client, slack, method):
    call = getattr(client, method)
    extra = {"text": "x"} if method == "chat_update" else {}
    assert error_of(lambda: call(channel="CSUPPORT", ts="1.000001", **extra)).response["error"] == "message_not_found"
    theirs = slack.post_as_user("CSUPPORT", "UBOB", "human words")
    expected = "cant_update_message" if method == "chat_update" else "cant_delete_message"
    assert error_of(lambda: call(channel="CSUPPORT", ts=theirs, **extra)).response["error"] == expected


def test_thread_and_permalink(client, slack):
    parent = client.chat_postMessage(channel="CSUPPORT", text="SLA spike")["ts"]
    reply = client.chat_postMessage(channel="CSUPPORT", text="recovered", thread_ts=parent)["ts"]
    client.chat_postMessage(channel="CSUPPORT", text="unrelated")
    assert [m["text"] for m in slack.thread("CSUPPORT", parent)] == ["SLA spike", "recovered"]
    link = client.chat_getPermalink(channel="CSUPPORT", message_ts=reply)["permalink"]
    assert f"/archives/CSUPPORT/p{reply.replace('.', '')}" in link and f"thread_ts={parent}" in link
    assert (
        error_of(lambda: client.chat_getPermalink(channel="CSUPPORT", message_ts="9.000009")).response["error"]
        == "message_not_found"
    )


def test_post_ephemeral_is_kept_apart_from_channel_messages(client, slack):
    answer = client.chat_postEphemeral(channel="CSUPPORT", user="UALICE", text="only you")
    assert answer["message_ts"]
    assert slack.messages("CSUPPORT") == []
    assert [(m["ephemeral_for"], m["text"]) for m in slack.ephemerals("CSUPPORT")] == [("UALICE", "only you")]
