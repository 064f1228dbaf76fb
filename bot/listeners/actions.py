"""Block Kit buttons (interactivity): ack at once, then act; every handler answers, never raises."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

# action_id -> fn(body, deps) ; feature modules add theirs (alerts snooze, App Home buttons)
ACTION_HANDLERS: dict = {}


def register(app, deps) -> None:
    import re

    def ack_action(ack):
        ack()

    def run_action(body, client, respond):
        for action in body.get("actions") or []:
            handler = ACTION_HANDLERS.get(action.get("action_id", ""))
            if handler is None:
                logger.info("no handler for action %s", action.get("action_id"))
                continue
            try:
                handler(action, body, deps, client=client, respond=respond)
            except Exception:
                logger.exception("action %s failed", action.get("action_id"))
                try:
                    respond(
                        text=":warning: That did not work; try again in a minute.",
                        response_type="ephemeral",
                        replace_original=False,
                    )
                except Exception:
                    pass

    app.action(re.compile(r"^lexer\."))(ack=ack_action, lazy=[run_action])
