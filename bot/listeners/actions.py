"""Block Kit buttons (interactivity): ack at once, then act; every handler answers, never raises."""

from __future__ import annotations

import logging
import re

from bot.commands.answer import CommandRunner
from bot.commands.dispatcher import answer_command
from bot.commands.queue import CommandLine
from bot.deps import Deps
from bot.features import action_handlers, home_publishers
from bot.tenancy import workspace_key_of

logger = logging.getLogger(__name__)

FAILED = ":warning: That did not work; try again in a minute."
NOT_INSTALLED = ":warning: lexer-bot is not installed in this workspace any more; an admin can add it again."


def _from_home_tab(body: dict) -> bool:
    return (body.get("view") or {}).get("type") == "home"


def _with_workspace_ids(job: dict, body: dict) -> dict:
    """A click's job carries its workspace's ids, as a slash command's form does (the queue keeps them)."""
    team, enterprise = body.get("team") or {}, body.get("enterprise") or {}
    return {
        "team_id": team.get("id"),
        "enterprise_id": enterprise.get("id"),
        "is_enterprise_install": body.get("is_enterprise_install"),
        **job,
    }


def register(
    app, deps: Deps, features, runner: CommandRunner | None = None, *, command_pool: CommandLine | None = None
) -> None:
    handlers = action_handlers(features)
    publishers = home_publishers(features)

    def answer_as_command(job: dict, client) -> None:
        """A click that asks for an answer (a report control) goes the way a typed /lexer does: the store's queue."""
        if command_pool is None:
            if runner is not None:
                answer_command(deps, runner, job, client or deps.slack)
            return
        try:
            notice = command_pool.take(job)
        except Exception:  # the database is unreachable: hold it here, queued (and answered) once it is back
            logger.warning("could not queue a report control's answer", exc_info=True)
            command_pool.hold(job)
            return
        if notice and job.get("response_url"):
            # beside the answer clicked, which stays until its replacement arrives
            deps.responder.post(
                job["response_url"], {"response_type": "ephemeral", "replace_original": False, "text": notice}
            )

    def ack_action(ack):
        ack()

    def run_one(handler, action: dict, body: dict, client, respond) -> None:
        if deps.tenancy is None:
            run_here(deps, handler, action, body, client, respond)
            return
        # distribution mode: the clicker's workspace, its tokens and its data, held open until answered
        with deps.tenancy.lease(workspace_key_of(body)) as here:
            if here is None:
                respond(text=NOT_INSTALLED, response_type="ephemeral", replace_original=False)
                return
            run_here(here, handler, action, body, here.slack, respond)

    def run_here(here, handler, action: dict, body: dict, client, respond) -> None:
        if not (_from_home_tab(body) and publishers):
            job = handler(action, body, here, client=client, respond=respond)
            if isinstance(job, dict) and runner is not None:
                answer_as_command(_with_workspace_ids(job, body), client)
            return
        # a button on the Home tab has no message to answer under: what the handler says becomes the
        # republished tab's notice (Home's own buttons publish the tab themselves and say nothing here)
        said: list[dict] = []
        handler(action, body, here, client=client, respond=lambda **message: said.append(message))
        if said:
            user_id = str((body.get("user") or {}).get("id") or "")
            for publish in publishers:
                publish(user_id, here, client or here.slack, said[-1].get("text"))

    def run_action(body, client, respond):
        for action in body.get("actions") or []:
            handler = handlers.get(action.get("action_id", ""))
            if handler is None:
                logger.info("no handler for action %s", action.get("action_id"))
                continue
            try:
                run_one(handler, action, body, client, respond)
            except Exception:
                logger.exception("action %s failed", action.get("action_id"))
                try:
                    respond(text=FAILED, response_type="ephemeral", replace_original=False)
                except Exception:
                    pass

    app.action(re.compile(r"^lexer\."))(ack=ack_action, lazy=[run_action])
