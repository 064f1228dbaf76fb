"""The Lexer sandbox over real loopback HTTP: report and list shapes match the Activity API doc."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.sandbox.lexer_queries import NPS_KEYS, NUM, SYD, WEEK, body, post, span

# ---------------------------------------------------------------- shapes

SUMMARY_KEYS = {
    "total_volume",
    "avg_response_time",
    "avg_action_response_time",
    "total_responded_to",
    "broke_sla",
    "broke_action_sla",
    "min_response_time",
    "median_response_time",
    "max_response_time",
    "min_action_response_time",
    "median_action_response_time",
    "max_action_response_time",
    "avg_action_response_time_min",
    "avg_response_time_min",
    "median_action_response_time_min",
    "median_response_time_min",
}
USER_SUMMARY_KEYS = {
    "first_name",
    "last_name",
    "mentions_assigned",
    "user_id",
    "responded_to",
    "responded_to_in_private",
    "avg_response_time",
    "min_response_time",
    "max_response_time",
    "avg_action_response_time",
    "min_action_response_time",
    "max_action_response_time",
    "total_responded_to",
    "broke_sla",
    "broke_action_sla",
    "avg_response_time_min",
    "avg_action_response_time_min",
    "fraction_responded_to",
    "fraction_responded_to_in_private",
    "fraction_broke_sla",
    "fraction_broke_action_sla",
}
STATE_KEYS = {
    "all_states",
    "all_closed_states",
    "new",
    "assigned",
    "in_progress",
    "responded",
    "awaiting_approval",
    "redirected",
    "irrelevant",
    "duplicate",
    "closed",
    "no_response_required",
}
CASE_SUMMARY_KEYS = {
    "total_cases",
    "first_reply_time",
    "resolution_time",
    "median_first_reply_time",
    "median_resolution_time",
    "agent_interactions",
    "agents_involved",
}


def check_series(items, extra_key=None):
    assert isinstance(items, list) and items
    for it in items:
        assert isinstance(it["value"], NUM)
        datetime.strptime(it["date_range"]["date_from"], "%Y-%m-%d %H:%M")
        if extra_key:
            assert extra_key in it


def shape_summary(p):
    assert set(p) == SUMMARY_KEYS and all(isinstance(v, NUM) for v in p.values())


def shape_states_volume(p):
    assert "closed" in p
    for state, items in p.items():
        check_series(items, "state")
        assert {i["state"] for i in items} == {state}


def shape_user_volume(p):
    assert p
    for row in p:
        assert isinstance(row["user_id"], int) and set(row["states"]) == STATE_KEYS
        assert isinstance(row["first_name"], str) and isinstance(row["last_name"], str)


def shape_classifications(p):
    assert p
    for row in p:
        assert set(row) == {"classification_id", "classification", "state", "volume"}
        assert isinstance(row["classification_id"], int) and isinstance(row["volume"], int)
    assert any(r["state"] == "all_states" for r in p)


def shape_response_volume(p):
    assert set(p) == {"avg_response_time"}
    check_series(p["avg_response_time"])


def shape_user_summary(p):
    assert p
    for row in p:
        assert set(row) == USER_SUMMARY_KEYS and isinstance(row["user_id"], str) and row["user_id"].isdigit()


def shape_case_summary(p):
    assert set(p) == CASE_SUMMARY_KEYS and all(isinstance(v, NUM) for v in p.values())


def shape_case_volume(p):
    assert set(p) == {"open"}
    check_series(p["open"])


def shape_case_classifications(p):
    assert p
    for row in p:
        assert set(row) == {"classification_id", "classification", "volume"}


def shape_nps_summary(p):
    assert set(p) == NPS_KEYS


def shape_nps_volume(p):
    assert p
    for day in p:
        assert set(day) == {"date", "timestamp", "data"} and set(day["data"]) == NPS_KEYS
        when = datetime.fromisoformat(day["date"])
        assert day["date"].endswith("+00:00") and int(when.timestamp()) == day["timestamp"]


SHAPES = [
    ("summary", {}, shape_summary),
    ("states_volume", {}, shape_states_volume),
    ("user_volume", {}, shape_user_volume),
    ("classifications", {}, shape_classifications),
    ("response_volume", {}, shape_response_volume),
    ("user_summary", {}, shape_user_summary),
    ("case_summary", {}, shape_case_summary),
    ("case_volume", {}, shape_case_volume),
    ("case_classifications", {}, shape_case_classifications),
    ("nps_summary", {"form": 55, "nps_category": "all"}, shape_nps_summary),
    ("nps_volume", {"form": 55, "nps_category": "all"}, shape_nps_volume),
]


@pytest.mark.parametrize("rtype,extra,check", SHAPES, ids=[s[0] for s in SHAPES])
def test_report_shape_matches_doc(client, sandbox, rtype, extra, check):
    answer = post(client, rtype, *WEEK, **extra)
    check(answer)
    assert answer == sandbox.report(body(rtype, *WEEK, **extra))


def test_lists_match_doc(client, sandbox):
    users = client.get("/v1/users").json()
    groups = client.get("/v1/groups").json()
    forms = client.get("/v1/forms").json()
    assert (users, groups, forms) == (sandbox.users, sandbox.groups, sandbox.forms)
    assert 8 <= len(users) <= 10 and sum(not u["archived"] for u in users) == 8
    assert {
        "id",
        "email",
        "first_name",
        "last_name",
        "timezone",
        "gmtoffset",
        "sign_in_count",
        "last_sign_in_at",
        "archived",
        "groups",
    } == set(users[0])
    assert {g["name"] for g in groups} == {"Social Customer Care", "Email Support"}
    assert sorted(f["name"] for f in forms if f["nps"]) == ["NPS Survey", "Post-chat NPS"] and len(forms) == 3
    assert {u["timezone"] for u in users} >= {"Australia/Sydney", "America/New_York"}
    group_ids = {g["id"] for g in groups}
    assert all(set(u["groups"]) <= group_ids for u in users)


def test_plausible_numbers(client):
    s = post(client, "summary", *span("2026-10-01", "2026-10-31", SYD))
    assert 1500 < s["total_volume"] < 4000
    assert 420 < s["median_response_time"] < 900  # ~10 minutes, in seconds
    assert s["avg_response_time"] > 2 * s["median_response_time"]  # the long tail
    assert s["median_response_time_min"] == pytest.approx(s["median_response_time"] / 60)
    assert 0 < s["broke_sla"] < s["total_responded_to"] < s["total_volume"]
    assert s["min_response_time"] <= s["median_response_time"] <= s["max_response_time"]
    assert s["min_action_response_time"] <= s["median_action_response_time"] < s["median_response_time"]
