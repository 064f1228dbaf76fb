"""`/lexer my-week` end to end: the Slack stand-in gives the asker's email, the sandbox the team's week."""

import json
from statistics import median

import pytest

from bot.sandbox.slack_standin.methods.users import add_lexer_agents
from bot.slack.format import format_count
from tests.conftest import ADMIN


def text_of(reply: dict) -> str:
    return json.dumps(reply.get("blocks"), ensure_ascii=False) + reply.get("text", "")


@pytest.mark.both_databases
def test_my_week_answers_a_matched_agent_with_their_numbers_beside_the_team_median(bot, sandbox, slack):
    lexer_users = [u for u in sandbox.app.users if not u["archived"]]
    ids = add_lexer_agents(slack.app, lexer_users)
    jane = next(u for u in lexer_users if u["first_name"] == "Jane")
    reply = bot.command("my-week", user_id=ids[jane["email"]])
    text = text_of(reply)
    assert "Your week" in text and "Jane Remington" in text and "last week" in text
    [body] = [r["body"] for r in sandbox.app.requests if r.get("type") == "user_summary"]
    rows = sandbox.app.report(body)
    mine = next(r for r in rows if str(r["user_id"]) == str(jane["id"]))
    working = [r for r in rows if r["mentions_assigned"] or r["total_responded_to"]]
    assert f"*Assigned*: {format_count(mine['mentions_assigned'])}  ·  team median " in text
    assert f"team median {format_count(round(median(r['mentions_assigned'] for r in working)))}" in text
    assert "Median response (whole team)" in text
    # one user_summary and one summary for the week; the asker's email came from users.info
    assert [r.get("type") for r in sandbox.app.requests if r.get("type")] == ["user_summary", "summary"]
    assert slack.app.calls_to("users.info")


def test_my_week_says_when_no_lexer_user_has_the_askers_email(bot, sandbox, slack):
    slack.app.add_user("UOUTSIDER", name="olly", real_name="Olly Outsider", email="olly@elsewhere.example")
    text = text_of(bot.command("my-week", user_id="UOUTSIDER"))
    assert "I found no Lexer user with your email (olly@elsewhere.example)" in text
    assert not [r for r in sandbox.app.requests if r.get("type")]  # no report asked for


def test_my_week_without_an_email_from_slack_says_which_scope_is_missing(bot):
    text = text_of(bot.command("my-week", user_id=ADMIN))
    assert "users:read.email" in text


def test_lookup_by_email_finds_the_member(slack):
    from slack_sdk import WebClient

    add_lexer_agents(slack.app, [{"email": "a.b@x.example", "first_name": "A", "last_name": "B", "timezone": "UTC"}])
    client = WebClient(token="xoxb-test-token", base_url=f"{slack.url}/api/")
    user = client.users_lookupByEmail(email="A.B@x.example")["user"]
    assert user["profile"]["email"] == "a.b@x.example" and user["tz"] == "UTC"
