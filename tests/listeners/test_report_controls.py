"""The controls under a report answer, end to end: signed block_actions to the served app, the sandbox,
the Slack stand-in recording what reached each response_url."""

from __future__ import annotations

import json
import time

import pytest
import time_machine

from bot.slack.actions import REPORT_COMPARE, REPORT_RANGE, REPORT_SHARE
from bot.slack.blocks import validate_message
from bot.slack.messages.controls import CONTROLS_BLOCK_ID
from tests.conftest import CHANNEL, USER_NEW_YORK, USER_SYDNEY, wait_for

SYDNEY_DST_END = "2026-04-08 03:00Z"  # Wed 8 Apr, 13:00 in Sydney; daylight saving ended Sun 5 Apr
NEW_YORK_DST_START = "2026-03-11 15:00Z"  # Wed 11 Mar, 11:00 in New York; daylight saving began Sun 8 Mar


def report_bodies(sandbox, report_type: str) -> list[dict]:
    return [r["body"] for r in sandbox.app.requests if r.get("type") == report_type]


def windows(sandbox, report_type: str) -> list[tuple[str, str]]:
    return [(b["date_from"], b["date_to"]) for b in report_bodies(sandbox, report_type)]


def controls(message: dict) -> dict:
    (block,) = [b for b in message["blocks"] if b.get("block_id") == CONTROLS_BLOCK_ID]
    return {e["action_id"]: e for e in block["elements"]}


def click(bot, answer: dict, action_id: str, *, user_id=USER_SYDNEY, choose=None, ephemeral=True, ts="1700.0001"):
    """Click a control of `answer` as Slack would post it; returns the response_url the answer goes to."""
    element = controls(answer)[action_id]
    action = {"action_id": action_id, "block_id": CONTROLS_BLOCK_ID, "action_ts": str(time.time())}
    if element["type"] == "static_select":
        (option,) = [o for o in element["options"] if o["text"]["text"] == choose]
        action.update(type="static_select", selected_option=option)
    else:
        action.update(type="button", value=element["value"], text=element["text"])
    response_url = bot.slack.app.new_response_url(f"click-{time.monotonic_ns()}")
    payload = {
        "type": "block_actions",
        "token": "legacy",
        "api_app_id": "A0TEST",
        "trigger_id": "1.2.abc",
        "team": {"id": "T0TEST", "domain": "test"},
        "user": {"id": user_id, "username": "someone", "team_id": "T0TEST"},
        "channel": {"id": CHANNEL, "name": "general"},
        "container": {"type": "message", "message_ts": ts, "channel_id": CHANNEL, "is_ephemeral": ephemeral},
        "response_url": response_url,
        "actions": [action],
    }
    r = bot.action(payload)
    assert r.status_code == 200, r.text
    return response_url


def answer_at(bot, response_url: str, count: int = 1) -> list[dict]:
    return wait_for(lambda: (lambda got: got if len(got) >= count else None)(bot.slack.app.responses(response_url)))


def test_the_range_menu_replaces_the_answer_with_the_new_ranges_numbers(bot, sandbox):
    with time_machine.travel(SYDNEY_DST_END, tick=True):
        first = bot.command("team yesterday")
        (reply,) = answer_at(bot, click(bot, first, REPORT_RANGE, choose="Last week"))
        truth = sandbox.app.report(report_bodies(sandbox, "user_summary")[-1])
    validate_message(reply)
    assert reply["replace_original"] is True and reply["response_type"] == "ephemeral"
    # Monday to Sunday in Sydney, the Sunday after daylight saving ended
    assert windows(sandbox, "user_summary")[-1] == ("2026-03-30T00:00:00+11:00", "2026-04-05T23:59:59+10:00")
    text = json.dumps(reply, ensure_ascii=False)
    assert "last week" in text
    for agent in truth:
        assert agent["first_name"] in text and str(agent["mentions_assigned"]) in text
    assert controls(reply)[REPORT_RANGE]["initial_option"]["text"]["text"] == "Last week"


@pytest.mark.parametrize(
    "frozen,user,typed,now_window,before_window",
    [
        # last week vs the week before, Sydney, across the end of daylight saving
        (
            SYDNEY_DST_END,
            USER_SYDNEY,
            "summary last-week",
            ("2026-03-30T00:00:00+11:00", "2026-04-05T23:59:59+10:00"),
            ("2026-03-23T00:00:00+11:00", "2026-03-29T23:59:59+11:00"),
        ),
        # this week so far vs the same days of last week up to the same time, New York, across its start
        (
            NEW_YORK_DST_START,
            USER_NEW_YORK,
            "summary this-week",
            ("2026-03-09T00:00:00-04:00", "2026-03-11T23:59:59-04:00"),
            ("2026-03-02T00:00:00-05:00", "2026-03-04T11:00:00-05:00"),
        ),
    ],
)
def test_compare_shows_the_previous_period_in_the_askers_timezone(
    bot, sandbox, frozen, user, typed, now_window, before_window
):
    with time_machine.travel(frozen, tick=False):
        first = bot.command(typed, user_id=user)
        (reply,) = answer_at(bot, click(bot, first, REPORT_COMPARE, user_id=user))
        # the sandbox's numbers for a day still running depend on the clock: read them at the same time
        now_truth, before_truth = (sandbox.app.report(b) for b in report_bodies(sandbox, "summary")[-2:])
    validate_message(reply)
    assert reply["replace_original"] is True
    assert windows(sandbox, "summary")[-2:] == [now_window, before_window]
    diff = now_truth["broke_sla"] - before_truth["broke_sla"]
    arrow = "no change" if diff == 0 else f"{'▲' if diff > 0 else '▼'} {abs(diff)}"
    text = reply["blocks"][1]["text"]["text"]
    assert f"*Breaches*  {now_truth['broke_sla']}  {arrow} vs" in text
    assert f"({before_truth['broke_sla']})" in text
    # the button now undoes it: back to the plain answer, in place
    assert controls(reply)[REPORT_COMPARE]["text"]["text"] == "Hide comparison"


def test_filters_and_the_compare_carry_over_a_range_change(bot, sandbox):
    first = bot.command('team last-week group:"Email Support" compare')
    (reply,) = answer_at(bot, click(bot, first, REPORT_RANGE, choose="Last 30 days"))
    bodies = report_bodies(sandbox, "user_summary")
    assert len(bodies) == 4 and all(b.get("groups") == bodies[0]["groups"] and b["groups"] for b in bodies)
    text = json.dumps(reply, ensure_ascii=False)
    assert "group: Email Support" in text and "the 30 days before" in text


@pytest.mark.both_databases
def test_share_posts_once_in_the_channel_and_deletes_the_private_copy(bot, slack):
    first = bot.command("summary yesterday")
    urls = [click(bot, first, REPORT_SHARE), click(bot, first, REPORT_SHARE)]  # a double click, answered in parallel
    wait_for(lambda: any(len(slack.app.responses(u)) >= 2 for u in urls))
    time.sleep(1.0)  # time for a second post, were there to be one
    posted = [slack.app.responses(u) for u in urls]
    assert sorted(len(p) for p in posted) == [0, 2], posted
    shared, deleted = max(posted, key=len)
    validate_message(shared)
    assert shared["response_type"] == "in_channel" and shared["replace_original"] is False
    assert f"Shared by <@{USER_SYDNEY}>" in json.dumps(shared)
    assert REPORT_SHARE not in controls(shared)  # already in the channel
    assert deleted == {"delete_original": True}


def test_another_users_click_on_a_shared_answer_answers_them_privately(bot, sandbox):
    with time_machine.travel(SYDNEY_DST_END, tick=True):
        first = bot.command("summary yesterday")
        shared, _ = answer_at(bot, click(bot, first, REPORT_SHARE), 2)
        (theirs,) = answer_at(
            bot, click(bot, shared, REPORT_RANGE, user_id=USER_NEW_YORK, choose="Last week", ephemeral=False)
        )
        # the asker's own click on the shared answer changes it for everyone, still with their name
        (asker,) = answer_at(bot, click(bot, shared, REPORT_COMPARE, ephemeral=False))
    assert theirs["response_type"] == "ephemeral" and theirs["replace_original"] is False
    # their range in their own timezone (New York); the share itself came from the cache
    assert windows(sandbox, "summary")[1] == ("2026-03-30T00:00:00-04:00", "2026-04-05T23:59:59-04:00")
    assert REPORT_SHARE in controls(theirs) and "Shared by" not in json.dumps(theirs)
    assert asker["response_type"] == "in_channel" and asker["replace_original"] is True
    assert f"Shared by <@{USER_SYDNEY}>" in json.dumps(asker)


def test_a_click_that_fails_answers_beside_the_answer_and_keeps_it(bot, sandbox):
    first = bot.command("summary yesterday")
    sandbox.app.fail_next(500, times=10)  # Lexer down for the click: the answer must stay
    (reply,) = answer_at(bot, click(bot, first, REPORT_RANGE, choose="Last month"))
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"
    assert CONTROLS_BLOCK_ID not in json.dumps(reply)


def test_lexer_bot_serve_answers_a_click_from_its_command_worker(sandbox, slack, tmp_path):
    """The real `lexer-bot serve --workers 1`: a click is queued to the worker process like a typed command."""
    import subprocess
    import sys

    from tests.conftest import BOT_TOKEN, SIGNING_SECRET, Bot
    from tests.listeners.test_slash_command import _env, _free_port, _try_get

    port = _free_port()
    env = _env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=f"{slack.url}/api/",
        LEXER_API_TOKEN="sandbox-token",
        LEXER_API_URL=f"{sandbox.url}/v1",
        LEXER_STATUS_URL=f"{sandbox.url}/api/public/v1/activity/reports/status",
        LEXERBOT_DB=str(tmp_path / "served.db"),
    )
    serve = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-scheduler"]
    proc = subprocess.Popen(
        [*serve, "--workers", "1"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: _try_get(f"http://127.0.0.1:{port}/healthz"), timeout=20)
        served = Bot(f"http://127.0.0.1:{port}", None, slack)
        first = served.command("summary last-week", user_id=USER_NEW_YORK, timeout=30)
        (reply,) = answer_at(served, click(served, first, REPORT_COMPARE, user_id=USER_NEW_YORK))
    finally:
        proc.terminate()
        proc.wait(10)
    validate_message(reply)
    assert reply["replace_original"] is True and "vs the week before" in json.dumps(reply, ensure_ascii=False)
    # New York, in the worker too; and last week itself came from the cache the typed command filled
    assert [w[0][-6:] for w in windows(sandbox, "summary")] == ["-05:00"] * 2


@pytest.mark.parametrize(
    "typed,report_type",
    [
        ("team last-week compare", "user_summary"),
        ("workload last-week compare", "user_volume"),
        ("states last-week compare", "states_volume"),
        ("classifications last-week compare", "classifications"),
        ("response-time last-week compare", "response_volume"),
        ("cases last-week compare", "case_summary"),
        ("case-classifications last-week compare", "case_classifications"),
        ('nps "NPS Survey" last-week compare detractors', "nps_summary"),
    ],
)
def test_every_report_compares_typed_or_clicked(bot, sandbox, typed, report_type):
    with time_machine.travel(SYDNEY_DST_END, tick=True):
        reply = bot.command(typed)
    validate_message(reply)
    assert reply["blocks"][0]["text"]["text"].endswith("· compared")
    assert windows(sandbox, report_type) == [
        ("2026-03-30T00:00:00+11:00", "2026-04-05T23:59:59+10:00"),
        ("2026-03-23T00:00:00+11:00", "2026-03-29T23:59:59+11:00"),
    ]
    assert controls(reply)[REPORT_COMPARE]["text"]["text"] == "Hide comparison"


@pytest.mark.both_databases
def test_a_click_during_a_database_outage_is_held_and_answered_once_when_it_is_back(bot, database_down):
    """As a typed /lexer is (bot.commands.queue.HeldCommands). Failed before: the click was answered in the web
    process, whose answer met the outage too: 'Something went wrong', and nothing once the database was back."""
    from bot.store.command_queue import CommandQueue
    from bot.store.lexer_cache import LexerCache

    first = bot.command("team yesterday")
    down = database_down.fail((CommandQueue, "enqueue"), (LexerCache, "get"), (LexerCache, "lead_or_follow")).down
    down.set()
    url = click(bot, first, REPORT_RANGE, choose="Last week")
    time.sleep(1.0)
    assert bot.slack.app.responses(url) == []  # nothing yet: held, not answered with an error
    down.clear()
    (reply,) = answer_at(bot, url)
    time.sleep(1.0)
    assert len(bot.slack.app.responses(url)) == 1
    assert "went wrong" not in json.dumps(reply) and "last week" in json.dumps(reply)
