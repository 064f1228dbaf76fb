"""`lexer-bot db copy`: an install's data moved from its SQLite file to a PostgreSQL database, row for row,
verified by counting both sides. Stored secrets are copied as they are (still encrypted with the same keys).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlite_utils.utils import chunks

from bot.store.backend import columns_of

if TYPE_CHECKING:
    from bot.store import Store

logger = logging.getLogger(__name__)

BATCH = 500


class CopyError(Exception):
    """The copy cannot start or did not match; the message says what to do."""


@dataclass(frozen=True)
class TableCopy:
    table: str
    source_rows: int
    copied_rows: int

    @property
    def ok(self) -> bool:
        return self.source_rows == self.copied_rows


def data_tables(store: Store) -> list[str]:
    """The tables holding the install's data (not the migration bookkeeping)."""
    return sorted(
        t for t in store.db.table_names() if not t.startswith(("_sqlite", "sqlite_")) and t != "lexerbot_migrations"
    )


def _count(store: Store, table: str) -> int:
    return int(store.db.execute(f'select count(*) from "{table}"').fetchone()[0])


def copy_database(source: Store, target: Store) -> list[TableCopy]:
    """Copy every table of `source` (SQLite) into `target` (PostgreSQL, migrated and empty), in one transaction."""
    if source.dialect != "sqlite" or target.dialect != "postgresql":
        raise CopyError("db copy goes from a SQLite file to a PostgreSQL database")
    tables = data_tables(source)
    missing = sorted(set(tables) - set(data_tables(target)))
    if missing:
        raise CopyError(f"the PostgreSQL database has no table {', '.join(missing)}: run `lexer-bot migrate` first")
    busy = [(t, n) for t in data_tables(target) if (n := _count(target, t))]
    if busy:
        first = ", ".join(f"{n} rows in {t}" for t, n in busy[:3])
        raise CopyError(f"the PostgreSQL database is not empty ({first}): copy into a new, empty database")
    results = []
    with target.transaction("lexerbot:db-copy"):
        for table in tables:
            columns = [c for c in columns_of(source.db, table) if c in set(columns_of(target.db, table))]
            names = ", ".join(f'"{c}"' for c in columns)
            sql = f'insert into "{table}" ({names}) values ({", ".join("?" for _ in columns)})'
            rows = source.db.execute(f'select {names} from "{table}"')
            for batch in chunks(rows, BATCH):
                target.db.executemany(sql, batch)  # type: ignore[attr-defined]
            if "id" in columns:
                # identity columns carry on after the copied ids
                target.db.execute(
                    f"select setval(pg_get_serial_sequence('\"{table}\"', 'id'), coalesce(max(id), 0) + 1, false)"
                    f' from "{table}"'
                )
            results.append(TableCopy(table, _count(source, table), _count(target, table)))
        bad = [r for r in results if not r.ok]
        if bad:  # raised inside the transaction: nothing of the copy stays
            raise CopyError(
                "row counts differ after the copy, nothing was kept: "
                + ", ".join(f"{r.table} {r.source_rows} -> {r.copied_rows}" for r in bad)
            )
    return results
