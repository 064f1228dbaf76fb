"""users.info (with profile.email, as with the users:read.email scope) and users.lookupByEmail."""

from __future__ import annotations

from bot.sandbox.slack_standin.errors import ApiError
from bot.sandbox.slack_standin.methods.conversations import users_info as _users_info_without_email
from bot.sandbox.slack_standin.workspace import Workspace


def users_info(ws: Workspace, params: dict) -> dict:
    """users.info; the profile carries the member's email when one was given to add_user."""
    answer = _users_info_without_email(ws, params)
    email = ws.users[answer["user"]["id"]].get("email")
    if email:
        answer["user"]["profile"]["email"] = email
    return answer


def lookup_by_email(ws: Workspace, params: dict) -> dict:
    """users.lookupByEmail: the member with this email (case-insensitive), else users_not_found."""
    email = str(params.get("email") or "").strip().lower()
    if not email:
        raise ApiError("invalid_arguments")
    for user_id, user in ws.users.items():
        if (user.get("email") or "").lower() == email:
            return users_info(ws, {"user": user_id})
    raise ApiError("users_not_found")


def add_lexer_agents(ws: Workspace, lexer_users: list[dict], prefix: str = "UAG") -> dict[str, str]:
    """Add a Slack member for each Lexer user (same email and timezone); returns {email: Slack user id}."""
    ids = {}
    for n, user in enumerate(lexer_users, start=1):
        user_id = f"{prefix}{n:05d}"
        ws.add_user(
            user_id,
            name=str(user.get("first_name", "")).lower() or user_id.lower(),
            real_name=f"{user.get('first_name', '')} {user.get('last_name', '')}".strip(),
            tz=user.get("timezone") or "UTC",
            email=user["email"],
        )
        ids[user["email"]] = user_id
    return ids
