"""The reply sender: a command's answer or notice, posted through its response_url (or as an ephemeral chat)."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.commands.answer import Reply
from bot.slack.messages.controls import DELIVER_REPLACE, DELIVER_SHARE, has_controls

logger = logging.getLogger(__name__)


class Poster(Protocol):
    """POSTs a payload to a response_url and returns the HTTP status (bot.slack_web.ResponseUrlPoster)."""

    def post(self, url: str, payload: dict) -> int: ...


def send_reply(
    poster: Poster,
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
    if response_url and _posted(poster, response_url, payload, drop_private=delivery == DELIVER_SHARE and answered):
        return
    if client is not None and channel_id and user_id:
        try:
            client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=reply.message.get("text", ""), blocks=reply.message.get("blocks")
            )
        except Exception as exc:
            logger.error("could not deliver a reply to %s: %s", user_id, type(exc).__name__)


def _posted(poster: Poster, response_url: str, payload: dict, *, drop_private: bool) -> bool:
    """Two tries through response_url; True once Slack took it."""
    for attempt in range(2):
        status = poster.post(response_url, payload)
        if status < 400:
            if drop_private:  # shared: the private copy goes (a failure here leaves it, which loses nothing)
                poster.post(response_url, {"delete_original": True})
            return True
        logger.warning("response_url answered HTTP %s (attempt %d)", status, attempt + 1)
    return False


def send_job_reply(poster: Poster, job: dict, reply: Reply, *, client=None) -> None:
    """A queued request's reply, where its fields say (a queued notice shown is replaced)."""
    send_reply(
        poster,
        job.get("response_url"),
        reply,
        client=client,
        channel_id=job.get("channel_id"),
        user_id=job.get("user_id"),
        delivery=job.get("delivery"),
        replace=bool(job.get("notice_shown")) or job.get("attempts", 0) > 1,
    )


def post_notice(poster: Poster, response_url: str | None, text: str, **extra: object) -> None:
    """A short ephemeral word to the asker (queued, still queuing, too late); nothing without a response_url."""
    if not response_url:
        return
    try:
        poster.post(response_url, {"response_type": "ephemeral", **extra, "text": text})
    except Exception:
        logger.warning("could not post a command's notice", exc_info=True)
