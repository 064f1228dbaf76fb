"""A workspace's tokens are read once and kept, and every change to them (in this process or another) counts at once."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.crypto import SecretBox
from bot.sandbox.server import serve_in_thread
from bot.store import open_store
from tests.conftest import ADMIN, wait_for
from tests.workspaces.conftest import ADMIN_B, LEXER_TOKEN_A, LEXER_TOKEN_B, SECRET_KEY, TEAM_A, TEAM_B, DistBot

NOT_INSTALLED = "Please reinstall this app"  # Bolt's answer when authorize finds no installation


class CountingBox(SecretBox):
    """A real SecretBox that also counts how often a stored secret is decrypted."""

    def __init__(self, keys: tuple[str, ...]):
        super().__init__(keys)
        self.decrypted = 0

    def decrypt(self, sealed: str) -> str:
        self.decrypted += 1
        return super().decrypt(sealed)


@pytest.fixture
def box():
    return CountingBox((SECRET_KEY,))


@pytest.fixture
def counted_bot(dist_settings, dist_slack, box):
    from bot.cli import build_served

    store = open_store(dist_settings.db_path, box)
    running, wsgi = build_served(dist_settings, scheduler=False, store=store)
    handle = serve_in_thread(wsgi)
    bot = DistBot(handle.url, running, dist_slack)
    yield bot
    running.stop()
    bot.http.close()
    handle.stop()


@pytest.fixture
def other_process(dist_settings):
    """Another process on the same database (a command worker, the clock, `lexer-bot rotate-key`)."""
    from bot.cli import build_deps

    deps = build_deps(dist_settings, with_slack=False)
    yield deps
    deps.tenancy.close()
    deps.store.close()


def _text(reply: dict) -> str:
    return reply.get("text", "") + " ".join(str(b) for b in reply.get("blocks", []))


def _install_both(bot):
    for team, admin, token in ((TEAM_A, ADMIN, LEXER_TOKEN_A), (TEAM_B, ADMIN_B, LEXER_TOKEN_B)):
        bot.install(team, admin)
        bot.deps.store.lexer_connections.save(team, token, connected_by=admin, agents=1, groups=1)


def _answered(reply: dict) -> bool:
    text = _text(reply)
    return not any(s in text for s in ("not connected", "went wrong", NOT_INSTALLED))


def test_an_unchanged_workspace_is_served_without_decrypting_its_tokens_again(counted_bot, lexer, box):
    # failed before: every request read the installation and the Lexer connection and decrypted them (Bolt's
    # authorize, the queue's estimate, the answer: 6 decrypts per /lexer)
    _install_both(counted_bot)
    assert _answered(counted_bot.team_command(TEAM_A, "team last-week", ADMIN))
    assert _answered(counted_bot.team_command(TEAM_B, "team last-week", ADMIN_B))
    before = box.decrypted
    for _ in range(3):
        assert _answered(counted_bot.team_command(TEAM_A, "team last-week", ADMIN))
        assert _answered(counted_bot.team_command(TEAM_B, "team last-week", ADMIN_B))
    assert box.decrypted == before


@pytest.mark.parametrize(
    "event", [{"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}}]
)
def test_an_uninstall_refuses_the_next_request_at_once(dist_bot, lexer, event):
    _install_both(dist_bot)
    assert _answered(dist_bot.team_command(TEAM_A, "team last-week", ADMIN))  # A's tokens are now kept
    assert dist_bot.team_event(TEAM_A, event).status_code == 200
    wait_for(lambda: dist_bot.deps.store.audit_log.entries("workspace_removed"))
    a_before = lexer.app.counted(LEXER_TOKEN_A)
    refused = dist_bot.team_command(TEAM_A, "team last-week", ADMIN)
    assert NOT_INSTALLED in _text(refused)
    assert lexer.app.counted(LEXER_TOKEN_A) == a_before
    assert dist_bot.deps.tenancy.deps_for(TEAM_A) is None and not dist_bot.deps.tenancy.connected(TEAM_A)
    assert _answered(dist_bot.team_command(TEAM_B, "team last-week", ADMIN_B))


def test_a_disconnect_in_this_process_counts_at_once(dist_bot, lexer):
    _install_both(dist_bot)
    assert _answered(dist_bot.team_command(TEAM_A, "team last-week", ADMIN))
    assert "disconnected" in _text(dist_bot.team_command(TEAM_A, "disconnect", ADMIN))
    a_before = lexer.app.counted(LEXER_TOKEN_A)
    assert "not connected to Lexer" in _text(dist_bot.team_command(TEAM_A, "team last-week", ADMIN))
    assert lexer.app.counted(LEXER_TOKEN_A) == a_before


@pytest.mark.both_databases
def test_changes_made_by_another_process_count_at_once(dist_bot, lexer, other_process):
    from bot.features.workspaces import remove_workspace

    _install_both(dist_bot)
    assert _answered(dist_bot.team_command(TEAM_A, "team last-week", ADMIN))
    assert dist_bot.deps.tenancy.connected(TEAM_A)

    # another process disconnects A: this one says so on the next request, without a Lexer call
    other_process.store.lexer_connections.delete(TEAM_A)
    a_before = lexer.app.counted(LEXER_TOKEN_A)
    assert "not connected to Lexer" in _text(dist_bot.team_command(TEAM_A, "team last-week", ADMIN))
    assert lexer.app.counted(LEXER_TOKEN_A) == a_before

    # it connects A again, with another Lexer token: the next answer is read with that token
    other_process.store.lexer_connections.save(TEAM_A, LEXER_TOKEN_B, connected_by=ADMIN, agents=1, groups=1)
    b_before = lexer.app.counted(LEXER_TOKEN_B)
    assert _answered(dist_bot.team_command(TEAM_A, "team this-week", ADMIN))
    assert lexer.app.counted(LEXER_TOKEN_B) > b_before and lexer.app.counted(LEXER_TOKEN_A) == a_before

    # it removes A (an uninstall it received): this process refuses A's next request
    remove_workspace(other_process, TEAM_A, "app_uninstalled")
    assert NOT_INSTALLED in _text(dist_bot.team_command(TEAM_A, "team last-week", ADMIN))
    assert _answered(dist_bot.team_command(TEAM_B, "team last-week", ADMIN_B))


@pytest.mark.both_databases
def test_a_key_rotation_by_another_process_keeps_every_workspace_working(dist_settings, dist_slack, lexer):
    from dataclasses import replace

    from bot.cli import build_deps, build_served
    from bot.store.installations import rotate_secrets

    new_key = Fernet.generate_key().decode()
    settings = replace(dist_settings, secret_keys=(SECRET_KEY, new_key))  # deployed before the rotation
    running, wsgi = build_served(settings, scheduler=False)
    handle = serve_in_thread(wsgi)
    bot = DistBot(handle.url, running, dist_slack)
    try:
        _install_both(bot)
        assert _answered(bot.team_command(TEAM_A, "team last-week", ADMIN))
        sealed = bot.deps.store.db.execute("select token_enc from lexer_connections where workspace = ?", [TEAM_A])
        before = sealed.fetchone()[0]

        rotator = build_deps(replace(dist_settings, secret_keys=(new_key, SECRET_KEY)), with_slack=False)
        try:
            assert rotate_secrets(rotator.store) > 0
        finally:
            rotator.tenancy.close()
            rotator.store.close()
        after = bot.deps.store.db.execute("select token_enc from lexer_connections where workspace = ?", [TEAM_A])
        assert after.fetchone()[0] != before
        a_before = lexer.app.counted(LEXER_TOKEN_A)
        assert _answered(bot.team_command(TEAM_A, "team this-week", ADMIN))
        assert lexer.app.counted(LEXER_TOKEN_A) > a_before
        assert _answered(bot.team_command(TEAM_B, "team last-week", ADMIN_B))
    finally:
        running.stop()
        bot.http.close()
        handle.stop()
