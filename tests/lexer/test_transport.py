"""The retry transport and Retry-After (bot.lexer.transport) against stand-in servers (httpx.MockTransport)."""

from __future__ import annotations

import httpx
import pytest

from bot.lexer.transport import RetryTransport, parse_retry_after


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
