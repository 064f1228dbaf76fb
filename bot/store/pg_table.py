"""The sqlite-utils Table methods the store uses, on a PostgreSQL table (PgDatabase[name])."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from sqlite_utils.db import NotFoundError


class Statements(Protocol):
    """What a table needs of its database (bot.store.postgres.PgDatabase)."""

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any: ...

    def query(self, sql: str, params: Sequence[Any] | None = None) -> Iterator[dict]: ...

    def primary_key(self, table: str) -> list[str]: ...


def quoted(names: Iterable[str]) -> str:
    """Column names as a PostgreSQL list: "a", "b"."""
    return ", ".join(f'"{n}"' for n in names)


class PgTable:
    """The sqlite-utils Table methods the store uses, on a PostgreSQL table."""

    def __init__(self, db: Statements, name: str):
        self.db = db
        self.name = name
        self.last_pk: Any = None

    @property
    def pks(self) -> list[str]:
        return self.db.primary_key(self.name)

    def rows_where(
        self,
        where: str | None = None,
        where_args: Sequence[Any] | None = None,
        order_by: str | None = None,
        limit: int | None = None,
        select: str = "*",
    ) -> Iterator[dict]:
        sql = f'select {select} from "{self.name}"'
        if where:
            sql += f" where {where}"
        if order_by:
            sql += f" order by {order_by}"
        if limit is not None:
            sql += f" limit {int(limit)}"
        return self.db.query(sql, where_args or [])

    @property
    def rows(self) -> Iterator[dict]:
        return self.rows_where()

    @property
    def count(self) -> int:
        return int(self.db.execute(f'select count(*) from "{self.name}"').fetchone()[0])

    def insert(self, record: dict[str, Any], **_: Any) -> PgTable:
        names = list(record)
        pks = self.pks
        sql = f'insert into "{self.name}" ({quoted(names)}) values ({", ".join("?" for _ in names)})'
        sql += f" returning {quoted(pks)}"
        row = self.db.execute(sql, [record[n] for n in names]).fetchone()
        self.last_pk = row[0] if len(pks) == 1 else tuple(row)
        return self

    def upsert(self, record: dict[str, Any], pk: str | Sequence[str] | None = None, **_: Any) -> PgTable:
        keys = [pk] if isinstance(pk, str) else list(pk or self.pks)
        names = list(record)
        others = [n for n in names if n not in keys]
        sql = (
            f'insert into "{self.name}" ({quoted(names)}) values ({", ".join("?" for _ in names)})'
            f" on conflict ({quoted(keys)})"
        )
        sql += " do update set " + ", ".join(f'"{n}" = excluded."{n}"' for n in others) if others else " do nothing"
        self.db.execute(sql, [record[n] for n in names])
        self.last_pk = record[keys[0]] if len(keys) == 1 else tuple(record[k] for k in keys)
        return self

    def _where_pk(self, pk_value: Any) -> tuple[str, list[Any]]:
        pks = self.pks
        values = list(pk_value) if isinstance(pk_value, list | tuple) else [pk_value]
        return " and ".join(f'"{k}" = ?' for k in pks), values

    def update(self, pk_value: Any, updates: dict[str, Any] | None = None, **_: Any) -> PgTable:
        if updates:
            where, args = self._where_pk(pk_value)
            sets = ", ".join(f'"{n}" = ?' for n in updates)
            self.db.execute(f'update "{self.name}" set {sets} where {where}', [*updates.values(), *args])
        self.last_pk = pk_value
        return self

    def delete(self, pk_value: Any) -> PgTable:
        where, args = self._where_pk(pk_value)
        self.db.execute(f'delete from "{self.name}" where {where}', args)
        return self

    def delete_where(self, where: str | None = None, where_args: Sequence[Any] | None = None) -> PgTable:
        self.db.execute(f'delete from "{self.name}"' + (f" where {where}" if where else ""), where_args or [])
        return self

    def get(self, pk_value: Any) -> dict:
        where, args = self._where_pk(pk_value)
        rows = list(self.db.query(f'select * from "{self.name}" where {where}', args))
        if not rows:
            raise NotFoundError
        return rows[0]
