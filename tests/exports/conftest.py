"""Export tests: fast queue timings for every test here, and ways to read what reached the sandbox and Slack."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from bot.features.exports import ExportQueue, QueueOptions
from bot.sandbox.server import serve_in_thread
from bot.slack.text import render_message_text
from tests.conftest import ADMIN, Bot

FAST = QueueOptions(poll_first_s=0.02, poll_max_s=0.05, upload_retry_delays_s=(0.01, 0.02), scan_interval_s=0.2)


@pytest.fixture
def export_options():
    """Tiny poll and retry delays so the suite stays fast (the bot fixture passes them to its Deps)."""
    return FAST


def dm_messages(slack, user=ADMIN) -> list[dict]:
    return slack.app.messages(user)


def export_text(slack, user=ADMIN) -> str:
    """The progress message (the first bot message with blocks in the DM), as a user reads it."""
    msgs = [m for m in dm_messages(slack, user) if m.get("blocks")]
    return render_message_text(msgs[0]) if msgs else ""


def job_rows(deps) -> list[dict]:
    return list(deps.store.db["export_jobs"].rows_where(order_by="id"))


def queue_of(running):
    """The export workers a process started beside its Deps (bot.features.exports.export_worker), or None."""
    return next((worker for worker in running.workers if isinstance(worker, ExportQueue)), None)


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


def start_bot(settings, slack, options: QueueOptions = FAST) -> tuple[Bot, callable]:
    """A bot of its own (settings or export options other than the `bot` fixture's); returns it and its stop."""
    from bot.cli import build_served

    running, wsgi = build_served(settings, scheduler=False, export_options=options)
    handle = serve_in_thread(wsgi)

    def stop():
        running.stop()
        handle.stop()

    return Bot(handle.url, running, slack), stop
