"""Lexer's rate limit: 100 requests per 5 minutes per API token, kept for every process on one database.

StoreRateLimiter counts the sends of every process in the store (store.rate_log) and
decides, class by class, whether one more may go now; how the window is shared
between digests, alerts, export polls and commands is decided in bot.lexer.budget
(pure). RateLimitTransport takes a slot for every request actually sent: it sits
innermost in the stack (bot.lexer.transport), so each retry spends its own slot.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bot.errors import BusyError
from bot.lexer.budget import Reservations, room_for
from bot.lexer.transport import UNCACHEABLE_TYPES, parse_retry_after, token_key

logger = logging.getLogger(__name__)

RATE_LIMIT = 100  # requests per window per token (seed: "100 requests per 5 minutes per API Token")
RATE_WINDOW_S = 300.0
# A request whose answer never got recorded (crashed process) stops counting as
# in flight after this long; our own request timeout is well below it.
STALE_IN_FLIGHT_S = 120.0
# a 429 without Retry-After: Lexer's window is 5 minutes and we cannot see where in it we are
CONSERVATIVE_PAUSE_S = 60.0
# how long each class may hold its thread waiting for a slot before it is told "busy" (and re-queued,
# re-polled, or retried by its own loop): commands go back to the queue, export polls poll later
CLASS_WAIT_S = {"digest": 90.0, "alert": 10.0, "export": 0.0}
RESERVATIONS_TTL_S = 5.0


def budget_class_of(request: httpx.Request) -> str:
    """The class a request spends: the caller's (ActivityClient.for_class), export steps by their shape."""
    named = str(request.extensions.get("budget_class") or "command")
    if request.method == "GET" and request.url.path.endswith("/status"):
        return "export"
    if request.method == "POST" and request.url.path.endswith("/activity/reports"):
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("type") in UNCACHEABLE_TYPES:
            return "export"
    return named


@dataclass(frozen=True)
class BudgetSnapshot:
    """The budget as `status` and /healthz show it."""

    limit: int
    window_s: float
    used: dict[str, int]
    in_window: int
    held: dict[str, int]
    command_room: int
    paused_for_s: float
    slot_ends: list[float]

    def figures(self) -> dict:
        """The window's figures as /healthz and `lexer-bot status` print them."""
        return {
            "limit": self.limit,
            "window_s": int(self.window_s),
            "used": self.in_window,
            "used_by_class": {cls: self.used.get(cls, 0) for cls in ("digest", "alert", "export", "command")},
            "reserved": {cls: n for cls, n in self.held.items() if n},
            "room_for_commands": self.command_room,
            "paused_for_s": round(self.paused_for_s, 1),
        }


class StoreRateLimiter:
    """A sliding-window budget shared by every process on one database (SQLite or PostgreSQL), split by class of work.

    A send counts from the moment it is made until `window` seconds after its
    answer came back: Lexer counts a request when it arrives, so counting from
    the answer (and counting requests still in flight) never under-counts. A 429
    closes the window for every process (store.rate_log.pause) until its
    Retry-After, or CONSERVATIVE_PAUSE_S when Lexer does not say.
    """

    def __init__(
        self,
        store,
        token: str,
        *,
        limit: int = RATE_LIMIT,
        window_s: float = RATE_WINDOW_S,
        max_wait_s: float = 20.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        poll_s: float = 0.25,
        reservations: Callable[[float], Reservations] | None = None,
        waiting: Callable[[], int] | None = None,
    ):
        self.store = store
        self.key = token_key(token)
        self.limit = limit
        self.window_s = window_s
        self.max_wait_s = max_wait_s
        self.clock = clock
        self.sleep = sleep
        self.poll_s = poll_s
        self.reservations_fn = reservations  # digest and alert holds, computed by the composition root
        self.waiting_fn = waiting  # commands queued in the store
        self._reserved: tuple[float, Reservations] = (-1e18, Reservations())
        self._lock = threading.Lock()  # one thread of this process at a time in the critical section

    def _reservations(self, now: float) -> Reservations:
        at, held = self._reserved
        if self.reservations_fn is None:
            return held
        if now - at > RESERVATIONS_TTL_S or now < at:
            try:
                held = self.reservations_fn(now)
            except Exception:  # a reservation we cannot compute must not stop every request
                logger.warning("could not compute budget reservations", exc_info=True)
            self._reserved = (now, held)
        return held

    def _counted(self, now: float) -> tuple[float, list[float], dict[str, int]]:
        """Until when the window is closed (0: open), when each counted send frees its slot, and the counted
        sends per class: one read of the store."""
        ends: list[float] = []
        used: dict[str, int] = {}
        paused_until, sends = self.store.rate_log.window(self.key, now - self.window_s)
        for sent_at, done_at, cls in sends:
            if done_at is None:  # in flight: counts until window after its answer, at least
                done_at = now if sent_at + STALE_IN_FLIGHT_S > now else sent_at + STALE_IN_FLIGHT_S
            end = done_at + self.window_s
            if end > now:
                ends.append(end)
                used[cls] = used.get(cls, 0) + 1
        return paused_until, ends, used

    def _waiting(self) -> int:
        try:
            return self.waiting_fn() if self.waiting_fn is not None else 0
        except Exception:
            return 0

    def _try_acquire(self, budget_class: str = "command") -> tuple[int | None, float]:
        """Insert a send if there is room; else return how long until a slot may free."""
        log = self.store.rate_log
        now = self.clock()
        held = self._reservations(now)
        waiting = self._waiting() if budget_class == "export" else 0
        with self._lock, log.write_lock(self.key):
            paused_until, ends, used = self._counted(now)
            paused = paused_until - now
            if paused > 0:
                return None, paused
            room = room_for(budget_class, len(ends), self.limit, held, used, waiting)
            if room > 0:
                row_id = log.record_send(self.key, now, budget_class)
                if random.random() < 0.02:  # prune old rows now and then
                    log.prune(now - 2 * self.window_s)
                return row_id, 0.0
        short = len(ends) + 1 - self.limit + held.held_by_others(budget_class)
        if short <= 0:
            # the window has room: this class only yields for now (export polls behind queued commands), so look
            # again soon; the oldest send's slot (minutes away) is no measure of when that ends
            return None, self.poll_s
        ends.sort()
        # the oldest counted send frees its slot first; in-flight ones free later
        wait = (ends[min(len(ends), max(1, short)) - 1] - now) if ends else self.poll_s
        return None, max(wait, self.poll_s)

    def acquire(self, budget_class: str = "command") -> int:
        """Wait for a slot (up to the class's wait) and record the send; BusyError past that."""
        max_wait = CLASS_WAIT_S.get(budget_class, self.max_wait_s)
        waited = 0.0
        while True:
            row_id, wait = self._try_acquire(budget_class)
            if row_id is not None:
                return row_id
            if waited + wait > max_wait:
                raise BusyError(
                    f"Lexer is busy, try again in {max(1, int(wait + 0.999))} s.",
                    retry_after=wait,
                    hint="Lexer allows 100 requests every 5 minutes; this bot has used them all for now.",
                )
            step = min(wait, self.poll_s * 4) if wait > self.poll_s else wait
            self.sleep(step)
            waited += step

    def release(self, row_id: int) -> None:
        """Mark a send answered; the window for it runs from now."""
        with self._lock:
            self.store.rate_log.mark_done(row_id, self.clock())

    def learn_rate_limited(self, retry_after: float | None) -> float:
        """Lexer said 429: close the window for every process; returns the pause in seconds."""
        pause = retry_after if retry_after is not None else CONSERVATIVE_PAUSE_S
        now = self.clock()
        with self._lock, self.store.rate_log.write_lock(self.key):
            self.store.rate_log.pause(self.key, now + pause, "429" if retry_after is None else "429 Retry-After")
        logger.warning("Lexer answered 429; no requests for %.0f s (every process)", pause)
        return pause

    def snapshot(self) -> BudgetSnapshot:
        """The current window, by class, and the room left for commands."""
        now = self.clock()
        held = self._reservations(now)
        paused_until, ends, used = self._counted(now)
        paused = max(0.0, paused_until - now)
        room = 0 if paused else room_for("command", len(ends), self.limit, held, used)
        return BudgetSnapshot(self.limit, self.window_s, used, len(ends), dict(held.held), room, paused, ends)

    def sends_between(self, start: float, end: float) -> int:
        return self.store.rate_log.sends_between(self.key, start, end)


class RateLimitTransport(httpx.BaseTransport):
    """Take a slot from the limiter for every request actually sent; a 429 pauses every process."""

    def __init__(self, inner: httpx.BaseTransport, limiter: StoreRateLimiter):
        self.inner = inner
        self.limiter = limiter

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        row_id = self.limiter.acquire(budget_class_of(request))
        try:
            response = self.inner.handle_request(request)
            response.read()  # API answers are small; the window runs from the end of the answer
        finally:
            self.limiter.release(row_id)
        if response.status_code == 429:
            self.limiter.learn_rate_limited(parse_retry_after(response.headers.get("Retry-After")))
        return response

    def close(self) -> None:
        self.inner.close()
