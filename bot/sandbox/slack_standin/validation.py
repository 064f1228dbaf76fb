"""Slack's checks on what a message or a view holds (pure)."""

from __future__ import annotations

import copy
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from bot.sandbox.slack_standin.errors import ApiError
from bot.slack.charts import ChartError, Surface, check_chart_count, validate_chart
from bot.slack.tables import TABLE_TYPES, TableError, check_table_count, validate_table_block

MAX_MESSAGE_BLOCKS = 50  # Slack's limit per message
MAX_VIEW_BLOCKS = 100  # Slack's limit per Home tab view
MAX_TEXT_CHARS = 40_000  # beyond this chat.postMessage answers msg_too_long


def _newer_block_problem(raw: dict) -> str | None:
    """The limit a chart, table or data table breaks (slack_sdk models none of them fully), None when it holds."""
    try:
        (validate_chart if raw["type"] == "data_visualization" else validate_table_block)(raw)
    except (ChartError, TableError) as e:
        return str(e)
    return None


def _surface_problems(blocks: list, surface: Surface, pointer: str) -> list[str]:
    """Charts in a message (at most 2) and never in a view; one table a message."""
    try:
        check_chart_count(blocks, surface)
        if surface == "message":
            check_table_count(blocks)
    except (ChartError, TableError) as e:
        return [f"[ERROR] {e} [json-pointer:{pointer}]"]
    return []


def block_problems(
    blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks", surface: Surface = "message"
) -> list[str]:
    """Slack-style `[ERROR] … [json-pointer:…]` messages for invalid Block Kit blocks; empty when valid.

    `surface` is "message", "home" or "modal": a view (Home tab or modal) may hold no chart.
    """
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
        if raw["type"] in ("data_visualization", *TABLE_TYPES):
            problem = _newer_block_problem(raw)
            if problem:
                problems.append(f"[ERROR] {problem} {where}")
            if raw["type"] != "table":
                continue
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
    return problems or _surface_problems(blocks, surface, pointer)


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
