"""conversations.history as Slack answers it: newest first, oldest/latest/inclusive, cursor pages, metadata on ask."""

from __future__ import annotations

import base64
import copy
from typing import Any

from bot.sandbox.slack_standin.errors import ApiError
from bot.sandbox.slack_standin.workspace import Workspace

DEFAULT_LIMIT = 100
MAX_LIMIT = 999
_CURSOR_PREFIX = "next_ts:"


def conversations_history(ws: Workspace, params: dict) -> dict:
    """conversations.history: channel-level messages (no thread replies) between oldest and latest."""
    channel_id = _readable_channel(ws, str(params.get("channel") or ""))
    oldest = _ts_param(params, "oldest", "invalid_ts_oldest", default=0.0)
    latest = _ts_param(params, "latest", "invalid_ts_latest", default=float("inf"))
    inclusive = _truthy(params.get("inclusive"))
    limit = _limit(params.get("limit"))
    with_metadata = _truthy(params.get("include_all_metadata"))
    cursor = str(params.get("cursor") or "")
    if cursor:
        latest = _cursor_ts(cursor)
        inclusive = False

    def in_range(ts: float) -> bool:
        if inclusive:
            return oldest <= ts <= latest
        return oldest < ts < latest

    top_level = [
        m
        for m in ws.channel_messages.get(channel_id, [])
        if not (m.get("thread_ts") and m["thread_ts"] != m["ts"]) and in_range(float(m["ts"]))
    ]
    newest_first = sorted(top_level, key=lambda m: float(m["ts"]), reverse=True)
    page, rest = newest_first[:limit], newest_first[limit:]
    answer: dict[str, Any] = {
        "messages": [_shown(m, with_metadata) for m in page],
        "has_more": bool(rest),
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
    }
    if rest:
        answer["response_metadata"] = {"next_cursor": _cursor_for(page[-1]["ts"])}
    return answer


def _readable_channel(ws: Workspace, channel: str) -> str:
    if channel in ws.dms:
        return channel
    info = ws.channels.get(channel)
    if info is None or (info["is_private"] and not info["is_member"]):
        raise ApiError("channel_not_found")
    if not info["is_member"]:
        raise ApiError("not_in_channel")
    return channel


def _shown(message: dict, with_metadata: bool) -> dict:
    shown = {k: v for k, v in copy.deepcopy(message).items() if v is not None}
    if not with_metadata:
        shown.pop("metadata", None)  # Slack sends a message's metadata only when include_all_metadata is set
    return shown


def _ts_param(params: dict, key: str, error: str, *, default: float) -> float:
    value = params.get(key)
    if value in (None, ""):
        return default
    try:
        return float(str(value))
    except ValueError:
        raise ApiError(error) from None


def _limit(value: Any) -> int:
    if value in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(str(value))
    except ValueError:
        raise ApiError("invalid_limit") from None
    return max(1, min(limit, MAX_LIMIT))


def _cursor_for(ts: str) -> str:
    return base64.b64encode(f"{_CURSOR_PREFIX}{ts}".encode()).decode()


def _cursor_ts(cursor: str) -> float:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(cursor)
        return float(text[len(_CURSOR_PREFIX) :])
    except ValueError:
        raise ApiError("invalid_cursor") from None


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes")
