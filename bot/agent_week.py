"""Each agent's week: `/lexer my-week`, the asker matched to their Lexer user by email (users.info -> profile.email)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.commands import Asker, CommandHandler, Reply
from bot.errors import CommandError
from bot.slack.messages.agent_week import NO_EMAIL, NO_EMAIL_HINT, NO_MATCH, NO_MATCH_HINT, agent_week_message
from bot.slack.messages.common import ReplyContext
from bot.slack.messages.targets import applicable, targets_from_rows
from bot.slack.parsing import MyWeekCommand
from bot.timeframe import parse_range

if TYPE_CHECKING:
    from bot.deps import Deps

logger = logging.getLogger(__name__)

WEEK = "last-week"


def slack_email(slack, user_id: str) -> str | None:
    """The member's email from users.info (needs users:read.email); None when Slack gives none."""
    if slack is None or not user_id:
        return None
    from slack_sdk.errors import SlackApiError

    try:
        user = slack.users_info(user=user_id).get("user") or {}
    except SlackApiError as exc:
        logger.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return None
    email = (user.get("profile") or {}).get("email")
    return str(email).strip().lower() if email else None


def my_week_command(cmd: MyWeekCommand, asker: Asker, deps: Deps) -> Reply:
    """`my-week`: the asker's last week (their timezone) beside the team's median agent."""
    email = slack_email(deps.slack, asker.user_id)
    if not email:
        raise CommandError(NO_EMAIL, hint=NO_EMAIL_HINT)
    user = next((u for u in deps.directory.users() if (u.email or "").lower() == email), None)
    if user is None:
        raise CommandError(NO_MATCH.format(email=email), hint=NO_MATCH_HINT)
    tf = parse_range(WEEK, asker.tz, deps.now())
    agents = deps.api.user_summary(tf)  # the team's, once: the same answer serves every agent of the week
    team = deps.api.summary(tf)
    mine = next((a for a in agents if a.user_id == user.id), None)
    targets = applicable(targets_from_rows(deps.store.targets.all())) or None
    ctx = ReplyContext(sandbox=deps.settings.sandbox_mode)
    return Reply(agent_week_message(mine, user.name, agents, team, tf, ctx, targets), public=cmd.public)


# /lexer words this feature answers (bot/features.py lists every feature)
COMMANDS: dict[str, CommandHandler] = {"my-week": my_week_command}
