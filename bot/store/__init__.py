"""The database: SQLite through sqlite-utils, one module per table family; the only place with SQL.

The database is the interface between the web and clock processes, so every
connection uses WAL and a busy timeout, and each thread has its own connection.
Queries are methods of small per-family classes bound to the Store:
`store.subscriptions`, `store.digest_runs`, `store.export_jobs`, `store.alerts`,
`store.rate_log`, `store.audit_log`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from pathlib import Path

import sqlite_utils

from bot.store.alerts import Alerts
from bot.store.audit_log import AuditLog
from bot.store.command_queue import CommandQueue
from bot.store.digest_runs import DigestRuns
from bot.store.export_jobs import ExportJobs
from bot.store.lexer_cache import LexerCache
from bot.store.migrations import migrations as schema
from bot.store.rate_log import RateLog
from bot.store.subscriptions import Subscriptions

logger = logging.getLogger(__name__)

MEMORY = ":memory:"


class Store:
    """A database file with one connection per thread.

    ":memory:" is one private in-memory database that every thread of this Store
    sees (a shared-cache URI, kept alive by the Store's first connection), for tests.
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._local = threading.local()
        self._uri = False
        self._keepalive: sqlite3.Connection | None = None
        if self.path == MEMORY:
            self._uri = True
            self._target = f"file:lexerbot-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._keepalive = sqlite3.connect(self._target, uri=True, check_same_thread=False)
        else:
            self._target = self.path
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._migrate_lock = threading.Lock()
        self.subscriptions = Subscriptions(self)
        self.digest_runs = DigestRuns(self)
        self.export_jobs = ExportJobs(self)
        self.alerts = Alerts(self)
        self.rate_log = RateLog(self)
        self.lexer_cache = LexerCache(self)
        self.command_queue = CommandQueue(self)
        self.audit_log = AuditLog(self)

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(
                self._target, timeout=30, check_same_thread=False, isolation_level=None, uri=self._uri
            )
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
                schema.apply(self.db)
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
