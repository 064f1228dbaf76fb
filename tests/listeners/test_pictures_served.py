"""Pictures through the served bot: `team` carries a Slack table, `states` and `response-time` a Slack chart,
each valid by Slack's limits and each costing the one Lexer request the answer always cost."""

from __future__ import annotations

import pytest

from bot.slack.blocks import validate_message
from bot.slack.charts import validate_chart
from bot.slack.tables import validate_table_block


def lexer_calls(sandbox) -> list[str]:
    """Every request the bot sent Lexer, by what it asked (a report's type, else its path)."""
    return [r.get("type") or r.get("path") or "?" for r in sandbox.app.requests]


def blocks_of(reply: dict, *types: str) -> list[dict]:
    return [b for b in reply["blocks"] if b["type"] in types]


def test_team_last_week_answers_with_a_valid_table_for_one_request(bot, sandbox):
    reply = bot.command("team last-week")
    validate_message(reply)
    (table,) = blocks_of(reply, "table", "data_table")
    validate_table_block(table)
    header, *rows = table["rows"]
    assert [c["text"] for c in header][:2] == ["Agent", "Assigned"]
    (body,) = [r["body"] for r in sandbox.app.requests if r.get("type") == "user_summary"]
    names = {f"{a['first_name']} {a['last_name']}".strip() for a in sandbox.app.report(body)}
    assert {row[0]["text"] for row in rows} == names
    assert all(c["type"] == "raw_number" for row in rows for c in row[1:3])
    assert lexer_calls(sandbox) == ["user_summary"]
    assert "assigned" in reply["text"]  # the notification line still carries the numbers


@pytest.mark.parametrize(
    "text,report_type,title",
    [
        ("states last-week", "states_volume", "Conversations per day, by state"),
        ("response-time last-week", "response_volume", "Average wait per day, in minutes"),
    ],
)
def test_trends_answer_with_a_valid_chart_for_one_request(bot, sandbox, text, report_type, title):
    reply = bot.command(text)
    validate_message(reply)
    (chart,) = blocks_of(reply, "data_visualization")
    validate_chart(chart)
    assert chart["title"] == title
    assert len(chart["chart"]["axis_config"]["categories"]) == 7
    assert lexer_calls(sandbox) == [report_type]
