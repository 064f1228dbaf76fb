"""bot.store.audit_log: who changed what."""

from datetime import datetime, timezone

import pytest


@pytest.mark.parametrize("detail,stored", [(None, {}), ({"b": 2, "a": 1}, {"a": 1, "b": 2})])
def test_record_stores_time_and_detail(fresh_store, detail, stored):
    fresh_store.audit_log.record("U1", "subscribe", detail, now=datetime(2024, 5, 1, 12, tzinfo=timezone.utc))
    [row] = fresh_store.audit_log.entries()
    assert row["at"] == "2024-05-01T12:00:00+00:00"
    assert (row["user_id"], row["action"], row["detail"]) == ("U1", "subscribe", stored)
    raw = fresh_store.db.execute("select detail from audit_log").fetchone()[0]
    assert raw == ('{"a": 1, "b": 2}' if detail else "{}")


def test_entries_of_one_action_in_order(fresh_store):
    for action in ("a", "b", "a"):
        fresh_store.audit_log.record("U1", action, {"n": action})
    assert [e["action"] for e in fresh_store.audit_log.entries()] == ["a", "b", "a"]
    assert len(fresh_store.audit_log.entries("a")) == 2
