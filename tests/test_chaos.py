"""Two minutes of bench/chaos.py in the suite: processes killed with SIGKILL, nothing lost and nothing twice."""

from __future__ import annotations

from bench.chaos import run


def test_two_minutes_of_kills_lose_nothing_and_post_nothing_twice():
    figures = run(
        minutes=2, subs_per_minute=5, exports=2, commands=60, kill_every=(20.0, 40.0), seed=7, log=lambda *_: None
    )
    lines = "\n".join(figures.lines())
    assert sum(figures.kills.values()) >= 2, lines  # the run did kill processes
    assert len(figures.digest_slots) == 10 and len(figures.commands) == 60, lines
    assert figures.target_met(), lines
