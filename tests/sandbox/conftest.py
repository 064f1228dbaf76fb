"""Fixtures: a Lexer sandbox served on loopback with a frozen clock, and an httpx client for it."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from bot.config import SANDBOX_TOKEN
from bot.sandbox.lexer_app import LexerSandbox
from bot.sandbox.server import serve_in_thread

# a Wednesday: 14:00 in Sydney, 22:00 the day before in New York
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)


def frozen() -> datetime:
    return NOW


@pytest.fixture(scope="module")
def served():
    """(sandbox, url) with a limit high enough that a whole test module never hits it."""
    app = LexerSandbox(clock=frozen, rate_limit=1_000_000)
    with serve_in_thread(app) as handle:
        app.base_url = handle.url
        yield app, handle.url


@pytest.fixture(scope="module")
def sandbox(served) -> LexerSandbox:
    return served[0]


@pytest.fixture(scope="module")
def client(served):
    with httpx.Client(base_url=served[1], headers={"Auth-Api-Token": SANDBOX_TOKEN}, timeout=30) as c:
        yield c
