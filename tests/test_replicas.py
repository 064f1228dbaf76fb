"""Three `serve --no-scheduler` processes and two `clock` processes on one PostgreSQL database (bench/chaos.py's
fleet, without the kills): each digest posted once, each export delivered once, each alert posted once, every
command answered once, and the Lexer budget held across all five."""

from __future__ import annotations

import pytest

from bench.chaos import run


@pytest.mark.fleet
def test_three_web_replicas_and_two_clocks_on_postgresql_do_everything_once(pg_cluster):
    name = pg_cluster.create_database()
    figures = run(
        minutes=2,
        subs_per_minute=5,
        exports=2,
        commands=60,
        kill_every=None,
        seed=11,
        log=lambda *_: None,
        webs=3,
        clocks=2,
        database=pg_cluster.url(name),
    )
    lines = "\n".join(figures.lines())
    assert figures.backend == "postgresql" and figures.webs == 3 and figures.clocks == 2
    assert len(figures.digest_slots) == 10 and len(figures.exports) == 2 and len(figures.commands) == 60, lines
    assert figures.target_met(), lines
    assert pg_cluster.password not in lines
    pg_cluster.drop_database(name)
