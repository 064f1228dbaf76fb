"""SQLite writes of one process take their turn on a lock of ours before SQLite's write lock.

SQLite has one write lock per file, and a connection that finds it taken sleeps in its busy handler
(1 ms, 2, 5 ... then 100 ms at a time) and looks again. Threads that hold it in turn hand it on to each
other between those looks: a write waiting in the busy handler can wait for many seconds while others
write again and again (four threads holding it for a few milliseconds each kept a one-row insert waiting
up to 21 s). A command's ack is such a write, and Slack gives it 3 s.

So every write of this process waits on one lock per database file first, and a thread that releases
it wakes the next at once; SQLite's busy handler is left to arbitrate between processes, where the
writers are few (web, clock). Reads never wait: WAL lets them run beside a writer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

LOCK_WAIT_S = 30.0  # as long as the busy timeout: past it a write fails as SQLite's own would ("database is locked")
READS = ("select", "pragma", "explain", "savepoint", "release", "commit", "rollback", "end")

_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()


def write_lock(target: str) -> threading.RLock:
    """The one lock of this process for the database `target` (re-entrant: a transaction's writes take it again)."""
    with _locks_guard:
        lock = _locks.get(target)
        if lock is None:
            lock = _locks[target] = threading.RLock()
        return lock


@contextmanager
def turn(lock: threading.RLock) -> Iterator[None]:
    if not lock.acquire(timeout=LOCK_WAIT_S):
        raise sqlite3.OperationalError("database is locked")
    try:
        yield
    finally:
        lock.release()


def _writes(sql: str) -> bool:
    return not sql.lstrip().lower().startswith(READS)


class SerialWritesConnection(sqlite3.Connection):
    """A connection whose statements outside a transaction take the process's write turn when they write.

    Inside a transaction the turn is already held (Store.transaction takes it before BEGIN IMMEDIATE).
    """

    write_lock: threading.RLock

    def execute(self, sql, parameters=(), /):  # type: ignore[no-untyped-def, override]
        if self.in_transaction or not _writes(sql):
            return super().execute(sql, parameters)
        with turn(self.write_lock):
            cursor = super().execute(sql, parameters)
            if cursor.description is not None:  # `returning`: SQLite holds its lock until the rows are read
                return _Rows(cursor, cursor.fetchall())
            return cursor

    def executemany(self, sql, parameters, /):  # type: ignore[no-untyped-def, override]
        if self.in_transaction or not _writes(sql):
            return super().executemany(sql, parameters)
        with turn(self.write_lock):
            return super().executemany(sql, parameters)


class _Rows:
    """A write's `returning` rows, read while it held its turn; the rest of a cursor's answers as they were."""

    def __init__(self, cursor: sqlite3.Cursor, rows: list):
        self._cursor = cursor
        self._rows = rows

    def fetchone(self):  # type: ignore[no-untyped-def]
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self):  # type: ignore[no-untyped-def]
        while self._rows:
            yield self._rows.pop(0)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._cursor, name)  # rowcount, lastrowid, description
