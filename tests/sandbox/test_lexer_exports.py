"""The Lexer sandbox over real loopback HTTP: exports (pending, complete, download, streamed memory) and determinism."""

from __future__ import annotations

import csv
import io
import time

import httpx
import psutil
import pytest

from bot.config import SANDBOX_TOKEN
from bot.sandbox.lexer_app import STATUS_PATH, LexerSandbox, create_sandbox_app
from bot.sandbox.server import serve_in_thread
from tests.sandbox.conftest import frozen
from tests.sandbox.lexer_queries import NYC, WEEK, body, error, post, span

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
