"""Charts and tables as terminal text, for `lexer-bot ask`, the demo and golden files (pure).

A bar or area chart is drawn as columns of block characters a few lines high, a
line chart as a point per column, each series with its name when there are
several, under one scale so they compare; the first and last categories are
written beneath. A pie is its labelled shares. Tables are aligned columns, the
numbers right-aligned.
"""

from __future__ import annotations

import math
from typing import Any

from bot.slack.format import MISSING, format_count

HEIGHT = 4  # rows of a chart
BLOCKS = " ▁▂▃▄▅▆▇█"  # eighths of a row
LINE_MARKS = "_-¯"  # thirds of a row
PIE_WIDTH = 20


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _bar_column(frac: float) -> list[str]:
    """A column HEIGHT rows high, top row first, filled to frac (0..1) in eighths."""
    eighths = round(frac * HEIGHT * 8)
    return [BLOCKS[max(0, min(8, eighths - 8 * row))] for row in reversed(range(HEIGHT))]


def _line_column(frac: float) -> list[str]:
    level = round(frac * (HEIGHT * len(LINE_MARKS) - 1))
    row, mark = divmod(level, len(LINE_MARKS))
    return [LINE_MARKS[mark] if r == row else " " for r in reversed(range(HEIGHT))]


def _xy_chart(chart: dict) -> list[str]:
    categories = [str(c) for c in (chart.get("axis_config") or {}).get("categories") or []]
    all_series = [s for s in chart.get("series") or [] if isinstance(s, dict)]
    by_series = [
        {p.get("label"): _number(p.get("value")) for p in s.get("data") or [] if isinstance(p, dict)}
        for s in all_series
    ]
    values = [v for points in by_series for v in points.values() if v is not None]
    if not categories or not values:
        return ["  (no data)"]
    low, high = min(0.0, *values), max(0.0, *values)
    span = (high - low) or 1.0
    top, bottom = format_count(high), format_count(low)
    pad = max(len(top), len(bottom))
    draw = _line_column if chart.get("type") == "line" else _bar_column
    lines: list[str] = []
    for s, points in zip(all_series, by_series, strict=True):
        if len(all_series) > 1:
            lines.append(f"  {s.get('name', '')}")
        columns = [draw((v - low) / span) if (v := points.get(c)) is not None else [" "] * HEIGHT for c in categories]
        for row in range(HEIGHT):
            label = top if row == 0 else bottom if row == HEIGHT - 1 else ""
            lines.append(f"  {label:>{pad}} ┤" + "".join(col[row] for col in columns).rstrip())
    ends = categories[0] if len(categories) == 1 else f"{categories[0]} … {categories[-1]}"
    lines.append(f"  {'':>{pad}}  {ends}")
    return lines


def _pie(chart: dict) -> list[str]:
    segments = [(str(s.get("label", "")), _number(s.get("value"))) for s in chart.get("segments") or []]
    kept = [(label, v) for label, v in segments if v is not None and v > 0]
    total = sum(v for _, v in kept)
    if not total:
        return ["  (no data)"]
    width = max(len(label) for label, _ in kept)
    lines = []
    for label, v in kept:
        share = v / total
        bar = "█" * max(1, round(share * PIE_WIDTH))
        lines.append(f"  {label:<{width}}  {bar:<{PIE_WIDTH}} {round(share * 100):>3}%  ({format_count(v)})")
    return lines


def chart_lines(block: dict) -> list[str]:
    """A data_visualization block as a title and a compact text chart."""
    raw = block.get("chart")
    chart: dict = raw if isinstance(raw, dict) else {}
    title = str(block.get("title", ""))
    body = _pie(chart) if chart.get("type") == "pie" else _xy_chart(chart)
    return [title, *body]


def _cell(cell: Any) -> tuple[str, bool]:
    """A cell's text, and whether it is a number."""
    if not isinstance(cell, dict):
        return MISSING, False
    if cell.get("type") == "raw_number":
        return str(cell.get("text") or format_count(cell.get("value"))), True
    if cell.get("type") == "rich_text":
        texts = [
            str(e.get("text", ""))
            for part in cell.get("elements") or []
            for e in part.get("elements") or []
            if isinstance(e, dict)
        ]
        return "".join(texts), False
    return str(cell.get("text", "")), False


def table_lines(block: dict) -> list[str]:
    """A table or data_table block as aligned columns: numbers right-aligned, a caption first when there is one."""
    rows = [[_cell(c) for c in row] for row in block.get("rows") or [] if isinstance(row, list)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    settings = block.get("column_settings") or []
    right = [
        (i < len(settings) and isinstance(settings[i], dict) and settings[i].get("align") == "right")
        or any(len(r) > i and r[i][1] for r in rows[1:])
        for i in range(width)
    ]
    sizes = [max(len(r[i][0]) for r in rows if len(r) > i) for i in range(width)]
    lines = [str(block["caption"])] if block.get("caption") else []
    for r in rows:
        cells = [(text.rjust(sizes[i]) if right[i] else text.ljust(sizes[i])) for i, (text, _) in enumerate(r)]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return lines
