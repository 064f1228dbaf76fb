"""Every feature of lexer-bot, and what each gives: /lexer words, button action ids, Home, workers.

This list is the wiring: `create_app` registers the listeners from it and the
command runner dispatches through it. Nothing registers itself anywhere else,
so who answers `/lexer WORD` or a button is found by reading this file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.commands.answer import CommandHandler
from bot.features import agent_week, alerts, directory, exports, home, reports, subscriptions, targets, workspaces

# fn(action, body, deps, client=..., respond=...) -> None
ActionHandler = Callable[..., Any]
# fn(user_id, deps, client, notice=None) -> None: publishes the Home tab
HomePublisher = Callable[..., Any]
# fn(deps) -> an object with start() and stop(), or None when it has nothing to run in this process
WorkerFactory = Callable[[Any], Any]


@dataclass(frozen=True)
class Feature:
    name: str
    commands: Mapping[str, CommandHandler] = field(default_factory=dict)
    actions: Mapping[str, ActionHandler] = field(default_factory=dict)
    home: HomePublisher | None = None
    workers: tuple[WorkerFactory, ...] = ()


FEATURES: tuple[Feature, ...] = (
    Feature("reports", commands=reports.COMMANDS, actions=reports.ACTIONS),
    Feature("directory", commands=directory.COMMANDS),
    Feature("subscriptions", commands=subscriptions.COMMANDS),
    Feature("exports", commands=exports.COMMANDS, workers=(exports.export_worker,)),
    Feature("alerts", commands=alerts.COMMANDS, actions=alerts.ACTIONS),
    Feature("home", actions=home.ACTIONS, home=home.publish_home),
    Feature("workspaces", commands=workspaces.COMMANDS),
    Feature("targets", commands=targets.COMMANDS),
    Feature("agent_week", commands=agent_week.COMMANDS, actions=agent_week.ACTIONS),
)


def _merged(features: Iterable[Feature], part: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for feature in features:
        for key, handler in getattr(feature, part).items():
            if key in merged:
                raise ValueError(f"{part[:-1]} {key!r} is claimed by two features")
            merged[key] = handler
    return merged


def command_handlers(features: Iterable[Feature] = FEATURES) -> dict[str, CommandHandler]:
    """/lexer WORD -> its handler; a word claimed twice is a wiring error, found at start."""
    return _merged(features, "commands")


def action_handlers(features: Iterable[Feature] = FEATURES) -> dict[str, ActionHandler]:
    """Block Kit action_id -> its handler."""
    return _merged(features, "actions")


def home_publishers(features: Iterable[Feature] = FEATURES) -> list[HomePublisher]:
    return [f.home for f in features if f.home is not None]


def start_workers(features: Iterable[Feature], deps) -> list:
    """Start each feature's background workers for this process; returns them, to stop at exit."""
    started = []
    for feature in features:
        for make in feature.workers:
            worker = make(deps)
            if worker is not None:
                worker.start()
                started.append(worker)
    return started
