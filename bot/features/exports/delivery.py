"""One export job delivered: Lexer's file -> a temporary CSV -> Slack's upload URL -> shared in the DM.

The steps are methods mixed into ExportQueue (bot/features/exports/queue.py): they read and
write the job's row and keep its progress message current through the queue's
helpers, and stop between chunks when the queue is stopping.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
from slack_sdk.errors import SlackApiError

from bot.errors import ExportError, LexerBotError, RateLimitedError
from bot.features.exports.files import RowCounter
from bot.isotime import utcnow_iso
from bot.lexer.client import Filters
from bot.lexer.exports import wait_for_export
from bot.slack.messages.exports import export_filename, format_size, job_days, job_title
from bot.slack_web import categorize, slack_error_code
from bot.timeframe import Timeframe

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # runs of one job (restarts included) before it is given up
# Lexer's window closed (its 429, or our budget spent): the job waits for it, this long at most in all, then fails
MAX_BUDGET_WAIT_S = 25 * 60.0
BUDGET_PAUSE_FALLBACK_S = 60.0
UPLOAD_CHUNK = 1 << 16


class FileTooLargeError(ExportError):
    """The CSV is over Slack's file size limit."""


class Stopped(Exception):
    """The queue is stopping; the job stays in the database for the next start."""


class WorkspaceGoneError(LexerBotError):
    """The job's workspace uninstalled the app: nobody is left to deliver to."""


class LostClaim(Exception):
    """Another worker has taken this job over (this one was presumed gone): stop, writing and sending nothing."""


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


class DeliverySteps:
    """The steps of one job, for ExportQueue: uses its store, api, slack, options, row helpers and progress message."""

    # -------------------------------------------------------------- one job
    def _run(self, job_id: int) -> None:
        """Deliver one job this worker has claimed (ExportQueue.claim_next), waiting out a closed Lexer window."""
        waited = 0.0
        while True:
            try:
                self._run_once(job_id)
                return
            except RateLimitedError as exc:
                pause = exc.retry_after or BUDGET_PAUSE_FALLBACK_S
                if waited + pause > MAX_BUDGET_WAIT_S:
                    self._fail(job_id, exc.message, exc.hint or None)
                    return
                logger.info("export %s waits %.0f s for Lexer's window", job_id, pause)
                waited += pause
                try:
                    self._sleep(pause)  # the claim's heartbeat goes on meanwhile; a stop hands the job back
                except Stopped:
                    self._release(job_id)
                    return

    def _run_once(self, job_id: int) -> None:
        """One go at a job's steps; RateLimitedError comes back to _run, which waits and goes again."""
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
            tmp = self.temp_csv(job_id)
            self._set(job_id, state="downloading")
            size, rows = self._download(job_id, status.url or "", tmp)
            self._set(job_id, state="uploading", size_bytes=size, rows=rows, file_name=job_title(job))
            self._show(job_id, force=True)
            file_id = self._upload(job_id, tmp, size)
            self._set(job_id, state="sharing", file_id=file_id)
            self._share(job_id, file_id)
            self._set(job_id, state="done", error=None, error_hint=None)
            self._show(job_id, force=True)
            logger.info("export %s delivered (%s bytes, %s rows)", job_id, size, rows)
        except Stopped:
            logger.info("export %s paused for shutdown; it resumes at the next start", job_id)
            self._release(job_id)
        except LostClaim:
            logger.warning("export %s was taken over by another worker; this one stops", job_id)
        except WorkspaceGoneError as exc:
            logger.info("export %s dropped: %s", job_id, exc.message)
            try:
                self._set(job_id, state="failed", error=exc.message)
            except LostClaim:  # the uninstall removed the row already
                pass
        except RateLimitedError:
            raise
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
        try:
            self._set(job_id, state="failed", error=problem, error_hint=hint)
            self._show(job_id, force=True)
        except LostClaim:
            logger.warning("export %s was taken over by another worker; its failure is not reported here", job_id)

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
            status = self._api_for(job).start_export(
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
            self._api_for(job),
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
                raise Stopped()
            counter.feed(chunk)
            self._check_size(counter.size)
            self._beat(job_id)
            self._show(job_id, transferred=counter.size)

        api = self._api_for(self._job(job_id))
        size = api.download(url, dest, on_start=self._check_size, on_chunk=on_chunk)
        return size, counter.rows

    def _file_chunks(self, job_id: int, path: Path) -> Iterator[bytes]:
        sent = 0
        with open(path, "rb") as fh:
            while chunk := fh.read(UPLOAD_CHUNK):
                if self._stop.is_set():
                    raise Stopped()
                sent += len(chunk)
                self._beat(job_id)
                self._show(job_id, transferred=sent)
                yield chunk

    def _upload(self, job_id: int, path: Path, size: int) -> str:
        """files.getUploadURLExternal, then the bytes streamed to the upload URL (retried on 5xx/network trouble)."""
        job = self._job(job_id)
        first, last = job_days(job)
        answer = self._slack_for(job).files_getUploadURLExternal(
            filename=export_filename(job["kind"], first, last), length=size
        )
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
        self._slack_for(job).files_completeUploadExternal(
            files=[{"id": file_id, "title": job_title(job)}], channel_id=self._dm_channel(job)
        )

    def _sleep(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise Stopped()
