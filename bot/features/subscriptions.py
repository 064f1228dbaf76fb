"""Digest subscriptions: the /lexer subscribe|unsubscribe|subscriptions handlers and the trigger.

The database is the interface to the clock process: a subscription written
here (through bot.store.subscriptions) is picked up by digests.schedule's sync job. The trigger lives here (not in
digests/) because the reply to `/lexer subscribe` names the next run.
"""

from __future__ import annotations

import logging

from bot.commands.answer import Asker, CommandHandler, Reply
from bot.deps import Deps
from bot.errors import CommandError
from bot.lexer.directory import resolve_nps_form
from bot.slack.format import mrkdwn_escape
from bot.slack.messages.subscriptions import (
    KIND_TITLES,
    form_words,
    subscribed_message,
    subscription_line,
    subscriptions_message,
    unsubscribed_message,
)
from bot.slack.parsing import SubscribeCommand, UnsubscribeCommand
from bot.slack_web import CHANNEL_HELP, ChannelProblem, channel_problem
from digests.triggers import next_run

logger = logging.getLogger(__name__)

DEFAULT_CADENCE = "daily"
DEFAULT_AT = "09:00"


# ------------------------------------------------------------------ /lexer handlers


def find_channel_id(slack, name: str) -> str:
    """`#support` typed as text (not picked from autocomplete) -> its id, through conversations.list."""
    name = name.lstrip("#").lower()
    cursor = None
    try:
        for _ in range(20):  # 20 pages of 200 channels is plenty; past that, ask for the link form
            page = slack.conversations_list(
                limit=200, cursor=cursor, exclude_archived=True, types="public_channel,private_channel"
            )
            for ch in page.get("channels") or []:
                if str(ch.get("name", "")).lower() == name:
                    return ch["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except Exception as exc:  # no slack client, a missing scope, or a network failure
        logger.info("conversations.list could not resolve #%s: %s", name, type(exc).__name__)
    raise CommandError(
        f"I could not find a channel called #{mrkdwn_escape(name)}.",
        hint="Pick the channel from Slack's autocomplete as you type `#`, or run `/lexer subscribe` in that channel.",
    )


def _channel_refusal(problem: ChannelProblem, channel_id: str) -> CommandError:
    hint = CHANNEL_HELP.get(problem.code, f"Slack said `{problem.code}`; check the channel and try again.")
    return CommandError(f"I can't post digests in <#{channel_id}>.", hint=hint)


def subscribe(cmd: SubscribeCommand, asker: Asker, deps: Deps) -> Reply:
    """The parser has checked the kind, schedule, time and zone (bot.slack.parsing.subscriptions); what is left is
    what only Slack and Lexer know: the channel, the NPS form, and whether the bot can post there."""
    kind = cmd.kind
    channel_id = cmd.channel_id
    if channel_id is None and cmd.channel_name:
        channel_id = find_channel_id(deps.slack, cmd.channel_name)
    channel_id = channel_id or asker.channel_id
    if not channel_id:
        raise CommandError("Say which channel the digest goes to.", hint="e.g. `/lexer subscribe sla #support`")
    cadence = cmd.cadence or DEFAULT_CADENCE
    weekday = cmd.weekday
    at_time = cmd.at_time or DEFAULT_AT
    tz = cmd.tz_name or asker.tz.key
    form_id = None
    form_name = None
    if kind == "nps":
        form = resolve_nps_form(deps.directory, cmd.form)
        form_id = form.id
        form_name = form.name
    problem = channel_problem(deps.slack, channel_id)
    if problem:
        raise _channel_refusal(problem, channel_id)
    now = deps.now()
    existing = deps.store.subscriptions.find_duplicate(kind, form_id, channel_id)
    if existing is not None:
        raise CommandError(
            f"<#{channel_id}> already gets the {KIND_TITLES[kind]}{form_words(form_name)} (subscription `{existing.id}`).",
            hint=f"To change it, `/lexer unsubscribe {existing.id}` and subscribe again.",
        )
    sub = deps.store.subscriptions.add(
        kind=kind,
        channel_id=channel_id,
        cadence=cadence,
        at_time=at_time,
        tz=tz,
        created_by=asker.user_id,
        form_id=form_id,
        weekday=weekday,
        now=now,
    )
    deps.store.audit_log.record(
        asker.user_id,
        "subscribe",
        {
            "id": sub.id,
            "kind": kind,
            "form_id": form_id,
            "channel_id": channel_id,
            "cadence": cadence,
            "weekday": sub.weekday,
            "at_time": at_time,
            "tz": tz,
        },
        now=now,
    )
    deps.clock.ring()  # in `serve`, the scheduler picks the change up at once
    return Reply(subscribed_message(sub, form_name, next_run(sub, now)), public=False)


def unsubscribe(cmd: UnsubscribeCommand, asker: Asker, deps: Deps) -> Reply:
    sub_id = cmd.subscription_id
    sub = deps.store.subscriptions.get(sub_id)
    if sub is None or not deps.store.subscriptions.delete(sub.id):
        raise CommandError(
            f"There is no subscription `{sub_id}`.", hint="`/lexer subscriptions` lists them with their ids."
        )
    deps.store.audit_log.record(
        asker.user_id,
        "unsubscribe",
        {"id": sub.id, "kind": sub.kind, "form_id": sub.form_id, "channel_id": sub.channel_id},
        now=deps.now(),
    )
    deps.clock.ring()  # in `serve`, the scheduler picks the change up at once
    return Reply(unsubscribed_message(sub), public=False)


def list_handler(cmd, asker: Asker, deps: Deps) -> Reply:
    now = deps.now()
    lines = [subscription_line(s, next_run(s, now) if s.active else None) for s in deps.store.subscriptions.all()]
    return Reply(subscriptions_message(lines))


# /lexer words this feature answers (bot/features/__init__.py lists every feature)
COMMANDS: dict[str, CommandHandler] = {
    "subscribe": subscribe,
    "unsubscribe": unsubscribe,
    "subscriptions": list_handler,
}
