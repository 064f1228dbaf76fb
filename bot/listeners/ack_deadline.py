"""One thread for every pending /lexer ack's fallback, instead of a threading.Timer (a new thread) per command.

Every deadline is the same delay after it was set, so they fall due in the order they were set: a FIFO line,
watched by one daemon thread that exists only while some deadline is pending.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

logger = logging.getLogger(__name__)

IDLE_EXIT_S = 5.0  # the thread ends after this long with nothing pending (the next deadline starts it again)


class Deadline:
    """One pending call; cancel() before it falls due and it never runs."""

    __slots__ = ("due", "call", "cancelled")

    def __init__(self, due: float, call: Callable[[], object]):
        self.due = due
        self.call = call
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Deadlines:
    """`after(call)` runs `call` `delay` seconds later on the one watching thread, unless cancelled first."""

    def __init__(self, delay: float, *, name: str = "lexer-ack-deadline"):
        self.delay = delay
        self._name = name
        self._line: deque[Deadline] = deque()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def after(self, call: Callable[[], object]) -> Deadline:
        deadline = Deadline(time.monotonic() + self.delay, call)
        with self._changed:
            self._line.append(deadline)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name=self._name, daemon=True)
                self._thread.start()
            elif len(self._line) == 1:
                self._changed.notify()  # the watcher is idle: it has a deadline to wait for now
        return deadline

    def pending(self) -> int:
        with self._changed:
            return sum(not d.cancelled for d in self._line)

    def _watch(self) -> None:
        while True:
            with self._changed:
                due = self._next_due()
                if due is None:
                    self._thread = None  # under the lock: the next after() starts a new watcher
                    return
            try:
                due.call()
            except Exception:
                logger.exception("an ack's fallback failed")

    def _next_due(self) -> Deadline | None:
        """Wait (holding the condition) for the first uncancelled deadline to fall due; None when idle too long."""
        while True:
            while self._line and self._line[0].cancelled:
                self._line.popleft()
            if not self._line:
                if not self._changed.wait_for(lambda: self._line, IDLE_EXIT_S):
                    return None
                continue
            wait = self._line[0].due - time.monotonic()
            if wait <= 0:
                return self._line.popleft()
            self._changed.wait(wait)
