"""A Slack message payload (text, blocks, attachments, files) as terminal text (pure).

What `lexer-bot ask`, `digest preview` and the demo print.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from bot.slack.text_pictures import chart_lines, table_lines

_MRKDWN_TOKEN = re.compile(r"<([^<>]+)>")


def _render_mrkdwn(text: str, names: Mapping[str, str]) -> str:
    """Slack's angle-bracket tokens as a reader sees them; *bold* and _italic_ stay as typed."""

    def token(match: re.Match) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or names.get(target[1:], target[1:]))
        if target.startswith("#"):
            return "#" + (label or names.get(target[1:], target[1:]))
        if target.startswith("!"):
            if target.startswith(("!date", "!subteam")):
                return label or target[1:]
            return "@" + target[1:]
        return f"{label} ({target})" if label and label != target else target

    return html.unescape(_MRKDWN_TOKEN.sub(token, text))


def _text_object(obj: Any, names: Mapping[str, str]) -> str:
    if isinstance(obj, str):
        return obj
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text") or "")
    return _render_mrkdwn(text, names) if obj.get("type") == "mrkdwn" else text


def _element(element: dict, names: Mapping[str, str]) -> str:
    kind = element.get("type")
    if kind == "button":
        return f"[{_text_object(element.get('text'), names)}]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("mrkdwn", "plain_text"):
        return _text_object(element, names)
    if kind == "overflow":
        return "[...]"
    if kind and "select" in kind:
        placeholder = _text_object(element.get("placeholder"), names) or "choose"
        return f"[{placeholder} v]"
    if kind == "datepicker":
        return f"[{element.get('initial_date') or 'pick a date'}]"
    return f"[{kind}]"


def _rich_text_inline(elements: list, names: Mapping[str, str]) -> str:
    out = []
    for e in elements or []:
        kind = e.get("type")
        if kind == "text":
            out.append(e.get("text", ""))
        elif kind == "link":
            out.append(f"{e['text']} ({e.get('url', '')})" if e.get("text") else e.get("url", ""))
        elif kind == "user":
            out.append("@" + names.get(e.get("user_id", ""), e.get("user_id", "")))
        elif kind == "channel":
            out.append("#" + names.get(e.get("channel_id", ""), e.get("channel_id", "")))
        elif kind == "usergroup":
            out.append("@" + e.get("usergroup_id", ""))
        elif kind == "broadcast":
            out.append("@" + e.get("range", "here"))
        elif kind == "emoji":
            out.append(f":{e.get('name', '')}:")
        elif kind == "date":
            out.append(e.get("fallback", str(e.get("timestamp", ""))))
    return "".join(out)


def _rich_text(block: dict, names: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for part in block.get("elements") or []:
        kind = part.get("type")
        if kind == "rich_text_section":
            lines.extend(_rich_text_inline(part.get("elements"), names).split("\n"))
        elif kind == "rich_text_list":
            indent = "  " * int(part.get("indent", 0))
            for n, item in enumerate(part.get("elements") or [], start=1):
                bullet = f"{n}." if part.get("style") == "ordered" else "•"
                lines.append(f"{indent}{bullet} {_rich_text_inline(item.get('elements'), names)}")
        elif kind == "rich_text_preformatted":
            lines.extend(["```", *_rich_text_inline(part.get("elements"), names).split("\n"), "```"])
        elif kind == "rich_text_quote":
            lines.extend("> " + line for line in _rich_text_inline(part.get("elements"), names).split("\n"))
    return lines


def _block_lines(block: dict, names: Mapping[str, str]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = _text_object(block.get("text"), names)
        return [title, "=" * min(len(title), 60)]
    if kind == "section":
        lines = []
        text = _text_object(block.get("text"), names)
        accessory = block.get("accessory")
        if text:
            lines.extend(text.split("\n"))
        if isinstance(accessory, dict):
            rendered = _element(accessory, names)
            if lines:
                lines[0] = f"{lines[0]}  {rendered}"
            else:
                lines.append(rendered)
        for f in block.get("fields") or []:
            # a field is usually "*Label*\nvalue"; one line each reads best in a terminal
            lines.append("  " + "  ".join(p for p in _text_object(f, names).split("\n") if p))
        return lines
    if kind == "context":
        return ["  ".join(_element(e, names) for e in block.get("elements") or [] if isinstance(e, dict))]
    if kind == "divider":
        return ["-" * 40]
    if kind == "actions":
        return [" ".join(_element(e, names) for e in block.get("elements") or [] if isinstance(e, dict))]
    if kind == "image":
        title = _text_object(block.get("title"), names)
        return [f"[image: {block.get('alt_text', '')}]" + (f" {title}" if title else "")]
    if kind == "rich_text":
        return _rich_text(block, names)
    if kind == "markdown":
        return str(block.get("text", "")).split("\n")
    if kind == "data_visualization":
        return chart_lines(block)
    if kind in ("table", "data_table"):
        return table_lines(block)
    return [f"[{kind} block]"]


def render_message_text(message: dict, *, names: Mapping[str, str] | None = None) -> str:
    """A Slack message payload (text, blocks, attachments, files) as readable terminal text."""
    names = names or {}
    lines: list[str] = []
    blocks = message.get("blocks")
    if isinstance(blocks, list) and blocks:
        for block in blocks:
            if isinstance(block, dict):
                lines.extend(_block_lines(block, names))
    elif message.get("text"):
        lines.extend(_render_mrkdwn(str(message["text"]), names).split("\n"))
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        inner: list[str] = []
        for key in ("pretext", "title", "text"):
            if attachment.get(key):
                inner.extend(_render_mrkdwn(str(attachment[key]), names).split("\n"))
        for f in attachment.get("fields") or []:
            inner.append(f"{f.get('title', '')}: {_render_mrkdwn(str(f.get('value', '')), names)}")
        for block in attachment.get("blocks") or []:
            inner.extend(_block_lines(block, names))
        if not inner and attachment.get("fallback"):
            inner.append(str(attachment["fallback"]))
        lines.extend("| " + line for line in inner)
    for f in message.get("files") or []:
        title = f.get("title") or f.get("name") or f.get("id")
        lines.append(f"[file: {title}" + (f" ({f['name']})" if f.get("name") and f["name"] != title else "") + "]")
    return "\n".join(lines)
