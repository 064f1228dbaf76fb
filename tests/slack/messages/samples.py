"""The seed doc's example payloads and helpers shared by the message builder tests."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.lexer.models import (
    AgentSummary,
    AgentVolume,
    CaseVolume,
    Form,
    Point,
    ResponseVolume,
    StatesVolume,
    parse_case_classifications,
    parse_case_summary,
    parse_case_volume,
    parse_classifications,
    parse_forms,
    parse_nps_summary,
    parse_nps_volume,
    parse_response_volume,
    parse_states_volume,
    parse_summary,
    parse_user_summary,
    parse_user_volume,
)
from bot.slack.messages import cases, nps, reports
from bot.slack.messages.common import ReplyContext
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
        "summary": reports.summary_message(parse_summary(SEED_SUMMARY), tf, ctx),
        "team": reports.team_message(parse_user_summary(SEED_USER_SUMMARY), tf, ctx),
        "workload": reports.workload_message(parse_user_volume(SEED_USER_VOLUME), tf, ctx),
        "states": reports.states_message(parse_states_volume(SEED_STATES), tf, ctx),
        "classifications": reports.classifications_message(parse_classifications(SEED_CLASSIFICATIONS), tf, ctx),
        "response-time": reports.response_time_message(parse_response_volume(SEED_RESPONSE), tf, ctx),
        "cases": cases.cases_message(
            parse_case_summary(SEED_CASE_SUMMARY), parse_case_volume(SEED_CASE_VOLUME), tf, ctx
        ),
        "case-classifications": cases.case_classifications_message(
            parse_case_classifications(SEED_CASE_CLASSIFICATIONS), tf, ctx
        ),
        "nps": nps.nps_message(form, parse_nps_summary(SEED_NPS_SUMMARY), parse_nps_volume(SEED_NPS_VOLUME), tf, ctx),
    }


def empty_report_messages(ctx=SANDBOX, tf=LAST_WEEK) -> dict[str, dict]:
    form = Form(1, "Survey")
    zero_summary = parse_summary({})
    return {
        "summary": reports.summary_message(zero_summary, tf, ctx),
        "team": reports.team_message([], tf, ctx),
        "team-zeros": reports.team_message([agent(1, "A B", 0, 0)], tf, ctx),
        "workload": reports.workload_message([], tf, ctx),
        "workload-zeros": reports.workload_message([AgentVolume(1, "A", "B", {"closed": 0})], tf, ctx),
        "states": reports.states_message(StatesVolume({}), tf, ctx),
        "states-zeros": reports.states_message(StatesVolume({"closed": [Point(datetime(2026, 11, 16), 0)]}), tf, ctx),
        "classifications": reports.classifications_message([], tf, ctx),
        "response-time": reports.response_time_message(ResponseVolume([]), tf, ctx),
        "response-time-zeros": reports.response_time_message(
            ResponseVolume([Point(datetime(2026, 11, 16), 0.0), Point(datetime(2026, 11, 17), float("nan"))]), tf, ctx
        ),
        "cases": cases.cases_message(parse_case_summary({}), CaseVolume([]), tf, ctx),
        "case-classifications": cases.case_classifications_message([], tf, ctx),
        "nps": nps.nps_message(form, parse_nps_summary({}), [], tf, ctx),
    }


# ---------------------------------------------------------------- pictures: the table and the charts


def table_of(msg: dict) -> dict:
    """The message's one table block (Slack's table or data_table)."""
    (table,) = [b for b in msg["blocks"] if b["type"] in ("table", "data_table")]
    return table


def cells(msg: dict) -> list[list[str]]:
    """The table's cells as the lead reads them: header first."""
    return [[c["text"] for c in row] for row in table_of(msg)["rows"]]


def not_table(msg: dict) -> dict:
    """The message without its table: raw_text cells are plain text, never read as mrkdwn."""
    return {**msg, "blocks": [b for b in msg["blocks"] if b["type"] not in ("table", "data_table")]}


def charts(msg: dict) -> list[dict]:
    return [b for b in msg["blocks"] if b["type"] == "data_visualization"]


def points(chart: dict) -> dict[str, dict[str, float]]:
    return {s["name"]: {p["label"]: p["value"] for p in s["data"]} for s in chart["chart"]["series"]}
