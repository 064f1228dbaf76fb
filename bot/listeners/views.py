"""Modal submissions (distribution mode's connect form): checked and acked within Slack's 3 seconds."""

from __future__ import annotations

import logging

from bot.features.workspaces import submit_connect
from bot.slack.messages.workspaces import CONNECT_CALLBACK, TOKEN_BLOCK
from bot.tenancy import workspace_key_of

logger = logging.getLogger(__name__)

FAILED = "That did not work on our side; nothing was saved. Try again in a minute."


def register(app, deps) -> None:
    if deps.tenancy is None:
        return

    def on_connect_submission(ack, body, client):
        acked: list[bool] = []

        def ack_once(**kwargs):
            acked.append(True)
            ack(**kwargs)

        try:
            workspace = deps.tenancy.deps_for(workspace_key_of(body))
            if workspace is None:
                ack_once(response_action="errors", errors={TOKEN_BLOCK: "lexer-bot is not installed here."})
                return
            submit_connect(body, workspace, client, ack_once)
        except Exception:
            logger.exception("the connect form's submission failed")
            if not acked:
                ack_once(response_action="errors", errors={TOKEN_BLOCK: FAILED})

    app.view(CONNECT_CALLBACK)(on_connect_submission)
