"""The /lexer slash command: ack at once, answer through response_url from a lazy listener."""

from __future__ import annotations

import logging
import math
import threading

from bot.commands import Asker, Reply, asker_is_admin
from bot.errors import RateLimitedError
from bot.features.workspaces import workspace_runner
from bot.lexer.budget import queued_notice, still_queuing_notice
from bot.listeners.ack_deadline import Deadlines
from bot.slack.messages.controls import DELIVER_REPLACE, DELIVER_SHARE, has_controls
from bot.slack.messages.help import error_message
from bot.slack.messages.workspaces import secret_refused_message
from bot.slack.parsing import holds_secret, is_connect_with_more
from bot.store.backend import unavailable
from bot.tenancy import request_workspace

logger = logging.getLogger(__name__)

ACK_BY_S = 2.0  # Slack shows the user an error when the ack is not back in 3 s; queuing may take longer


def send_reply(
    poster,
    response_url: str | None,
    reply: Reply,
    *,
    client=None,
    channel_id: str | None = None,
    user_id: str | None = None,
    delivery: str | None = None,
    replace: bool = False,
) -> None:
    """Post through response_url; if that fails, fall back to an ephemeral chat message.

    `replace`: a queued notice was shown, and the answer takes its place. `delivery` is a report control's
    (bot.slack.messages.controls.DELIVER_*): only an answer replaces the one clicked, so an error comes beside
    it and the answer stays.
    """
    payload = dict(reply.message)
    payload["response_type"] = "in_channel" if reply.public else "ephemeral"
    answered = has_controls(reply.message)
    if delivery is not None:
        payload["replace_original"] = delivery == DELIVER_REPLACE and answered
    elif replace and response_url:
        if reply.public:  # an ephemeral notice cannot become a channel message: remove it, then post
            poster.post(response_url, {"delete_original": True})
        else:
            payload["replace_original"] = True
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


# a report control's click (bot.features.reports ACTIONS) adds "delivery": how its answer goes back
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


def answer_command(deps, runner, job: dict, client, *, defer_busy: bool = False) -> RateLimitedError | None:
    """Run one /lexer request (the fields of COMMAND_FIELDS) and deliver its reply; never raises.

    With defer_busy (the store's queue), a closed Lexer window is not answered: the user gets the queued
    notice (once) and the error comes back for the queue to try again when the window opens.
    """
    if deps.tenancy is None:
        return _answer_command(deps, runner, job, client, defer_busy=defer_busy)
    # the workspace's clients stay open until this answer is delivered, even if its tokens change meanwhile
    with deps.tenancy.lease(request_workspace(job)):
        return _answer_command(deps, runner, job, client, defer_busy=defer_busy)


def _answer_command(deps, runner, job: dict, client, *, defer_busy: bool) -> RateLimitedError | None:
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
        reply = runner.run(job.get("text") or "", asker, defer_busy=defer_busy)
    except RateLimitedError as exc:
        if not job.get("notice_shown") and job.get("response_url"):
            wait = exc.retry_after or 60.0
            deps.responder.post(
                job["response_url"],
                {"response_type": "ephemeral", "text": queued_notice(math.ceil(wait / 60), 1)},
            )
        return exc
    except Exception as exc:
        if defer_busy and unavailable(exc):
            raise  # the database is down: the queue answers it once it is back (its lease runs out)
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
        replace=bool(job.get("notice_shown")) or job.get("attempts", 0) > 1,
    )
    if reply.after is not None:
        try:
            reply.after()
        except Exception:
            logger.exception("follow-up work after /lexer failed")
    return None


def pool_answer_here(pool, deps, runner, job: dict) -> None:
    answer_here = getattr(pool, "answer_here", None)
    if answer_here is not None:
        answer_here(answer_command, deps, runner, job, deps.slack)
    else:
        answer_command(deps, runner, job, deps.slack)


def register(app, deps, runner, *, command_pool=None) -> None:
    pool = command_pool
    if pool is not None:
        # `serve`: the command goes to the store's queue (bot.command_workers); the ack carries the queued
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
                    _tell_late(deps, job, notice)  # when to expect it, or to try again: worth a message of its own
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


def _tell_late(deps, job: dict, notice: str) -> None:
    try:
        deps.responder.post(job.get("response_url"), {"response_type": "ephemeral", "text": notice})
    except Exception:
        logger.warning("could not post a command's notice after its ack", exc_info=True)
