"""Deps: the one frozen object every feature, listener and clock job stands on; built in bot/compose.py."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.lexer.client import ActivityClient
    from bot.lexer.directory import Directory
    from bot.slack_web import ResponseUrlPoster, UserTimezones
    from bot.store import Store

logger = logging.getLogger(__name__)

LEASE_S = 300.0  # a digest claim not refreshed for this long belongs to a dead process


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Bell:
    """Lets a /lexer request wake a worker this process runs beside its Deps: the scheduler (`serve`, `socket`)
    after a subscription changes, the export workers after an export is queued.

    The worker is started after Deps is built (it needs Deps), so it attaches
    itself here; without one, ringing does nothing and the worker that runs
    elsewhere picks the change up at its next look at the database.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake: Callable[[], None] | None = None

    def attach(self, wake: Callable[[], None] | None) -> None:
        with self._lock:
            self._wake = wake

    def ring(self) -> None:
        with self._lock:
            wake = self._wake
        if wake is None:
            return
        try:
            wake()
        except Exception:  # a stopped worker: the next start picks the change up
            logger.debug("could not wake a worker", exc_info=True)


class DigestRenderer(Protocol):
    """What Deps needs of digests.render's renderer (built by the composition root): Deps stands below digests."""

    def render(self, ctx: Any) -> dict: ...


@dataclass(frozen=True)
class Deps:
    """Settings, the database, the Activity client, Slack and the shared helpers of one process."""

    settings: Settings
    store: Store
    api: ActivityClient
    slack: Any  # slack_sdk.WebClient; None for `lexer-bot ask` and `digest preview`
    directory: Directory
    timezones: UserTimezones
    responder: ResponseUrlPoster
    renderer: DigestRenderer
    now: Callable[[], datetime] = utc_now
    sleep: Callable[[float], None] = time.sleep
    worker_id: str = field(default_factory=default_worker_id)
    lease_s: float = LEASE_S
    clock: Bell = field(default_factory=Bell)  # the scheduler, woken by a subscription's change
    exports_bell: Bell = field(default_factory=Bell)  # the export workers, woken by a queued export
    export_options: Any = None  # bot.features.exports.QueueOptions: the export workers' timings (tests shrink them)
    workspace: str = ""  # the workspace key these Deps serve; '' = single-workspace mode
    tenancy: Any = None  # bot.tenancy.Tenancy in distribution mode: every workspace's Deps and admins


@dataclass
class Running:
    """What one process started on its Deps: the command runner, workers, scheduler and command pool.

    Not a dependency container: nothing reads its dependencies from here; it is the
    handle to stop the process's moving parts and to report them on /healthz.
    """

    deps: Deps
    runner: Any  # bot.commands.answer.CommandRunner
    workers: list = field(default_factory=list)
    scheduler: Any = None
    command_pool: Any = None
    listeners: Any = None  # the Bolt app's listener executor (bot.app), once `serve` has built the app

    def stop(self) -> None:
        """Stop workers and close clients so no thread or keep-alive outlives the process (or a test)."""
        if self.command_pool is not None:
            self.command_pool.stop()
        if self.listeners is not None:
            self.listeners.shutdown(wait=False)  # idle threads go now; a listener still running ends on its own
        for worker in self.workers:
            worker.stop()
        if self.scheduler is not None:
            self.deps.clock.attach(None)
            self.scheduler.shutdown(wait=False)
        close_deps(self.deps)


def close_deps(deps: Deps) -> None:
    if deps.tenancy is not None:
        deps.tenancy.close()
    deps.api.http.close()
    deps.api.download_http.close()
    deps.responder.close()
    deps.store.close()
