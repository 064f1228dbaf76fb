"""Charts and tables: the stand-in refuses what Slack refuses (invalid_blocks), and takes what our builders make."""

from __future__ import annotations

import copy

import httpx
import pytest

from bot.slack.charts import bar_chart, line_chart, series
from bot.slack.tables import Column, Num, data_table_block, table_block
from tests.sandbox.slack_standin.conftest import error_of, section

DAYS = ["Mon 30 Nov", "Tue 1 Dec", "Wed 2 Dec"]
CHART = line_chart("Breaches per day", DAYS, [series("Breaches", DAYS, [3, 5, 1])], x_label="Day")
COLUMNS = [Column("Agent"), Column("Responded", numeric=True)]
TABLE = table_block(COLUMNS, [["Alice Lead", Num(12, "12")]]).block
DATA_TABLE = data_table_block("Team", COLUMNS, [["Alice Lead", Num(12, "12")]]).block


def changed(block: dict, path: tuple, value) -> dict:
    """A copy of block with the item at path (keys and indexes) set to value."""
    out = copy.deepcopy(block)
    inner = out
    for key in path[:-1]:
        inner = inner[key]
    inner[path[-1]] = value
    return out


def test_a_valid_chart_and_table_are_posted(client, slack):
    blocks = [section("Breaches"), CHART, bar_chart("Open cases", DAYS, [series("Open", DAYS, [1, 2, 3])]), TABLE]
    answer = client.chat_postMessage(channel="CSUPPORT", text="3 breaches", blocks=blocks)
    assert slack.messages(answer["channel"])[-1]["blocks"] == blocks
    client.chat_postMessage(channel="CSUPPORT", text="team", blocks=[DATA_TABLE])


@pytest.mark.parametrize(
    "block",
    [
        changed(CHART, ("title",), "x" * 60),  # title over 50
        changed(CHART, ("chart", "axis_config", "categories", 0), "Monday 30 November 2026"),  # category over 20
        changed(CHART, ("chart", "series", 0, "data", 0, "label"), "Sun 29 Nov"),  # not a category
        changed(CHART, ("chart", "series"), [CHART["chart"]["series"][0]] * 2),  # names not unique
        changed(CHART, ("chart", "series"), []),  # no series
        changed(CHART, ("chart", "axis_config", "categories"), [f"day {i}" for i in range(32)]),
        changed(CHART, ("chart", "axis_config", "x_label"), "x" * 51),
        changed(CHART, ("chart", "type"), "scatter"),
        changed(CHART, ("chart", "series", 0, "data", 0, "value"), "3"),  # not a number
        changed(DATA_TABLE, ("caption",), ""),
        changed(DATA_TABLE, ("page_size",), 101),
        changed(DATA_TABLE, ("rows",), DATA_TABLE["rows"][:1]),  # a header alone
        changed(DATA_TABLE, ("rows", 0, 0), {"type": "rich_text", "elements": []}),  # a rich_text header
        changed(DATA_TABLE, ("rows", 1), DATA_TABLE["rows"][1][:1]),  # rows of different lengths
        changed(TABLE, ("rows",), [TABLE["rows"][1]] * 101),
        changed(TABLE, ("column_settings", 0, "align"), "justify"),
    ],
)
def test_an_invalid_chart_or_table_is_refused(client, slack, block):
    error = error_of(lambda: client.chat_postMessage(channel="CSUPPORT", text="x", blocks=[block]))
    assert error.response["error"] == "invalid_blocks"
    assert slack.messages("CSUPPORT") == []


def test_a_sixty_character_title_is_refused_everywhere_a_message_goes(client, slack):
    block = changed(CHART, ("title",), "Breaches per day across every group and agent, last month")
    assert len(block["title"]) > 50
    messages = error_of(lambda: client.chat_postEphemeral(channel="CSUPPORT", user="UALICE", text="x", blocks=[block]))
    assert messages.response["error"] == "invalid_blocks"
    assert "title is" in " ".join(messages.response["response_metadata"]["messages"])
    target = slack.new_response_url()
    assert httpx.post(target, json={"text": "x", "blocks": [block]}).status_code == 400


def test_a_third_chart_or_a_second_table_is_refused(client, slack):
    for blocks in ([CHART] * 3, [TABLE, DATA_TABLE]):
        error = error_of(lambda blocks=blocks: client.chat_postMessage(channel="CSUPPORT", text="x", blocks=blocks))
        assert error.response["error"] == "invalid_blocks"


def test_no_chart_in_a_view(client, slack):
    # Slack answers views.* with invalid_arguments for blocks it refuses, as the stand-in does for every view problem
    home = error_of(lambda: client.views_publish(user_id="UALICE", view={"type": "home", "blocks": [CHART]}))
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Trend"}, "blocks": [CHART]}
    opened = error_of(lambda: client.views_open(trigger_id="1.2.3", view=modal))
    assert home.response["error"] == opened.response["error"] == "invalid_arguments"
    assert "messages only" in " ".join(home.response["response_metadata"]["messages"])
    client.views_publish(user_id="UALICE", view={"type": "home", "blocks": [TABLE]})  # a table may be on Home
