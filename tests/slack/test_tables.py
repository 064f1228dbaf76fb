"""Per-agent tables: the `table` block (slack-sdk's TableBlock) and the sortable, paged `data_table`."""

from __future__ import annotations

import math

import pytest
from slack_sdk.models.blocks import Block, TableBlock

from bot.slack.blocks import validate_message, validate_view
from bot.slack.format import format_duration
from bot.slack.tables import (
    Column,
    Num,
    TableError,
    check_table_count,
    data_table_block,
    table_block,
    validate_data_table,
    validate_table,
)

COLUMNS = [Column("Agent"), Column("Responded", numeric=True), Column("Median wait", numeric=True)]


def team(n: int) -> list[list]:
    return [[f"Agent {i:03}", Num(i, str(i)), Num(60.0 * i, format_duration(60.0 * i))] for i in range(n)]


def test_a_table_is_a_header_then_agents_numbers_right_aligned():
    page = table_block(COLUMNS, [["Alice Lead", Num(12, "12"), Num(17040, "4h 44m")]])
    assert page.more == 0
    assert page.block == {
        "type": "table",
        "rows": [
            [{"type": "raw_text", "text": t} for t in ("Agent", "Responded", "Median wait")],
            [{"type": "raw_text", "text": t} for t in ("Alice Lead", "12", "4h 44m")],
        ],
        "column_settings": [{"align": "left"}, {"align": "right"}, {"align": "right"}],
    }
    assert isinstance(Block.parse(page.block), TableBlock)
    validate_message({"text": "Alice Lead responded to 12", "blocks": [page.block]})
    validate_view({"type": "home", "blocks": [page.block]})  # a table may stand on the Home tab


def test_a_150_agent_team_gives_valid_tables_that_say_how_many_more():
    data = data_table_block("Team, last week", COLUMNS, team(150))
    assert len(data.block["rows"]) == 101 and data.more == 50
    validate_data_table(data.block)
    validate_message({"text": "150 agents; 50 more in the CSV export", "blocks": [data.block]})
    plain = table_block(COLUMNS, team(150))
    assert len(plain.block["rows"]) == 100 and plain.more == 51  # the table block counts its header among 100
    validate_table(plain.block)


def test_a_data_table_sorts_numbers_as_numbers_and_shows_their_text():
    block = data_table_block("Team", COLUMNS, [["Alice", Num(3, "3"), Num(17040, "4h 44m")]], page_size=25).block
    assert block["rows"][1] == [
        {"type": "raw_text", "text": "Alice"},
        {"type": "raw_number", "value": 3, "text": "3"},
        {"type": "raw_number", "value": 17040, "text": "4h 44m"},
    ]
    assert block["page_size"] == 25 and block["row_header_column_index"] == 0
    missing = data_table_block("Team", COLUMNS, [["Bob", Num(math.nan, "–"), Num(None, "")]]).block
    assert missing["rows"][1][1:] == [{"type": "raw_text", "text": "–"}] * 2  # never a NaN sent as a number


def test_a_data_table_keeps_within_10000_characters():
    rows = [[f"{'x' * 150}{i}", Num(i, str(i)), Num(i, str(i))] for i in range(100)]
    page = data_table_block("Long names", COLUMNS, rows)
    assert page.more > 0 and len(page.block["rows"]) - 1 + page.more == 100
    validate_data_table(page.block)


@pytest.mark.parametrize(
    "build, limit",
    [
        (lambda: table_block([Column(f"c{i}") for i in range(21)], []), "columns"),
        (lambda: table_block(COLUMNS, [["only one cell"]]), "cells for 3 columns"),
        (lambda: table_block([Column(" ")], []), "title"),
        (lambda: data_table_block("", COLUMNS, team(1)), "caption"),
        (lambda: data_table_block("c", COLUMNS, []), "at least one row"),
        (lambda: data_table_block("c", COLUMNS, team(1), page_size=0), "page_size"),
        (lambda: data_table_block("c", COLUMNS, team(1), page_size=101), "page_size"),
        (lambda: data_table_block("c", COLUMNS, team(1), row_header_column_index=3), "row_header_column_index"),
    ],
)
def test_a_broken_limit_is_a_table_error_naming_it(build, limit):
    with pytest.raises(TableError, match=limit):
        build()


def test_one_table_a_message():
    block = table_block(COLUMNS, team(2)).block
    check_table_count([block])
    with pytest.raises(TableError, match="at most 1 table"):
        check_table_count([block, data_table_block("c", COLUMNS, team(2)).block])
    with pytest.raises(ValueError, match="at most 1 table"):
        validate_message({"text": "x", "blocks": [block, block]})
