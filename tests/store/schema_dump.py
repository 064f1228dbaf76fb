"""A database's schema as plain data, to compare one built by today's migrations with a snapshot
(tests/store/schema_snapshot.json, taken from the migrations as they were first written for each backend)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def sqlite_schema(db: Any) -> dict[str, str | None]:
    """Every table, index and trigger SQLite keeps, with the SQL it keeps for it."""
    rows = db.execute("select type, name, sql from sqlite_master order by type, name").fetchall()
    return {f"{kind} {name}": sql for kind, name, sql in rows}


def pg_schema(db: Any) -> dict[str, Any]:
    """Every column (type, null, default, collation, identity), index and constraint, as PostgreSQL describes them."""
    columns = db.execute(
        "select table_name, column_name, ordinal_position, data_type, is_nullable, column_default, collation_name,"
        " is_identity, identity_generation from information_schema.columns where table_schema = current_schema()"
        " order by table_name, ordinal_position"
    ).fetchall()
    indexes = db.execute(
        "select tablename, indexname, indexdef from pg_indexes where schemaname = current_schema()"
        " order by tablename, indexname"
    ).fetchall()
    constraints = db.execute(
        "select conrelid::regclass::text, conname, pg_get_constraintdef(oid) from pg_constraint"
        " where connamespace = current_schema()::regnamespace order by 1, 2"
    ).fetchall()
    return {
        "columns": [
            f"{t}.{c} #{n} {kind} null={null} default={default} collate={coll} identity={ident} {gen}"
            for t, c, n, kind, null, default, coll, ident, gen in columns
        ],
        "indexes": [f"{t} {name}: {sql}" for t, name, sql in indexes],
        "constraints": [f"{t} {name}: {sql}" for t, name, sql in constraints],
    }


def digest(schema: Any) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()
