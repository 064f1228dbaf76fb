"""`serve --workers 0` and Socket Mode: the web process queues its commands and answers them itself."""

from __future__ import annotations

from collections.abc import Callable

from bot.commands.answer import CommandRunner
from bot.commands.dispatcher import CommandDispatcher
from bot.commands.queue import CommandIntake
from bot.deps import Deps


class InProcessCommands:
    """`serve --workers 0`: the web process queues and answers its commands itself."""

    def __init__(self, deps: Deps, runner: CommandRunner):
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
