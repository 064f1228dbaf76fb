"""The report controls and the compared answer: valid Block Kit within Slack's limits, small values."""

from __future__ import annotations

import json

import pytest

from bot.lexer.models import AgentSummary, parse_summary
from bot.slack import blocks as bk
from bot.slack.actions import REPORT_COMPARE, REPORT_RANGE, REPORT_SHARE, parse_report_control_value
from bot.slack.messages import reports
from bot.slack.messages.compared import summary_figures, team_compared
from bot.slack.messages.controls import (
    CONTROLS_BLOCK_ID,
    MAX_OPTION_VALUE,
    RANGE_CHOICES,
    Figure,
    ReportState,
    change_text,
    compare_message,
    has_controls,
    with_controls,
)
from bot.timeframe import previous_period
from tests.slack.messages.samples import LAST_WEEK, NOW, SANDBOX, SEED_SUMMARY, agent, seed_report_messages

# the longest state a report can carry: every filter, a form, a category, compare, a date span
LONGEST = ReportState(
    "case-classifications",
    "2026-11-02..2026-11-08",
    "U0123456789ABCDEF",
    group_id=2**53,
    agent_id=2**53,
    form_id=2**53,
    category="detractors",
    compare=True,
)


def elements(message: dict) -> dict:
    (block,) = [b for b in message["blocks"] if b.get("block_id") == CONTROLS_BLOCK_ID]
    return {e["action_id"]: e for e in block["elements"]}


@pytest.mark.parametrize("name", sorted(seed_report_messages()))
def test_every_report_with_controls_is_valid_block_kit(name):
    message = with_controls(seed_report_messages()[name], ReportState(name, "last-week", "U1"))
    bk.validate_message(message)
    controls = elements(message)
    assert set(controls) == {REPORT_RANGE, REPORT_COMPARE, REPORT_SHARE}
    assert [o["text"]["text"] for o in controls[REPORT_RANGE]["options"]] == [label for _, label in RANGE_CHOICES]
    assert controls[REPORT_RANGE]["initial_option"]["text"]["text"] == "Last week"
    assert has_controls(message)


def test_the_longest_state_fits_slacks_value_caps():
    controls = elements(with_controls(seed_report_messages()["team"], LONGEST))
    values = [o["value"] for o in controls[REPORT_RANGE]["options"]] + [controls[REPORT_COMPARE]["value"]]
    assert max(len(v) for v in values) <= MAX_OPTION_VALUE
    text, asker = parse_report_control_value(controls[REPORT_COMPARE]["value"])
    assert asker == "U0123456789ABCDEF" and "compare" not in text  # the button turns the comparison off
    text, _ = parse_report_control_value(controls[REPORT_RANGE]["options"][0]["value"])
    assert text == f"case-classifications form:{2**53} today detractors group:{2**53} agent:{2**53} compare"


def test_a_shared_answer_names_who_shared_it_and_cannot_be_shared_again():
    message = with_controls(
        seed_report_messages()["summary"], ReportState("summary", "yesterday", "U1"), shared_by="U1"
    )
    bk.validate_message(message)
    assert REPORT_SHARE not in elements(message)
    assert "Shared by <@U1>" in json.dumps(message)


def test_controls_fit_in_a_full_message():
    agents = [agent(i, f"Agent {i:04d} " + "x" * 30, assigned=i) for i in range(3000)]
    message = with_controls(reports.team_message(agents, LAST_WEEK, SANDBOX), ReportState("team", "last-week", "U1"))
    bk.validate_message(message)
    assert len(message["blocks"]) <= bk.MAX_BLOCKS and message["blocks"][-1]["block_id"] == CONTROLS_BLOCK_ID


@pytest.mark.parametrize(
    "now,before,kind,shown",
    [
        (14, 10, "count", "▲ 4"),
        (6, 10, "count", "▼ 4"),
        (3, 3, "count", "no change"),
        (600, 660, "duration", "▼ 1m 0s"),
        (0.12, 0.09, "percent", "▲ 3 pts"),
        (None, 3, "count", "–"),
    ],
)
def test_change_text(now, before, kind, shown):
    assert change_text(now, before, kind) == shown


def test_the_compared_summary_shows_now_the_change_and_before():
    s = parse_summary(SEED_SUMMARY)
    before_tf = previous_period(LAST_WEEK, NOW)
    message = compare_message("SLA summary", summary_figures(s, s), LAST_WEEK, before_tf, SANDBOX)
    bk.validate_message(message)
    body = message["blocks"][1]["text"]["text"]
    assert f"*Breaches*  {s.broke_sla}  no change vs the week before ({s.broke_sla})" in body
    assert "vs the week before (Mon 9 Nov – Sun 15 Nov 2026)" in json.dumps(message, ensure_ascii=False)


def test_a_compared_table_of_many_agents_stays_within_limits():
    now = [agent(i, f"<!channel> {i}", assigned=i) for i in range(500)]
    before = [agent(i, f"<!channel> {i}", assigned=2 * i) for i in range(400)]
    figures, rows = team_compared(now, before)
    message = compare_message(
        "Team performance", figures, LAST_WEEK, previous_period(LAST_WEEK, NOW), SANDBOX, rows, "agents"
    )
    bk.validate_message(message)
    text = json.dumps(message)
    assert "<!channel>" not in text and "15 biggest changes of 500 agents" in text
    assert figures[0] == Figure("Assigned", sum(range(500)), 2 * sum(range(400)))
    assert isinstance(now[0], AgentSummary)


@pytest.mark.parametrize("value", [None, "", "team last-week", "|team", "U1|", "U1|   "])
def test_a_control_value_that_is_not_ours_asks_for_nothing(value):
    assert parse_report_control_value(value) == ("", "")
