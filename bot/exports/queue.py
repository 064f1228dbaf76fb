"""The export queue: jobs in line and at most N running, in worker threads; each job is a row in `export_jobs`.

A restart resumes a job (polling again with the stored report token) or tells the
requester it failed; nothing is silently lost. A progress message in the
requester's DM is kept current with chat.update, at most once every few seconds.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx
from slack_sdk.errors import SlackApiError

from bot.exports import files
from bot.exports.delivery import DeliverySteps
from bot.isotime import utcnow_iso
from bot.lexer.client import EXPORT_TYPES, Filters
from bot.lexer.exports import POLL_FIRST_S, POLL_MAX_S
from bot.slack.messages.exports import progress_message
from bot.slack_web import slack_error_code
from bot.timeframe import Timeframe

logger = logging.getLogger(__name__)

SLACK_MAX_FILE_BYTES = 1 << 30  # Slack's per-file limit: 1 GB
PROGRESS_INTERVAL_S = 2.5  # chat.update at most this often per message (Slack rate-limits updates)
HEARTBEAT_S = 10.0  # how often a running job touches updated_at
STALE_AFTER_S = 180.0  # a job untouched this long belongs to a worker that died; another may take it
SCAN_INTERVAL_S = 60.0  # how often a worker looks for such orphaned jobs
UPLOAD_RETRY_DELAYS_S = (1.0, 4.0)  # waits between the 3 tries of the upload POST


@dataclass(frozen=True)
class QueueOptions:
    """Timings of the worker; tests shrink them."""

    poll_first_s: float = POLL_FIRST_S
    poll_max_s: float = POLL_MAX_S
    progress_interval_s: float = PROGRESS_INTERVAL_S
    upload_retry_delays_s: tuple[float, ...] = UPLOAD_RETRY_DELAYS_S
    max_file_bytes: int = SLACK_MAX_FILE_BYTES
    heartbeat_s: float = HEARTBEAT_S
    stale_after_s: float = STALE_AFTER_S
    scan_interval_s: float = SCAN_INTERVAL_S
    temp_dir: str | None = None


DEFAULT_OPTIONS = QueueOptions()


@dataclass
class _Live:
    """What a running job's message shows besides its row."""

    last_update: float = 0.0
    last_beat: float = 0.0
    elapsed_s: float | None = None
    transferred: int | None = None
    extra: dict = field(default_factory=dict)


class ExportQueue(DeliverySteps):
    """At most `concurrency` exports at once in worker threads; the rest wait in line (jobs live in SQLite)."""

    def __init__(
        self,
        *,
        store,
        api,
        slack,
        settings,
        options: QueueOptions = DEFAULT_OPTIONS,
        upload_http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.api = api
        self.slack = slack
        self.settings = settings
        self.options = options
        self.concurrency = max(1, int(settings.export_concurrency))
        self.timeout_s = float(settings.export_timeout_s)
        self.clock = clock
        # the upload URL is pre-signed: no token goes with the bytes
        self.upload_http = upload_http or httpx.Client(
            timeout=httpx.Timeout(300.0, connect=10.0), transport=httpx.HTTPTransport(retries=1)
        )
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._cond = threading.Condition()
        self._pending: deque[int] = deque()
        self._running: set[int] = set()
        self._live: dict[int, _Live] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._msg_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __repr__(self) -> str:
        return f"ExportQueue(worker={self.worker_id!r}, concurrency={self.concurrency})"

    # -------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start the worker threads and take up unfinished jobs."""
        if self._threads:
            return
        try:
            self.remove_orphaned_temp_files()
        except OSError as exc:
            logger.warning("could not clean up old export files: %s", type(exc).__name__)
        for i in range(self.concurrency):
            t = threading.Thread(target=self._work, name=f"export-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._scan_loop, name="export-scan", daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the workers; jobs in progress stay in the database and resume at the next start."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        with self._cond:
            left = list(self._pending)
            self._pending.clear()
        for job_id in left:
            self._release(job_id)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once no job is queued or running here (for tests and the demo)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))
        return True

    # -------------------------------------------------------------- submitting
    def submit(
        self,
        *,
        user_id: str,
        kind: str,
        tf: Timeframe,
        form_id: int | None = None,
        form_name: str | None = None,
        category: str | None = None,
        filters: Filters | None = None,
        filters_text: str | None = None,
    ) -> int:
        """Record a job, post its progress message to the requester's DM, and put it in line; returns its id."""
        if kind not in EXPORT_TYPES:
            raise ValueError(f"unknown export kind {kind!r}")
        now = utcnow_iso()
        filters = filters or Filters()
        job_id = self.store.export_jobs.add(
            {
                "user_id": user_id,
                "kind": kind,
                "range_text": tf.text,
                "tz": tf.tz_name,
                "date_from": tf.date_from,
                "date_to": tf.date_to,
                "form_id": form_id,
                "form_name": form_name,
                "category": category,
                "filters": json.dumps({"users": list(filters.users), "groups": list(filters.groups)}),
                "filters_text": filters_text,
                "range_desc": tf.describe(),
                "state": "queued",
                "created_at": now,
                "updated_at": now,
                "worker": self.worker_id,
                "attempts": 0,
            }
        )
        with self._cond:
            self._pending.append(job_id)
            self._cond.notify()
        # the worker may have taken it already; _show posts once and then only updates
        self._show(job_id, force=True)
        return job_id

    def position(self, job_id: int) -> int | None:
        """How many queued jobs are ahead of this one (None when it is not waiting here)."""
        with self._cond:
            try:
                return list(self._pending).index(job_id)
            except ValueError:
                return None

    def resume_unfinished(self) -> list[int]:
        """Put unfinished jobs that no live worker holds back in line."""
        stale = utcnow_iso(datetime.fromtimestamp(self.clock() - self.options.stale_after_s, timezone.utc))
        job_ids = self.store.export_jobs.unfinished(self.worker_id, stale)
        added = []
        with self._cond:
            for job_id in job_ids:
                if job_id not in self._running and job_id not in self._pending:
                    self._pending.append(job_id)
                    added.append(job_id)
            self._cond.notify_all()
        if added:
            logger.info("export jobs taken up again: %s", added)
        return added

    # -------------------------------------------------------------- workers
    def _scan_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.resume_unfinished()
                self._touch_pending()
            except Exception:
                logger.exception("scanning for unfinished exports failed")
            if self._stop.wait(self.options.scan_interval_s):
                return

    def _touch_pending(self) -> None:
        """Jobs waiting in line here are alive too: keep them from looking orphaned."""
        with self._cond:
            ids = list(self._pending)
        for job_id in ids:
            self.store.export_jobs.touch(job_id, self.worker_id, utcnow_iso())

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stop.is_set():
                    self._cond.wait()
                if self._stop.is_set():
                    return
                job_id = self._pending.popleft()
                self._running.add(job_id)
                waiting = list(self._pending)
            try:
                for other in waiting:  # everyone behind moved up one
                    self._show(other, force=True)
                self._run(job_id)
            except Exception:
                logger.exception("export job %s crashed the worker loop", job_id)
            finally:
                with self._cond:
                    self._running.discard(job_id)
                    self._live.pop(job_id, None)
                    self._locks.pop(job_id, None)
                    self._cond.notify_all()

    # -------------------------------------------------------------- database
    def _job(self, job_id: int) -> dict:
        return self.store.export_jobs.get(job_id)

    def _set(self, job_id: int, **values: Any) -> None:
        values["updated_at"] = utcnow_iso()
        self.store.export_jobs.update(job_id, values)

    def _claim(self, job_id: int) -> bool:
        stale = utcnow_iso(datetime.fromtimestamp(self.clock() - self.options.stale_after_s, timezone.utc))
        return self.store.export_jobs.claim(job_id, self.worker_id, utcnow_iso(), stale)

    def _release(self, job_id: int) -> None:
        self.store.export_jobs.release(job_id, self.worker_id, utcnow_iso())

    # -------------------------------------------------------------- the progress message
    def _show(self, job_id: int, *, force: bool = False, **live: Any) -> None:
        """Post or update the job's DM message; throttled unless forced. Slack trouble here never fails the job."""
        live_state = self._live.setdefault(job_id, _Live())
        now = time.monotonic()
        if not force and now - live_state.last_update < self.options.progress_interval_s:
            return
        live_state.last_update = now
        with self._msg_lock:
            lock = self._locks.setdefault(job_id, threading.Lock())
        # one writer per message, reading the row inside the lock, so a stale state never overwrites a newer one
        with lock:
            job = self._job(job_id)
            if job["state"] == "queued" and "ahead" not in live:
                live["ahead"] = self.position(job_id)
            message = progress_message(job, sandbox=self.settings.sandbox_mode, **live)
            try:
                if not job.get("message_ts"):
                    ts = self.slack.chat_postMessage(channel=self._dm_channel(job), **message)["ts"]
                    self._set(job_id, message_ts=ts)
                    return
                try:
                    self.slack.chat_update(channel=job["dm_channel"], ts=job["message_ts"], **message)
                except SlackApiError:
                    if job["state"] not in ("done", "failed"):
                        raise
                    # the outcome must reach the requester even if the progress message is gone
                    self.slack.chat_postMessage(channel=job["dm_channel"], **message)
            except SlackApiError as exc:
                logger.warning("export %s: progress message failed: %s", job_id, slack_error_code(exc))
            except Exception as exc:
                logger.warning("export %s: progress message failed: %s", job_id, type(exc).__name__)

    def _dm_channel(self, job: dict) -> str:
        if job.get("dm_channel"):
            return job["dm_channel"]
        channel = self.slack.conversations_open(users=job["user_id"])["channel"]["id"]
        self._set(job["id"], dm_channel=channel)
        job["dm_channel"] = channel
        return channel

    def _beat(self, job_id: int) -> None:
        live = self._live.setdefault(job_id, _Live())
        if time.monotonic() - live.last_beat >= self.options.heartbeat_s:
            live.last_beat = time.monotonic()
            self._set(job_id, worker=self.worker_id)

    # -------------------------------------------------------------- temporary files
    def remove_orphaned_temp_files(self) -> list[str]:
        """Delete temporary CSVs of processes on this host that no longer run (a crash skips `finally`)."""
        return files.remove_orphaned_temp_files(self.options.temp_dir)
