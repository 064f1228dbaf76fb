"""Fault injection (429s, 5xx, ok:false), reset and the on_event hook."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from tests.sandbox.slack_standin.conftest import TOKEN, error_of


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
    error = error_of(lambda: client.chat_postMessage(channel="CSUPPORT", text="x"))
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
        failed = error_of(lambda: client.chat_postMessage(channel="CSUPPORT", text="x"))
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
