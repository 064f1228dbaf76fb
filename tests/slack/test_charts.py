"""The data_visualization builders: Slack's limits are programming errors, data only decide what is drawn."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.blocks import validate_message
from bot.slack.charts import (
    ChartError,
    Series,
    area_chart,
    bar_chart,
    check_chart_count,
    count_charts,
    line_chart,
    pie_chart,
    series,
    validate_chart,
)

DAYS = ["Mon 30 Nov", "Tue 1 Dec", "Wed 2 Dec"]


def test_a_line_chart_is_slacks_shape():
    block = line_chart("Breaches per day", DAYS, [series("Breaches", DAYS, [3, 5, 1])], x_label="Day", y_label="n")
    assert block == {
        "type": "data_visualization",
        "title": "Breaches per day",
        "chart": {
            "type": "line",
            "series": [
                {
                    "name": "Breaches",
                    "data": [
                        {"label": "Mon 30 Nov", "value": 3},
                        {"label": "Tue 1 Dec", "value": 5},
                        {"label": "Wed 2 Dec", "value": 1},
                    ],
                }
            ],
            "axis_config": {"categories": DAYS, "x_label": "Day", "y_label": "n"},
        },
    }
    validate_message({"text": "3, 5, 1 breaches", "blocks": [block]})


def test_a_value_that_is_not_finite_is_a_gap_never_a_zero():
    block = bar_chart("NPS per day", DAYS, [series("NPS", DAYS, [40, math.nan, None])])
    assert block is not None
    assert block["chart"]["series"][0]["data"] == [{"label": "Mon 30 Nov", "value": 40}]
    both = area_chart("x", DAYS, [series("a", DAYS, [math.inf, None, -math.inf]), series("b", DAYS, [1, 2, 3])])
    assert both is not None and [s["name"] for s in both["chart"]["series"]] == ["b"]  # nothing left of "a"
    assert line_chart("x", DAYS, [series("a", DAYS, [None, math.nan, math.inf])]) is None


@pytest.mark.parametrize(
    "build, limit",
    [
        (lambda: line_chart("x" * 51, DAYS, [series("a", DAYS, [1, 2, 3])]), "title"),
        (lambda: line_chart("", DAYS, [series("a", DAYS, [1, 2, 3])]), "title"),
        (lambda: line_chart("t", DAYS, []), "series"),
        (lambda: line_chart("t", DAYS, [series(f"s{i}", DAYS, [1, 2, 3]) for i in range(7)]), "series"),
        (lambda: line_chart("t", DAYS, [series("a", DAYS, [1, 2, 3])] * 2), "unique"),
        (lambda: line_chart("t", DAYS, [series("a" * 21, DAYS, [1, 2, 3])]), "name"),
        (lambda: line_chart("t", ["x" * 21], [series("a", ["x" * 21], [1])]), "category"),
        (lambda: line_chart("t", ["a", "a"], [Series("s", {"a": 1})]), "unique"),
        (lambda: line_chart("t", [str(i) for i in range(32)], [Series("s", {"1": 1})]), "categories"),
        (lambda: line_chart("t", DAYS, [Series("s", {"Thu 3 Dec": 1})]), "not axis categories"),
        (lambda: line_chart("t", DAYS, [series("a", DAYS, [1, 2, 3])], x_label="x" * 51), "x_label"),
        (lambda: line_chart("t", DAYS, [series("a", DAYS, [1, 2, 3])], y_label="y" * 51), "y_label"),
        (lambda: series("a", DAYS, [1, 2]), "values for 3 categories"),
        (lambda: pie_chart("t", [(f"s{i}", 1) for i in range(7)]), "segments"),
        (lambda: pie_chart("t", [("a", 1), ("a", 2)]), "unique"),
        (lambda: pie_chart("t", [("x" * 21, 1)]), "segment label"),
    ],
)
def test_a_broken_limit_is_a_chart_error_naming_it(build, limit):
    with pytest.raises(ChartError, match=limit):
        build()


def test_the_caller_s_limits_hold_even_when_the_data_leave_nothing_to_draw():
    with pytest.raises(ChartError, match="title"):
        line_chart("x" * 60, DAYS, [series("a", DAYS, [None, None, None])])


def test_a_pie_leaves_out_what_is_not_a_positive_finite_share():
    block = pie_chart("Cases by state", [("Open", 3), ("Closed", 0), ("Snoozed", math.nan), ("Pending", -1)])
    assert block is not None and block["chart"] == {"type": "pie", "segments": [{"label": "Open", "value": 3}]}
    assert pie_chart("Cases by state", [("Open", 0)]) is None
    assert pie_chart("Cases by state", []) is None  # no classifications in the range: nothing to draw
    assert bar_chart("Top classifications", [], []) is None


@pytest.mark.parametrize(
    "block, limit",
    [
        ({"type": "data_visualization", "title": "t", "chart": {"type": "pie", "segments": []}}, "segments"),
        (
            {
                "type": "data_visualization",
                "title": "t",
                "chart": {"type": "pie", "segments": [{"label": "a", "value": 0}]},
            },
            "greater than 0",
        ),
        (
            {
                "type": "data_visualization",
                "title": "t",
                "chart": {"type": "pie", "segments": [{"label": "a", "value": True}]},
            },
            "finite",
        ),
        ({"type": "data_visualization", "title": "t", "chart": {"type": "bar", "series": []}}, "exactly"),
        ({"type": "data_visualization", "title": "t", "colour": "red", "chart": {}}, "holds"),
        ({"type": "section"}, "not a data_visualization"),
    ],
)
def test_validate_chart_names_the_broken_limit(block, limit):
    with pytest.raises(ChartError, match=limit):
        validate_chart(block)


def test_two_charts_a_message_and_none_in_a_view():
    chart = bar_chart("t", DAYS, [series("a", DAYS, [1, 2, 3])])
    assert count_charts([chart, {"type": "divider"}, chart]) == 2
    check_chart_count([chart, chart])
    with pytest.raises(ChartError, match="at most 2"):
        check_chart_count([chart] * 3)
    for surface in ("home", "modal"):
        with pytest.raises(ChartError, match="messages only"):
            check_chart_count([chart], surface)  # type: ignore[arg-type]
    check_chart_count([], "home")


@settings(max_examples=200, deadline=None)
@given(title=st.text(min_size=1, max_size=80).filter(str.strip))
def test_the_builder_never_sends_a_title_over_50(title):
    try:
        block = line_chart(title, DAYS, [series("a", DAYS, [1, 2, 3])])
    except ChartError:
        assert len(title) > 50
    else:
        assert block is not None and len(block["title"]) <= 50


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.integers(-(10**6), 10**6), st.floats(allow_nan=True, allow_infinity=True)),
        min_size=1,
        max_size=31,
    )
)
def test_points_are_the_input_series_less_what_is_not_finite(values):
    categories = [f"day {i}" for i in range(len(values))]
    block = line_chart("t", categories, [series("a", categories, values)])
    expected = [(c, v) for c, v in zip(categories, values, strict=True) if v is not None and math.isfinite(v)]
    if not expected:
        assert block is None
        return
    assert block is not None
    assert [(p["label"], p["value"]) for p in block["chart"]["series"][0]["data"]] == expected
    validate_chart(block)
