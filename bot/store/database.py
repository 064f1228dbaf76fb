"""One database's connections, shared by every workspace's Store: a SQLite file (one connection per thread) or
a PostgreSQL database (a pool, bot.store.postgres), with its transactions, migrations and health."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import sqlite_utils

from bot.store.backend import DatabaseError, is_postgres_url, redact_url
from bot.store.migrations import migrations as schema
from bot.store.migrations import postgresql as pg_migrations
from bot.store.postgres import PgDatabase
from bot.store.sqlite_writes import SerialWritesConnection, turn, write_lock

MEMORY = ":memory:"
HEALTH_WAIT_S = 2.0  # /healthz waits this long at most for a PostgreSQL connection


class Database:
    """A database file with one connection per thread, or a PostgreSQL database through a pool.

    ":memory:" is one private in-memory database that every thread of this Database
    sees (a shared-cache URI, kept alive by the Database's first connection), for tests.
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._local = threading.local()
        self._uri = False
        self._keepalive: sqlite3.Connection | None = None
        self._pg: PgDatabase | None = None
        self.dialect = "sqlite"
        self.statements = 0  # SQLite statements sent by this database's connections (PostgreSQL counts its own)
        if is_postgres_url(self.path):
            self.dialect = "postgresql"
            self._pg = PgDatabase(self.path)
        elif self.path == MEMORY:
            self._uri = True
            self._target = f"file:lexerbot-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._keepalive = sqlite3.connect(self._target, uri=True, check_same_thread=False)
        else:
            self._target = self.path
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._migrate_lock = threading.Lock()

    @property
    def name(self) -> str:
        """The database as a log line or /healthz may name it (never a password)."""
        return redact_url(self.path)

    @property
    def db(self) -> sqlite_utils.Database:
        if self._pg is not None:
            return cast(sqlite_utils.Database, self._pg)  # the subset of it the store uses (bot.store.postgres)
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(
                self._target,
                timeout=30,
                check_same_thread=False,
                isolation_level=None,
                uri=self._uri,
                factory=SerialWritesConnection,
            )
            conn.write_lock = write_lock(self._target)  # this process's writes to the file take turns
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA secure_delete = ON")  # a deleted row (an uninstalled workspace's) leaves no copy
            conn.set_trace_callback(self._count)
            db = sqlite_utils.Database(conn)
            self._local.db = db
        return db

    def _count(self, _sql: str) -> None:
        self.statements += 1

    def queries(self) -> int:
        """Statements sent so far (the replicas bench counts the store's queries per command)."""
        return self._pg.statements if self._pg is not None else self.statements

    @contextmanager
    def transaction(self, lock: str) -> Iterator[None]:
        """A read-then-write decision made by one process at a time, on every host.

        SQLite: BEGIN IMMEDIATE, the database's one write lock. PostgreSQL: a transaction holding the
        advisory lock `lock` (decisions about different things, e.g. two Lexer tokens, never wait on each other).
        A transaction inside another is part of it.
        """
        if self._pg is not None:
            with self._pg.transaction(lock):
                yield
            return
        conn = cast(SerialWritesConnection, self.db.conn)
        if conn.in_transaction:
            yield
            return
        with turn(conn.write_lock):  # this process's writers queue here, not in SQLite's busy handler
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def migrations_applied(self) -> int:
        """How many migrations this database has applied."""
        if self._pg is not None:
            return len(pg_migrations.applied(self._pg))
        if "_sqlite_migrations" not in self.db.table_names():
            return 0
        return len(list(schema.applied(self.db)))

    def migrate(self) -> None:
        if self._pg is not None:
            pg_migrations.apply(self._pg)
            return
        # the web and clock processes may start together: the write lock makes one migrate while the other
        # waits, then finds nothing pending (each migration nests as a savepoint inside this transaction)
        with self._migrate_lock, self.transaction("migrations"):
            schema.apply(self.db)

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
            return
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    def health(self) -> dict:
        """For /healthz: the backend, whether it answers, and how long `select 1` took."""
        start = time.perf_counter()
        try:
            if self._pg is not None:
                self._pg.ping(HEALTH_WAIT_S)  # not the pool's 30 s: a health check answers while the database does not
            else:
                self.db.execute("select 1").fetchone()
            ok = True
        except DatabaseError:
            ok = False
        health: dict[str, Any] = {
            "backend": self.dialect,
            "ok": ok,
            "latency_ms": round((time.perf_counter() - start) * 1000, 2),
        }
        if not ok:
            health["where"] = redact_url(self.path)  # which database, never its password
            down_s = self._pg.unreachable_for_s if self._pg is not None else None
            if down_s is not None:
                health["unreachable_for_s"] = round(down_s, 1)
        return health
