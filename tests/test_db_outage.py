"""The served bot lives through a PostgreSQL outage: /healthz says so, acks answer in time, and what was asked or
due meanwhile is done once when the database is back.

The cluster is the test's own (bot.sandbox.pg_cluster), stopped and started on the same port and data: the
session's cluster is shared by every other PostgreSQL test.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from bot.sandbox.server import serve_in_thread
from tests.conftest import CHANNEL, USER_SYDNEY, Bot, make_settings, wait_for, wait_until

UTC = timezone.utc


def _send_command(bot: Bot, text: str) -> tuple[str, float, str]:
    """`/lexer TEXT` as Slack sends it: (its response_url's key, seconds until the ack, the ack's text)."""
    key = f"cmd-{time.monotonic_ns()}"
    form = {
        "team_id": "T0TEST",
        "channel_id": CHANNEL,
        "user_id": USER_SYDNEY,
        "command": "/lexer",
        "text": text,
        "api_app_id": "A0TEST",
        "response_url": bot.slack.app.new_response_url(key),
        "trigger_id": "1.2.abc",
    }
    start = time.monotonic()
    r = bot.signed_post(urllib.parse.urlencode(form))
    took = time.monotonic() - start
    assert r.status_code == 200, r.text
    return key, took, (r.json().get("text", "") if r.content else "")


def _health(bot: Bot) -> dict:
    return bot.http.get(f"{bot.url}/healthz").json()


def test_the_served_bot_lives_through_a_database_outage_and_does_everything_once_after(
    own_cluster, sandbox, slack, tmp_path
):
    from bot.cli import build_served
    from bot.store import open_store

    url = own_cluster.url(own_cluster.create_database())
    settings = make_settings(sandbox, slack, tmp_path, db_path=url)
    fire = (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)
    store = open_store(url)
    sub = store.subscriptions.add(
        kind="sla", channel_id=CHANNEL, cadence="daily", at_time=fire.strftime("%H:%M"), tz="UTC", created_by="U1"
    )
    store.close()
    with time_machine.travel(fire - timedelta(seconds=12), tick=True):  # the digest's minute is 12 s away
        running, wsgi = build_served(settings, scheduler=True)
        handle = serve_in_thread(wsgi)
        bot = Bot(handle.url, running, slack)
        try:
            wait_for(lambda: running.scheduler.get_job(f"digest:{sub.id}"), timeout=5)
            assert bot.command("users")  # answered as usual, on the pool's kept connections
            wait_until(fire - timedelta(seconds=5))
            own_cluster.halt()

            health = bot.http.get(f"{bot.url}/healthz")
            assert health.status_code == 503
            body = health.json()
            assert body["status"] == "degraded" and body["database"] == "unreachable"
            # /healthz is public: it says since when, never which database (the log says that)
            assert own_cluster.password not in health.text and "127.0.0.1" not in health.text

            # once the pool has given up reconnecting, /healthz says for how long, and the command cannot be
            # written: the web process holds it, and writes it when the database is back
            wait_for(lambda: "unreachable_for_s" in _health(bot)["database_unreachable"], timeout=15)
            key, took, ack = _send_command(bot, "summary")
            assert took < 3.0, f"the ack took {took:.1f} s"
            assert ack.startswith("Got it — it's taking a moment")  # bot.lexer.budget.still_queuing_notice
            wait_for(lambda: len(running.command_pool.intake.held) == 1, timeout=10)

            wait_until(fire + timedelta(seconds=10))
            own_cluster.start()

            answers = wait_for(lambda: slack.app.responses(key), timeout=60)
            wait_for(lambda: slack.app.messages(CHANNEL), timeout=60)
            time.sleep(3)  # a second answer or post would come now, from a retry or a recovery
            answers = slack.app.responses(key)
            assert len(answers) == 1, answers
            assert "SLA" in answers[0].get("text", "") or answers[0].get("blocks"), answers[0]
            assert len(slack.app.messages(CHANNEL)) == 1
            runs = running.deps.store.digest_runs.runs_for(sub.id)
            assert [(r["scheduled_for"], r["status"]) for r in runs] == [(fire.isoformat(), "posted")]
            assert len(running.command_pool.intake.held) == 0
            assert _health(bot)["database"] == "ok"
        finally:
            running.stop()
            bot.http.close()
            handle.stop()


def test_a_queued_command_met_by_the_outage_is_not_answered_with_an_error(own_cluster, sandbox, slack, tmp_path):
    """A worker answering a queued command while the database is down leaves it in line (its lease runs out and it
    is answered once the database is back) instead of answering 'Something went wrong' and then again."""
    from bot.commands.answer import Asker
    from bot.commands.dispatcher import answer_command
    from bot.store.backend import UnavailableError
    from tests.conftest import start_process

    settings = make_settings(sandbox, slack, tmp_path, db_path=own_cluster.url(own_cluster.create_database()))
    running = start_process(settings)
    try:
        own_cluster.halt()
        wait_for(lambda: "unreachable_for_s" in running.deps.store.health(), timeout=20)
        asker = Asker(user_id=USER_SYDNEY, channel_id=CHANNEL, tz=UTC, is_admin=False)
        with pytest.raises(UnavailableError):
            running.runner.run("summary", asker, defer_busy=True)
        key = "cmd-outage"
        job = {"user_id": USER_SYDNEY, "channel_id": CHANNEL, "text": "summary"}
        job["response_url"] = slack.app.new_response_url(key)
        with pytest.raises(UnavailableError):
            answer_command(running.deps, running.runner, job, running.deps.slack, defer_busy=True)
        assert slack.app.responses(key) == []
    finally:
        own_cluster.start()
        running.stop()


def test_a_command_whose_answer_meets_the_outage_is_answered_once_when_it_is_back(
    own_cluster, sandbox, slack, tmp_path
):
    """The database stops under a dispatcher's first answer: the command goes back in line when the database
    answers again (it stayed `running` under the dispatcher's own lease before, never answered)."""
    from bot.commands.dispatcher import CommandDispatcher, answer_command
    from tests.conftest import start_process

    settings = make_settings(sandbox, slack, tmp_path, db_path=own_cluster.url(own_cluster.create_database()))
    running = start_process(settings)
    store = running.deps.store
    calls = []

    def answer(*args, **kwargs):
        if not calls:  # the first answer meets a database known to be down, back 2 s later
            own_cluster.halt()
            wait_for(lambda: "unreachable_for_s" in store.health(), timeout=20)
            threading.Timer(2.0, own_cluster.start).start()
        calls.append(time.monotonic())
        return answer_command(*args, **kwargs)

    key = "cmd-during-outage"
    job = {"user_id": USER_SYDNEY, "channel_id": CHANNEL, "text": "summary"}
    job["response_url"] = slack.app.new_response_url(key)
    store.command_queue.enqueue(job, time.time())
    dispatcher = CommandDispatcher(running.deps, running.runner, answer=answer).start()
    try:
        wait_for(lambda: slack.app.responses(key), timeout=60)
        time.sleep(2)  # a second answer would come now
        assert len(slack.app.responses(key)) == 1 and len(calls) == 2
        assert store.command_queue.running() == 0
    finally:
        dispatcher.stop()
        running.stop()


def test_a_held_command_whose_failed_write_landed_is_not_queued_twice(sandbox, slack, tmp_path):
    """The write the database failed may have landed all the same: the held command is then in line already."""
    from bot.commands.queue import CommandIntake
    from tests.conftest import start_process

    running = start_process(make_settings(sandbox, slack, tmp_path))
    try:
        intake = CommandIntake(running.deps, wake=lambda: None)
        landed = {"user_id": USER_SYDNEY, "channel_id": CHANNEL, "text": "summary", "response_url": "https://x/1"}
        running.deps.store.command_queue.enqueue(landed, time.time())
        intake.held.add(dict(landed))
        intake.held.add({**landed, "response_url": "https://x/2"})
        wait_for(lambda: len(intake.held) == 0, timeout=10)
        rows = running.deps.store.db.execute("select response_url from command_queue order by id").fetchall()
        assert [r[0] for r in rows] == ["https://x/1", "https://x/2"]
        intake.held.stop()
    finally:
        running.stop()


def test_a_held_command_asked_again_meanwhile_is_answered_once(sandbox, slack, tmp_path):
    """A held command's ack says to try again if nothing arrives within a minute. Failed before: the user who did
    got two answers once the database took the held one too."""
    from bot.commands.queue import CommandIntake
    from tests.conftest import start_process

    running = start_process(make_settings(sandbox, slack, tmp_path))
    try:
        intake = CommandIntake(running.deps, wake=lambda: None)
        held = {"user_id": USER_SYDNEY, "channel_id": CHANNEL, "text": "summary", "response_url": "https://x/1"}
        intake.held.add(dict(held))
        again = {**held, "response_url": "https://x/2"}  # the retry, taken once the database was back
        running.deps.store.command_queue.enqueue(again, running.deps.now().timestamp())
        wait_for(lambda: len(intake.held) == 0, timeout=10)
        rows = running.deps.store.db.execute("select response_url from command_queue order by id").fetchall()
        assert [r[0] for r in rows] == ["https://x/2"]
        intake.held.stop()
    finally:
        running.stop()
