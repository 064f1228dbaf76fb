"""The report builders: framing, the numbers shown, scale and hostile data."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.lexer.models import (
    AgentVolume,
    CaseClassification,
    CaseVolume,
    ClassificationCount,
    Form,
    NpsDay,
    NpsSummary,
    Point,
    ResponseVolume,
    Summary,
    User,
    parse_case_classifications,
    parse_case_summary,
    parse_summary,
)
from bot.slack import blocks as bk
from bot.slack.messages import cases, common, directory, nps, reports
from bot.slack.messages.common import ReplyContext
from bot.slack.text import render_message_text
from tests.slack.messages.samples import (
    EVIL,
    LAST_WEEK,
    LIVE,
    SANDBOX,
    SEED_CASE_CLASSIFICATIONS,
    SEED_CASE_SUMMARY,
    SEED_SUMMARY,
    YESTERDAY,
    agent,
    all_text,
    cells,
    charts,
    empty_report_messages,
    footer,
    not_table,
    points,
    seed_report_messages,
    table_of,
    texts,
)

# ---------------------------------------------------------------- every builder: valid, framed, safe


@pytest.mark.parametrize("name", list(seed_report_messages()))
def test_seed_reports_are_valid_and_framed(name):
    msg = seed_report_messages()[name]
    bk.validate_message(msg)
    assert footer(msg) == "last week (Mon 16 Nov – Sun 22 Nov 2026) · Australia/Sydney · sandbox data"
    assert "\n" not in msg["text"] and ", last week: " in msg["text"]
    assert msg["text"].endswith(" (Mon 16 Nov – Sun 22 Nov 2026 · sandbox data)")
    assert msg["blocks"][0]["type"] == "header"


@pytest.mark.parametrize("name", list(empty_report_messages()))
def test_empty_reports_say_so_instead_of_empty_tables(name):
    msg = empty_report_messages()[name]
    bk.validate_message(msg)
    wanted = nps.NO_NPS if name == "nps" else common.NO_DATA
    assert wanted in all_text(msg)
    assert "```" not in all_text(msg)
    assert "sandbox data" in footer(msg)


def test_live_footer_has_no_sandbox_note_and_shows_filters():
    ctx = ReplyContext(sandbox=False, filters_text="group: Email <Support> & Co", title_suffix="Email Support")
    msg = reports.summary_message(parse_summary(SEED_SUMMARY), LAST_WEEK, ctx)
    bk.validate_message(msg)
    assert footer(msg) == (
        "last week (Mon 16 Nov – Sun 22 Nov 2026) · group: Email &lt;Support&gt; &amp; Co · Australia/Sydney"
    )
    assert msg["blocks"][0]["text"]["text"] == "SLA summary · Email Support"
    assert "sandbox" not in all_text(msg)


# ---------------------------------------------------------------- the numbers shown


def test_summary_numbers():
    msg = seed_report_messages()["summary"]
    fields = [f["text"] for f in msg["blocks"][1]["fields"]]
    assert fields == [
        "*Conversations*\n81",
        "*Responded to*\n29",
        "*SLA breaches*\n11 (38%)",
        "*Agent SLA breaches*\n10",
        "*Avg customer wait*\n2d 2h",
        "*Median customer wait*\n10m 49s",
        "*Avg agent response*\n1d 22h",
        "*Median agent response*\n1m 36s",
    ]
    assert msg["text"] == (
        "SLA summary, last week: 81 conversations, 29 responded, 11 SLA breaches (38%), "
        "median wait 10m 49s (Mon 16 Nov – Sun 22 Nov 2026 · sandbox data)"
    )


def test_team_rows_sorted_by_assigned_with_spec_numbers():
    msg = seed_report_messages()["team"]
    lines = cells(msg)
    assert lines[0] == ["Agent", "Assigned", "Responded", "%", "Avg resp", "Breaches"]
    assert lines[1] == ["Jane Pear", "12", "9", "75%", "4h 44m", "3"]
    assert lines[2] == ["Barry Banana", "7", "1", "14%", "4d 2h", "1"]
    # sortable by the numbers, not by their text
    cell = table_of(msg)["rows"][1][4]
    assert cell["type"] == "raw_number" and 17040 <= cell["value"] < 17100 and cell["text"] == "4h 44m"
    assert "2 agents* · 19 assigned · 10 responded (53%) · 4 SLA breaches" in msg["blocks"][1]["text"]["text"]


def test_team_columns_line_up():
    msg = seed_report_messages()["team"]
    lines = render_message_text(msg).split("\n")
    table = lines[lines.index("Agents, most assigned first") + 1 :][:3]
    ends = {len(line) for line in table}
    assert len(ends) == 1  # right-aligned last column: every row ends at the same place


def test_workload_numbers():
    msg = seed_report_messages()["workload"]
    lines = cells(msg)
    # Total is Lexer's own all_states, the number it puts first
    assert lines[0] == ["Agent", "Total", "Open", "New", "Asgn", "Prog", "Resp", "Appr", "Closed"]
    assert lines[1] == ["Jane Pear", "166", "56", "0", "15", "14", "27", "0", "110"]
    assert lines[2] == ["Barry Banana", "4", "3", "0", "1", "1", "1", "0", "1"]
    assert "*59 open* · 111 closed · across 2 agents" in msg["blocks"][1]["text"]["text"]


def test_states_totals_and_trend():
    msg = seed_report_messages()["states"]
    table = msg["blocks"][1]["text"]["text"]
    assert table.strip("`\n").split("\n")[1].split() == ["Closed", "771"]
    # the seed's points lie outside last week: nothing of the range to draw, so no chart
    assert not [b for b in msg["blocks"] if b["type"] == "data_visualization"]


def test_classifications_rank_and_breakdown():
    msg = seed_report_messages()["classifications"]
    text = msg["blocks"][1]["text"]["text"]
    assert text.split("\n") == ["1. *amusing* — 3  (assigned 2, closed 1)", "2. *customer service* — 1  (responded 1)"]


def test_response_time_best_worst_average():
    msg = seed_report_messages()["response-time"]
    fields = [f["text"] for f in msg["blocks"][1]["fields"]]
    assert "*Best day*\n2h 57m · Fri 8 Jun" in fields
    assert "*Worst day*\n3d 16h · Tue 5 Jun" in fields
    assert "*Average (days with replies)*\n1d 5h" in fields
    assert not charts(msg)  # the seed's days lie outside last week


def test_response_time_zero_bucket_is_a_gap_not_fast():
    rv = ResponseVolume(
        [Point(datetime(2026, 11, 16), 600), Point(datetime(2026, 11, 17), 0), Point(datetime(2026, 11, 18), 1200)]
    )
    msg = reports.response_time_message(rv, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    (chart,) = charts(msg)
    assert chart["title"] == "Average wait per day, in minutes"
    assert points(chart) == {"Average wait": {"Mon 16 Nov": 10, "Wed 18 Nov": 20}}  # Tue: no replies, a gap
    assert "*Best day*\n10m 0s · Mon 16 Nov" in all_text(msg)


def test_cases_numbers():
    msg = seed_report_messages()["cases"]
    fields = [f["text"] for f in msg["blocks"][1]["fields"]]
    assert fields[:4] == [
        "*Cases closed*\n10",
        "*Replies per case*\n2.4",
        "*Avg first reply*\n3d 12h",
        "*Median first reply*\n23h 19m",
    ]
    assert "9 open at Sat 7 Apr · peak 10 on Fri 6 Apr" in all_text(msg)


def test_case_classifications_top_n():
    items = parse_case_classifications(SEED_CASE_CLASSIFICATIONS)
    msg = cases.case_classifications_message(items, LAST_WEEK, LIVE, top=3)
    bk.validate_message(msg)
    assert msg["blocks"][1]["text"]["text"].split("\n") == [
        "1. *amusing* — 1 case",
        "2. *bot* — 1 case",
        "3. *feedback* — 1 case",
    ]
    assert "…and 4 more classifications" in all_text(msg)


def test_nps_numbers():
    msg = seed_report_messages()["nps"]
    fields = [f["text"] for f in msg["blocks"][2]["fields"]]
    assert fields == [
        "*NPS*\n*+58*",
        "*Responses*\n12 of 16 sent (75%)",
        "*Promoters (9–10)*\n9 (75%)",
        "*Passives (7–8)*\n1 (8%)",
        "*Detractors (0–6)*\n2 (17%)",
    ]
    assert "*NPS Survey* (form `55`)" in msg["blocks"][1]["text"]["text"]
    assert "Daily NPS" not in all_text(msg)  # the seed's days have no responses: no empty trend
    assert "NPS, last week: NPS Survey +58 from 12 responses (9 promoters, 1 passive, 2 detractors)" in msg["text"]


def test_nps_trend_negative_score_and_category():
    days = [
        NpsDay(datetime(2026, 11, 16 + i, 13, tzinfo=ZoneInfo("UTC")), NpsSummary(4, r, p, 0, d, 0.0))
        for i, (r, p, d) in enumerate([(2, 2, 0), (0, 0, 0), (2, 0, 2)])
    ]
    s = NpsSummary(12, 4, 1, 1, 2, -25.0)
    msg = nps.nps_message(Form(7, "Care <!here>"), s, days, LAST_WEEK, LIVE, category="detractors")
    bk.validate_message(msg)
    text = all_text(msg)
    assert "*-25*" in text and "`█ ▁`" in text and "detractors only" in text
    assert "Care &lt;!here&gt;" in text


def test_nps_with_sent_but_none_received():
    msg = nps.nps_message(Form(7, "Survey"), NpsSummary(16, 0, 0, 0, 0, 0.0), [], LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert "No survey responses in this range. 16 surveys sent, none answered." in all_text(msg)


# ---------------------------------------------------------------- scale and hostile data


def test_team_60_agents_with_long_hostile_names_all_shown():
    agents = [agent(i, f"{EVIL} Agent{i:02d} " + "x" * 80, assigned=i) for i in range(60)]
    msg = reports.team_message(agents, LAST_WEEK, SANDBOX)
    bk.validate_message(msg)
    rows = cells(msg)[1:]
    assert len(rows) == 60
    assert "more agents" not in all_text(msg)
    for t in texts(not_table(msg)):
        assert "<" not in t and ">" not in t
    assert rows[0][0].startswith(f"{EVIL} Agent59")  # plain text in a table cell: shown as written, never a ping


def test_team_past_the_row_limit_says_how_many_more():
    agents = [agent(i, f"Agent {i}", assigned=1000 - i) for i in range(250)]
    msg = reports.team_message(agents, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert "…and 150 more agents. For every agent, run `/lexer export responses …`" in all_text(msg)
    names = [row[0] for row in cells(msg)[1:]]
    assert names[0] == "Agent 0" and len(names) == 100 and "Agent 249" not in names


def test_workload_60_agents():
    agents = [
        AgentVolume(i, EVIL, "y" * 60, {"assigned": i, "closed": 2 * i, "all_closed_states": 2 * i}) for i in range(60)
    ]
    msg = reports.workload_message(agents, LAST_WEEK, SANDBOX)
    bk.validate_message(msg)
    assert "*1,770 open* · 3,540 closed · across 60 agents" in all_text(msg)
    # no all_states in the answer: the total is the states added up (not counting the all_closed_states sum)
    first = cells(msg)[1]
    assert first[1:3] == ["177", "59"]


def test_ampersand_names_never_split_an_entity_at_the_cut():
    agents = [agent(i, "&" * 40, assigned=5) for i in range(3)]
    msg = reports.team_message(agents, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert cells(msg)[1][0] == "&" * 40  # a table cell is plain text: no entity to split


def test_200_classifications_top_10():
    items = [
        ClassificationCount(i, f"{EVIL} topic {i}", s, v)
        for i in range(1, 201)
        for s, v in (("all_states", i * 3), ("closed", i * 2), ("assigned", i))
    ]
    msg = reports.classifications_message(items, LAST_WEEK, SANDBOX)
    bk.validate_message(msg)
    lines = msg["blocks"][1]["text"]["text"].split("\n")
    assert len(lines) == 10 and lines[0].startswith("1. *&lt;!channel&gt; Ben &amp;") and "topic 200*" in lines[0]
    assert "— 600  (closed 400, assigned 200)" in lines[0]
    assert "…and 190 more classifications" in all_text(msg)


def test_200_classifications_all_requested_stay_within_limits():
    items = [ClassificationCount(i, "c" * 150 + str(i), "all_states", i) for i in range(1, 201)]
    msg = reports.classifications_message(items, LAST_WEEK, SANDBOX, top=200)
    bk.validate_message(msg)
    assert len(msg["blocks"]) <= bk.MAX_BLOCKS


def test_classifications_without_all_states_rows_add_up():
    items = [ClassificationCount(0, "no id", "closed", 2), ClassificationCount(0, "no id", "assigned", 1)]
    msg = reports.classifications_message(items, LAST_WEEK, LIVE)
    assert "1. *no id* — 3  (closed 2, assigned 1)" in all_text(msg)


def test_long_series_are_grouped_to_a_readable_width():
    start = datetime(2025, 11, 24)
    rv = ResponseVolume([Point(start + timedelta(days=d), 600 + d) for d in range(365)])
    msg = reports.response_time_message(rv, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert [len(c["chart"]["axis_config"]["categories"]) for c in charts(msg)] == [7]  # only the range is drawn
    cv = CaseVolume([Point(start + timedelta(days=d), d % 7) for d in range(365)])
    msg = cases.cases_message(parse_case_summary(SEED_CASE_SUMMARY), cv, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    days = [
        NpsDay(datetime(2025, 11, 24, tzinfo=ZoneInfo("UTC")) + timedelta(days=d), NpsSummary(1, 1, 1, 0, 0, 100))
        for d in range(365)
    ]
    msg = nps.nps_message(Form(1, "F"), NpsSummary(365, 365, 365, 0, 0, 100), days, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert "One bar per 12 days" in all_text(msg)


@settings(deadline=None)
@given(names=st.lists(st.text(min_size=0, max_size=120), min_size=1, max_size=70))
def test_any_names_give_valid_messages_without_raw_brackets(names):
    agents = [agent(i, n, assigned=i % 5) for i, n in enumerate(names)]
    vols = [AgentVolume(i, n, "", {"assigned": i}) for i, n in enumerate(names)]
    items = [CaseClassification(i, n, i + 1) for i, n in enumerate(names)]
    for msg in (
        reports.team_message(agents, LAST_WEEK, SANDBOX),
        reports.workload_message(vols, LAST_WEEK, SANDBOX),
        cases.case_classifications_message(items, LAST_WEEK, SANDBOX, top=70),
        directory.users_message([User(i, n, n, "") for i, n in enumerate(names)], [], SANDBOX),
    ):
        bk.validate_message(msg)
        for t in texts(not_table(msg)):
            assert "<" not in t and ">" not in t


def test_nan_numbers_show_as_dashes():
    nan = float("nan")
    s = Summary(5, 2, 1, 0, nan, nan, 0, 0, nan, nan, 0, 0)
    msg = reports.summary_message(s, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert "*Avg customer wait*\n–" in all_text(msg)
    msg = reports.team_message(
        [agent(1, "Jane Pear", 4, 2, avg_response_time=nan, fraction_responded_to=nan)], LAST_WEEK, LIVE
    )
    bk.validate_message(msg)
    assert cells(msg)[1] == ["Jane Pear", "4", "2", "–", "–", "1"]


def test_hostile_context_never_reaches_mrkdwn_raw():
    ctx = ReplyContext(sandbox=True, filters_text="group: <!channel>", title_suffix="<!channel> & co")
    for name, msg in seed_report_messages(ctx).items():
        bk.validate_message(msg)
        for t in texts(msg)[:1] + [footer(msg)]:
            assert "<" not in t and ">" not in t, name
        assert msg["blocks"][0]["text"] == {
            "type": "plain_text",
            "text": "".join([msg["blocks"][0]["text"]["text"].split(" · ")[0], " · <!channel> & co"]),
            "emoji": True,
        }


def test_one_row_left_out_is_named_in_the_singular():
    items = parse_case_classifications(SEED_CASE_CLASSIFICATIONS)
    msg = cases.case_classifications_message(items, LAST_WEEK, LIVE, top=len(items) - 1)
    bk.validate_message(msg)
    assert "…and 1 more classification" in all_text(msg)
    assert "1 more classifications" not in all_text(msg)


@pytest.mark.parametrize("tf, suggested", [(YESTERDAY, "`last-7d`"), (LAST_WEEK, "`last-30d`")])
def test_empty_reply_suggests_a_range_longer_than_the_one_asked(tf, suggested):
    empty_summary = reports.summary_message(Summary(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), tf, LIVE)
    empty_nps = nps.nps_message(Form(7, "Survey"), NpsSummary(0, 0, 0, 0, 0, 0.0), [], tf, LIVE)
    for msg in (empty_summary, empty_nps):
        bk.validate_message(msg)
        assert f"Try a longer range, e.g. {suggested}" in all_text(msg)
