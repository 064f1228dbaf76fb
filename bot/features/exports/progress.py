"""An export's progress message in the requester's DM, kept current with chat.update (at most once every few
seconds); the steps are mixed into ExportQueue (bot/features/exports/queue.py) and use its row helpers."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.features.exports.delivery import LostClaim
from bot.slack.messages.exports import progress_message
from bot.slack_web import slack_error_code

logger = logging.getLogger(__name__)


class ProgressSteps:
    """Post or update a job's DM message, for ExportQueue: uses its store, options, claims and row helpers."""

    def _show_queue(self) -> None:
        """Everyone still in line moved up one: update their messages (never post: the holder does that)."""
        for other in self.store.export_jobs.queued_ids():
            self._show(other, force=True, held=False)

    def _show(self, job_id: int, *, force: bool = False, held: bool = True, **live: Any) -> None:
        """Post or update the job's DM message; throttled unless forced. Slack trouble here never fails the job."""
        with self._cond:
            live_state = self._live.get(job_id)
        now = time.monotonic()
        if live_state is not None:
            if not force and now - live_state.last_update < self.options.progress_interval_s:
                return
            live_state.last_update = now
        with self._msg_lock:
            lock = self._msg_locks.setdefault(job_id, threading.Lock()) if held else threading.Lock()
        # one writer per message, reading the row inside the lock, so a stale state never overwrites a newer one
        with lock:
            job = self._job(job_id)
            if not held and (job.get("worker") or not job.get("message_ts")):
                return  # another worker holds it (or will post it): its messages are that worker's
            if held and (job.get("worker") != self.worker_id or job.get("claim_gen") != self._gen(job_id)):
                raise LostClaim(job_id)  # taken over: the message is the new holder's now, never overwritten
            if job["state"] == "queued" and "ahead" not in live:
                live["ahead"] = self.position(job_id)
            message = progress_message(job, sandbox=self.settings.sandbox_mode, **live)
            try:
                slack = self._slack_for(job)
                if not job.get("message_ts"):
                    self._gen(job_id)  # only the holder posts the first message
                    ts = slack.chat_postMessage(channel=self._dm_channel(job), **message)["ts"]
                    self._set(job_id, message_ts=ts)
                    return
                try:
                    slack.chat_update(channel=job["dm_channel"], ts=job["message_ts"], **message)
                except SlackApiError:
                    if job["state"] not in ("done", "failed"):
                        raise
                    # the outcome must reach the requester even if the progress message is gone
                    slack.chat_postMessage(channel=job["dm_channel"], **message)
            except LostClaim:
                raise
            except SlackApiError as exc:
                logger.warning("export %s: progress message failed: %s", job_id, slack_error_code(exc))
            except Exception as exc:
                logger.warning("export %s: progress message failed: %s", job_id, type(exc).__name__)

    def _dm_channel(self, job: dict) -> str:
        if job.get("dm_channel"):
            return job["dm_channel"]
        channel = self._slack_for(job).conversations_open(users=job["user_id"])["channel"]["id"]
        self._set(job["id"], dm_channel=channel)
        job["dm_channel"] = channel
        return channel
