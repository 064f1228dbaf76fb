"""conversations.open, conversations.info, conversations.join and users.info."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.slack_standin.errors import ApiError
from bot.sandbox.slack_standin.workspace import Workspace


def open_conversation(ws: Workspace, params: dict) -> dict:
    """conversations.open: an existing channel, or the 1:1 DM with one user."""
    if params.get("channel"):
        channel_id = ws.resolve_channel(str(params["channel"]), for_posting=False)
        return {"channel": ws.channel_object(channel_id) if _truthy(params.get("return_im")) else {"id": channel_id}}
    users = [u for u in str(params.get("users") or "").split(",") if u]
    if not users:
        raise ApiError("users_list_not_supplied")
    if len(users) > 1:  # group DMs are not modelled; say so rather than answer wrongly
        raise ApiError("invalid_arguments", "[ERROR] the stand-in opens 1:1 DMs only")
    if users[0] not in ws.users:
        raise ApiError("user_not_found")
    dm_id = "D" + users[0][1:]
    already = dm_id in ws.dms
    ws.dm_for(users[0])
    channel = ws.channel_object(dm_id) if _truthy(params.get("return_im")) else {"id": dm_id}
    return {"no_op": already, "already_open": already, "channel": channel}


def info(ws: Workspace, params: dict) -> dict:
    """conversations.info."""
    channel = str(params.get("channel") or "")
    if channel[:1] in ("U", "W"):  # conversations.info takes conversation ids only
        raise ApiError("channel_not_found")
    channel_id = ws.resolve_channel(channel, for_posting=False)
    return {"channel": ws.channel_object(channel_id)}


def join(ws: Workspace, params: dict) -> dict:
    """conversations.join: public, unarchived channels only."""
    channel = str(params.get("channel") or "")
    if channel in ws.dms:
        raise ApiError("method_not_supported_for_channel_type")
    found = ws.channels.get(channel)
    if found is None:
        raise ApiError("channel_not_found")
    if found["is_private"]:
        raise ApiError("method_not_supported_for_channel_type")
    if found["is_archived"]:
        raise ApiError("is_archived")
    answer: dict = {}
    if found["is_member"]:
        answer["warning"] = "already_in_channel"
        answer["response_metadata"] = {"warnings": ["already_in_channel"]}
    found["is_member"] = True
    return {"channel": ws.channel_object(channel), **answer}


def users_info(ws: Workspace, params: dict) -> dict:
    """users.info, with the zone's offset and label at the stand-in's now."""
    user = ws.users.get(str(params.get("user") or ""))
    if user is None:
        raise ApiError("user_not_found")
    zone = ZoneInfo(user["tz"])
    now = datetime.fromtimestamp(ws.clock(), zone)
    offset = now.utcoffset()
    return {
        "user": {
            "id": user["id"],
            "team_id": ws.caller_team_id or ws.team_id,
            "name": user["name"],
            "deleted": False,
            "real_name": user["real_name"],
            "tz": user["tz"],
            "tz_label": _tz_label(now),
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_admin": user["is_admin"],
            "is_owner": user.get("is_owner", False),
            "is_bot": user["is_bot"],
            "profile": {"real_name": user["real_name"], "display_name": user["name"]},
        }
    }


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes")


def _tz_label(now: datetime) -> str:
    # zoneinfo has no long names ("Australian Eastern Daylight Time"); the abbreviation serves the demo
    return now.tzname() or "UTC"
