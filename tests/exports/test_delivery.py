"""One export end to end: signed /lexer export -> sandbox export -> streamed upload into the Slack stand-in's DM."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.slack.text import render_message_text
from tests.conftest import ADMIN, make_settings
from tests.exports.conftest import (
    FAST,
    dm_messages,
    export_text,
    job_rows,
    queue_of,
    sandbox_csv_sha256,
    start_bot,
    starts,
)

BIG_EXPORT_BYTES = 30_000_000


@pytest.mark.both_databases
def test_export_cases_lands_in_requesters_dm_byte_for_byte(bot, sandbox, slack, settings):
    reply = bot.command("export cases last-week", user_id=ADMIN)
    text = render_message_text(reply)
    assert "queued" in text.lower() and "direct message" in text
    assert queue_of(bot.running).wait_idle(20)
    [job] = job_rows(bot.deps)
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
    assert queue_of(bot.running).wait_idle(20)
    [job] = job_rows(bot.deps)
    assert job["state"] == "done", job
    [start] = starts(sandbox)
    assert start["body"]["type"] == report_type
    if report_type == "nps_submissions":
        assert start["body"]["form"] == job["form_id"] == 61 and start["body"]["nps_category"] == "all"
        assert [u.title for u in slack.app.uploads][0].startswith("NPS submissions (Post-chat NPS) ")
    assert [u for u in slack.app.uploads if u.completed]


def test_failed_export_says_why_and_what_to_try(bot, sandbox, slack):
    sandbox.app.set_export_status(None, "failed")
    bot.command("export cases yesterday", user_id=ADMIN)
    assert queue_of(bot.running).wait_idle(20)
    [job] = job_rows(bot.deps)
    assert job["state"] == "failed"
    text = export_text(slack)
    assert "Failed: Lexer reported the export as 'failed'" in text and "What to try" in text
    assert slack.app.uploads == []


def test_export_that_times_out(sandbox, slack, tmp_path):
    settings = make_settings(sandbox, slack, tmp_path, export_timeout_s=0.3)
    sandbox.app.set_export_status(None, "pending")
    bot, stop = start_bot(settings, slack)
    try:
        bot.command("export cases yesterday", user_id=ADMIN)
        assert queue_of(bot.running).wait_idle(20)
        [job] = job_rows(bot.deps)
        assert job["state"] == "failed"
        text = export_text(slack)
        assert "did not finish the export within 1 second" in text and "shorter range" in text
    finally:
        stop()


def test_file_over_slacks_limit_suggests_a_shorter_range(sandbox, slack, settings):
    sandbox.app.export_size_bytes = 50_000
    bot, stop = start_bot(settings, slack, replace(FAST, max_file_bytes=10_000))
    try:
        bot.command("export cases last-week", user_id=ADMIN)
        assert queue_of(bot.running).wait_idle(20)
        text = export_text(slack)
        assert "over Slack's 10 KB file limit" in text and "shorter range" in text
        assert slack.app.uploads == []
    finally:
        stop()


def test_upload_500_is_retried_then_delivered(bot, sandbox, slack, settings):
    slack.app.fail_next("upload", status=500, times=2)
    bot.command("export cases yesterday", user_id=ADMIN)
    assert queue_of(bot.running).wait_idle(20)
    [job] = job_rows(bot.deps)
    assert job["state"] == "done"
    assert len(slack.app.calls_to("upload")) == 3
    [upload] = slack.app.uploads
    assert upload.completed and upload.sha256 == sandbox_csv_sha256(sandbox, settings, job["report_token"])[0]


def test_upload_500_every_time_is_reported_as_failed(bot, slack):
    slack.app.fail_next("upload", status=500, times=10)
    bot.command("export cases yesterday", user_id=ADMIN)
    assert queue_of(bot.running).wait_idle(20)
    assert len(slack.app.calls_to("upload")) == 3
    text = export_text(slack)
    assert "Failed: Slack did not accept the file (HTTP 500) after 3 tries." in text and "Try the export again" in text
    assert not any(u.completed for u in slack.app.uploads)


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
        assert queue_of(bot.running).wait_idle(30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [job] = job_rows(bot.deps)
    assert job["state"] == "done" and job["size_bytes"] == BIG_EXPORT_BYTES
    [upload] = slack.app.uploads
    digest, body = sandbox_csv_sha256(sandbox, settings, job["report_token"])
    assert upload.sha256 == digest and job["rows"] == body.count(b"\n") - 1
    # Python allocations of the whole process (bot, sandbox and stand-in together, ~9 MB mostly the sandbox's
    # generated data) stay below half the file: nothing holds it whole (bench/export_memory.py measures RSS)
    assert peak < BIG_EXPORT_BYTES // 2, peak
