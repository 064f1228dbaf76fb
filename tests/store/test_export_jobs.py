"""bot.store.export_jobs: jobs, and who holds them."""

import pytest
from sqlite_utils.db import NotFoundError

from bot.store.export_jobs import ACTIVE_STATES

T0, T1, T2 = "2024-05-01T12:00:00+00:00", "2024-05-01T12:05:00+00:00", "2024-05-01T12:10:00+00:00"


@pytest.fixture
def jobs(fresh_store):
    return fresh_store.export_jobs


def add(jobs, state="queued", worker="w1", updated_at=T0):
    return jobs.add({"user_id": "U1", "kind": "cases", "state": state, "worker": worker, "updated_at": updated_at})


def test_add_get_update(jobs):
    job_id = add(jobs)
    jobs.update(job_id, {"state": "waiting", "report_token": "tok"})
    job = jobs.get(job_id)
    assert (job["state"], job["report_token"], job["user_id"]) == ("waiting", "tok", "U1")
    with pytest.raises(NotFoundError):
        jobs.get(job_id + 1)


@pytest.mark.parametrize(
    "state,worker,updated_at,unfinished",
    [
        ("queued", "w1", T2, True),  # mine
        ("queued", None, T2, True),  # nobody's
        ("waiting", "w2", T0, True),  # a silent worker's
        ("waiting", "w2", T2, False),  # a live worker's
        ("done", None, T0, False),
        ("failed", "w1", T0, False),
    ],
)
def test_unfinished(jobs, state, worker, updated_at, unfinished):
    job_id = add(jobs, state, worker, updated_at)
    assert jobs.unfinished("w1", stale_before=T1) == ([job_id] if unfinished else [])


def test_claim_counts_attempts_and_refuses_a_live_holder(jobs):
    job_id = add(jobs, worker="w2", updated_at=T2)
    assert jobs.claim(job_id, "w1", T2, stale_before=T1) is False
    assert jobs.claim(job_id, "w2", T2, stale_before=T1) is True
    assert jobs.claim(job_id, "w2", T2, stale_before=T1) is True
    assert jobs.get(job_id)["attempts"] == 2


@pytest.mark.parametrize("state", ACTIVE_STATES)
def test_claim_takes_any_active_state(jobs, state):
    assert jobs.claim(add(jobs, state, worker=None), "w1", T2, stale_before=T1) is True


def test_touch_and_release_only_for_the_holder(jobs):
    job_id = add(jobs, worker="w1")
    jobs.touch(job_id, "w2", T1)
    assert jobs.get(job_id)["updated_at"] == T0
    jobs.touch(job_id, "w1", T1)
    assert jobs.get(job_id)["updated_at"] == T1
    jobs.release(job_id, "w2", T2)
    assert jobs.get(job_id)["worker"] == "w1"
    jobs.release(job_id, "w1", T2)
    assert (jobs.get(job_id)["worker"], jobs.get(job_id)["updated_at"]) == (None, T2)
