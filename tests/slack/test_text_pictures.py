"""Charts and tables in the terminal (`lexer-bot ask`, the demo, golden files): a picture a few lines high."""

from __future__ import annotations

from bot.slack.charts import bar_chart, line_chart, pie_chart, series
from bot.slack.tables import Column, Num, data_table_block, table_block
from bot.slack.text import render_message_text

WEEK = ["Mon 30 Nov", "Tue 1 Dec", "Wed 2 Dec", "Thu 3 Dec", "Fri 4 Dec", "Sat 5 Dec", "Sun 6 Dec"]


def text_of(block: dict | None) -> str:
    assert block is not None
    return render_message_text({"text": "fallback", "blocks": [block]})


def test_a_bar_chart_is_columns_of_blocks_with_its_first_and_last_category():
    block = bar_chart("Open cases per day", WEEK, [series("Open cases", WEEK, [12, 15, None, 18, 9, 4, 2])])
    assert text_of(block) == "\n".join(
        [
            "Open cases per day",
            "  18 ┤ ▃ █",
            "     ┤▅█ █",
            "     ┤██ ██",
            "   0 ┤██ ██▇▄",  # Wed has no value: a gap, not a zero
            "      Mon 30 Nov … Sun 6 Dec",
        ]
    )


def test_a_line_chart_marks_a_point_per_category_on_one_scale_per_series():
    block = line_chart("NPS per day", WEEK[:4], [series("NPS", WEEK[:4], [-20, 10, 40, None])])
    assert text_of(block) == "\n".join(
        ["NPS per day", "   40 ┤  ¯", "      ┤ _", "      ┤", "  -20 ┤_", "       Mon 30 Nov … Thu 3 Dec"]
    )
    two = line_chart(
        "Breaches", WEEK[:2], [series("This period", WEEK[:2], [1, 2]), series("Previous", WEEK[:2], [2, 0])]
    )
    lines = text_of(two).split("\n")
    assert lines[0] == "Breaches" and lines[1] == "  This period" and lines[6] == "  Previous"
    assert len(lines) == 1 + 2 * 5 + 1


def test_a_pie_is_its_labelled_shares():
    assert text_of(pie_chart("Cases by state", [("Open", 3), ("Closed", 1)])) == "\n".join(
        [
            "Cases by state",
            "  Open    ███████████████       75%  (3)",
            "  Closed  █████                 25%  (1)",
        ]
    )


def test_tables_are_aligned_columns_with_numbers_on_the_right():
    columns = [Column("Agent"), Column("Responded", numeric=True), Column("Median wait", numeric=True)]
    rows = [["Alice Lead", Num(12, "12"), Num(17040, "4h 44m")], ["Bob", Num(3, "3"), Num(None, "–")]]
    expected = [
        "  Agent       Responded  Median wait",
        "  Alice Lead         12       4h 44m",
        "  Bob                 3            –",
    ]
    assert text_of(table_block(columns, rows).block) == "\n".join(expected)
    assert text_of(data_table_block("Team, last week", columns, rows).block) == "\n".join(
        ["Team, last week", *expected]
    )
