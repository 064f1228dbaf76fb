"""Each agent's week: `/lexer my-week`, the asker matched to their Lexer user by email (users.info -> profile.email)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.commands.answer import Asker, CommandHandler, Reply
from bot.errors import CommandError
from bot.slack.messages.agent_week import (
    AGENT_WEEK_OPT_IN,
    AGENT_WEEK_OPT_OUT,
    NO_EMAIL,
    NO_EMAIL_HINT,
    NO_MATCH,
    NO_MATCH_HINT,
    agent_digests_status_message,
    agent_week_message,
    opt_in_button,
    opt_out_button,
    opted_message,
)
from bot.slack.messages.common import ReplyContext
from bot.slack.messages.targets import applicable, targets_from_rows
from bot.slack.parsing import AgentDigestsCommand, MyWeekCommand
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
    buttons = None
    if deps.store.agent_digests.enabled():  # the way out of (and back into) the Monday DMs
        out = asker.user_id in deps.store.agent_digests.opted_out()
        buttons = [opt_in_button() if out else opt_out_button()]
    return Reply(agent_week_message(mine, user.name, agents, team, tf, ctx, targets, buttons), public=cmd.public)


def agent_digests_command(cmd: AgentDigestsCommand, asker: Asker, deps: Deps) -> Reply:
    """`agent-digests [on|off]` (on/off: admins, checked by the runner); audit-logged."""
    store = deps.store.agent_digests
    if cmd.action in ("on", "off"):
        store.set_enabled(cmd.action == "on", asker.user_id, deps.now())
        deps.store.audit_log.record(asker.user_id, f"agent_digests.{cmd.action}", {}, now=deps.now())
    message = agent_digests_status_message(store.enabled(), len(store.opted_out()), is_admin=asker.is_admin)
    return Reply(message, public=cmd.public)


def _opt_button(action, body, deps, client=None, respond=None) -> None:
    """The Monday DM's opt-out (and back in) button: saved for the clicker, the DM replaced in place."""
    user_id = str((body.get("user") or {}).get("id") or "")
    out = action.get("action_id") == AGENT_WEEK_OPT_OUT
    deps.store.agent_digests.set_opted_out(user_id, out, deps.now())
    deps.store.audit_log.record(user_id, "agent_digests.opt_out" if out else "agent_digests.opt_in", {}, now=deps.now())
    if respond is not None:
        respond(**opted_message(out), replace_original=True)


# /lexer words this feature answers (bot/features/__init__.py lists every feature)
COMMANDS: dict[str, CommandHandler] = {"my-week": my_week_command, "agent-digests": agent_digests_command}
ACTIONS = {AGENT_WEEK_OPT_OUT: _opt_button, AGENT_WEEK_OPT_IN: _opt_button}
