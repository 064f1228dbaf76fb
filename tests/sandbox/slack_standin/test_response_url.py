"""Response URLs: POSTs recorded, checked like a message, failures injected, unknown keys expired."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.slack_standin.conftest import section


def test_response_url_records_posts(slack):
    target = slack.new_response_url("cmd1")
    body = {
        "response_type": "ephemeral",
        "replace_original": True,
        "text": "Team last week",
        "blocks": [section("*Team*")],
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
        (None, {"blocks": [section("y" * 3001)], "text": "x"}, 400),
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
