"""bot.listeners.ack_deadline: every pending ack's fallback on one thread, which ends when nothing is pending."""

from __future__ import annotations

import threading
import time

from bot.listeners import ack_deadline
from bot.listeners.ack_deadline import Deadlines
from tests.conftest import wait_for


def _watchers(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def test_deadlines_fall_due_in_order_on_one_thread_and_cancelled_ones_never_run(monkeypatch):
    monkeypatch.setattr(ack_deadline, "IDLE_EXIT_S", 0.3)
    deadlines = Deadlines(0.3, name="test-deadline-order")
    ran: list[tuple[int, str, float]] = []
    started = time.monotonic()
    pending = [
        deadlines.after(lambda n=n: ran.append((n, threading.current_thread().name, time.monotonic() - started)))
        for n in range(50)
    ]
    for d in pending[1::2]:
        d.cancel()
    assert len(_watchers("test-deadline-order")) == 1  # 50 pending: one thread, not one each
    assert deadlines.pending() == 25
    wait_for(lambda: len(ran) == 25 or None, timeout=5)
    time.sleep(0.4)
    assert [n for n, _, _ in ran] == list(range(0, 50, 2))  # in order, and none of the cancelled
    assert {name for _, name, _ in ran} == {"test-deadline-order"}
    assert all(at >= 0.3 for _, _, at in ran)  # none before its delay
    assert deadlines.pending() == 0


def test_the_watcher_ends_when_idle_and_the_next_deadline_starts_it_again(monkeypatch):
    monkeypatch.setattr(ack_deadline, "IDLE_EXIT_S", 0.2)
    deadlines = Deadlines(0.05, name="test-deadline-idle")
    ran = []
    deadlines.after(lambda: ran.append(1))
    wait_for(lambda: ran or None, timeout=5)
    wait_for(lambda: not _watchers("test-deadline-idle") or None, timeout=5)  # nothing pending: no thread left
    deadlines.after(lambda: ran.append(2))
    wait_for(lambda: len(ran) == 2 or None, timeout=5)


def test_a_fallback_that_raises_does_not_stop_the_ones_after_it(monkeypatch, caplog):
    monkeypatch.setattr(ack_deadline, "IDLE_EXIT_S", 0.2)
    deadlines = Deadlines(0.05, name="test-deadline-raise")
    ran = []

    def broken():
        raise RuntimeError("ack failed")

    deadlines.after(broken)
    deadlines.after(lambda: ran.append("next"))
    wait_for(lambda: ran or None, timeout=5)
    assert "an ack's fallback failed" in caplog.text


def test_a_deadline_set_while_the_watcher_idles_waits_its_own_delay(monkeypatch):
    monkeypatch.setattr(ack_deadline, "IDLE_EXIT_S", 2.0)
    deadlines = Deadlines(0.3, name="test-deadline-wake")
    first = []
    deadlines.after(lambda: first.append(time.monotonic()))
    wait_for(lambda: first or None, timeout=5)
    set_at = time.monotonic()
    later = []
    deadlines.after(lambda: later.append(time.monotonic()))  # the watcher is idle (waiting up to 2 s)
    wait_for(lambda: later or None, timeout=5)
    assert 0.3 <= later[0] - set_at < 1.5  # woken for it, not left until the idle wait ends
