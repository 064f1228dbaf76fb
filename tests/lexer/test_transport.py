"""Rate limiter, retry and cache transports against stand-in servers (httpx.MockTransport)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.errors import BusyError
from bot.lexer.transport import (
    CachingTransport,
    RateLimitTransport,
    RetryTransport,
    StoreRateLimiter,
    parse_retry_after,
    token_key,
)
from bot.store import open_store


class FakeClock:
    """A shared fake clock; sleep advances it."""

    def __init__(self, start: float = 1_000_000.0):
        self.t = start
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.t

    def sleep(self, s: float) -> None:
        with self.lock:
            self.t += s


@pytest.fixture
def store(database):
    store = open_store(database)
    yield store
    store.close()


@pytest.mark.both_databases
def test_limiter_burst_of_500_never_exceeds_100_per_window(store):
    clock = FakeClock()
    limiter = StoreRateLimiter(store, "tok", clock=clock, sleep=clock.sleep, max_wait_s=900)
    sends: list[float] = []
    lock = threading.Lock()

    def handler(request):
        with lock:
            sends.append(clock())
        return httpx.Response(200, json={})

    client = httpx.Client(transport=RateLimitTransport(httpx.MockTransport(handler), limiter))
    outcomes = {"ok": 0, "busy": 0}

    def one(_):
        try:
            client.get("http://lexer/v1/users")
            return "ok"
        except BusyError:
            return "busy"

    with ThreadPoolExecutor(8) as pool:
        for r in pool.map(one, range(500)):
            outcomes[r] += 1
    assert outcomes["ok"] + outcomes["busy"] == 500
    assert outcomes["ok"] == len(sends) > 100
    sends.sort()
    # no sliding 300 s window holds more than 100 sends
    j = 0
    for i in range(len(sends)):
        while sends[i] - sends[j] >= 300:
            j += 1
        assert i - j + 1 <= 100


def test_limiter_gives_busy_error_when_wait_too_long(store):
    clock = FakeClock()
    limiter = StoreRateLimiter(store, "tok", limit=3, clock=clock, sleep=clock.sleep, max_wait_s=5)
    for _ in range(3):
        limiter.release(limiter.acquire())
    with pytest.raises(BusyError) as err:
        limiter.acquire()
    assert "try again in" in str(err.value)
    assert err.value.retry_after > 5


@pytest.mark.both_databases
def test_limiter_is_shared_across_connections_on_one_database(database):
    clock = FakeClock()
    a = StoreRateLimiter(open_store(database), "tok", limit=5, clock=clock, sleep=clock.sleep, max_wait_s=0.1)
    b = StoreRateLimiter(open_store(database), "tok", limit=5, clock=clock, sleep=clock.sleep, max_wait_s=0.1)
    for lim in (a, b, a, b, a):
        lim.release(lim.acquire())
    with pytest.raises(BusyError):
        b.acquire()


@pytest.mark.both_databases
def test_in_flight_requests_count(store):
    clock = FakeClock()
    limiter = StoreRateLimiter(store, "tok", limit=2, clock=clock, sleep=clock.sleep, max_wait_s=0.1)
    limiter.acquire()
    limiter.acquire()  # both still in flight
    clock.sleep(400)  # long after they were sent, but their answers have not come back
    with pytest.raises(BusyError):
        limiter.acquire()


@pytest.mark.both_databases
def test_send_log_never_stores_the_token(store):
    StoreRateLimiter(store, "secret-token-123", clock=FakeClock()).acquire()
    dump = "\n".join(repr(row) for row in store.db.query("select * from rate_log"))
    assert "secret-token-123" not in dump
    assert token_key("secret-token-123") in dump


@pytest.mark.parametrize("headers", [{"Retry-After": "7"}, {}])
def test_a_429_is_not_retried_into_the_closed_window(headers):
    calls, sleeps = [], []

    def handler(request):
        calls.append(1)
        return httpx.Response(429, headers=headers, json={"error": "Rate limited exceeded"})

    t = RetryTransport(httpx.MockTransport(handler), sleep=sleeps.append)
    r = httpx.Client(transport=t).get("http://x/v1/users")
    assert r.status_code == 429 and len(calls) == 1 and sleeps == []


def test_retry_502_then_success_and_network_errors():
    seq = iter([httpx.Response(502), "boom", httpx.Response(200, json=[])])

    def handler(request):
        item = next(seq)
        if item == "boom":
            raise httpx.ConnectError("refused")
        return item

    sleeps = []
    r = httpx.Client(transport=RetryTransport(httpx.MockTransport(handler), sleep=sleeps.append)).get("http://x/")
    assert r.status_code == 200 and len(sleeps) == 2


def test_retry_gives_up_after_max_retries():
    handler = lambda request: httpx.Response(503)  # noqa: E731
    r = httpx.Client(transport=RetryTransport(httpx.MockTransport(handler), sleep=lambda s: None, max_retries=2)).get(
        "http://x/"
    )
    assert r.status_code == 503


def test_long_retry_after_is_returned_not_slept():
    handler = lambda request: httpx.Response(429, headers={"Retry-After": "240"})  # noqa: E731
    sleeps = []
    r = httpx.Client(transport=RetryTransport(httpx.MockTransport(handler), sleep=sleeps.append)).get("http://x/")
    assert r.status_code == 429 and sleeps == []


def test_parse_retry_after_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == pytest.approx(60, abs=1)
    assert parse_retry_after("soon") is None


def _report_body(**kw):
    body = {"type": "summary", "date_from": "2020-01-01T00:00:00+00:00", "date_to": "2020-01-01T23:59:59+00:00"}
    body.update(kw)
    return body


def test_coalescing_20_concurrent_identical_queries_send_one_request():
    calls = []
    gate = threading.Event()

    def handler(request):
        calls.append(request)
        gate.wait(2)
        return httpx.Response(200, json={"total_volume": 5})

    client = httpx.Client(transport=CachingTransport(httpx.MockTransport(handler)))
    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(client.post, "http://x/v1/activity/reports", json=_report_body()) for _ in range(20)]
        threading.Timer(0.3, gate.set).start()
        results = [f.result() for f in futures]
    assert len(calls) == 1
    assert all(r.json() == {"total_volume": 5} for r in results)


def test_cache_keys_on_body_and_ttl_depends_on_range():
    calls = []
    clock = FakeClock(start=2_000_000_000.0)  # 2033: 2020 ranges are past

    def handler(request):
        calls.append(json.loads(request.content))
        return httpx.Response(200, json={})

    client = httpx.Client(transport=CachingTransport(httpx.MockTransport(handler), clock=clock))
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


def test_exports_and_errors_are_not_cached():
    calls = []

    def handler(request):
        calls.append(1)
        body = json.loads(request.content)
        return httpx.Response(500 if body["type"] == "summary" else 200, json={})

    client = httpx.Client(transport=CachingTransport(httpx.MockTransport(handler)))
    for _ in range(2):
        client.post("http://x/v1/activity/reports", json=_report_body(type="case_details"))
        client.post("http://x/v1/activity/reports", json=_report_body())
    assert len(calls) == 4


def test_an_export_poll_yielding_to_queued_commands_looks_again_soon_not_in_five_minutes(store):
    """Failed before: one command in line for a moment made the next export poll wait for the oldest send's slot
    (299 s), though the window had room: an export then slept five minutes (the two-threads export test)."""
    clock = FakeClock()
    waiting = [1]
    limiter = StoreRateLimiter(
        store, "tok", clock=clock, sleep=clock.sleep, max_wait_s=0.5, poll_s=0.25, waiting=lambda: waiting[0]
    )
    for _ in range(10):  # the export share while commands wait
        limiter.release(limiter.acquire("export"))
    with pytest.raises(BusyError) as err:
        limiter.acquire("export")
    assert err.value.retry_after is not None and err.value.retry_after < 5, err.value.retry_after
    waiting[0] = 0  # the command was taken: the export goes on at once
    limiter.release(limiter.acquire("export"))
