"""The assembled process: settings, database, Activity client, Slack client, command runner."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from bot.commands import CommandRunner, Directory, Services
from bot.config import Settings
from bot.lexer.build import build_activity_client
from bot.lexer.client import ActivityClient
from bot.slack_web import ResponseUrlPoster, UserTimezones, build_web_client
from bot.store import Store, open_store


class RedactingFilter(logging.Filter):
    """Replace any configured secret that reaches a log record with [redacted]."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self._pattern = (
            re.compile("|".join(re.escape(s) for s in sorted(set(secrets), key=len, reverse=True) if s))
            if any(secrets)
            else None
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        try:
            message = record.getMessage()
        except Exception:
            return True
        if self._pattern.search(message):
            record.msg = self._pattern.sub("[redacted]", message)
            record.args = ()
        return True


def setup_logging(settings: Settings, level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redactor = RedactingFilter(settings.secrets())
    for handler in root.handlers:
        handler.addFilter(redactor)
    # httpx logs full URLs (export status URLs carry report tokens); keep it quiet
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


@dataclass
class Runtime:
    settings: Settings
    store: Store
    api: ActivityClient
    slack: Any
    timezones: UserTimezones
    services: Services
    runner: CommandRunner
    scheduler: Any = None
    extras: dict = field(default_factory=dict)
    responder: ResponseUrlPoster = field(default_factory=ResponseUrlPoster)
    command_pool: Any = None  # bot.command_workers.CommandWorkerPool in `serve`


def build_runtime(
    settings: Settings,
    *,
    with_slack: bool = True,
    sandbox_app=None,
    slack_client=None,
    now: Callable[[], datetime] | None = None,
    api: ActivityClient | None = None,
    store: Store | None = None,
) -> Runtime:
    store = store or open_store(settings.db_path)
    api = api or build_activity_client(settings, store, sandbox_app=sandbox_app)
    slack = slack_client if slack_client is not None else (build_web_client(settings) if with_slack else None)
    timezones = UserTimezones(slack, settings.tz)
    services = Services(
        settings=settings,
        api=api,
        store=store,
        slack=slack,
        now=now or (lambda: datetime.now(timezone.utc)),
        directory=Directory(api),
    )
    runtime = Runtime(settings, store, api, slack, timezones, services, CommandRunner(services))
    install_features(runtime)
    return runtime


def install_features(runtime: Runtime) -> None:
    """Each feature registers its /lexer handlers, buttons and workers."""
    from bot import alerting, export_jobs, home, subscriptions

    for feature in (subscriptions, export_jobs, alerting, home):
        feature.install(runtime)
