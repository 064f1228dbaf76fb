"""PostgreSQL through psycopg 3 and psycopg_pool: PgDatabase, the part of sqlite_utils.Database the store uses
(`execute`, `query`, `table_names`, and tables: bot.store.pg_table).

Every PostgreSQL statement runs in autocommit on a connection lent by the pool for that statement;
`PgDatabase.transaction(lock)` pins one connection to the thread for a transaction that first takes a
transaction-scoped advisory lock named `lock` (what SQLite's BEGIN IMMEDIATE gives the store: the
decisions made inside are made by one process at a time, on every host).

A database restart or outage: the pool checks a connection idle for a while before lending it (a restart breaks
every kept connection), a statement that met a broken connection runs once more on a fresh one where that cannot apply it
twice (a read, or a statement the server ended before committing), and while the database cannot be reached
a statement waits DOWN_WAIT_S for a connection instead of the pool's 30 s, so callers fail fast and try again
(`unreachable_for_s` says for how long, for /healthz).
"""

from __future__ import annotations

import decimal
import functools
import hashlib
import logging
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg.errors
from psycopg.adapt import Loader
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.store.backend import redact_url
from bot.store.pg_table import PgTable

logger = logging.getLogger(__name__)

POOL_MAX = 12
# connections each process keeps open: a burst's first acks (bot.commands.queue.INTAKE_AT_ONCE at a time) find
# theirs ready instead of waiting for PostgreSQL to start a backend each (~8 ms idle, far more under load)
POOL_MIN = 4
# text is text whatever the database was created with: a SQL_ASCII database (some hosts' default) otherwise
# hands psycopg bytes, and the store would miss its own recorded migrations
CLIENT_ENCODING = "UTF8"
POOL_WAIT_S = 30.0  # a statement waits this long for a connection while the database answers (the pool's default)
DOWN_WAIT_S = 1.0  # ... and this long while it cannot be reached: callers fail fast, and try again later
# the pool stops one connection's reconnect attempts (after 1 s, then 2 s) after this long, and the next statement
# starts new ones at once: a database back after a long outage is found within seconds. Giving up is also what
# marks the database unreachable (statements then wait DOWN_WAIT_S): a statement that began before waits the
# pool's 30 s, or until the database is back, so this is kept short
RECONNECT_GIVE_UP_S = 3.0
CONNECT_TIMEOUT_S = 5  # a host that does not answer at all (a network partition) must not hold a connect longer
# a connection idle in the pool longer than this is checked (a round trip) before it is lent: a restart breaks every
# kept one. One handed back a moment ago is lent as it is (a burst's statements would each pay the round trip,
# 1.5-2x a short statement's time); a restart that broke it meanwhile is AdminShutdown, which _run runs again on a
# fresh connection after checking every idle one (PgDatabase._check_idle)
CHECK_IDLE_S = 1.0
_RETURNED_AT = "_lexerbot_returned_at"
# the server ended the session before the statement committed: running it again cannot apply it twice
_ENDED_BY_SERVER = (psycopg.errors.AdminShutdown, psycopg.errors.CrashShutdown, psycopg.errors.CannotConnectNow)


def lock_key(name: str) -> int:
    """A name's advisory-lock number (a signed 64-bit integer, the same on every host)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@functools.lru_cache(maxsize=1024)
def _pg_sql(sql: str) -> str:
    # the store's SQL has no '?' or '%' inside string literals but LIKE patterns passed as parameters
    return sql.replace("%", "%%").replace("?", "%s")


def _pg_params(params: Sequence[Any] | None) -> list[Any]:
    # SQLite keeps booleans as integers, and so does our PostgreSQL schema
    return [int(v) if isinstance(v, bool) else v for v in (params or ())]


class _NumberLoader(Loader):
    """numeric (what sum() of integers gives) as int or float, as SQLite answers, never Decimal."""

    def load(self, data: Any) -> Any:
        value = decimal.Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


def _is_read(sql: str) -> bool:
    words = sql.lstrip().lower()
    return words.startswith("select") and not any(w in words for w in ("insert ", "update ", "delete ", "for update"))


def _retry_safe(sql: str, exc: psycopg.OperationalError) -> bool:
    """A statement that failed on a broken connection may run again on another: a read, or one the server ended."""
    return _is_read(sql) or isinstance(exc, _ENDED_BY_SERVER)


def _check_if_idle(conn: psycopg.Connection) -> None:
    """The pool's check (ConnectionPool.check_connection) for a connection idle longer than CHECK_IDLE_S."""
    returned_at = getattr(conn, _RETURNED_AT, None)
    if returned_at is None or time.monotonic() - returned_at > CHECK_IDLE_S:
        ConnectionPool.check_connection(conn)


def _returned(conn: psycopg.Connection) -> None:
    setattr(conn, _RETURNED_AT, time.monotonic())


class _BeginAgainError(Exception):
    """A transaction's connection broke before the caller's work began (PgDatabase.transaction)."""


class PgResult:
    """A finished statement: its rows (read before the connection went back to the pool) and rowcount."""

    def __init__(self, cursor: psycopg.Cursor):
        self.rowcount = cursor.rowcount
        self._rows = list(cursor.fetchall()) if cursor.description is not None else []
        self.description = cursor.description

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return list(self._rows)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)


class PgDatabase:
    """A PostgreSQL database as the store sees it (see the module docstring)."""

    dialect = "postgresql"

    def __init__(self, url: str, *, max_size: int = POOL_MAX):
        self.url = url
        self._local = threading.local()
        self._pks: dict[str, list[str]] = {}
        self.statements = 0  # every statement sent (the replicas bench counts store queries per command)
        try:  # one direct connection first: a wrong host, port or password fails now, in one clear line
            psycopg.connect(url, connect_timeout=10, client_encoding=CLIENT_ENCODING).close()
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            if password := urllib.parse.urlsplit(url).password:
                reason = reason.replace(password, "***")
            raise ConnectionError(f"could not connect to PostgreSQL at {redact_url(url)}: {reason}") from None
        self._down_since: float | None = None  # time.monotonic() when the pool last failed to reconnect
        self.pool = ConnectionPool(
            url,
            min_size=min(POOL_MIN, max_size),
            max_size=max_size,
            kwargs={"autocommit": True, "client_encoding": CLIENT_ENCODING, "connect_timeout": CONNECT_TIMEOUT_S},
            configure=self._configure,
            check=_check_if_idle,  # after a restart, kept connections are broken: never lend one unchecked
            reset=_returned,
            timeout=POOL_WAIT_S,
            reconnect_timeout=RECONNECT_GIVE_UP_S,
            reconnect_failed=self._reconnect_failed,
            name="lexerbot",
            open=False,
        )
        try:
            self.pool.open(wait=True, timeout=30)
        except (PoolTimeout, psycopg.Error) as exc:
            self.pool.close()
            # the driver's message may hold the URL: name the host only
            raise ConnectionError(
                f"could not connect to PostgreSQL at {redact_url(url)}: {type(exc).__name__}"
            ) from None

    @staticmethod
    def _configure(conn: psycopg.Connection) -> None:
        conn.adapters.register_loader("numeric", _NumberLoader)

    @property
    def in_transaction(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    @property
    def conn(self) -> PgDatabase:
        return self  # the store's `db.conn.execute(...)` reads the same on both backends

    def __getitem__(self, name: str) -> PgTable:
        return PgTable(self, name)

    def _reconnect_failed(self, pool: ConnectionPool) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            logger.warning("the database at %s cannot be reached; retrying", redact_url(self.url))

    @property
    def unreachable_for_s(self) -> float | None:
        """Seconds since the pool last failed to reach the database (None: it answers)."""
        since = self._down_since
        return None if since is None else time.monotonic() - since

    def _borrow(self, timeout: float | None = None) -> Any:
        """The pool's connection context; waits DOWN_WAIT_S only while the database cannot be reached."""
        if timeout is None:
            timeout = POOL_WAIT_S if self._down_since is None else DOWN_WAIT_S
        return self.pool.connection(timeout=timeout)

    def _answered(self) -> None:
        if self._down_since is not None:
            self._down_since = None
            logger.info("the database at %s answers again", redact_url(self.url))

    def _run(self, sql: str, work: Any) -> Any:
        """work(conn) on the pinned connection, or on one from the pool: once more on a fresh one when the first
        broke under it and running it again is safe (see _retry_safe)."""
        self.statements += 1
        pinned = getattr(self._local, "conn", None)
        if pinned is not None:
            return work(pinned)
        for attempt in (1, 2):
            conn = None
            try:
                with self._borrow() as conn:
                    result = work(conn)
                self._answered()
                return result
            except psycopg.OperationalError as exc:
                if attempt == 2 or conn is None or not conn.broken or not _retry_safe(sql, exc):
                    raise
                logger.info("a database connection broke (%s); running the statement again", type(exc).__name__)
                self._check_idle()
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_idle(self) -> None:
        """One connection broke: the server may have restarted, and the pool's other idle ones, used moments ago,
        would be lent unchecked (CHECK_IDLE_S). Check them all now (one round trip each, once per breakage)."""
        try:
            self.pool.check()
        except psycopg.Error:
            pass  # the database is down: the statement's next try says so

    def ping(self, timeout: float) -> None:
        """One `select 1`, waiting at most `timeout` for a connection (raises when the database does not answer)."""
        with self._borrow(timeout) as conn:
            conn.execute("select 1")
        self._answered()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgResult:
        def work(conn: psycopg.Connection) -> PgResult:
            with conn.cursor() as cur:
                cur.execute(_pg_sql(sql), _pg_params(params))
                return PgResult(cur)

        return self._run(sql, work)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        values = [_pg_params(r) for r in rows]

        def work(conn: psycopg.Connection) -> None:
            with conn.cursor() as cur:
                cur.executemany(_pg_sql(sql), values)

        self._run(sql, work)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> Iterator[dict]:
        def work(conn: psycopg.Connection) -> list[dict]:
            with conn.cursor(row_factory=dict_row) as cur:
                cur.execute(_pg_sql(sql), _pg_params(params))
                return cur.fetchall()

        return iter(self._run(sql, work))

    @contextmanager
    def transaction(self, lock: str) -> Iterator[None]:
        """One transaction on one connection, holding the advisory lock `lock` until it ends."""
        if getattr(self._local, "conn", None) is not None:
            yield  # nested: the outer transaction holds its lock and commits
            return
        for attempt in (1, 2):
            try:
                with self._borrow() as conn, conn.transaction():
                    self.statements += 1
                    try:
                        conn.execute("select pg_advisory_xact_lock(%s)", (lock_key(lock),))
                    except psycopg.OperationalError as exc:
                        # nothing of the caller's ran yet: begin again on a fresh connection when this one broke
                        if attempt == 2 or not conn.broken:
                            raise
                        raise _BeginAgainError from exc
                    self._answered()
                    self._local.conn = conn
                    try:
                        yield
                    finally:
                        self._local.conn = None
                return
            except _BeginAgainError:
                logger.info("a database connection broke as a transaction began; beginning it again")
                self._check_idle()

    def table_names(self) -> list[str]:
        rows = self.execute(
            "select table_name from information_schema.tables where table_schema = current_schema() order by 1"
        )
        return [r[0] for r in rows]

    def primary_key(self, table: str) -> list[str]:
        if table not in self._pks:
            rows = self.execute(
                "select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid"
                " and a.attnum = any(i.indkey) where i.indrelid = ?::regclass and i.indisprimary"
                " order by array_position(i.indkey, a.attnum)",
                [f'"{table}"'],
            ).fetchall()
            self._pks[table] = [r[0] for r in rows] or ["id"]
        return self._pks[table]

    def close(self) -> None:
        self.pool.close()
