"""Lexer's rate limit (bot.lexer.rate_limit): the limiter on the store, and its transport (httpx.MockTransport)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.errors import BusyError
from bot.lexer.rate_limit import RateLimitTransport, StoreRateLimiter
from bot.lexer.transport import token_key
from bot.store import open_store
from tests.lexer.fakes import FakeClock


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
