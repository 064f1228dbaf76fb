"""Distribution mode end to end: OAuth installs, /lexer connect, admins, sealing, uninstall."""

from __future__ import annotations

import re
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from digests.alerts.check import scheduled_check
from digests.jobs import send_digest
from digests.schedule import run_scheduled_digest, sync_digest_jobs
from tests.conftest import ADMIN, SIGNING_SECRET, USER_SYDNEY, wait_for
from tests.exports.conftest import queue_of
from tests.workspaces.conftest import (
    ADMIN_B,
    CLIENT_SECRET,
    LEXER_TOKEN_A,
    LEXER_TOKEN_B,
    SECRET_KEY,
    TEAM_A,
    TEAM_B,
    state_cookie,
)


def _text(reply: dict) -> str:
    return reply.get("text", "") + " ".join(str(b) for b in reply.get("blocks", []))


def _connect(bot, team, admin, token):
    opened = bot.team_command(team, "connect", admin)
    assert "form is open" in _text(opened)
    r = bot.submit_token(team, admin, token)
    assert r.status_code == 200 and r.text == "", r.text


@pytest.mark.both_databases
def test_two_workspaces_install_connect_and_stay_sealed(dist_bot, lexer):
    slack = dist_bot.slack.app
    for team, admin in ((TEAM_A, ADMIN), (TEAM_B, ADMIN_B)):
        page = dist_bot.install(team, admin)
        assert page.status_code == 200 and "/lexer connect" in page.text
    assert sorted(dist_bot.deps.store.installations.keys()) == [TEAM_A, TEAM_B]

    # before connecting: the installer is told how to connect, anyone else whom to ask
    before = dist_bot.team_command(TEAM_A, "team last-week", ADMIN)
    assert "not connected to Lexer" in _text(before) and "/lexer connect" in _text(before)
    other = dist_bot.team_command(TEAM_A, "team last-week", USER_SYDNEY)
    assert f"<@{ADMIN}>" in _text(other)

    # a wrong token: an error on the field, nothing saved
    dist_bot.team_command(TEAM_A, "connect", ADMIN)
    wrong = dist_bot.submit_token(TEAM_A, ADMIN, "not-a-lexer-token")
    assert wrong.json()["response_action"] == "errors" and "token" in wrong.json()["errors"]
    assert dist_bot.deps.store.lexer_connections.find(TEAM_A) is None

    _connect(dist_bot, TEAM_A, ADMIN, LEXER_TOKEN_A)
    _connect(dist_bot, TEAM_B, ADMIN_B, LEXER_TOKEN_B)
    dm = wait_for(lambda: [m for m in slack.messages(ADMIN) if "Connected to Lexer" in m.get("text", "")])
    assert "agents" in dm[-1]["text"] and "groups" in dm[-1]["text"]

    status = dist_bot.team_command(TEAM_A, "connect", ADMIN)
    assert "…1111" in _text(status) and LEXER_TOKEN_A not in _text(status) and f"<@{ADMIN}>" in _text(status)

    # each workspace's report is fetched with its own Lexer token and posted with its own bot token
    a_before, b_before = lexer.app.counted(LEXER_TOKEN_A), lexer.app.counted(LEXER_TOKEN_B)
    team_a = dist_bot.team_command(TEAM_A, "team last-week", ADMIN)
    assert "not connected" not in _text(team_a)
    assert lexer.app.counted(LEXER_TOKEN_A) > a_before and lexer.app.counted(LEXER_TOKEN_B) == b_before
    dist_bot.team_command(TEAM_B, "team last-week", ADMIN_B)
    assert lexer.app.counted(LEXER_TOKEN_B) > b_before
    assert slack.calls_from(TEAM_A, "views.open") and slack.calls_from(TEAM_B, "views.open")

    # the database holds no token or secret in plain text
    raw = _stored_bytes(dist_bot.deps.store)
    bot_tokens = list(slack.team_tokens)
    assert len(bot_tokens) == 2
    for secret in (LEXER_TOKEN_A, LEXER_TOKEN_B, CLIENT_SECRET, SIGNING_SECRET, SECRET_KEY, *bot_tokens):
        assert secret.encode() not in raw

    # subscriptions are the workspace's own: B never sees A's, nor can unsubscribe it
    made = dist_bot.team_command(TEAM_A, "subscribe sla <#C0GENERAL|general> daily at 09:00", ADMIN)
    assert "went wrong" not in _text(made)
    a_subs = dist_bot.deps.store.for_workspace(TEAM_A).subscriptions.all()
    assert len(a_subs) == 1 and dist_bot.deps.store.for_workspace(TEAM_B).subscriptions.all() == []
    assert dist_bot.deps.store.subscriptions.all() == []  # nor does the single-workspace scope
    listed_b = dist_bot.team_command(TEAM_B, "subscriptions", ADMIN_B)
    assert "No digests are scheduled" in _text(listed_b)
    refused = dist_bot.team_command(TEAM_B, f"unsubscribe {a_subs[0].id}", ADMIN_B)
    assert f"There is no subscription `{a_subs[0].id}`" in _text(refused)
    assert len(dist_bot.deps.store.for_workspace(TEAM_A).subscriptions.all()) == 1

    # an uninstall removes that workspace; the other keeps working
    r = dist_bot.team_event(TEAM_A, {"type": "app_uninstalled"})
    assert r.status_code == 200
    # the event is answered off the request thread; the audit row is the removal's last step
    wait_for(lambda: dist_bot.deps.store.audit_log.entries("workspace_removed"))
    assert dist_bot.deps.store.installations.find(TEAM_A) is None
    assert dist_bot.deps.store.lexer_connections.find(TEAM_A) is None
    assert dist_bot.deps.store.for_workspace(TEAM_A).subscriptions.all() == []
    removed = dist_bot.deps.store.audit_log.entries("workspace_removed")
    assert removed and removed[-1]["detail"]["workspace"] == TEAM_A
    assert LEXER_TOKEN_A not in str(removed) and all(t not in str(removed) for t in bot_tokens)
    still = dist_bot.team_command(TEAM_B, "team last-week", ADMIN_B)
    assert "not connected" not in _text(still) and "went wrong" not in _text(still)


def _stored_bytes(store) -> bytes:
    """Everything the database holds: the SQLite file and its WAL as bytes, or every PostgreSQL row as text."""
    if store.dialect == "postgresql":
        tables = store.db.table_names()
        return "\n".join(str(r[0]) for t in tables for r in store.db.execute(f'select "{t}"::text from "{t}"')).encode()
    wal = Path(store.path + "-wal")
    return Path(store.path).read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_forged_or_replayed_oauth_state_is_refused(dist_bot):
    slack = dist_bot.slack.app
    page = dist_bot.http.get(f"{dist_bot.url}/slack/install")
    state = re.search(r"state=([^&\"']+)", page.text).group(1)
    cookie = state_cookie(page)
    # a state the bot never issued, with a matching cookie: refused, nothing installed
    forged = dist_bot.redirect(
        slack.authorize_install(TEAM_A, ADMIN), "forged-state", "slack-app-oauth-state=forged-state"
    )
    assert forged.status_code == 401 and "not installed" in forged.text
    # the real state without its browser's cookie: refused
    no_cookie = dist_bot.redirect(slack.authorize_install(TEAM_A, ADMIN), state)
    assert no_cookie.status_code == 400 and "another browser" in no_cookie.text
    assert dist_bot.deps.store.installations.keys() == []
    first = dist_bot.redirect(slack.authorize_install(TEAM_A, ADMIN), state, cookie)
    assert first.status_code == 200
    replay = dist_bot.redirect(slack.authorize_install(TEAM_A, ADMIN), state, cookie)
    assert replay.status_code == 401 and "expired or was already used" in replay.text
    denied = dist_bot.http.get(f"{dist_bot.url}/slack/oauth_redirect", params={"error": "access_denied"})
    assert "cancelled" in denied.text


def test_non_admin_cannot_connect_disconnect_or_add_admins(dist_bot):
    dist_bot.install(TEAM_A, ADMIN)
    for text in ("connect", "disconnect", f"admins add <@{USER_SYDNEY}|sam>"):
        reply = dist_bot.team_command(TEAM_A, text, USER_SYDNEY)
        assert "Only this workspace's lexer-bot admins" in _text(reply), text
    forged = dist_bot.submit_token(TEAM_A, USER_SYDNEY, LEXER_TOKEN_A)
    assert forged.json()["response_action"] == "errors"
    assert dist_bot.deps.store.lexer_connections.find(TEAM_A) is None
    assert dist_bot.deps.store.workspace_admins.list(TEAM_A) == []

    # an admin adds them; then they may connect
    added = dist_bot.team_command(TEAM_A, f"admins add <@{USER_SYDNEY}|sam>", ADMIN)
    assert "is now a lexer-bot admin" in _text(added)
    assert f"<@{USER_SYDNEY}>" in _text(dist_bot.team_command(TEAM_A, "admins", USER_SYDNEY))
    _connect(dist_bot, TEAM_A, USER_SYDNEY, LEXER_TOKEN_A)
    gone = dist_bot.team_command(TEAM_A, "disconnect", USER_SYDNEY)
    assert "disconnected" in _text(gone)
    assert dist_bot.deps.store.lexer_connections.find(TEAM_A) is None


@pytest.mark.both_databases
def test_the_clock_posts_each_workspaces_digest_with_its_own_tokens(dist_bot, lexer):
    slack = dist_bot.slack.app
    for team, admin, token in ((TEAM_A, ADMIN, LEXER_TOKEN_A), (TEAM_B, ADMIN_B, LEXER_TOKEN_B)):
        dist_bot.install(team, admin)
        _connect(dist_bot, team, admin, token)
    dist_bot.team_command(TEAM_A, "subscribe sla <#C0GENERAL|general> daily at 09:00", ADMIN)
    (sub,) = dist_bot.deps.store.for_workspace(TEAM_A).subscriptions.all()

    scheduler = BackgroundScheduler(timezone="UTC")  # not started: the sync only lays out the jobs
    assert sync_digest_jobs(scheduler, dist_bot.deps)["added"] == 1
    (job,) = [j for j in scheduler.get_jobs() if j.id == f"digest:{sub.id}"]
    assert job.args[1:] == (sub.id, TEAM_A)

    # the job posts with A's bot token, reading A's Lexer token only
    b_before = lexer.app.counted(LEXER_TOKEN_B)
    a_before = len(slack.calls_from(TEAM_A, "chat.postMessage"))
    b_posts = len(slack.calls_from(TEAM_B, "chat.postMessage"))
    slot = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=1)
    ws = dist_bot.deps.tenancy.deps_for(TEAM_A)
    outcome = send_digest(ws, sub, slot)
    assert outcome.status == "posted", outcome
    assert len(slack.calls_from(TEAM_A, "chat.postMessage")) == a_before + 1
    assert len(slack.calls_from(TEAM_B, "chat.postMessage")) == b_posts
    assert lexer.app.counted(LEXER_TOKEN_B) == b_before
    # after an uninstall the job finds no workspace and does nothing
    dist_bot.team_event(TEAM_A, {"type": "app_uninstalled"})
    wait_for(lambda: dist_bot.deps.store.audit_log.entries("workspace_removed"))
    run_scheduled_digest(dist_bot.deps, sub.id, TEAM_A)
    assert len(slack.calls_from(TEAM_A, "chat.postMessage")) == a_before + 1


def test_concurrent_first_requests_share_one_open_workspace_deps(dist_bot):
    # failed before the fix: each thread built its own Deps and the last one closed the others' Lexer clients
    # while their digests were still using them ("Cannot send a request, as the client has been closed")
    dist_bot.install(TEAM_A, ADMIN)
    dist_bot.deps.store.lexer_connections.save(TEAM_A, LEXER_TOKEN_A, connected_by=ADMIN, agents=1, groups=1)
    barrier = threading.Barrier(12)

    def first_use():
        barrier.wait()
        return dist_bot.deps.tenancy.deps_for(TEAM_A)

    with ThreadPoolExecutor(12) as pool:
        got = list(pool.map(lambda _: first_use(), range(12)))
    assert len({id(d) for d in got}) == 1
    assert not got[0].api.http.is_closed


def test_alert_checks_run_per_workspace_with_its_own_lexer_token(dist_bot, lexer):
    for team, admin, token in ((TEAM_A, ADMIN, LEXER_TOKEN_A), (TEAM_B, ADMIN_B, LEXER_TOKEN_B)):
        dist_bot.install(team, admin)
        dist_bot.deps.store.lexer_connections.save(team, token, connected_by=admin, agents=1, groups=1)
    on = dist_bot.team_command(TEAM_A, "alerts on <#C0GENERAL|general>", ADMIN)
    assert "went wrong" not in _text(on)
    a_alerts = dist_bot.deps.store.for_workspace(TEAM_A).alerts
    assert [c["channel_id"] for c in a_alerts.enabled_configs()] == ["C0GENERAL"]
    assert dist_bot.deps.store.for_workspace(TEAM_B).alerts.enabled_configs() == []
    status_b = dist_bot.team_command(TEAM_B, "alerts", ADMIN_B)
    assert "alerts are off for" in _text(status_b)  # A's alert on the same channel id is not B's

    b_before = lexer.app.counted(LEXER_TOKEN_B)
    a_before = lexer.app.counted(LEXER_TOKEN_A)
    scheduled_check(dist_bot.deps)
    assert lexer.app.counted(LEXER_TOKEN_A) > a_before  # A's check read Lexer with A's token
    assert lexer.app.counted(LEXER_TOKEN_B) == b_before  # B has no alerts on: no call at all
    assert a_alerts.latest_sample(a_alerts.enabled_configs()[0]["window_minutes"] or 60) is not None
    assert dist_bot.deps.store.alerts.enabled_configs() == []  # the single-workspace scope saw nothing


def test_exports_are_fetched_and_delivered_with_each_workspaces_own_tokens(dist_bot, lexer):
    slack = dist_bot.slack.app
    for team, admin, token in ((TEAM_A, ADMIN, LEXER_TOKEN_A), (TEAM_B, ADMIN_B, LEXER_TOKEN_B)):
        dist_bot.install(team, admin)
        dist_bot.deps.store.lexer_connections.save(team, token, connected_by=admin, agents=1, groups=1)
    b_before = lexer.app.counted(LEXER_TOKEN_B)
    a_before = lexer.app.counted(LEXER_TOKEN_A)

    queued = dist_bot.team_command(TEAM_A, "export cases last-week", ADMIN)
    assert "not available" not in _text(queued) and "went wrong" not in _text(queued)
    shared = wait_for(lambda: slack.calls_from(TEAM_A, "files.completeUploadExternal"), timeout=60)
    assert len(shared) == 1
    # fetched with A's Lexer token, uploaded and shared with A's bot token, into A's admin's DM
    assert lexer.app.counted(LEXER_TOKEN_A) > a_before and lexer.app.counted(LEXER_TOKEN_B) == b_before
    assert slack.calls_from(TEAM_A, "files.getUploadURLExternal")
    assert not slack.calls_from(TEAM_B, "files.completeUploadExternal")
    assert shared[0].params["channel_id"] == slack.dm_for(ADMIN)
    assert queue_of(dist_bot.running).wait_idle(30)
    (job,) = dist_bot.deps.store.for_workspace(TEAM_A).export_jobs.of_workspace()
    assert job["workspace"] == TEAM_A and job["state"] == "done"
    assert dist_bot.deps.store.for_workspace(TEAM_B).export_jobs.of_workspace() == []

    # B's export is B's own
    dist_bot.team_command(TEAM_B, "export cases last-week", ADMIN_B)
    wait_for(lambda: slack.calls_from(TEAM_B, "files.completeUploadExternal"), timeout=60)
    assert lexer.app.counted(LEXER_TOKEN_B) > b_before
    assert len(slack.calls_from(TEAM_A, "files.completeUploadExternal")) == 1


def test_an_export_whose_workspace_disconnected_lexer_tells_its_requester(dist_bot, lexer):
    from bot.features.exports import ExportQueue

    slack = dist_bot.slack.app
    dist_bot.install(TEAM_B, ADMIN_B)
    dist_bot.deps.store.lexer_connections.save(TEAM_B, LEXER_TOKEN_B, connected_by=ADMIN_B, agents=1, groups=1)
    queue_of(dist_bot.running).stop()  # this process's workers are gone: the job waits in line
    queued = dist_bot.team_command(TEAM_B, "export cases last-week", ADMIN_B)
    assert "went wrong" not in _text(queued)
    assert "disconnected" in _text(dist_bot.team_command(TEAM_B, "disconnect", ADMIN_B))

    # another process takes the line up: it cannot fetch with a token B no longer has, and says so in B's DM
    root = dist_bot.deps
    queue = ExportQueue(store=root.store, api=root.api, slack=root.slack, settings=root.settings)
    queue.workspace_deps = root.tenancy.deps_for
    queue.start()
    try:
        assert queue.wait_idle(30)
    finally:
        queue.stop()
    (job,) = root.store.for_workspace(TEAM_B).export_jobs.of_workspace()
    assert job["state"] == "failed" and "Lexer connection was removed" in job["error"]
    told = [m for m in slack.messages(ADMIN_B) if "connection was removed" in str(m)]
    assert told and slack.calls_from(TEAM_B, "chat.update")
    assert not slack.calls_from(TEAM_B, "files.getUploadURLExternal")


def _home_click(bot, team_id: str, user_id: str, action_id: str, value: str) -> dict:
    """A Home tab button of one team, as Slack sends it; returns the republished view."""
    import json
    import time

    views = bot.slack.app.views
    before = len(views(user_id))
    payload = {
        "type": "block_actions",
        "api_app_id": "A0STANDIN",
        "team": {"id": team_id, "domain": "x"},
        "user": {"id": user_id, "team_id": team_id},
        "container": {"type": "view", "view_id": "V0HOME"},
        "view": {"id": "V0HOME", "type": "home", "callback_id": "lexer.home", "blocks": [], "state": {"values": {}}},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value}],
        "trigger_id": f"trig-{time.monotonic_ns()}",
    }
    r = bot.signed_post(urllib.parse.urlencode({"payload": json.dumps(payload)}))
    assert r.status_code == 200, r.text
    return wait_for(lambda: views(user_id)[before:] and views(user_id)[-1])


def test_workspace_admins_use_the_home_tabs_buttons_and_others_cannot(dist_bot, lexer):
    from bot.slack import actions
    from bot.slack.text import render_message_text

    dist_bot.install(TEAM_A, ADMIN)
    dist_bot.deps.store.lexer_connections.save(TEAM_A, LEXER_TOKEN_A, connected_by=ADMIN, agents=1, groups=1)
    dist_bot.team_command(TEAM_A, "subscribe sla <#C0GENERAL|general> daily at 09:00", ADMIN)
    dist_bot.team_command(TEAM_A, "alerts on <#C0GENERAL|general>", ADMIN)
    store = dist_bot.deps.store.for_workspace(TEAM_A)
    (sub,) = store.subscriptions.all()
    channel = '{"c":"C0GENERAL"}'

    view = _home_click(dist_bot, TEAM_A, ADMIN, actions.HOME_PAUSE, str(sub.id))
    assert f"Paused digest #{sub.id}" in render_message_text({"blocks": view["blocks"]})
    assert store.subscriptions.get(sub.id).paused
    assert "You are a lexer-bot admin" in str(view["blocks"])
    view = _home_click(dist_bot, TEAM_A, ADMIN, actions.ALERT_SNOOZE_1H, channel)
    assert store.alerts.config("C0GENERAL")["snoozed_until"] is not None
    assert "No admins are configured" not in str(view["blocks"])

    # someone who is neither the installer, an added admin nor a Slack admin of A changes nothing
    view = _home_click(dist_bot, TEAM_A, USER_SYDNEY, actions.HOME_DELETE, str(sub.id))
    assert "Only" in render_message_text({"blocks": view["blocks"]}) and len(store.subscriptions.all()) == 1
    assert "LEXERBOT_ADMINS" not in str(view["blocks"])


def test_a_workspace_whose_lexer_window_is_closed_waits_alone(dist_bot, lexer):
    import time

    from bot.lexer.transport import token_key

    for team, admin, token in ((TEAM_A, ADMIN, LEXER_TOKEN_A), (TEAM_B, ADMIN_B, LEXER_TOKEN_B)):
        dist_bot.install(team, admin)
        dist_bot.deps.store.lexer_connections.save(team, token, connected_by=admin, agents=1, groups=1)
    # Lexer closed A's window for 40 minutes (a 429 seen by any process): A's answer cannot come in 25
    dist_bot.deps.store.rate_log.pause(token_key(LEXER_TOKEN_A), time.time() + 40 * 60, "429")
    form = {
        "team_id": TEAM_A,
        "channel_id": "C0GENERAL",
        "user_id": ADMIN,
        "command": "/lexer",
        "text": "team last-week",
        "response_url": dist_bot.slack.app.new_response_url("refused"),
    }
    ack = dist_bot.signed_post(urllib.parse.urlencode(form))
    assert ack.status_code == 200 and "Try again in about" in ack.text
    # B's token is its own: its command is answered at once, with no notice
    b = dist_bot.team_command(TEAM_B, "team last-week", ADMIN_B)
    assert "Queued" not in _text(b) and "went wrong" not in _text(b) and "not connected" not in _text(b)
    refused = dist_bot.deps.store.db.execute("select workspace from command_queue where state = 'refused'").fetchall()
    assert refused == [(TEAM_A,)]
