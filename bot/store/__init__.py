"""The database: SQLite through sqlite-utils, or PostgreSQL; one module per table family; the only place with SQL.

The database is the interface between the web and clock processes. On SQLite every
connection uses WAL and a busy timeout, and each thread has its own connection; a
`postgresql://` target is one shared database for processes on many hosts (see
bot.store.backend: a connection pool, advisory locks where SQLite takes its write lock).
Queries are methods of small per-family classes bound to the Store:
`store.subscriptions`, `store.digest_runs`, `store.export_jobs`, `store.alerts`,
`store.rate_log`, `store.audit_log`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

from bot.store.agent_digests import AgentDigests
from bot.store.alerts import Alerts
from bot.store.audit_log import AuditLog
from bot.store.backend import DatabaseError, PgDatabase, is_postgres_url, redact_url
from bot.store.command_queue import CommandQueue
from bot.store.digest_runs import DigestRuns
from bot.store.export_jobs import ExportJobs
from bot.store.installations import Installations, LexerConnections, WorkspaceAdmins
from bot.store.lexer_cache import LexerCache
from bot.store.migrations import migrations as schema
from bot.store.rate_log import RateLog
from bot.store.report_shares import ReportShares
from bot.store.sqlite_writes import SerialWritesConnection, turn, write_lock
from bot.store.subscriptions import Subscriptions
from bot.store.targets import Targets

if TYPE_CHECKING:
    from bot.crypto import SecretBox

logger = logging.getLogger(__name__)

MEMORY = ":memory:"
HEALTH_WAIT_S = 2.0  # /healthz waits this long at most for a PostgreSQL connection


class Store:
    """A database file with one connection per thread, or a PostgreSQL database through a pool.

    ":memory:" is one private in-memory database that every thread of this Store
    sees (a shared-cache URI, kept alive by the Store's first connection), for tests.
    """

    def __init__(self, path: str | Path, secrets: SecretBox | None = None):
        self.path = str(path)
        self.secrets = secrets  # LEXERBOT_SECRET_KEY's box: stored tokens are encrypted with it
        self.workspace = ""  # the root Store is the single-workspace mode's; for_workspace(key) for the others
        self._local = threading.local()
        self._uri = False
        self._keepalive: sqlite3.Connection | None = None
        self._pg: PgDatabase | None = None
        self.dialect = "sqlite"
        self.statements = 0  # SQLite statements sent by this Store's connections (PostgreSQL counts its own)
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
        self.subscriptions = Subscriptions(self)
        self.digest_runs = DigestRuns(self)
        self.export_jobs = ExportJobs(self)
        self.alerts = Alerts(self)
        self.rate_log = RateLog(self)
        self.lexer_cache = LexerCache(self)
        self.command_queue = CommandQueue(self)
        self.audit_log = AuditLog(self)
        self.report_shares = ReportShares(self)
        self.installations = Installations(self)
        self.lexer_connections = LexerConnections(self)
        self.workspace_admins = WorkspaceAdmins(self)
        self.targets = Targets(self)
        self.agent_digests = AgentDigests(self)

    @property
    def name(self) -> str:
        """The database as a log line or /healthz may name it (never a password)."""
        return redact_url(self.path)

    @property
    def db(self) -> sqlite_utils.Database:
        if self._pg is not None:
            return self._pg  # type: ignore[return-value]  # the subset of sqlite_utils.Database the store uses
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
        conn = self.db.conn
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
            from bot.store import pg_schema

            return len(pg_schema.applied(self._pg))
        if "_sqlite_migrations" not in self.db.table_names():
            return 0
        return len(list(schema.applied(self.db)))

    def migrate(self) -> None:
        if self._pg is not None:
            from bot.store import pg_schema

            pg_schema.apply(self._pg)
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

    def for_workspace(self, key: str) -> Store | WorkspaceStore:
        """This database as the workspace `key` sees it ('' is the single-workspace mode: this Store)."""
        return self if not key else WorkspaceStore(self, key)

    def healthy(self) -> bool:
        return self.health()["ok"]

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
        health = {"backend": self.dialect, "ok": ok, "latency_ms": round((time.perf_counter() - start) * 1000, 2)}
        if not ok:
            health["where"] = redact_url(self.path)  # which database, never its password
            down_s = self._pg.unreachable_for_s if self._pg is not None else None
            if down_s is not None:
                health["unreachable_for_s"] = round(down_s, 1)
        return health


class WorkspaceStore:
    """The Store as one workspace sees it: the same database, every family bound to the workspace's key.

    Code above the store never passes a workspace to a query: it holds a store bound to one.
    """

    def __init__(self, root: Store, key: str):
        self.root = root
        self.path = root.path
        self.secrets = root.secrets
        self.workspace = key
        self.dialect = root.dialect
        self.subscriptions = Subscriptions(self)  # type: ignore[arg-type]
        self.digest_runs = DigestRuns(self)  # type: ignore[arg-type]
        self.export_jobs = ExportJobs(self)  # type: ignore[arg-type]
        self.alerts = Alerts(self)  # type: ignore[arg-type]
        self.rate_log = RateLog(self)  # type: ignore[arg-type]
        self.audit_log = AuditLog(self)  # type: ignore[arg-type]
        self.report_shares = ReportShares(self)  # type: ignore[arg-type]
        self.targets = Targets(self)  # type: ignore[arg-type]
        self.agent_digests = AgentDigests(self)  # type: ignore[arg-type]
        # the queue and the Lexer cache are shared: a queued command carries its workspace's ids, and the
        # cache is keyed by a hash of the Lexer token, so no workspace reads another's answer
        self.command_queue = root.command_queue
        self.lexer_cache = root.lexer_cache
        self.installations = root.installations
        self.lexer_connections = root.lexer_connections
        self.workspace_admins = root.workspace_admins

    @property
    def db(self) -> sqlite_utils.Database:
        return self.root.db

    def for_workspace(self, key: str) -> WorkspaceStore:
        return self.root.for_workspace(key)

    def transaction(self, lock: str):  # type: ignore[no-untyped-def]
        return self.root.transaction(lock)

    def migrate(self) -> None:
        self.root.migrate()

    def close(self) -> None:
        self.root.close()

    def healthy(self) -> bool:
        return self.root.healthy()


def open_store(path: str | Path, secrets: SecretBox | None = None) -> Store:
    """Open (creating if needed) and migrate the database."""
    store = Store(path, secrets)
    store.migrate()
    return store
