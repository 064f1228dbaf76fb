"""`serve --workers N`: N worker processes, each a dispatcher on its own Deps, serving the store's queue; the web
process queues commands for them and wakes one; a worker that dies is replaced at once and its commands freed."""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue as queue_module
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.commands.dispatcher import CommandDispatcher
from bot.commands.queue import CommandIntake
from bot.config import Settings

logger = logging.getLogger(__name__)

WORKER_NICENESS = 10
MONITOR_S = 0.25


def _exit_with_parent(parent_pid: int) -> None:
    """A worker whose web process is gone (killed, crashed) exits instead of waiting forever."""
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

    def stop(self, timeout: float = 5.0) -> None:
        if self.intake is not None:
            self.intake.held.stop()
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
