"""What a migration may do to the schema, written once for both backends.

The part of sqlite-utils' Database and Table a migration uses: on SQLite that is sqlite-utils itself, on
PostgreSQL bot.store.migrations.postgresql writes the same operations as PostgreSQL's DDL. Column types are
Python's (int, float, str, bytes); raw SQL passed to `execute` is in what both dialects agree on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol


class SchemaTable(Protocol):
    def create(
        self,
        columns: dict[str, Any],
        pk: Any = ...,
        *,
        not_null: Iterable[str] | None = ...,
        defaults: dict[str, Any] | None = ...,
    ) -> object: ...

    def add_column(self, col_name: str, col_type: Any, *, not_null_default: Any = ...) -> object: ...

    def create_index(self, columns: Iterable[str], index_name: str | None = ..., unique: bool = ...) -> object: ...

    def transform(self, *, pk: Any) -> object: ...


class SchemaDb(Protocol):
    def table(self, table_name: str) -> SchemaTable: ...

    def execute(self, sql: str) -> object: ...


Migration = Callable[[SchemaDb], None]
