"""Exports across real `lexer-bot serve` processes: killed, paused, several on one database, one-shot commands."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.config import SANDBOX_TOKEN
from bot.store import open_store
from tests.conftest import ADMIN, BOT_TOKEN, SIGNING_SECRET, Bot, wait_for
from tests.exports.conftest import dm_messages, export_text, starts

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(sandbox, slack, db: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEXER", "SLACK", "PORT"))}
    env.update(
        PYTHONPATH=str(ROOT),
        LEXER_API_TOKEN=SANDBOX_TOKEN,
        LEXER_API_URL=f"{sandbox.url}/v1",
        LEXER_STATUS_URL=f"{sandbox.url}/api/public/v1/activity/reports/status",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=f"{slack.url}/api/",
        LEXERBOT_DB=str(db),
        LEXERBOT_ADMINS=ADMIN,
        LEXERBOT_EXPORT_CONCURRENCY="1",
    )
    return env


class Served:
    """One `lexer-bot serve` process (its own pid, its own export queue) on the shared database."""

    def __init__(self, env: dict, cwd: Path, slack):
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            + ["--no-scheduler", "--workers", "0"],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.bot = Bot(f"http://127.0.0.1:{self.port}", None, slack)
        wait_for(lambda: _healthy(self.bot.url), timeout=60)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
        self.proc.wait(10)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _jobs(db: Path) -> list[dict]:
    store = open_store(db)
    try:
        return list(store.db["export_jobs"].rows_where(order_by="id"))
    finally:
        store.close()


@pytest.fixture
def processes(sandbox, slack, tmp_path):
    started: list[Served] = []
    db = tmp_path / "lexerbot.db"
    open_store(db).close()  # migrated once, before the processes race to it

    def start() -> Served:
        served = Served(_env(sandbox, slack, db), tmp_path, slack)
        started.append(served)
        return served

    start.db = db
    yield start
    for served in started:
        served.kill()


def test_export_of_a_killed_process_is_taken_over_within_30s_and_delivered_once(processes, sandbox, slack):
    """Failed before: the new process waited for the job to be 180 s untouched (plus a 60 s scan)."""
    sandbox.app.set_export_status(None, "pending")
    first = processes()
    first.bot.command("export cases last-week", user_id=ADMIN)
    job = wait_for(lambda: next((j for j in _jobs(processes.db) if j["state"] == "waiting"), None), timeout=60)
    first.kill()  # SIGKILL mid-export: no cleanup, no release
    sandbox.app.set_export_status(None, None)
    sandbox.app.set_export_status(job["report_token"], None)
    restarted_at = time.monotonic()
    second = processes()
    wait_for(lambda: _jobs(processes.db)[0]["state"] == "done", timeout=60)
    took = time.monotonic() - restarted_at
    assert took < 30, took
    [done] = _jobs(processes.db)
    assert done["report_token"] == job["report_token"] and done["claim_gen"] == 2
    assert len(starts(sandbox)) == 1  # resumed with the stored token
    assert len([u for u in slack.app.uploads if u.completed]) == 1
    wait_for(lambda: "Done" in export_text(slack), timeout=10)
    assert len([m for m in dm_messages(slack) if m.get("blocks")]) == 1  # one progress message across the restart
    second.kill()


def test_a_paused_worker_that_lost_its_claim_never_delivers_a_second_copy(processes, sandbox, slack):
    """Failed before: nobody took the silent worker's job over for 180 s, and its claim was not fenced."""
    sandbox.app.set_export_status(None, "pending")
    first = processes()
    first.bot.command("export cases last-week", user_id=ADMIN)
    job = wait_for(lambda: next((j for j in _jobs(processes.db) if j["state"] == "waiting"), None), timeout=60)
    first.proc.send_signal(signal.SIGSTOP)  # alive (its pid too) but silent: a GC pause, a frozen VM
    second = processes()
    sandbox.app.set_export_status(None, None)
    sandbox.app.set_export_status(job["report_token"], None)
    wait_for(lambda: _jobs(processes.db)[0]["state"] == "done", timeout=90)
    first.proc.send_signal(signal.SIGCONT)
    time.sleep(8)  # the old worker wakes, polls, finds its claim gone and stops
    assert first.proc.poll() is None  # still serving: only its claim was lost
    [done] = _jobs(processes.db)
    assert done["claim_gen"] == 2 and done["worker"] != job["worker"]
    assert len([u for u in slack.app.uploads if u.completed]) == 1
    assert len(slack.app.calls_to("files.completeUploadExternal")) == 1
    assert len([m for m in dm_messages(slack) if m.get("files")]) == 1
    second.kill()


def test_the_concurrency_limit_holds_across_processes(processes, sandbox, slack):
    """Failed before: each process ran LEXERBOT_EXPORT_CONCURRENCY exports of its own (two at once here, not one)."""
    sandbox.app.set_export_status(None, "pending")
    first, second = processes(), processes()
    first.bot.command("export cases yesterday", user_id=ADMIN)
    second.bot.command("export responses yesterday", user_id=ADMIN)
    wait_for(lambda: len(starts(sandbox)) >= 1, timeout=60)
    time.sleep(3)  # both processes have scanned the line more than once
    assert len(starts(sandbox)) == 1
    rows = _jobs(processes.db)
    assert [r["state"] for r in rows].count("queued") == 1
    sandbox.app.set_export_status(None, None)
    for row in rows:
        if row["report_token"]:
            sandbox.app.set_export_status(row["report_token"], None)
    wait_for(lambda: [r["state"] for r in _jobs(processes.db)] == ["done", "done"], timeout=60)
    assert len([u for u in slack.app.uploads if u.completed]) == 2


@pytest.mark.parametrize("argv", [["alerts", "check"], ["digest", "send", "sla", "--channel", "C0GENERAL"]])
def test_one_shot_commands_take_no_export_jobs(processes, sandbox, slack, tmp_path, argv):
    db = processes.db
    store = open_store(db)
    store.db["export_jobs"].insert(
        {
            "user_id": ADMIN,
            "kind": "cases",
            "range_text": "yesterday",
            "tz": "UTC",
            "state": "queued",
            "date_from": "2026-11-22T00:00:00+00:00",
            "date_to": "2026-11-22T23:59:59+00:00",
            "range_desc": "yesterday (Sun 22 Nov 2026)",
            "attempts": 0,
        }
    )
    store.close()
    env = _env(sandbox, slack, db)
    done = subprocess.run([sys.executable, "-m", "bot.cli", *argv], cwd=tmp_path, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    [row] = _jobs(db)
    assert row["state"] == "queued" and row["worker"] is None and row["attempts"] == 0
    assert starts(sandbox) == []
