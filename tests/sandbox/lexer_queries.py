"""What the Lexer sandbox tests share: report queries, the doc's NPS keys, and the error-answer check."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx

from bot.timeframe import days_window

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


NPS_KEYS = {"total_sent", "total_received", "total_promoters", "total_passives", "total_detractors", "nps_score"}


def error(r: httpx.Response, status: int, text: str):
    assert r.status_code == status, r.text
    assert r.json()["error"] == text
