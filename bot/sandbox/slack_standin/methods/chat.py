"""chat.postMessage, chat.postEphemeral, chat.update, chat.delete and chat.getPermalink."""

from __future__ import annotations

import copy

from bot.sandbox.slack_standin.errors import ApiError
from bot.sandbox.slack_standin.validation import MAX_MESSAGE_BLOCKS, check_content
from bot.sandbox.slack_standin.workspace import TEAM_DOMAIN, Workspace


def post_message(ws: Workspace, params: dict) -> dict:
    """chat.postMessage."""
    channel_id = ws.resolve_channel(str(params.get("channel") or ""))
    check_content(params, max_blocks=MAX_MESSAGE_BLOCKS)
    message = ws.bot_message(params, ws.next_ts())
    ws.store_message(channel_id, message)
    return {"channel": channel_id, "ts": message["ts"], "message": _public(message)}


def post_ephemeral(ws: Workspace, params: dict) -> dict:
    """chat.postEphemeral: kept apart from the channel's messages."""
    channel_id = ws.resolve_channel(str(params.get("channel") or ""))
    user = str(params.get("user") or "")
    if user not in ws.users:
        raise ApiError("user_not_found")
    check_content(params, max_blocks=MAX_MESSAGE_BLOCKS)
    message = ws.bot_message(params, ws.next_ts())
    message.update(channel=channel_id, ephemeral_for=user)
    ws.ephemeral_messages.append(message)
    return {"message_ts": message["ts"]}


def update(ws: Workspace, params: dict) -> dict:
    """chat.update: the bot's own messages only."""
    channel_id = ws.resolve_channel(str(params.get("channel") or ""))
    message = ws.find_message(channel_id, str(params.get("ts") or ""))
    if message.get("user") != ws.bot_user_id:
        raise ApiError("cant_update_message")
    check_content(params, max_blocks=MAX_MESSAGE_BLOCKS)
    for key in ("text", "blocks", "attachments"):
        if key in params:
            message[key] = params[key]
    message["edited"] = {"user": ws.bot_user_id, "ts": ws.next_ts()}
    return {"channel": channel_id, "ts": message["ts"], "text": message["text"], "message": _public(message)}


def delete(ws: Workspace, params: dict) -> dict:
    """chat.delete: the bot's own messages only."""
    channel_id = ws.resolve_channel(str(params.get("channel") or ""))
    message = ws.find_message(channel_id, str(params.get("ts") or ""))
    if message.get("user") != ws.bot_user_id:
        raise ApiError("cant_delete_message")
    ws.channel_messages[channel_id].remove(message)
    return {"channel": channel_id, "ts": message["ts"]}


def get_permalink(ws: Workspace, params: dict) -> dict:
    """chat.getPermalink, with thread_ts for a reply."""
    channel_id = ws.resolve_channel(str(params.get("channel") or ""), for_posting=False)
    message = ws.find_message(channel_id, str(params.get("message_ts") or ""))
    link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel_id}/p{message['ts'].replace('.', '')}"
    if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
        link += f"?thread_ts={message['thread_ts']}&cid={channel_id}"
    return {"channel": channel_id, "permalink": link}


def _public(message: dict) -> dict:
    return {k: v for k, v in copy.deepcopy(message).items() if v is not None}
