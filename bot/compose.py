"""The composition root: one process's Deps, each installed workspace's Deps (distribution mode), and what the
process starts beside them (the features' workers, the command workers, the scheduler). bot/cli.py calls it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.deps import Bell, Deps, Running, utc_now

if TYPE_CHECKING:
    from bot.slack_web import ResponseUrlPoster
    from bot.store import Store
    from bot.tenancy import Tenancy
    from digests.render import DigestRenderer


@dataclass(frozen=True)
class Shared:
    """What every Deps of a process shares: the database, the response poster, the renderer, the clock and the
    bells, and the overrides a test or a benchmark gives (sleep, worker_id, lease_s, …). No token of a workspace."""

    settings: Settings
    store: Store
    responder: ResponseUrlPoster
    renderer: DigestRenderer
    now: Callable[[], datetime]
    clock: Bell
    exports_bell: Bell
    export_options: Any
    overrides: Mapping[str, Any]

    def deps(self, **own: Any) -> Deps:
        """A Deps on these shared parts and its own (settings, store, api, slack, …)."""
        parts: dict[str, Any] = {
            "settings": self.settings,
            "store": self.store,
            "responder": self.responder,
            "renderer": self.renderer,
            "now": self.now,
            "clock": self.clock,
            "exports_bell": self.exports_bell,
            "export_options": self.export_options,
            **self.overrides,
            **own,
        }
        return Deps(**parts)


def build_deps(
    settings: Settings,
    *,
    with_slack: bool = True,
    slack_client=None,
    sandbox_app=None,
    api=None,
    store=None,
    now: Callable[[], datetime] | None = None,
    export_options=None,
    **overrides,
) -> Deps:
    """The one Deps of a process: database, Activity client, Slack client and the shared helpers."""
    from bot.lexer.build import build_activity_client
    from bot.lexer.directory import Directory
    from bot.slack_web import ResponseUrlPoster, UserTimezones, build_web_client
    from bot.store import open_store
    from digests.render import DigestRenderer
    from digests.reservations import reservations

    store = store or open_store(settings.db_path, secret_box(settings))
    # Lexer's budget by class (bot/lexer/budget.py): digests and alerts hold their share, queued commands wait
    api = api or build_activity_client(
        settings,
        store,
        sandbox_app=sandbox_app,
        reservations=lambda now: reservations(store, now),
        waiting=store.command_queue.waiting,
    )
    slack = slack_client if slack_client is not None else (build_web_client(settings) if with_slack else None)
    shared = Shared(
        settings=settings,
        store=store,
        responder=ResponseUrlPoster(),
        renderer=DigestRenderer(settings.templates_dir),
        now=now or utc_now,
        clock=Bell(),
        exports_bell=Bell(),
        export_options=export_options,
        overrides=overrides,
    )
    return shared.deps(
        api=api,
        slack=slack,
        directory=Directory(api),
        timezones=UserTimezones(slack, settings.tz),
        tenancy=build_tenancy(shared) if settings.distribution_mode else None,
    )


def build_tenancy(shared: Shared) -> Tenancy:
    """Distribution mode: each installed workspace's tokens and Deps, built from the shared parts on first use
    (rebuilt when its tokens change)."""
    from bot.lexer.build import build_activity_client
    from bot.tenancy import Tenancy

    return Tenancy(
        shared.store,
        make_deps=WorkspaceDepsFactory(shared),
        close_deps=close_workspace_deps,
        client_for_token=lambda token: build_activity_client(
            replace(shared.settings, lexer_api_token=token), shared.store, max_retries=1
        ),
    )


@dataclass(frozen=True)
class WorkspaceDepsFactory:
    """One installed workspace's Deps: its bot token, its Lexer token and its key, on the process's shared parts.

    Without a usable Lexer connection its client refuses every call (never the process's own client: that
    would show one customer's figures to another)."""

    shared: Shared

    def __call__(self, tenancy: Tenancy, key: str, installation, connection) -> Deps:
        from bot.lexer.build import build_activity_client, build_unconnected_client
        from bot.lexer.directory import Directory
        from bot.slack_web import UserTimezones, build_web_client
        from digests.reservations import reservations

        root_store = self.shared.store
        settings = replace(
            self.shared.settings,
            slack_bot_token=installation.bot_token,
            lexer_api_token=connection.token if connection is not None else None,
            admins=frozenset(),
        )
        store = root_store.for_workspace(key)
        api = (
            build_activity_client(
                settings,
                root_store,
                reservations=lambda now: reservations(store, now),
                waiting=root_store.command_queue.waiting,
            )
            if connection is not None
            else build_unconnected_client()
        )
        slack = build_web_client(settings)
        return self.shared.deps(
            settings=settings,
            store=store,
            api=api,
            slack=slack,
            directory=Directory(api),
            timezones=UserTimezones(slack, settings.tz),
            tenancy=tenancy,
            workspace=key,
        )


def close_workspace_deps(ws: Deps) -> None:
    """A workspace's own clients (the database and the response poster are the process's)."""
    ws.api.http.close()
    ws.api.download_http.close()


def secret_box(settings: Settings):
    """LEXERBOT_SECRET_KEY's SecretBox, or None when no key is set (single-workspace mode stores no secret)."""
    from bot.crypto import SecretBox

    return SecretBox(settings.secret_keys) if settings.secret_keys else None


def start_process(
    deps: Deps,
    *,
    scheduler: bool = False,
    command_workers: int = 0,
    answer_commands: bool = False,
    features=None,
    background: bool = True,
) -> Running:
    """Start what this process runs beside its Deps: the features' workers (the export queue), command workers,
    the scheduler.

    `background=False` is for one-shot commands (`ask`): they answer and exit, so they start no
    feature workers and never take export jobs (a job they queue is delivered by a serving process).
    """
    from bot.commands.answer import CommandRunner
    from bot.features import FEATURES, command_handlers, start_workers
    from bot.features.workspaces import workspace_runner

    features = FEATURES if features is None else features
    runner = CommandRunner(deps, command_handlers(features), for_workspace=workspace_runner)
    running = Running(deps, runner)
    running.workers = start_workers(features, deps) if background else []
    if command_workers:
        from bot.commands.pool import CommandWorkerPool

        running.command_pool = CommandWorkerPool(
            deps.settings, command_workers, target=command_worker_main, intake_deps=deps
        ).start()
    elif answer_commands:  # the store's command queue, answered by this process
        from bot.commands.in_process import InProcessCommands

        running.command_pool = InProcessCommands(deps, running.runner)
    if scheduler:
        from digests.schedule import start_background_scheduler

        running.scheduler = start_background_scheduler(deps)
    return running


def build_served(settings: Settings, *, scheduler: bool, command_workers: int = 0, **deps_options):
    """`serve`: the running process and its WSGI app (Bolt on /slack/events, /healthz)."""
    from bot.app import create_app
    from bot.web import create_wsgi_app

    running = start_process(
        build_deps(settings, **deps_options),
        scheduler=scheduler,
        command_workers=command_workers,
        answer_commands=True,
    )
    bolt = create_app(running.deps, running.runner, command_pool=running.command_pool)
    running.listeners = bolt.listener_runner.listener_executor
    return running, create_wsgi_app(bolt, running)


def command_worker_main(settings: Settings, jobs, parent_pid: int) -> None:
    """A command worker process: its own Deps, answering the /lexer requests the web process queues."""
    from bot.commands.pool import serve_command_jobs
    from bot.logs import setup_logging

    setup_logging(settings)
    running = start_process(build_deps(settings))
    try:
        serve_command_jobs(running, jobs, parent_pid)
    finally:
        for worker in running.workers:
            worker.stop()  # hand unfinished exports back, so another process takes them up at once
