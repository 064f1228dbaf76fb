"""Block Kit pieces as plain dicts, and the checks a whole message must pass (pure).

Builders cut over-long text (a shortened report beats a rejected one); the
validators are strict, so tests catch any builder that would break a limit.
slack_sdk's block models are used only to parse and validate, never to send.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.slack.charts import ChartError, check_chart_count, validate_chart
from bot.slack.format import truncate
from bot.slack.tables import TABLE_TYPES, TableError, check_table_count, validate_table_block

# Slack's limits (Block Kit reference)
MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 3000
MAX_ACTIONS = 25
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_BUTTON_VALUE = 2000
MAX_MESSAGE_TEXT = 40000  # Slack truncates a message `text` past this

BUTTON_STYLES = ("primary", "danger")


def _mrkdwn(text: str, limit: int) -> dict:
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def _plain(text: str, limit: int) -> dict:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def header(text: str) -> dict:
    """A header block; plain text (Slack shows it literally, so no escaping needed)."""
    return {"type": "header", "text": _plain(" ".join(text.split()), MAX_HEADER)}


def section(text: str | None, fields: Sequence[str] | None = None, accessory: dict | None = None) -> dict:
    """A mrkdwn section, with optional fields (<= 10) and accessory."""
    block: dict[str, Any] = {"type": "section"}
    if text:
        block["text"] = _mrkdwn(text, MAX_SECTION_TEXT)
    if fields:
        if len(fields) > MAX_FIELDS:
            raise ValueError(f"a section holds at most {MAX_FIELDS} fields, got {len(fields)}")
        block["fields"] = [_mrkdwn(f, MAX_FIELD_TEXT) for f in fields]
    if accessory:
        block["accessory"] = accessory
    return block


def fields_section(pairs: Iterable[tuple[str, str]]) -> dict:
    """A section of '*label*\\nvalue' fields, shown two to a row."""
    return section(None, [f"*{label}*\n{value}" for label, value in pairs])


def context(elements: Sequence[str]) -> dict:
    """A context block of small mrkdwn texts (<= 10)."""
    if not elements or len(elements) > MAX_CONTEXT_ELEMENTS:
        raise ValueError(f"a context block holds 1 to {MAX_CONTEXT_ELEMENTS} elements, got {len(elements)}")
    return {"type": "context", "elements": [_mrkdwn(e, MAX_CONTEXT_TEXT) for e in elements]}


def divider() -> dict:
    return {"type": "divider"}


def actions(buttons: Sequence[dict]) -> dict:
    """An actions block of up to 25 elements."""
    if not buttons or len(buttons) > MAX_ACTIONS:
        raise ValueError(f"an actions block holds 1 to {MAX_ACTIONS} elements, got {len(buttons)}")
    return {"type": "actions", "elements": list(buttons)}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    """A button element; style is 'primary', 'danger' or None."""
    if style is not None and style not in BUTTON_STYLES:
        raise ValueError(f"button style must be one of {BUTTON_STYLES}, got {style!r}")
    b: dict[str, Any] = {
        "type": "button",
        "text": _plain(text, MAX_BUTTON_TEXT),
        "action_id": action_id[:MAX_ACTION_ID],
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style:
        b["style"] = style
    return b


# ---------------------------------------------------------------- validation


def _text_of(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def _check_limits(i: int, block: dict) -> None:
    """Our own reading of the limits, so the error names the block and the rule."""
    kind = block.get("type")
    where = f"block {i} ({kind})"
    if kind == "header":
        t = block.get("text")
        if not isinstance(t, dict) or t.get("type") != "plain_text":
            raise ValueError(f"{where}: a header's text must be plain_text")
        if len(_text_of(t)) > MAX_HEADER:
            raise ValueError(f"{where}: header text is {len(_text_of(t))} characters, over {MAX_HEADER}")
    elif kind == "section":
        if "text" not in block and "fields" not in block:
            raise ValueError(f"{where}: a section needs text or fields")
        if "text" in block and len(_text_of(block["text"])) > MAX_SECTION_TEXT:
            raise ValueError(
                f"{where}: section text is {len(_text_of(block['text']))} characters, over {MAX_SECTION_TEXT}"
            )
        fields = block.get("fields") or []
        if len(fields) > MAX_FIELDS:
            raise ValueError(f"{where}: {len(fields)} fields, over {MAX_FIELDS}")
        for j, f in enumerate(fields):
            if len(_text_of(f)) > MAX_FIELD_TEXT:
                raise ValueError(f"{where}: field {j} is {len(_text_of(f))} characters, over {MAX_FIELD_TEXT}")
    elif kind == "context":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
            raise ValueError(f"{where}: {len(elements)} elements; a context block holds 1 to {MAX_CONTEXT_ELEMENTS}")
        for j, e in enumerate(elements):
            if (
                isinstance(e, dict)
                and e.get("type") in ("mrkdwn", "plain_text")
                and len(_text_of(e)) > MAX_CONTEXT_TEXT
            ):
                raise ValueError(f"{where}: element {j} is over {MAX_CONTEXT_TEXT} characters")
    elif kind == "actions":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= MAX_ACTIONS:
            raise ValueError(f"{where}: {len(elements)} elements; an actions block holds 1 to {MAX_ACTIONS}")
    for key in ("text",):
        t = block.get(key)
        if isinstance(t, dict) and not _text_of(t).strip():
            raise ValueError(f"{where}: empty text")
    for j, f in enumerate(block.get("fields") or []):
        if not _text_of(f).strip():
            raise ValueError(f"{where}: field {j} is empty")
    for j, e in enumerate(block.get("elements") or []):
        if isinstance(e, dict) and e.get("type") in ("mrkdwn", "plain_text") and not _text_of(e).strip():
            raise ValueError(f"{where}: element {j} is empty")


def _validate_blocks(blocks: Any, max_blocks: int) -> None:
    # imported here: `import slack_sdk` loads its WebClient, which the builders importing this module must not
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

    if not isinstance(blocks, list):
        raise ValueError("blocks must be a list")
    if len(blocks) > max_blocks:
        raise ValueError(f"{len(blocks)} blocks, over Slack's limit of {max_blocks}")
    for i, raw in enumerate(blocks):
        if not isinstance(raw, dict) or not raw.get("type"):
            raise ValueError(f"block {i}: not a block (a dict with a type)")
        if raw["type"] in ("data_visualization", *TABLE_TYPES):
            # slack_sdk has no model for the newer blocks and checks only that a table has rows: ours check them
            try:
                (validate_chart if raw["type"] == "data_visualization" else validate_table_block)(raw)
            except (ChartError, TableError) as e:
                raise ValueError(f"block {i} ({raw['type']}): {e}") from None
            if raw["type"] != "table":
                continue
        _check_limits(i, raw)
        parsed = Block.parse(raw)
        if parsed is None or type(parsed) is Block:
            raise ValueError(f"block {i}: unknown block type {raw.get('type')!r}")
        try:
            parsed.validate_json()
            again = parsed.to_dict()
        except SlackObjectFormationError as e:
            raise ValueError(f"block {i} ({raw['type']}): {e}") from None
        # slack_sdk drops keys it does not know; Slack itself would refuse them
        if again != raw:
            raise ValueError(f"block {i} ({raw['type']}): has attributes Slack does not accept (parsed as {again!r})")


def validate_message(message: dict, *, max_blocks: int = MAX_BLOCKS) -> None:
    """Raise ValueError naming the first problem that would make Slack refuse or cut the message."""
    if not isinstance(message, dict):
        raise ValueError("a message must be a dict")
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the plain `text` fallback is missing or empty")
    if len(text) > MAX_MESSAGE_TEXT:
        raise ValueError(f"`text` is {len(text)} characters, over {MAX_MESSAGE_TEXT}")
    blocks = message.get("blocks", [])
    _validate_blocks(blocks, max_blocks)
    check_chart_count(blocks, "message")
    check_table_count(blocks)


def validate_view(view: dict) -> None:
    """Raise ValueError unless `view` is a valid home/modal view of at most 100 blocks."""
    if not isinstance(view, dict) or view.get("type") not in ("home", "modal"):
        raise ValueError("a view must be a dict of type 'home' or 'modal'")
    _validate_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)
    check_chart_count(view.get("blocks", []), view["type"])
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.views import View

    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError) as e:
        raise ValueError(f"view: {e}") from None
