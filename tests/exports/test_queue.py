"""The queue: jobs survive a restart, are never delivered twice, and wait their turn with their place shown."""

from __future__ import annotations

import pytest

from bot.slack.text import render_message_text
from bot.store import open_store
from tests.conftest import ADMIN, make_settings, start_process, wait_for
from tests.exports.conftest import FAST, dm_messages, export_text, job_rows, queue_of, start_bot, starts


@pytest.mark.both_databases
def test_restart_mid_export_resumes_with_the_stored_token_and_delivers_once(bot, sandbox, slack, settings):
    sandbox.app.set_export_status(None, "pending")  # Lexer keeps us waiting…
    bot.command("export cases last-week", user_id=ADMIN)
    job = wait_for(lambda: next((j for j in job_rows(bot.deps) if j["state"] == "waiting"), None))
    queue_of(bot.running).stop()  # …and the process goes away mid-export
    # as if it died hard: another worker's claim, long untouched
    bot.deps.store.db["export_jobs"].update(
        job["id"], {"worker": "gone:1:x", "updated_at": "2000-01-01T00:00:00+00:00"}
    )
    sandbox.app.set_export_status(None, None)
    sandbox.app.set_export_status(job["report_token"], None)  # Lexer finishes meanwhile

    running = start_process(settings, export_options=FAST)  # a new process on the same database file
    deps = running.deps
    try:
        assert queue_of(running).wait_idle(20)
        wait_for(lambda: job_rows(deps)[0]["state"] == "done")
        [done] = job_rows(deps)
        assert done["report_token"] == job["report_token"] and done["attempts"] == 2
        assert len(starts(sandbox)) == 1  # resumed, not started again
        assert len([u for u in slack.app.uploads if u.completed]) == 1
        assert "Done" in export_text(slack)
        # one progress message, kept current across the restart
        assert len([m for m in dm_messages(slack) if m.get("blocks")]) == 1
    finally:
        running.stop()


def test_restart_while_sharing_tells_the_user_rather_than_sending_twice(sandbox, slack, tmp_path, database):

    settings = make_settings(sandbox, slack, tmp_path, db_path=database)
    store = open_store(settings.db_path)
    store.db["export_jobs"].insert(
        {
            "user_id": ADMIN,
            "kind": "cases",
            "range_text": "yesterday",
            "tz": "UTC",
            "state": "sharing",
            "date_from": "2026-11-22T00:00:00+00:00",
            "date_to": "2026-11-22T23:59:59+00:00",
            "range_desc": "yesterday (Sun 22 Nov 2026)",
            "report_token": "tok",
            "worker": None,
            "attempts": 1,
        }
    )
    store.close()
    running = start_process(settings, export_options=FAST)
    deps = running.deps
    try:
        wait_for(lambda: job_rows(deps)[0]["state"] == "failed")
        assert queue_of(running).wait_idle(10)
        text = export_text(slack)
        assert "restarted while it was sharing the file" in text and "run the export again" in text
        assert slack.app.uploads == []
    finally:
        running.stop()


@pytest.mark.both_databases
def test_queue_shows_position_and_runs_at_most_n_at_once(sandbox, slack, tmp_path, database):
    settings = make_settings(sandbox, slack, tmp_path, db_path=database, export_concurrency=1)
    sandbox.app.set_export_status(None, "pending")
    bot, stop = start_bot(settings, slack)
    try:
        for text in ("export cases yesterday", "export responses yesterday", "export cases last-week"):
            bot.command(text, user_id=ADMIN)
        first = wait_for(lambda: next((j for j in job_rows(bot.deps) if j["report_token"]), None))
        texts = [render_message_text(m) for m in dm_messages(slack) if m.get("blocks")]
        assert len(texts) == 3
        assert "Queued — you're next." in texts[1] and "Queued — 1 ahead of you." in texts[2]
        assert len(starts(sandbox)) == 1  # one at a time
        sandbox.app.set_export_status(None, None)
        sandbox.app.set_export_status(first["report_token"], None)
        assert queue_of(bot.running).wait_idle(20)
        assert [j["state"] for j in job_rows(bot.deps)] == ["done"] * 3
        assert len([u for u in slack.app.uploads if u.completed]) == 3
    finally:
        stop()


@pytest.mark.both_databases
def test_two_threads_of_one_process_never_run_one_job(sandbox, slack, tmp_path, database):
    """Failed before: a scan between submit's insert and its append queued a job twice, and two threads ran it."""
    from dataclasses import replace

    settings = make_settings(sandbox, slack, tmp_path, db_path=database, export_concurrency=4)
    # scanning all the time, so a scan lands between every insert and the line it goes into
    bot, stop = start_bot(settings, slack, replace(FAST, scan_interval_s=0.0005, heartbeat_s=0.05))
    try:
        for _ in range(12):
            bot.command("export cases yesterday", user_id=ADMIN)
        assert queue_of(bot.running).wait_idle(60)
        rows = job_rows(bot.deps)
        assert [r["state"] for r in rows] == ["done"] * 12
        assert [r["attempts"] for r in rows] == [1] * 12 and [r["claim_gen"] for r in rows] == [1] * 12
        assert len(starts(sandbox)) == 12
        assert len([u for u in slack.app.uploads if u.completed]) == 12
        assert len([m for m in dm_messages(slack) if m.get("blocks")]) == 12  # one progress message each
    finally:
        stop()


def test_an_export_that_meets_a_closed_lexer_window_waits_for_it_and_is_delivered(sandbox, slack, tmp_path, database):
    """A 429 (Retry-After 2 s) on the export's first request: it waits for the window. Failed before: the job
    ended `failed` with "Lexer is busy, try again in …" and the export was lost."""
    settings = make_settings(sandbox, slack, tmp_path, db_path=database)
    bot, stop = start_bot(settings, slack, FAST)
    try:
        sandbox.app.fail_next(429, retry_after=2, times=1)
        bot.command("export cases yesterday", user_id=ADMIN)
        assert queue_of(bot.running).wait_idle(60)
        assert [r["state"] for r in job_rows(bot.deps)] == ["done"]
        assert len(slack.app.calls_to("files.completeUploadExternal")) == 1
    finally:
        stop()
