"""The one list of migrations builds, on each backend, the schema first released: a fresh database, and one
migrated from every earlier level (tests/store/schema_snapshot.json, taken from the migrations as first written;
a new migration adds a level: `python -m tests.store.test_schema` writes the snapshot again, and its diff is
the review surface)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from bot.store.migrations import migrations
from bot.store.migrations import postgresql as pg_migrations
from bot.store.postgres import PgDatabase
from tests.store.schema_dump import digest, pg_schema, sqlite_schema

SNAPSHOT = Path(__file__).with_name("schema_snapshot.json")
SQLITE_LEVELS = [m.name for m in migrations._migrations]
PG_LEVELS = [name for name, _ in pg_migrations.STEPS]


def _sqlite_db() -> sqlite_utils.Database:
    return sqlite_utils.Database(sqlite3.connect(":memory:", isolation_level=None))


def _sqlite(db: sqlite_utils.Database) -> dict:
    return {k: v for k, v in sqlite_schema(db).items() if "_sqlite_migrations" not in k}


def _sqlite_at(level: int) -> sqlite_utils.Database:
    db = _sqlite_db()
    migrations.apply(db, stop_before=SQLITE_LEVELS[level + 1] if level + 1 < len(SQLITE_LEVELS) else None)
    return db


def _pg_at(url: str, level: int) -> PgDatabase:
    db = PgDatabase(url, max_size=2)
    pg_migrations.apply(db, pg_migrations.STEPS[: level + 1])
    return db


@pytest.fixture(scope="module")
def snapshot() -> dict:
    return json.loads(SNAPSHOT.read_text())


def test_the_levels_are_the_released_ones(snapshot):
    assert SQLITE_LEVELS == list(snapshot["sqlite"]["levels"])
    assert PG_LEVELS == list(snapshot["postgresql"]["levels"])


@pytest.mark.parametrize("level", range(len(SQLITE_LEVELS)), ids=SQLITE_LEVELS)
def test_sqlite_at_every_level_and_migrated_from_it(snapshot, level):
    db = _sqlite_at(level)
    assert digest(_sqlite(db)) == snapshot["sqlite"]["levels"][SQLITE_LEVELS[level]]
    migrations.apply(db)
    assert _sqlite(db) == snapshot["sqlite"]["final"]


@pytest.mark.parametrize("level", range(len(PG_LEVELS)), ids=PG_LEVELS)
def test_postgresql_at_every_level_and_migrated_from_it(pg_cluster, snapshot, level):
    name = pg_cluster.create_database()
    db = _pg_at(pg_cluster.url(name), level)
    try:
        assert digest(pg_schema(db)) == snapshot["postgresql"]["levels"][PG_LEVELS[level]]
        pg_migrations.apply(db)
        assert pg_schema(db) == snapshot["postgresql"]["final"]
    finally:
        db.close()
        pg_cluster.drop_database(name)


def _write_snapshot() -> None:
    from bot.sandbox.pg_cluster import Cluster

    sqlite_levels = {name: digest(_sqlite(_sqlite_at(i))) for i, name in enumerate(SQLITE_LEVELS)}
    cluster = Cluster().start()
    try:
        pg_levels, final_pg = {}, {}
        for i, name in enumerate(PG_LEVELS):
            db = _pg_at(cluster.url(cluster.create_database()), i)
            final_pg = pg_schema(db)
            pg_levels[name] = digest(final_pg)
            db.close()
    finally:
        cluster.stop()
    snapshot = {
        "sqlite": {"levels": sqlite_levels, "final": _sqlite(_sqlite_at(len(SQLITE_LEVELS) - 1))},
        "postgresql": {"levels": pg_levels, "final": final_pg},
    }
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    _write_snapshot()
