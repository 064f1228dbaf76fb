"""What /lexer keeps of a command: never a text that looks like a token, and an answered command not for long."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.deps import utc_now
from bot.sandbox.server import serve_in_thread
from tests.conftest import ADMIN, Bot, wait_for
from tests.workspaces.test_distribution import _stored_bytes

SLACK_USER_TOKEN = "xoxp-1234567890-0987654321-1122334455-a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
LEXER_TOKEN = "3f2a9c4e-7b1d-4e8a-9c2f-5d6e7f8a9b0c"  # the seed's tokens look like this
LONG_SECRET = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A"  # 32+ base64 characters
SECRETS = {
    SLACK_USER_TOKEN: "slack token",
    LEXER_TOKEN: "lexer token",
    LONG_SECRET: "long secret",
    "my-own-word": "word",
}


def _leaked(haystack: str | bytes) -> list[str]:
    """The names (never the values) of the secrets found in `haystack`."""
    if isinstance(haystack, bytes):
        return [name for secret, name in SECRETS.items() if secret.encode() in haystack]
    return [name for secret, name in SECRETS.items() if secret in haystack]


@pytest.mark.parametrize(
    "text",
    [
        f"connect {SLACK_USER_TOKEN}",
        f"connect {LEXER_TOKEN}",
        "connect my-own-word",  # `connect` takes nothing: whatever follows may be a token of a shape we don't know
        "public connect my-own-word",  # `public` goes anywhere, before the command too (failed before: queued, kept)
        f"CONNECT   {LONG_SECRET} public",
        f"team last-week {SLACK_USER_TOKEN}",
        f"summary {LONG_SECRET}",
        f"users {LEXER_TOKEN}",
    ],
    ids=[
        "connect-slack-token",
        "connect-lexer-token",
        "connect-anything",
        "public-connect-anything",
        "connect-base64",
        "team",
        "summary",
        "users",
    ],
)
def test_a_command_holding_a_token_is_refused_unkept_and_unrepeated(bot, slack, caplog, text):
    caplog.set_level(logging.DEBUG)
    ack = bot.command(text, user_id=ADMIN, wait=False)
    assert "did not keep" in ack.json()["text"]
    assert _leaked(ack.text) == []
    # nothing was queued, so nothing is answered later either
    answered = bot.command("help", user_id=ADMIN)
    assert _leaked(str(answered)) == []
    assert _leaked(str(slack.app.calls) + str(slack.app.responses())) == []
    assert bot.deps.store.db.execute("select count(*) from command_queue").fetchone()[0] == 1  # the help
    assert _leaked(_stored_bytes(bot.deps.store)) == []
    assert _leaked(caplog.text) == []


class Clock:
    """The bot's clock, moved on by the test."""

    def __init__(self):
        self.ahead = timedelta(0)

    def __call__(self):
        return utc_now() + self.ahead


@pytest.fixture
def clocked_bot(settings, slack):
    from bot.cli import build_served

    clock = Clock()
    running, wsgi = build_served(settings, scheduler=False, now=clock)
    handle = serve_in_thread(wsgi)
    bot = Bot(handle.url, running, slack)
    bot.clock = clock
    yield bot
    running.stop()
    bot.http.close()
    handle.stop()


@pytest.mark.both_databases
def test_answered_commands_are_deleted_after_an_hour(clocked_bot):
    # failed before: command_queue.prune was never called, and every /lexer text stayed for good
    store = clocked_bot.deps.store

    def kept() -> list:
        return store.db.execute("select state from command_queue order by id").fetchall()

    assert "summary" in str(clocked_bot.command("help"))
    wait_for(lambda: [tuple(r) for r in kept()] == [("answered",)])
    clocked_bot.clock.ahead = timedelta(minutes=50)  # still within the hour: kept
    assert "summary" in str(clocked_bot.command("help"))
    wait_for(lambda: len(kept()) == 2 and all(r[0] == "answered" for r in kept()))
    clocked_bot.clock.ahead = timedelta(minutes=65)  # the first is past its hour; the second is not
    # the default 30 s: CI's loaded machine (four test processes, four clusters) once took over the 15 s this had
    wait_for(lambda: len(kept()) == 1)
