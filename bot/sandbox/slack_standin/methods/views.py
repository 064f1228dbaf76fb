"""views.publish (Home tab views only) and views.open (modals)."""

from __future__ import annotations

import copy

from bot.sandbox.slack_standin.errors import ApiError
from bot.sandbox.slack_standin.validation import MAX_VIEW_BLOCKS, block_problems
from bot.sandbox.slack_standin.workspace import Workspace


def publish(ws: Workspace, params: dict) -> dict:
    """views.publish: a valid Home view for a known user, kept in that user's history."""
    user_id = str(params.get("user_id") or "")
    if user_id not in ws.users:
        raise ApiError("invalid_arguments", "invalid `user_id`")
    view = params.get("view")
    if not isinstance(view, dict):
        raise ApiError("invalid_arguments", "[ERROR] must provide an object [json-pointer:/view]")
    if view.get("type") != "home":
        raise ApiError("invalid_arguments", "[ERROR] must be home [json-pointer:/view/type]")
    problems = block_problems(view.get("blocks"), max_blocks=MAX_VIEW_BLOCKS, pointer="/view/blocks", surface="home")
    if problems:
        raise ApiError("invalid_arguments", *problems)
    view_id = f"V{ws.next_number():08d}"
    published = {
        "id": view_id,
        "team_id": ws.team_id,
        "type": "home",
        "blocks": view.get("blocks", []),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "external_id": view.get("external_id", ""),
        "hash": ws.next_ts(),
        "root_view_id": view_id,
        "bot_id": ws.bot_id,
    }
    ws.home_views.setdefault(user_id, []).append(copy.deepcopy(published))
    return {"view": published}


def open_modal(ws: Workspace, params: dict) -> dict:
    """views.open: a modal for a trigger id; kept in `ws.modals` with the team that opened it."""
    if not params.get("trigger_id"):
        raise ApiError("invalid_arguments", "[ERROR] missing required field: trigger_id")
    view = params.get("view")
    if not isinstance(view, dict) or view.get("type") != "modal":
        raise ApiError("invalid_arguments", "[ERROR] must be modal [json-pointer:/view/type]")
    problems = block_problems(view.get("blocks"), max_blocks=MAX_VIEW_BLOCKS, pointer="/view/blocks", surface="modal")
    if problems:
        raise ApiError("invalid_arguments", *problems)
    opened = {**copy.deepcopy(view), "id": f"V{ws.next_number():08d}", "team_id": ws.caller_team_id or ws.team_id}
    ws.modals.append(opened)
    return {"view": opened}
