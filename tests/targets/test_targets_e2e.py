"""SLA targets end to end: signed /lexer requests to the served bot, the Lexer sandbox and the Slack stand-in."""

import json

import pytest

from bot.sandbox.server import serve_in_thread
from bot.slack.format import format_percent
from digests.jobs import send_digest
from tests.conftest import ADMIN, CHANNEL, USER_SYDNEY, Bot


def text_of(reply: dict) -> str:
    return json.dumps(reply.get("blocks"), ensure_ascii=False) + reply.get("text", "")


def truth(sandbox, report_type: str) -> dict:
    body = [r["body"] for r in sandbox.app.requests if r.get("type") == report_type][-1]
    return sandbox.app.report(body)


def test_with_no_targets_set_answers_carry_no_marks(bot):
    reply = bot.command("summary yesterday")
    assert "target" not in text_of(reply) and "✅" not in text_of(reply)
    assert "No SLA targets are set" in text_of(bot.command("targets"))


def test_a_non_admin_cannot_set_targets_and_is_told_who_can(bot):
    reply = bot.command("targets breach-rate 5%", user_id=USER_SYDNEY)
    assert "Only lexer-bot admins" in text_of(reply) and f"<@{ADMIN}>" in text_of(reply)
    assert bot.deps.store.targets.all() == []
    assert "No SLA targets are set" in text_of(bot.command("targets", user_id=USER_SYDNEY))


@pytest.mark.both_databases
def test_targets_set_are_marked_on_summary_and_team_and_survive_a_restart(bot, sandbox, slack, settings):
    bot.command("summary yesterday")
    s = truth(sandbox, "summary")
    rate = format_percent(s["broke_sla"] / s["total_responded_to"])  # as the reply shows it
    shown = int(rate.rstrip("%"))
    reply = bot.command(f"targets breach-rate {shown}% median-wait 1m response-rate 100%", user_id=ADMIN)
    assert "breach-rate* is now" in text_of(reply)
    [entry, *_] = bot.deps.store.audit_log.entries("targets.set")
    assert entry["user_id"] == ADMIN and entry["detail"]["metric"] == "breach-rate"

    text = text_of(bot.command("summary yesterday"))
    assert f"({rate}) ✅ target {shown}%" in text  # at the target: on it
    wait_mark = "✅" if s["median_response_time"] <= 60 else ("⚠️" if s["median_response_time"] <= 72 else "🔴")
    assert f"{wait_mark} target 1m 0s" in text
    assert "target 100%" in text

    bot.command(f"targets breach-rate {shown / 1.2 - 0.01:.2f}%", user_id=ADMIN)  # just over 1.2 x the target
    assert "🔴 target" in text_of(bot.command("summary yesterday"))
    bot.command(f"targets breach-rate {shown / 1.2 + 0.01:.2f}%", user_id=ADMIN)  # just within 20% of it
    assert f"({rate}) ⚠️ target" in text_of(bot.command("summary yesterday"))

    team = text_of(bot.command("team yesterday"))
    assert "target 100%" in team and "target" in team.split("responded", 1)[1]

    # a restart: a new process on the same database shows the same targets
    bot.running.stop()
    from bot.cli import build_served

    running, wsgi = build_served(settings, scheduler=False)
    handle = serve_in_thread(wsgi)
    again = Bot(handle.url, running, slack)
    try:
        listing = text_of(again.command("targets"))
        assert "breach-rate" in listing and "median-wait" in listing and "1m 0s" in listing
        assert "100%" in listing
        assert "target 1m 0s" in text_of(again.command("summary yesterday"))
        cleared = text_of(again.command("targets median-wait off", user_id=ADMIN))
        assert "cleared" in cleared
        assert "target 1m 0s" not in text_of(again.command("summary yesterday"))
        assert again.deps.store.audit_log.entries("targets.clear")
    finally:
        running.stop()
        again.http.close()
        handle.stop()


def test_a_groups_target_applies_to_that_groups_answers_only(bot, sandbox):
    bot.command("targets breach-rate 100%", user_id=ADMIN)
    bot.command('targets breach-rate 0% group:"Email Support"', user_id=ADMIN)
    listing = text_of(bot.command("targets"))
    assert "group Email Support" in listing and "whole workspace" in listing
    group_text = text_of(bot.command('summary last-7d group:"Email Support"'))
    s = truth(sandbox, "summary")
    assert s["broke_sla"] > 0  # the sandbox's Email Support group breaches in a week
    assert "🔴 target 0%" in group_text
    assert "✅ target 100%" in text_of(bot.command("summary last-7d"))


def test_the_sla_digest_opens_with_how_many_targets_were_met(bot, sandbox, slack):
    from datetime import datetime, timezone

    deps = bot.deps
    bot.command("targets breach-rate 100% median-wait 7d", user_id=ADMIN)
    bot.command("targets response-rate 100%", user_id=ADMIN)
    sub = deps.store.subscriptions.add(
        kind="sla", channel_id=CHANNEL, cadence="daily", at_time="09:00", tz="UTC", created_by=ADMIN
    )
    due = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    assert send_digest(deps, sub, due).status == "posted"
    [digest] = [m for m in slack.app.messages(CHANNEL) if "digest" in (m.get("text") or "")]
    y = [r for r in sandbox.app.requests if r.get("type") == "summary"][0]["body"]
    s = sandbox.app.report(y)
    met = 2 + (1 if s["total_responded_to"] == s["total_volume"] else 0)
    line = f"{met} of 3 targets met yesterday"
    assert digest["text"].startswith(line)
    assert digest["blocks"][1]["text"]["text"] == f"*{line}*"  # the first line under the header
    fields = json.dumps(digest["blocks"], ensure_ascii=False)
    assert "✅ target 100%" in fields and "✅ target 7d 0h" in fields


def test_the_home_tab_marks_todays_numbers_against_the_targets(bot):
    from tests.test_home import open_home, texts

    assert "target" not in texts(open_home(bot, ADMIN))
    bot.command("targets breach-rate 100% median-wait 7d", user_id=ADMIN)
    view = texts(open_home(bot, ADMIN))
    today = view.split("How to use", 1)[0]
    if "Median wait" in today and "of responses" in today:  # the sandbox had replies today
        assert "✅ target 100%" in today and "✅ target 7d 0h" in today
    else:
        assert "target" not in today  # no figure yet, nothing to mark
