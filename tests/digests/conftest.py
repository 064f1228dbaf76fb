"""Digest fixtures: deps as a scheduler process builds them, on the served sandbox and Slack stand-in."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.cli import build_deps
from bot.deps import Deps
from bot.lexer.build import build_activity_client
from bot.store import open_store
from tests.conftest import ADMIN, make_settings


class Clock:
    """An injectable `now` for deps (the sandbox keeps real time; reports are always in the past)."""

    def __init__(self, now: datetime):
        self.value = now

    def __call__(self) -> datetime:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += timedelta(seconds=seconds)


class DigestWorld:
    def __init__(self, sandbox, slack, tmp_path, **overrides):
        self.sandbox, self.slack, self.tmp_path = sandbox, slack, tmp_path
        self.settings = make_settings(sandbox, slack, tmp_path, **overrides)
        self.store = open_store(self.settings.db_path)
        self.stores = [self.store]
        self.clients = []
        # a digest due at 09:00 Sydney this morning or yesterday, whichever is past
        now = datetime.now(timezone.utc)
        self.clock = Clock(now)

    def deps(self, worker_id: str = "proc-a", *, clock=None, lease_s: float = 300.0) -> Deps:
        """A separate 'process': its own database connection, Lexer client and Slack client."""
        store = open_store(self.settings.db_path)
        self.stores.append(store)
        api = build_activity_client(self.settings, store, sleep=lambda s: None, max_retries=0)
        self.clients.append(api)
        return build_deps(
            self.settings,
            store=store,
            api=api,
            now=clock or self.clock,
            sleep=lambda s: (clock or self.clock).advance(s),
            worker_id=worker_id,
            lease_s=lease_s,
        )

    def subscribe(
        self,
        kind="sla",
        channel_id="C0GENERAL",
        *,
        form_id=None,
        at_time="09:00",
        tz="Australia/Sydney",
        cadence="daily",
        weekday=None,
        created_by=ADMIN,
    ):
        return self.store.subscriptions.add(
            kind=kind,
            channel_id=channel_id,
            cadence=cadence,
            at_time=at_time,
            tz=tz,
            created_by=created_by,
            form_id=form_id,
            weekday=weekday,
        )

    def close(self):
        for api in self.clients:
            api.http.close()
            api.download_http.close()
        for s in self.stores:
            s.close()


@pytest.fixture
def world(sandbox, slack, tmp_path, database):
    w = DigestWorld(sandbox, slack, tmp_path, db_path=database)
    yield w
    w.close()
