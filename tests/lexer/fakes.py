"""A fake clock for the transport tests: time moves only when a test (or a limiter's sleep) moves it."""

from __future__ import annotations

import threading


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
