"""The PostgreSQL backend's own promises: the same schema as SQLite, migrations applied once when processes
start together, one budget across processes, and a password that never shows."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.config import Settings
from bot.lexer.rate_limit import StoreRateLimiter
from bot.store import Store, open_store
from bot.store.backend import redact_url
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]

PG_TYPES = {
    "INTEGER": "bigint",
    "TEXT": "text",
    "REAL": "double precision",
    "FLOAT": "double precision",
    "BLOB": "bytea",
}


@pytest.fixture
def pg_url(pg_cluster):
    name = pg_cluster.create_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


def _sqlite_schema() -> dict:
    store = open_store(":memory:")
    schema = {}
    for table in store.db.table_names():
        if table.startswith("_"):
            continue
        cols = {c.name: PG_TYPES[c.type.upper()] for c in store.db[table].columns}
        uniques = {
            tuple(i.columns) for i in store.db[table].indexes if i.unique and not i.name.startswith("sqlite_autoindex")
        }
        schema[table] = (cols, tuple(store.db[table].pks), uniques)
    store.close()
    return schema


def _pg_schema(url: str) -> dict:
    store = open_store(url)
    db = store.db
    schema = {}
    for table in db.table_names():
        if table == "lexerbot_migrations":
            continue
        cols = {
            r[0]: r[1]
            for r in db.execute(
                "select column_name, data_type from information_schema.columns where table_name = ?", [table]
            )
        }
        uniques = {
            tuple(r[0])
            for r in db.execute(
                "select array_agg(a.attname order by array_position(i.indkey, a.attnum)) from pg_index i"
                " join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)"
                " where i.indrelid = ?::regclass and i.indisunique and not i.indisprimary group by i.indexrelid",
                [table],
            )
        }
        schema[table] = (cols, tuple(db.primary_key(table)), uniques)
    store.close()
    return schema


def test_the_postgresql_schema_is_sqlites(pg_url):
    """Every table, column, type, primary key and unique index SQLite's migrations build exists on PostgreSQL."""
    assert _pg_schema(pg_url) == _sqlite_schema()


def test_processes_starting_together_migrate_once(pg_url):
    code = "import sys; from bot.store import open_store; open_store(sys.argv[1]).close(); print('ok')"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, pg_url], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    store = open_store(pg_url)
    names = [r[0] for r in store.db.execute("select name from lexerbot_migrations")]
    assert names == [
        "m014_schema",
        "m015_command_queue_turns",
        "m016_command_queue_attempts",
        "m017_lexer_flights_token_key",
    ]
    store.close()


def test_migrate_command_applies_and_exits(pg_url, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("LEXERBOT_DB", pg_url)
    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert "4 migration(s) applied" in out and "postgresql" in out
    assert main(["migrate"]) == 0
    assert "0 migration(s) applied, 4 in all" in capsys.readouterr().out


def test_one_budget_across_processes_on_postgresql(pg_url):
    """Two stores (two pools, as two hosts have) and many threads: never more sends than the limit."""
    stores = [open_store(pg_url), open_store(pg_url)]
    limiters = [StoreRateLimiter(s, "tok", limit=20, max_wait_s=0.0, poll_s=0.01) for s in stores]
    granted = []

    def burst(limiter):
        for _ in range(15):
            try:
                granted.append(limiter.acquire())
            except Exception:
                pass

    threads = [threading.Thread(target=burst, args=(limiters[i % 2],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 20
    assert stores[0].rate_log.sends_between(limiters[0].key, 0, 1e12) == 20
    for s in stores:
        s.close()


def test_the_password_never_shows(pg_cluster, pg_url, caplog):
    password = pg_cluster.password
    assert password in pg_url
    assert password not in redact_url(pg_url) and "***" in redact_url(pg_url)
    assert password not in redact_url(pg_url.replace(f":{password}@", "@") + f"?password={password}&sslmode=require")
    settings = Settings(db_path=pg_url)
    assert password in settings.secrets() and password not in repr(settings)
    store = open_store(pg_url)
    assert password not in store.name and password not in str(store.health())
    store.close()
    # a wrong port: the error names the host, never the password
    wrong = pg_url.replace(f":{pg_cluster.port}/", ":1/")
    with caplog.at_level(logging.DEBUG), pytest.raises(ConnectionError) as err:
        Store(wrong)
    assert password not in str(err.value) and "127.0.0.1" in str(err.value)
    assert password not in caplog.text


def test_healthz_names_the_backend_and_its_latency(bot, settings):
    import httpx

    body = httpx.get(f"{bot.url}/healthz").json()
    assert body["database"] == "ok"
    assert body["database_backend"] == ("postgresql" if settings.db_path.startswith("postgresql") else "sqlite")
    assert body["database_latency_ms"] >= 0


def test_the_password_may_come_from_pgpassword(pg_cluster, pg_url, monkeypatch, capsys):
    """The compose file's form: the URL names no password, libpq reads PGPASSWORD; redaction knows it too."""
    bare = pg_url.replace(f":{pg_cluster.password}@", "@")
    monkeypatch.setenv("PGPASSWORD", pg_cluster.password)
    store = open_store(bare)
    assert store.health()["ok"]
    store.close()
    from bot.config import load_settings

    monkeypatch.setenv("LEXERBOT_DB", bare)
    assert pg_cluster.password in load_settings().secrets()
    monkeypatch.setenv("PGPASSWORD", "wrong-password")
    with pytest.raises(ConnectionError) as err:
        Store(bare)
    assert "wrong-password" not in str(err.value) and "password authentication failed" in str(err.value)


def test_a_database_created_sql_ascii_still_works(pg_cluster):
    """A database made without an encoding (some hosts' and images' default is SQL_ASCII) reads text as text:
    without a client encoding psycopg returned bytes, the bot missed its own recorded migrations and every
    process crash-looped on 'relation already exists'."""
    name = f"ascii_{threading.get_ident() % 100000}"
    pg_cluster.admin(f"create database {name} encoding 'SQL_ASCII' lc_collate 'C' lc_ctype 'C' template template0")
    try:
        url = pg_cluster.url(name)
        store = open_store(url)
        store.subscriptions.add(
            kind="sla", channel_id="C0ONE", cadence="daily", at_time="08:00", tz="Europe/Berlin", created_by="U1"
        )
        store.close()
        again = open_store(url)  # migrations read back as applied, not run again
        assert [s.channel_id for s in again.subscriptions.all()] == ["C0ONE"]
        again.close()
    finally:
        pg_cluster.drop_database(name)


def test_a_process_keeps_its_first_connections_open(pg_url):
    """A burst's first acks do not each wait for PostgreSQL to start a backend: POOL_MIN are open from the
    start and stay open while idle."""
    from bot.store.postgres import POOL_MIN

    store = open_store(pg_url)
    try:
        stats = store.db.pool.get_stats()
        assert stats["pool_size"] >= POOL_MIN and stats["pool_available"] >= POOL_MIN - 1
    finally:
        store.close()


@pytest.fixture
def own_cluster(pg_cluster):  # a cluster of its own, to restart: the session's is shared by every other test
    from bot.sandbox.pg_cluster import Cluster

    cluster = Cluster().start()
    yield cluster
    cluster.stop()


def test_after_a_restart_no_statement_meets_a_broken_connection(own_cluster):
    """A restart breaks every connection the pool keeps; each used to fail its next statement (AdminShutdown)."""
    from bot.store.postgres import POOL_MIN

    store = open_store(own_cluster.url(own_cluster.create_database()))
    try:
        store.subscriptions.add(
            kind="sla", channel_id="C0ONE", cadence="daily", at_time="08:00", tz="UTC", created_by="U1"
        )
        own_cluster.halt()
        own_cluster.start()
        for _ in range(POOL_MIN + 2):  # every kept connection, and fresh ones
            assert [s.channel_id for s in store.subscriptions.all()] == ["C0ONE"]
        store.digest_runs.claim(1, "2026-01-01T08:00:00+00:00", "w1", datetime.now(timezone.utc))
        with store.db.transaction("test"):
            assert store.db.execute("select count(*) from digest_runs").fetchone()[0] == 1
        assert store.health()["ok"]
    finally:
        store.close()


def test_while_the_database_is_down_statements_fail_fast_and_health_says_so(own_cluster):
    """Once the pool has given up reconnecting, a statement waits DOWN_WAIT_S for a connection, not the pool's 30 s,
    and health names the database without its password; the first statement after the restart clears it."""
    from bot.store.backend import UnavailableError
    from bot.store.postgres import DOWN_WAIT_S

    store = open_store(own_cluster.url(own_cluster.create_database()))
    try:
        own_cluster.halt()
        wait_for(lambda: not store.health()["ok"] and "unreachable_for_s" in store.health(), timeout=20)
        start = time.monotonic()
        with pytest.raises(UnavailableError):
            store.subscriptions.all()
        assert time.monotonic() - start < DOWN_WAIT_S + 1.0
        health = store.health()
        assert health["where"].startswith("postgresql://lexerbot:***@") and own_cluster.password not in str(health)
        own_cluster.start()
        wait_for(lambda: store.health()["ok"], timeout=20)
        assert "unreachable_for_s" not in store.health() and store.subscriptions.all() == []
    finally:
        store.close()


@pytest.mark.parametrize(
    "sql, safe",
    [
        ("select * from subscriptions where id = ?", True),
        ("  SELECT count(*) from command_queue", True),
        ("select id from command_queue for update", False),
        ("insert into digest_runs (id) values (?)", False),
        ("update digest_runs set status = 'posted'", False),
        ("delete from rate_log where at < ?", False),
    ],
)
def test_which_statements_run_again_after_a_broken_connection(sql, safe):
    """A read may always run again; a write only when the server ended it (it did not commit)."""
    import psycopg

    from bot.store.postgres import _retry_safe

    assert _retry_safe(sql, psycopg.OperationalError("server closed the connection unexpectedly")) is safe
    assert _retry_safe(sql, psycopg.errors.AdminShutdown("terminating connection")) is True


def test_a_connection_ended_by_the_server_moments_after_its_use_is_replaced_unseen(pg_cluster, pg_url):
    """A connection handed back under CHECK_IDLE_S ago is lent unchecked; if the server ended it meanwhile
    (AdminShutdown), the statement runs once more on a fresh one: a read, and a write applied once."""
    from bot.store.postgres import PgDatabase

    store = open_store(pg_url)
    store.close()
    db = PgDatabase(pg_url, max_size=1)  # one connection: the next statement gets the one just ended
    try:
        db.execute("create table t (id integer primary key)")
        for statement in ("select count(*) from t", "insert into t (id) values (1)"):
            pid = db.execute("select pg_backend_pid()").fetchone()[0]
            pg_cluster.admin(f"select pg_terminate_backend({pid})")
            db.execute(statement)
            assert db.execute("select pg_backend_pid()").fetchone()[0] != pid
        assert db.execute("select count(*) from t").fetchone()[0] == 1
    finally:
        db.close()
