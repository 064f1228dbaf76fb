"""CSV exports end to end: signed /lexer export -> sandbox export -> streamed upload into the Slack stand-in's DM."""

from __future__ import annotations

import hashlib
import os
import time
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.commands import Asker
from bot.export_jobs import QueueOptions, RowCounter
from bot.sandbox.server import serve_in_thread
from bot.slack.text import render_message_text
from tests.conftest import ADMIN, USER_SYDNEY, Bot, make_settings, start_process, wait_for

BIG_EXPORT_BYTES = 30_000_000
FAST = QueueOptions(poll_first_s=0.02, poll_max_s=0.05, upload_retry_delays_s=(0.01, 0.02), scan_interval_s=0.2)


@pytest.fixture
def export_options():
    """Tiny poll and retry delays so the suite stays fast (the bot fixture passes them to its Deps)."""
    return FAST


# ------------------------------------------------------------------ pure helpers


@pytest.mark.parametrize(
    "chunks, rows",
    [
        ([b""], 0),
        ([b"a,b\n"], 0),
        ([b"a,b\n1,2\n"], 1),
        ([b"a,b\n1,2\n3,4"], 2),  # no newline at the end
        ([b"a,b", b"\n1,", b"2\n", b"3,4\n"], 2),
        ([b"a,b\n" + b"1,2\n" * 1000], 1000),
    ],
)
def test_row_counter(chunks, rows):
    counter = RowCounter()
    for c in chunks:
        counter.feed(c)
    assert counter.rows == rows
    assert counter.size == sum(map(len, chunks))


# ------------------------------------------------------------------ end to end


def dm_messages(slack, user=ADMIN) -> list[dict]:
    return slack.app.messages(user)


def export_text(slack, user=ADMIN) -> str:
    """The progress message (the first bot message with blocks in the DM), as a user reads it."""
    msgs = [m for m in dm_messages(slack, user) if m.get("blocks")]
    return render_message_text(msgs[0]) if msgs else ""


def job_rows(runtime) -> list[dict]:
    return list(runtime.store.db["export_jobs"].rows_where(order_by="id"))


def queue_of(runtime):
    return runtime.exports


def sandbox_csv_sha256(sandbox, settings, token: str) -> tuple[str, bytes]:
    """Download the export's CSV from the sandbox ourselves (status -> url -> GET)."""
    with httpx.Client(headers={"Auth-Api-Token": settings.api_token}, timeout=30) as http:
        status = http.get(settings.lexer_status_url, params={"token": token}).json()
        body = http.get(status["url"]).content
    return hashlib.sha256(body).hexdigest(), body


def starts(sandbox) -> list[dict]:
    return [
        r
        for r in sandbox.app.requests
        if r["path"].endswith("/activity/reports")
        and (r.get("body") or {}).get("type") in ("case_details", "mention_sla_export", "nps_submissions")
    ]


def test_export_cases_lands_in_requesters_dm_byte_for_byte(bot, sandbox, slack, settings):
    reply = bot.command("export cases last-week", user_id=ADMIN)
    text = render_message_text(reply)
    assert "queued" in text.lower() and "direct message" in text
    assert queue_of(bot.runtime).wait_idle(20)
    [job] = job_rows(bot.runtime)
    assert job["state"] == "done", job
    [upload] = [u for u in slack.app.uploads if u.completed]
    dm = slack.app.calls_to("conversations.open")[0]
    assert upload.channel_id == job["dm_channel"] and upload.channel_id.startswith("D")
    assert dm.params.get("users") == ADMIN
    assert upload.title.startswith("Cases ") and upload.title.endswith("(Australia/Sydney).csv")
    digest, body = sandbox_csv_sha256(sandbox, settings, job["report_token"])
    assert upload.sha256 == digest and upload.size == len(body) == job["size_bytes"]
    assert job["rows"] == body.count(b"\n") - 1
    # the file share and the progress message are in the DM; the message says done, with name, size and rows
    final = export_text(slack)
    assert "Done" in final and upload.title in final and f"{job['rows']:,} row" in final
    assert any(m.get("files") for m in dm_messages(slack))
    # the body posted went to Lexer with the asker's local week
    [start] = starts(sandbox)
    assert start["body"]["type"] == "case_details" and start["body"]["date_from"].endswith("+11:00")
    # progress updates are throttled: started/uploading/done are forced, the rest at most one per 2.5 s
    assert len(slack.app.calls_to("chat.update")) <= 4


@pytest.mark.parametrize(
    "text, report_type",
    [("export responses yesterday", "mention_sla_export"), ("export nps post-chat last-7d", "nps_submissions")],
)
def test_other_exports(bot, sandbox, slack, text, report_type):
    bot.command(text, user_id=ADMIN)
    assert queue_of(bot.runtime).wait_idle(20)
    [job] = job_rows(bot.runtime)
    assert job["state"] == "done", job
    [start] = starts(sandbox)
    assert start["body"]["type"] == report_type
    if report_type == "nps_submissions":
        assert start["body"]["form"] == job["form_id"] == 61 and start["body"]["nps_category"] == "all"
        assert [u.title for u in slack.app.uploads][0].startswith("NPS submissions (Post-chat NPS) ")
    assert [u for u in slack.app.uploads if u.completed]


def test_non_admin_is_refused_and_told_who_can(bot, sandbox, slack):
    reply = bot.command("export cases last-week", user_id=USER_SYDNEY)
    text = render_message_text(reply)
    assert "admins" in text and ADMIN in text  # names who can
    assert job_rows(bot.runtime) == [] and starts(sandbox) == [] and slack.app.uploads == []


def test_nps_export_with_two_surveys_asks_which(bot, sandbox):
    reply = bot.command("export nps last-7d", user_id=ADMIN)
    text = render_message_text(reply)
    assert "more than one NPS survey" in text and "Post-chat NPS (61)" in text
    assert job_rows(bot.runtime) == [] and starts(sandbox) == []


def test_bad_range_is_refused_before_queueing(bot, sandbox):
    reply = bot.command("export cases 2999-01-01", user_id=ADMIN)
    assert "future" in render_message_text(reply)
    assert job_rows(bot.runtime) == [] and starts(sandbox) == []


def test_failed_export_says_why_and_what_to_try(bot, sandbox, slack):
    sandbox.app.set_export_status(None, "failed")
    bot.command("export cases yesterday", user_id=ADMIN)
    assert queue_of(bot.runtime).wait_idle(20)
    [job] = job_rows(bot.runtime)
    assert job["state"] == "failed"
    text = export_text(slack)
    assert "Failed: Lexer reported the export as 'failed'" in text and "What to try" in text
    assert slack.app.uploads == []


def start_bot(settings, slack) -> tuple[Bot, callable]:
    from bot.cli import build_served

    running, wsgi = build_served(settings, scheduler=False, export_options=FAST)
    handle = serve_in_thread(wsgi)

    def stop():
        running.stop()
        handle.stop()

    return Bot(handle.url, running, slack), stop


def test_export_that_times_out(sandbox, slack, tmp_path):
    settings = make_settings(sandbox, slack, tmp_path, export_timeout_s=0.3)
    sandbox.app.set_export_status(None, "pending")
    bot, stop = start_bot(settings, slack)
    try:
        bot.command("export cases yesterday", user_id=ADMIN)
        assert queue_of(bot.runtime).wait_idle(20)
        [job] = job_rows(bot.runtime)
        assert job["state"] == "failed"
        text = export_text(slack)
        assert "did not finish the export within 1 second" in text and "shorter range" in text
    finally:
        stop()


def test_file_over_slacks_limit_suggests_a_shorter_range(bot, sandbox, slack, monkeypatch):
    queue_of(bot.runtime).options = QueueOptions(**{**FAST.__dict__, "max_file_bytes": 10_000})
    sandbox.app.export_size_bytes = 50_000
    bot.command("export cases last-week", user_id=ADMIN)
    assert queue_of(bot.runtime).wait_idle(20)
    text = export_text(slack)
    assert "over Slack's 10 KB file limit" in text and "shorter range" in text
    assert slack.app.uploads == []


def test_upload_500_is_retried_then_delivered(bot, sandbox, slack, settings):
    slack.app.fail_next("upload", status=500, times=2)
    bot.command("export cases yesterday", user_id=ADMIN)
    assert queue_of(bot.runtime).wait_idle(20)
    [job] = job_rows(bot.runtime)
    assert job["state"] == "done"
    assert len(slack.app.calls_to("upload")) == 3
    [upload] = slack.app.uploads
    assert upload.completed and upload.sha256 == sandbox_csv_sha256(sandbox, settings, job["report_token"])[0]


def test_upload_500_every_time_is_reported_as_failed(bot, slack):
    slack.app.fail_next("upload", status=500, times=10)
    bot.command("export cases yesterday", user_id=ADMIN)
    assert queue_of(bot.runtime).wait_idle(20)
    assert len(slack.app.calls_to("upload")) == 3
    text = export_text(slack)
    assert "Failed: Slack did not accept the file (HTTP 500) after 3 tries." in text and "Try the export again" in text
    assert not any(u.completed for u in slack.app.uploads)


def test_restart_mid_export_resumes_with_the_stored_token_and_delivers_once(bot, sandbox, slack, settings):
    sandbox.app.set_export_status(None, "pending")  # Lexer keeps us waiting…
    bot.command("export cases last-week", user_id=ADMIN)
    job = wait_for(lambda: next((j for j in job_rows(bot.runtime) if j["state"] == "waiting"), None))
    queue_of(bot.runtime).stop()  # …and the process goes away mid-export
    # as if it died hard: another worker's claim, long untouched
    bot.runtime.store.db["export_jobs"].update(
        job["id"], {"worker": "gone:1:x", "updated_at": "2000-01-01T00:00:00+00:00"}
    )
    sandbox.app.set_export_status(None, None)
    sandbox.app.set_export_status(job["report_token"], None)  # Lexer finishes meanwhile

    running = start_process(settings, export_options=FAST)  # a new process on the same database file
    runtime = running.deps
    try:
        assert queue_of(runtime).wait_idle(20)
        wait_for(lambda: job_rows(runtime)[0]["state"] == "done")
        [done] = job_rows(runtime)
        assert done["report_token"] == job["report_token"] and done["attempts"] == 2
        assert len(starts(sandbox)) == 1  # resumed, not started again
        assert len([u for u in slack.app.uploads if u.completed]) == 1
        assert "Done" in export_text(slack)
        # one progress message, kept current across the restart
        assert len([m for m in dm_messages(slack) if m.get("blocks")]) == 1
    finally:
        running.stop()


def test_restart_while_sharing_tells_the_user_rather_than_sending_twice(sandbox, slack, tmp_path):
    from bot.store import open_store

    settings = make_settings(sandbox, slack, tmp_path)
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
    runtime = running.deps
    try:
        wait_for(lambda: job_rows(runtime)[0]["state"] == "failed")
        assert queue_of(runtime).wait_idle(10)
        text = export_text(slack)
        assert "restarted while it was sharing the file" in text and "run the export again" in text
        assert slack.app.uploads == []
    finally:
        running.stop()


def test_queue_shows_position_and_runs_at_most_n_at_once(sandbox, slack, tmp_path):
    settings = make_settings(sandbox, slack, tmp_path, export_concurrency=1)
    sandbox.app.set_export_status(None, "pending")
    bot, stop = start_bot(settings, slack)
    try:
        for text in ("export cases yesterday", "export responses yesterday", "export cases last-week"):
            bot.command(text, user_id=ADMIN)
        first = wait_for(lambda: next((j for j in job_rows(bot.runtime) if j["report_token"]), None))
        texts = [render_message_text(m) for m in dm_messages(slack) if m.get("blocks")]
        assert len(texts) == 3
        assert "Queued — you're next." in texts[1] and "Queued — 1 ahead of you." in texts[2]
        assert len(starts(sandbox)) == 1  # one at a time
        sandbox.app.set_export_status(None, None)
        sandbox.app.set_export_status(first["report_token"], None)
        assert queue_of(bot.runtime).wait_idle(20)
        assert [j["state"] for j in job_rows(bot.runtime)] == ["done"] * 3
        assert len([u for u in slack.app.uploads if u.completed]) == 3
    finally:
        stop()


def test_ask_says_exports_are_delivered_in_slack(settings):
    running = start_process(settings, with_slack=False)
    reply = running.runner.run(
        "export cases last-week", Asker(user_id=ADMIN, channel_id=None, tz=ZoneInfo("UTC"), is_admin=True)
    )
    assert "delivered in Slack" in render_message_text(reply.message)
    assert running.deps.exports is None and running.workers == [] and job_rows(running.deps) == []
    running.stop()


def test_temporary_files_are_removed(bot, sandbox, slack, tmp_path):
    tmp = tmp_path / "exports-tmp"
    tmp.mkdir()
    queue_of(bot.runtime).options = QueueOptions(**{**FAST.__dict__, "temp_dir": str(tmp)})
    slack.app.fail_next("upload", status=500, times=10)
    bot.command("export cases yesterday", user_id=ADMIN)
    bot.command("export responses yesterday", user_id=ADMIN)
    assert queue_of(bot.runtime).wait_idle(20)
    time.sleep(0.05)
    assert list(tmp.iterdir()) == []


def test_filters_go_to_lexer_with_the_export(bot, sandbox, slack):
    agent = bot.runtime.directory.users()[0]
    bot.command(f"export responses yesterday agent:{agent.email}", user_id=ADMIN)
    assert queue_of(bot.runtime).wait_idle(20)
    [start] = starts(sandbox)
    assert start["body"]["users"] == [agent.id]
    assert job_rows(bot.runtime)[0]["state"] == "done"
    assert agent.name in export_text(slack)


def test_30mb_export_streams_without_holding_the_file(bot, sandbox, slack, settings):
    import tracemalloc

    sandbox.app.export_size_bytes = BIG_EXPORT_BYTES
    # warm the sandbox's generated data for the range, so the measure is of the export itself
    sandbox.app.report(
        {"type": "case_summary", "date_from": "2026-01-01T00:00:00+00:00", "date_to": "2026-01-01T00:00:01+00:00"}
    )
    bot.command("cases last-week", user_id=ADMIN)
    tracemalloc.start()
    try:
        bot.command("export cases last-week", user_id=ADMIN)
        assert queue_of(bot.runtime).wait_idle(30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [job] = job_rows(bot.runtime)
    assert job["state"] == "done" and job["size_bytes"] == BIG_EXPORT_BYTES
    [upload] = slack.app.uploads
    digest, body = sandbox_csv_sha256(sandbox, settings, job["report_token"])
    assert upload.sha256 == digest and job["rows"] == body.count(b"\n") - 1
    # Python allocations of the whole process (bot, sandbox and stand-in together, ~9 MB mostly the sandbox's
    # generated data) stay below half the file: nothing holds it whole (bench/export_memory.py measures RSS)
    assert peak < BIG_EXPORT_BYTES // 2, peak


def test_temp_files_of_dead_processes_are_removed_at_start(settings, tmp_path, monkeypatch):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    tmp = tmp_path / "exports-tmp"
    tmp.mkdir()
    left = tmp / f"lexer-export-7-p{int(dead.stdout)}-abc.csv"
    mine = tmp / f"lexer-export-8-p{os.getpid()}-abc.csv"
    left.write_text("a,b\n")
    mine.write_text("a,b\n")
    running = start_process(settings, export_options=QueueOptions(**{**FAST.__dict__, "temp_dir": str(tmp)}))
    try:
        assert not left.exists() and mine.exists()
    finally:
        running.stop()
