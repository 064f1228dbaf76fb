"""Per-agent tables as Slack draws them: the `table` block and the sortable, paged `data_table` (pure).

A table is a header row, then one row per agent, the agent's name first and
numbers right-aligned. More rows than the block holds: the first ones, and a
count of the rest (`TablePage.more`), which the caller's message says and offers
the CSV export for. `table` is built with slack-sdk's `TableBlock`, which checks
only that rows exist, so both builders check Slack's limits themselves and raise
`TableError` naming the limit a programming error breaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.charts import finite
from bot.slack.format import MISSING

MAX_TABLE_ROWS = 100  # the `table` block's rows, its header row included
MAX_DATA_TABLE_ROWS = 101  # a header row and 1 to 100 rows
MIN_DATA_TABLE_ROWS = 2
MAX_COLUMNS = 20
MAX_DATA_TABLE_CHARS = 10_000  # across all cells of a data table
MIN_PAGE_SIZE, MAX_PAGE_SIZE = 1, 100
ALIGNS = ("left", "center", "right")
MAX_TABLES = 1  # a message holds one table or data table
TABLE_TYPES = ("table", "data_table")


class TableError(ValueError):
    """A table that breaks one of Slack's limits (a programming error, not a data problem)."""


@dataclass(frozen=True)
class Num:
    """A number cell: the value a data table sorts by, and the text shown (`4h 44m` for 17040 seconds)."""

    value: float | None
    text: str


Cell = str | Num


@dataclass(frozen=True)
class Column:
    title: str
    numeric: bool = False  # right-aligned


@dataclass(frozen=True)
class TablePage:
    """The block, and how many rows did not fit in it."""

    block: dict
    more: int


def _check_shape(columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> None:
    if not 1 <= len(columns) <= MAX_COLUMNS:
        raise TableError(f"a table holds 1 to {MAX_COLUMNS} columns, got {len(columns)}")
    for i, row in enumerate(rows):
        if len(row) != len(columns):
            raise TableError(f"row {i} holds {len(row)} cells for {len(columns)} columns")
    for c in columns:
        if not c.title.strip():
            raise TableError("a column's title must be non-empty")


def _cell_text(cell: Cell) -> str:
    text = cell.text if isinstance(cell, Num) else cell
    return text if text.strip() else MISSING


def table_block(columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> TablePage:
    """A `table` block: the header and the first 99 rows; numeric columns right-aligned."""
    from slack_sdk.models.blocks import TableBlock  # here: `import slack_sdk` loads its WebClient

    _check_shape(columns, rows)
    shown = rows[: MAX_TABLE_ROWS - 1]
    cells = [[c.title for c in columns], *([_cell_text(cell) for cell in row] for row in shown)]
    settings = [{"align": "right" if c.numeric else "left"} for c in columns]
    block = TableBlock(
        rows=[[{"type": "raw_text", "text": text} for text in row] for row in cells], column_settings=settings
    ).to_dict()
    validate_table(block)
    return TablePage(block, len(rows) - len(shown))


def _data_cell(cell: Cell) -> dict:
    if isinstance(cell, Num) and (value := finite(cell.value)) is not None:
        return {"type": "raw_number", "value": value, "text": _cell_text(cell)}
    return {"type": "raw_text", "text": _cell_text(cell)}


def _chars(row: Sequence[dict]) -> int:
    return sum(len(str(cell.get("text", ""))) for cell in row)


def data_table_block(
    caption: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    page_size: int | None = 10,
    row_header_column_index: int = 0,
) -> TablePage:
    """A sortable, paged `data_table`: the header and the first 100 rows that fit Slack's 10,000 characters."""
    if not caption.strip():
        raise TableError("a data table needs a caption")
    if page_size is not None and not MIN_PAGE_SIZE <= page_size <= MAX_PAGE_SIZE:
        raise TableError(f"page_size must be {MIN_PAGE_SIZE} to {MAX_PAGE_SIZE}, got {page_size}")
    if not 0 <= row_header_column_index < len(columns):
        raise TableError(f"row_header_column_index {row_header_column_index} is not a column")
    _check_shape(columns, rows)
    if not rows:
        raise TableError("a data table holds at least one row under its header")
    header = [{"type": "raw_text", "text": c.title} for c in columns]
    body: list[list[dict]] = []
    used = _chars(header)
    for row in rows[: MAX_DATA_TABLE_ROWS - 1]:
        cells = [_data_cell(cell) for cell in row]
        if used + _chars(cells) > MAX_DATA_TABLE_CHARS:
            break
        body.append(cells)
        used += _chars(cells)
    if not body:
        raise TableError(f"the first row alone is over {MAX_DATA_TABLE_CHARS} characters")
    block: dict[str, Any] = {"type": "data_table", "caption": caption, "rows": [header, *body]}
    if page_size is not None:
        block["page_size"] = page_size
    block["row_header_column_index"] = row_header_column_index
    validate_data_table(block)
    return TablePage(block, len(rows) - len(body))


# ---------------------------------------------------------------- validation (builders, blocks.py, the stand-in)


def _check_cell(cell: Any, where: str, *, header: bool, numbers: bool) -> None:
    kind = cell.get("type") if isinstance(cell, dict) else None
    if kind == "raw_text":
        if set(cell) != {"type", "text"} or not isinstance(cell["text"], str) or not cell["text"]:
            raise TableError(f"{where}: a raw_text cell holds non-empty text")
    elif kind == "raw_number" and numbers:
        if set(cell) != {"type", "value", "text"} or finite(cell["value"]) is None:
            raise TableError(f"{where}: a raw_number cell holds a finite value and its text")
        if not isinstance(cell["text"], str) or not cell["text"]:
            raise TableError(f"{where}: a raw_number cell's text must be non-empty")
    elif kind == "rich_text" and not header:
        if not isinstance(cell.get("elements"), list):
            raise TableError(f"{where}: a rich_text cell holds elements")
    else:
        raise TableError(f"{where}: cell type {kind!r} is not allowed here")


def _check_rows(rows: Any, *, low: int, high: int, numbers: bool) -> int:
    if not isinstance(rows, list) or not low <= len(rows) <= high:
        raise TableError(f"rows must hold {low} to {high} rows")
    width = len(rows[0]) if isinstance(rows[0], list) else 0
    if not 1 <= width <= MAX_COLUMNS:
        raise TableError(f"a row holds 1 to {MAX_COLUMNS} cells")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            raise TableError(f"row {i} must hold {width} cells, as the first does")
        for j, cell in enumerate(row):
            _check_cell(cell, f"row {i} cell {j}", header=i == 0 and low > 1, numbers=numbers)
    return width


def validate_table(block: Any) -> None:
    """Raise TableError naming the first limit a `table` block breaks."""
    if not isinstance(block, dict) or block.get("type") != "table":
        raise TableError("not a table block")
    if not set(block) <= {"type", "rows", "column_settings", "block_id"}:
        raise TableError("a table block holds type, rows, column_settings and block_id")
    _check_rows(block.get("rows"), low=1, high=MAX_TABLE_ROWS, numbers=False)
    settings = block.get("column_settings", [])
    if not isinstance(settings, list) or len(settings) > MAX_COLUMNS:
        raise TableError(f"column_settings holds at most {MAX_COLUMNS} items")
    for i, s in enumerate(settings):
        if s is None:
            continue
        if not isinstance(s, dict) or not set(s) <= {"align", "is_wrapped"}:
            raise TableError(f"column_settings {i} holds align and is_wrapped")
        if "align" in s and s["align"] not in ALIGNS:
            raise TableError(f"column_settings {i}: align must be one of {ALIGNS}")
        if "is_wrapped" in s and not isinstance(s["is_wrapped"], bool):
            raise TableError(f"column_settings {i}: is_wrapped must be true or false")


def validate_data_table(block: Any) -> None:
    """Raise TableError naming the first limit a `data_table` block breaks."""
    if not isinstance(block, dict) or block.get("type") != "data_table":
        raise TableError("not a data_table block")
    known = {"type", "rows", "caption", "page_size", "row_header_column_index", "block_id"}
    if not set(block) <= known:
        raise TableError(f"a data_table holds only {sorted(known)}")
    caption = block.get("caption")
    if not isinstance(caption, str) or not caption.strip():
        raise TableError("a data_table needs a caption")
    rows: list = block.get("rows") or []
    width = _check_rows(rows, low=MIN_DATA_TABLE_ROWS, high=MAX_DATA_TABLE_ROWS, numbers=True)
    page_size = block.get("page_size", 5)
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise TableError(f"page_size must be {MIN_PAGE_SIZE} to {MAX_PAGE_SIZE}")
    index = block.get("row_header_column_index", 0)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < width:
        raise TableError("row_header_column_index must name one of the columns")
    chars = sum(_chars(row) for row in rows)
    if chars > MAX_DATA_TABLE_CHARS:
        raise TableError(f"the cells hold {chars} characters, over {MAX_DATA_TABLE_CHARS}")


def validate_table_block(block: Any) -> None:
    """validate_table or validate_data_table, as the block's type says."""
    (validate_data_table if isinstance(block, dict) and block.get("type") == "data_table" else validate_table)(block)


def check_table_count(blocks: Any) -> None:
    """Raise TableError when a message holds more than one table."""
    n = sum(1 for b in blocks if isinstance(b, dict) and b.get("type") in TABLE_TYPES)
    if n > MAX_TABLES:
        raise TableError(f"a message holds at most {MAX_TABLES} table, this one {n}")
