"""bot.store.sqlite_writes: a process's writes take turns, so none waits out SQLite's busy handler."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest

from bot.store import open_store, sqlite_writes


def test_a_write_waits_its_turn_while_others_hold_the_write_lock_again_and_again(database):
    """Four threads take the write lock in turn (as the command workers' limiter does in a burst); a queued
    command's insert (a command's ack) still goes in within a moment. Without turns it waited up to 21 s."""
    store = open_store(database)
    stop = threading.Event()

    def hold_again_and_again():
        while not stop.is_set():
            with store.transaction("rate_log:k"):
                store.rate_log.record_send("k", time.time())
                time.sleep(0.003)

    holders = [threading.Thread(target=hold_again_and_again, daemon=True) for _ in range(4)]
    for t in holders:
        t.start()
    took = []
    try:
        for n in range(40):
            started = time.monotonic()
            job_id = store.command_queue.enqueue({"user_id": "U1", "text": f"summary {n}", "response_url": "u"}, 1.0)
            took.append(time.monotonic() - started)
            assert job_id > 0  # `returning` still answers
            time.sleep(0.01)
    finally:
        stop.set()
        for t in holders:
            t.join()
    assert max(took) < 1.0, sorted(took)[-5:]
    assert store.command_queue.waiting() == 40
    store.close()


def test_a_write_that_cannot_have_its_turn_fails_as_sqlite_would(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_writes, "LOCK_WAIT_S", 0.2)
    store = open_store(str(tmp_path / "bot.db"))
    with _another_thread_writing(store), pytest.raises(sqlite3.OperationalError, match="database is locked"):
        store.audit_log.record("U1", "test", {"n": 1})
    store.audit_log.record("U1", "test", {"n": 2})  # and the next write, once the lock is free, goes in
    assert [e["detail"] for e in store.audit_log.entries("test")] == [{"n": 2}]
    store.close()


def test_reads_do_not_wait_for_a_writer(tmp_path):
    store = open_store(str(tmp_path / "bot.db"))
    with _another_thread_writing(store):
        started = time.monotonic()
        assert store.db.execute("select count(*) from command_queue").fetchone() == (0,)
        assert time.monotonic() - started < 0.5
    store.close()


@contextmanager
def _another_thread_writing(store):
    """A thread of this process inside a write transaction until the block ends."""
    inside, release = threading.Event(), threading.Event()

    def hold():
        with store.transaction("x"):
            inside.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(5)
    try:
        yield
    finally:
        release.set()
        holder.join()
