"""Migrations: versioned, applied once, safe when several processes start on one file together."""

import subprocess
import sys
from pathlib import Path

from bot.store import open_store
from bot.store.migrations import migrations

ROOT = Path(__file__).resolve().parents[2]


def test_migrations_apply_once_and_reopen_cleanly(tmp_path):
    store = open_store(tmp_path / "a.db")
    applied = {m.name for m in migrations.applied(store.db)}
    assert applied == {m.name for m in migrations._migrations}
    store.close()
    again = open_store(tmp_path / "a.db")
    assert {m.name for m in migrations.applied(again.db)} == applied
    assert again.db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_processes_starting_together_migrate_once(tmp_path):
    db = tmp_path / "shared.db"
    code = "import sys; from bot.store import open_store; open_store(sys.argv[1]); print('ok')"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(db)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    store = open_store(db)
    names = [row["name"] for row in store.db["_sqlite_migrations"].rows]
    assert len(names) == len(set(names)) == len(migrations._migrations)


def test_memory_store_is_migrated_and_shared_by_threads(fresh_store):
    import threading

    fresh_store.audit_log.record("U1", "main")
    seen = []
    thread = threading.Thread(target=lambda: seen.append([e["action"] for e in fresh_store.audit_log.entries()]))
    thread.start()
    thread.join()
    assert seen == [["main"]]


def test_two_memory_stores_are_apart():
    a, b = open_store(":memory:"), open_store(":memory:")
    a.audit_log.record("U1", "only-in-a")
    assert b.audit_log.entries() == []


def test_every_migration_function_is_registered_in_order():
    """A merge once dropped a migration's decorator: its tables never existed. Every m0NN function is applied."""
    import inspect

    import bot.store.migrations as module
    from bot.store.migrations import baseline

    defined = [
        name
        for source in (baseline, module)
        for name, fn in inspect.getmembers(source, inspect.isfunction)
        if name.startswith("m0") and fn.__module__ == source.__name__
    ]
    registered = [m.name for m in module.migrations._migrations]
    assert registered == sorted(defined)
