"""Alert-check fixtures: deps on a scripted Lexer (or the sandbox) and the Slack stand-in, and a movable clock."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from bot.cli import build_deps
from bot.config import Settings
from bot.lexer.build import build_activity_client
from bot.sandbox.server import serve_in_thread
from bot.store import open_store
from tests.conftest import ADMIN, CHANNEL, Served, make_settings

UTC = timezone.utc
T0 = datetime(2026, 11, 18, 0, 0, tzinfo=UTC)  # 11:00 in Sydney, a Wednesday


class ScriptedLexer:
    """A Lexer stand-in whose `summary` for short windows says what the test scripts; the 7-day one a steady team."""

    def __init__(self):
        self.breaches = 3
        self.responded = 40
        self.volume = 50
        self.week = (672, 6720, 8400)  # 4 breaches/h, 40 replies/h, 10% breaching
        self.fail = 0
        self.requests: list[dict] = []
        # when set, the first user_summary (an alert's contributors, fetched just before its post) waits for it
        self.hold_contributors: threading.Event | None = None
        self.holding = threading.Event()

    def __call__(self, environ, start_response):
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        body = json.loads(raw or b"{}")
        self.requests.append(body)
        if self.fail:
            self.fail -= 1
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [b'{"error": "Bad Request", "message": "scripted failure"}']
        kind = body.get("type")
        span = datetime.fromisoformat(body["date_to"]) - datetime.fromisoformat(body["date_from"])
        if kind == "summary" and span > timedelta(days=2):
            b, r, v = self.week
            payload = {"broke_sla": b, "total_responded_to": r, "total_volume": v}
        elif kind == "summary":
            payload = {"broke_sla": self.breaches, "total_responded_to": self.responded, "total_volume": self.volume}
        elif kind == "user_summary":
            gate, self.hold_contributors = self.hold_contributors, None
            if gate is not None:
                self.holding.set()
                gate.wait(20)
            payload = [
                {
                    "user_id": "7",
                    "first_name": "Ada",
                    "last_name": "Agent",
                    "mentions_assigned": 20,
                    "total_responded_to": 18,
                    "broke_sla": 12,
                },
                {
                    "user_id": "8",
                    "first_name": "Bo",
                    "last_name": "Backup",
                    "mentions_assigned": 10,
                    "total_responded_to": 9,
                    "broke_sla": 0,
                },
            ]
        elif kind == "classifications":
            payload = [
                {"classification_id": 1, "classification": "Billing", "state": "closed", "volume": 14},
                {"classification_id": 2, "classification": "Login", "state": "closed", "volume": 6},
            ]
        else:
            payload = {}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(payload).encode()]

    def count(self, kind: str) -> int:
        return sum(1 for r in self.requests if r.get("type") == kind)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: int = 5) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


def close_deps(deps) -> None:
    """Close keep-alive connections too, so the served stand-ins stop at once."""
    deps.api.http.close()
    deps.api.download_http.close()
    deps.store.close()


def open_deps(settings: Settings, clock: Clock):
    """Deps as a clock process builds them, on `settings` and the movable clock."""
    store = open_store(settings.db_path)
    api = build_activity_client(settings, store, sleep=lambda s: None)
    return build_deps(settings, now=clock, api=api, store=store)


@pytest.fixture
def lexer():
    app = ScriptedLexer()
    handle = serve_in_thread(app)
    yield app, handle.url
    handle.stop()


def alerts_on(deps, clock):
    """Alerts on in CHANNEL: a 60-minute window, at least 5 breaches, normal sensitivity."""
    deps.store.alerts.save_config(
        CHANNEL, window_minutes=60, min_count=5, sensitivity="normal", user_id=ADMIN, now=clock.now
    )
    return deps


@pytest.fixture
def scripted(lexer, slack, tmp_path, database):
    """Deps on the scripted Lexer and the Slack stand-in, alerts on in CHANNEL, a movable clock."""
    app, url = lexer
    settings = make_settings(
        Served(app, url),
        slack,
        tmp_path,
        lexer_status_url=f"{url}/status",
        timezone="Australia/Sydney",
        db_path=database,
    )
    clock = Clock(T0)
    deps = alerts_on(open_deps(settings, clock), clock)
    yield app, slack.app, deps, clock, settings
    close_deps(deps)


@pytest.fixture
def sandboxed(slack, tmp_path, database):
    from bot.sandbox.lexer_app import LexerSandbox

    clock = Clock(T0)
    app = LexerSandbox(clock=clock)
    handle = serve_in_thread(app)
    settings = make_settings(Served(app, handle.url), slack, tmp_path, timezone="Australia/Sydney", db_path=database)
    deps = alerts_on(open_deps(settings, clock), clock)
    yield app, deps, clock
    close_deps(deps)
    handle.stop()
