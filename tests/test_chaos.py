"""Two minutes of bench/chaos.py in the suite: processes killed with SIGKILL, nothing lost and nothing twice."""

from __future__ import annotations

import pytest

from bench.chaos import run


@pytest.mark.fleet
def test_two_minutes_of_kills_lose_nothing_and_post_nothing_twice():
    figures = run(
        minutes=2, subs_per_minute=5, exports=2, commands=60, kill_every=(20.0, 40.0), seed=7, log=lambda *_: None
    )
    lines = "\n".join(figures.lines())
    assert sum(figures.kills.values()) >= 2, lines  # the run did kill processes
    assert len(figures.digest_slots) == 10 and len(figures.commands) == 60, lines
    assert figures.target_met(), lines


def test_a_missed_run_prints_the_processes_last_warnings(tmp_path):
    from collections import Counter

    from bench.chaos import Figures, warnings_in

    log = tmp_path / "processes.log"
    log.write_text(
        "2026-12-02 10:00:00,000 INFO digests.jobs: posted\n"
        "2026-12-02 10:00:01,000 WARNING digests.alerts.check: alerts: no data for the 60-minute window\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "RuntimeError: boom\n"
    )
    tail = warnings_in(log)
    assert [line.strip()[:20] for line in tail] == [
        "2026-12-02 10:00:01,",
        "Traceback (most rece",
        'File "x.py", line 1,',
        "RuntimeError: boom",
    ]
    missed = Figures(digest_slots=Counter({1: 0}), log_tail=tail)
    met = Figures(digest_slots=Counter({1: 1}), log_tail=tail)
    assert "TARGET MISSED" in missed.lines() and any("no data" in line for line in missed.lines())
    assert not any("no data" in line for line in met.lines())
    assert warnings_in(tmp_path / "absent.log") == []


def test_an_alert_is_owed_once_a_check_pass_came_a_minute_before_the_end():
    from datetime import datetime, timedelta, timezone

    from bench.chaos import check_passes_between

    start = datetime(2026, 1, 1, 0, 0, 30, tzinfo=timezone.utc)  # passes on each minute: 00:01, 00:02, ...
    assert check_passes_between(start, start + timedelta(seconds=89)) == 0  # 00:01 came 59 s before the end
    assert check_passes_between(start, start + timedelta(seconds=90)) == 1
    assert check_passes_between(start, start + timedelta(seconds=150)) == 2
    assert check_passes_between(start, start + timedelta(seconds=30), margin_s=0) == 1
    assert check_passes_between(start, start) == 0
