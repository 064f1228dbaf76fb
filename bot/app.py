"""create_app(deps, runner, features) -> a Bolt App with every listener registered from the feature list."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App

from bot.features import FEATURES
from bot.listeners import register_listeners
from bot.slack_web import build_web_client

# Bolt runs every listener on one executor: ack functions, event listeners (Home tabs, after their ack) and lazy
# work (button actions, which may wait on Lexer's budget). Its default of 5 threads let five slow listeners hold
# every /lexer ack past Slack's 3 s deadline; the server's 16 request threads each wait on an ack, so this leaves
# room for all of them beside 48 slow listeners.
LISTENER_THREADS = 64


def create_app(deps, runner, features=FEATURES, *, command_pool=None, process_before_response: bool = False) -> App:
    listeners = ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="bolt-listener")
    if deps.tenancy is not None:
        # distribution mode: Bolt's OAuth flow installs workspaces and its authorize picks each request's
        # bot token from our installation store; the client is the template every request's copy is made from
        from slack_bolt.authorization.authorize import InstallationStoreAuthorize

        from bot.features.workspaces import build_oauth_flow
        from bot.store.installations import SlackInstallationStore

        client = build_web_client(deps.settings, token=None)
        oauth_flow = build_oauth_flow(deps)
        app = App(
            client=client,
            signing_secret=deps.settings.slack_signing_secret,
            oauth_flow=oauth_flow,
            # the token is the tenancy's decrypted copy, checked against the stored ciphertext on every
            # request (an uninstalled workspace is refused at once); auth.test's answer is cached by token,
            # so acks wait on neither a decryption nor a Slack call
            authorize=InstallationStoreAuthorize(
                installation_store=SlackInstallationStore(deps.store, find=deps.tenancy.installation),
                client_id=deps.settings.slack_client_id,
                client_secret=deps.settings.slack_client_secret,
                bot_only=True,
                cache_enabled=True,
                client=client,
                logger=logging.getLogger("bot.bolt"),
            ),
            process_before_response=process_before_response,
            listener_executor=listeners,
            logger=logging.getLogger("bot.bolt"),
        )
    else:
        app = App(
            client=deps.slack,
            signing_secret=deps.settings.slack_signing_secret,
            # auth.test would need Slack at start; the first request fetches the bot id instead
            token_verification_enabled=False,
            process_before_response=process_before_response,
            listener_executor=listeners,
            logger=logging.getLogger("bot.bolt"),
        )
    register_listeners(app, deps, runner, features, command_pool=command_pool)
    return app
