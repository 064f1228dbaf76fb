"""Thousands of random /lexer texts through the whole command path: never raise, always a valid reply."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import build_deps, start_process
from bot.commands.answer import Asker
from bot.config import Settings
from bot.lexer.build import build_activity_client
from bot.sandbox.lexer_app import LexerSandbox
from bot.slack.blocks import validate_message
from bot.store import open_store

WORDS = [
    "summary",
    "sla",
    "team",
    "workload",
    "states",
    "classifications",
    "response-time",
    "cases",
    "case-classifications",
    "nps",
    "users",
    "groups",
    "forms",
    "export",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "alerts",
    "help",
    "public",
    "today",
    "yesterday",
    "this-week",
    "last-week",
    "this-month",
    "last-month",
    "last-7d",
    "last-3h",
    "last-400d",
    "2026-11-02",
    "2026-02-30",
    "2026-11-01..2026-11-07",
    "2031-01-01",
    "group:Email",
    "group:999",
    "agent:nobody@x.io",
    "agent:1",
    "promoters",
    "detractors",
    "passives",
    "cases",
    "responses",
    "on",
    "off",
    "snooze",
    "status",
    "daily",
    "weekly",
    "mon",
    "at",
    "09:00",
    "tz",
    "Australia/Sydney",
    "<#C0GENERAL|general>",
    "<@U123>",
    '"NPS Survey"',
    "55",
    "min",
    "window",
    "1h",
    "sensitivity",
    "high",
    "#",
    "..",
    "\u00e9t\u00e9",
    "\U0001f600",
    "x" * 300,
    "",
    "-",
    "'",
    "`",
    "*bold*",
    "<!channel>",
]


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prop")
    settings = Settings(db_path=str(tmp / "p.db"), admins=frozenset({"UADMIN01"}))
    store = open_store(settings.db_path)
    api = build_activity_client(
        settings, store, sandbox_app=LexerSandbox(rate_limit=1_000_000), rate_limit=1_000_000, sleep=lambda s: None
    )
    return start_process(build_deps(settings, with_slack=False, api=api, store=store)).runner


texts = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=7).map(" ".join),
    st.text(max_size=120),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=6).map(" ".join),
)


@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(text=texts, admin=st.booleans(), tz=st.sampled_from(["Australia/Sydney", "America/New_York", "UTC"]))
def test_random_texts_always_get_a_valid_reply(runner, text, admin, tz):
    reply = runner.run(text, Asker("UADMIN01" if admin else "UUSER001", "C0GENERAL", ZoneInfo(tz), is_admin=admin))
    validate_message(reply.message)
    assert "Something went wrong on our side" not in str(reply.message), text
