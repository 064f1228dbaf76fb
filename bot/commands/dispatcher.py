"""The worker side: a dispatcher takes queued /lexer requests while Lexer's budget has room for them, has the
answering service build each reply (bot/commands/answer.py) and the reply sender post it (bot/commands/reply.py).

Dispatchers run in worker processes (`serve --workers N`, bot/commands/pool.py) or in the web process
(`--workers 0`, bot/commands/in_process.py); they take commands round-robin across users and answer through
response_url, replacing the queued notice.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any, TypeVar

from bot.commands.answer import CommandRunner, Reply, answer_request
from bot.commands.queue import WORKER_THREADS
from bot.commands.reply import post_notice, send_job_reply
from bot.deps import Deps
from bot.errors import RateLimitedError
from bot.lexer.budget import queued_notice, wait_for_slots
from bot.slack.messages.help import command_failed_message
from bot.slack.parsing.usage import COMMAND_ALIASES, COMMANDS
from bot.store.backend import unavailable
from bot.tenancy import workspace_key_of

logger = logging.getLogger(__name__)
T = TypeVar("T")

# a command whose answering ended its worker (or failed) this often is not tried again: its asker is told
MAX_ATTEMPTS = 3
WORKSPACE_SHARE = 4  # distribution mode: one workspace's commands hold at most 1/4 of a dispatcher's threads
LEASE_S = 30.0  # a command whose dispatcher stopped refreshing this long is served by another
POLL_S = 0.1
IDLE_POLL_S = 1.0  # an empty queue is looked at again this often; a new command wakes the dispatcher at once
ANSWERED_KEPT_S = 3600.0  # an answered or refused command (its text) is deleted this long after it was taken up


def shown_command(text: str) -> str | None:
    """A command as a message may name it: its name, and "…" for the rest (which may hold something pasted by
    mistake); None when the first word is no command of ours."""
    words = text.split()
    name = words[0].lower() if words else ""
    if name not in COMMANDS and name not in COMMAND_ALIASES:
        return None
    return name + (" …" if len(words) > 1 else "")


def workspace_bound(threads: int) -> int:
    """The threads of a dispatcher one workspace's commands may hold at once.

    Each workspace asks its own Lexer: one whose Lexer takes 20 s an answer would otherwise hold every thread
    with its commands while the other workspaces' answers, seconds each, wait behind them."""
    return max(1, threads // WORKSPACE_SHARE)


def answer_command(
    deps: Deps, runner: CommandRunner, job: dict, client, *, defer_busy: bool = False
) -> RateLimitedError | None:
    """Answer one /lexer request (bot.commands.queue.COMMAND_FIELDS) and send its reply; never raises.

    With defer_busy (the store's queue), a closed Lexer window is not answered: the user gets the queued
    notice (once) and the error comes back for the queue to try again when the window opens.
    """
    # distribution mode: the workspace's clients stay open until this answer is delivered, even if its tokens
    # change meanwhile
    held = deps.tenancy.lease(workspace_key_of(job)) if deps.tenancy is not None else nullcontext()
    with held:
        answered = answer_request(deps, runner, job, client, defer_busy=defer_busy)
        if answered.busy is not None:
            if not job.get("notice_shown"):
                wait = answered.busy.retry_after or 60.0
                post_notice(answered.deps.responder, job.get("response_url"), queued_notice(math.ceil(wait / 60), 1))
            return answered.busy
        reply = answered.reply or Reply({})
        send_job_reply(answered.deps.responder, job, reply, client=answered.client)
        if reply.after is not None:
            try:
                reply.after()
            except Exception:
                logger.exception("follow-up work after /lexer failed")
    return None


class CommandDispatcher:
    """Take queued commands while Lexer's budget has room for them, answer each, and keep their leases.

    In distribution mode a workspace holds at most `workspace_bound(threads)` of the threads: its further
    commands stay queued, and the next free thread takes another workspace's command instead.
    """

    def __init__(self, deps, runner, *, threads: int = WORKER_THREADS, answer: Callable[..., Any] | None = None):
        self.deps = deps
        self.runner = runner
        self.threads = threads
        self.answer = answer or answer_command
        self.worker = f"{deps.worker_id}:dispatch"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy = threading.Semaphore(threads)
        self._not_started: set[int] = set()  # claimed and handed to the pool, not yet running
        self._per_workspace = workspace_bound(threads) if deps.tenancy is not None else None
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
        limiter = self.deps.api.limiter if self.deps.api is not None else None
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
        return workspace_key_of(job) if self._per_workspace is not None else ""

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
        if not self._settle(lambda: self.deps.store.command_queue.finish(job["id"], self.worker, "failed")):
            return  # another dispatcher holds it now
        logger.error(
            "queued command %s failed %d times; its asker is told, and it is not tried again",
            job["id"],
            min(job.get("attempts", 0), MAX_ATTEMPTS),
        )
        shown = shown_command(job.get("text") or "")
        try:
            send_job_reply(
                self.deps.responder,
                job,
                Reply(command_failed_message(shown)),
                client=self.deps.slack if self.deps.tenancy is None else None,
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
