"""The Lexer sandbox over real loopback HTTP: numbers agree across reports, ranges, buckets, filters and timezones."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.sandbox.lexer_app import LexerSandbox
from bot.timeframe import days_window, local_midnight
from tests.sandbox.conftest import NOW, frozen
from tests.sandbox.lexer_queries import NPS_KEYS, NYC, SYD, WEEK, body, post, span

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
