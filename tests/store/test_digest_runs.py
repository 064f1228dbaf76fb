"""bot.store.digest_runs: the claim protocol's compare-and-set queries."""

from datetime import datetime, timedelta, timezone

import pytest

NOW = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
SLOT = "2024-05-01T12:00:00+00:00"
LEASE_S = 300.0


@pytest.fixture
def runs(fresh_store):
    return fresh_store.digest_runs


def test_claim_once(runs):
    run_id = runs.claim(1, SLOT, "w1", NOW)
    assert run_id is not None
    assert runs.claim(1, SLOT, "w2", NOW) is None
    [row] = runs.runs_for(1)
    assert (row["status"], row["claimed_by"], row["attempts"]) == ("claimed", "w1", 1)
    assert row["claimed_at"] == "2024-05-01T12:00:00.000000+00:00"


def test_a_claim_tried_again_after_a_database_error_recognises_its_own_write_only(runs):
    """The insert may have landed though the database failed the call: the same worker at the same time gets its
    run back; any other claim (another worker, or this one at another time) is still refused."""
    run_id = runs.claim(1, SLOT, "w1", NOW)
    assert runs.claim(1, SLOT, "w1", NOW, again=True) == run_id
    assert runs.claim(1, SLOT, "w2", NOW, again=True) is None
    assert runs.claim(1, SLOT, "w1", NOW + timedelta(seconds=1), again=True) is None
    assert runs.claim(1, SLOT, "w1", NOW) is None  # a first try is never handed an existing run
    assert len(runs.runs_for(1)) == 1


@pytest.mark.parametrize("later_s,taken", [(LEASE_S - 1, False), (LEASE_S + 1, True)])
def test_reclaim_only_past_the_lease(runs, later_s, taken):
    run_id = runs.claim(1, SLOT, "w1", NOW)
    got = runs.reclaim_stale(1, SLOT, "w2", NOW + timedelta(seconds=later_s), LEASE_S)
    assert got == (run_id if taken else None)
    [row] = runs.runs_for(1)
    assert row["claimed_by"] == ("w2" if taken else "w1")
    assert row["attempts"] == (2 if taken else 1)


def test_refresh_and_begin_post_only_for_the_claimer(runs):
    run_id = runs.claim(1, SLOT, "w1", NOW)
    assert runs.refresh_claim(run_id, "w2", NOW) is False
    assert runs.refresh_claim(run_id, "w1", NOW + timedelta(seconds=10)) is True
    assert runs.begin_post(run_id, "w2", "C1", NOW) is False
    assert runs.begin_post(run_id, "w1", "C1", NOW) is True
    assert runs.begin_post(run_id, "w1", "C1", NOW) is False  # no longer claimed
    assert runs.refresh_claim(run_id, "w1", NOW) is False
    [row] = runs.runs_for(1)
    assert (row["status"], row["channel_id"]) == ("posting", "C1")


@pytest.mark.parametrize("status,posted", [("posted", True), ("failed", False)])
def test_finish(runs, status, posted):
    run_id = runs.claim(1, SLOT, "w1", NOW)
    runs.finish(run_id, status, NOW, message_ts="123.456" if posted else None, error=None if posted else "x")
    [row] = runs.runs_for(1)
    assert row["status"] == status
    assert (row["posted_at"] is not None) is posted
    assert row["message_ts"] == ("123.456" if posted else None)


def test_record_missed_never_overwrites_a_claim(runs):
    runs.record_missed(1, SLOT, NOW, "too late")
    runs.record_missed(1, SLOT, NOW, "again")
    runs.claim(2, SLOT, "w1", NOW)
    runs.record_missed(2, SLOT, NOW, "too late")
    assert [(r["status"], r["error"]) for r in runs.runs_for(1)] == [("missed", "too late")]
    assert [r["status"] for r in runs.runs_for(2)] == ["claimed"]


def test_runs_for_in_slot_order_and_exists(runs):
    runs.claim(1, "2024-05-02T12:00:00+00:00", "w1", NOW)
    runs.claim(1, SLOT, "w1", NOW)
    assert [r["scheduled_for"] for r in runs.runs_for(1)] == [SLOT, "2024-05-02T12:00:00+00:00"]
    assert runs.exists(1, SLOT) and not runs.exists(2, SLOT)


def test_recovery_queries(runs):
    stale = NOW + timedelta(seconds=LEASE_S + 1)
    posting = runs.claim(1, SLOT, "w1", NOW)
    runs.begin_post(posting, "w1", "C1", NOW)
    runs.claim(2, SLOT, "w1", NOW)
    runs.claim(3, SLOT, "w1", stale)  # fresh: not stale yet
    runs.mark_died_while_posting(stale)
    assert runs.runs_for(1)[0]["status"] == "uncertain"
    assert runs.stale_claims(stale) == [(2, SLOT)]
    runs.close_recovered(2, SLOT, "skipped", stale)
    assert runs.runs_for(2)[0]["status"] == "skipped"
    assert runs.stale_claims(stale) == []


def test_a_failed_post_goes_back_to_claimed_for_its_claimer_only(runs):
    run_id = runs.claim(1, SLOT, "w1", NOW)
    assert runs.begin_post(run_id, "w1", "C1", NOW)
    assert not runs.back_to_claimed(run_id, "w2", NOW, "internal_error")
    assert runs.back_to_claimed(run_id, "w1", NOW, "internal_error")
    [row] = runs.runs_for(1)
    assert (row["status"], row["error"], row["attempts"]) == ("claimed", "internal_error", 2)
    assert runs.may_have_posted(run_id)  # the channel was recorded: read it before posting again
    assert runs.fail(run_id, "w1", NOW, "service_unavailable")
    assert not runs.fail(run_id, "w1", NOW, "service_unavailable")  # only the first call tells anyone


def test_an_uncertain_run_is_taken_over_at_once_but_only_within_the_grace(runs):
    stale = NOW - timedelta(seconds=LEASE_S)
    run_id = runs.claim(1, SLOT, "w1", stale - timedelta(seconds=1))
    runs.store.db.conn.execute("update digest_runs set status = 'posting' where id = ?", (run_id,))
    runs.mark_died_while_posting(stale)
    assert runs.may_have_posted(run_id)  # channel unknown ('') still means: look first
    assert runs.stale_claims(stale, since=NOW + timedelta(hours=1)) == []  # past the grace: left uncertain
    assert runs.stale_claims(stale, since=NOW - timedelta(hours=1)) == [(1, SLOT)]
    assert runs.reclaim_stale(1, SLOT, "w2", NOW, LEASE_S) == run_id
    assert runs.reclaim_stale(1, SLOT, "w3", NOW, LEASE_S) is None
    assert runs.runs_for(1)[0]["status"] == "claimed"
