"""A PostgreSQL restart around a digest's fire time loses nothing: the digest is posted once when it is back.

The cluster is the test's own (bot.sandbox.pg_cluster), stopped and started on the same port and data: the
session's cluster is shared by every other PostgreSQL test.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timedelta, timezone

import time_machine
from apscheduler.schedulers.background import BackgroundScheduler

from digests.schedule import JOB_PREFIX, _executors, configure
from tests.conftest import CHANNEL, wait_for, wait_until
from tests.digests.conftest import DigestWorld

UTC = timezone.utc


def test_a_digest_due_while_postgresql_restarts_is_posted_once_when_it_is_back(own_cluster, sandbox, slack, tmp_path):
    """The database stops 5 s before the digest's minute and starts 10 s after it: one digest, posted then."""
    world = DigestWorld(sandbox, slack, tmp_path, db_path=own_cluster.url(own_cluster.create_database()))
    fire = (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)
    s = world.subscribe("sla", at_time=fire.strftime("%H:%M"), tz="UTC")
    # the scheduler's clock, travelling: the fire is 7 s away, not minutes
    deps = dataclasses.replace(world.deps(), now=lambda: datetime.now(UTC), sleep=time.sleep)
    try:
        with time_machine.travel(fire - timedelta(seconds=7), tick=True):
            scheduler = BackgroundScheduler(timezone="UTC", executors=_executors())
            configure(scheduler, deps)
            scheduler.start()
            try:
                wait_for(lambda: scheduler.get_job(f"{JOB_PREFIX}{s.id}"), timeout=5)
                deps.store.digest_runs.runs_for(s.id)  # every kept connection has been used before the restart
                wait_until(fire - timedelta(seconds=5))
                own_cluster.halt()
                wait_until(fire + timedelta(seconds=10))
                own_cluster.start()
                wait_for(lambda: slack.app.messages(CHANNEL), timeout=60)
                time.sleep(2)  # a second post would come now, from a retry or a recovery
            finally:
                scheduler.shutdown(wait=True)
        runs = world.store.digest_runs.runs_for(s.id)
        assert [(r["scheduled_for"], r["status"]) for r in runs] == [(fire.isoformat(), "posted")]
        assert len(slack.app.messages(CHANNEL)) == 1
    finally:
        world.close()
