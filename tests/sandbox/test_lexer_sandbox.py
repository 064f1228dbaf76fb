"""The Lexer sandbox over real loopback HTTP: shapes, errors, rate limit, consistency, exports, determinism."""

from __future__ import annotations

import concurrent.futures
import csv
import io
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
import psutil
import pytest

from bot.config import SANDBOX_TOKEN
from bot.sandbox.lexer_app import STATUS_PATH, LexerSandbox, create_sandbox_app
from bot.sandbox.server import serve_in_thread
from bot.timeframe import days_window, local_midnight
from tests.sandbox.conftest import NOW, frozen

SYD = ZoneInfo("Australia/Sydney")
NYC = ZoneInfo("America/New_York")
NUM = (int, float)


def body(rtype: str, start: datetime, end: datetime, **extra) -> dict:
    return {
        "type": rtype,
        "date_from": start.isoformat(timespec="seconds"),
        "date_to": end.isoformat(timespec="seconds"),
        **extra,
    }


def span(first: str, last: str, tz: ZoneInfo):
    tf = days_window(date.fromisoformat(first), date.fromisoformat(last), tz, "x", "x")
    return tf.start, tf.end


def post(client: httpx.Client, rtype: str, start: datetime, end: datetime, **extra):
    r = client.post("/v1/activity/reports", json=body(rtype, start, end, **extra))
    assert r.status_code == 200, r.text
    return r.json()


WEEK = span("2026-11-16", "2026-11-22", SYD)


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
NPS_KEYS = {"total_sent", "total_received", "total_promoters", "total_passives", "total_detractors", "nps_score"}
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


# ---------------------------------------------------------------- errors


def error(r: httpx.Response, status: int, text: str):
    assert r.status_code == status, r.text
    assert r.json()["error"] == text


def test_missing_token_is_401(served):
    r = httpx.get(served[1] + "/v1/users")
    error(r, 401, "Unauthorized")
    assert r.json()["message"] == "Missing authentication data"


def test_wrong_token_is_401_without_echoing_it(served):
    r = httpx.get(served[1] + "/v1/users", headers={"Auth-Api-Token": "not-the-token-xyz"})
    error(r, 401, "Unauthorized - api token not matching")
    assert "not-the-token-xyz" not in r.text


@pytest.mark.parametrize(
    "payload,status,text",
    [
        (body("summary", *span("2025-11-01", "2026-11-01", SYD)), 400, "Invalid report - date range is too long"),
        (
            body("summary", *span("2026-11-26", "2026-11-27", SYD)),
            400,
            "Invalid report - starting date is a future date",
        ),
        (body("team_volume", *WEEK), 400, "Invalid report - invalid type"),
        ({"type": "summary", "date_from": "yesterday", "date_to": WEEK[1].isoformat()}, 404, "Not found"),
        ({"type": "summary", "date_from": WEEK[0].isoformat()}, 404, "Not found"),
        (body("summary", *WEEK, users="20481"), 404, "Not found"),
        (body("nps_summary", *WEEK), 404, "Not found"),  # NPS reports need a form
        (body("nps_summary", *WEEK, form=9999), 404, "Not found"),
    ],
    ids=["too-long", "future", "bad-type", "bad-date", "no-date-to", "bad-users", "no-form", "unknown-form"],
)
def test_report_errors(client, payload, status, text):
    error(client.post("/v1/activity/reports", json=payload), status, text)


def test_twelve_months_exactly_is_allowed(client):
    post(client, "summary", *span("2025-11-25", "2026-11-24", SYD))


def test_malformed_body_and_unknown_path_are_404(client):
    error(
        client.post("/v1/activity/reports", content=b"{not json", headers={"Content-Type": "application/json"}),
        404,
        "Not found",
    )
    error(client.post("/v1/activity/reports"), 404, "Not found")
    error(client.get("/v1/nothing-here"), 404, "Not found")
    error(client.get("/v1/activity/reports"), 404, "Not found")


def test_rate_limit_429_with_retry_after():
    clock = {"t": 1000.0}
    app = LexerSandbox(
        clock=frozen,
        rate_limit=3,
        rate_window_s=300,
        rate_clock=lambda: clock["t"],
        tokens=(SANDBOX_TOKEN, "second-token"),
    )
    with serve_in_thread(app) as h, httpx.Client(base_url=h.url, headers={"Auth-Api-Token": SANDBOX_TOKEN}) as c:
        for _i in range(3):
            assert c.get("/v1/groups").status_code == 200
            clock["t"] += 10
        r = c.post("/v1/activity/reports", json=body("summary", *WEEK))
        error(r, 429, "Rate limited exceeded")
        assert r.headers["Retry-After"] == "270"  # the first slot frees 300 s after it was taken
        assert c.get(STATUS_PATH, params={"token": "x"}).status_code == 429  # status counts too
        clock["t"] = 1000.0 + 300
        assert c.get("/v1/groups").status_code == 200  # first slot free again
        assert c.get("/v1/groups").status_code == 429
        assert c.get("/downloads/x.csv").status_code == 404  # downloads are not counted
        # another token has its own budget; an unknown one is refused before counting
        assert c.get("/v1/groups", headers={"Auth-Api-Token": "second-token"}).status_code == 200
        assert c.get("/v1/groups", headers={"Auth-Api-Token": "third-token"}).status_code == 401


def test_rate_limit_is_exact_under_concurrency():
    app = LexerSandbox(clock=frozen, rate_limit=25)
    with (
        serve_in_thread(app) as h,
        httpx.Client(
            base_url=h.url, headers={"Auth-Api-Token": SANDBOX_TOKEN}, limits=httpx.Limits(max_connections=16)
        ) as c,
    ):
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            codes = list(pool.map(lambda _: c.get("/v1/forms").status_code, range(60)))
    assert codes.count(200) == 25 and codes.count(429) == 35
    assert len(app.requests) == 60


def test_injected_failures(served, client, sandbox):
    sandbox.fail_next(503, times=2)
    assert [client.get("/v1/users").status_code for _ in range(3)] == [503, 503, 200]
    sandbox.fail_next(429, retry_after=7)
    r = client.get("/v1/users")
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    sandbox.fail_next(429)
    assert "Retry-After" not in client.get("/v1/users").headers
    sandbox.fail_next(200, body=b'{"total_volume": ', path_prefix="/v1/activity")
    assert client.get("/v1/users").status_code == 200  # other paths unaffected
    r = client.post("/v1/activity/reports", json=body("summary", *WEEK))
    assert r.status_code == 200 and r.content == b'{"total_volume": '
    sandbox.fail_next(502)
    assert client.get("/v1/groups").status_code == 502


def test_requests_are_recorded(served, client, sandbox):
    sandbox.reset_counters()
    post(client, "case_summary", *WEEK, groups=[123])
    client.get("/v1/forms")
    assert [(r["method"], r["path"], r["type"]) for r in sandbox.requests] == [
        ("POST", "/v1/activity/reports", "case_summary"),
        ("GET", "/v1/forms", None),
    ]
    assert sandbox.requests[0]["body"]["groups"] == [123] and sandbox.requests[0]["at"] == NOW


# ---------------------------------------------------------------- consistency

RANGES = [
    ("2026-11-24", "2026-11-24"),  # one day: hourly buckets
    ("2026-11-18", "2026-11-20"),  # three days
    ("2026-11-16", "2026-11-22"),  # a week
    ("2026-10-26", "2026-11-08"),  # across New York's DST change
    ("2026-11-23", "2026-11-25"),  # up to now: open messages, today partial
]
TZS = [SYD, NYC]


def team_totals(client, start, end, **flt):
    s = post(client, "summary", start, end, **flt)
    us = post(client, "user_summary", start, end, **flt)
    uv = post(client, "user_volume", start, end, **flt)
    sv = post(client, "states_volume", start, end, **flt)
    return s, us, uv, sv


@pytest.mark.parametrize("tz", TZS, ids=["sydney", "new-york"])
@pytest.mark.parametrize("first,last", RANGES)
def test_volumes_agree_across_reports(client, tz, first, last):
    start, end = span(first, last, tz)
    s, us, uv, sv = team_totals(client, start, end)
    assert s["total_volume"] > 0
    assert s["total_volume"] == sum(u["mentions_assigned"] for u in us) == sum(u["states"]["all_states"] for u in uv)
    assert s["total_volume"] == sum(p["value"] for pts in sv.values() for p in pts)
    assert s["total_responded_to"] == sum(u["responded_to"] for u in us)
    assert s["broke_sla"] == sum(u["broke_sla"] for u in us) <= s["total_responded_to"]
    assert s["broke_action_sla"] <= s["total_responded_to"]
    for u in uv:
        st = u["states"]
        assert st["all_states"] == sum(v for k, v in st.items() if k not in ("all_states", "all_closed_states"))
    for u in us:
        assert u["fraction_responded_to"] == pytest.approx(u["responded_to"] / u["mentions_assigned"])
        if u["responded_to"]:
            assert u["fraction_broke_sla"] == pytest.approx(u["broke_sla"] / u["responded_to"])
    cls = post(client, "classifications", start, end)
    by_class: dict[int, dict[str, int]] = {}
    for row in cls:
        by_class.setdefault(row["classification_id"], {})[row["state"]] = row["volume"]
    for states in by_class.values():
        assert states["all_states"] == sum(v for k, v in states.items() if k != "all_states")


@pytest.mark.parametrize("tz", TZS, ids=["sydney", "new-york"])
@pytest.mark.parametrize("first,last", RANGES)
def test_range_is_the_sum_of_its_days(client, tz, first, last):
    start, end = span(first, last, tz)
    whole = post(client, "summary", start, end)
    nps_whole = post(client, "nps_summary", start, end, form=55)
    days = days_window(start.date(), end.date(), tz, "x", "x").days()
    keys = ("total_volume", "total_responded_to", "broke_sla", "broke_action_sla")
    nps_keys = ("total_sent", "total_received", "total_promoters", "total_passives", "total_detractors")
    sums = dict.fromkeys(keys, 0)
    nps_sums = dict.fromkeys(nps_keys, 0)
    for d in days:
        ds, de = span(d.isoformat(), d.isoformat(), tz)
        if ds > NOW:
            continue
        day = post(client, "summary", ds, de)
        nps_day = post(client, "nps_summary", ds, de, form=55)
        for k in keys:
            sums[k] += day[k]
        for k in nps_keys:
            nps_sums[k] += nps_day[k]
    assert sums == {k: whole[k] for k in keys}
    assert nps_sums == {k: nps_whole[k] for k in nps_keys}


@pytest.mark.parametrize("tz", TZS, ids=["sydney", "new-york"])
@pytest.mark.parametrize("form", [55, 61])
@pytest.mark.parametrize("first,last", [("2026-11-16", "2026-11-22"), ("2026-10-01", "2026-10-31")])
def test_nps_summary_is_sum_of_volume(client, tz, form, first, last):
    start, end = span(first, last, tz)
    summ = post(client, "nps_summary", start, end, form=form, nps_category="all")
    vol = post(client, "nps_volume", start, end, form=form, nps_category="all")
    assert len(vol) == (end.date() - start.date()).days + 1
    for k in NPS_KEYS - {"nps_score"}:
        assert summ[k] == sum(day["data"][k] for day in vol)
    assert summ["total_received"] == summ["total_promoters"] + summ["total_passives"] + summ["total_detractors"]
    assert 0 < summ["total_received"] < summ["total_sent"]
    expected = (summ["total_promoters"] - summ["total_detractors"]) * 100 / summ["total_received"]
    assert summ["nps_score"] == pytest.approx(expected)
    for day in vol:
        data = day["data"]
        if data["total_received"]:
            assert data["nps_score"] == pytest.approx(
                (data["total_promoters"] - data["total_detractors"]) * 100 / data["total_received"]
            )
        else:
            assert data["nps_score"] == 0.0
    # each day is the local midnight of the query's zone, in UTC
    assert datetime.fromisoformat(vol[0]["date"]) == start.astimezone(timezone.utc)


@pytest.mark.parametrize("category,score", [("promoters", 100.0), ("passives", 0.0), ("detractors", -100.0)])
def test_nps_category_filters(client, category, score):
    all_ = post(client, "nps_summary", *WEEK, form=55, nps_category="all")
    one = post(client, "nps_summary", *WEEK, form=55, nps_category=category)
    assert one["total_received"] == all_[f"total_{category}"] > 0
    assert one[f"total_{category}"] == one["total_received"]
    assert one["nps_score"] == score
    vol = post(client, "nps_volume", *WEEK, form=55, nps_category=category)
    assert sum(d["data"]["total_received"] for d in vol) == one["total_received"]


def test_non_nps_form_has_no_scores(client):
    assert post(client, "nps_summary", *WEEK, form=70)["total_received"] == 0


def test_week_buckets_match_daily_summaries(client):
    start, end = WEEK
    sv = post(client, "states_volume", start, end)
    rv = post(client, "response_volume", start, end)["avg_response_time"]
    cv = post(client, "case_volume", start, end)["open"]
    labels = [f"{d:%Y-%m-%d} 00:00" for d in days_window(start.date(), end.date(), SYD, "x", "x").days()]
    assert [p["date_range"]["date_from"] for p in rv] == labels == [p["date_range"]["date_from"] for p in cv]
    for i, label in enumerate(labels):
        d = label[:10]
        day = post(client, "summary", *span(d, d, SYD))
        assert sum(pts[i]["value"] for pts in sv.values()) == day["total_volume"]
        assert rv[i]["value"] == pytest.approx(day["avg_response_time"])  # seconds, like summary (SPEC §6)
        assert cv[i]["value"] > 0


@pytest.mark.parametrize(
    "rtype,days,hourly",
    [
        ("states_volume", 3, True),
        ("states_volume", 4, False),
        ("response_volume", 3, True),
        ("response_volume", 4, False),
        ("case_volume", 1, False),
    ],
)
def test_hourly_or_daily_buckets(client, rtype, days, hourly):
    first = date(2026, 11, 10)
    start, end = span(first.isoformat(), (first + timedelta(days=days - 1)).isoformat(), NYC)
    answer = post(client, rtype, start, end)
    pts = next(iter(answer.values()))
    labels = [p["date_range"]["date_from"] for p in pts]
    if hourly:
        assert len(labels) == 24 * days and labels[:2] == ["2026-11-10 00:00", "2026-11-10 01:00"]
        assert labels[-1] == f"{first + timedelta(days=days - 1)} 23:00"
    else:
        assert labels == [f"{first + timedelta(days=i)} 00:00" for i in range(days)]


def test_buckets_follow_the_query_offset(client):
    # the same instants asked in two zones: same totals, labels in each zone's local time
    syd = post(client, "states_volume", *span("2026-11-24", "2026-11-24", SYD))
    labels = [p["date_range"]["date_from"] for p in syd["closed"]]
    assert labels[0] == "2026-11-24 00:00" and len(labels) == 24
    start = local_midnight(date(2026, 11, 24), SYD).astimezone(NYC)
    end = start + timedelta(hours=23, minutes=59, seconds=59)
    nyc = post(client, "states_volume", start, end)
    assert nyc["closed"][0]["date_range"]["date_from"] == "2026-11-23 08:00"
    assert [p["value"] for p in nyc["closed"]] == [p["value"] for p in syd["closed"]]


def test_hours_sum_to_the_day(client):
    start, end = span("2026-11-20", "2026-11-20", NYC)
    hours = post(client, "states_volume", start, end)
    day = post(client, "summary", start, end)
    assert sum(p["value"] for pts in hours.values() for p in pts) == day["total_volume"]
    assert max(p["value"] for p in hours["closed"]) > 3 * max(1, min(p["value"] for p in hours["closed"]))


@pytest.mark.parametrize(
    "flt",
    [
        {"users": [20481]},
        {"users": [20481, 20493]},
        {"groups": [456]},
        {"groups": [123]},
        {"users": ["20494"], "groups": [123]},
    ],
    ids=["one-agent", "two-agents", "email-group", "social-group", "agent-and-group"],
)
def test_filters_restrict_every_report(client, sandbox, flt):
    start, end = span("2026-11-09", "2026-11-22", SYD)
    everyone = {int(u["user_id"]): u for u in post(client, "user_summary", start, end)}
    group_ids = set(flt.get("groups", []))
    chosen = {int(u) for u in flt.get("users", [])} | {u["id"] for u in sandbox.users if group_ids & set(u["groups"])}
    s, us, uv, sv = team_totals(client, start, end, **flt)
    assert {int(u["user_id"]) for u in us} == {u["user_id"] for u in uv} <= chosen
    assert s["total_volume"] == sum(everyone[i]["mentions_assigned"] for i in chosen if i in everyone) > 0
    assert s["total_volume"] == sum(u["states"]["all_states"] for u in uv)
    assert s["total_volume"] == sum(p["value"] for pts in sv.values() for p in pts)
    for u in us:
        assert u == everyone[int(u["user_id"])]
    full = post(client, "summary", start, end)
    assert s["total_volume"] < full["total_volume"]
    for rtype in ("case_summary", "nps_summary"):
        extra = {"form": 55} if rtype == "nps_summary" else {}
        some, all_ = post(client, rtype, start, end, **extra, **flt), post(client, rtype, start, end, **extra)
        key = "total_cases" if rtype == "case_summary" else "total_sent"
        assert 0 < some[key] < all_[key]
    cv_some = post(client, "case_volume", start, end, **flt)["open"]
    cv_all = post(client, "case_volume", start, end)["open"]
    assert all(a["value"] <= b["value"] for a, b in zip(cv_some, cv_all, strict=False))


def test_unknown_agent_filter_is_empty(client):
    s = post(client, "summary", *WEEK, users=[1])
    assert s["total_volume"] == 0 and s["median_response_time"] == 0.0
    assert post(client, "user_summary", *WEEK, users=[1]) == []


def test_recent_messages_are_still_open(client):
    uv = post(client, "user_volume", *span("2026-11-25", "2026-11-25", SYD))
    open_ = sum(u["states"]["assigned"] + u["states"]["in_progress"] for u in uv)
    assert open_ > 0
    old = post(client, "user_volume", *span("2026-10-01", "2026-10-07", SYD))
    assert sum(u["states"]["assigned"] + u["states"]["in_progress"] for u in old) == 0


def test_sla_spikes_exist_in_history(client, sandbox):
    """Some days breach far more than usual (alerts need them); an injected spike shows at once."""
    first, last = date(2026, 5, 1), date(2026, 10, 31)
    spikes = [sp for i in range((last - first).days) for sp in sandbox.data.spikes_on(first + timedelta(days=i))]
    assert 3 <= len(spikes) <= 20
    for sp in spikes[:4]:
        start = datetime.fromtimestamp(sp.start, timezone.utc)
        end = datetime.fromtimestamp(sp.end - 1, timezone.utc)
        during = post(client, "summary", start, end)
        week_before = post(client, "summary", start - timedelta(days=7), end - timedelta(days=7))
        frac = during["broke_sla"] / max(1, during["total_responded_to"])
        assert frac > 0.35 and frac > 3 * week_before["broke_sla"] / max(1, week_before["total_responded_to"])
    app = LexerSandbox(clock=frozen, seed=7)
    hour = span("2026-11-24", "2026-11-24", SYD)
    before = app.report(body("summary", *hour))
    app.inject_spike(hour[0] + timedelta(hours=9), hours=4, factor=10)
    after = app.report(body("summary", *hour))
    assert after["total_volume"] == before["total_volume"]
    assert after["broke_sla"] >= before["broke_sla"] + 6


def test_twelve_month_reports_are_fast(sandbox):
    start, end = span("2025-11-25", "2026-11-24", SYD)
    sandbox.report(body("summary", start, end))  # generation is paid once, then cached
    for rtype in (
        "summary",
        "states_volume",
        "user_summary",
        "user_volume",
        "classifications",
        "response_volume",
        "case_summary",
        "case_volume",
        "case_classifications",
    ):
        t0 = time.perf_counter()
        sandbox.report(body(rtype, start, end))
        assert time.perf_counter() - t0 < 0.3, rtype
    t0 = time.perf_counter()
    sandbox.report(body("nps_volume", start, end, form=55))
    assert time.perf_counter() - t0 < 0.3


# ---------------------------------------------------------------- exports


def run_export(client, payload) -> tuple[str, dict]:
    r = client.post("/v1/activity/reports", json=payload)
    assert r.status_code == 200
    start = r.json()
    assert start["status"] == "pending" and start["url"] is None and len(start["token"]) >= 20
    token = start["token"]
    seen = []
    for _ in range(5):
        st = client.get(STATUS_PATH, params={"token": token}).json()
        seen.append(st["status"])
        if st["status"] != "pending":
            break
    return token, {"seen": seen, **st}


@pytest.mark.parametrize(
    "rtype,extra,first_col,count_from",
    [
        ("case_details", {}, "case_id", ("case_summary", "total_cases")),
        ("mention_sla_export", {}, "message_id", ("summary", "total_volume")),
        ("nps_submissions", {"form": 55, "nps_category": "all"}, "submission_id", ("nps_summary", "total_received")),
    ],
)
def test_export_pending_complete_download(client, served, rtype, extra, first_col, count_from):
    token, st = run_export(client, body(rtype, *WEEK, **extra))
    assert st["seen"] == ["pending", "pending", "complete"]
    assert st["token"] == token and st["url"] == f"{served[1]}/downloads/{token}.csv"
    r = httpx.get(st["url"])  # pre-signed: no token
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0])[0] == first_col
    report_type, key = count_from
    assert len(rows) == post(client, report_type, *WEEK, **extra)[key]


def test_export_csv_columns(client):
    _, st = run_export(client, body("mention_sla_export", *WEEK, users=[20481]))
    rows = list(csv.DictReader(io.StringIO(httpx.get(st["url"]).text)))
    assert {r["agent_id"] for r in rows} == {"20481"}
    assert {"received_at", "responded_at", "customer_wait_s", "agent_response_s", "broke_sla", "notes"} <= set(rows[0])
    responded = [r for r in rows if r["responded_at"]]
    assert responded and all(float(r["customer_wait_s"]) >= float(r["agent_response_s"]) for r in responded)


def test_export_status_errors(client, served, sandbox):
    error(client.get(STATUS_PATH, params={"token": "no-such-job"}), 404, "Not found")
    assert httpx.get(served[1] + STATUS_PATH, params={"token": "x"}).status_code == 401
    # the status call also takes the token as a query parameter
    assert httpx.get(served[1] + STATUS_PATH, params={"token": "x", "api_token": SANDBOX_TOKEN}).status_code == 404
    assert httpx.get(served[1] + "/downloads/guessed.csv").status_code == 404
    token = client.post("/v1/activity/reports", json=body("case_details", *WEEK)).json()["token"]
    assert httpx.get(f"{served[1]}/downloads/{token}.csv").status_code == 404  # not complete yet
    sandbox.set_export_status(token, "failed")
    assert client.get(STATUS_PATH, params={"token": token}).json() == {"status": "failed", "url": None, "token": token}
    sandbox.set_export_status(None, "pending")
    try:
        _, st = run_export(client, body("case_details", *WEEK))
        assert st["seen"] == ["pending"] * 5
    finally:
        sandbox.set_export_status(None, None)
    _, st = run_export(client, body("case_details", *WEEK))
    assert st["status"] == "complete"


def test_big_export_streams_with_bounded_memory():
    size = 50 * 1024 * 1024
    app = LexerSandbox(clock=frozen, export_size_bytes=size)
    with serve_in_thread(app) as h, httpx.Client(base_url=h.url, headers={"Auth-Api-Token": SANDBOX_TOKEN}) as c:
        app.base_url = h.url
        _, st = run_export(c, body("mention_sla_export", *WEEK))
        proc = psutil.Process()
        got, peak, base = 0, 0, proc.memory_info().rss
        t0 = time.perf_counter()
        with c.stream("GET", st["url"]) as r:
            assert r.headers.get("content-length") == str(size)
            first = b""
            for i, chunk in enumerate(r.iter_raw(1 << 16)):
                first = first or chunk
                got += len(chunk)
                if i % 64 == 0:
                    peak = max(peak, proc.memory_info().rss - base)
        elapsed = time.perf_counter() - t0
    assert got == size
    assert first.startswith(b"message_id,case_id,received_at")
    assert peak < 30 * 1024 * 1024
    assert elapsed < 10


# ---------------------------------------------------------------- determinism


def test_same_seed_same_answers(client):
    a, b = create_sandbox_app(clock=frozen, seed=11), create_sandbox_app(clock=frozen, seed=11)
    other = create_sandbox_app(clock=frozen, seed=12)
    rng = span("2026-11-02", "2026-11-15", NYC)
    for rtype, extra in (
        ("summary", {}),
        ("user_summary", {}),
        ("states_volume", {}),
        ("case_volume", {}),
        ("nps_volume", {"form": 61}),
    ):
        assert a.report(body(rtype, *rng, **extra)) == b.report(body(rtype, *rng, **extra))
    assert a.report(body("summary", *rng)) != other.report(body("summary", *rng))
    assert a.users == b.users
    # the HTTP answer of the default seed is the module sandbox's too
    assert post(client, "summary", *rng) == create_sandbox_app(clock=frozen).report(body("summary", *rng))
