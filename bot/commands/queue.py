"""The command line, web side: an ack writes the /lexer request to the store's queue (the durable line: a restart
or a dead worker loses nothing) and says at once when its answer must wait for Lexer's budget; a request the
database could not take is held here and written once it answers (HeldCommands).

Slack wants an ack within 3 s, and Lexer allows 100 requests every 5 minutes; the dispatchers
(bot/commands/dispatcher.py) take the line round-robin across users while the budget has room.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from bot.commands.reply import post_notice
from bot.lexer.budget import (
    ANSWER_WITHIN_S,
    REQUESTS_PER_COMMAND,
    fair_position,
    queued_notice,
    try_later_notice,
    wait_for_slots,
)
from bot.lexer.rate_limit import StoreRateLimiter
from bot.store.command_queue import Line
from bot.tenancy import workspace_key_of

logger = logging.getLogger(__name__)

# the fields of a /lexer request the queue keeps; a report control's click (bot.features.reports ACTIONS) adds
# "delivery": how its answer goes back
COMMAND_FIELDS = (
    "user_id",
    "channel_id",
    "text",
    "response_url",
    "trigger_id",
    "team_id",
    "enterprise_id",
    "is_enterprise_install",
)
WORKER_THREADS = 8  # per dispatcher: replies wait on Lexer and Slack far more than they compute
NOTICE_AFTER_S = 5.0  # answers expected later than this get the queued notice at once
# an ack's estimate may read Lexer's window and the queue's line this old: a burst's acks share one read of each
# (the line with the commands this process queued since), so each ack writes its command in one round trip
ESTIMATE_SNAPSHOT_S = 0.5
# acks writing to the store at once, per process: Bolt runs up to 64 listeners, and 16 acks of a burst on one
# SQLite write lock spent their time in its busy handler's sleeps (ack p99 238 ms in bench/ack_latency.py;
# 134 ms with four at a time, the rest waiting their turn here)
INTAKE_AT_ONCE = 4
INTAKE_TURN_WAIT_S = 1.0  # an ack waits this long at most for its turn (a stuck database must not hold them all)
HOLD_RETRY_S = 1.0  # a command the database could not take is offered to it again this often
HOLD_FOR_S = 25 * 60.0  # ... until its response_url (valid 30 minutes) is nearly spent; then the user is told


class CommandLine(Protocol):
    """What the listeners hand /lexer requests to: worker processes (CommandWorkerPool) or this one
    (InProcessCommands)."""

    def take(self, job: dict, on_queued: Callable[[], object] | None = None) -> str | None: ...

    def hold(self, job: dict) -> None: ...

    def alive(self) -> int: ...

    def stop(self, timeout: float = 5.0) -> None: ...


class _Recent:
    """One value per key, read again when older than `max_age_s` (by the clock each caller passes)."""

    def __init__(self, max_age_s: float):
        self.max_age_s = max_age_s
        self._values: dict[Any, tuple[float, Any]] = {}  # key -> (read at, value)
        self._lock = threading.Lock()

    def get(self, key: Any, now: float, read: Callable[[], Any], view: Callable[[Any], Any] = lambda v: v) -> Any:
        """`view` of the kept value (taken under the lock, so a copy cannot meet a `change`)."""
        with self._lock:
            at, value = self._values.get(key, (None, None))
            if at is not None and 0 <= now - at <= self.max_age_s:
                return view(value)
        value = read()  # outside the lock: one slow read does not hold the others' fresh values
        with self._lock:
            self._values[key] = (now, value)
            return view(value)

    def change(self, key: Any, change: Callable[[Any], None]) -> None:
        """Change the kept value in place (nothing when none is kept)."""
        with self._lock:
            if key in self._values:
                change(self._values[key][1])


class CommandIntake:
    """The web side: queue a command in the store and say at once when its answer must wait."""

    def __init__(
        self,
        deps,
        wake: Callable[[], None],
        threads: int = WORKER_THREADS,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.deps = deps
        self.wake = wake
        self.threads = threads
        self.clock = clock  # the line's age (Lexer's window ages by its limiter's clock)
        self._snapshots = _Recent(ESTIMATE_SNAPSHOT_S)  # limiter key -> Lexer's window (by the limiter's clock)
        self._lines = _Recent(ESTIMATE_SNAPSHOT_S)  # workspace (None: all) -> the line, with what we queued since
        self._gate = threading.Semaphore(INTAKE_AT_ONCE)
        self.held = HeldCommands(self)

    def _line(self, workspace: str | None) -> Line:
        """The queue's line for an estimate: at most ESTIMATE_SNAPSHOT_S old, with what this process queued since.

        Commands other replicas queued in that half second are not in it: the estimate is a courtesy, and a
        burst's acks reading the whole line each (every one a scan of every waiting command) was most of their
        work on the database. A copy: `_queued` changes the kept line while other acks read theirs."""
        return self._lines.get(
            workspace, self.clock(), lambda: self.deps.store.command_queue.line(workspace), view=Line.copy
        )

    def _queued(self, workspace: str | None, user_id: str, text: str) -> None:
        """A command this process queued joins the line its next estimates read."""

        def join(line: Line) -> None:
            line.queued_per_user[user_id] = line.queued_per_user.get(user_id, 0) + 1
            line.texts.add(text)

        self._lines.change(workspace, join)

    def _snapshot(self, limiter: StoreRateLimiter):
        """Lexer's window for an estimate: at most ESTIMATE_SNAPSHOT_S old (the send itself always reads it)."""
        return self._snapshots.get(limiter.key, limiter.clock(), limiter.snapshot)

    def _api_of(self, workspace: str):
        """The Lexer client a command of this workspace is answered with (None: it needs no Lexer call)."""
        tenancy = self.deps.tenancy
        if tenancy is None:
            return self.deps.api
        if not workspace or not tenancy.connected(workspace):
            return None  # answered with how to connect, from the database alone
        ws = tenancy.deps_for(workspace)
        return ws.api if ws is not None else None

    def _line_of(self, workspace: str) -> str | None:
        """Whose line a command joins: its workspace's in distribution mode, else the one line (None)."""
        return workspace if self.deps.tenancy is not None else None

    def eta_s(self, user_id: str, text: str = "", workspace: str = "") -> tuple[float, int]:
        """(seconds until this user's new command can be answered, its place in line).

        In distribution mode the wait is the workspace's own: its Lexer token's window and its line.
        """
        line = self._line(self._line_of(workspace))
        position = fair_position(line.queued_per_user, user_id)
        api = self._api_of(workspace)
        limiter = api.limiter if api is not None else None
        if limiter is None:
            return 0.0, position
        snap = self._snapshot(limiter)
        now = limiter.clock()
        # identical questions ahead are answered by one flight and the shared cache: count each once
        distinct = len(line.texts) + (0 if text in line.texts else 1)
        needed = min(position + line.running, distinct) * REQUESTS_PER_COMMAND
        wait = wait_for_slots(needed, snap.command_room, snap.slot_ends, now, max(1, snap.limit), snap.window_s)
        return max(wait, snap.paused_for_s), position

    def take(self, job: dict, on_queued: Callable[[], object] | None = None) -> str | None:
        """Queue the command; the notice to show now (queued, or when to try), None when it is answered at once.

        `on_queued` is called as soon as the command is in the store (its answer will come)."""
        turn = self._gate.acquire(timeout=INTAKE_TURN_WAIT_S)  # INTAKE_AT_ONCE at a time
        try:
            return self._queue(job, on_queued)
        finally:
            if turn:
                self._gate.release()

    def _queue(self, job: dict, on_queued: Callable[[], object] | None = None) -> str | None:
        now = self.deps.now().timestamp()
        queue = self.deps.store.command_queue
        workspace = workspace_key_of(job) if self.deps.tenancy is not None else ""
        try:
            eta, position = self.eta_s(job.get("user_id") or "", job.get("text") or "", workspace)
        except Exception:  # the estimate is a courtesy: never lose the command over it
            logger.warning("could not estimate the queue wait", exc_info=True)
            eta, position = 0.0, 1
        if eta > ANSWER_WITHIN_S:
            queue.record_refused(job, now, workspace=workspace)
            return try_later_notice(math.ceil((eta - ANSWER_WITHIN_S) / 60) + 1)
        notice = None
        if eta > NOTICE_AFTER_S or position > self.threads:
            notice = queued_notice(math.ceil(eta / 60), position)
        queue.enqueue(job, now, notice_shown=notice is not None, workspace=workspace)
        if on_queued is not None:
            on_queued()
        self._queued(self._line_of(workspace), job.get("user_id") or "", job.get("text") or "")
        self.wake()
        return notice


class HeldCommands:
    """Commands acked while the database could not take them (a restart, an outage), kept in this web process and
    written to the queue, in order, once it answers: the dispatchers then answer each once.

    In memory only: a web process that stops during the outage loses what it holds (logged), as it would lose
    the request itself had the database been down before the ack."""

    def __init__(self, intake: CommandIntake):
        self.intake = intake
        # (held at, by the intake's clock and by the deps' (the queue's times); the command's fields)
        self._jobs: list[tuple[float, float, dict]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, job: dict) -> None:
        with self._lock:
            self._jobs.append((self.intake.clock(), self.intake.deps.now().timestamp(), job))
            if self._thread is None:
                self._thread = threading.Thread(target=self._write_when_back, name="lexer-held-commands", daemon=True)
                self._thread.start()
        logger.warning("the database did not take a command; holding it here until it does")

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)

    def _write_when_back(self) -> None:
        while not self._stop.wait(HOLD_RETRY_S):
            while not self._stop.is_set():
                with self._lock:
                    if not self._jobs:
                        self._thread = None  # under the lock: the next add() starts a new one
                        return
                    at, since, job = self._jobs[0]
                if not self._write(at, since, job):
                    break  # still down: try again in HOLD_RETRY_S
                with self._lock:
                    self._jobs.pop(0)

    def _write(self, at: float, since: float, job: dict) -> bool:
        """Queue one held command; False while the database still does not answer."""
        deps = self.intake.deps
        url = job.get("response_url")
        if self.intake.clock() - at > HOLD_FOR_S:
            logger.error("a command held since the database stopped answering is dropped: too late to answer")
            post_notice(deps.responder, url, "Sorry — this one could not be answered in time. Please ask again.")
            return True
        try:
            if url and deps.store.command_queue.holds(url):
                return True  # the failed write landed after all: it is in line already
            if deps.store.command_queue.asked_since(job.get("user_id") or "", job.get("text") or "", since):
                # its ack said to try again if nothing came: the user did, and that one is answered
                logger.info("a held command was asked again since; the held one is dropped")
                return True
            notice = self.intake.take(job)
        except Exception as exc:
            logger.info("the database still does not take held commands (%s)", type(exc).__name__)
            return False
        logger.info("a held command is in line now")
        if notice:
            post_notice(deps.responder, url, notice)
        return True

    def stop(self) -> None:
        self._stop.set()
        if len(self):
            logger.error("stopping with %d command(s) the database never took; they are not answered", len(self))
