"""The shared cache's flights (bot.lexer.shared_cache) against the served sandbox, on both backends."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.errors import BusyError, LexerUnavailableError
from bot.lexer.build import build_activity_client
from bot.store import open_store
from bot.timeframe import parse_range
from tests.conftest import Served, make_settings


def _day(text: str):
    return parse_range(text, timezone.utc, datetime.now(timezone.utc))


@pytest.mark.both_databases
def test_a_leader_refused_by_the_budget_shares_a_wait_not_an_outage(sandbox, tmp_path, database):
    """Failed before: the refused leader's flight was recorded as unreachable, so whoever asked the same question
    in the next 5 s (here: another process on the database) was told "Could not reach Lexer." while Lexer was up."""
    settings = make_settings(sandbox, Served(None, "http://127.0.0.1:9"), tmp_path, db_path=database)
    leader_store, follower_store = open_store(database), open_store(database)
    try:
        leader = build_activity_client(settings, leader_store, rate_limit=2, max_wait_s=0)
        follower = build_activity_client(settings, follower_store, rate_limit=2, max_wait_s=0)
        leader.summary(_day("2026-10-01"))
        leader.summary(_day("2026-10-02"))  # the window is spent
        sandbox.app.reset_counters()
        with pytest.raises(BusyError):
            leader.summary(_day("2026-10-03"))
        try:
            follower.summary(_day("2026-10-03"))  # the same question, a moment later
        except LexerUnavailableError as exc:
            pytest.fail(f"a spent budget was reported as an outage: {exc}")
        except BusyError as exc:
            assert exc.retry_after and exc.retry_after > 200  # when the window opens: a wait, and how long
        else:
            pytest.fail("the follower was answered though the window is spent")
        assert sandbox.app.requests == []  # nothing was sent past the budget
    finally:
        leader_store.close()
        follower_store.close()
