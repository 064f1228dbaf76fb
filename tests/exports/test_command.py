"""/lexer export: who may, what is refused before a job is queued, and what the job carries."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.commands.answer import Asker
from bot.slack.text import render_message_text
from tests.conftest import ADMIN, USER_SYDNEY, start_process
from tests.exports.conftest import export_text, job_rows, queue_of, starts


def test_non_admin_is_refused_and_told_who_can(bot, sandbox, slack):
    reply = bot.command("export cases last-week", user_id=USER_SYDNEY)
    text = render_message_text(reply)
    assert "admins" in text and ADMIN in text  # names who can
    assert job_rows(bot.deps) == [] and starts(sandbox) == [] and slack.app.uploads == []


def test_nps_export_with_two_surveys_asks_which(bot, sandbox):
    reply = bot.command("export nps last-7d", user_id=ADMIN)
    text = render_message_text(reply)
    assert "more than one NPS survey" in text and "Post-chat NPS (61)" in text
    assert job_rows(bot.deps) == [] and starts(sandbox) == []


def test_bad_range_is_refused_before_queueing(bot, sandbox):
    reply = bot.command("export cases 2999-01-01", user_id=ADMIN)
    assert "future" in render_message_text(reply)
    assert job_rows(bot.deps) == [] and starts(sandbox) == []


def test_ask_says_exports_are_delivered_in_slack(settings):
    running = start_process(settings, with_slack=False)
    reply = running.runner.run(
        "export cases last-week", Asker(user_id=ADMIN, channel_id=None, tz=ZoneInfo("UTC"), is_admin=True)
    )
    assert "delivered in Slack" in render_message_text(reply.message)
    assert queue_of(running) is None and running.workers == [] and job_rows(running.deps) == []
    running.stop()


def test_filters_go_to_lexer_with_the_export(bot, sandbox, slack):
    agent = bot.deps.directory.users()[0]
    bot.command(f"export responses yesterday agent:{agent.email}", user_id=ADMIN)
    assert queue_of(bot.running).wait_idle(20)
    [start] = starts(sandbox)
    assert start["body"]["users"] == [agent.id]
    assert job_rows(bot.deps)[0]["state"] == "done"
    assert agent.name in export_text(slack)
