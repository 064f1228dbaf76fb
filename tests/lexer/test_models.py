"""The Activity API parsers with values that are valid JSON but no usable number: the figure is missing."""

from __future__ import annotations

import json
import logging
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import MalformedResponseError
from bot.lexer import models

PARSERS = {
    "summary": models.parse_summary,
    "states_volume": models.parse_states_volume,
    "classifications": models.parse_classifications,
    "response_volume": models.parse_response_volume,
    "user_summary": models.parse_user_summary,
    "user_volume": models.parse_user_volume,
    "case_summary": models.parse_case_summary,
    "case_volume": models.parse_case_volume,
    "case_classifications": models.parse_case_classifications,
    "nps_summary": models.parse_nps_summary,
    "nps_volume": models.parse_nps_volume,
    "users": models.parse_users,
    "groups": models.parse_groups,
    "forms": models.parse_forms,
    "export status": models.parse_export_status,
}

SUMMARY = {
    "total_volume": 412,
    "total_responded_to": 398,
    "broke_sla": 21,
    "broke_action_sla": 3,
    "avg_response_time": 1830.0,
    "median_response_time": 960.0,
    "min_response_time": 5.0,
    "max_response_time": 9000.0,
    "avg_action_response_time": 240.0,
    "median_action_response_time": 200.0,
    "min_action_response_time": 3.0,
    "max_action_response_time": 800.0,
}


@pytest.mark.parametrize("raw", ["1e999", "-1e999", "NaN", "Infinity", '"n/a"', "1" + "0" * 400])
def test_an_unusable_number_is_that_figure_missing_and_logged_by_field(raw, caplog):
    """json.loads reads these as inf, nan, a string, an int past float: int(inf) raised OverflowError, int(nan)
    ValueError and float(10**400) OverflowError out of the parser, which failed the whole digest."""
    text = json.dumps(SUMMARY).replace('"total_volume": 412', f'"total_volume": {raw}')
    text = text.replace('"median_response_time": 960.0', f'"median_response_time": {raw}')
    with caplog.at_level(logging.WARNING, logger="bot.lexer.models"):
        s = models.parse_summary(json.loads(text))
    assert math.isnan(s.total_volume) and math.isnan(s.median_response_time)
    assert (s.total_responded_to, s.broke_sla, s.avg_response_time) == (398, 21, 1830.0)  # the rest as sent
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "median_response_time" in warning.getMessage() and "total_volume" in warning.getMessage()
    assert "summary" in warning.getMessage()


def test_a_missing_number_is_still_0_and_a_numeric_string_still_reads():
    s = models.parse_summary({"total_volume": "12", "avg_response_time": "30.5"})
    assert (s.total_volume, s.avg_response_time, s.broke_sla) == (12, 30.5, 0)


JUNK = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**5000), max_value=10**5000),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
    st.just([1, "x"]),
    st.just({"a": 1}),
)
KEYS = sorted(
    {*SUMMARY}
    | {
        "value",
        "volume",
        "states",
        "date_range",
        "date_from",
        "date",
        "timestamp",
        "data",
        "user_id",
        "id",
        "nps_score",
    }
    | {"total_sent", "total_received", "open", "avg_response_time", "first_name", "status", "token", "groups"}
)
JSONISH = st.recursive(
    st.one_of(JUNK, st.sampled_from(["2024-12-01 00:00", "2024-12-01T00:00:00+11:00"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)),
    max_leaves=25,
)


@settings(deadline=None)
@given(report=st.sampled_from(sorted(PARSERS)), payload=JSONISH)
def test_no_answer_makes_a_parser_raise_anything_but_malformed(report, payload):
    try:
        PARSERS[report](payload)
    except MalformedResponseError:
        pass  # not the shape of that report at all: the whole answer is malformed, as before
