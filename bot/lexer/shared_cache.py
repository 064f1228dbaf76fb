"""One cache and one flight per query for every process on the database (httpx transport).

An answer fetched by the clock for the 09:00 digest serves `/lexer summary
yesterday` in the web process at 09:01: answers live in the store
(store.lexer_cache), keyed by the token's hash and the canonical query. Identical
queries from any process send one request: the first becomes the flight's leader
(store.lexer_flights), the rest follow and read its answer. A failed leader
leaves its answer for its followers, who return it rather than each retrying; a leader the budget refused
leaves nothing to share (a wait is each asker's own: its class's room and patience), and its followers ask again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable

import httpx

from bot.errors import RateLimitedError
from bot.lexer.transport import cache_key, decoded_headers, token_key, ttl_for
from bot.store.lexer_cache import StoredAnswer

logger = logging.getLogger(__name__)

FLIGHT_STALE_S = 90.0  # a leader silent this long died with its process; our request timeout is 30 s (+ retries)
FOLLOW_POLL_S = 0.05
FAILED_SHARED_S = 5.0  # a failed leader's answer serves its followers and whoever asks within this long after


class SharedCachingTransport(httpx.BaseTransport):
    """Cache and coalesce cacheable Activity API requests through the store; the rest pass through."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        store,
        token: str,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.inner = inner
        self.store = store
        self.token_key = token_key(token)
        self.clock = clock
        self.sleep = sleep
        self.me_prefix = f"{socket.gethostname()}:{os.getpid()}"
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    def _key(self, request: httpx.Request) -> str | None:
        key = cache_key(request)
        if key is None:
            return None
        return hashlib.sha256(f"{self.token_key} {key}".encode()).hexdigest()

    def _count(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    @staticmethod
    def _response(answer: StoredAnswer, request: httpx.Request) -> httpx.Response:
        return httpx.Response(answer.status, headers=answer.headers, content=answer.content, request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = self._key(request)
        if key is None:
            return self.inner.handle_request(request)
        cache = self.store.lexer_cache
        me = f"{self.me_prefix}:{threading.get_ident()}"
        while True:
            now = self.clock()
            answer = cache.get(key, now)
            if answer is not None:
                self._count(True)
                return self._response(answer, request)
            role, started = cache.lead_or_follow(
                key, me, now, now - FLIGHT_STALE_S, now - FAILED_SHARED_S, token_key=self.token_key
            )
            if role == "lead":
                self._count(False)
                return self._lead(request, key, me)
            outcome = self._follow(key, started)
            if isinstance(outcome, StoredAnswer):
                self._count(True)
                return self._response(outcome, request)
            if outcome == "unreachable":
                raise httpx.ConnectError("Lexer could not be reached (the request this one joined failed)")
            # the leader's answer is gone or it vanished: look again (cache, or lead ourselves)

    def _lead(self, request: httpx.Request, key: str, me: str) -> httpx.Response:
        cache = self.store.lexer_cache
        try:
            response = self.inner.handle_request(request)
            content = response.read()
        except RateLimitedError:
            # our budget refused the send: nothing is wrong with Lexer. Followers look again and ask the budget
            # for themselves (their class may have room, or wait its own time); none is told Lexer is down
            cache.land(key, me, "lost", None, self.clock())
            raise
        except BaseException:
            cache.land(key, me, "unreachable", None, self.clock())
            raise
        answer = StoredAnswer(
            response.status_code, [(k.decode(), v.decode()) for k, v in decoded_headers(response)], content
        )
        now = self.clock()
        if response.status_code == 200:
            cache.put(key, self.token_key, answer, now, now + ttl_for(request, now))
            cache.land(key, me, "done", None, now)
            if random.random() < 0.02:
                cache.prune(now)
        elif response.status_code == 429:
            # the limiter has closed the window for everyone: followers wait for it to open, not share a 429
            cache.land(key, me, "lost", None, now)
        else:
            cache.land(key, me, "failed", answer, now)
        return self._response(answer, request)

    def _follow(self, key: str, started: float) -> StoredAnswer | str:
        """Wait for the flight we joined; its answer, "unreachable", or "again" (look again)."""
        cache = self.store.lexer_cache
        while True:
            time.sleep(FOLLOW_POLL_S)  # a real pause even under a test clock: this only waits for another thread
            flight = cache.flight(key)
            now = self.clock()
            if flight is None or flight[1] != started:
                return "again"  # the flight was replaced (taken over): look again
            state, _, answer = flight
            if state == "running":
                if now - started > FLIGHT_STALE_S:
                    return "again"
                continue
            if state == "done":
                return cache.get(key, now) or "again"
            if state == "failed" and answer is not None:
                return answer
            if state == "lost":
                return "again"
            return "unreachable"

    def clear(self) -> None:
        self.store.lexer_cache.clear()

    def close(self) -> None:
        self.inner.close()
