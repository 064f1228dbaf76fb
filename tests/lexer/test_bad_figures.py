"""Lexer sends a figure that is valid JSON but no usable number: the served /lexer answer shows it missing."""

from __future__ import annotations

import json
import logging

import pytest

from bot.config import SANDBOX_TOKEN
from bot.slack.blocks import validate_message
from bot.slack.format import MISSING

# every number the sandbox's reports hold, ids and timestamps aside
FIGURES = (
    "agent_interactions agents_involved all_closed_states all_states assigned avg_action_response_time "
    "avg_response_time awaiting_approval broke_action_sla broke_sla closed duplicate first_reply_time "
    "fraction_broke_action_sla fraction_broke_sla fraction_responded_to fraction_responded_to_in_private "
    "in_progress irrelevant max_action_response_time max_response_time median_action_response_time "
    "median_first_reply_time median_resolution_time median_response_time mentions_assigned "
    "min_action_response_time min_response_time new no_response_required nps_score redirected resolution_time "
    "responded responded_to responded_to_in_private total_cases total_detractors total_passives total_promoters "
    "total_received total_responded_to total_sent total_volume value volume"
).split()
UNUSABLE = ("1e999", "NaN", '"n/a"', "-1e999", "1" + "0" * 400)


def test_a_report_with_one_unusable_figure_shows_it_missing_and_the_rest(bot, sandbox, caplog):
    """Failed before: OverflowError out of parse_summary, and the asker got 'Something went wrong'."""
    sandbox.app.set_bad_value("total_volume", "1e999", report="summary")
    with caplog.at_level(logging.WARNING):
        reply = bot.command("summary yesterday")
    validate_message(reply)
    text = json.dumps(reply, ensure_ascii=False)
    assert "went wrong" not in text and ":warning:" not in text
    (body,) = [r["body"] for r in sandbox.app.requests if r.get("type") == "summary"]
    truth = sandbox.app.report(body)
    assert f"{truth['broke_sla']:,}" in text  # the other figures as Lexer sent them
    assert MISSING in text
    [warning] = [r.getMessage() for r in caplog.records if r.name == "bot.lexer.models"]
    assert "total_volume" in warning and "summary" in warning and "activity/reports" in warning
    assert SANDBOX_TOKEN not in warning  # the field and the report; never the token


@pytest.mark.parametrize(
    "text",
    [
        "summary yesterday",
        "team last-week",
        "workload last-7d",
        "states last-7d",
        "states today",
        "classifications last-week",
        "response-time last-week",
        "cases last-week",
        "case-classifications last-week",
        'nps "NPS Survey" last-7d',
        "my-week",
    ],
)
@pytest.mark.parametrize("bad", ["every figure", "the series' points"])
def test_every_report_answers_when_its_figures_are_unusable(bot, sandbox, text, bad):
    """Every figure of every report unusable, each kind of bad value in turn (or only the points of the series,
    which a whole state's list would otherwise replace): each report still answers."""
    for i, name in enumerate(FIGURES if bad == "every figure" else ["value"]):
        sandbox.app.set_bad_value(name, UNUSABLE[i % len(UNUSABLE)])
    reply = bot.command(text)
    validate_message(reply)
    shown = json.dumps(reply, ensure_ascii=False)
    assert "went wrong" not in shown, shown[:400]


def test_the_home_tab_shows_an_unusable_figure_missing(bot, sandbox):
    from tests.conftest import USER_SYDNEY
    from tests.test_home import open_home

    for i, name in enumerate(FIGURES):
        sandbox.app.set_bad_value(name, UNUSABLE[i % len(UNUSABLE)], report="summary")
    view = open_home(bot, USER_SYDNEY)
    shown = json.dumps(view, ensure_ascii=False)
    assert "Today so far" in shown and MISSING in shown and "Could not load" not in shown
