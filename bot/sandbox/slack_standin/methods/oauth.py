"""oauth.v2.access: a code handed out by `Workspace.authorize_install` becomes a bot token for its team."""

from __future__ import annotations

import secrets

from bot.sandbox.slack_standin.errors import ApiError
from bot.sandbox.slack_standin.workspace import Workspace

BOT_SCOPES = (
    "commands,chat:write,im:write,users:read,users:read.email,files:write,channels:read,groups:read,"
    "channels:history,groups:history"
)


def oauth_v2_access(ws: Workspace, params: dict) -> dict:
    """Exchange a one-time code (client id and secret checked) for a per-team bot token, as Slack does."""
    if ws.oauth_client is None:
        raise ApiError("invalid_client_id")
    client_id, client_secret = ws.oauth_client
    if params.get("_client_id") != client_id:
        raise ApiError("invalid_client_id")
    if params.get("_client_secret") != client_secret:
        raise ApiError("bad_client_secret")
    grant = ws.oauth_codes.pop(str(params.get("code") or ""), None)
    if grant is None:
        raise ApiError("invalid_code")
    token = f"xoxb-{grant.team_id}-{secrets.token_hex(12)}"
    ws.team_tokens[token] = grant.team_id
    answer: dict = {
        "access_token": token,
        "token_type": "bot",
        "scope": BOT_SCOPES,
        "bot_user_id": ws.bot_user_id,
        "app_id": "A0STANDIN",
        "team": None if grant.is_enterprise_install else {"id": grant.team_id, "name": grant.team_name},
        "enterprise": {"id": grant.enterprise_id, "name": "Stand-in Org"} if grant.enterprise_id else None,
        "authed_user": {"id": grant.user_id},
        "is_enterprise_install": grant.is_enterprise_install,
    }
    return answer
