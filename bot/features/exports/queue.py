"""The export queue: the line is the `export_jobs` table, shared by every process; worker threads take jobs from it.

A worker thread claims the oldest free job only while fewer than
LEXERBOT_EXPORT_CONCURRENCY jobs are held by live workers anywhere, so the limit
holds across processes. A claim is fenced (bot/store/export_jobs.py): every write
carries the claim generation, and a worker that lost its claim stops. A job whose
worker is gone (heartbeat older than three beats, or its pid dead on this host)
is taken over at start and by the scan. A restart resumes a job (polling again
with the stored report token) or tells the requester it failed; nothing is
silently lost. A progress message in the requester's DM is kept current with
chat.update, at most once every few seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

from bot.deps import Bell
from bot.errors import ExportError
from bot.features.exports import files
from bot.features.exports.delivery import DeliverySteps, LostClaim, WorkspaceGoneError
from bot.features.exports.progress import ProgressSteps
from bot.isotime import utcnow_iso
from bot.lexer.exports import POLL_FIRST_S, POLL_MAX_S

logger = logging.getLogger(__name__)

SLACK_MAX_FILE_BYTES = 1 << 30  # Slack's per-file limit: 1 GB
PROGRESS_INTERVAL_S = 2.5  # chat.update at most this often per message (Slack rate-limits updates)
HEARTBEAT_S = 5.0  # how often the holder of a job says it is alive
STALE_BEATS = 3  # a claim this many beats old belongs to a worker that is gone
SCAN_INTERVAL_S = 5.0  # how often idle workers look for free or orphaned jobs (a submit here wakes them at once)
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
    scan_interval_s: float = SCAN_INTERVAL_S
    temp_dir: str | None = None

    @property
    def stale_after_s(self) -> float:
        return STALE_BEATS * self.heartbeat_s


DEFAULT_OPTIONS = QueueOptions()


@dataclass
class _Live:
    """A job this process holds: its claim generation and what its message shows besides its row."""

    gen: int
    last_update: float = 0.0
    lost: bool = False
    extra: dict = field(default_factory=dict)


def concurrency_of(settings) -> int:
    """How many export jobs run at once, across every process (LEXERBOT_EXPORT_CONCURRENCY)."""
    return max(1, int(settings.export_concurrency))


def parse_worker_id(worker: str) -> tuple[str, int | None]:
    """(host, pid) of a worker id `host:pid:token` (pid None when it is not one of ours)."""
    host, _, rest = worker.partition(":")
    pid_text = rest.split(":", 1)[0]
    return host, int(pid_text) if pid_text.isdigit() else None


class ExportQueue(DeliverySteps, ProgressSteps):
    """Worker threads that deliver the exports in `export_jobs`, at most `concurrency` held across all processes."""

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
        workspace_deps: Callable[[str], Any] | None = None,
        workspace_lease: Callable[[str], AbstractContextManager] | None = None,
        bell: Bell | None = None,
    ):
        self.store = store
        self.api = api
        self.slack = slack
        self.settings = settings
        self.options = options
        self.concurrency = concurrency_of(settings)
        self.timeout_s = float(settings.export_timeout_s)
        self.clock = clock
        # the upload URL is pre-signed: no token goes with the bytes
        self.upload_http = upload_http or httpx.Client(
            timeout=httpx.Timeout(300.0, connect=10.0), transport=httpx.HTTPTransport(retries=1)
        )
        # unique per process even where pids repeat (containers): the token names its temp files and lock
        self.token = uuid.uuid4().hex[:12]
        self.host = socket.gethostname()
        self.worker_id = f"{self.host}:{os.getpid()}:{self.token}"
        self._lock_file = files.OwnerLock(self.token, options.temp_dir)
        self._cond = threading.Condition()
        self._live: dict[int, _Live] = {}  # jobs this process holds, under self._cond
        self._msg_locks: dict[int, threading.Lock] = {}
        self._msg_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # distribution mode: a workspace key -> that workspace's Deps, so each job is fetched with its workspace's
        # Lexer token and delivered with its bot token; one line serves them all
        self.workspace_deps = workspace_deps
        # and a key -> a lease on that Deps (Tenancy.lease), held for a whole job: a reconnect meanwhile closes
        # the old clients only after the job
        self.workspace_lease = workspace_lease
        self.bell = bell  # an export queued in this process wakes the workers at once

    def __repr__(self) -> str:
        return f"ExportQueue(worker={self.worker_id!r}, concurrency={self.concurrency})"

    # -------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start the worker threads; unfinished jobs of workers that are gone are taken over at once."""
        if self._threads:
            return
        try:
            self._lock_file.acquire()
            self.remove_orphaned_temp_files()
        except OSError as exc:
            logger.warning("could not clean up old export files: %s", type(exc).__name__)
        for i in range(self.concurrency):
            t = threading.Thread(target=self._work, name=f"export-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._heartbeat_loop, name="export-heartbeat", daemon=True)
        t.start()
        self._threads.append(t)
        if self.bell is not None:
            self.bell.attach(self.wake)

    def wake(self) -> None:
        """A job was queued: idle workers look at the line now."""
        with self._cond:
            self._cond.notify_all()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the workers; jobs in progress are released and resume at once in another process (or the next start)."""
        if self.bell is not None:
            self.bell.attach(None)
        self._stop.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._lock_file.release()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once no job is unfinished in the database and none is being finished here (tests, the demo)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                busy = bool(self._live)
            if not busy and self.store.export_jobs.unfinished_before() == 0:
                with self._cond:
                    if not self._live:
                        return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    # -------------------------------------------------------------- the line
    def position(self, job_id: int) -> int:
        """How many jobs wait ahead of this one for a free place (0: it runs as soon as one is free)."""
        return max(0, self.store.export_jobs.unfinished_before(job_id) - self.concurrency)

    # -------------------------------------------------------------- workers
    def _stale_before(self) -> str:
        return utcnow_iso(datetime.fromtimestamp(self.clock() - self.options.stale_after_s, timezone.utc))

    def dead_workers(self) -> set[str]:
        """Workers of unfinished jobs that are certainly gone: this host's with a dead pid or a free lock."""
        dead = set()
        for worker in self.store.export_jobs.active_workers():
            host, pid = parse_worker_id(worker)
            if worker == self.worker_id or host != self.host:
                continue
            token = worker.rsplit(":", 1)[-1]
            # a pid can be reused (containers), so a live pid proves nothing; a dead one or a free lock proves gone
            pid_dead = pid is not None and pid != os.getpid() and not files.pid_alive(pid)
            lock = files.lock_path(token, self.options.temp_dir)
            if pid_dead or (lock.exists() and files.owner_gone(token, self.options.temp_dir)):
                dead.add(worker)
        return dead

    def _running_here(self) -> list[int]:
        with self._cond:
            return [job_id for job_id, live in self._live.items() if not live.lost]

    def claim_next(self) -> tuple[int, int] | None:
        """Claim the oldest free job if the limit across processes allows; (id, claim generation)."""
        now = utcnow_iso()
        claim = self.store.export_jobs.claim_next(
            self.worker_id,
            limit=self.concurrency,
            now=now,
            stale_before=self._stale_before(),
            dead_workers=self.dead_workers(),
            running_here=self._running_here(),
        )
        if claim is not None:
            with self._cond:
                self._live[claim[0]] = _Live(gen=claim[1])
        return claim

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                claim = self.claim_next()
            except Exception:
                logger.exception("looking for export jobs failed")
                claim = None
            if claim is None:
                with self._cond:
                    self._cond.wait(self.options.scan_interval_s)
                continue
            job_id, gen = claim
            try:
                self._show_queue()
                with self._holding_workspace(job_id):
                    self._run(job_id)
            except Exception:
                logger.exception("export job %s crashed the worker loop", job_id)
            finally:
                with self._cond:
                    # only this claim's entry: a thread that took the job over since (its heartbeat looked late)
                    # holds a newer generation, and its heartbeats must go on, or the job is taken over again
                    live = self._live.get(job_id)
                    if live is not None and live.gen == gen:
                        self._live.pop(job_id, None)
                        self._msg_locks.pop(job_id, None)
                    self._cond.notify_all()

    def _heartbeat_loop(self) -> None:
        """Every beat, say the jobs held here are alive; a claim found gone is marked lost, and its worker stops."""
        while not self._stop.wait(self.options.heartbeat_s):
            with self._cond:
                held = [(job_id, live.gen) for job_id, live in self._live.items() if not live.lost]
            for job_id, gen in held:
                try:
                    alive = self.store.export_jobs.beat(job_id, self.worker_id, gen, utcnow_iso())
                except Exception:
                    logger.exception("export heartbeat failed")
                    continue
                if not alive:
                    with self._cond:
                        live = self._live.get(job_id)
                        if live is not None and live.gen == gen:
                            live.lost = True
            with self._cond:
                self._cond.notify_all()  # idle workers look for orphaned jobs once a beat, too

    # -------------------------------------------------------------- the job's workspace
    def _clients(self, job: dict) -> tuple[Any, Any]:
        """(Lexer client or None when not connected, Slack client) of the job's workspace."""
        key = job.get("workspace") or ""
        if not key or self.workspace_deps is None:
            return self.api, self.slack
        ws = self.workspace_deps(key)
        if ws is None:
            raise WorkspaceGoneError("The workspace that asked for this export uninstalled lexer-bot.")
        connected = ws.tenancy is None or ws.tenancy.connected(key)
        return (ws.api if connected else None), ws.slack

    def _api_for(self, job: dict) -> Any:
        api = self._clients(job)[0]
        if api is None:  # Slack still reaches the requester; Lexer has no token of this workspace's to answer with
            raise ExportError(
                "This workspace's Lexer connection was removed before the export could finish.",
                hint="An admin can connect Lexer again with `/lexer connect`; then run the export again.",
            )
        return api

    def _slack_for(self, job: dict) -> Any:
        return self._clients(job)[1]

    # -------------------------------------------------------------- database
    def _holding_workspace(self, job_id: int) -> AbstractContextManager:
        key = (self._job(job_id) or {}).get("workspace") or ""
        if not key or self.workspace_lease is None:
            return nullcontext()
        return self.workspace_lease(key)

    def _job(self, job_id: int) -> dict:
        return self.store.export_jobs.get(job_id)

    def _gen(self, job_id: int) -> int:
        with self._cond:
            live = self._live.get(job_id)
        if live is None or live.lost:
            raise LostClaim(job_id)
        return live.gen

    def _set(self, job_id: int, **values: Any) -> None:
        """Write the job's row as its holder; LostClaim (nothing written) when another worker has taken it."""
        values["updated_at"] = utcnow_iso()
        if not self.store.export_jobs.update_held(job_id, self.worker_id, self._gen(job_id), values):
            with self._cond:
                if job_id in self._live:
                    self._live[job_id].lost = True
            raise LostClaim(job_id)

    def _release(self, job_id: int) -> None:
        with self._cond:
            live = self._live.get(job_id)
        if live is not None:
            self.store.export_jobs.release(job_id, self.worker_id, live.gen, utcnow_iso())

    def _beat(self, job_id: int) -> None:
        """Between chunks and polls: stop at once if the claim was lost."""
        self._gen(job_id)

    # -------------------------------------------------------------- temporary files
    def temp_csv(self, job_id: int):
        return files.temp_csv_path(job_id, self.token, self.options.temp_dir)

    def remove_orphaned_temp_files(self) -> list[str]:
        """Delete temporary CSVs whose process is gone (a crash skips `finally`), pids repeating or not."""
        return files.remove_orphaned_temp_files(self.options.temp_dir)
