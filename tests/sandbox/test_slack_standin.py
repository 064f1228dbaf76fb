"""The Slack stand-in, driven through real loopback HTTP with slack_sdk's WebClient and httpx."""

from __future__ import annotations

import hashlib
import json
import os
import tracemalloc
from datetime import datetime, timezone

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.sandbox.server import serve_in_thread
from bot.sandbox.slack_standin import SlackStandIn, _MultipartFileParser, block_problems
from tests.slack.test_text import SAMPLE

TOKEN = "xoxb-test-token"


def _world(standin: SlackStandIn) -> SlackStandIn:
    standin.add_user("UALICE", name="alice", real_name="Alice Lead", tz="Australia/Sydney", is_admin=True)
    standin.add_user("UBOB", name="bob", real_name="Bob Agent", tz="America/New_York")
    standin.add_channel("CSUPPORT", "support")
    standin.add_channel("CPUBLIC", "general", member=False)
    standin.add_channel("CPRIVATE", "secret", member=False, is_private=True)
    standin.add_channel("COLD", "old-team", archived=True)
    return standin


@pytest.fixture(scope="module")
def served():
    standin = _world(SlackStandIn())
    with serve_in_thread(standin) as handle:
        standin.base_url = handle.url
        yield standin, handle


@pytest.fixture
def slack(served):
    standin, _ = served
    standin.reset()
    return standin


@pytest.fixture
def url(served):
    return served[1].url


@pytest.fixture
def client(url):
    return WebClient(base_url=url + "/api/", token=TOKEN, timeout=10)


def _error_of(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


# ---- auth and routing ---------------------------------------------------------------------------------


def test_auth_test_names_the_bot(client, slack):
    answer = client.auth_test()
    assert (answer["ok"], answer["user_id"], answer["team_id"]) == (True, "UBOT", "T0TEST")


@pytest.mark.parametrize("token, error", [("xoxb-wrong", "invalid_auth"), (None, "not_authed")])
def test_bad_or_missing_token_is_refused(url, slack, token, error):
    bad = WebClient(base_url=url + "/api/", token=token)
    assert _error_of(lambda: bad.chat_postMessage(channel="CSUPPORT", text="hi")).response["error"] == error
    assert slack.messages("CSUPPORT") == []


def test_token_as_a_form_param_works_and_is_never_recorded(url, slack):
    answer = httpx.post(url + "/api/auth.test", data={"token": TOKEN}).json()
    assert answer["ok"] is True
    [call] = slack.calls_to("auth.test")
    assert call.params["token"] == "[redacted]"
    assert TOKEN not in repr(slack.calls)


def test_authorization_header_is_redacted_in_recordings(client, slack):
    client.auth_test()
    [call] = slack.calls_to("auth.test")
    assert call.headers["Authorization"] == "[redacted]"


def test_api_test_needs_no_token_and_echoes_args(url, slack):
    assert httpx.post(url + "/api/api.test", data={"foo": "bar"}).json() == {"ok": True, "args": {"foo": "bar"}}


def test_unknown_method(client, slack):
    assert _error_of(lambda: client.api_call("chat.teleport")).response["error"] == "unknown_method"


# ---- chat.postMessage ---------------------------------------------------------------------------------


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
        assert _error_of(lambda: client.chat_postMessage(channel=channel, text="hi")).response["error"] == error
    else:
        answer = client.chat_postMessage(channel=channel, text="hi")
        assert answer["message"]["text"] == "hi"
        assert [m["text"] for m in slack.messages(answer["channel"])] == ["hi"]


def test_post_to_a_user_lands_in_their_dm(client, slack):
    answer = client.chat_postMessage(channel="UALICE", text="your export")
    assert answer["channel"].startswith("D")
    assert client.conversations_open(users="UALICE")["channel"]["id"] == answer["channel"]
    assert slack.messages("UALICE") == slack.messages(answer["channel"])


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({}, "no_text"),
        ({"text": ""}, "no_text"),
        ({"blocks": []}, "no_text"),
        ({"text": "x", "blocks": [_section("ok")] * 50}, None),
        ({"text": "x", "blocks": [_section("ok")] * 51}, "invalid_blocks"),
        ({"text": "x", "blocks": [_section("y" * 3000)]}, None),
        ({"text": "x", "blocks": [_section("y" * 3001)]}, "invalid_blocks"),
        ({"text": "x", "blocks": [{"type": "no_such_block"}]}, "invalid_blocks"),
        ({"text": "x", "blocks": [{"type": "section"}]}, "invalid_blocks"),
        ({"text": "x", "blocks": [_section("")]}, "invalid_blocks"),
        (
            {"text": "x", "blocks": [dict(_section("a"), block_id="b"), dict(_section("b"), block_id="b")]},
            "invalid_blocks",
        ),
        (
            {"text": "x", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}]},
            "invalid_blocks",
        ),
        ({"text": "y" * 40_001}, "msg_too_long"),
        ({"blocks": [_section("only blocks")]}, None),
    ],
)
def test_post_message_content_rules(client, slack, kwargs, error):
    if error:
        answer = _error_of(lambda: client.chat_postMessage(channel="CSUPPORT", **kwargs)).response
        assert answer["error"] == error
        if error == "invalid_blocks":
            assert answer["response_metadata"]["messages"][0].startswith("[ERROR]")
    else:
        client.chat_postMessage(channel="CSUPPORT", **kwargs)
        assert len(slack.messages("CSUPPORT")) == 1


@pytest.mark.parametrize("blocks", ["not json", '{"type": "divider"}'])
def test_blocks_that_are_not_a_json_list_are_invalid(client, slack, blocks):
    error = _error_of(
        lambda: client.api_call("chat.postMessage", data={"channel": "CSUPPORT", "text": "x", "blocks": blocks})
    )
    assert error.response["error"] == "invalid_blocks"


def test_form_encoded_blocks_are_decoded_in_recordings(client, slack):
    blocks = [_section("hello")]
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
    client.chat_update(channel="CSUPPORT", ts=first, text="done", blocks=[_section("*done*")])
    client.chat_delete(channel="CSUPPORT", ts=second)
    [message] = slack.messages("CSUPPORT")
    assert (message["ts"], message["text"], message["blocks"]) == (first, "done", [_section("*done*")])


@pytest.mark.parametrize("method", ["chat_update", "chat_delete"])
def test_update_or_delete_of_missing_or_foreign_message(client, slack, method):
    call = getattr(client, method)
    extra = {"text": "x"} if method == "chat_update" else {}
    assert _error_of(lambda: call(channel="CSUPPORT", ts="1.000001", **extra)).response["error"] == "message_not_found"
    theirs = slack.post_as_user("CSUPPORT", "UBOB", "human words")
    expected = "cant_update_message" if method == "chat_update" else "cant_delete_message"
    assert _error_of(lambda: call(channel="CSUPPORT", ts=theirs, **extra)).response["error"] == expected


def test_thread_and_permalink(client, slack):
    parent = client.chat_postMessage(channel="CSUPPORT", text="SLA spike")["ts"]
    reply = client.chat_postMessage(channel="CSUPPORT", text="recovered", thread_ts=parent)["ts"]
    client.chat_postMessage(channel="CSUPPORT", text="unrelated")
    assert [m["text"] for m in slack.thread("CSUPPORT", parent)] == ["SLA spike", "recovered"]
    link = client.chat_getPermalink(channel="CSUPPORT", message_ts=reply)["permalink"]
    assert f"/archives/CSUPPORT/p{reply.replace('.', '')}" in link and f"thread_ts={parent}" in link
    assert (
        _error_of(lambda: client.chat_getPermalink(channel="CSUPPORT", message_ts="9.000009")).response["error"]
        == "message_not_found"
    )


def test_post_ephemeral_is_kept_apart_from_channel_messages(client, slack):
    answer = client.chat_postEphemeral(channel="CSUPPORT", user="UALICE", text="only you")
    assert answer["message_ts"]
    assert slack.messages("CSUPPORT") == []
    assert [(m["ephemeral_for"], m["text"]) for m in slack.ephemerals("CSUPPORT")] == [("UALICE", "only you")]


# ---- conversations, users, views --------------------------------------------------------------------------


def test_conversations_info_and_join(client, slack):
    assert client.conversations_info(channel="CPUBLIC")["channel"]["is_member"] is False
    client.conversations_join(channel="CPUBLIC")
    try:
        assert client.conversations_info(channel="CPUBLIC")["channel"]["is_member"] is True
        client.chat_postMessage(channel="CPUBLIC", text="now I can")
    finally:
        slack.add_channel("CPUBLIC", "general", member=False)
    assert _error_of(lambda: client.conversations_join(channel="COLD")).response["error"] == "is_archived"
    assert _error_of(lambda: client.conversations_info(channel="CPRIVATE")).response["error"] == "channel_not_found"


def test_conversations_open_unknown_user(client, slack):
    assert _error_of(lambda: client.conversations_open(users="UNOBODY")).response["error"] == "user_not_found"


@pytest.mark.parametrize(
    "when, user, offset, label",
    [
        (datetime(2025, 1, 15, tzinfo=timezone.utc), "UALICE", 11 * 3600, "AEDT"),
        (datetime(2025, 7, 15, tzinfo=timezone.utc), "UALICE", 10 * 3600, "AEST"),
        (datetime(2025, 7, 15, tzinfo=timezone.utc), "UBOB", -4 * 3600, "EDT"),
    ],
)
def test_users_info_timezone_offset_at_now(when, user, offset, label):
    standin = _world(SlackStandIn(clock=when.timestamp))
    with serve_in_thread(standin) as handle:
        client = WebClient(base_url=handle.url + "/api/", token=TOKEN)
        info = client.users_info(user=user)["user"]
    assert (info["tz_offset"], info["tz_label"]) == (offset, label)
    assert info["tz"] in ("Australia/Sydney", "America/New_York")


def test_users_info_fields_and_unknown_user(client, slack):
    info = client.users_info(user="UALICE")["user"]
    assert (info["id"], info["name"], info["real_name"], info["is_admin"]) == ("UALICE", "alice", "Alice Lead", True)
    assert _error_of(lambda: client.users_info(user="UNOBODY")).response["error"] == "user_not_found"


def test_views_publish_home_only(client, slack):
    client.views_publish(user_id="UALICE", view={"type": "home", "blocks": [_section("Your team")]})
    assert [v["blocks"] for v in slack.views("UALICE")] == [[_section("Your team")]]
    for view, user in [
        ({"type": "modal", "blocks": []}, "UALICE"),
        ({"type": "home", "blocks": []}, "UNOBODY"),
        ({"type": "home", "blocks": [_section("y" * 3001)]}, "UALICE"),
    ]:
        assert (
            _error_of(lambda user=user, view=view: client.views_publish(user_id=user, view=view)).response["error"]
            == "invalid_arguments"
        )
    assert len(slack.views("UALICE")) == 1


# ---- fault injection ----------------------------------------------------------------------------------------


def test_rate_limit_is_retried_by_slack_sdk_handler(url, slack):
    client = WebClient(
        base_url=url + "/api/", token=TOKEN, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)]
    )
    slack.fail_next("chat.postMessage", retry_after=0)
    assert client.chat_postMessage(channel="CSUPPORT", text="eventually")["ok"] is True
    assert [(c.status, c.error) for c in slack.calls_to("chat.postMessage")] == [(429, "ratelimited"), (200, None)]
    assert [m["text"] for m in slack.messages("CSUPPORT")] == ["eventually"]


def test_rate_limit_answer_is_429_with_retry_after(client, slack):
    slack.fail_next("chat.postMessage", retry_after=7)
    error = _error_of(lambda: client.chat_postMessage(channel="CSUPPORT", text="x"))
    assert (error.response.status_code, error.response["error"]) == (429, "ratelimited")
    assert error.response.headers["Retry-After"] == "7"


@pytest.mark.parametrize(
    "kwargs, status, error",
    [
        ({"status": 500}, 500, "internal_error"),
        ({"status": 503}, 503, "service_unavailable"),
        ({"error": "channel_not_found"}, 200, "channel_not_found"),
        ({"error": "fatal_error", "status": 500}, 500, "fatal_error"),
    ],
)
def test_injected_failures_look_like_slack(client, slack, kwargs, status, error):
    slack.fail_next("chat.postMessage", times=2, **kwargs)
    for _ in range(2):
        failed = _error_of(lambda: client.chat_postMessage(channel="CSUPPORT", text="x"))
        assert (failed.response.status_code, failed.response["error"]) == (status, error)
    assert client.chat_postMessage(channel="CSUPPORT", text="third time")["ok"]
    assert slack.messages("CSUPPORT")[0]["text"] == "third time"


def test_reset_keeps_the_world_but_forgets_recordings(client, slack):
    client.chat_postMessage(channel="CSUPPORT", text="x")
    slack.fail_next("chat.postMessage")
    slack.reset()
    assert (slack.calls, slack.messages("CSUPPORT")) == ([], [])
    assert client.chat_postMessage(channel="UALICE", text="still here")["ok"]


def test_on_event_sees_each_call(client, slack):
    seen = []
    slack.on_event = lambda method, params: seen.append((method, params.get("text")))
    try:
        client.chat_postMessage(channel="CSUPPORT", text="hello")
    finally:
        slack.on_event = None
    assert seen == [("chat.postMessage", "hello")]


# ---- file uploads -------------------------------------------------------------------------------------------


def _chunks(total: int, seed: bytes = b"lexer,"):
    block = (seed * 11000)[:65536]
    sent = 0
    while sent < total:
        piece = block[: min(len(block), total - sent)]
        sent += len(piece)
        yield piece


def _digest(total: int) -> str:
    sha = hashlib.sha256()
    for piece in _chunks(total):
        sha.update(piece)
    return sha.hexdigest()


@pytest.mark.parametrize("size", [0, 1, 300_000])
@pytest.mark.parametrize("as_multipart", [False, True])
def test_upload_flow(client, slack, size, as_multipart):
    dm = client.conversations_open(users="UALICE")["channel"]["id"]
    ticket = client.files_getUploadURLExternal(filename="cases.csv", length=size)
    assert ticket["upload_url"].startswith(slack.base_url + "/upload/F")
    if as_multipart:
        response = httpx.post(
            ticket["upload_url"],
            files={"file": ("cases.csv", b"".join(_chunks(size)), "text/csv")},
            data={"note": "ignored"},
        )
    else:
        response = httpx.post(ticket["upload_url"], content=_chunks(size))  # streamed, chunked
    assert (response.status_code, response.text) == (200, f"OK - {size}")
    done = client.files_completeUploadExternal(
        files=[{"id": ticket["file_id"], "title": "Cases"}], channel_id=dm, initial_comment="Your export"
    )
    assert done["files"][0]["id"] == ticket["file_id"] and done["files"][0]["title"] == "Cases"
    [upload] = slack.uploads
    assert (upload.size, upload.sha256, upload.length_declared) == (size, _digest(size), size)
    assert (upload.completed, upload.channel_id, upload.initial_comment, upload.title) == (
        True,
        dm,
        "Your export",
        "Cases",
    )
    [message] = slack.messages("UALICE")
    assert message["text"] == "Your export" and message["files"][0]["id"] == ticket["file_id"]


def test_files_upload_v2_end_to_end(client, slack, tmp_path):
    path = tmp_path / "nps.csv"
    path.write_bytes(b"id,score\n1,9\n")
    client.files_upload_v2(file=str(path), title="NPS", channel="CSUPPORT", initial_comment="NPS export")
    [upload] = slack.uploads
    assert (upload.size, upload.sha256, upload.completed) == (13, hashlib.sha256(path.read_bytes()).hexdigest(), True)


def test_uploads_can_be_kept_on_disk(tmp_path):
    standin = _world(SlackStandIn(keep_uploads_dir=str(tmp_path / "kept")))
    with serve_in_thread(standin) as handle:
        standin.base_url = handle.url
        client = WebClient(base_url=handle.url + "/api/", token=TOKEN)
        ticket = client.files_getUploadURLExternal(filename="../sla responses.csv", length=5)
        httpx.post(ticket["upload_url"], content=b"a,b\n\n")
    [upload] = standin.uploads
    assert os.path.dirname(upload.path) == str(tmp_path / "kept")
    with open(upload.path, "rb") as f:
        assert f.read() == b"a,b\n\n"


def test_complete_upload_errors(client, slack):
    assert (
        _error_of(lambda: client.files_completeUploadExternal(files=[{"id": "FNOPE"}])).response["error"]
        == "file_not_found"
    )
    ticket = client.files_getUploadURLExternal(filename="x.csv", length=1)
    # announced but never uploaded: there is nothing to share
    assert (
        _error_of(lambda: client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}])).response["error"]
        == "file_not_found"
    )
    httpx.post(ticket["upload_url"], content=b"x")
    assert (
        _error_of(
            lambda: client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="CNOPE")
        ).response["error"]
        == "invalid_channel"
    )


def test_upload_failure_injection_and_unknown_file(client, slack, url):
    ticket = client.files_getUploadURLExternal(filename="x.csv", length=3)
    slack.fail_next("upload", status=500)
    assert httpx.post(ticket["upload_url"], content=b"abc").status_code == 500
    assert httpx.post(ticket["upload_url"], content=b"abc").text == "OK - 3"
    assert httpx.post(url + "/upload/FNOPE", content=b"abc").status_code == 404
    assert [c.status for c in slack.calls_to("upload")] == [500, 200, 404]


def test_upload_streams_without_holding_the_body(client, slack):
    size = 16 * 1024 * 1024
    ticket = client.files_getUploadURLExternal(filename="big.csv", length=size)
    tracemalloc.start()
    try:
        response = httpx.post(ticket["upload_url"], content=_chunks(size))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.text == f"OK - {size}"
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes while streaming {size}"


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 64, 65536])
def test_multipart_parser_finds_the_file_across_chunk_splits(chunk_size):
    boundary = b"XyZ123"
    payload = b"\r\n--XyZ12 almost a boundary\r\nx--XyZ123-- not after a line break\r\n\r" * 3
    body = (
        b'--XyZ123\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
        b'--XyZ123\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + payload + b"\r\n--XyZ123--\r\n"
    )
    received = []
    parser = _MultipartFileParser(boundary, received.append)
    for i in range(0, len(body), chunk_size):
        parser.feed(body[i : i + chunk_size])
    assert b"".join(received) == payload


# ---- response URLs ------------------------------------------------------------------------------------------


def test_response_url_records_posts(slack):
    target = slack.new_response_url("cmd1")
    body = {
        "response_type": "ephemeral",
        "replace_original": True,
        "text": "Team last week",
        "blocks": [_section("*Team*")],
    }
    response = httpx.post(target, json=body)
    assert (response.status_code, response.text) == (200, "ok")
    assert slack.responses("cmd1") == [body] == slack.responses(target)
    assert slack.responses() == [body]
    assert slack.calls_to("response_url")[0].params["response_type"] == "ephemeral"


@pytest.mark.parametrize(
    "inject, body, status",
    [
        ({"status": 500}, {"text": "x"}, 500),
        ({"status": 404}, {"text": "x"}, 404),
        (None, {"blocks": [_section("y" * 3001)], "text": "x"}, 400),
        (None, {"response_type": "ephemeral"}, 400),
    ],
)
def test_response_url_failures(slack, inject, body, status):
    target = slack.new_response_url()
    if inject:
        slack.fail_next("response_url", **inject)
    assert httpx.post(target, json=body).status_code == status
    assert slack.responses(target) == []


def test_unknown_response_url_is_expired(slack, url):
    response = httpx.post(url + "/response/never-issued", json={"text": "x"})
    assert (response.status_code, response.text) == (404, "expired_url")


# ---- pure helpers ----------------------------------------------------------------------------------------------


def test_block_problems_accepts_a_typical_report():
    assert block_problems(SAMPLE["blocks"]) == []
