"""The /lexer slash command, Slack side only: ack at once, then hand the request to the command line
(bot/commands/queue.py), or, without one, answer it from a lazy listener."""

from __future__ import annotations

import logging
import threading

from bot.commands.answer import CommandRunner
from bot.commands.dispatcher import answer_command
from bot.commands.queue import COMMAND_FIELDS, CommandLine
from bot.commands.reply import post_notice
from bot.deps import Deps
from bot.lexer.budget import still_queuing_notice
from bot.listeners.ack_deadline import Deadlines
from bot.slack.messages.workspaces import secret_refused_message
from bot.slack.parsing import holds_secret, is_connect_with_more

logger = logging.getLogger(__name__)

ACK_BY_S = 2.0  # Slack shows the user an error when the ack is not back in 3 s; queuing may take longer


def register(app, deps: Deps, runner: CommandRunner, *, command_pool: CommandLine | None = None) -> None:
    pool = command_pool
    if pool is not None:
        # `serve`: the command goes to the store's queue (bot.commands); the ack carries the queued
        # notice when the answer must wait for Lexer's budget, and the answer replaces it through response_url
        # a database that is slow to take the command must not cost the user Slack's error: past ACK_BY_S the
        # ack says it is on its way, and the command is queued (or answered here) all the same
        deadlines = Deadlines(ACK_BY_S)

        def ack_and_queue(ack, body):
            if refused_secret(ack, body):
                return
            job = {k: body.get(k) for k in COMMAND_FIELDS}
            once = _AckOnce(ack)
            queued = threading.Event()  # set once the command is in the store: only then is its answer promised
            late = deadlines.after(lambda: once(text=still_queuing_notice(queued.is_set()), response_type="ephemeral"))
            try:
                notice = pool.take(job, on_queued=queued.set)
            except Exception:  # the database is unreachable: hold it here, queued (and answered) once it is back
                late.cancel()
                logger.warning("could not queue a command", exc_info=True)
                pool.hold(job)
                once(text=still_queuing_notice(False), response_type="ephemeral")  # held in memory: no promise
                return
            late.cancel()
            if notice:
                if not once(text=notice, response_type="ephemeral"):
                    post_notice(
                        deps.responder, job.get("response_url"), notice
                    )  # when to expect it, or to try again: worth a message of its own
            else:
                once()

        app.command("/lexer")(ack_and_queue)
        return

    # Lazy listeners: the same code answers with process_before_response=True (FaaS) and without
    def ack_lexer(ack, body):
        if not refused_secret(ack, body):
            ack()

    def answer_lexer(body, client):
        if holds_secret(body.get("text") or ""):
            return  # refused in the ack
        answer_command(deps, runner, {k: body.get(k) for k in COMMAND_FIELDS}, client)

    app.command("/lexer")(ack=ack_lexer, lazy=[answer_lexer])


def refused_secret(ack, body: dict) -> bool:
    """A text that may hold a token is answered in the ack, and never queued, run, logged or repeated."""
    text = body.get("text") or ""
    if not holds_secret(text):
        return False
    after_connect = is_connect_with_more(text)
    ack(**secret_refused_message(after_connect), response_type="ephemeral")
    return True


class _AckOnce:
    """Bolt's ack, called by whichever comes first: the listener with its notice, or its ACK_BY_S deadline."""

    def __init__(self, ack):
        self._ack = ack
        self._lock = threading.Lock()
        self._done = False

    def __call__(self, **kwargs) -> bool:
        """Ack with `kwargs`; False when the other came first."""
        with self._lock:
            if self._done:
                return False
            self._done = True
        self._ack(**kwargs)
        return True
