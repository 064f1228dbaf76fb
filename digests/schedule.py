"""Subscriptions -> APScheduler jobs; no logic of its own.

One cron job per subscription in its own timezone, kept in step with the
database by a sync job, so a subscription written by the web process reaches
the clock process within SYNC_EVERY_S. The jobs themselves live in
digests.jobs and know nothing of the scheduler.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from weakref import WeakKeyDictionary

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from digests.alerts.decide import MISFIRE_GRACE_S, catches_up
from digests.triggers import digest_trigger, fire_times
from digests.workspaces import in_every_workspace

logger = logging.getLogger(__name__)

SYNC_JOB_ID = "digests.sync"
SYNC_EVERY_S = 30
RECOVER_JOB_ID = "digests.recover"
RECOVER_EVERY_S = 60
JOB_PREFIX = "digest:"
AGENT_DIGESTS_JOB_ID = "agent_digests.pass"
ALERTS_JOB_ID = "alerts-check"
EXECUTOR_THREADS = 20


def configure(scheduler, deps) -> None:
    """Add the recurring jobs."""
    add_digest_jobs(scheduler, deps)
    schedule_checks(scheduler, deps)  # SLA-spike alerts, every 5 minutes
    from digests.agent_week import PASS_EVERY_S, run_agent_digests  # Monday DMs of each agent's week

    add_job(scheduler, run_agent_digests, "interval", AGENT_DIGESTS_JOB_ID, [deps], seconds=PASS_EVERY_S)


def add_job(scheduler, job, trigger: str | object, job_id: str, args: list, **options) -> None:
    """One of our recurring jobs: it replaces its namesake, missed runs coalesce, and it never runs twice at once."""
    scheduler.add_job(
        job, trigger, args=args, id=job_id, replace_existing=True, coalesce=True, max_instances=1, **options
    )


def schedule_checks(scheduler, deps, now: datetime | None = None) -> None:
    """Each 5-minute alert slot checked once; a late or overlapping run dropped, not doubled. The job runs every
    minute: a slot's first pass checks it, the rest find it claimed and call nothing (unless that pass died:
    digests.alerts.decide.STALE_SAMPLE)."""
    from digests.alerts.check import scheduled_check

    now = now or datetime.now(timezone.utc)
    at_once = {"next_run_time": datetime.now(timezone.utc)} if catches_up(now) else {}
    add_job(
        scheduler,
        scheduled_check,
        "cron",
        ALERTS_JOB_ID,
        [deps],
        minute="*",
        misfire_grace_time=MISFIRE_GRACE_S,
        **at_once,
    )


def add_digest_jobs(scheduler, deps) -> None:
    """The sync job (one cron job per subscription) and the recovery of stale claims, both run at once."""
    now = datetime.now(timezone.utc)
    add_job(
        scheduler, sync_digest_jobs, "interval", SYNC_JOB_ID, [scheduler, deps], seconds=SYNC_EVERY_S, next_run_time=now
    )
    # recovering a claim means building a whole digest (Lexer retries included): a job of its own, so syncing
    # new subscriptions never waits behind it
    add_job(
        scheduler, recover_stale_digests, "interval", RECOVER_JOB_ID, [deps], seconds=RECOVER_EVERY_S, next_run_time=now
    )


def recover_stale_digests(deps) -> None:
    """Post digests whose claim a dead process left behind, in every workspace (its own Deps); never raises."""
    from digests.jobs import recover_stale_runs

    in_every_workspace(deps, recover_stale_runs, "recovering stale digest runs failed", logger)


class HeldSubscriptions:
    """Per scheduler, the subscriptions it has held a job for; ours, beside APScheduler's object, not inside it."""

    def __init__(self) -> None:
        self._by_scheduler: WeakKeyDictionary[object, set[int]] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def of(self, scheduler: object) -> set[int]:
        with self._lock:
            return self._by_scheduler.setdefault(scheduler, set())


_held_before = HeldSubscriptions()


def sync_digest_jobs(scheduler, deps) -> dict[str, int]:
    """Make the scheduler's digest jobs match the active subscriptions; returns counts of changes."""
    grace = int(deps.settings.digest_grace_s)
    wanted = {f"{JOB_PREFIX}{s.id}": s for s in deps.store.subscriptions.all(active_only=True)}
    workspace_of = dict.fromkeys(wanted, "")
    for key, subs in workspace_subscriptions(deps):
        for s in subs:
            wanted[f"{JOB_PREFIX}{s.id}"] = s
            workspace_of[f"{JOB_PREFIX}{s.id}"] = key
    have = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(JOB_PREFIX)}
    added = removed = changed = 0
    # subscriptions this scheduler has held before: one paused and resumed here is not owed the runs it skipped
    seen = _held_before.of(scheduler)
    for job_id in have:
        if job_id not in wanted:
            scheduler.remove_job(job_id)
            removed += 1
    for job_id, sub in wanted.items():
        job = have.get(job_id)
        if job is not None and job.name == sub.schedule_key():
            continue
        args = [deps, sub.id, workspace_of[job_id]]
        add_job(
            scheduler,
            run_scheduled_digest,
            digest_trigger(sub),
            job_id,
            args,
            name=sub.schedule_key(),
            misfire_grace_time=grace,
        )
        if job is None:
            added += 1
            if sub.id not in seen:
                key = workspace_of[job_id]
                here = deps.tenancy.deps_for(key) if key else deps
                if here is not None:
                    _catch_up(scheduler, here, sub, grace, root=deps, workspace=key)
        else:
            changed += 1
    seen.update(sub.id for sub in wanted.values())
    if added or removed or changed:
        logger.info("digest jobs: %d added, %d removed, %d rescheduled", added, removed, changed)
    return {"added": added, "removed": removed, "changed": changed}


def scheduled_time(sub, now: datetime, lookback_s: float) -> datetime | None:
    """The latest fire time at or before now (APScheduler does not tell a job which fire it is)."""
    times = fire_times(sub, now - timedelta(seconds=lookback_s + 1), now + timedelta(microseconds=1))
    return times[-1] if times else None


def missed_slot(store, sub, now: datetime, grace_s: float) -> datetime | None:
    """A fire time within the grace, after the subscription was made, that no process has run.

    A job added now fires next at its next future time, so a fire that passed
    while no scheduler held the job (a restart, or a subscription the sync job
    had not picked up yet) would otherwise never run.
    """
    start = now - timedelta(seconds=grace_s)
    if sub.created_at:
        try:
            start = max(start, datetime.fromisoformat(sub.created_at))
        except (TypeError, ValueError):
            pass
    times = fire_times(sub, start, now + timedelta(microseconds=1))
    if not times:
        return None
    from digests.jobs import slot_key

    slot = times[-1]
    return None if store.digest_runs.exists(sub.id, slot_key(slot)) else slot


def _catch_up(scheduler, deps, sub, grace: int, *, root=None, workspace: str = "") -> None:
    """Schedule the run of a fire `sub` missed, if any. A workspace's run (`workspace`, with the process's `root`
    Deps) takes that workspace's Deps when it runs, leased, as a scheduled run does."""
    try:
        now = deps.now()
        slot = missed_slot(deps.store, sub, now, grace)
        if slot is None:
            return
        logger.info("digest %s missed its run at %s; posting it now", sub.id, slot.isoformat())
        scheduler.add_job(
            run_missed_digest,
            "date",
            run_date=datetime.now(timezone.utc),
            args=[root, sub.id, slot, workspace] if workspace else [deps, sub.id, slot],
            id=f"catch-up:{sub.id}:{slot.isoformat()}",
            replace_existing=True,
            misfire_grace_time=grace,
        )
    except Exception:
        logger.exception("checking digest %s for a missed run failed", sub.id)


def run_missed_digest(deps, sub_id: int, slot: datetime, workspace: str = "") -> None:
    """A one-off job: post a run whose fire passed while no scheduler held its job (send_digest claims it).

    A workspace's run is sent on that workspace's Deps as they are when it runs, leased: its clients stay open
    until the digest is done, whatever changes meanwhile (never a Deps looked up when the job was scheduled)."""
    from digests.jobs import send_digest

    try:
        if workspace:
            tenancy = deps.tenancy
            if tenancy is None:
                return
            with tenancy.lease(workspace) as here:
                if here is None:
                    return  # uninstalled since
                outcome = send_digest(here, sub_id, slot)
        else:
            outcome = send_digest(deps, sub_id, slot)
        logger.info("digest %s for %s (late): %s", sub_id, slot.isoformat(), outcome.status)
    except Exception:
        logger.exception("digest %s for %s failed", sub_id, slot.isoformat())


def workspace_subscriptions(deps):
    """Distribution mode: (workspace key, its active subscriptions) for every connected workspace."""
    tenancy = deps.tenancy
    if tenancy is None:
        return
    for key in tenancy.connected_keys():  # one workspace that cannot be read is logged and skipped
        yield key, deps.store.for_workspace(key).subscriptions.all(active_only=True)


def run_scheduled_digest(deps, sub_id: int, workspace: str = "") -> None:
    """The job APScheduler runs: find which fire this is, then hand over to digests.jobs.send_digest.

    A workspace's digest runs on that workspace's Deps (its bot and Lexer tokens), looked up at each run.
    """
    from digests.jobs import until_answered

    now = deps.now()  # when it fired: a database that answers only later must not change which fire this is
    deadline = now + timedelta(seconds=deps.settings.digest_grace_s)
    if workspace:
        tenancy = deps.tenancy
        if tenancy is None:
            return
        try:  # the workspace's tokens are read from the database: a restart or outage is waited out, within the grace
            until_answered(deps, lambda: tenancy.deps_for(workspace), deadline, f"digest {sub_id}")
        except Exception:
            logger.exception("digest %s could not be read; its run at %s is not posted", sub_id, now.isoformat())
            return
        # leased: the workspace's clients stay open until this digest is done, whatever changes meanwhile
        with tenancy.lease(workspace) as here:
            if here is not None:  # else uninstalled since the last sync
                _run_scheduled_digest(here, sub_id, now, deadline)
        return
    _run_scheduled_digest(deps, sub_id, now, deadline)


def _run_scheduled_digest(deps, sub_id: int, now: datetime, deadline: datetime) -> None:
    from digests.jobs import send_digest, until_answered

    store = deps.store
    try:
        # a fire that meets a database restart or outage is posted when it answers again, within the grace
        sub = until_answered(deps, lambda: store.subscriptions.get(sub_id), deadline, f"digest {sub_id}")
    except Exception:
        logger.exception("digest %s could not be read; its run at %s is not posted", sub_id, now.isoformat())
        return
    if sub is None:
        return
    slot = scheduled_time(sub, now, deps.settings.digest_grace_s)
    if slot is None:
        logger.warning("digest %s ran with no scheduled time in the last grace period; skipped", sub_id)
        return
    try:
        outcome = send_digest(deps, sub, slot)
        logger.info("digest %s for %s: %s", sub_id, slot.isoformat(), outcome.status)
    except Exception:
        logger.exception("digest %s for %s failed", sub_id, slot.isoformat())


def _executors() -> dict:
    return {"default": ThreadPoolExecutor(EXECUTOR_THREADS)}


def start_background_scheduler(deps) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", executors=_executors())
    configure(scheduler, deps)
    scheduler.start()
    # a /lexer subscribe in this process runs the sync at once instead of within SYNC_EVERY_S
    deps.clock.attach(lambda: scheduler.modify_job(SYNC_JOB_ID, next_run_time=datetime.now(timezone.utc)))
    return scheduler


def run_blocking_scheduler(deps) -> None:
    scheduler = BlockingScheduler(timezone="UTC", executors=_executors())
    configure(scheduler, deps)
    logger.info("clock started")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)  # let a digest being posted finish and record its message ts
        logger.info("clock stopped")
