"""auth.test, api.test and routing: tokens checked and never recorded, unknown methods refused."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient

from tests.sandbox.slack_standin.conftest import TOKEN, error_of


def test_auth_test_names_the_bot(client, slack):
    answer = client.auth_test()
    assert (answer["ok"], answer["user_id"], answer["team_id"]) == (True, "UBOT", "T0TEST")


@pytest.mark.parametrize("token, error", [("xoxb-wrong", "invalid_auth"), (None, "not_authed")])
def test_bad_or_missing_token_is_refused(url, slack, token, error):
    bad = WebClient(base_url=url + "/api/", token=token)
    assert error_of(lambda: bad.chat_postMessage(channel="CSUPPORT", text="hi")).response["error"] == error
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
    assert error_of(lambda: client.api_call("chat.teleport")).response["error"] == "unknown_method"
