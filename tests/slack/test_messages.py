import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.lexer.models import (
    AgentSummary,
    AgentVolume,
    CaseClassification,
    CaseVolume,
    ClassificationCount,
    Form,
    Group,
    NpsDay,
    NpsSummary,
    Point,
    ResponseVolume,
    StatesVolume,
    Summary,
    User,
    parse_case_classifications,
    parse_case_summary,
    parse_case_volume,
    parse_classifications,
    parse_forms,
    parse_groups,
    parse_nps_summary,
    parse_nps_volume,
    parse_response_volume,
    parse_states_volume,
    parse_summary,
    parse_user_summary,
    parse_user_volume,
    parse_users,
)
from bot.slack import blocks as bk
from bot.slack import messages as m
from bot.slack.messages import ReplyContext
from bot.timeframe import parse_range

SYDNEY = ZoneInfo("Australia/Sydney")
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=SYDNEY)
LAST_WEEK = parse_range("last-week", SYDNEY, NOW)
YESTERDAY = parse_range("yesterday", SYDNEY, NOW)
SANDBOX = ReplyContext(sandbox=True)
LIVE = ReplyContext(sandbox=False)
EVIL = "<!channel> Ben & <@U123> Jerry's `x` *y*"

# ---------------------------------------------------------------- the seed doc's example payloads

SEED_SUMMARY = json.loads("""{
  "total_volume": 81, "avg_response_time": 181795.692883103, "avg_action_response_time": 167207.984987586,
  "total_responded_to": 29, "broke_sla": 11, "broke_action_sla": 10, "min_response_time": 34.090906,
  "median_response_time": 649.951914, "max_response_time": 1387160.862218, "min_action_response_time": 5.63089,
  "median_action_response_time": 96.865511, "max_action_response_time": 1387064.010109,
  "avg_action_response_time_min": 2786.7997497931, "avg_response_time_min": 3029.9282147183835,
  "median_action_response_time_min": 1.6144251833333334, "median_response_time_min": 10.8325319}""")

SEED_STATES = json.loads("""{"closed": [
  {"state": "closed", "value": 174, "date_range": {"date_from": "2018-04-27 00:00"}},
  {"state": "closed", "value": 234, "date_range": {"date_from": "2018-04-28 00:00"}},
  {"state": "closed", "value": 255, "date_range": {"date_from": "2018-04-29 00:00"}},
  {"state": "closed", "value": 108, "date_range": {"date_from": "2018-04-30 00:00"}}]}""")

SEED_CLASSIFICATIONS = json.loads("""[
  {"classification_id": 123, "classification": "amusing", "state": "assigned", "volume": 2},
  {"classification_id": 123, "classification": "amusing", "state": "all_states", "volume": 3},
  {"classification_id": 123, "classification": "amusing", "state": "closed", "volume": 1},
  {"classification_id": 143, "classification": "customer service", "state": "responded", "volume": 1},
  {"classification_id": 143, "classification": "customer service", "state": "all_states", "volume": 1}]""")

SEED_RESPONSE = json.loads("""{"avg_response_time": [
  {"value": 317691.388907962, "date_range": {"date_from": "2018-06-05 00:00"}},
  {"value": 31159.3797606667, "date_range": {"date_from": "2018-06-06 00:00"}},
  {"value": 69850.8753626667, "date_range": {"date_from": "2018-06-07 00:00"}},
  {"value": 10661.255474, "date_range": {"date_from": "2018-06-08 00:00"}}]}""")

SEED_USER_SUMMARY = json.loads("""[
  {"first_name": "Jane", "last_name": "Pear", "mentions_assigned": 12, "user_id": "123", "responded_to": 9,
   "responded_to_in_private": 6, "avg_response_time": 17053.3492157778, "min_response_time": 56.983366,
   "max_response_time": 84664.420214, "avg_action_response_time": 278.770835555556,
   "min_action_response_time": 7.767898, "max_action_response_time": 2261.353394, "total_responded_to": 9,
   "broke_sla": 3, "broke_action_sla": 0, "avg_response_time_min": 284.22248692962995,
   "avg_action_response_time_min": 4.6461805925926, "fraction_responded_to": 0.75,
   "fraction_responded_to_in_private": 0.6666666666666666, "fraction_broke_sla": 0.3333333333333333,
   "fraction_broke_action_sla": 0.0},
  {"first_name": "Barry", "last_name": "Banana", "mentions_assigned": 7, "user_id": "789", "responded_to": 1,
   "responded_to_in_private": 1, "avg_response_time": 352842.64921, "min_response_time": 352842.64921,
   "max_response_time": 352842.64921, "avg_action_response_time": 134.51357, "min_action_response_time": 134.51357,
   "max_action_response_time": 134.51357, "total_responded_to": 1, "broke_sla": 1, "broke_action_sla": 0,
   "avg_response_time_min": 5880.710820166667, "avg_action_response_time_min": 2.241892833333333,
   "fraction_responded_to": 0.14285714285714285, "fraction_responded_to_in_private": 1.0,
   "fraction_broke_sla": 1.0, "fraction_broke_action_sla": 0.0}]""")

SEED_USER_VOLUME = json.loads("""[
  {"user_id": 123, "first_name": "Jane", "last_name": "Pear", "states": {"all_states": 166,
   "all_closed_states": 110, "new": 0, "assigned": 15, "in_progress": 14, "responded": 27,
   "awaiting_approval": 0, "redirected": 0, "irrelevant": 0, "duplicate": 0, "closed": 110,
   "no_response_required": 0}},
  {"user_id": 789, "first_name": "Barry", "last_name": "Banana", "states": {"all_states": 4,
   "all_closed_states": 1, "new": 0, "assigned": 1, "in_progress": 1, "responded": 1, "awaiting_approval": 0,
   "redirected": 0, "irrelevant": 0, "duplicate": 0, "closed": 1, "no_response_required": 0}}]""")

SEED_CASE_SUMMARY = json.loads("""{"total_cases": 10, "first_reply_time": 305511.915624,
  "resolution_time": 427361.668069, "median_first_reply_time": 83991.86431,
  "median_resolution_time": 310362.299289, "agent_interactions": 2.4, "agents_involved": 1.0}""")

SEED_CASE_VOLUME = {
    "open": [
        {"value": v, "date_range": {"date_from": f"2018-04-0{i + 1} 00:00"}}
        for i, v in enumerate([9, 9, 9, 9, 9, 10, 9])
    ]
}

SEED_CASE_CLASSIFICATIONS = json.loads("""[
  {"classification_id": 466, "classification": "positive", "volume": 1},
  {"classification_id": 526, "classification": "social nps", "volume": 1},
  {"classification_id": 528, "classification": "feedback", "volume": 1},
  {"classification_id": 1246, "classification": "amusing", "volume": 1},
  {"classification_id": 1465, "classification": "image", "volume": 1},
  {"classification_id": 1467, "classification": "loyalty", "volume": 1},
  {"classification_id": 1472, "classification": "bot", "volume": 1}]""")

SEED_NPS_SUMMARY = json.loads("""{"total_sent": 16, "total_received": 12, "total_promoters": 9,
  "total_passives": 1, "total_detractors": 2, "nps_score": 58.333333333333336}""")

SEED_NPS_VOLUME = [
    {
        "date": f"2018-04-0{i}T13:00:00+00:00",
        "timestamp": 1522587600 + 86400 * (i - 1),
        "data": {
            "total_sent": 0,
            "total_received": 0,
            "total_promoters": 0,
            "total_passives": 0,
            "total_detractors": 0,
            "nps_score": 0.0,
        },
    }
    for i in range(1, 8)
]

# the users example ends its groups list with a trailing comma, which is not JSON; written as Python here
SEED_USERS = [
    {
        "id": 12345,
        "email": "jane@business.io",
        "first_name": "Jane",
        "last_name": "Remington",
        "timezone": "Australia/Sydney",
        "gmtoffset": 10,
        "sign_in_count": 76,
        "last_sign_in_at": "2018-03-21T06:09:01Z",
        "archived": False,
        "groups": [123, 456, 789],
    }
]
SEED_GROUPS = [{"id": 123, "name": "Social Customer Care", "comment": "Social customer care team members"}]
SEED_FORMS = [
    {
        "id": 55,
        "name": "NPS Survey",
        "title": "Lexer NPS Survey",
        "archived": False,
        "created_at": "2018-05-26T21:54:19Z",
        "groups": [123],
        "nps": True,
        "form_url": "https://d1z1wrkt4y2iqm.cloudfront.net/123455678899876543/1/form",
    }
]

USAGE = {
    "summary": "`/lexer summary [RANGE]` — SLA numbers, e.g. `/lexer summary last-week`",
    "team": "`/lexer team [RANGE]` — per agent, e.g. `/lexer team last-week`",
    "nps": "`/lexer nps [FORM] [RANGE]` — NPS, e.g. `/lexer nps 55 last-7d`",
    "help": "`/lexer help` — this list",
}
ORDER = ["summary", "team", "nps", "help"]


# ---------------------------------------------------------------- helpers


def texts(message: dict) -> list[str]:
    """Every text string in a message, fallback included."""
    out = [message["text"]]

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "text" and isinstance(v, str):
                    out.append(v)
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(message["blocks"])
    return out


def all_text(message: dict) -> str:
    return "\n".join(texts(message))


def footer(message: dict) -> str:
    last = message["blocks"][-1]
    assert last["type"] == "context"
    return last["elements"][0]["text"]


def agent(i: int, name: str, assigned: int = 10, responded: int = 5, **kw) -> AgentSummary:
    first, _, last = name.partition(" ")
    base = dict(
        user_id=i,
        first_name=first,
        last_name=last,
        mentions_assigned=assigned,
        responded_to=responded,
        responded_to_in_private=0,
        total_responded_to=responded,
        broke_sla=1,
        broke_action_sla=0,
        avg_response_time=3600.0 + i,
        min_response_time=1.0,
        max_response_time=9999.0,
        avg_action_response_time=60.0,
        fraction_responded_to=responded / assigned if assigned else 0.0,
        fraction_broke_sla=0.2,
    )
    base.update(kw)
    return AgentSummary(**base)


def seed_report_messages(ctx=SANDBOX, tf=LAST_WEEK) -> dict[str, dict]:
    form = parse_forms(SEED_FORMS)[0]
    return {
        "summary": m.summary_message(parse_summary(SEED_SUMMARY), tf, ctx),
        "team": m.team_message(parse_user_summary(SEED_USER_SUMMARY), tf, ctx),
        "workload": m.workload_message(parse_user_volume(SEED_USER_VOLUME), tf, ctx),
        "states": m.states_message(parse_states_volume(SEED_STATES), tf, ctx),
        "classifications": m.classifications_message(parse_classifications(SEED_CLASSIFICATIONS), tf, ctx),
        "response-time": m.response_time_message(parse_response_volume(SEED_RESPONSE), tf, ctx),
        "cases": m.cases_message(parse_case_summary(SEED_CASE_SUMMARY), parse_case_volume(SEED_CASE_VOLUME), tf, ctx),
        "case-classifications": m.case_classifications_message(
            parse_case_classifications(SEED_CASE_CLASSIFICATIONS), tf, ctx
        ),
        "nps": m.nps_message(form, parse_nps_summary(SEED_NPS_SUMMARY), parse_nps_volume(SEED_NPS_VOLUME), tf, ctx),
    }


def empty_report_messages(ctx=SANDBOX, tf=LAST_WEEK) -> dict[str, dict]:
    form = Form(1, "Survey")
    zero_summary = parse_summary({})
    return {
        "summary": m.summary_message(zero_summary, tf, ctx),
        "team": m.team_message([], tf, ctx),
        "team-zeros": m.team_message([agent(1, "A B", 0, 0)], tf, ctx),
        "workload": m.workload_message([], tf, ctx),
        "workload-zeros": m.workload_message([AgentVolume(1, "A", "B", {"closed": 0})], tf, ctx),
        "states": m.states_message(StatesVolume({}), tf, ctx),
        "states-zeros": m.states_message(StatesVolume({"closed": [Point(datetime(2026, 11, 16), 0)]}), tf, ctx),
        "classifications": m.classifications_message([], tf, ctx),
        "response-time": m.response_time_message(ResponseVolume([]), tf, ctx),
        "response-time-zeros": m.response_time_message(
            ResponseVolume([Point(datetime(2026, 11, 16), 0.0), Point(datetime(2026, 11, 17), float("nan"))]), tf, ctx
        ),
        "cases": m.cases_message(parse_case_summary({}), CaseVolume([]), tf, ctx),
        "case-classifications": m.case_classifications_message([], tf, ctx),
        "nps": m.nps_message(form, parse_nps_summary({}), [], tf, ctx),
    }


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
    wanted = m.NO_NPS if name == "nps" else m.NO_DATA
    assert wanted in all_text(msg)
    assert "```" not in all_text(msg)
    assert "sandbox data" in footer(msg)


def test_live_footer_has_no_sandbox_note_and_shows_filters():
    ctx = ReplyContext(sandbox=False, filters_text="group: Email <Support> & Co", title_suffix="Email Support")
    msg = m.summary_message(parse_summary(SEED_SUMMARY), LAST_WEEK, ctx)
    bk.validate_message(msg)
    assert footer(msg) == (
        "last week (Mon 16 Nov – Sun 22 Nov 2026) · group: Email &lt;Support&gt; &amp; Co · Australia/Sydney"
    )
    assert msg["blocks"][0]["text"]["text"] == "SLA summary · Email Support"
    assert "sandbox" not in all_text(msg)


@pytest.mark.parametrize(
    "tf, ctx, expected",
    [
        (LAST_WEEK, SANDBOX, "last week (Mon 16 Nov – Sun 22 Nov 2026) · Australia/Sydney · sandbox data"),
        (YESTERDAY, LIVE, "yesterday (Tue 24 Nov 2026) · Australia/Sydney"),
        (None, SANDBOX, "sandbox data"),
        (None, LIVE, ""),
        (
            LAST_WEEK,
            ReplyContext(True, "agent: jane@business.io"),
            "last week (Mon 16 Nov – Sun 22 Nov 2026) · agent: jane@business.io · Australia/Sydney · sandbox data",
        ),
    ],
)
def test_footer_text(tf, ctx, expected):
    assert m.footer_text(tf, ctx) == expected


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
    table = msg["blocks"][2]["text"]["text"]
    lines = table.strip("`\n").split("\n")
    assert lines[0].split() == ["Agent", "Assigned", "Responded", "%", "Avg", "resp", "Breaches"]
    assert lines[1].split() == ["Jane", "Pear", "12", "9", "75%", "4h", "44m", "3"]
    assert lines[2].split() == ["Barry", "Banana", "7", "1", "14%", "4d", "2h", "1"]
    assert "2 agents* · 19 assigned · 10 responded (53%) · 4 SLA breaches" in msg["blocks"][1]["text"]["text"]


def test_team_columns_line_up():
    msg = seed_report_messages()["team"]
    lines = msg["blocks"][2]["text"]["text"].strip("`\n").split("\n")
    ends = {len(line) for line in lines}
    assert len(ends) == 1  # right-aligned last column: every row ends at the same place


def test_workload_numbers():
    msg = seed_report_messages()["workload"]
    lines = msg["blocks"][2]["text"]["text"].strip("`\n").split("\n")
    assert lines[0].split() == ["Agent", "Open", "New", "Asgn", "Prog", "Resp", "Appr", "Closed"]
    assert lines[1].split() == ["Jane", "Pear", "56", "0", "15", "14", "27", "0", "110"]
    assert lines[2].split() == ["Barry", "Banana", "3", "0", "1", "1", "1", "0", "1"]
    assert "*59 open* · 111 closed · across 2 agents" in msg["blocks"][1]["text"]["text"]


def test_states_totals_and_trend():
    msg = seed_report_messages()["states"]
    table = msg["blocks"][1]["text"]["text"]
    assert table.strip("`\n").split("\n")[1].split() == ["Closed", "771", "▆▇█▄"]
    assert "one bar per day, Fri 27 Apr – Mon 30 Apr" in all_text(msg)


def test_states_hourly_buckets_are_grouped_and_named():
    start = datetime(2026, 11, 21)
    sv = StatesVolume(
        {
            "closed": [Point(start + timedelta(hours=h), h % 5) for h in range(72)],
            "in_progress": [Point(start + timedelta(hours=h), 1) for h in range(72)],
            "all_states": [Point(start + timedelta(hours=h), 99) for h in range(72)],
        }
    )
    msg = m.states_message(sv, YESTERDAY, LIVE)
    bk.validate_message(msg)
    rows = msg["blocks"][1]["text"]["text"].strip("`\n").split("\n")
    assert [r.split()[0] for r in rows[1:]] == ["Closed", "In"]  # all_states is an aggregate, not a state
    assert "one bar per 3 hours" in all_text(msg)
    assert len(rows[1].split()[-1]) == 24


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
    assert "`█▂▃▁`" in msg["blocks"][2]["text"]["text"]


def test_response_time_zero_bucket_is_a_gap_not_fast():
    rv = ResponseVolume(
        [Point(datetime(2026, 11, 16), 600), Point(datetime(2026, 11, 17), 0), Point(datetime(2026, 11, 18), 1200)]
    )
    msg = m.response_time_message(rv, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert "`▅ █`" in all_text(msg)
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
    msg = m.case_classifications_message(items, LAST_WEEK, LIVE, top=3)
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
    msg = m.nps_message(Form(7, "Care <!here>"), s, days, LAST_WEEK, LIVE, category="detractors")
    bk.validate_message(msg)
    text = all_text(msg)
    assert "*-25*" in text and "`█ ▁`" in text and "detractors only" in text
    assert "Care &lt;!here&gt;" in text


def test_nps_with_sent_but_none_received():
    msg = m.nps_message(Form(7, "Survey"), NpsSummary(16, 0, 0, 0, 0, 0.0), [], LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert "No survey responses in this range. 16 surveys sent, none answered." in all_text(msg)


# ---------------------------------------------------------------- scale and hostile data


def test_team_60_agents_with_long_hostile_names_all_shown():
    agents = [agent(i, f"{EVIL} Agent{i:02d} " + "x" * 80, assigned=i) for i in range(60)]
    msg = m.team_message(agents, LAST_WEEK, SANDBOX)
    bk.validate_message(msg)
    rows = [
        line
        for b in msg["blocks"]
        if b["type"] == "section" and "```" in b["text"]["text"]
        for line in b["text"]["text"].strip("`\n").split("\n")[1:]
    ]
    assert len(rows) == 60
    assert "more agents" not in all_text(msg)
    for t in texts(msg):
        assert "<" not in t and ">" not in t
    assert "&lt;!channel&gt; Ben &amp;" in all_text(msg)


def test_team_past_the_row_limit_says_how_many_more():
    agents = [agent(i, f"Agent {i}", assigned=1000 - i) for i in range(250)]
    msg = m.team_message(agents, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert "…and 150 more agents" in all_text(msg)
    assert "Agent 0 " in all_text(msg) and "Agent 249" not in all_text(msg)


def test_workload_60_agents():
    agents = [
        AgentVolume(i, EVIL, "y" * 60, {"assigned": i, "closed": 2 * i, "all_closed_states": 2 * i}) for i in range(60)
    ]
    msg = m.workload_message(agents, LAST_WEEK, SANDBOX)
    bk.validate_message(msg)
    assert "*1,770 open* · 3,540 closed · across 60 agents" in all_text(msg)


def test_ampersand_names_never_split_an_entity_at_the_cut():
    agents = [agent(i, "&" * 40, assigned=5) for i in range(3)]
    msg = m.team_message(agents, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    row = msg["blocks"][2]["text"]["text"].split("\n")[2]
    assert row.startswith("&amp;" * 19 + "…")


def test_200_classifications_top_10():
    items = [
        ClassificationCount(i, f"{EVIL} topic {i}", s, v)
        for i in range(1, 201)
        for s, v in (("all_states", i * 3), ("closed", i * 2), ("assigned", i))
    ]
    msg = m.classifications_message(items, LAST_WEEK, SANDBOX)
    bk.validate_message(msg)
    lines = msg["blocks"][1]["text"]["text"].split("\n")
    assert len(lines) == 10 and lines[0].startswith("1. *&lt;!channel&gt; Ben &amp;") and "topic 200*" in lines[0]
    assert "— 600  (closed 400, assigned 200)" in lines[0]
    assert "…and 190 more classifications" in all_text(msg)


def test_200_classifications_all_requested_stay_within_limits():
    items = [ClassificationCount(i, "c" * 150 + str(i), "all_states", i) for i in range(1, 201)]
    msg = m.classifications_message(items, LAST_WEEK, SANDBOX, top=200)
    bk.validate_message(msg)
    assert len(msg["blocks"]) <= bk.MAX_BLOCKS


def test_classifications_without_all_states_rows_add_up():
    items = [ClassificationCount(0, "no id", "closed", 2), ClassificationCount(0, "no id", "assigned", 1)]
    msg = m.classifications_message(items, LAST_WEEK, LIVE)
    assert "1. *no id* — 3  (closed 2, assigned 1)" in all_text(msg)


def test_long_series_are_grouped_to_a_readable_width():
    start = datetime(2025, 11, 24)
    rv = ResponseVolume([Point(start + timedelta(days=d), 600 + d) for d in range(365)])
    msg = m.response_time_message(rv, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert "one bar per 12 days" in all_text(msg)
    cv = CaseVolume([Point(start + timedelta(days=d), d % 7) for d in range(365)])
    msg = m.cases_message(parse_case_summary(SEED_CASE_SUMMARY), cv, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    days = [
        NpsDay(datetime(2025, 11, 24, tzinfo=ZoneInfo("UTC")) + timedelta(days=d), NpsSummary(1, 1, 1, 0, 0, 100))
        for d in range(365)
    ]
    msg = m.nps_message(Form(1, "F"), NpsSummary(365, 365, 365, 0, 0, 100), days, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert "One bar per 12 days" in all_text(msg)


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.text(min_size=0, max_size=120), min_size=1, max_size=70))
def test_any_names_give_valid_messages_without_raw_brackets(names):
    agents = [agent(i, n, assigned=i % 5) for i, n in enumerate(names)]
    vols = [AgentVolume(i, n, "", {"assigned": i}) for i, n in enumerate(names)]
    items = [CaseClassification(i, n, i + 1) for i, n in enumerate(names)]
    for msg in (
        m.team_message(agents, LAST_WEEK, SANDBOX),
        m.workload_message(vols, LAST_WEEK, SANDBOX),
        m.case_classifications_message(items, LAST_WEEK, SANDBOX, top=70),
        m.users_message([User(i, n, n, "") for i, n in enumerate(names)], [], SANDBOX),
    ):
        bk.validate_message(msg)
        for t in texts(msg):
            assert "<" not in t and ">" not in t


# ---------------------------------------------------------------- lists


def test_users_groups_forms_on_seed():
    users, groups, forms = parse_users(SEED_USERS), parse_groups(SEED_GROUPS), parse_forms(SEED_FORMS)
    msg = m.users_message(users, groups, SANDBOX)
    bk.validate_message(msg)
    assert "• *Jane Remington* `12345` · jane@business.io — Social Customer Care" in all_text(msg)
    assert footer(msg) == "sandbox data"
    msg = m.groups_message(groups, users, LIVE)
    bk.validate_message(msg)
    assert "• *Social Customer Care* `123` — 1 member · Social customer care team members" in all_text(msg)
    assert msg["blocks"][-1]["type"] == "context"  # the tip; no empty footer in live mode
    msg = m.forms_message(forms, LIVE)
    bk.validate_message(msg)
    assert "• *NPS Survey* `55` — NPS survey · Lexer NPS Survey" in all_text(msg)


def test_lists_hostile_many_and_archived():
    users = [User(i, f"u{i}@x.io", EVIL, str(i), archived=i % 10 == 0, groups=(1,)) for i in range(500)]
    groups = [Group(1, EVIL, EVIL)] + [Group(i, f"g{i}") for i in range(2, 300)]
    forms = [Form(i, EVIL + str(i), nps=i % 2 == 0, archived=i == 3) for i in range(300)]
    for msg in (
        m.users_message(users, groups, SANDBOX),
        m.groups_message(groups, users, SANDBOX),
        m.forms_message(forms, SANDBOX),
    ):
        bk.validate_message(msg)
        for t in texts(msg):
            assert "<" not in t and ">" not in t
    assert "50 archived users not shown" in all_text(m.users_message(users, groups, SANDBOX))
    assert "…and 250 more users" in all_text(m.users_message(users, groups, SANDBOX))
    assert "450 members" in all_text(m.groups_message(groups, users, SANDBOX))


@pytest.mark.parametrize(
    "msg",
    [
        m.users_message([], [], SANDBOX),
        m.groups_message([], [], SANDBOX),
        m.forms_message([], LIVE),
    ],
)
def test_empty_lists(msg):
    bk.validate_message(msg)
    assert "No " in all_text(msg)


# ---------------------------------------------------------------- help, errors, notices


def test_help_lists_every_command_in_order():
    msg = m.help_message(USAGE, ORDER)
    bk.validate_message(msg)
    body = msg["blocks"][1]["text"]["text"].split("\n")
    assert body == [f"• {USAGE[n]}" for n in ORDER]
    assert "last-week" in all_text(msg) and "group:NAME_OR_ID" in all_text(msg)
    assert msg["text"] == "/lexer commands: summary, team, nps, help"


def test_help_topic_and_unknown_topic():
    msg = m.help_message(USAGE, ORDER, topic="team")
    bk.validate_message(msg)
    assert msg["blocks"][1]["text"]["text"] == USAGE["team"]
    msg = m.help_message(USAGE, ORDER, topic="<!channel>")
    bk.validate_message(msg)
    assert "`&lt;!channel&gt;`" in all_text(msg) and all(f"• {USAGE[n]}" in all_text(msg) for n in ORDER)


def test_help_with_many_commands_stays_in_limits():
    usage = {f"cmd{i}": f"`/lexer cmd{i}` — " + "words " * 100 for i in range(300)}
    msg = m.help_message(usage, [])
    bk.validate_message(msg)
    assert "more commands" in all_text(msg)


def test_error_message_escapes_and_keeps_backticks():
    msg = m.error_message(
        "`<!channel>` is not a command.", hint="Try `/lexer help` & see.", usage="`/lexer team [RANGE]`"
    )
    bk.validate_message(msg)
    assert msg["blocks"][0]["text"]["text"] == ":warning: `&lt;!channel&gt;` is not a command."
    assert [e["text"] for e in msg["blocks"][1]["elements"]] == [
        "Try `/lexer help` &amp; see.",
        "*Usage:* `/lexer team [RANGE]`",
    ]
    assert "<" not in msg["text"]
    bk.validate_message(m.error_message("x" * 5000))


def test_notice_message():
    msg = m.notice_message("Subscribed <#C123> to the daily SLA digest.", title="Subscribed")
    bk.validate_message(msg)
    assert msg["blocks"][1]["text"]["text"] == "Subscribed <#C123> to the daily SLA digest."
    assert msg["text"].startswith("Subscribed: ")
    bk.validate_message(m.notice_message("done"))


# ---------------------------------------------------------------- blocks and validation


def _msg(*blocks, text="fallback"):
    return {"text": text, "blocks": list(blocks)}


def _sec(text):
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_builders_make_valid_blocks():
    msg = _msg(
        bk.header("Title"),
        bk.section("hi", fields=["a", "b"], accessory=bk.button("Go", "go", "1", "primary")),
        bk.fields_section([("A", "1"), ("B", "2")]),
        bk.context(["one", "two"]),
        bk.divider(),
        bk.actions([bk.button("Yes", "yes", "y"), bk.button("No", "no", "n", style="danger")]),
    )
    bk.validate_message(msg)
    assert msg["blocks"][2]["fields"][0] == {"type": "mrkdwn", "text": "*A*\n1"}


def test_builders_cut_long_text_to_the_limits():
    bk.validate_message(
        _msg(
            bk.header("h" * 500),
            bk.section("s" * 5000, fields=["f" * 3000]),
            bk.context(["c" * 4000]),
            bk.actions([bk.button("b" * 100, "a" * 300, "v" * 3000)]),
        )
    )
    assert bk.header("x" * 500)["text"]["text"].endswith("…")
    assert bk.section("&amp;" * 700)["text"]["text"].endswith("&amp;…")


@pytest.mark.parametrize(
    "build",
    [
        lambda: bk.section("x", fields=["f"] * 11),
        lambda: bk.context([]),
        lambda: bk.context(["c"] * 11),
        lambda: bk.actions([]),
        lambda: bk.button("b", "a", "v", style="green"),
    ],
)
def test_builders_refuse_what_slack_would(build):
    with pytest.raises(ValueError):
        build()


@pytest.mark.parametrize(
    "message, problem",
    [
        ({"blocks": []}, "fallback"),
        (_msg(_sec("x"), text="  "), "fallback"),
        (_msg(_sec("x"), text="t" * 40001), "40000"),
        ("not a dict", "dict"),
        (_msg(*[_sec("x")] * 51), "51 blocks"),
        (_msg({"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}), "3001 characters"),
        (_msg({"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}), "11 fields"),
        (_msg({"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}), "field 0"),
        (_msg({"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}), "151"),
        (_msg({"type": "header", "text": {"type": "mrkdwn", "text": "x"}}), "plain_text"),
        (_msg({"type": "section"}), "text or fields"),
        (_msg({"type": "section", "text": {"type": "mrkdwn", "text": ""}}), "empty"),
        (_msg({"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}), "11 elements"),
        (_msg({"type": "bogus"}), "unknown block type"),
        (_msg({"type": "section", "txt": {"type": "mrkdwn", "text": "x"}}), "text or fields"),
        (_msg({"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "colour": "red"}), "does not accept"),
        (_msg(["section"]), "not a block"),
        ({"text": "t", "blocks": {"type": "divider"}}, "list"),
        (
            _msg(
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "b"},
                            "action_id": "a",
                            "style": "green",
                        }
                    ],
                }
            ),
            "style",
        ),
    ],
)
def test_validate_message_names_the_problem(message, problem):
    with pytest.raises(ValueError, match=problem):
        bk.validate_message(message)


def test_validate_message_max_blocks_is_adjustable():
    msg = _msg(*[_sec("x")] * 10)
    bk.validate_message(msg, max_blocks=10)
    with pytest.raises(ValueError, match="11 blocks"):
        bk.validate_message(_msg(*[_sec("x")] * 11), max_blocks=10)


def test_validate_view():
    bk.validate_view({"type": "home", "blocks": [_sec("x")] * 100})
    with pytest.raises(ValueError, match="101 blocks"):
        bk.validate_view({"type": "home", "blocks": [_sec("x")] * 101})
    with pytest.raises(ValueError, match="home"):
        bk.validate_view({"type": "message", "blocks": []})
    with pytest.raises(ValueError, match="3001"):
        bk.validate_view({"type": "home", "blocks": [_sec("x" * 3001)]})


def test_nan_numbers_show_as_dashes():
    nan = float("nan")
    s = Summary(5, 2, 1, 0, nan, nan, 0, 0, nan, nan, 0, 0)
    msg = m.summary_message(s, LAST_WEEK, LIVE)
    bk.validate_message(msg)
    assert "*Avg customer wait*\n–" in all_text(msg)
    msg = m.team_message(
        [agent(1, "Jane Pear", 4, 2, avg_response_time=nan, fraction_responded_to=nan)], LAST_WEEK, LIVE
    )
    bk.validate_message(msg)
    assert msg["blocks"][2]["text"]["text"].split("\n")[2].split() == ["Jane", "Pear", "4", "2", "–", "–", "1"]


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
    msg = m.case_classifications_message(items, LAST_WEEK, LIVE, top=len(items) - 1)
    bk.validate_message(msg)
    assert "…and 1 more classification" in all_text(msg)
    assert "1 more classifications" not in all_text(msg)


@pytest.mark.parametrize("tf, suggested", [(YESTERDAY, "`last-7d`"), (LAST_WEEK, "`last-30d`")])
def test_empty_reply_suggests_a_range_longer_than_the_one_asked(tf, suggested):
    empty_summary = m.summary_message(Summary(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), tf, LIVE)
    empty_nps = m.nps_message(Form(7, "Survey"), NpsSummary(0, 0, 0, 0, 0, 0.0), [], tf, LIVE)
    for msg in (empty_summary, empty_nps):
        bk.validate_message(msg)
        assert f"Try a longer range, e.g. {suggested}" in all_text(msg)
