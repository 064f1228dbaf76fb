"""SQLite through sqlite-utils: open the database, versioned migrations, named queries.

The database is the interface between the web and clock processes, so every
connection uses WAL and a busy timeout, and each thread has its own connection.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

logger = logging.getLogger(__name__)

migrations = Migrations("lexerbot")


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    # Lexer rate-limit send log, shared by every process (keyed by a hash of the token, never the token)
    db["rate_log"].create({"id": int, "token_key": str, "sent_at": float, "done_at": float}, pk="id")
    db["rate_log"].create_index(["token_key", "sent_at"])
    db["audit_log"].create({"id": int, "at": str, "user_id": str, "action": str, "detail": str}, pk="id")


@migrations()
def m002_digests(db: sqlite_utils.Database) -> None:
    db["subscriptions"].create(
        {
            "id": int,
            "kind": str,
            "form_id": int,
            "channel_id": str,
            "cadence": str,
            "weekday": int,
            "at_time": str,
            "tz": str,
            "created_by": str,
            "created_at": str,
            "paused": int,
            "broken_reason": str,
        },
        pk="id",
        defaults={"paused": 0},
        not_null={"kind", "channel_id", "cadence", "at_time", "tz"},
    )
    db["digest_runs"].create(
        {
            "id": int,
            "subscription_id": int,
            "scheduled_for": str,
            "status": str,
            "claimed_by": str,
            "claimed_at": str,
            "posted_at": str,
            "channel_id": str,
            "message_ts": str,
            "error": str,
            "attempts": int,
        },
        pk="id",
        defaults={"attempts": 0},
        not_null={"subscription_id", "scheduled_for", "status"},
    )
    db["digest_runs"].create_index(["subscription_id", "scheduled_for"], unique=True)


@migrations()
def m003_exports(db: sqlite_utils.Database) -> None:
    db["export_jobs"].create(
        {
            "id": int,
            "user_id": str,
            "kind": str,
            "range_text": str,
            "tz": str,
            "date_from": str,
            "date_to": str,
            "form_id": int,
            "state": str,
            "report_token": str,
            "dm_channel": str,
            "message_ts": str,
            "created_at": str,
            "updated_at": str,
            "error": str,
            "file_name": str,
            "size_bytes": int,
            "rows": int,
            "worker": str,
        },
        pk="id",
        not_null={"user_id", "kind", "state"},
    )
    db["export_jobs"].create_index(["state"])


@migrations()
def m004_alerts(db: sqlite_utils.Database) -> None:
    db["alert_configs"].create(
        {
            "channel_id": str,
            "enabled": int,
            "window_minutes": int,
            "min_count": int,
            "sensitivity": str,
            "created_by": str,
            "snoozed_until": str,
            "updated_at": str,
        },
        pk="channel_id",
    )
    db["alert_episodes"].create(
        {
            "id": int,
            "channel_id": str,
            "state": str,
            "started_at": str,
            "resolved_at": str,
            "message_ts": str,
            "last_update_at": str,
            "last_count": int,
            "expected": float,
            "ok_streak": int,
            "detail": str,
        },
        pk="id",
    )
    db["alert_episodes"].create_index(["channel_id", "state"])
    # metric history the checks collect (UTC window ends)
    db["alert_samples"].create(
        {
            "id": int,
            "window_end": str,
            "window_minutes": int,
            "broke_sla": int,
            "responded": int,
            "volume": int,
        },
        pk="id",
    )
    db["alert_samples"].create_index(["window_end"])


@migrations()
def m005_export_resume(db: sqlite_utils.Database) -> None:
    # what a restarted worker needs to resume an export and word its messages without asking Lexer again
    table = db["export_jobs"]
    for name, kind in (
        ("form_name", str),
        ("category", str),
        ("filters", str),
        ("filters_text", str),
        ("range_desc", str),
        ("started_at", str),
        ("attempts", int),
        ("file_id", str),
        ("error_hint", str),
    ):
        table.add_column(name, kind)
    table.create_index(["worker", "updated_at"])


@migrations()
def m006_alert_checks(db: sqlite_utils.Database) -> None:
    # what each 5-minute check concluded, so `alerts status` and the baseline read the database only
    samples = db["alert_samples"]
    for column, kind in (
        ("status", str),
        ("checked_at", str),
        ("expected", float),
        ("expected_fraction", float),
        ("p_value", float),
        ("anomalous", int),
        ("baseline_source", str),
    ):
        samples.add_column(column, kind)
    # one check per (slot, window) across processes: the insert is the claim
    samples.create_index(["window_end", "window_minutes"], unique=True, index_name="alert_samples_slot")
    # the trailing-7-day summary, fetched once a day while sample history is short
    db["alert_baselines"].create(
        {
            "key": str,
            "date_from": str,
            "date_to": str,
            "hours": float,
            "broke_sla": int,
            "responded": int,
            "volume": int,
            "fetched_at": str,
        },
        pk="key",
    )


def utcnow_iso(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")


class Store:
    """A database file with one connection per thread."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._local = threading.local()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._migrate_lock = threading.Lock()

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            db = sqlite_utils.Database(conn)
            self._local.db = db
        return db

    def migrate(self) -> None:
        with self._migrate_lock:
            conn = self.db.conn
            # the web and clock processes may start together: the write lock makes one migrate while the other
            # waits, then finds nothing pending (each migration nests as a savepoint inside this transaction)
            conn.execute("BEGIN IMMEDIATE")
            try:
                migrations.apply(self.db)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    # ------------------------------------------------------------ audit
    def audit(self, user_id: str, action: str, detail: dict | None = None, now: datetime | None = None) -> None:
        self.db["audit_log"].insert(
            {
                "at": utcnow_iso(now),
                "user_id": user_id,
                "action": action,
                "detail": json.dumps(detail or {}, sort_keys=True),
            }
        )

    def healthy(self) -> bool:
        try:
            self.db.execute("select 1").fetchone()
            return True
        except sqlite3.Error:
            return False


def open_store(path: str | Path) -> Store:
    """Open (creating if needed) and migrate the database."""
    store = Store(path)
    store.migrate()
    return store
