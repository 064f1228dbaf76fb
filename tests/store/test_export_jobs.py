"""bot.store.export_jobs: jobs, who holds them, and fenced writes."""

import pytest
from sqlite_utils.db import NotFoundError

from bot.store.export_jobs import ACTIVE_STATES

T0, T1, T2 = "2024-05-01T12:00:00+00:00", "2024-05-01T12:05:00+00:00", "2024-05-01T12:10:00+00:00"


@pytest.fixture
def jobs(fresh_store):
    return fresh_store.export_jobs


def add(jobs, state="queued", worker=None, heartbeat_at=None, gen=0):
    return jobs.add(
        {
            "user_id": "U1",
            "kind": "cases",
            "state": state,
            "worker": worker,
            "heartbeat_at": heartbeat_at,
            "claim_gen": gen,
        }
    )


def claim(jobs, worker="w1", limit=2, dead=()):
    return jobs.claim_next(worker, limit=limit, now=T2, stale_before=T1, dead_workers=dead)


def test_add_get_update(jobs):
    job_id = add(jobs)
    jobs.update(job_id, {"state": "waiting", "report_token": "tok"})
    job = jobs.get(job_id)
    assert (job["state"], job["report_token"], job["user_id"]) == ("waiting", "tok", "U1")
    with pytest.raises(NotFoundError):
        jobs.get(job_id + 1)


@pytest.mark.parametrize(
    "state,worker,heartbeat_at,dead,free",
    [
        ("queued", None, None, (), True),  # nobody's
        ("waiting", "w2", T0, (), True),  # a silent worker's (three beats old)
        ("waiting", "w2", T2, (), False),  # a live worker's
        ("waiting", "w2", T2, ("w2",), True),  # a fresh beat, but its process is known dead
        ("done", None, None, (), False),
        ("failed", "w1", T0, (), False),
    ],
)
def test_claim_next_takes_only_free_jobs(jobs, state, worker, heartbeat_at, dead, free):
    job_id = add(jobs, state, worker, heartbeat_at, gen=3)
    assert claim(jobs, dead=dead) == ((job_id, 4) if free else None)
    if free:
        row = jobs.get(job_id)
        assert (row["worker"], row["claim_gen"], row["heartbeat_at"], row["attempts"]) == ("w1", 4, T2, 1)


@pytest.mark.parametrize("state", ACTIVE_STATES)
def test_claim_takes_any_active_state(jobs, state):
    job_id = add(jobs, state)
    assert claim(jobs) == (job_id, 1)


def test_the_limit_counts_jobs_held_by_live_workers_of_any_process(jobs):
    add(jobs, "waiting", "w2", T2)  # another process, alive
    queued = add(jobs)
    assert claim(jobs, limit=1) is None
    assert claim(jobs, limit=2) == (queued, 1)
    assert claim(jobs, limit=3) is None  # nothing free left


def test_writes_are_fenced_by_worker_and_generation(jobs):
    job_id = add(jobs)
    assert claim(jobs, "w1") == (job_id, 1)
    jobs.update(job_id, {"heartbeat_at": T0})  # w1 went silent…
    assert claim(jobs, "w2") == (job_id, 2)  # …and w2 took over
    assert jobs.update_held(job_id, "w1", 1, {"state": "sharing"}) is False
    assert jobs.beat(job_id, "w1", 1, T2) is False
    jobs.release(job_id, "w1", 1, T2)
    assert (jobs.get(job_id)["state"], jobs.get(job_id)["worker"]) == ("queued", "w2")
    assert jobs.update_held(job_id, "w2", 2, {"state": "waiting"}) is True
    assert jobs.beat(job_id, "w2", 2, T2) is True
    jobs.release(job_id, "w2", 2, T2)
    assert jobs.get(job_id)["worker"] is None


def test_position_counts_unfinished_jobs_ahead(jobs):
    first, second = add(jobs), add(jobs)
    add(jobs, "done")
    assert jobs.unfinished_before(first) == 0 and jobs.unfinished_before(second) == 1
    assert jobs.unfinished_before() == 2 and jobs.queued_ids() == [first, second]


def test_a_job_running_here_is_never_free_for_this_process_however_late_its_heartbeat(fresh_store):
    """Failed before (two threads of one process on PostgreSQL): a heartbeat 150 ms late let a second thread
    claim the job its own process was running, and the first thread's cleanup stopped the second's heartbeats."""
    jobs = fresh_store.export_jobs
    job = jobs.add({"user_id": "U1", "kind": "cases", "state": "queued"})
    first = jobs.claim_next("w1", limit=4, now="2026-12-01T10:00:00", stale_before="2026-12-01T09:00:00")
    assert first == (job, 1)
    late = "2026-12-01T10:00:01"  # the heartbeat at 10:00:00 now counts as stale
    assert jobs.claim_next("w1", limit=4, now=late, stale_before=late, running_here=[job]) is None
    # the job still counts as held here: with limit 1 nothing else is claimed either
    other = jobs.add({"user_id": "U1", "kind": "cases", "state": "queued"})
    assert jobs.claim_next("w1", limit=1, now=late, stale_before="2026-12-01T09:00:00", running_here=[job]) is None
    # another process (not running it) may still take the stale job over
    assert jobs.claim_next("w2", limit=4, now=late, stale_before=late) == (job, 2)
    assert other
