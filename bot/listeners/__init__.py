"""Bolt wiring only: one register() per Slack surface."""

from bot.listeners import actions, commands, events


def register_listeners(app, deps) -> None:
    commands.register(app, deps)
    actions.register(app, deps)
    events.register(app, deps)
