"""The /lexer slash command: ack at once, answer through response_url from a lazy listener."""

from __future__ import annotations

import logging

from bot.commands import Asker, Reply, asker_is_admin
from bot.slack.messages.controls import DELIVER_REPLACE, DELIVER_SHARE, has_controls
from bot.slack.messages.help import error_message
from bot.workspaces import workspace_runner

logger = logging.getLogger(__name__)


def send_reply(
    poster,
    response_url: str | None,
    reply: Reply,
    *,
    client=None,
    channel_id: str | None = None,
    user_id: str | None = None,
    delivery: str | None = None,
) -> None:
    """Post through response_url; if that fails, fall back to an ephemeral chat message.

    `delivery` is a report control's (bot.slack.messages.controls.DELIVER_*): only an answer replaces the
    one clicked, so an error comes beside it and the answer stays.
    """
    payload = dict(reply.message)
    payload["response_type"] = "in_channel" if reply.public else "ephemeral"
    answered = has_controls(reply.message)
    if delivery is not None:
        payload["replace_original"] = delivery == DELIVER_REPLACE and answered
    for attempt in range(2 if response_url else 0):
        status = poster.post(response_url, payload)
        if status < 400:
            if delivery == DELIVER_SHARE and answered:
                # shared: the private copy goes (a failure here leaves it, which loses nothing)
                poster.post(response_url, {"delete_original": True})
            return
        logger.warning("response_url answered HTTP %s (attempt %d)", status, attempt + 1)
    if client is not None and channel_id and user_id:
        try:
            client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=reply.message.get("text", ""), blocks=reply.message.get("blocks")
            )
        except Exception as exc:
            logger.error("could not deliver a reply to %s: %s", user_id, type(exc).__name__)


# a report control's click (bot.reports ACTIONS) adds "delivery": how its answer goes back
COMMAND_FIELDS = (
    "user_id",
    "channel_id",
    "text",
    "response_url",
    "trigger_id",
    "team_id",
    "enterprise_id",
    "is_enterprise_install",
)


def answer_command(deps, runner, job: dict, client) -> None:
    """Run one /lexer request (the fields of COMMAND_FIELDS) and deliver its reply; never raises."""
    user_id = job.get("user_id") or ""
    channel_id = job.get("channel_id")
    try:
        if deps.tenancy is not None:  # distribution mode: this workspace's tokens and data
            deps, runner = workspace_runner(deps, runner, job)
            client = deps.slack
        asker = Asker(
            user_id=user_id,
            channel_id=channel_id,
            tz=deps.timezones.tz_for(user_id),
            is_admin=asker_is_admin(deps, user_id, client),
            trigger_id=job.get("trigger_id"),
        )
        reply = runner.run(job.get("text") or "", asker)
    except Exception:
        logger.exception("/lexer failed before it could answer")
        reply = Reply(error_message("Something went wrong on our side while answering that.", "Try again in a minute."))
    send_reply(
        deps.responder,
        job.get("response_url"),
        reply,
        client=client,
        channel_id=channel_id,
        user_id=user_id,
        delivery=job.get("delivery"),
    )
    if reply.after is not None:
        try:
            reply.after()
        except Exception:
            logger.exception("follow-up work after /lexer failed")


def register(app, deps, runner, *, command_pool=None) -> None:
    pool = command_pool
    if pool is not None:
        # `serve` with worker processes: ack, hand the four fields over and return; no lazy copy of the request
        def ack_and_queue(ack, body):
            ack()
            job = {k: body.get(k) for k in COMMAND_FIELDS}
            if not pool.submit(job):  # no worker alive: answer here, off the request thread
                pool.answer_here(answer_command, deps, runner, job, deps.slack)

        app.command("/lexer")(ack_and_queue)
        return

    # Lazy listeners: the same code answers with process_before_response=True (FaaS) and without
    def ack_lexer(ack):
        ack()

    def answer_lexer(body, client):
        answer_command(deps, runner, {k: body.get(k) for k in COMMAND_FIELDS}, client)

    app.command("/lexer")(ack=ack_lexer, lazy=[answer_lexer])
