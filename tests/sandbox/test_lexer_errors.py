"""The Lexer sandbox over real loopback HTTP: errors, authentication, the rate limit, injected failures, recorded requests."""

from __future__ import annotations

import concurrent.futures

import httpx
import pytest

from bot.config import SANDBOX_TOKEN
from bot.sandbox.lexer_app import STATUS_PATH, LexerSandbox
from bot.sandbox.server import serve_in_thread
from tests.sandbox.conftest import NOW, frozen
from tests.sandbox.lexer_queries import SYD, WEEK, body, error, post, span

# ---------------------------------------------------------------- errors


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
