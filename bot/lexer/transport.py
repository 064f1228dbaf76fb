"""Cross-cutting HTTP behaviour for the Activity API as httpx transports: retries, and what the cache keys on.

Stack (outermost first, built in bot.lexer.build): SharedCachingTransport
(bot.lexer.shared_cache) -> RetryTransport (here) -> RateLimitTransport
(bot.lexer.rate_limit, Lexer's rate limit) -> the real transport. Each retry is a
real send, so it takes its own slot in the rate-limit budget.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timezone

import httpx

logger = logging.getLogger(__name__)


def token_key(token: str) -> str:
    """A stable, non-reversible key for a token (the send log never stores the token)."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


# 429 is not retried here: the limiter has closed the window for every process, and the caller's own loop
# (the command queue, the digest's fetch rounds, the export poll) comes back when it opens
RETRY_STATUSES = frozenset({502, 503, 504})


class RetryTransport(httpx.BaseTransport):
    """Retry 502/503/504 and network errors with backoff and jitter (a 429 goes back to the caller)."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.inner = inner
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.sleep = sleep

    def _backoff(self, attempt: int) -> float:
        base = min(self.max_backoff_s, self.backoff_s * (2**attempt))
        return base / 2 + random.uniform(0, base / 2)  # "equal jitter"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self.inner.handle_request(request)
            except httpx.TransportError:
                if attempt >= self.max_retries:
                    raise
                self.sleep(self._backoff(attempt))
                attempt += 1
                continue
            if response.status_code not in RETRY_STATUSES or attempt >= self.max_retries:
                return response
            delay = self._backoff(attempt)
            response.close()
            logger.info("Lexer answered %s; retrying in %.1f s", response.status_code, delay)
            self.sleep(delay)
            attempt += 1

    def close(self) -> None:
        self.inner.close()


# ------------------------------------------------------------------ cache

CACHEABLE_GETS = ("/users", "/groups", "/forms")
UNCACHEABLE_TYPES = frozenset({"case_details", "mention_sla_export", "nps_submissions"})
PAST_TTL_S = 24 * 3600.0  # a range wholly in the past rarely changes (late edits only); kept in the store
LIVE_TTL_S = 60.0  # a short range that includes now changes by the minute
LIVE_TTL_MAX_S = 900.0  # a long one (this week, this month) moves little in a quarter hour
LIST_TTL_S = 600.0


# httpx has already decoded the body it read; these describe the bytes on the wire, not the kept ones
_WIRE_HEADERS = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})


def decoded_headers(response: httpx.Response) -> list[tuple[bytes, bytes]]:
    """The answer's headers minus those of its wire encoding, to rebuild it from the decoded body."""
    return [(k, v) for k, v in response.headers.raw if k.lower() not in _WIRE_HEADERS]


def cache_key(request: httpx.Request) -> str | None:
    """(method, path, canonical body) for cacheable requests; None for the rest."""
    path = request.url.path
    if request.method == "GET" and path.endswith(CACHEABLE_GETS):
        return f"GET {path}"
    if request.method == "POST" and path.endswith("/activity/reports"):
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            return None
        if not isinstance(body, dict) or body.get("type") in UNCACHEABLE_TYPES:
            return None
        return "POST " + path + " " + json.dumps(body, sort_keys=True, separators=(",", ":"))
    return None


def ttl_for(request: httpx.Request, now: float) -> float:
    if request.method == "GET":
        return LIST_TTL_S
    try:
        body = json.loads(request.content)
        date_from = datetime.fromisoformat(body["date_from"])
        date_to = datetime.fromisoformat(body["date_to"])
    except (ValueError, KeyError, TypeError):
        return LIVE_TTL_S
    if date_to.tzinfo is None:
        date_to = date_to.replace(tzinfo=timezone.utc)
    if date_from.tzinfo is None:
        date_from = date_from.replace(tzinfo=timezone.utc)
    if date_to.timestamp() < now:
        return PAST_TTL_S
    # a range that includes now: staleness proportional to its length (2% of the span: 15 min for today)
    span = max(0.0, date_to.timestamp() - date_from.timestamp())
    return min(LIVE_TTL_MAX_S, max(LIVE_TTL_S, span / 50))
