"""The export_jobs table: one row per `/lexer export`; the line every process takes its exports from.

A job is held by the worker named in it, under a claim generation: every claim
bumps `claim_gen`, and every write by the holder says `where worker = me and
claim_gen = mine`, so a worker that lost its claim (paused, presumed dead, taken
over) can no longer change the job. A claim whose heartbeat is older than the
stale time, or whose worker is known dead, may be taken over.

A job is added in its workspace's scope and carries its key. The line itself is
one for every workspace (LEXERBOT_EXPORT_CONCURRENCY bounds this deployment's
downloads, whoever asked), so the worker's queries go by job id; the worker
delivers each job with its own workspace's tokens (bot.features.exports.queue).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from bot.store.scope import Scope

logger = logging.getLogger(__name__)

ACTIVE_STATES = ("queued", "started", "waiting", "downloading", "uploading", "sharing")
_MARKS = ", ".join("?" for _ in ACTIVE_STATES)


class ExportJobs:
    """Named queries on `export_jobs`; timestamps are ISO text the caller passes in."""

    def __init__(self, store: Scope):
        self.store = store

    def add(self, row: dict[str, Any]) -> int:
        """Insert a job of this store's workspace; returns its id."""
        return self.store.db["export_jobs"].insert({**row, "workspace": self.store.workspace}).last_pk

    def of_workspace(self) -> list[dict]:
        """This store's workspace's jobs, oldest first."""
        return list(self.store.db["export_jobs"].rows_where("workspace = ?", [self.store.workspace], order_by="id"))

    def get(self, job_id: int) -> dict:
        """The job's row; sqlite_utils' NotFoundError when there is none."""
        return self.store.db["export_jobs"].get(job_id)

    def update(self, job_id: int, values: dict[str, Any]) -> None:
        """An unfenced update: only for rows nobody can hold yet (tests, migrations of old rows)."""
        self.store.db["export_jobs"].update(job_id, values)

    def update_held(self, job_id: int, worker: str, gen: int, values: dict[str, Any]) -> bool:
        """Write as the job's holder; False (nothing written) when this worker no longer holds that claim."""
        names = list(values)
        sets = ", ".join(f'"{name}" = ?' for name in names)
        cur = self.store.db.execute(
            f"update export_jobs set {sets} where id = ? and worker = ? and claim_gen = ?",
            [*(values[n] for n in names), job_id, worker, gen],
        )
        return cur.rowcount == 1

    def claim_next(
        self,
        worker: str,
        *,
        limit: int,
        now: str,
        stale_before: str,
        dead_workers: Iterable[str] = (),
        running_here: Iterable[int] = (),
    ) -> tuple[int, int] | None:
        """Take the oldest free job if fewer than `limit` are held by live workers anywhere; (id, claim_gen).

        `running_here`: jobs this process is running: never free for it, however late their heartbeat."""
        dead = list(dead_workers)
        dead_marks = ", ".join("?" for _ in dead) or "''"
        here = [int(i) for i in running_here]
        not_here = f" and id not in ({', '.join(str(i) for i in here)})" if here else ""
        # held = not free: the jobs running here count as held, late heartbeat or not
        free = f"((worker is null or heartbeat_at is null or heartbeat_at < ? or worker in ({dead_marks})){not_here})"
        conn = self.store.db.conn
        # one process at a time on every host: counting the held jobs and claiming one is a single decision
        with self.store.transaction("export_jobs"):
            (held,) = conn.execute(
                f"select count(*) from export_jobs where state in ({_MARKS}) and not {free}",
                [*ACTIVE_STATES, stale_before, *dead],
            ).fetchone()
            row = None
            if held < limit:
                row = conn.execute(
                    f"select id, claim_gen from export_jobs where state in ({_MARKS}) and {free} order by id limit 1",
                    [*ACTIVE_STATES, stale_before, *dead],
                ).fetchone()
            if row is not None:
                job_id, gen = row[0], (row[1] or 0) + 1
                conn.execute(
                    "update export_jobs set worker = ?, claim_gen = ?, heartbeat_at = ?, updated_at = ?, "
                    "attempts = coalesce(attempts, 0) + 1 where id = ?",
                    [worker, gen, now, now, job_id],
                )
        return (job_id, gen) if row is not None else None

    def beat(self, job_id: int, worker: str, gen: int, now: str) -> bool:
        """The holder is alive; False when its claim is gone (taken over or finished)."""
        cur = self.store.db.execute(
            f"update export_jobs set heartbeat_at = ? where id = ? and worker = ? and claim_gen = ? "
            f"and state in ({_MARKS})",
            [now, job_id, worker, gen, *ACTIVE_STATES],
        )
        return cur.rowcount == 1

    def release(self, job_id: int, worker: str, gen: int, now: str) -> None:
        """Let go of a held job, so the next worker to look takes it at once."""
        self.store.db.execute(
            "update export_jobs set worker = null, heartbeat_at = null, updated_at = ? "
            "where id = ? and worker = ? and claim_gen = ?",
            [now, job_id, worker, gen],
        )

    def active_workers(self) -> set[str]:
        """Workers named in unfinished jobs."""
        rows = self.store.db.execute(
            f"select distinct worker from export_jobs where state in ({_MARKS}) and worker is not null",
            list(ACTIVE_STATES),
        ).fetchall()
        return {worker for (worker,) in rows}

    def queued_ids(self) -> list[int]:
        """Jobs waiting in line (no holder), oldest first."""
        rows = self.store.db.execute(
            "select id from export_jobs where state = 'queued' and worker is null order by id"
        ).fetchall()
        return [job_id for (job_id,) in rows]

    def unfinished_before(self, job_id: int | None = None) -> int:
        """How many unfinished jobs are older than this one (all of them when job_id is None)."""
        sql = f"select count(*) from export_jobs where state in ({_MARKS})"
        params: list[Any] = list(ACTIVE_STATES)
        if job_id is not None:
            sql += " and id < ?"
            params.append(job_id)
        (count,) = self.store.db.execute(sql, params).fetchone()
        return int(count)
