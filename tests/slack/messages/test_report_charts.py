"""/lexer states and response-time: the line chart drawn from the points already fetched, in the asker's timezone."""

from datetime import datetime, timedelta

from bot.lexer.models import Point, StatesVolume
from bot.slack import blocks as bk
from bot.slack.messages import reports
from tests.slack.messages.samples import LAST_WEEK, LIVE, YESTERDAY, all_text, charts, points


def test_states_chart_a_line_per_state_a_point_per_day_nan_a_gap():
    start = datetime(2026, 11, 16)  # last week's Monday, as Lexer answers: naive local time
    sv = StatesVolume(
        {
            "closed": [Point(start + timedelta(days=d), 10 + d) for d in range(7)],
            "responded": [Point(start + timedelta(days=d), float("nan") if d == 2 else 3) for d in range(7)],
            "all_states": [Point(start + timedelta(days=d), 99) for d in range(7)],
        }
    )
    msg = reports.states_message(sv, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    (chart,) = charts(msg)
    assert chart["title"] == "Conversations per day, by state"
    assert chart["chart"]["type"] == "line"
    assert chart["chart"]["axis_config"]["categories"][:2] == ["Mon 16 Nov", "Tue 17 Nov"]
    lines = points(chart)
    assert list(lines) == ["Closed", "Responded"]  # all_states is an aggregate, not a state
    assert lines["Closed"] == {
        f"{d:%a} {d.day} Nov": 10 + i for i, d in enumerate(start + timedelta(days=i) for i in range(7))
    }
    assert "Wed 18 Nov" not in lines["Responded"] and lines["Responded"]["Thu 19 Nov"] == 3


def test_states_chart_past_six_states_draws_the_six_largest():
    start = datetime(2026, 11, 16)
    names = ["new", "assigned", "in_progress", "responded", "awaiting_approval", "closed", "duplicate", "irrelevant"]
    sv = StatesVolume({n: [Point(start, i + 1)] for i, n in enumerate(names)})
    msg = reports.states_message(sv, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert list(points(charts(msg)[0])) == [
        "Irrelevant",
        "Duplicate",
        "Closed",
        "Awaiting approval",
        "Responded",
        "In progress",
    ]
    assert "The chart shows the 6 states with the most conversations." in all_text(msg)


def test_states_hourly_buckets_are_grouped_and_named():
    start = datetime(2026, 11, 23)  # the day before yesterday to the day after: only yesterday is drawn
    sv = StatesVolume(
        {
            "closed": [Point(start + timedelta(hours=h), h % 5) for h in range(72)],
            "in_progress": [Point(start + timedelta(hours=h), 1) for h in range(72)],
            "all_states": [Point(start + timedelta(hours=h), 99) for h in range(72)],
        }
    )
    msg = reports.states_message(sv, YESTERDAY, LIVE)
    bk.validate_message(msg)
    rows = msg["blocks"][1]["text"]["text"].strip("`\n").split("\n")
    assert [r.split()[0] for r in rows[1:]] == ["Closed", "In"]  # all_states is an aggregate, not a state
    (chart,) = charts(msg)  # a day: a point per hour of yesterday, in the asker's timezone
    assert chart["title"] == "Conversations per hour, by state"
    assert chart["chart"]["axis_config"]["categories"][:2] == ["00:00", "01:00"]
    assert points(chart)["Closed"]["05:00"] == (24 + 5) % 5
    assert len(points(chart)["Closed"]) == 24
