"""The Slack side of a digest run: post it, look for it in the channel, keep its lease alive, tell its creator.

A run whose post may have reached Slack (a dropped connection, an internal_error, a process that died in
chat.postMessage) is resolved by reading the channel: every digest carries metadata naming its
(subscription, scheduled time), and conversations.history returns it with include_all_metadata.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

logger = logging.getLogger(__name__)

METADATA_EVENT = "lexer_digest"
LOOKBACK_MARGIN_S = 300.0  # clocks of this host and Slack may disagree; look a little before the slot
HISTORY_PAGE = 200  # Slack's advice for conversations.history pages
HISTORY_PAGES_MAX = 20  # a channel busier than 4,000 messages since the slot is not searched further


def run_metadata(sub_id: int, slot: str) -> dict:
    """The message metadata that names a digest run."""
    return {"event_type": METADATA_EVENT, "event_payload": {"subscription_id": sub_id, "scheduled_for": slot}}


def post_message(slack, channel_id: str, message: dict, metadata: dict | None = None) -> str:
    """chat.postMessage; returns the ts. SlackApiError propagates."""
    kwargs: dict[str, Any] = {
        "channel": channel_id,
        "text": message["text"],
        "blocks": message.get("blocks"),
        "unfurl_links": False,
        "unfurl_media": False,
    }
    if metadata is not None:
        kwargs["metadata"] = metadata
    return str(slack.chat_postMessage(**kwargs)["ts"])


def find_posted(slack, channel_id: str, metadata: dict, since: datetime) -> str | None:
    """The ts of the bot's message in the channel carrying this metadata, posted after `since`; None if absent."""
    oldest = f"{(since - timedelta(seconds=LOOKBACK_MARGIN_S)).timestamp():.6f}"
    cursor = None
    for _ in range(HISTORY_PAGES_MAX):
        page = slack.conversations_history(
            channel=channel_id, oldest=oldest, limit=HISTORY_PAGE, include_all_metadata=True, cursor=cursor
        )
        for message in page.get("messages") or []:
            found = message.get("metadata") or {}
            if (
                found.get("event_type") == metadata["event_type"]
                and found.get("event_payload") == metadata["event_payload"]
            ):
                return str(message["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            return None
    logger.warning("digest lookup in %s stopped after %d pages", channel_id, HISTORY_PAGES_MAX)
    return None


class Lease:
    """Refreshes a run's claim every third of the lease on a thread, while a slow fetch or a backoff runs."""

    def __init__(self, refresh: Callable[[], bool], lease_s: float):
        self.refresh = refresh
        self.every_s = max(lease_s / 3.0, 0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="digest-lease", daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _beat(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                if not self.refresh():
                    return  # the claim moved on (posting, or taken over): nothing left to keep alive
            except Exception as exc:  # a locked database now and then must not end the heartbeat
                logger.warning("refreshing a digest lease failed: %s", type(exc).__name__)


def tell_creator(slack, user_id: str | None, text: str) -> bool:
    """DM the subscription's creator; False (logged) if Slack would not take it."""
    if not user_id:
        return False
    try:
        slack.chat_postMessage(
            channel=user_id, text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        )
        return True
    except Exception as exc:
        logger.warning("could not DM %s about a digest: %s", user_id, type(exc).__name__)
        return False
