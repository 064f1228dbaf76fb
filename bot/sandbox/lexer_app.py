"""The embedded Lexer sandbox: a WSGI app serving the Activity API doc's endpoints, errors and rate limit.

Paths are relative to the app root: the client's LEXER_API_URL is the served
URL + "/v1", its LEXER_STATUS_URL the served URL +
"/api/public/v1/activity/reports/status". Downloads ("pre-signed" in reality)
need no token and are not rate limited.
"""

from __future__ import annotations

import collections
import hmac
import json
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from bot.config import SANDBOX_TOKEN
from bot.sandbox.csv_export import stream_csv
from bot.sandbox.data.activity import ActivityData
from bot.sandbox.data.records import Query
from bot.sandbox.data.reports import EXPORT_TYPES, NPS_TYPES, REPORT_TYPES, compute_report
from bot.sandbox.data.world import FORMS, GROUPS, NPS_CATEGORIES
from bot.sandbox.lexer_wire import (
    ERR_BAD_TOKEN,
    ERR_FUTURE,
    ERR_MISSING_AUTH,
    ERR_NOT_FOUND,
    ERR_RATE,
    ERR_TOO_LONG,
    ERR_TYPE,
    REASONS,
    Failure,
    SandboxHTTPError,
    failure_answer,
    gzip_answer,
    json_answer,
    parse_ids,
    parse_when,
    read_body,
    replace_fields,
)
from bot.timeframe import over_twelve_months

logger = logging.getLogger(__name__)

STATUS_PATH = "/api/public/v1/activity/reports/status"
DOWNLOAD_PREFIX = "/downloads/"
MAX_RECORDED = 50_000


@dataclass
class _Job:
    token: str
    query: Query
    created: datetime
    polls: int = 0
    forced: str | None = None


@dataclass
class _RateWindow:
    times: collections.deque = field(default_factory=collections.deque)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class LexerSandbox:
    """WSGI app + introspection for tests; all numbers come from one seeded ActivityData."""

    def __init__(
        self,
        *,
        seed: int = 7,
        clock: Callable[[], datetime] | None = None,
        tokens: Iterable[str] = (SANDBOX_TOKEN,),
        rate_limit: int = 100,
        rate_window_s: float = 300.0,
        export_polls: int = 2,
        export_size_bytes: int | None = None,
        base_url: str = "http://lexer-sandbox",
        rate_clock: Callable[[], float] | None = None,
        gzip: bool = False,
        extra_agents: int = 0,
    ):
        self.seed = seed
        self.gzip = gzip  # answer JSON gzip-compressed when asked, as nginx or a CDN in front of Lexer does
        self.clock = clock or _utc_now
        self._tokens = tuple(tokens)
        self.rate_limit = rate_limit
        self.rate_window_s = rate_window_s
        self.export_polls = export_polls
        self.export_size_bytes = export_size_bytes
        self.base_url = base_url.rstrip("/")
        self._rate_clock = rate_clock or time.monotonic  # real elapsed time even when `clock` is frozen
        self.data = ActivityData(seed, self.clock(), extra_agents)
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._windows: dict[str, _RateWindow] = {}
        self._failures: list[Failure] = []
        self._jobs: dict[str, _Job] = {}
        self._forced_future: str | None = None
        self._delays: dict[str, float] = {}  # token -> seconds each of its answers takes (set_delay)
        self._bad_values: dict[tuple[str | None, str], str] = {}  # (report type or None, field) -> raw JSON

    def __repr__(self) -> str:
        return f"LexerSandbox(seed={self.seed}, base_url={self.base_url!r})"

    # ------------------------------------------------------------ lists and numbers

    @property
    def users(self) -> list[dict]:
        return self.data.users(self.clock())

    @property
    def groups(self) -> list[dict]:
        return [dict(g) for g in GROUPS]

    @property
    def forms(self) -> list[dict]:
        return [dict(f, groups=list(f["groups"])) for f in FORMS]

    def report(self, body: dict) -> Any:
        """Exactly what POST /v1/activity/reports answers for `body`; SandboxHTTPError for an error answer."""
        q = self.parse_query(body)
        if q.type in EXPORT_TYPES:
            return self._start_export(q)
        return compute_report(self.data, q, self.clock())

    def parse_query(self, body: Any) -> Query:
        """Validate a report body in the order Lexer answers: malformed, type, dates, future, too long."""
        if not isinstance(body, dict):
            raise SandboxHTTPError(404, ERR_NOT_FOUND)
        rtype = body.get("type")
        if rtype not in REPORT_TYPES and rtype not in EXPORT_TYPES:
            raise SandboxHTTPError(400, ERR_TYPE)
        start, end = parse_when(body.get("date_from")), parse_when(body.get("date_to"))
        if end < start:
            raise SandboxHTTPError(404, ERR_NOT_FOUND)
        if start > self.clock():
            raise SandboxHTTPError(400, ERR_FUTURE)
        if over_twelve_months(start, end):
            raise SandboxHTTPError(400, ERR_TOO_LONG)
        users, groups = parse_ids(body.get("users")), parse_ids(body.get("groups"))
        agents: frozenset[int] | None = None
        if users is not None or groups is not None:
            agents = frozenset(users or ()) | self.data.agents_in_groups(groups or ())
        category = body.get("nps_category") or "all"
        if category not in NPS_CATEGORIES:
            raise SandboxHTTPError(404, ERR_NOT_FOUND)
        form = None
        if rtype in NPS_TYPES:
            try:
                form = int(str(body.get("form")).strip())
            except ValueError:
                raise SandboxHTTPError(404, ERR_NOT_FOUND) from None
            if form not in {f["id"] for f in FORMS}:
                raise SandboxHTTPError(404, ERR_NOT_FOUND)
        return Query(rtype, start, end, form, category, agents)

    # ------------------------------------------------------------ test controls

    def reset_counters(self) -> None:
        """Forget recorded requests, rate-limit windows and pending injected failures."""
        with self._lock:
            self.requests.clear()
            self._windows.clear()
            self._failures.clear()

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        body: bytes | None = None,
        retry_after: int | None = None,
        path_prefix: str | None = None,
    ) -> None:
        """Answer the next `times` requests (whose path starts with path_prefix) with this status instead."""
        with self._lock:
            self._failures.append(Failure(status, times, body, retry_after, path_prefix))

    def set_delay(self, token: str, seconds: float) -> None:
        """Answer every request made with `token` `seconds` late (a slow Lexer for one workspace; 0: undo)."""
        with self._lock:
            if seconds > 0:
                self._delays[token] = seconds
            else:
                self._delays.pop(token, None)

    def set_bad_value(self, field: str, raw_json: str | None, *, report: str | None = None) -> None:
        """Send `raw_json` as-is (e.g. `1e999`, `NaN`, `"n/a"`) wherever `field` is in a report's answer (of type
        `report`, or every type): valid JSON that is no usable number. None undoes it."""
        with self._lock:
            if raw_json is None:
                self._bad_values.pop((report, field), None)
            else:
                self._bad_values[(report, field)] = raw_json

    def set_export_status(self, token: str | None, status: str | None) -> None:
        """Force what the status endpoint says for a job (None token: every job started from now; None status: undo)."""
        with self._lock:
            if token is None:
                self._forced_future = status
            elif token in self._jobs:
                self._jobs[token].forced = status
            else:
                raise KeyError("no such export job")

    def inject_spike(self, start: datetime, hours: float = 3.0, factor: float = 8.0) -> None:
        """Slow replies to messages received in [start, start+hours) by `factor` (SLA-breach spike)."""
        self.data.inject_spike(start, hours, factor)

    # ------------------------------------------------------------ WSGI

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO") or "/"
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        raw = read_body(environ)
        parsed: Any = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        record = {
            "method": method,
            "path": path,
            "query": {k: v for k, v in query.items() if k != "api_token"},
            "type": parsed.get("type") if isinstance(parsed, dict) else None,
            "body": parsed,
            "at": self.clock(),
            "status": None,
        }
        with self._lock:
            self.requests.append(record)
            if len(self.requests) > MAX_RECORDED:  # a long-running `lexer-bot sandbox` must not grow forever
                del self.requests[: MAX_RECORDED // 2]
        try:
            status, headers, chunks = self._dispatch(method, path, query, raw, parsed, environ)
        except SandboxHTTPError as e:
            status, headers, chunks = json_answer(e.status, {"error": e.pair[0], "message": e.pair[1]}, e.headers)
        except Exception:  # a sandbox bug must still answer like a server would
            logger.exception("sandbox error on %s %s", method, path)
            status, headers, chunks = json_answer(500, {"error": "Internal Server Error"})
        record["status"] = status
        if self.gzip and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            headers, chunks = gzip_answer(headers, chunks)
        start_response(f"{status} {REASONS.get(status, 'Error')}", headers)
        return chunks

    def _dispatch(self, method: str, path: str, query: dict, raw: bytes, parsed: Any, environ):
        failure = self._take_failure(path)
        if failure is not None:
            return failure_answer(failure)
        if path.startswith(DOWNLOAD_PREFIX) and method == "GET":
            return self._download(path[len(DOWNLOAD_PREFIX) :])
        token = environ.get("HTTP_AUTH_API_TOKEN") or (query.get("api_token") if path == STATUS_PATH else None)
        self._authenticate(token)
        self._count(token)  # type: ignore[arg-type]
        delay = self._delays.get(token)  # type: ignore[arg-type]
        if delay:
            time.sleep(delay)
        if method == "GET" and path in ("/v1/users", "/v1/groups", "/v1/forms"):
            return json_answer(200, getattr(self, path.rsplit("/", 1)[1]))
        if method == "POST" and path == "/v1/activity/reports":
            if raw and parsed is None:
                raise SandboxHTTPError(404, ERR_NOT_FOUND)
            return self._report_answer(parsed)
        if method == "GET" and path == STATUS_PATH:
            return json_answer(200, self._poll(query.get("token", "")))
        raise SandboxHTTPError(404, ERR_NOT_FOUND)

    def _report_answer(self, body: Any):
        payload = self.report(body)
        with self._lock:
            bad = {f: raw for (rtype, f), raw in self._bad_values.items() if rtype in (None, body.get("type"))}
        if not bad:
            return json_answer(200, payload)
        markers = {f: f"\u0000bad-{i}\u0000" for i, f in enumerate(bad)}
        text = json.dumps(replace_fields(payload, markers))
        for f, marker in markers.items():
            text = text.replace(json.dumps(marker), bad[f])
        data = text.encode()
        return 200, [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(data)))], [data]

    def _take_failure(self, path: str) -> Failure | None:
        with self._lock:
            for f in self._failures:
                if f.path_prefix is None or path.startswith(f.path_prefix):
                    f.times -= 1
                    if f.times <= 0:
                        self._failures.remove(f)
                    return f
        return None

    def _authenticate(self, token: str | None) -> None:
        if not token:
            raise SandboxHTTPError(401, ERR_MISSING_AUTH)
        ok = False
        for t in self._tokens:  # compare against every token: no early exit to time
            ok |= hmac.compare_digest(token.encode(), t.encode())
        if not ok:
            raise SandboxHTTPError(401, ERR_BAD_TOKEN)

    def counted(self, token: str) -> int:
        """Requests this token made in the current rate window (per-token isolation tests)."""
        with self._lock:
            window = self._windows.get(token)
            return len(window.times) if window is not None else 0

    def _count(self, token: str) -> None:
        """Sliding window per token, counted at arrival; refused requests take no slot."""
        now = self._rate_clock()
        with self._lock:
            q = self._windows.setdefault(token, _RateWindow()).times
            while q and q[0] <= now - self.rate_window_s:
                q.popleft()
            if len(q) >= self.rate_limit:
                wait = max(1, math.ceil(q[0] + self.rate_window_s - now))
                raise SandboxHTTPError(429, ERR_RATE, [("Retry-After", str(wait))])
            q.append(now)

    # ------------------------------------------------------------ exports

    def _start_export(self, q: Query) -> dict:
        token = secrets.token_urlsafe(24)  # doubles as the unguessable download name
        with self._lock:
            self._jobs[token] = _Job(token, q, self.clock(), forced=self._forced_future)
        return {"status": "pending", "url": None, "token": token}

    def _poll(self, token: str) -> dict:
        with self._lock:
            job = self._jobs.get(token)
            if job is None:
                raise SandboxHTTPError(404, ERR_NOT_FOUND)
            job.polls += 1
            status = job.forced or ("pending" if job.polls <= self.export_polls else "complete")
        url = f"{self.base_url}{DOWNLOAD_PREFIX}{token}.csv" if status == "complete" else None
        return {"status": status, "url": url, "token": token}

    def _download(self, name: str):
        token = name[:-4] if name.endswith(".csv") else None
        with self._lock:
            job = self._jobs.get(token) if token else None
        if (
            job is None
            or (job.forced or "complete") != "complete"
            or (not job.forced and job.polls <= self.export_polls)
        ):
            raise SandboxHTTPError(404, ERR_NOT_FOUND)
        chunks, length = stream_csv(self.data, job.query, job.created, self.export_size_bytes)
        headers = [
            ("Content-Type", "text/csv; charset=utf-8"),
            ("Content-Disposition", f'attachment; filename="{job.query.type}.csv"'),
        ]
        if length is not None:
            headers.append(("Content-Length", str(length)))
        return 200, headers, chunks


def create_sandbox_app(**kw) -> LexerSandbox:
    """A LexerSandbox with the given options (see its __init__)."""
    return LexerSandbox(**kw)


__all__ = ["SANDBOX_TOKEN", "LexerSandbox", "SandboxHTTPError", "create_sandbox_app", "STATUS_PATH"]
