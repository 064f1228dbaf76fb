"""What a workspace leaves behind: nothing of its Lexer answers after an uninstall, and no pile of OAuth states."""

from __future__ import annotations

import time

import pytest

from bot.lexer.transport import token_key
from tests.conftest import ADMIN, wait_for
from tests.workspaces.conftest import ADMIN_B, LEXER_TOKEN_A, LEXER_TOKEN_B, TEAM_A, TEAM_B
from tests.workspaces.test_distribution import _stored_bytes, _text

WINDOW = 48  # bytes of a cached answer looked for in the database file


def _install_both(bot):
    for team, admin, token in ((TEAM_A, ADMIN, LEXER_TOKEN_A), (TEAM_B, ADMIN_B, LEXER_TOKEN_B)):
        bot.install(team, admin)
        bot.deps.store.lexer_connections.save(team, token, connected_by=admin, agents=1, groups=1)


def _rows(store, sql: str, key: str) -> list:
    return list(store.db.execute(sql, [key]).fetchall())


def _by_token(store, key: str) -> dict[str, int]:
    return {
        table: store.db.execute(f"select count(*) from {table} where token_key = ?", [key]).fetchone()[0]
        for table in ("lexer_cache", "rate_log", "lexer_flights", "lexer_pauses")
    }


@pytest.mark.both_databases
def test_an_uninstall_leaves_none_of_the_workspaces_lexer_answers(dist_bot, lexer):
    store = dist_bot.deps.store
    _install_both(dist_bot)
    team_a = dist_bot.team_command(TEAM_A, "team last-week", ADMIN)
    assert "went wrong" not in _text(team_a) and "not connected" not in _text(team_a)
    assert "went wrong" not in _text(dist_bot.team_command(TEAM_B, "summary last-week", ADMIN_B))
    key_a, key_b = token_key(LEXER_TOKEN_A), token_key(LEXER_TOKEN_B)
    store.rate_log.pause(key_a, time.time() + 1, "test")  # a closed window is the workspace's too
    a_answers = [bytes(r[0]) for r in _rows(store, "select content from lexer_cache where token_key = ?", key_a)]
    b_answers = b"\n".join(
        bytes(r[0]) for r in _rows(store, "select content from lexer_cache where token_key = ?", key_b)
    )
    a_cache_keys = [r[0] for r in _rows(store, "select key from lexer_cache where token_key = ?", key_a)]
    assert a_answers and b_answers
    assert _rows(store, "select count(*) from rate_log where token_key = ?", key_a)[0][0] > 0
    # a failed request's answer is kept for its followers a few seconds: A's too
    store.lexer_cache.lead_or_follow("failed-flight-a", "me", 0.0, -1.0, -1.0, token_key=key_a)

    raw = _stored_bytes(store)
    distinctive = [
        w
        for answer in a_answers
        for w in (answer[i : i + WINDOW] for i in range(0, len(answer) - WINDOW, WINDOW))
        if w not in b_answers and (store.dialect == "postgresql" or w in raw)
    ]
    assert distinctive, "A's answers hold nothing of their own"

    assert dist_bot.team_event(TEAM_A, {"type": "app_uninstalled"}).status_code == 200
    wait_for(lambda: store.audit_log.entries("workspace_removed"))

    assert _by_token(store, key_a) == {"lexer_cache": 0, "rate_log": 0, "lexer_flights": 0, "lexer_pauses": 0}
    for cache_key in a_cache_keys:
        assert not _rows(store, "select 1 from lexer_flights where key = ?", cache_key)
    left_b = _by_token(store, key_b)
    assert left_b["lexer_cache"] > 0 and left_b["rate_log"] > 0  # the other workspace keeps its own
    if store.dialect == "sqlite":  # the file itself (and its WAL): deleted rows leave no trace in free pages
        raw = _stored_bytes(store)
        assert [w for w in distinctive if w in raw] == []


@pytest.mark.both_databases
def test_install_pages_leave_only_unexpired_oauth_states(dist_bot):
    store = dist_bot.deps.store
    long_ago = time.time() - 3600
    for n in range(200):  # states of install pages nobody finished, expired an hour ago
        store.db["oauth_states"].insert({"state": f"expired-{n}", "expires_at": long_ago})
    store.db["oauth_states"].insert({"state": "still-good", "expires_at": time.time() + 300})
    for _ in range(20):
        assert dist_bot.http.get(f"{dist_bot.url}/slack/install").status_code == 200
    states = [r[0] for r in store.db.execute("select state from oauth_states").fetchall()]
    expired = sum(s.startswith("expired-") for s in states)
    assert (expired, len(states), "still-good" in states) == (0, 21, True)


def test_a_disconnected_workspace_leaves_none_of_its_lexer_answers_after_an_uninstall(dist_bot, lexer):
    """Failed before: `/lexer disconnect` deleted the connection the uninstall reads its token's key from, so
    the answers cached under that token (a past week's: 24 h) stayed in the database after the uninstall."""
    store = dist_bot.deps.store
    _install_both(dist_bot)
    assert "went wrong" not in _text(dist_bot.team_command(TEAM_A, "team last-week", ADMIN))
    key_a = token_key(LEXER_TOKEN_A)
    assert _by_token(store, key_a)["lexer_cache"] > 0
    assert "went wrong" not in _text(dist_bot.team_command(TEAM_A, "disconnect", ADMIN))
    assert dist_bot.team_event(TEAM_A, {"type": "app_uninstalled"}).status_code == 200
    wait_for(lambda: store.audit_log.entries("workspace_removed"))
    assert _by_token(store, key_a)["lexer_cache"] == 0
    assert _by_token(store, key_a)["lexer_flights"] == 0
