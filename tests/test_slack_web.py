"""The Slack client's retries, the 'did Slack certainly not post' test and 'can the bot post here', against the
served stand-in."""

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack_web import ChannelProblem, build_web_client, certainly_not_posted, channel_problem, is_transient
from tests.conftest import CHANNEL, USER_SYDNEY


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_server_error_on_a_post_is_not_sent_again_underneath_the_caller(settings, slack, status):
    slack.app.fail_next("chat.postMessage", status=status)
    client = build_web_client(settings)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=CHANNEL, text="once")
    assert len(slack.app.calls_to("chat.postMessage")) == 1
    assert is_transient(raised.value) and not certainly_not_posted(raised.value)


def test_a_server_error_on_an_update_is_not_sent_again(settings, slack):
    client = build_web_client(settings)
    ts = client.chat_postMessage(channel=CHANNEL, text="first")["ts"]
    slack.app.fail_next("chat.update", status=500)
    with pytest.raises(SlackApiError):
        client.chat_update(channel=CHANNEL, ts=ts, text="second")
    assert len(slack.app.calls_to("chat.update")) == 1


def test_reads_are_still_retried_after_a_server_error(settings, slack):
    slack.app.fail_next("users.info", status=500)
    assert build_web_client(settings).users_info(user=USER_SYDNEY)["user"]["id"] == USER_SYDNEY
    assert len(slack.app.calls_to("users.info")) == 2


def test_a_503_post_is_retried_because_slack_turned_it_away(settings, slack):
    slack.app.fail_next("chat.postMessage", status=503)
    build_web_client(settings).chat_postMessage(channel=CHANNEL, text="once")
    assert len(slack.app.calls_to("chat.postMessage")) == 2
    assert len(slack.app.messages(CHANNEL)) == 1


@pytest.mark.parametrize(
    "error, status, not_posted, transient",
    [
        ("ratelimited", 429, True, True),
        ("service_unavailable", 200, True, True),
        ("request_timeout", 200, True, True),
        ("internal_error", 200, False, True),
        ("fatal_error", 200, False, True),
        ("channel_not_found", 200, True, False),
        ("internal_error", 500, False, True),
        ("service_unavailable", 503, True, True),
    ],
)
def test_certainly_not_posted_reads_slacks_answer(settings, slack, error, status, not_posted, transient):
    # the client is built without retries so the first answer is the one judged
    from slack_sdk import WebClient

    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, retry_handlers=[])
    slack.app.fail_next("chat.postMessage", error=error, status=status)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=CHANNEL, text="x")
    assert certainly_not_posted(raised.value) is not_posted
    assert is_transient(raised.value) is transient


def test_a_refused_connection_certainly_did_not_post():
    from slack_sdk import WebClient

    client = WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/api/", retry_handlers=[])
    with pytest.raises(Exception) as raised:
        client.chat_postMessage(channel=CHANNEL, text="x")
    assert certainly_not_posted(raised.value) and is_transient(raised.value)


def test_channel_problem_says_why_the_bot_cannot_post(settings, slack):
    client = build_web_client(settings)
    dm = client.conversations_open(users=USER_SYDNEY)["channel"]["id"]
    assert channel_problem(client, CHANNEL) is None
    assert channel_problem(client, dm) is None
    assert channel_problem(client, "C0NOTIN") == ChannelProblem("not_in_channel")
    assert channel_problem(client, "C0ARCHIV") == ChannelProblem("is_archived")
    assert channel_problem(client, "C0NOPE") == ChannelProblem("channel_not_found", unseen=True)
    assert channel_problem(None, "C0NOPE") is None  # `lexer-bot ask` has no client to look with
