"""The export_jobs table: one row per `/lexer export`, so a restarted worker resumes it or says it failed.

A job belongs to the worker named in it while that worker keeps touching
updated_at; one left untouched longer than the stale time may be claimed by
another.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.store import Store

logger = logging.getLogger(__name__)

ACTIVE_STATES = ("queued", "started", "waiting", "downloading", "uploading", "sharing")
_MARKS = ", ".join("?" for _ in ACTIVE_STATES)


class ExportJobs:
    """Named queries on `export_jobs`; timestamps are ISO text the caller passes in."""

    def __init__(self, store: Store):
        self.store = store

    def add(self, row: dict[str, Any]) -> int:
        """Insert a job; returns its id."""
        return self.store.db["export_jobs"].insert(row).last_pk

    def get(self, job_id: int) -> dict:
        """The job's row; sqlite_utils' NotFoundError when there is none."""
        return self.store.db["export_jobs"].get(job_id)

    def update(self, job_id: int, values: dict[str, Any]) -> None:
        self.store.db["export_jobs"].update(job_id, values)

    def unfinished(self, worker: str, stale_before: str) -> list[int]:
        """Ids of active jobs that are this worker's, no worker's, or a silent worker's, oldest first."""
        rows = self.store.db.execute(
            f"select id from export_jobs where state in ({_MARKS}) and "
            "(worker is null or worker = ? or updated_at < ?) order by id",
            [*ACTIVE_STATES, worker, stale_before],
        ).fetchall()
        return [job_id for (job_id,) in rows]

    def touch(self, job_id: int, worker: str, now: str) -> None:
        """Keep a job this worker holds from looking orphaned."""
        self.store.db.execute(
            "update export_jobs set updated_at = ? where id = ? and worker = ?",
            [now, job_id, worker],
        )

    def claim(self, job_id: int, worker: str, now: str, stale_before: str) -> bool:
        """Make the job this worker's and count the attempt; False when a live worker holds it or it is done."""
        cur = self.store.db.execute(
            "update export_jobs set worker = ?, updated_at = ?, attempts = coalesce(attempts, 0) + 1 "
            f"where id = ? and state in ({_MARKS}) and (worker is null or worker = ? or updated_at < ?)",
            [worker, now, job_id, *ACTIVE_STATES, worker, stale_before],
        )
        return cur.rowcount == 1

    def release(self, job_id: int, worker: str, now: str) -> None:
        """Let go of a job this worker holds, so the next worker to scan takes it at once."""
        self.store.db.execute(
            "update export_jobs set worker = null, updated_at = ? where id = ? and worker = ?",
            [now, job_id, worker],
        )
