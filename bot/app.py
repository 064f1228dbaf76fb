"""create_app(deps, runner, features) -> a Bolt App with every listener registered from the feature list."""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.features import FEATURES
from bot.listeners import register_listeners


def create_app(deps, runner, features=FEATURES, *, command_pool=None, process_before_response: bool = False) -> App:
    app = App(
        client=deps.slack,
        signing_secret=deps.settings.slack_signing_secret,
        # auth.test would need Slack at start; the first request fetches the bot id instead
        token_verification_enabled=False,
        process_before_response=process_before_response,
        logger=logging.getLogger("bot.bolt"),
    )
    register_listeners(app, deps, runner, features, command_pool=command_pool)
    return app
