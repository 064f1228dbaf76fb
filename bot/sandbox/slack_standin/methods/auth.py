"""api.test and auth.test."""

from __future__ import annotations

from bot.sandbox.slack_standin.errors import ApiError
from bot.sandbox.slack_standin.workspace import TEAM_DOMAIN, Workspace


def api_test(ws: Workspace, params: dict) -> dict:
    """Echo the args; an `error` arg is answered as that error."""
    if params.get("error"):
        raise ApiError(params["error"], args=params)
    return {"args": params}


def auth_test(ws: Workspace, params: dict) -> dict:
    """Who the bot token belongs to."""
    return {
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": "Stand-in",
        "user": "lexer-bot",
        "team_id": ws.caller_team_id or ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": bool(ws.caller_team_id and ws.caller_team_id.startswith("E")),
    }
