"""Worker processes that answer /lexer commands, so the web process spends its CPU on acks.

Slack wants an ack within 3 s. Under a burst, a Python web process that also
builds the replies shares one GIL between acks and report building, and acks
queue behind the work. The web process acks, hands the command (four strings)
to a worker process over a queue, and the worker answers through response_url.
If no worker is alive, the web process answers in-process as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue as queue_module
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.config import Settings

logger = logging.getLogger(__name__)

WORKER_THREADS = 8  # per worker process: replies wait on Lexer and Slack far more than they compute
WORKER_NICENESS = 10
# with no worker alive the web process answers itself, on this many threads at most: a burst waits its turn
# (Slack's response_url stays valid for 30 minutes) instead of starting a thread per command
FALLBACK_THREADS = 4


def _exit_with_parent(parent_pid: int) -> None:
    """A worker whose web process is gone (killed, crashed) exits instead of waiting forever."""
    import os
    import time

    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def _lower_priority() -> None:
    """Acks have Slack's 3 s deadline and replies do not: when cores are scarce, the web process goes first."""
    import os

    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):
        pass


def serve_command_jobs(running, jobs, parent_pid: int) -> None:
    """The worker loop: answer each queued /lexer request on this process's own Deps until told to stop."""
    from bot.listeners.commands import answer_command

    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    _lower_priority()
    deps = running.deps
    with ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="lexer-cmd") as pool:
        while True:
            job = jobs.get()
            if job is None:
                break
            pool.submit(answer_command, deps, running.runner, job, deps.slack)


class CommandWorkerPool:
    """N worker processes fed by one queue; restarted when one dies."""

    def __init__(self, settings: Settings, processes: int = 1, *, target: Callable[[Settings, Any, int], None]):
        self.settings = settings
        self.target = target  # the worker process's main (bot.cli.command_worker_main): it builds its own Deps
        self.size = processes
        self._ctx = multiprocessing.get_context("spawn")  # no forked locks or sockets from the web process
        self._jobs = self._ctx.Queue()
        self._procs: list = []
        self._lock = threading.Lock()
        self._closed = False
        self._fallback = ThreadPoolExecutor(FALLBACK_THREADS, thread_name_prefix="lexer-fallback")

    def start(self) -> CommandWorkerPool:
        with self._lock:
            for _ in range(self.size):
                self._procs.append(self._spawn())
        return self

    def _spawn(self):
        import os

        proc = self._ctx.Process(
            target=self.target, args=(self.settings, self._jobs, os.getpid()), name="lexer-bot-commands", daemon=True
        )
        proc.start()
        return proc

    def alive(self) -> int:
        with self._lock:
            if not self._closed:
                for i, proc in enumerate(self._procs):
                    if not proc.is_alive():
                        logger.warning("command worker exited with %s; starting another", proc.exitcode)
                        self._procs[i] = self._spawn()
            return sum(1 for p in self._procs if p.is_alive())

    def submit(self, job: dict) -> bool:
        """Queue a command; False when no worker can take it (the caller answers itself)."""
        if self._closed or not any(p.is_alive() for p in self._procs):
            return False
        try:
            self._jobs.put_nowait(job)
            return True
        except (queue_module.Full, ValueError, OSError):
            return False

    def answer_here(self, fn: Callable[..., None], *args: Any) -> None:
        """Run fn(*args) in this process, on the bounded fallback pool (no worker could take the command)."""
        try:
            self._fallback.submit(fn, *args)
        except RuntimeError:  # the pool is stopping with the process: answer on this thread rather than drop it
            fn(*args)

    def stop(self, timeout: float = 5.0) -> None:
        self._fallback.shutdown(wait=False)
        with self._lock:
            self._closed = True
            for _ in self._procs:
                try:
                    self._jobs.put_nowait(None)
                except (ValueError, OSError):
                    pass
            for proc in self._procs:
                proc.join(timeout)
                if proc.is_alive():
                    proc.terminate()
