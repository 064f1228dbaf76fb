"""Slack's checks on what a message or a view holds (pure)."""

from __future__ import annotations

import copy
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from bot.sandbox.slack_standin.errors import ApiError

MAX_MESSAGE_BLOCKS = 50  # Slack's limit per message
MAX_VIEW_BLOCKS = 100  # Slack's limit per Home tab view
MAX_TEXT_CHARS = 40_000  # beyond this chat.postMessage answers msg_too_long


def block_problems(blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks") -> list[str]:
    """Slack-style `[ERROR] … [json-pointer:…]` messages for invalid Block Kit blocks; empty when valid."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    if len(blocks) > max_blocks:
        return [f"[ERROR] no more than {max_blocks} items allowed [json-pointer:{pointer}]"]
    problems = []
    block_ids: set[str] = set()
    for i, raw in enumerate(blocks):
        where = f"[json-pointer:{pointer}/{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            problems.append(f"[ERROR] must be an object with a type {where}")
            continue
        block_id = raw.get("block_id")
        if block_id is not None:
            if block_id in block_ids:
                problems.append(f"[ERROR] duplicate block_id {block_id!r} {where}")
            block_ids.add(block_id)
        for name in ("text",):  # Slack refuses empty text objects; slack_sdk doesn't check that
            text = raw.get(name)
            if isinstance(text, dict) and not text.get("text"):
                problems.append(f"[ERROR] must be more than 0 characters [json-pointer:{pointer}/{i}/{name}/text]")
        try:
            block = Block.parse(copy.deepcopy(raw))
            if block is None:
                problems.append(f"[ERROR] unsupported type: {raw['type']} {where}")
                continue
            block.to_dict()  # runs slack_sdk's validators on the block and everything in it
        except SlackObjectFormationError as e:
            problems.append(f"[ERROR] {e} {where}")
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            problems.append(f"[ERROR] malformed block ({type(e).__name__}) {where}")
    return problems


def check_content(params: dict, *, max_blocks: int) -> None:
    """Slack's checks on a message body: something to show, valid blocks, not too long."""
    blocks = params.get("blocks")
    if blocks is not None:
        problems = block_problems(blocks, max_blocks=max_blocks)
        if problems:
            raise ApiError("invalid_blocks", *problems)
    if not params.get("text") and not blocks and not params.get("attachments"):
        raise ApiError("no_text")
    if len(str(params.get("text") or "")) > MAX_TEXT_CHARS:
        raise ApiError("msg_too_long")
