"""Fixtures for the Slack stand-in tests: one served stand-in per module, reset before each test, and a WebClient."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.server import serve_in_thread
from bot.sandbox.slack_standin import SlackStandIn

TOKEN = "xoxb-test-token"


def world(standin: SlackStandIn) -> SlackStandIn:
    """The workspace these tests assume: two people, and channels the bot is in, not in, can't see, or archived."""
    standin.add_user("UALICE", name="alice", real_name="Alice Lead", tz="Australia/Sydney", is_admin=True)
    standin.add_user("UBOB", name="bob", real_name="Bob Agent", tz="America/New_York")
    standin.add_channel("CSUPPORT", "support")
    standin.add_channel("CPUBLIC", "general", member=False)
    standin.add_channel("CPRIVATE", "secret", member=False, is_private=True)
    standin.add_channel("COLD", "old-team", archived=True)
    return standin


@pytest.fixture(scope="module")
def served():
    """(stand-in, server handle): one served stand-in per test module."""
    standin = world(SlackStandIn())
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


def error_of(call) -> SlackApiError:
    """The SlackApiError that `call()` raises."""
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


def section(text: str) -> dict:
    """A mrkdwn section block."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}
