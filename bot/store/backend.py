"""The two databases the store runs on: SQLite through sqlite-utils (the embedded default) and PostgreSQL
through psycopg 3 and psycopg_pool (several hosts on one database); what the rest of the house may know of them.

Store modules write their SQL once, in what both dialects agree on (`?` placeholders, `on conflict`,
`returning`); `store.dialect` names the backend where they differ. PostgreSQL is reached through
bot.store.postgres.PgDatabase, which offers the part of sqlite_utils.Database the store uses (its tables:
bot.store.pg_table). Here: the errors both backends raise, as one, and database URLs.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from typing import Any

import psycopg
import psycopg.errors
from psycopg_pool import PoolClosed

# a unique or not-null constraint refused the write, on either backend
IntegrityError = (sqlite3.IntegrityError, psycopg.errors.IntegrityError)
DatabaseError = (sqlite3.Error, psycopg.Error)
# the database did not answer (down, restarting, locked): the same work may be tried again later (see unavailable)
UnavailableError = (sqlite3.OperationalError, psycopg.OperationalError)


def unavailable(exc: BaseException) -> bool:
    """Whether the database did not answer, for now (down, restarting, busy): not a mistake in a statement, nor a
    pool this process closed (it is stopping)."""
    if isinstance(exc, sqlite3.OperationalError):
        return any(word in str(exc) for word in ("locked", "busy", "unable to open"))
    return isinstance(exc, psycopg.OperationalError) and not isinstance(exc, PoolClosed)


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def redact_url(target: str) -> str:
    """The database as a log line may name it: a PostgreSQL URL without its password (or any secret query value)."""
    if not is_postgres_url(target):
        return target
    parts = urllib.parse.urlsplit(target)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    query = urllib.parse.urlencode(
        [(k, "***" if k.lower() in ("password", "sslpassword") else v) for k, v in urllib.parse.parse_qsl(parts.query)]
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def columns_of(db: Any, table: str) -> list[str]:
    """A table's column names, in order, on either backend."""
    if getattr(db, "dialect", "sqlite") == "postgresql":
        rows = db.execute(
            "select column_name from information_schema.columns where table_schema = current_schema()"
            " and table_name = ? order by ordinal_position",
            [table],
        )
        return [r[0] for r in rows]
    return [c.name for c in db[table].columns]
