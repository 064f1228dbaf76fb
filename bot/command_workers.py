"""Who answers /lexer commands: one queue in the store, served round-robin by worker processes or this one.

Slack wants an ack within 3 s, and Lexer allows 100 requests every 5 minutes.
The web process acks, writes the command to the store's queue (so a restart or a
dead worker loses nothing) and tells the user at once when the answer must wait
for Lexer's budget. Dispatchers, in worker processes (`serve --workers N`) or in
the web process (`--workers 0`), take commands round-robin across users while the
budget has room, and answer through response_url, replacing the queued notice.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import queue as queue_module
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.commands import Reply
from bot.config import Settings
from bot.errors import RateLimitedError
from bot.lexer.budget import (
    ANSWER_WITHIN_S,
    REQUESTS_PER_COMMAND,
    fair_position,
    queued_notice,
    try_later_notice,
    wait_for_slots,
)
from bot.slack.messages.help import command_failed_message
from bot.slack.parsing.usage import COMMAND_ALIASES, COMMANDS
from bot.store.backend import unavailable
from bot.store.command_queue import Line
from bot.tenancy import request_workspace

logger = logging.getLogger(__name__)
T = TypeVar("T")

# a command whose answering ended its worker (or failed) this often is not tried again: its asker is told
MAX_ATTEMPTS = 3
WORKER_THREADS = 8  # per dispatcher: replies wait on Lexer and Slack far more than they compute
WORKSPACE_SHARE = 4  # distribution mode: one workspace's commands hold at most 1/4 of a dispatcher's threads
WORKER_NICENESS = 10
FALLBACK_THREADS = 4  # a command answered on the spot by a process without a dispatcher
LEASE_S = 30.0  # a command whose dispatcher stopped refreshing this long is served by another
POLL_S = 0.1
IDLE_POLL_S = 1.0  # an empty queue is looked at again this often; a new command wakes the dispatcher at once
ANSWERED_KEPT_S = 3600.0  # an answered or refused command (its text) is deleted this long after it was taken up
NOTICE_AFTER_S = 5.0  # answers expected later than this get the queued notice at once
MONITOR_S = 0.25
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


def _exit_with_parent(parent_pid: int) -> None:
    """A worker whose web process is gone (killed, crashed) exits instead of waiting forever."""
    import time

    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def _lower_priority() -> None:
    """Acks have Slack's 3 s deadline and replies do not: when cores are scarce, the web process goes first."""
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):
        pass


def process_worker_prefix(pid: int | None = None) -> str:
    """The worker id prefix of a process (bot.deps.default_worker_id is host:pid)."""
    return f"{socket.gethostname()}:{pid or os.getpid()}"


def shown_command(text: str) -> str | None:
    """A command as a message may name it: its name, and "…" for the rest (which may hold something pasted by
    mistake); None when the first word is no command of ours."""
    words = text.split()
    name = words[0].lower() if words else ""
    if name not in COMMANDS and name not in COMMAND_ALIASES:
        return None
    return name + (" …" if len(words) > 1 else "")


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

    def _snapshot(self, limiter):
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
        limiter = getattr(self._api_of(workspace), "limiter", None)
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
        workspace = request_workspace(job) if self.deps.tenancy is not None else ""
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


def workspace_bound(threads: int) -> int:
    """The threads of a dispatcher one workspace's commands may hold at once.

    Each workspace asks its own Lexer: one whose Lexer takes 20 s an answer would otherwise hold every thread
    with its commands while the other workspaces' answers, seconds each, wait behind them."""
    return max(1, threads // WORKSPACE_SHARE)


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
            _post_notice(deps, url, "Sorry — this one could not be answered in time. Please ask again.")
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
            _post_notice(deps, url, notice)
        return True

    def stop(self) -> None:
        self._stop.set()
        if len(self):
            logger.error("stopping with %d command(s) the database never took; they are not answered", len(self))


def _post_notice(deps, response_url: str | None, text: str) -> None:
    if not response_url:
        return
    try:
        deps.responder.post(response_url, {"response_type": "ephemeral", "text": text})
    except Exception:
        logger.warning("could not post a held command's notice", exc_info=True)


class CommandDispatcher:
    """Take queued commands while Lexer's budget has room for them, answer each, and keep their leases.

    In distribution mode a workspace holds at most `workspace_bound(threads)` of the threads: its further
    commands stay queued, and the next free thread takes another workspace's command instead.
    """

    def __init__(self, deps, runner, *, threads: int = WORKER_THREADS, answer: Callable[..., Any] | None = None):
        from bot.listeners.commands import answer_command

        self.deps = deps
        self.runner = runner
        self.threads = threads
        self.answer = answer or answer_command
        self.worker = f"{deps.worker_id}:dispatch"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy = threading.Semaphore(threads)
        self._not_started: set[int] = set()  # claimed and handed to the pool, not yet running
        self._per_workspace = workspace_bound(threads) if getattr(deps, "tenancy", None) is not None else None
        self._held: Counter[str] = Counter()  # workspace -> its commands claimed and not yet done (under _claims)
        self._claims = threading.Lock()
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="lexer-cmd")
        self._thread = threading.Thread(target=self._loop, name="lexer-dispatch", daemon=True)

    def start(self) -> CommandDispatcher:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _room(self) -> float:
        """0 when a command may start now; else seconds to wait for the budget."""
        limiter = getattr(self.deps.api, "limiter", None)
        if limiter is None:
            return 0.0
        snap = limiter.snapshot()
        if snap.paused_for_s > 0:
            return snap.paused_for_s
        if snap.command_room > 0:
            return 0.0
        return max(POLL_S, wait_for_slots(1, 0, snap.slot_ends, limiter.clock(), snap.limit, snap.window_s))

    def _loop(self) -> None:
        queue = self.deps.store.command_queue
        last_lease = 0.0
        failed_at = -math.inf  # when a step last failed (the database did not answer, most likely)
        while not self._stop.is_set():
            try:
                now = self.deps.now().timestamp()
                if now - last_lease > LEASE_S / 3:
                    queue.extend(self.worker, now + LEASE_S)
                    # a dispatcher on a host that is gone: its commands go back in line. Not just after an outage:
                    # no dispatcher could renew its leases meanwhile, and the others, alive and answering, renew
                    # theirs within LEASE_S / 3 of the database's return (else theirs are answered twice)
                    if now - failed_at > LEASE_S / 3 + IDLE_POLL_S:
                        queue.requeue_expired(now)
                    queue.prune(now - ANSWERED_KEPT_S)
                    last_lease = now
                # a free thread first, then Lexer's window: while every thread is busy, the window is not read
                if not self._busy.acquire(timeout=POLL_S):
                    continue
                try:
                    idle_s = self._claim_one(queue, now)
                except BaseException:
                    self._busy.release()  # a failed step gives its thread back, or hiccups would use them all up
                    raise
                if idle_s:
                    self._wake.wait(idle_s)
                    self._wake.clear()
            except Exception as exc:  # a database hiccup must not end the dispatcher
                logger.exception("command dispatcher step failed")
                if unavailable(exc):
                    failed_at = self.deps.now().timestamp()
                self._stop.wait(1.0)

    def _claim_one(self, queue, now: float) -> float:
        """With a thread held: claim a command and hand it (and the thread) to the pool, and return 0; or give
        the thread back and return how long to wait (Lexer's window is closed, or nothing is queued)."""
        wait = self._room()
        job = queue.claim_next(self.worker, now, LEASE_S, skip_workspaces=self._full()) if wait <= 0 else None
        if job is None:
            self._busy.release()
            return min(wait, 1.0) if wait > 0 else IDLE_POLL_S
        with self._claims:
            self._not_started.add(job["id"])
            self._held[self._workspace_of(job)] += 1
        self._pool.submit(self._run, job)
        return 0.0

    def _workspace_of(self, job: dict) -> str:
        """The workspace a claimed command belongs to ('' in single-workspace mode: no bound applies)."""
        return request_workspace(job) if self._per_workspace is not None else ""

    def _full(self) -> list[str]:
        """Workspaces holding their share of the threads: their commands wait for one of them to finish."""
        if self._per_workspace is None:
            return []
        with self._claims:
            return [ws for ws, n in self._held.items() if n >= self._per_workspace]

    def _done(self, job: dict) -> None:
        ws = self._workspace_of(job)
        with self._claims:
            self._held[ws] -= 1
            if self._held[ws] <= 0:
                del self._held[ws]

    def _run(self, job: dict) -> None:
        queue = self.deps.store.command_queue
        with self._claims:
            self._not_started.discard(job["id"])
        try:
            if job.get("attempts", 0) > MAX_ATTEMPTS:  # its answering ended a worker (or failed) each time
                self._give_up(job)
                return
            outcome = self.answer(self.deps, self.runner, job, self.deps.slack, defer_busy=True)
            if isinstance(outcome, RateLimitedError):
                now = self.deps.now().timestamp()
                self._settle(lambda: queue.defer(job["id"], self.worker, now + (outcome.retry_after or 5.0)))
            else:
                self._settle(lambda: queue.finish(job["id"], self.worker))
        except Exception as exc:
            # stopping (clients closed under it) or a passing fault: back in line rather than lost, up to
            # MAX_ATTEMPTS tries, so one poisonous command cannot loop forever; a database outage met on the way
            # is not the command's fault and does not count
            logger.exception("answering queued command %s failed", job["id"])
            attempted = not unavailable(exc)
            if job.get("attempts", 0) < MAX_ATTEMPTS or not attempted:
                self._settle(
                    lambda: queue.defer(job["id"], self.worker, self.deps.now().timestamp() + 5.0, attempted=attempted)
                )
            else:
                self._give_up(job)
        finally:
            self._done(job)
            self._busy.release()
            self._wake.set()

    def _give_up(self, job: dict) -> None:
        """Tell the asker their command failed, once; it is not run again (its text is not logged: it may hold
        something pasted by mistake)."""
        from bot.listeners.commands import send_reply

        if not self._settle(lambda: self.deps.store.command_queue.finish(job["id"], self.worker, "failed")):
            return  # another dispatcher holds it now
        logger.error(
            "queued command %s failed %d times; its asker is told, and it is not tried again",
            job["id"],
            min(job.get("attempts", 0), MAX_ATTEMPTS),
        )
        shown = shown_command(job.get("text") or "")
        try:
            send_reply(
                self.deps.responder,
                job.get("response_url"),
                Reply(command_failed_message(shown)),
                client=self.deps.slack if getattr(self.deps, "tenancy", None) is None else None,
                channel_id=job.get("channel_id"),
                user_id=job.get("user_id"),
                delivery=job.get("delivery"),
                replace=bool(job.get("notice_shown")) or job.get("attempts", 0) > 1,
            )
        except Exception:
            logger.exception("could not tell the asker of queued command %s that it failed", job["id"])

    def _settle(self, step: Callable[[], T]) -> T:
        """A command's last write (finished, or back in line), tried again while the database is down: left
        `running`, it would keep this dispatcher's lease and never be answered, or be answered twice."""
        delay = 0.5
        while True:
            try:
                return step()
            except Exception as exc:
                if not unavailable(exc) or self._stop.is_set():
                    raise
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._claims:  # claimed but never started: back in line at once for the next process
            for job_id in self._not_started:
                self.deps.store.command_queue.defer(job_id, self.worker, 0.0)


class InProcessCommands:
    """`serve --workers 0`: the web process queues and answers its commands itself."""

    def __init__(self, deps, runner):
        self.dispatcher = CommandDispatcher(deps, runner).start()
        self.intake = CommandIntake(deps, self.dispatcher.wake)

    def take(self, job: dict, on_queued: Callable[[], object] | None = None) -> str | None:
        return self.intake.take(job, on_queued)

    def hold(self, job: dict) -> None:
        self.intake.held.add(job)

    def alive(self) -> int:
        return int(self.dispatcher.alive())

    def stop(self, timeout: float = 5.0) -> None:
        self.intake.held.stop()
        self.dispatcher.stop()


def serve_command_jobs(running, wakes, parent_pid: int) -> None:
    """A worker process's loop: a dispatcher on its own Deps, woken by the web process, until told to stop."""
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    _lower_priority()
    dispatcher = CommandDispatcher(running.deps, running.runner).start()
    try:
        while True:
            try:
                signal = wakes.get(timeout=1.0)
            except queue_module.Empty:
                continue
            if signal is None:
                break
            dispatcher.wake()
    finally:
        dispatcher.stop()


class CommandWorkerPool:
    """N worker processes serving the store's queue; one that dies is replaced at once and its commands freed."""

    def __init__(
        self,
        settings: Settings,
        processes: int = 1,
        *,
        target: Callable[[Settings, Any, int], None],
        intake_deps=None,
    ):
        self.settings = settings
        self.target = target  # the worker process's main (bot.cli.command_worker_main): it builds its own Deps
        self.size = processes
        self._ctx = multiprocessing.get_context("spawn")  # no forked locks or sockets from the web process
        self._wakes = self._ctx.Queue()
        self._procs: list = []
        self._lock = threading.Lock()
        self._closed = False
        self._fallback = ThreadPoolExecutor(FALLBACK_THREADS, thread_name_prefix="lexer-fallback")
        self.deps = intake_deps
        self.intake = CommandIntake(intake_deps, self._wake_one) if intake_deps is not None else None
        self._monitor = threading.Thread(target=self._watch, name="lexer-worker-monitor", daemon=True)

    def start(self) -> CommandWorkerPool:
        with self._lock:
            for _ in range(self.size):
                self._procs.append(self._spawn())
        self._monitor.start()
        return self

    def _spawn(self):
        proc = self._ctx.Process(
            target=self.target, args=(self.settings, self._wakes, os.getpid()), name="lexer-bot-commands", daemon=True
        )
        proc.start()
        return proc

    def _replace_dead(self) -> None:
        with self._lock:
            if self._closed:
                return
            for i, proc in enumerate(self._procs):
                if proc.is_alive():
                    continue
                logger.warning("command worker exited with %s; starting another", proc.exitcode)
                if self.deps is not None:  # its commands go back in line for the other workers (and the new one)
                    freed = self.deps.store.command_queue.release_worker(process_worker_prefix(proc.pid) + ":")
                    if freed:
                        logger.info("%d command(s) of the dead worker back in line", freed)
                self._procs[i] = self._spawn()

    def _watch(self) -> None:
        while not self._closed:
            try:
                self._replace_dead()
            except Exception:
                logger.exception("command worker monitor failed")
            threading.Event().wait(MONITOR_S)

    def _wake_one(self) -> None:
        try:
            self._wakes.put_nowait("wake")
        except (queue_module.Full, ValueError, OSError):
            pass  # the dispatchers poll the store anyway

    def alive(self) -> int:
        self._replace_dead()
        with self._lock:
            return sum(1 for p in self._procs if p.is_alive())

    def take(self, job: dict, on_queued: Callable[[], object] | None = None) -> str | None:
        """Queue a command in the store for the workers; the notice to show now, if any."""
        if self.intake is None:
            raise RuntimeError("this pool was started without the store to queue commands in")
        return self.intake.take(job, on_queued)

    def hold(self, job: dict) -> None:
        """Keep a command the database could not take, and queue it once it does (HeldCommands)."""
        if self.intake is None:
            raise RuntimeError("this pool was started without the store to queue commands in")
        self.intake.held.add(job)

    def answer_here(self, fn: Callable[..., None], *args: Any) -> None:
        """Run fn(*args) in this process, on the bounded fallback pool."""
        try:
            self._fallback.submit(fn, *args)
        except RuntimeError:  # the pool is stopping with the process: answer on this thread rather than drop it
            fn(*args)

    def stop(self, timeout: float = 5.0) -> None:
        if self.intake is not None:
            self.intake.held.stop()
        self._fallback.shutdown(wait=False)
        with self._lock:
            self._closed = True
            for _ in self._procs:
                try:
                    self._wakes.put_nowait(None)
                except (ValueError, OSError):
                    pass
            for proc in self._procs:
                proc.join(timeout)
                if proc.is_alive():
                    proc.terminate()
