"""bot.store.rate_log: the send log the limiter counts (its decisions are tested in tests/lexer)."""

import pytest


@pytest.fixture
def log(fresh_store):
    return fresh_store.rate_log


def test_record_mark_done_and_count(log):
    a = log.record_send("k", 100.0)
    log.record_send("k", 150.0)
    log.record_send("other", 120.0)
    log.mark_done(a, 110.0)
    assert sorted(log.window("k", 0.0)[1]) == [(100.0, 110.0, "command"), (150.0, None, "command")]
    assert log.window("k", 110.0)[1] == [(150.0, None, "command")]  # answered at or before: no longer counted
    assert log.sends_between("k", 100.0, 150.0) == 1
    assert log.sends_between("k", 100.0, 151.0) == 2


def test_prune_keeps_sends_in_flight(log):
    a = log.record_send("k", 100.0)
    log.record_send("k", 101.0)
    log.mark_done(a, 105.0)
    log.prune(200.0)
    assert log.window("k", 0.0)[1] == [(101.0, None, "command")]


def test_write_lock_commits_or_rolls_back(fresh_store, log):
    with log.write_lock("k"):
        log.record_send("k", 1.0)
    with pytest.raises(RuntimeError), log.write_lock("k"):
        log.record_send("k", 2.0)
        raise RuntimeError("boom")
    assert log.window("k", 0.0)[1] == [(1.0, None, "command")]
    assert not fresh_store.db.conn.in_transaction


def test_the_window_and_the_pause_are_one_read(fresh_store, log):
    """Every budget decision (each ack's estimate, each send) reads both: one round trip, not two."""
    log.record_send("k", 100.0)
    assert log.window("k", 0.0) == (0.0, [(100.0, None, "command")])
    log.pause("k", 500.0, "429")
    log.pause("other", 900.0, "429")
    before = fresh_store.queries()
    assert log.window("k", 0.0) == (500.0, [(100.0, None, "command")])
    assert fresh_store.queries() - before == 1
    assert log.window("nobody", 0.0) == (0.0, [])
