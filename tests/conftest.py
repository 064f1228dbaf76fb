"""Fixtures are nouns: a served Lexer sandbox, a served Slack stand-in, the served bot.

Also what the run is made of (README, "Quick start"): hypothesis profiles (`ci`, the default; `deep`, thousands
of examples, with HYPOTHESIS_PROFILE=deep), the backends `database` runs on (both_databases) and the `postgres` marker."""

from __future__ import annotations

import os
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from slack_sdk.signature import SignatureVerifier

from bot.config import SANDBOX_TOKEN, Settings
from bot.sandbox.server import serve_in_thread

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token"
ADMIN = "UADMIN01"
USER_SYDNEY = "USYD0001"
USER_NEW_YORK = "UNYC0001"
CHANNEL = "C0GENERAL"

# property tests: a few hundred examples in every run; thousands in the scheduled deep run (HYPOTHESIS_PROFILE=deep)
hypothesis_settings.register_profile("ci", max_examples=150)
hypothesis_settings.register_profile("deep", max_examples=3000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

BOTH_DATABASES = ("sqlite", "postgresql")
POSTGRES_FIXTURES = {"pg_cluster", "own_cluster"}


def pytest_generate_tests(metafunc):
    """`database` is SQLite, and both backends where store behaviour is under test: every test under tests/store/,
    and tests marked `both_databases` (the PostgreSQL proof of each feature family, claims and races, outages)."""
    if "database" not in metafunc.fixturenames:
        return
    under_store = metafunc.definition.path.parent.name == "store"
    both = under_store or metafunc.definition.get_closest_marker("both_databases") is not None
    metafunc.parametrize("database", BOTH_DATABASES if both else BOTH_DATABASES[:1], indirect=True)


def pytest_collection_modifyitems(items):
    """Everything that runs on a PostgreSQL cluster is marked `postgres` (`-m postgres` runs that half alone)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_database = callspec is not None and callspec.params.get("database") == "postgresql"
        if on_database or POSTGRES_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.postgres)


@dataclass
class Served:
    app: object
    url: str


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster for the session (bot.sandbox.pg_cluster); skipped where PostgreSQL's
    binaries are missing, unless LEXERBOT_REQUIRE_POSTGRES=1 (CI), where that is a failure."""
    from bot.sandbox.pg_cluster import INSTALL_HINT, Cluster, find_bin

    if find_bin() is None:
        if os.environ.get("LEXERBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(INSTALL_HINT + " (LEXERBOT_REQUIRE_POSTGRES=1)")
        pytest.skip(INSTALL_HINT)
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


class DatabaseUrl(str):
    """A PostgreSQL URL whose repr (what pytest prints for a failing test's arguments) hides the password."""

    def __repr__(self) -> str:
        from bot.store.backend import redact_url

        return repr(redact_url(str(self)))


def migrated_template(cluster) -> str:
    """A database migrated once per session; each test's database is a copy (faster than migrating each)."""
    if not getattr(cluster, "template", None):
        from bot.store import open_store

        name = cluster.create_database()
        open_store(cluster.url(name)).close()
        cluster.template = name
    return cluster.template


@pytest.fixture
def own_cluster(pg_cluster):
    """A test's own PostgreSQL cluster, to stop and start (a restart, an outage) without touching the session's,
    which every other PostgreSQL test shares; skipped or failed where pg_cluster is."""
    from bot.sandbox.pg_cluster import Cluster

    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def database(request, tmp_path):
    """Where the store lives (the backends: pytest_generate_tests): a SQLite file, or a new database on the
    session's cluster."""
    if request.param == "sqlite":
        yield str(tmp_path / "lexerbot.db")
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = cluster.create_database(template=migrated_template(cluster))
    yield DatabaseUrl(cluster.url(name))
    cluster.drop_database(name)


@pytest.fixture
def sandbox(request):
    """The served Lexer sandbox; modules marked `gzip` get its answers compressed, as behind a proxy."""
    from bot.sandbox.lexer_app import LexerSandbox

    app = LexerSandbox(export_polls=1, gzip=request.node.get_closest_marker("gzip") is not None)
    handle = serve_in_thread(app)
    app.base_url = handle.url
    yield Served(app, handle.url)
    handle.stop()


@pytest.fixture
def slack():
    from bot.sandbox.slack_standin import SlackStandIn

    app = SlackStandIn(bot_token=BOT_TOKEN)
    handle = serve_in_thread(app)
    app.base_url = handle.url
    app.add_user(ADMIN, name="ada", real_name="Ada Admin", tz="Australia/Sydney")
    app.add_user(USER_SYDNEY, name="sam", real_name="Sam Sydney", tz="Australia/Sydney")
    app.add_user(USER_NEW_YORK, name="nina", real_name="Nina NewYork", tz="America/New_York")
    app.add_channel(CHANNEL, "general", member=True)
    app.add_channel("C0NOTIN", "random", member=False)
    app.add_channel("C0ARCHIV", "old", member=True, archived=True)
    yield Served(app, handle.url)
    handle.stop()


def make_settings(sandbox: Served, slack: Served, tmp_path, **overrides) -> Settings:
    values = dict(
        lexer_api_token=SANDBOX_TOKEN,
        lexer_api_url=f"{sandbox.url}/v1",
        lexer_status_url=f"{sandbox.url}/api/public/v1/activity/reports/status",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=f"{slack.url}/api/",
        db_path=str(tmp_path / "lexerbot.db"),
        admins=frozenset({ADMIN}),
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(sandbox, slack, tmp_path, database) -> Settings:
    return make_settings(sandbox, slack, tmp_path, db_path=database)


class Bot:
    """`lexer-bot serve`'s WSGI app on a real port, and a way to talk to it as Slack does."""

    def __init__(self, url: str, running, slack: Served):
        self.url = url
        self.running = running  # bot.deps.Running; None for a bot in another process
        self.deps = running.deps if running is not None else None
        self.slack = slack
        self.http = httpx.Client(timeout=10)

    def signed_post(
        self,
        body: str,
        *,
        content_type="application/x-www-form-urlencoded",
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
    ) -> httpx.Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        return self.http.post(
            f"{self.url}/slack/events",
            content=body.encode(),
            headers={"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature},
        )

    def command(
        self,
        text: str,
        *,
        user_id: str = USER_SYDNEY,
        channel_id: str = CHANNEL,
        wait: bool = True,
        timeout: float = 15.0,
    ) -> dict | httpx.Response:
        """Send `/lexer TEXT` as Slack does; return the reply posted to response_url."""
        key = f"cmd-{time.monotonic_ns()}"
        response_url = self.slack.app.new_response_url(key)
        form = {
            "token": "legacy",
            "team_id": "T0TEST",
            "team_domain": "test",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": "someone",
            "command": "/lexer",
            "text": text,
            "api_app_id": "A0TEST",
            "response_url": response_url,
            "trigger_id": "1.2.abc",
        }
        r = self.signed_post(urllib.parse.urlencode(form))
        assert r.status_code == 200, r.text
        if not wait:
            return r
        return wait_for(lambda: (self.slack.app.responses(key) or [None])[-1], timeout=timeout)

    def action(self, payload: dict) -> httpx.Response:
        import json

        return self.signed_post(urllib.parse.urlencode({"payload": json.dumps(payload)}))

    def event(self, event: dict) -> httpx.Response:
        import json

        body = {
            "token": "legacy",
            "team_id": "T0TEST",
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "event": event,
        }
        return self.signed_post(json.dumps(body), content_type="application/json")


def wait_until(at: datetime) -> None:
    """Sleep until the wall clock reaches `at` (an aware datetime)."""
    left = (at - datetime.now(timezone.utc)).total_seconds()
    if left > 0:
        time.sleep(left)


class DatabaseDown:
    """Store methods that fail as a database that does not answer would, while `down` is set."""

    def __init__(self, monkeypatch):
        import threading

        self._monkeypatch = monkeypatch
        self.down = threading.Event()

    def fail(self, *targets: tuple[type, str]) -> DatabaseDown:
        """Patch each (class, method) to raise psycopg's OperationalError while the database is down."""
        for cls, name in targets:
            self._monkeypatch.setattr(cls, name, self._failing(getattr(cls, name)))
        return self

    def _failing(self, real):
        import psycopg

        def call(*args, **kwargs):
            if self.down.is_set():
                raise psycopg.OperationalError("the database is down (test)")
            return real(*args, **kwargs)

        return call


@pytest.fixture
def database_down(monkeypatch) -> DatabaseDown:
    return DatabaseDown(monkeypatch)


def wait_for(fn, timeout: float = 30.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(interval)


@pytest.fixture
def export_options():
    """QueueOptions for the bot's export queue; None = the defaults (test modules override this fixture)."""
    return None


@pytest.fixture
def bot(settings, slack, export_options):
    from bot.cli import build_served

    running, wsgi = build_served(settings, scheduler=False, export_options=export_options)
    handle = serve_in_thread(wsgi)
    bot = Bot(handle.url, running, slack)
    yield bot
    running.stop()
    bot.http.close()
    handle.stop()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def start_process(settings: Settings, **deps_options):
    """A bot process on these settings, as `lexer-bot` composes one (no web server): bot.deps.Running."""
    from bot.cli import build_deps
    from bot.cli import start_process as start

    return start(build_deps(settings, **deps_options))


@pytest.fixture
def fresh_store(database):
    """A migrated Store on the test's backends (see `database`): SQLite in memory (every thread sees the same database, see
    bot.store.Store) or a new PostgreSQL database."""
    from bot.store import open_store

    store = open_store(":memory:" if not database.startswith("postgresql") else database)
    yield store
    store.close()
