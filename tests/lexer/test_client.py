"""The Activity client through its real transport stack against the served sandbox."""

from __future__ import annotations

import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.config import Settings
from bot.errors import (
    BadRequestError,
    BusyError,
    ExportError,
    ExportTimeoutError,
    LexerApiError,
    LexerUnavailableError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
)
from bot.lexer import models
from bot.lexer.build import build_activity_client
from bot.lexer.client import Filters
from bot.lexer.exports import run_export, wait_for_export
from bot.store import open_store
from bot.timeframe import parse_range

SYD = ZoneInfo("Australia/Sydney")


def client_for(sandbox, tmp_path, token="sandbox-token", **kw):
    settings = Settings(
        lexer_api_token=token,
        lexer_api_url=f"{sandbox.url}/v1",
        lexer_status_url=f"{sandbox.url}/api/public/v1/activity/reports/status",
        db_path=str(tmp_path / "c.db"),
    )
    kw.setdefault("sleep", lambda s: None)
    return build_activity_client(settings, open_store(settings.db_path), **kw)


@pytest.fixture
def client(sandbox, tmp_path):
    return client_for(sandbox, tmp_path)


def last_week():
    return parse_range("last-week", SYD, datetime.now(timezone.utc))


def test_lists(client, sandbox):
    users, groups, forms = client.users(), client.groups(), client.forms()
    assert len(users) == len(sandbox.app.users) >= 6
    assert {g.name for g in groups} == {g["name"] for g in sandbox.app.groups}
    assert any(f.nps for f in forms) and any(not f.nps for f in forms)
    assert all(isinstance(u.id, int) and u.email for u in users)


def test_every_report_type_parses_to_typed_results(client, sandbox):
    tf = last_week()
    nps_form = next(f for f in client.forms() if f.nps)
    s = client.summary(tf)
    assert isinstance(s, models.Summary) and s.total_volume > 0 and s.broke_sla <= s.total_responded_to
    agents = client.user_summary(tf)
    assert agents and all(isinstance(a.user_id, int) for a in agents)
    assert sum(a.mentions_assigned for a in agents) == s.total_volume
    volumes = client.user_volume(tf)
    assert {v.user_id for v in volumes} == {a.user_id for a in agents}  # string and number ids agree
    sv = client.states_volume(tf)
    assert sv.series and all(len(pts) == 7 for pts in sv.series.values())  # daily for a week
    assert (
        len(next(iter(client.states_volume(parse_range("yesterday", SYD, datetime.now(timezone.utc))).series.values())))
        == 24
    )
    assert client.classifications(tf)
    rv = client.response_volume(tf)
    assert len(rv.avg_response_time) == 7
    cs, cv = client.case_summary(tf), client.case_volume(tf)
    assert cs.total_cases >= 0 and len(cv.open) == 7
    assert isinstance(client.case_classifications(tf), list)
    ns = client.nps_summary(tf, nps_form.id)
    days = client.nps_volume(tf, nps_form.id)
    assert len(days) == 7 and sum(d.data.total_received for d in days) == ns.total_received
    promoters = client.nps_summary(tf, nps_form.id, "promoters")
    assert promoters.total_passives == promoters.total_detractors == 0


def test_filters_are_sent_and_restrict(client, sandbox):
    tf = last_week()
    group = client.groups()[0]
    whole = client.summary(tf)
    part = client.summary(tf, Filters(groups=(group.id,)))
    assert 0 < part.total_volume < whole.total_volume
    bodies = [r["body"] for r in sandbox.app.requests if r.get("type") == "summary"]
    assert bodies[-1]["groups"] == [group.id]


@pytest.mark.parametrize(
    "body,status,error,words",
    [
        (
            {"date_from": "2024-01-01T00:00:00+00:00", "date_to": "2025-06-30T23:59:59+00:00"},
            400,
            BadRequestError,
            "12 months",
        ),
        (
            {"date_from": "2099-01-01T00:00:00+00:00", "date_to": "2099-01-02T23:59:59+00:00"},
            400,
            BadRequestError,
            "future",
        ),
        ({"type": "nonsense"}, 400, BadRequestError, "report type"),
        ({"date_from": "garbage"}, 404, NotFoundError, "could not find"),
    ],
)
def test_documented_400s_and_404_are_typed(client, body, status, error, words):
    payload = {"type": "summary", "date_from": "2026-01-01T00:00:00+00:00", "date_to": "2026-01-02T00:00:00+00:00"}
    payload.update(body)
    extra = {k: v for k, v in payload.items() if k not in ("type", "date_from", "date_to")}
    with pytest.raises(error) as err:
        client.report(
            payload["type"], None, **{**extra, "date_from": payload["date_from"], "date_to": payload["date_to"]}
        )
    assert err.value.status == status and words in str(err.value)


def test_both_401s_never_show_the_token(sandbox, tmp_path):
    bad = client_for(sandbox, tmp_path, token="not-the-token-7a7a")
    with pytest.raises(UnauthorizedError) as err:
        bad.summary(last_week())
    assert "not-the-token-7a7a" not in str(err.value) + repr(err.value) + err.value.hint + repr(bad)
    raw = httpx.post(f"{sandbox.url}/v1/activity/reports", json={"type": "summary"})
    assert raw.status_code == 401
    from bot.lexer.client import error_for

    missing = error_for(raw)
    assert isinstance(missing, UnauthorizedError) and "did not receive" in str(missing)


def test_429_becomes_rate_limited_with_retry_after(client, sandbox):
    sandbox.app.fail_next(429, retry_after=240, times=1)
    with pytest.raises(RateLimitedError) as err:
        client.summary(last_week())
    assert err.value.retry_after == 240 and "240 s" in str(err.value)


def test_a_429_with_retry_after_closes_the_window_for_every_process(client, sandbox, tmp_path):
    sandbox.app.fail_next(429, retry_after=2, times=1)
    with pytest.raises(RateLimitedError) as err:
        client.summary(last_week())
    assert err.value.retry_after == 2
    # another process on the database (its own connection and client) waits out the pause, then sends once
    other = client_for(sandbox, tmp_path, sleep=time.sleep)
    started = time.monotonic()
    assert other.summary(last_week()).total_volume > 0
    assert time.monotonic() - started >= 1.5
    assert [r["status"] for r in sandbox.app.requests if r["type"] == "summary"] == [429, 200]


def test_a_429_without_retry_after_pauses_conservatively_and_sends_nothing(client, sandbox, tmp_path):
    sandbox.app.fail_next(429, times=1)
    with pytest.raises(RateLimitedError):
        client.groups()
    other = client_for(sandbox, tmp_path, sleep=time.sleep)
    with pytest.raises(BusyError) as err:  # a command will not wait 60 s: it goes back to the queue
        other.summary(last_week())
    assert err.value.retry_after > 50
    assert len(sandbox.app.requests) == 1


def test_a_failed_leader_hands_its_error_to_its_followers(client, sandbox):
    """10 identical queries against a 503: one leader's retry cycle (4 sends), not 40."""
    sandbox.app.fail_next(503, times=100)
    barrier = threading.Barrier(10)

    def ask(_):
        barrier.wait()
        try:
            client.summary(last_week())
        except LexerUnavailableError:
            return "unavailable"
        return "answered"

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(ask, range(10)))
    assert outcomes == ["unavailable"] * 10
    assert len(sandbox.app.requests) <= 4


def test_502_then_success(client, sandbox):
    sandbox.app.fail_next(502, times=1)
    assert client.groups()


def test_5xx_exhausted_and_network_errors_are_unavailable(client, sandbox, tmp_path):
    sandbox.app.fail_next(503, times=10)
    with pytest.raises(LexerUnavailableError):
        client.forms()
    settings = Settings(lexer_api_token="t", lexer_api_url="http://127.0.0.1:9/v1", db_path=str(tmp_path / "n.db"))
    dead = build_activity_client(settings, open_store(settings.db_path), sleep=lambda s: None)
    with pytest.raises(LexerUnavailableError) as err:
        dead.users()
    assert "reach" in str(err.value)


def test_malformed_json(client, sandbox):
    sandbox.app.fail_next(200, body=b"{not json", times=1)
    with pytest.raises(MalformedResponseError):
        client.users()
    sandbox.app.fail_next(200, body=b'"a string"', times=1)
    with pytest.raises(MalformedResponseError):
        client.summary(last_week())


def test_no_error_text_contains_the_token(sandbox, tmp_path):
    token = "tok-very-secret-91"
    c = client_for(sandbox, tmp_path, token=token)
    texts = []
    for status in (400, 401, 404, 429, 500, 503):
        sandbox.app.fail_next(status, times=5, retry_after=100)
        try:
            c.summary(last_week())
        except LexerApiError as exc:
            texts.append(f"{exc} {exc!r} {exc.hint}")
    assert len(texts) == 6 and all(token not in t for t in texts)


def test_twenty_concurrent_identical_queries_send_one_request(client, sandbox):
    tf = last_week()
    sandbox.app.reset_counters()
    barrier = threading.Barrier(20)

    def ask(_):
        barrier.wait()
        return client.user_summary(tf)

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(ask, range(20)))
    assert all(r == results[0] for r in results)
    assert len([r for r in sandbox.app.requests if r.get("type") == "user_summary"]) == 1


@pytest.mark.parametrize(
    "kind,report_type", [("cases", "case_details"), ("responses", "mention_sla_export"), ("nps", "nps_submissions")]
)
def test_exports_start_poll_download(client, sandbox, tmp_path, kind, report_type):
    form = next(f for f in client.forms() if f.nps).id if kind == "nps" else None
    dest = tmp_path / f"{kind}.csv"
    result = run_export(client, kind, last_week(), dest, form_id=form, sleep=lambda s: None)
    assert result.size_bytes == dest.stat().st_size > 0
    assert dest.read_text().splitlines()[0].count(",") >= 3
    types = [r.get("type") for r in sandbox.app.requests]
    assert report_type in types
    polls = [r for r in sandbox.app.requests if "status" in r["path"]]
    assert polls and "token" in polls[0]["query"]


def test_export_failed_and_timeout(client, sandbox, tmp_path):
    sandbox.app.set_export_status(None, "failed")
    with pytest.raises(ExportError) as err:
        run_export(client, "cases", last_week(), tmp_path / "x.csv", sleep=lambda s: None)
    assert "failed" in str(err.value)
    assert not (tmp_path / "x.csv").exists()
    sandbox.app.set_export_status(None, None)
    start = client.start_export("cases", last_week())
    sandbox.app.set_export_status(start.token, "pending")
    t = [0.0]

    def sleep(s):
        t[0] += s

    with pytest.raises(ExportTimeoutError):
        wait_for_export(client, start.token, timeout_s=60, clock=lambda: t[0], sleep=sleep)
    assert t[0] <= 60


def test_export_of_200mb_streams_with_bounded_memory(sandbox, tmp_path):
    sandbox.app.export_size_bytes = 200 * 1024 * 1024
    c = client_for(sandbox, tmp_path)
    tracemalloc.start()
    try:
        result = run_export(c, "responses", last_week(), tmp_path / "big.csv", sleep=lambda s: None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.size_bytes == 200 * 1024 * 1024
    assert peak < 50 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    (tmp_path / "big.csv").unlink()


# ---------------------------------------------------------------- compressed answers (a proxy in front of Lexer)


@pytest.fixture
def gzip_sandbox():
    from bot.sandbox.lexer_app import LexerSandbox
    from bot.sandbox.server import serve_in_thread
    from tests.conftest import Served

    app = LexerSandbox(export_polls=1, gzip=True)
    handle = serve_in_thread(app)
    app.base_url = handle.url
    yield Served(app, handle.url)
    handle.stop()


def test_gzip_sandbox_answers_compressed(gzip_sandbox):
    r = httpx.get(
        f"{gzip_sandbox.url}/v1/users", headers={"Auth-Api-Token": "sandbox-token", "Accept-Encoding": "gzip"}
    )
    assert r.headers["content-encoding"] == "gzip"
    assert r.json()  # httpx decodes it
    plain = httpx.get(
        f"{gzip_sandbox.url}/v1/users", headers={"Auth-Api-Token": "sandbox-token", "Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers


def test_compressed_answers_are_cached_and_served_again(gzip_sandbox, tmp_path):
    client = client_for(gzip_sandbox, tmp_path)
    frame = last_week()
    first_users = client.users()
    first = client.summary(frame)
    sent = len(gzip_sandbox.app.requests)
    # served from the cache: the stored body is already decoded and must not be decoded again
    assert client.users() == first_users
    assert client.summary(frame) == first
    assert len(gzip_sandbox.app.requests) == sent
    assert client.cache.hits >= 2
