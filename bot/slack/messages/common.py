"""What every reply shares (pure): ReplyContext, the footer, the fallback line, tables, lists, limits.

Text that comes from Lexer (names, classifications, forms) is untrusted: it goes
through mrkdwn_escape, after padding/cutting, so a name like `<!channel>` shows
literally and never pings, and an `&amp;` entity is never cut in half.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.lexer.models import Form
from bot.slack import blocks as bk
from bot.slack.format import format_count, mrkdwn_escape, one_line, truncate
from bot.timeframe import Timeframe

# ---------------------------------------------------------------- wording

SANDBOX_NOTE = "sandbox data"
FOOTER_SEP = " · "
NO_DATA = "No conversations in this range."
NO_DATA_HINT = "Try a longer range, e.g. `last-7d`, or check the filters."
NO_DATA_HINT_LONG = "Try a longer range, e.g. `last-30d`, or check the filters."
MORE_ROWS = "…and {n} more {what}"

# ---------------------------------------------------------------- layout limits

MAX_FALLBACK = 500  # the notification line; Slack allows far more, phones show ~100
MAX_TABLE_ROWS = 100  # past this a table stops being read; "…and N more" says the rest
MAX_LIST_ROWS = 200
MAX_NAME = 20  # agent names in monospace tables
SPARK_WIDTH = 31  # a month of daily bars; longer series are grouped
# blocks kept free around a table: header, intro, legend, "…and N more", footer
RESERVED_BLOCKS = 6


@dataclass(frozen=True)
class ReplyContext:
    """How a reply is framed: sandbox footer, active filters, title suffix (raw text; escaped here)."""

    sandbox: bool
    filters_text: str | None = None
    title_suffix: str | None = None


# ---------------------------------------------------------------- helpers


def esc(text: object) -> str:
    """Data text for mrkdwn: one line, escaped."""
    return mrkdwn_escape(one_line(str(text)))


def footer_text(tf: Timeframe | None, ctx: ReplyContext | None) -> str:
    """'last week (Mon 16 Nov – Sun 22 Nov 2026) · Australia/Sydney · sandbox data'."""
    parts = []
    if tf is not None:
        parts.append(tf.describe())
    if ctx is not None and ctx.filters_text:
        parts.append(esc(ctx.filters_text))
    if tf is not None:
        parts.append(tf.tz_name)
    if ctx is not None and ctx.sandbox:
        parts.append(SANDBOX_NOTE)
    return FOOTER_SEP.join(parts)


def title_text(base: str, ctx: ReplyContext | None, escape: bool = False) -> str:
    """Title and suffix; headers are plain_text (shown literally), `text` is mrkdwn and needs escaping."""
    if ctx is not None and ctx.title_suffix:
        return f"{base} · {esc(ctx.title_suffix) if escape else ctx.title_suffix}"
    return base


def fallback_text(title: str, tf: Timeframe | None, ctx: ReplyContext | None, numbers: str) -> str:
    """'Team performance, last week: 2 agents, … (Mon 16 Nov – Sun 22 Nov 2026 · sandbox data)'.

    The numbers come early because phones cut notifications short.
    """
    when = f", {tf.words}" if tf is not None else ""
    tail = ([tf.dates_text()] if tf is not None else []) + ([SANDBOX_NOTE] if ctx is not None and ctx.sandbox else [])
    return f"{title_text(title, ctx, escape=True)}{when}: {numbers}" + (f" ({FOOTER_SEP.join(tail)})" if tail else "")


def build_message(fallback: str, blocks: list[dict]) -> dict:
    return {"text": truncate(one_line(fallback), MAX_FALLBACK) or "lexer-bot", "blocks": blocks}


def report_message(title: str, tf: Timeframe | None, ctx: ReplyContext | None, body: list[dict], fallback: str) -> dict:
    """Header + body + footer; `fallback` is what follows the title and range in `text`."""
    blocks = [bk.header(title_text(title, ctx)), *body]
    foot = footer_text(tf, ctx)
    if foot:
        blocks.append(bk.context([foot]))
    return build_message(fallback_text(title, tf, ctx, fallback), blocks)


def no_data_hint(tf: Timeframe | None) -> str:
    """Suggest a range longer than the one that came back empty."""
    return NO_DATA_HINT_LONG if tf is not None and tf.span >= timedelta(days=6) else NO_DATA_HINT


def empty_message(
    title: str, tf: Timeframe | None, ctx: ReplyContext | None, text: str = NO_DATA, hint: str | None = NO_DATA_HINT
) -> dict:
    body = [bk.section(f":zzz: {text}")]
    if hint:
        body.append(bk.context([no_data_hint(tf) if hint == NO_DATA_HINT else hint]))
    return report_message(title, tf, ctx, body, text[:1].lower() + text[1:].rstrip("."))


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{format_count(n)} {one if n == 1 else (many or one + 's')}"


def chunk_lines(
    lines: Sequence[str],
    limit: int,
    wrap: tuple[str, str] = ("", ""),
    head: str | None = None,
    max_chunks: int = bk.MAX_BLOCKS,
) -> tuple[list[str], int]:
    """Join lines into texts of <= limit chars (each wrapped, each starting with head).

    Returns (texts, number of lines that fit); lines past max_chunks are left out.
    """
    pre, post = wrap
    texts: list[str] = []
    current: list[str] = []
    used = 0

    def size(ls: list[str]) -> int:
        return len(pre) + len("\n".join(([head] if head else []) + ls)) + len(post)

    for line in lines:
        line = truncate(line, limit - size([]) - 1)
        if current and size(current + [line]) > limit:
            if len(texts) + 1 >= max_chunks:
                break
            texts.append(pre + "\n".join(([head] if head else []) + current) + post)
            current = []
        current.append(line)
        used += 1
    if current:
        texts.append(pre + "\n".join(([head] if head else []) + current) + post)
    return texts, used


@dataclass(frozen=True)
class Col:
    title: str
    right: bool = True
    max_width: int | None = None


def _cell(text: str) -> str:
    # inside ``` a backtick would end the code block early
    return one_line(text).replace("`", "'")


def _table_lines(cols: Sequence[Col], rows: Sequence[Sequence[str]]) -> tuple[str, list[str]]:
    """Pad cells to aligned columns (raw widths), then escape: (head line, row lines)."""
    cells = [[_cell(c) for c in row] for row in rows]
    widths = []
    for i, col in enumerate(cols):
        w = max([len(col.title)] + [len(r[i]) for r in cells])
        widths.append(min(w, col.max_width) if col.max_width else w)

    def line(values: Sequence[str]) -> str:
        out = []
        for v, col, w in zip(values, cols, widths, strict=False):
            v = truncate(v, w)
            out.append(v.rjust(w) if col.right else v.ljust(w))
        return mrkdwn_escape("  ".join(out).rstrip())

    return line([c.title for c in cols]), [line(r) for r in cells]


def more_text(n: int, what: str) -> str:
    """'…and 4 more agents'; one left is '…and 1 more agent' (`what` is a regular plural)."""
    return MORE_ROWS.format(n=format_count(n), what=what[:-1] if n == 1 and what.endswith("s") else what)


def table_blocks(
    cols: Sequence[Col],
    rows: Sequence[Sequence[str]],
    what: str,
    max_rows: int = MAX_TABLE_ROWS,
    max_sections: int = bk.MAX_BLOCKS - RESERVED_BLOCKS,
) -> list[dict]:
    """A monospace table in as many sections as it takes, then '…and N more' if cut."""
    head, lines = _table_lines(cols, rows[:max_rows])
    texts, used = chunk_lines(lines, bk.MAX_SECTION_TEXT, ("```\n", "\n```"), head=head, max_chunks=max_sections)
    out = [bk.section(t) for t in texts]
    if len(rows) > used:
        out.append(bk.context([more_text(len(rows) - used, what)]))
    return out


def list_blocks(
    lines: Sequence[str], what: str, total: int | None = None, max_sections: int = bk.MAX_BLOCKS - RESERVED_BLOCKS
) -> list[dict]:
    """Mrkdwn lines in sections of <= 3000 chars, then '…and N more' if cut."""
    texts, used = chunk_lines(lines, bk.MAX_SECTION_TEXT, max_chunks=max_sections)
    out = [bk.section(t) for t in texts]
    total = len(lines) if total is None else total
    if total > used:
        out.append(bk.context([more_text(total - used, what)]))
    return out


def form_name(form: Form) -> str:
    return esc(form.name or form.title or f"form {form.id}")
