"""CSV exports delivered as Slack files: `/lexer export …` queues a job row, a worker thread delivers it.

Each job is a row in `export_jobs`, so a restart resumes it (polling again with the
stored report token) or tells the requester it failed; nothing is silently lost.
The CSV is streamed Lexer -> temporary file -> Slack's upload URL, so memory
stays flat whatever the file's size (SPEC §5). A progress message in the
requester's DM is kept current with chat.update, at most once every few seconds.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from slack_sdk.errors import SlackApiError

from bot.commands import DEFAULT_RANGE, Asker, Reply, Services, filters_for
from bot.errors import CommandError, ExportError, LexerBotError
from bot.isotime import utcnow_iso
from bot.lexer.client import EXPORT_TYPES, Filters
from bot.lexer.directory import resolve_nps_form
from bot.lexer.exports import POLL_FIRST_S, POLL_MAX_S, wait_for_export
from bot.slack.messages.exports import (
    NOT_IN_SLACK,
    export_filename,
    format_size,
    job_days,
    job_title,
    progress_message,
    queued_reply_text,
)
from bot.slack.messages.help import notice_message
from bot.slack.parsing import ExportCommand
from bot.slack_web import categorize, slack_error_code
from bot.timeframe import Timeframe, parse_range

logger = logging.getLogger(__name__)

SLACK_MAX_FILE_BYTES = 1 << 30  # Slack's per-file limit: 1 GB
PROGRESS_INTERVAL_S = 2.5  # chat.update at most this often per message (Slack rate-limits updates)
HEARTBEAT_S = 10.0  # how often a running job touches updated_at
STALE_AFTER_S = 180.0  # a job untouched this long belongs to a worker that died; another may take it
SCAN_INTERVAL_S = 60.0  # how often a worker looks for such orphaned jobs
MAX_ATTEMPTS = 5  # runs of one job (restarts included) before it is given up
UPLOAD_RETRY_DELAYS_S = (1.0, 4.0)  # waits between the 3 tries of the upload POST
UPLOAD_CHUNK = 1 << 16

TEMP_PREFIX = "lexer-export-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True


class FileTooLargeError(ExportError):
    """The CSV is over Slack's file size limit."""


class _Stopped(Exception):
    """The queue is stopping; the job stays in the database for the next start."""


# ------------------------------------------------------------------ pure helpers


class RowCounter:
    """Counts CSV rows while the bytes stream past: newlines minus the header line."""

    def __init__(self) -> None:
        self.newlines = 0
        self.size = 0
        self.last_byte = b""

    def feed(self, chunk: bytes) -> None:
        if chunk:
            self.newlines += chunk.count(b"\n")
            self.size += len(chunk)
            self.last_byte = chunk[-1:]

    @property
    def rows(self) -> int:
        lines = self.newlines + (1 if self.size and self.last_byte != b"\n" else 0)
        return max(0, lines - 1)


def slack_failure(exc: SlackApiError) -> tuple[str, str]:
    """(problem, what to try) for a Slack refusal during delivery."""
    code = slack_error_code(exc)
    category = categorize(code)
    if category == "too_large":
        return (f"Slack refused the file as too large ({code}).", "Export a shorter range, e.g. a week at a time.")
    if category == "auth":
        return (
            f"Slack refused the bot's token ({code}).",
            "Ask your Slack admin to reinstall lexer-bot (it needs the files:write and im:write scopes).",
        )
    if category == "rate_limited":
        return "Slack is rate-limiting the bot right now.", "Try the export again in a few minutes."
    return f"Slack refused the upload ({code}).", "Try the export again; if it keeps failing, tell your Slack admin."


# ------------------------------------------------------------------ the queue


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


class ExportQueue:
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

    def _sleep(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise _Stopped()

    # -------------------------------------------------------------- one job
    def _run(self, job_id: int) -> None:
        if not self._claim(job_id):
            logger.info("export %s is held by another worker or finished", job_id)
            return
        tmp: Path | None = None
        try:
            job = self._job(job_id)
            if job["state"] == "sharing":
                # we cannot tell whether Slack shared the file before the restart; say so rather than send twice
                raise ExportError(
                    "The bot restarted while it was sharing the file with you.",
                    hint="If the file is not in this conversation, run the export again.",
                )
            if (job.get("attempts") or 0) > MAX_ATTEMPTS:
                raise ExportError(
                    "The export was interrupted too many times (the bot kept restarting).",
                    hint="Run the export again; a shorter range finishes sooner.",
                )
            if job["state"] == "queued":
                self._set(job_id, state="started")
            self._show(job_id, force=True)
            status = self._lexer_file(job_id)
            tmp = self._temp_path(job_id)
            self._set(job_id, state="downloading")
            size, rows = self._download(job_id, status.url or "", tmp)
            self._set(job_id, state="uploading", size_bytes=size, rows=rows, file_name=job_title(job))
            self._show(job_id, force=True)
            file_id = self._upload(job_id, tmp, size)
            self._set(job_id, state="sharing", file_id=file_id)
            self._share(job_id, file_id)
            self._set(job_id, state="done", worker=None, error=None, error_hint=None)
            self._show(job_id, force=True)
            logger.info("export %s delivered (%s bytes, %s rows)", job_id, size, rows)
        except _Stopped:
            logger.info("export %s paused for shutdown; it resumes at the next start", job_id)
            self._release(job_id)
        except LexerBotError as exc:
            self._fail(job_id, exc.message, exc.hint or None)
        except SlackApiError as exc:
            self._fail(job_id, *slack_failure(exc))
        except Exception:
            logger.exception("export %s failed", job_id)
            self._fail(
                job_id,
                "Something went wrong on our side while preparing the file.",
                "Try again in a minute; if it keeps happening, tell your Slack admin (the bot's log has the details).",
            )
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)

    def _fail(self, job_id: int, problem: str, hint: str | None) -> None:
        logger.warning("export %s failed: %s", job_id, problem)
        self._set(job_id, state="failed", worker=None, error=problem, error_hint=hint)
        self._show(job_id, force=True)

    def _temp_path(self, job_id: int) -> Path:
        # the pid in the name lets a later start remove what a killed process left behind
        fd, name = tempfile.mkstemp(
            prefix=f"{TEMP_PREFIX}{job_id}-p{os.getpid()}-", suffix=".csv", dir=self.options.temp_dir
        )
        os.close(fd)
        return Path(name)

    def remove_orphaned_temp_files(self) -> list[str]:
        """Delete temporary CSVs of processes on this host that no longer run (a crash skips `finally`)."""
        removed = []
        folder = Path(self.options.temp_dir or tempfile.gettempdir())
        for path in folder.glob(f"{TEMP_PREFIX}*-p*-*.csv"):
            try:
                pid = int(path.name.split("-p", 1)[1].split("-", 1)[0])
            except (IndexError, ValueError):
                continue
            if pid != os.getpid() and not _pid_alive(pid):
                path.unlink(missing_ok=True)
                removed.append(path.name)
        return removed

    def _timeframe(self, job: dict) -> Timeframe:
        return Timeframe(
            datetime.fromisoformat(job["date_from"]),
            datetime.fromisoformat(job["date_to"]),
            job.get("range_text") or "",
            job.get("range_desc") or "",
        )

    def _lexer_file(self, job_id: int):
        """Steps 1-2: start the export (once; the token is stored) and poll until the file is ready."""
        job = self._job(job_id)
        token = job.get("report_token")
        status = None
        if not token:
            raw = json.loads(job.get("filters") or "{}")
            filters = Filters(users=tuple(raw.get("users") or ()), groups=tuple(raw.get("groups") or ()))
            status = self.api.start_export(
                job["kind"],
                self._timeframe(job),
                form_id=job.get("form_id"),
                category=job.get("category") or "all",
                filters=filters,
            )
            token = status.token
            self._set(job_id, report_token=token, started_at=utcnow_iso(), state="waiting")
        elif job["state"] != "waiting":  # resumed mid-way: the stored token is polled again
            self._set(job_id, state="waiting")
        if status is not None and status.complete:
            return status
        started = self._job(job_id).get("started_at")
        started_at = datetime.fromisoformat(started).timestamp() if started else self.clock()

        def on_wait(elapsed: float) -> None:
            self._beat(job_id)
            self._show(job_id, elapsed_s=elapsed)

        return wait_for_export(
            self.api,
            token,
            timeout_s=self.timeout_s,
            started_at=started_at,
            clock=self.clock,
            sleep=self._sleep,
            on_wait=on_wait,
            first_delay_s=self.options.poll_first_s,
            max_delay_s=self.options.poll_max_s,
        )

    def _check_size(self, size: int | None) -> None:
        limit = self.options.max_file_bytes
        if size is not None and size > limit:
            raise FileTooLargeError(
                f"The CSV is {format_size(size)}, over Slack's {format_size(limit)} file limit.",
                hint="Export a shorter range, e.g. one week at a time instead of a month.",
            )

    def _download(self, job_id: int, url: str, dest: Path) -> tuple[int, int]:
        """Step 3: Lexer -> temporary file, counting rows on the way; (bytes, rows)."""
        counter = RowCounter()

        def on_chunk(chunk: bytes) -> None:
            if self._stop.is_set():
                raise _Stopped()
            counter.feed(chunk)
            self._check_size(counter.size)
            self._beat(job_id)
            self._show(job_id, transferred=counter.size)

        size = self.api.download(url, dest, on_start=self._check_size, on_chunk=on_chunk)
        return size, counter.rows

    def _file_chunks(self, job_id: int, path: Path) -> Iterator[bytes]:
        sent = 0
        with open(path, "rb") as fh:
            while chunk := fh.read(UPLOAD_CHUNK):
                if self._stop.is_set():
                    raise _Stopped()
                sent += len(chunk)
                self._beat(job_id)
                self._show(job_id, transferred=sent)
                yield chunk

    def _upload(self, job_id: int, path: Path, size: int) -> str:
        """files.getUploadURLExternal, then the bytes streamed to the upload URL (retried on 5xx/network trouble)."""
        job = self._job(job_id)
        first, last = job_days(job)
        answer = self.slack.files_getUploadURLExternal(filename=export_filename(job["kind"], first, last), length=size)
        upload_url, file_id = answer["upload_url"], answer["file_id"]
        delays = self.options.upload_retry_delays_s
        problem = ""
        for attempt in range(len(delays) + 1):
            try:
                response = self.upload_http.post(
                    upload_url,
                    content=self._file_chunks(job_id, path),
                    headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
                )
                if response.status_code == 200:
                    return file_id
                problem = f"HTTP {response.status_code}"
                retry = response.status_code >= 500 or response.status_code in (408, 429)
            except httpx.TransportError as exc:
                problem = f"connection trouble: {type(exc).__name__}"
                retry = True
            logger.warning("export %s: upload try %d failed (%s)", job_id, attempt + 1, problem)
            if not retry or attempt == len(delays):
                break
            self._sleep(delays[attempt])
        tries = attempt + 1
        raise ExportError(
            f"Slack did not accept the file ({problem}) after {tries} tr{'ies' if tries > 1 else 'y'}.",
            hint="Try the export again in a few minutes.",
        )

    def _share(self, job_id: int, file_id: str) -> None:
        job = self._job(job_id)
        self.slack.files_completeUploadExternal(
            files=[{"id": file_id, "title": job_title(job)}], channel_id=self._dm_channel(job)
        )


# ------------------------------------------------------------------ the /lexer export command


def export_command(cmd: ExportCommand, asker: Asker, services: Services) -> Reply:
    """`/lexer export cases|responses [RANGE]`, `export nps [FORM] [RANGE]`: validate, queue, answer at once."""
    queue: ExportQueue | None = services.exports
    if services.slack is None or queue is None:
        return Reply(notice_message(NOT_IN_SLACK))
    kind = cmd.kind
    if kind not in EXPORT_TYPES:
        raise CommandError("Say what to export: cases, responses or nps.")
    tf = parse_range(cmd.range_text or DEFAULT_RANGE, asker.tz, services.now())
    filters, filters_text = filters_for(services.directory, cmd)
    form = resolve_nps_form(services.directory, cmd.form) if kind == "nps" else None
    category = (cmd.category or "all") if kind == "nps" else None
    if category and category != "all":
        filters_text = " · ".join(x for x in (filters_text, category) if x)
    job_id = queue.submit(
        user_id=asker.user_id,
        kind=kind,
        tf=tf,
        form_id=form.id if form else None,
        form_name=form.name if form else None,
        category=category,
        filters=filters,
        filters_text=filters_text,
    )
    try:
        services.store.audit_log.record(
            asker.user_id, "export", {"job": job_id, "kind": kind, "range": tf.text, "form": form.id if form else None}
        )
    except Exception:
        logger.warning("could not audit export %s", job_id)
    return Reply(notice_message(queued_reply_text(kind, form.name if form else None, tf, filters_text)))


COMMANDS = {"export": export_command}


def export_worker(deps):
    """The queue to start with the process and stop with it; None where no Slack client can deliver files."""
    return deps.exports
