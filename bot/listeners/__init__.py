"""Bolt wiring only: one register() per Slack surface, each from the feature list."""

from bot.listeners import actions, events, slash, views


def register_listeners(app, deps, runner, features, *, command_pool=None) -> None:
    slash.register(app, deps, runner, command_pool=command_pool)
    actions.register(app, deps, features, runner, command_pool=command_pool)
    events.register(app, deps, features)
    views.register(app, deps)
