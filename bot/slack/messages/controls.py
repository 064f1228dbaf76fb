"""The controls under a report answer (range menu, Compare, Share) and the compared answer (pure).

A control's value is the `/lexer` text that asks for what it shows (bot.slack.actions),
never the answer itself: a click runs that text through the same command path as a
typed command, so the cache, the Lexer budget and the asker's timezone all apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.slack import blocks as bk
from bot.slack.actions import (
    REPORT_COMPARE,
    REPORT_RANGE,
    REPORT_SHARE,
    report_command_text,
    report_control_value,
)
from bot.slack.format import MISSING, format_change, format_count, format_duration, format_nps, format_percent
from bot.slack.messages.common import (
    FOOTER_SEP,
    SANDBOX_NOTE,
    Col,
    ReplyContext,
    build_message,
    esc,
    table_blocks,
    title_text,
)
from bot.timeframe import Timeframe

# how a control click's answer is delivered through its response_url (bot.commands.reply.send_reply)
DELIVER_REPLACE = "replace"  # in place of the answer clicked (an error comes beside it instead)
DELIVER_NEW = "new"  # a new private answer for the clicker
DELIVER_SHARE = "share"  # a new message in the channel, then the private copy is deleted
#: Slack's cap on a select option's value; a button's is 2,000
MAX_OPTION_VALUE = 150
CONTROLS_BLOCK_ID = "lexer.report.controls"
RANGE_CHOICES: tuple[tuple[str, str], ...] = (
    ("today", "Today"),
    ("yesterday", "Yesterday"),
    ("this-week", "This week"),
    ("last-week", "Last week"),
    ("last-7d", "Last 7 days"),
    ("last-30d", "Last 30 days"),
    ("this-month", "This month"),
    ("last-month", "Last month"),
)
RANGE_PLACEHOLDER = "Change range"
COMPARE_LABEL = "Compare"
UNCOMPARE_LABEL = "Hide comparison"
SHARE_LABEL = "Share in channel"
SHARED_BY = "Shared by <@{user}>"
UP, DOWN = "▲", "▼"
COMPARE_ROWS = 15  # rows of a compared table: the biggest movers are what a lead reads

FigureKind = Literal["count", "duration", "percent", "nps"]


@dataclass(frozen=True)
class ReportState:
    """What a report answer shows, as the command that asks for it (filters by Lexer id)."""

    name: str
    range_text: str
    asker_id: str
    group_id: int | None = None
    agent_id: int | None = None
    form_id: int | None = None
    category: str | None = None
    compare: bool = False

    def text(self, *, range_text: str | None = None, compare: bool | None = None) -> str:
        return report_command_text(
            self.name,
            range_text or self.range_text,
            group_id=self.group_id,
            agent_id=self.agent_id,
            form_id=self.form_id,
            category=self.category,
            compare=self.compare if compare is None else compare,
        )


def _option(label: str, value: str) -> dict:
    if len(value) > MAX_OPTION_VALUE:
        raise ValueError(f"a range option's value is {len(value)} characters, over Slack's {MAX_OPTION_VALUE}")
    return {"text": {"type": "plain_text", "text": label}, "value": value}


def controls_block(state: ReportState, *, shareable: bool) -> dict:
    """Range menu, Compare (or Hide comparison) and, on the asker's private copy, Share in channel."""
    options = [
        _option(label, report_control_value(state.text(range_text=word), state.asker_id))
        for word, label in RANGE_CHOICES
    ]
    menu: dict = {
        "type": "static_select",
        "action_id": REPORT_RANGE,
        "placeholder": {"type": "plain_text", "text": RANGE_PLACEHOLDER},
        "options": options,
    }
    current = [o for (word, _), o in zip(RANGE_CHOICES, options, strict=True) if word == state.range_text]
    if current:
        menu["initial_option"] = current[0]
    toggled = report_control_value(state.text(compare=not state.compare), state.asker_id)
    elements = [menu, bk.button(UNCOMPARE_LABEL if state.compare else COMPARE_LABEL, REPORT_COMPARE, toggled)]
    if shareable:
        elements.append(bk.button(SHARE_LABEL, REPORT_SHARE, report_control_value(state.text(), state.asker_id)))
    block = bk.actions(elements)
    block["block_id"] = CONTROLS_BLOCK_ID
    return block


def with_controls(message: dict, state: ReportState, *, shared_by: str | None = None) -> dict:
    """The answer with its controls last; a shared answer names who shared it and has no Share button."""
    blocks = list(message.get("blocks") or [])
    if shared_by:
        blocks.append(bk.context([SHARED_BY.format(user=shared_by)]))
    blocks = blocks[: bk.MAX_BLOCKS - 1]  # builders keep RESERVED_BLOCKS free; this never cuts in practice
    blocks.append(controls_block(state, shareable=not shared_by))
    return {**message, "blocks": blocks}


def has_controls(message: dict) -> bool:
    """True for a report answer (it carries the controls); errors and notices do not."""
    return any(b.get("block_id") == CONTROLS_BLOCK_ID for b in message.get("blocks") or [])


# ---------------------------------------------------------------- compared answers


@dataclass(frozen=True)
class Figure:
    """One headline number of a report, now and one period earlier."""

    label: str
    now: float | None
    before: float | None
    kind: FigureKind = "count"


def figure_text(value: float | None, kind: FigureKind) -> str:
    if value is None:
        return MISSING
    if kind == "duration":
        return format_duration(value)
    if kind == "percent":
        return format_percent(value)
    if kind == "nps":
        return format_nps(value)
    return format_count(value)


def change_text(now: float | None, before: float | None, kind: FigureKind) -> str:
    """'▲ 4' for counts (the brief's `Breaches 14 ▲ 4`); durations, percent points and NPS points otherwise."""
    if now is None or before is None:
        return MISSING
    if kind == "count":
        diff = now - before
        if diff == 0:
            return "no change"
        return f"{UP if diff > 0 else DOWN} {format_count(abs(diff))}"
    return format_change(now, before, kind)


def compare_footer(tf: Timeframe, before: Timeframe, ctx: ReplyContext) -> str:
    parts = [f"{tf.describe()} vs {before.describe()}"]
    if ctx.filters_text:
        parts.append(esc(ctx.filters_text))
    parts.append(tf.tz_name)
    if ctx.sandbox:
        parts.append(SANDBOX_NOTE)
    return FOOTER_SEP.join(parts)


def compare_message(
    title: str,
    figures: Sequence[Figure],
    tf: Timeframe,
    before: Timeframe,
    ctx: ReplyContext,
    rows: Sequence[tuple[str, float, float]] = (),
    row_what: str = "rows",
) -> dict:
    """Each figure now, its change and its value one period earlier; then an optional name/now/before table."""
    shown = [f for f in figures if f.now is not None or f.before is not None] or list(figures)
    lines = [
        f"*{esc(f.label)}*  {figure_text(f.now, f.kind)}  {change_text(f.now, f.before, f.kind)} "
        f"vs {before.words} ({figure_text(f.before, f.kind)})"
        for f in shown
    ]
    blocks = [bk.header(title_text(f"{title} · compared", ctx)), bk.section("\n".join(lines))]
    if rows:
        ranked = sorted(rows, key=lambda r: (-abs(r[1] - r[2]), -r[1], r[0].casefold()))[:COMPARE_ROWS]
        cols = [Col(row_what.capitalize(), right=False, max_width=20), Col("Now"), Col("Before"), Col("Change")]
        table = [[name, format_count(a), format_count(b), change_text(a, b, "count")] for name, a, b in ranked]
        blocks.extend(table_blocks(cols, table, row_what, max_sections=6))
        if len(rows) > len(ranked):
            blocks.append(bk.context([f"The {len(ranked)} biggest changes of {format_count(len(rows))} {row_what}."]))
    blocks.append(bk.context([compare_footer(tf, before, ctx)]))
    head = shown[0] if shown else None
    numbers = (
        f"{head.label} {figure_text(head.now, head.kind)} {change_text(head.now, head.before, head.kind)} "
        f"vs {before.words}"
        if head
        else "no figures"
    )
    return build_message(f"{title_text(title, ctx, escape=True)}, {tf.words}: {numbers}", blocks)
