"""`lexer-bot db copy SQLITE_PATH POSTGRES_URL`: an install with every table populated moves to PostgreSQL, and
the bot then runs there with the same subscriptions, alert state and history."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation

from bot.crypto import SecretBox
from bot.lexer.rate_limit import StoreRateLimiter
from bot.store import open_store
from bot.store.copy import data_tables
from bot.store.installations import SlackInstallationStore
from bot.store.lexer_cache import StoredAnswer
from tests.conftest import ADMIN, CHANNEL, make_settings

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
KEY = Fernet.generate_key().decode()
BOT_TOKEN = "xoxb-copied-PLAIN-0001"


def populate(path: Path) -> dict:
    """Every table of an install, as a few weeks of use leave it."""
    store = open_store(path, SecretBox((KEY,)))
    sub = store.subscriptions.add(
        kind="sla", channel_id=CHANNEL, cadence="daily", at_time="09:00", tz="Australia/Sydney", created_by=ADMIN
    )
    store.subscriptions.add(
        kind="nps", channel_id=CHANNEL, cadence="weekly", weekday=0, at_time="08:30", tz="UTC", created_by=ADMIN
    )
    run = store.digest_runs.claim(sub.id, "2026-11-29T22:00:00+00:00", "proc-a", NOW)
    store.digest_runs.finish(run, "posted", NOW, message_ts="1700000000.000100")
    store.export_jobs.add({"user_id": ADMIN, "kind": "cases", "state": "done", "created_at": "2026-11-29T01:00:00"})
    store.alerts.save_config(CHANNEL, window_minutes=60, min_count=5, sensitivity="normal", user_id=ADMIN, now=NOW)
    store.alerts.insert_episode({"channel_id": CHANNEL, "state": "firing", "started_at": "2026-11-30T08:00:00+00:00"})
    sample = store.alerts.claim_sample(NOW, 60, NOW)
    store.alerts.record_sample(sample, {"status": "ok", "broke_sla": 3, "responded": 40, "volume": 50})
    store.alerts.save_baseline({"key": f"{CHANNEL}:60", "hours": 168.0, "broke_sla": 20, "responded": 900})
    limiter = StoreRateLimiter(store, "lexer-token")
    limiter.release(limiter.acquire())
    store.rate_log.pause(limiter.key, NOW.timestamp() + 60, "429")
    store.lexer_cache.put("q1", limiter.key, StoredAnswer(200, [("content-type", "application/json")], b"[]"), 1, 2)
    store.lexer_cache.lead_or_follow("q2", "proc-a", 1.0, 0.0, 0.0)
    store.command_queue.enqueue({"user_id": ADMIN, "channel_id": CHANNEL, "text": "team today"}, NOW.timestamp())
    store.audit_log.record(ADMIN, "subscribe", {"id": sub.id}, now=NOW)
    store.report_shares.claim(CHANNEL, "1700000000.000200", ADMIN, NOW)
    SlackInstallationStore(store).save(
        Installation(app_id="A1", team_id="T0COPY", bot_token=BOT_TOKEN, bot_id="B1", bot_user_id="UBOT", user_id=ADMIN)
    )
    store.db["oauth_states"].insert({"state": "st-1", "expires_at": NOW.timestamp() + 600})
    store.lexer_connections.save("T0COPY", "lexer-PLAIN-token-9999", connected_by=ADMIN, agents=8, groups=2)
    store.workspace_admins.add("T0COPY", "UHELPER", ADMIN)
    store.targets.set("first_response", 15.0, ADMIN, now=NOW)
    store.agent_digests.set_enabled(True, ADMIN, NOW)
    store.agent_digests.set_opted_out("UAGENT", True, NOW)
    store.agent_digests.claim(7, "2026-W48", "proc-a", NOW, 300)
    counts = {t: store.db[t].count for t in data_tables(store)}
    store.close()
    return counts


def lexer_bot(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def pg_url(pg_cluster):
    name = pg_cluster.create_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


def test_copy_moves_every_table_and_the_bot_runs_on_postgresql(tmp_path, pg_url, sandbox, slack, pg_cluster):
    source = tmp_path / "lexerbot.db"
    counts = populate(source)
    assert all(counts.values()), f"populate() leaves a table empty: {[t for t, n in counts.items() if not n]}"

    done = lexer_bot("db", "copy", str(source), pg_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every count matches" in done.stdout
    assert pg_cluster.password not in done.stdout + done.stderr
    for table, n in counts.items():
        assert any(
            line.split()[:1] == [table] and line.split()[1:] == [str(n), "->", str(n)]
            for line in done.stdout.splitlines()
        )

    target = open_store(pg_url, SecretBox((KEY,)))
    assert {t: target.db[t].count for t in data_tables(target)} == counts
    # the same subscriptions, alert state and history; secrets still sealed and readable with the same key
    assert [s.at_time for s in target.subscriptions.all()] == ["09:00", "08:30"]
    assert target.alerts.open_episode(CHANNEL)["started_at"] == "2026-11-30T08:00:00+00:00"
    assert target.alerts.config(CHANNEL)["min_count"] == 5
    assert [e["action"] for e in target.audit_log.entries()] == ["subscribe"]
    assert target.lexer_connections.find("T0COPY").token_last4 == "9999"
    found = SlackInstallationStore(target).find_installation(enterprise_id=None, team_id="T0COPY")
    assert found is not None and found.bot_token == BOT_TOKEN
    assert BOT_TOKEN not in str(list(target.db.query("select * from installations")))
    # new rows carry on after the copied ids
    third = target.subscriptions.add(
        kind="sla", channel_id="C0OTHER", cadence="daily", at_time="10:00", tz="UTC", created_by=ADMIN
    )
    assert third.id == 3
    assert target.lexer_cache.get("q1", 1.5).content == b"[]"
    target.close()

    # the bot on PostgreSQL lists what the SQLite install had
    from bot.cli import build_served
    from bot.sandbox.server import serve_in_thread
    from tests.conftest import Bot

    settings = make_settings(sandbox, slack, tmp_path, db_path=pg_url, secret_keys=(KEY,))
    running, wsgi = build_served(settings, scheduler=False)
    handle = serve_in_thread(wsgi)
    bot = Bot(handle.url, running, slack)
    try:
        listed = bot.command("subscriptions", user_id=ADMIN)
        text = str(listed)
        assert "09:00" in text and "08:30" in text and "10:00" in text
    finally:
        running.stop()
        handle.stop()

    # a second copy into the now non-empty database is refused, and nothing changes
    again = lexer_bot("db", "copy", str(source), pg_url)
    assert again.returncode == 1 and "not empty" in again.stdout and "new, empty database" in again.stdout


def test_copy_refuses_what_is_not_a_sqlite_file_or_a_postgresql_url(tmp_path, pg_url):
    missing = lexer_bot("db", "copy", str(tmp_path / "nope.db"), pg_url)
    assert missing.returncode == 2 and "is not a SQLite file" in missing.stdout
    assert not (tmp_path / "nope.db").exists()
    source = tmp_path / "a.db"
    open_store(source).close()
    wrong = lexer_bot("db", "copy", str(source), str(tmp_path / "b.db"))
    assert wrong.returncode == 2 and "is not a postgresql:// URL" in wrong.stdout
