"""What one pass of the SLA-spike checks says in Slack: the first post, its thread updates, the resolve.

Each Slack call is tried again with backoff while Slack is in trouble and certainly did not act; a failure
is then named (retry next pass, done for good, or the channel gone) for digests.alerts.check to act on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.slack.actions import alert_button_value
from bot.slack.messages.alerts import alert_message, resolution_text, update_text, window_timeframe
from bot.slack_web import categorize, certainly_not_posted, is_transient, slack_error_code
from bot.timeframe import Timeframe
from digests.alerts.decide import with_posted
from digests.alerts.detect import DEFAULT_WINDOW_MINUTES, Verdict
from digests.alerts.episode import RESOLVE_AFTER_OK_CHECKS, Episode
from digests.posting import find_posted, tell_creator

logger = logging.getLogger(__name__)

ALERT_METADATA_EVENT = "lexer_alert"
# Backoff between tries of one Slack call that certainly did not post; after the last, the next pass tries again.
RETRY_DELAYS_S = (1.0, 2.0, 4.0)

# what became of a failed post: tried again by the next pass, never retried, or the channel is gone for good
Outcome = Literal["retry", "done", "channel_gone"]


def alert_metadata(episode_id: int | None) -> dict:
    """The message metadata that names an episode's first post (found again by conversations.history)."""
    return {"event_type": ALERT_METADATA_EVENT, "event_payload": {"episode_id": episode_id}}


def failed_answer(exc: Exception) -> str:
    """How Slack (or the network) answered a post, in a word for the alert's creator."""
    return slack_error_code(exc) if isinstance(exc, SlackApiError) else type(exc).__name__


@dataclass
class AlertPoster:
    """One workspace's Slack side of the alerts."""

    slack: object
    tz: ZoneInfo
    sandbox: bool
    sleep: Callable[[float], None] = field(default=time.sleep)

    def perform(self, action: str, ep: Episode, verdict: Verdict, now: datetime, snoozed: bool) -> Episode:
        """Do one step's action in Slack; the episode as it then stands."""
        match action:
            case "post_alert":
                return self.post_alert(ep, verdict, now)
            case "post_update":
                return self.post_update(ep, verdict, now)
            case "resolve":
                return self.resolve(ep, verdict, now, snoozed)
        raise ValueError(f"no such alert action: {action!r}")

    def post_alert(self, ep: Episode, verdict: Verdict, now: datetime) -> Episode:
        tf = self.verdict_window(verdict)
        ep = with_posted(ep, verdict)
        message = alert_message(ep, tf, sandbox=self.sandbox, button_value=_button_value(ep))
        metadata = alert_metadata(ep.id)
        try:
            response = self._call(
                "chat_postMessage",
                channel=ep.channel_id,
                text=message["text"],
                blocks=message["blocks"],
                unfurl_links=False,
                metadata=metadata,
            )
        except Exception as exc:
            if certainly_not_posted(exc) or not is_transient(exc):
                raise
            # Slack may have posted it (internal_error, a dropped connection): look before the next pass posts again
            ts = find_posted(self.slack, ep.channel_id, metadata, since=now)
            if ts is None:
                raise
            return replace(ep, message_ts=ts, last_update_at=now)
        return replace(ep, message_ts=response["ts"], last_update_at=now)

    def post_update(self, ep: Episode, verdict: Verdict, now: datetime) -> Episode:
        self._call(
            "chat_postMessage",
            channel=ep.channel_id,
            thread_ts=ep.message_ts,
            text=update_text(verdict, self.verdict_window(verdict)),
        )
        return replace(ep, last_update_at=now)

    def resolve(self, ep: Episode, verdict: Verdict, now: datetime, snoozed: bool) -> Episode:
        # the edit is quiet, so it happens even while snoozed; the thread post waits for no snooze
        posted = ep.detail["posted"]
        posted_tf = self.window(datetime.fromisoformat(posted["window_end"]), posted["window_minutes"])
        message = alert_message(
            ep, posted_tf, sandbox=self.sandbox, button_value=_button_value(ep), resolved=True, now=now
        )
        self._call(
            "chat_update", channel=ep.channel_id, ts=ep.message_ts, text=message["text"], blocks=message["blocks"]
        )
        if not snoozed:
            self._call(
                "chat_postMessage",
                channel=ep.channel_id,
                thread_ts=ep.message_ts,
                text=resolution_text(
                    ep,
                    verdict,
                    self.verdict_window(verdict),
                    ok_checks=RESOLVE_AFTER_OK_CHECKS,
                ),
            )
        return replace(ep, state="resolved", resolved_at=now)

    def find_first_post(self, ep: Episode, since: datetime) -> str | None:
        """The ts of the episode's first post if Slack took it (its metadata names the episode); raises when the
        channel's history cannot be read."""
        return find_posted(self.slack, ep.channel_id, alert_metadata(ep.id), since=since)

    def tell_creator(self, user_id: str | None, text: str) -> bool:
        return tell_creator(self.slack, user_id, text)

    def verdict_window(self, verdict: Verdict) -> Timeframe:
        """The window a verdict judged (one with data: an alert is never posted on missing data)."""
        if verdict.window_end is None:
            raise ValueError("a verdict without data has no window to word")
        return self.window(verdict.window_end, verdict.window_minutes)

    def window(self, end: datetime, minutes: int) -> Timeframe:
        return window_timeframe(end, minutes or DEFAULT_WINDOW_MINUTES, self.tz)

    def _call(self, method: str, **kwargs):
        """One Slack Web API call, tried again with backoff while Slack is in trouble and certainly did not act."""
        call = getattr(self.slack, method)
        for delay in RETRY_DELAYS_S:
            try:
                return call(**kwargs)
            except Exception as exc:
                if not (certainly_not_posted(exc) and is_transient(exc)):
                    raise
                logger.warning("alerts: %s refused for now (%s); trying again in %.0f s", method, exc, delay)
                self.sleep(delay)
        return call(**kwargs)


def failure_outcome(channel: str, action: str, exc: Exception) -> Outcome:
    """Log a failed post and name what becomes of it."""
    if is_transient(exc):
        logger.warning("alerts: %s for %s failed for now; the next pass tries again", action, channel)
        return "retry"
    if not isinstance(exc, SlackApiError):
        logger.exception("alerts: %s for %s failed", action, channel)
        return "done"
    code = slack_error_code(exc)
    logger.warning("alerts: %s for %s refused by Slack: %s", action, channel, code)
    # the bot was removed or the channel archived: stop rather than fail every 5 minutes
    return "channel_gone" if categorize(code) == "channel_gone" else "done"


def _button_value(ep: Episode) -> str:
    posted = ep.detail["posted"]
    return alert_button_value(ep.channel_id, datetime.fromisoformat(posted["window_end"]), posted["window_minutes"])
