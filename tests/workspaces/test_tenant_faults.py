"""One tenant's state or fault stays with that tenant: no operator token for an unconnected workspace, no client
closed under a digest, no undecryptable workspace stopping the others."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from cryptography.fernet import Fernet

from bot.sandbox.server import serve_in_thread
from bot.slack.actions import ALERT_SHOW_TEAM, alert_button_value
from digests.alerts.check import scheduled_check
from digests.schedule import recover_stale_digests, run_scheduled_digest, sync_digest_jobs
from tests.conftest import ADMIN, USER_SYDNEY, Served, wait_for
from tests.exports.conftest import queue_of
from tests.workspaces.conftest import ADMIN_B, CLIENT_ID, LEXER_TOKEN_A, LEXER_TOKEN_B, SECRET_KEY, TEAM_A, TEAM_B

DROPPED_KEY = Fernet.generate_key().decode()


class GatedLexer:
    """The Lexer sandbox, whose next report request can be held until the test lets it go (a slow Lexer)."""

    def __init__(self, app):
        self.app = app
        self.armed = threading.Event()
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/v1/activity/reports" and self.armed.is_set():
            self.armed.clear()
            self.entered.set()
            self.release.wait(30)
        return self.app(environ, start_response)


@pytest.fixture
def gate():
    from bot.sandbox.lexer_app import LexerSandbox

    return GatedLexer(LexerSandbox(export_polls=1, tokens=(LEXER_TOKEN_A, LEXER_TOKEN_B)))


@pytest.fixture
def lexer(gate):
    handle = serve_in_thread(gate)
    gate.app.base_url = handle.url
    yield Served(gate.app, handle.url)
    gate.release.set()
    handle.stop()


@pytest.fixture
def dist_settings(dist_settings):
    # every daily digest has a fire time within the grace, so run_scheduled_digest sends one whenever the test runs
    return replace(dist_settings, digest_grace_s=2 * 86400.0)


def _text(reply: dict) -> str:
    return reply.get("text", "") + " ".join(str(b) for b in reply.get("blocks", []))


def _open_home(bot, team_id: str, user_id: str) -> str:
    views = bot.slack.app.views
    before = len(views(user_id))
    r = bot.team_event(team_id, {"type": "app_home_opened", "user": user_id, "tab": "home"})
    assert r.status_code == 200
    return json.dumps(wait_for(lambda: views(user_id)[before:] and views(user_id)[-1]))


def _show_team(bot, team_id: str, user_id: str) -> dict:
    key = f"click-{time.monotonic_ns()}"
    payload = {
        "type": "block_actions",
        "api_app_id": "A0STANDIN",
        "team": {"id": team_id, "domain": "x"},
        "user": {"id": user_id, "team_id": team_id},
        "channel": {"id": "C0GENERAL"},
        "container": {"type": "message", "channel_id": "C0GENERAL", "message_ts": "1.1"},
        "message": {"ts": "1.1", "text": "SLA breach spike", "type": "message"},
        "response_url": bot.slack.app.new_response_url(key),
        "actions": [
            {
                "action_id": ALERT_SHOW_TEAM,
                "block_id": "alert",
                "type": "button",
                "value": alert_button_value("C0GENERAL", datetime.now(timezone.utc), 60),
            }
        ],
    }
    r = bot.signed_post(urllib.parse.urlencode({"payload": json.dumps(payload)}))
    assert r.status_code == 200, r.text
    return wait_for(lambda: (bot.slack.app.responses(key) or [None])[-1])


# ------------------------------------------------------------------ an unconnected workspace


def test_an_unconnected_workspace_makes_no_lexer_request_and_says_how_to_connect(dist_bot, lexer):
    # failed before the fix: the Home tab and "Show team" read Lexer with the process's own client (the
    # operator's LEXER_API_TOKEN when set), and showed its figures as "sandbox data"
    page = dist_bot.install(TEAM_A, ADMIN)
    assert page.status_code == 200
    before = len(lexer.app.requests)

    home = _open_home(dist_bot, TEAM_A, ADMIN)
    assert "/lexer connect" in home and "Sandbox data" not in home and "Volume" not in home
    others = _open_home(dist_bot, TEAM_A, USER_SYDNEY)
    assert f"<@{ADMIN}>" in others and "Volume" not in others

    team = dist_bot.team_command(TEAM_A, "team last-week", ADMIN)
    assert "/lexer connect" in _text(team)
    shown = _show_team(dist_bot, TEAM_A, ADMIN)
    assert "/lexer connect" in _text(shown) and "Team performance" not in _text(shown)
    asked = _show_team(dist_bot, TEAM_A, USER_SYDNEY)
    assert f"<@{ADMIN}>" in _text(asked) and "Team performance" not in _text(asked)

    assert lexer.app.requests[before:] == []  # not one request, with any token


def test_distribution_mode_refuses_a_lexer_api_token_at_start(tmp_path):
    # failed before the fix: the process started, and served every unconnected workspace with this token
    env = {
        "PATH": "",
        "LEXERBOT_DB": str(tmp_path / "bot.db"),
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": "client-secret-5555",
        "SLACK_SIGNING_SECRET": "signing-secret-6666",
        "LEXERBOT_SECRET_KEY": SECRET_KEY,
        "LEXER_API_TOKEN": "operator-token-7777",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--port", "0"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "LEXER_API_TOKEN" in lines[0] and "/lexer connect" in lines[0]
    assert "operator-token-7777" not in done.stderr + done.stdout


# ------------------------------------------------------------------ clients in use


def _posts(bot, team: str) -> int:
    """Messages the team's bot posted in #general (its digests)."""
    calls = bot.slack.app.calls_from(team, "chat.postMessage")
    return len([c for c in calls if c.params.get("channel") == "C0GENERAL"])


def test_a_digest_in_flight_survives_an_admin_change_and_a_reconnect_closes_the_old_client_after_it(
    dist_bot, lexer, gate
):
    # failed before the fix: `/lexer admins remove` closed the workspace's Lexer client under the digest
    # ("RuntimeError: client has been closed"), and the digest was never posted
    dist_bot.install(TEAM_A, ADMIN)
    dist_bot.deps.store.lexer_connections.save(TEAM_A, LEXER_TOKEN_A, connected_by=ADMIN, agents=1, groups=1)
    dist_bot.team_command(TEAM_A, "subscribe sla <#C0GENERAL|general> daily at 09:00", ADMIN)
    (sub,) = dist_bot.deps.store.for_workspace(TEAM_A).subscriptions.all()
    dist_bot.team_command(TEAM_A, f"admins add <@{USER_SYDNEY}|sam>", ADMIN)
    first = dist_bot.deps.tenancy.deps_for(TEAM_A)

    def digest_in_flight():
        gate.entered.clear()
        gate.release.clear()
        gate.armed.set()
        worker = threading.Thread(target=run_scheduled_digest, args=(dist_bot.deps, sub.id, TEAM_A))
        worker.start()
        assert gate.entered.wait(30)
        return worker

    posted = _posts(dist_bot, TEAM_A)
    worker = digest_in_flight()
    removed = dist_bot.team_command(TEAM_A, f"admins remove <@{USER_SYDNEY}|sam>", ADMIN)
    assert "no longer a lexer-bot admin" in _text(removed)
    gate.release.set()
    worker.join(30)
    assert _posts(dist_bot, TEAM_A) == posted + 1
    assert dist_bot.deps.tenancy.deps_for(TEAM_A) is first and not first.api.http.is_closed

    # a reconnect (a new token) builds a new client; the old one closes once the digest using it is done
    for table in ("digest_runs", "lexer_cache"):  # the same slot is sent again, and asks Lexer again
        dist_bot.deps.store.db.execute(f"delete from {table}")
    worker = digest_in_flight()
    dist_bot.team_command(TEAM_A, "disconnect", ADMIN)
    dist_bot.team_command(TEAM_A, "connect", ADMIN)
    assert dist_bot.submit_token(TEAM_A, ADMIN, LEXER_TOKEN_B).text == ""
    second = dist_bot.deps.tenancy.deps_for(TEAM_A)
    assert second is not first and not first.api.http.is_closed  # still in use by the digest
    gate.release.set()
    worker.join(30)
    assert _posts(dist_bot, TEAM_A) == posted + 2
    assert first.api.http.is_closed and not second.api.http.is_closed


# ------------------------------------------------------------------ an undecryptable workspace


def test_an_undecryptable_workspace_is_skipped_and_told_while_the_others_carry_on(dist_bot, lexer, caplog):
    # failed before the fix: the one row that no configured key opens raised out of the alert check, the digest
    # sync and stale-run recovery, for every workspace
    for team, admin, token in ((TEAM_A, ADMIN, LEXER_TOKEN_A), (TEAM_B, ADMIN_B, LEXER_TOKEN_B)):
        dist_bot.install(team, admin)
        dist_bot.deps.store.lexer_connections.save(team, token, connected_by=admin, agents=1, groups=1)
        dist_bot.team_command(team, "alerts on <#C0GENERAL|general>", admin)
        dist_bot.team_command(team, "subscribe sla <#C0GENERAL|general> daily at 09:00", admin)
    # B's Lexer token re-encrypted under a key that was then dropped from LEXERBOT_SECRET_KEY
    sealed = Fernet(DROPPED_KEY.encode()).encrypt(LEXER_TOKEN_B.encode()).decode()
    dist_bot.deps.store.db.execute("update lexer_connections set token_enc = ? where workspace = ?", [sealed, TEAM_B])
    root = dist_bot.deps
    b_before = lexer.app.counted(LEXER_TOKEN_B)

    caplog.set_level(logging.WARNING)
    scheduler = BackgroundScheduler(timezone="UTC")  # not started: the sync only lays out the jobs
    assert sync_digest_jobs(scheduler, root)["added"] == 1
    (job,) = [j for j in scheduler.get_jobs() if j.id.startswith("digest:")]
    assert job.args[2] == TEAM_A
    a_before = lexer.app.counted(LEXER_TOKEN_A)
    scheduled_check(root)
    assert lexer.app.counted(LEXER_TOKEN_A) > a_before  # A's alert check ran
    recover_stale_digests(root)
    posted = _posts(dist_bot, TEAM_A)
    run_scheduled_digest(root, job.args[1], TEAM_A)
    assert _posts(dist_bot, TEAM_A) == posted + 1  # A's digest

    warned = [r for r in caplog.records if r.levelno == logging.WARNING and TEAM_B in r.getMessage()]
    assert len(warned) == 1, [r.getMessage() for r in warned]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert LEXER_TOKEN_B not in logged and sealed not in logged and DROPPED_KEY not in logged

    # B's admin is told what to do, on Home and in answer to a report; nothing reaches Lexer for B
    home = _open_home(dist_bot, TEAM_B, ADMIN_B)
    assert "run `/lexer connect` again" in home and "Volume" not in home
    team = dist_bot.team_command(TEAM_B, "team last-week", ADMIN_B)
    assert "run `/lexer connect` again" in _text(team)
    assert lexer.app.counted(LEXER_TOKEN_B) == b_before
    # connecting again replaces the unreadable token, and B works again
    assert "form is open" in _text(dist_bot.team_command(TEAM_B, "connect", ADMIN_B))
    assert dist_bot.submit_token(TEAM_B, ADMIN_B, LEXER_TOKEN_B).text == ""
    back = dist_bot.team_command(TEAM_B, "team last-week", ADMIN_B)
    assert "connect" not in _text(back) and lexer.app.counted(LEXER_TOKEN_B) > b_before


def test_a_workspace_whose_slack_tokens_cannot_be_decrypted_is_skipped_with_one_warning(dist_bot, lexer, caplog):
    for team, admin, token in ((TEAM_A, ADMIN, LEXER_TOKEN_A), (TEAM_B, ADMIN_B, LEXER_TOKEN_B)):
        dist_bot.install(team, admin)
        dist_bot.deps.store.lexer_connections.save(team, token, connected_by=admin, agents=1, groups=1)
        dist_bot.team_command(team, "alerts on <#C0GENERAL|general>", admin)
        dist_bot.team_command(team, "subscribe sla <#C0GENERAL|general> daily at 09:00", admin)
    # every secret of B's re-encrypted under a key that was then dropped
    dropped = Fernet(DROPPED_KEY.encode())
    root = dist_bot.deps
    bot_token = root.store.installations.find(TEAM_B).bot_token
    root.store.db.execute(
        "update installations set bot_token_enc = ? where workspace = ?",
        [dropped.encrypt(bot_token.encode()).decode(), TEAM_B],
    )
    root.store.db.execute(
        "update lexer_connections set token_enc = ? where workspace = ?",
        [dropped.encrypt(LEXER_TOKEN_B.encode()).decode(), TEAM_B],
    )
    caplog.set_level(logging.WARNING)
    scheduler = BackgroundScheduler(timezone="UTC")
    assert sync_digest_jobs(scheduler, root)["added"] == 1
    a_before = lexer.app.counted(LEXER_TOKEN_A)
    scheduled_check(root)
    recover_stale_digests(root)
    assert lexer.app.counted(LEXER_TOKEN_A) > a_before
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and TEAM_B in r.getMessage()]
    assert len(warned) == 1
    assert all(bot_token not in r.getMessage() and LEXER_TOKEN_B not in r.getMessage() for r in caplog.records)


def test_an_export_in_flight_keeps_its_client_through_a_reconnect(dist_bot, lexer, gate):
    # failed before the lease: the reconnect closed the Lexer client the export was fetching with
    slack = dist_bot.slack.app
    dist_bot.install(TEAM_A, ADMIN)
    dist_bot.deps.store.lexer_connections.save(TEAM_A, LEXER_TOKEN_A, connected_by=ADMIN, agents=1, groups=1)
    first = dist_bot.deps.tenancy.deps_for(TEAM_A)
    gate.armed.set()
    dist_bot.team_command(TEAM_A, "export cases last-week", ADMIN)
    assert gate.entered.wait(30)  # the export is asking Lexer for its file
    dist_bot.team_command(TEAM_A, "disconnect", ADMIN)
    dist_bot.team_command(TEAM_A, "connect", ADMIN)
    assert dist_bot.submit_token(TEAM_A, ADMIN, LEXER_TOKEN_B).text == ""
    assert not first.api.http.is_closed
    gate.release.set()
    wait_for(lambda: slack.calls_from(TEAM_A, "files.completeUploadExternal"), timeout=60)
    assert queue_of(dist_bot.running).wait_idle(30)
    wait_for(lambda: first.api.http.is_closed)


class _RecordingScheduler:
    """The scheduler sync_digest_jobs adds jobs to; the test runs them."""

    def __init__(self):
        self.added: list[tuple] = []

    def get_jobs(self):
        return []

    def remove_job(self, job_id):
        pass

    def add_job(self, func, *args, **kwargs):
        self.added.append((func, kwargs.get("args") or [], kwargs.get("id") or ""))


def test_a_catch_up_digest_in_flight_survives_a_reconnect(dist_bot, lexer, gate):
    # failed before the fix: the catch-up job (a fire missed while no scheduler held the job) ran on the Deps
    # looked up when it was scheduled, unleased: a reconnect meanwhile closed its Lexer client under the digest
    # ("RuntimeError: client has been closed"), and the digest was never posted
    dist_bot.install(TEAM_A, ADMIN)
    dist_bot.deps.store.lexer_connections.save(TEAM_A, LEXER_TOKEN_A, connected_by=ADMIN, agents=1, groups=1)
    dist_bot.team_command(TEAM_A, "subscribe sla <#C0GENERAL|general> daily at 09:00", ADMIN)
    (sub,) = dist_bot.deps.store.for_workspace(TEAM_A).subscriptions.all()
    dist_bot.deps.store.db.execute("update subscriptions set created_at = '2020-01-01T00:00:00+00:00'")
    scheduler = _RecordingScheduler()
    sync_digest_jobs(scheduler, dist_bot.deps)
    [(catch_up, args)] = [(func, args) for func, args, job_id in scheduler.added if job_id.startswith("catch-up:")]

    posted = _posts(dist_bot, TEAM_A)
    gate.entered.clear()
    gate.release.clear()
    gate.armed.set()
    worker = threading.Thread(target=catch_up, args=args)
    worker.start()
    assert gate.entered.wait(30)
    dist_bot.team_command(TEAM_A, "disconnect", ADMIN)
    dist_bot.team_command(TEAM_A, "connect", ADMIN)
    assert dist_bot.submit_token(TEAM_A, ADMIN, LEXER_TOKEN_B).text == ""
    gate.release.set()
    worker.join(30)
    assert _posts(dist_bot, TEAM_A) == posted + 1


@pytest.mark.both_databases
def test_a_command_during_a_database_outage_is_acked_held_and_answered_once_after(dist_bot, lexer, database_down):
    """Distribution mode: every request's authorize reads the workspace's tokens from the database. Failed before:
    while it did not answer, authorize failed and the command was neither acked nor held (Slack showed an error),
    though a workspace whose tokens this process had read moments before could have been served from them."""
    from bot.store.command_queue import CommandQueue
    from bot.store.installations import Installations

    dist_bot.install(TEAM_A, ADMIN)
    dist_bot.deps.store.lexer_connections.save(TEAM_A, LEXER_TOKEN_A, connected_by=ADMIN, agents=1, groups=1)
    assert "Could not" not in _text(dist_bot.team_command(TEAM_A, "help", ADMIN))

    down = database_down.fail((Installations, "sealed"), (CommandQueue, "enqueue")).down
    down.set()
    key = f"cmd-{time.monotonic_ns()}"
    form = {
        "team_id": TEAM_A,
        "channel_id": "C0GENERAL",
        "user_id": ADMIN,
        "command": "/lexer",
        "text": "help",
        "api_app_id": "A0STANDIN",
        "response_url": dist_bot.slack.app.new_response_url(key),
        "trigger_id": "trig-outage",
    }
    r = dist_bot.signed_post(urllib.parse.urlencode(form))
    assert r.status_code == 200, r.text
    assert "taking a moment" in r.json()["text"]
    down.clear()
    wait_for(lambda: dist_bot.slack.app.responses(key), timeout=20)
    time.sleep(1.5)
    assert len(dist_bot.slack.app.responses(key)) == 1


def test_a_digest_in_flight_during_the_uninstall_leaves_none_of_its_answers_after_it(dist_bot, lexer, gate):
    # failed before the fix: the digest, leased, went on after the uninstall removed the workspace's answers, and
    # the answers it fetched then were cached under its token for a day, found by nothing that removes them
    from bot.lexer.transport import token_key

    dist_bot.install(TEAM_A, ADMIN)
    dist_bot.deps.store.lexer_connections.save(TEAM_A, LEXER_TOKEN_A, connected_by=ADMIN, agents=1, groups=1)
    dist_bot.team_command(TEAM_A, "subscribe sla <#C0GENERAL|general> daily at 09:00", ADMIN)
    (sub,) = dist_bot.deps.store.for_workspace(TEAM_A).subscriptions.all()
    gate.entered.clear()
    gate.release.clear()
    gate.armed.set()
    worker = threading.Thread(target=run_scheduled_digest, args=(dist_bot.deps, sub.id, TEAM_A))
    worker.start()
    assert gate.entered.wait(30)
    assert dist_bot.team_event(TEAM_A, {"type": "app_uninstalled"}).status_code == 200
    wait_for(lambda: dist_bot.deps.store.audit_log.entries("workspace_removed"))
    gate.release.set()
    worker.join(30)
    store = dist_bot.deps.store
    left = store.db.execute("select count(*) from lexer_cache where token_key = ?", [token_key(LEXER_TOKEN_A)])
    assert left.fetchone()[0] == 0


@pytest.mark.both_databases
def test_an_uninstall_during_a_database_outage_is_carried_out_once_it_is_back(dist_bot, lexer, database_down):
    """Slack sends app_uninstalled once (it was acked): failed before, a database that did not answer then left the
    workspace's tokens, connection and answers in the store for good (the removal was only logged)."""
    from bot.store.installations import Installations

    dist_bot.install(TEAM_A, ADMIN)
    dist_bot.deps.store.lexer_connections.save(TEAM_A, LEXER_TOKEN_A, connected_by=ADMIN, agents=1, groups=1)
    down = database_down.fail((Installations, "delete")).down
    down.set()
    assert dist_bot.team_event(TEAM_A, {"type": "app_uninstalled"}).status_code == 200
    time.sleep(1.0)
    store = dist_bot.deps.store
    assert not store.audit_log.entries("workspace_removed")  # not yet: the database is down
    down.clear()
    wait_for(lambda: store.audit_log.entries("workspace_removed"), timeout=20)
    assert store.lexer_connections.find(TEAM_A) is None
    assert len(store.audit_log.entries("workspace_removed")) == 1
