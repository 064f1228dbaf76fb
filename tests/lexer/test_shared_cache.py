"""The shared cache (bot.lexer.shared_cache): its flights against the served sandbox, on both backends; its keys,
lifetimes and coalescing against a MockTransport."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import httpx
import pytest

from bot.errors import BusyError, LexerUnavailableError
from bot.lexer.build import build_activity_client
from bot.lexer.shared_cache import FAILED_SHARED_S, SharedCachingTransport
from bot.store import open_store
from bot.timeframe import parse_range
from tests.conftest import Served, make_settings
from tests.lexer.fakes import FakeClock


def _day(text: str):
    return parse_range(text, timezone.utc, datetime.now(timezone.utc))


@pytest.mark.both_databases
def test_a_leader_refused_by_the_budget_shares_a_wait_not_an_outage(sandbox, tmp_path, database):
    """Failed before: the refused leader's flight was recorded as unreachable, so whoever asked the same question
    in the next 5 s (here: another process on the database) was told "Could not reach Lexer." while Lexer was up."""
    settings = make_settings(sandbox, Served(None, "http://127.0.0.1:9"), tmp_path, db_path=database)
    leader_store, follower_store = open_store(database), open_store(database)
    try:
        leader = build_activity_client(settings, leader_store, rate_limit=2, max_wait_s=0)
        follower = build_activity_client(settings, follower_store, rate_limit=2, max_wait_s=0)
        leader.summary(_day("2026-10-01"))
        leader.summary(_day("2026-10-02"))  # the window is spent
        sandbox.app.reset_counters()
        with pytest.raises(BusyError):
            leader.summary(_day("2026-10-03"))
        try:
            follower.summary(_day("2026-10-03"))  # the same question, a moment later
        except LexerUnavailableError as exc:
            pytest.fail(f"a spent budget was reported as an outage: {exc}")
        except BusyError as exc:
            assert exc.retry_after and exc.retry_after > 200  # when the window opens: a wait, and how long
        else:
            pytest.fail("the follower was answered though the window is spent")
        assert sandbox.app.requests == []  # nothing was sent past the budget
    finally:
        leader_store.close()
        follower_store.close()


# ------------------------------------------------------------------ keys, lifetimes and coalescing (MockTransport)


def _report_body(**kw):
    body = {"type": "summary", "date_from": "2020-01-01T00:00:00+00:00", "date_to": "2020-01-01T23:59:59+00:00"}
    body.update(kw)
    return body


def test_coalescing_20_concurrent_identical_queries_send_one_request(fresh_store):
    calls = []
    gate = threading.Event()

    def handler(request):
        calls.append(request)
        gate.wait(2)
        return httpx.Response(200, json={"total_volume": 5})

    client = httpx.Client(transport=SharedCachingTransport(httpx.MockTransport(handler), fresh_store, "tok"))
    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(client.post, "http://x/v1/activity/reports", json=_report_body()) for _ in range(20)]
        threading.Timer(0.3, gate.set).start()
        results = [f.result() for f in futures]
    assert len(calls) == 1
    assert all(r.json() == {"total_volume": 5} for r in results)


def test_cache_keys_on_body_and_ttl_depends_on_range(fresh_store):
    calls = []
    clock = FakeClock(start=2_000_000_000.0)  # 2033: 2020 ranges are past

    def handler(request):
        calls.append(json.loads(request.content))
        return httpx.Response(200, json={})

    client = httpx.Client(
        transport=SharedCachingTransport(httpx.MockTransport(handler), fresh_store, "tok", clock=clock)
    )
    client.post("http://x/v1/activity/reports", json=_report_body())
    client.post("http://x/v1/activity/reports", json=dict(reversed(list(_report_body().items()))))  # same query
    client.post("http://x/v1/activity/reports", json=_report_body(groups=[1]))
    assert len(calls) == 2
    clock.sleep(3600)  # past range: still cached after an hour
    client.post("http://x/v1/activity/reports", json=_report_body())
    assert len(calls) == 2
    live = _report_body(date_from="2033-05-18T00:00:00+00:00", date_to="2033-05-18T23:59:59+00:00")  # today
    client.post("http://x/v1/activity/reports", json=live)
    clock.sleep(300)  # today's numbers: cached for minutes…
    client.post("http://x/v1/activity/reports", json=live)
    assert len(calls) == 3
    clock.sleep(900)  # …but not a quarter hour
    client.post("http://x/v1/activity/reports", json=live)
    assert len(calls) == 4


def test_exports_and_errors_are_not_cached(fresh_store):
    calls = []
    clock = FakeClock()

    def handler(request):
        calls.append(1)
        body = json.loads(request.content)
        return httpx.Response(500 if body["type"] == "summary" else 200, json={})

    client = httpx.Client(
        transport=SharedCachingTransport(httpx.MockTransport(handler), fresh_store, "tok", clock=clock)
    )
    for _ in range(2):
        client.post("http://x/v1/activity/reports", json=_report_body(type="case_details"))
        client.post("http://x/v1/activity/reports", json=_report_body())
        clock.sleep(FAILED_SHARED_S + 1)  # a failed answer serves only who asks at once
    assert len(calls) == 4
