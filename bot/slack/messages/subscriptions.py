"""Digest subscriptions: the replies to `/lexer subscribe`, `unsubscribe` and `subscriptions` (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.slack.format import mrkdwn_escape
from bot.slack.messages.help import notice_message

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
KIND_TITLES = {"sla": "SLA digest", "nps": "NPS digest"}
LIST_TITLE = "Digest subscriptions"
NO_SUBSCRIPTIONS = "No digests are scheduled. An admin can add one with `/lexer subscribe sla #channel daily at 09:00`."
MAX_LIST_LINES = 40  # per section; long lists are cut into several sections

BROKEN_WORDS = {
    "not_in_channel": "the bot was removed from the channel",
    "channel_not_found": "the channel is gone or private",
    "is_archived": "the channel is archived",
    "channel_is_archived": "the channel is archived",
}


class SubscriptionFacts(Protocol):
    """What the replies read of a subscription (bot.features.subscriptions.Subscription has it)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def form_id(self) -> int | None: ...
    @property
    def channel_id(self) -> str: ...
    @property
    def at_time(self) -> str: ...
    @property
    def tz(self) -> str: ...
    @property
    def paused(self) -> bool: ...
    @property
    def broken_reason(self) -> str | None: ...
    def cadence_words(self) -> str: ...


def when_words(dt: datetime) -> str:
    """'Mon 2 Dec 09:00 AEDT'."""
    return f"{dt:%a} {dt.day} {dt:%b} {dt:%H:%M} {dt.tzname()}"


def digest_not_built_text(kind: str, channel_id: str, sub_id: int, slot_words: str) -> str:
    """The DM a subscription's creator gets when a digest could not be put together (nothing was posted)."""
    title = KIND_TITLES.get(kind, kind)
    return (
        f":warning: Your {title} for <#{channel_id}> (subscription `{sub_id}`) due {slot_words} could not be "
        f"built: something went wrong on our side while putting it together, so nothing was posted. The "
        f"subscription stays on and the next digest is tried as usual. To get this one now, run `/lexer {kind}` "
        f"in <#{channel_id}>; if it keeps happening, tell whoever runs the bot for your team (its log has the "
        f"details)."
    )


def form_words(form_name: str | None) -> str:
    """' for *Post-chat survey*' after an NPS digest's title; '' without a form."""
    return f" for *{mrkdwn_escape(form_name)}*" if form_name is not None else ""


def subscription_line(sub: SubscriptionFacts, next_at: datetime | None) -> str:
    """One line of `/lexer subscriptions`; `next_at` is the next run (None when paused or stopped)."""
    what = KIND_TITLES.get(sub.kind, sub.kind)
    if sub.kind == "nps" and sub.form_id:
        what += f" (form {sub.form_id})"
    when = f"{sub.cadence_words()} at {sub.at_time} {mrkdwn_escape(sub.tz)}"
    if sub.broken_reason:
        state = (
            f":warning: stopped: {BROKEN_WORDS.get(sub.broken_reason, sub.broken_reason)} — "
            f"invite the bot (`/invite @lexer`) and subscribe again"
        )
    elif sub.paused:
        state = "paused"
    else:
        state = f"next: {when_words(next_at)}" if next_at is not None else "next: not scheduled"
    return f"`{sub.id}` {what} in <#{sub.channel_id}>, {when} · {state}"


def subscriptions_message(lines: Sequence[str]) -> dict:
    """`/lexer subscriptions`: one line per subscription (from subscription_line), or how to add one."""
    if not lines:
        return notice_message(NO_SUBSCRIPTIONS, title=LIST_TITLE)
    text = "\n".join(lines[:MAX_LIST_LINES])
    if len(lines) > MAX_LIST_LINES:
        text += f"\n…and {len(lines) - MAX_LIST_LINES} more"
    return notice_message(text, title=LIST_TITLE)


def subscribed_message(sub: SubscriptionFacts, form_name: str | None, next_at: datetime) -> dict:
    """The answer to `/lexer subscribe`: what the channel gets, when, and the next run."""
    text = (
        f":white_check_mark: <#{sub.channel_id}> will get the {KIND_TITLES[sub.kind]}{form_words(form_name)} "
        f"{sub.cadence_words()} at {sub.at_time} ({mrkdwn_escape(sub.tz)}).\n"
        f"Subscription `{sub.id}` · next: {when_words(next_at)}"
    )
    return notice_message(text)


def unsubscribed_message(sub: SubscriptionFacts) -> dict:
    """The answer to `/lexer unsubscribe`."""
    text = (
        f":no_bell: <#{sub.channel_id}> will no longer get the {KIND_TITLES.get(sub.kind, sub.kind)} "
        f"(subscription `{sub.id}`)."
    )
    return notice_message(text)
