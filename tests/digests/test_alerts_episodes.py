"""Alert episodes end to end: the check runner against a Lexer stand-in / the sandbox and the Slack stand-in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from bot.cli import build_deps
from bot.config import SANDBOX_TOKEN, Settings
from bot.lexer.build import build_activity_client
from bot.sandbox.server import serve_in_thread
from bot.store import open_store
from digests.alerts import BASELINE_REQUESTS_PER_DAY, CHECKS_PER_HOUR, REQUESTS_PER_CHECK_PER_WINDOW, run_alert_checks
from tests.conftest import ADMIN, BOT_TOKEN, CHANNEL, SIGNING_SECRET

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


def _close(runtime) -> None:
    """Close keep-alive connections too, so the served stand-ins stop at once."""
    runtime.api.http.close()
    runtime.api.download_http.close()
    runtime.store.close()


def _runtime(settings: Settings, clock: Clock):
    store = open_store(settings.db_path)
    api = build_activity_client(settings, store, sleep=lambda s: None)
    return build_deps(settings, now=clock, api=api, store=store)


@pytest.fixture
def lexer():
    app = ScriptedLexer()
    handle = serve_in_thread(app)
    yield app, handle.url
    handle.stop()


@pytest.fixture
def world(lexer, slack, tmp_path):
    """A runtime on the scripted Lexer and the Slack stand-in, alerts on in CHANNEL, a movable clock."""
    app, url = lexer
    settings = Settings(
        lexer_api_token=SANDBOX_TOKEN,
        lexer_api_url=f"{url}/v1",
        lexer_status_url=f"{url}/status",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=f"{slack.url}/api/",
        db_path=str(tmp_path / "lexerbot.db"),
        admins=frozenset({ADMIN}),
        timezone="Australia/Sydney",
    )
    clock = Clock(T0)
    runtime = _runtime(settings, clock)
    runtime.store.alerts.save_config(
        CHANNEL, window_minutes=60, min_count=5, sensitivity="normal", user_id=ADMIN, now=clock.now
    )
    yield app, slack.app, runtime, clock, settings
    _close(runtime)


def top_level(standin) -> list[dict]:
    return [m for m in standin.messages(CHANNEL) if not m.get("thread_ts") or m.get("thread_ts") == m["ts"]]


def replies(standin, ts: str) -> list[dict]:
    return [m for m in standin.thread(CHANNEL, ts) if m["ts"] != ts]


def check(runtime, clock, minutes=5):
    clock.advance(minutes)
    return run_alert_checks(runtime)


def test_episode_lifecycle_one_message_thread_updates_and_recovery(world):
    lexer, standin, runtime, clock, _ = world
    report = check(runtime, clock)
    assert report.channels[CHANNEL] == ("normal", ())
    assert top_level(standin) == []

    lexer.breaches, lexer.responded = 30, 45  # a service failure: the share breaking SLA is up
    report = check(runtime, clock)
    assert report.channels[CHANNEL] == ("spike", ("post_alert",))
    [alert] = top_level(standin)
    assert "30 SLA breaches" in alert["text"] and "about 4.0 expected" in alert["text"]
    rendered = json.dumps(alert["blocks"])
    assert "at the last 7 days' rate" in rendered
    assert "Ada Agent (12)" in rendered and "Billing (14)" in rendered and "Bo Backup" not in rendered
    assert "falling behind" in rendered
    action_ids = [e["action_id"] for b in alert["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert action_ids == ["lexer.alert.snooze_1h", "lexer.alert.snooze_tomorrow", "lexer.alert.show_team"]
    assert (lexer.count("user_summary"), lexer.count("classifications")) == (1, 1)

    posted_updates = []
    for i in range(1, 13):  # an hour more of spike: updates at 30 and 60 minutes
        lexer.breaches = 30 + i
        report = check(runtime, clock)
        if report.channels[CHANNEL][1]:
            posted_updates.append((i * 5, report.channels[CHANNEL][1]))
    assert posted_updates == [(30, ("post_update",)), (60, ("post_update",))]
    thread = replies(standin, alert["ts"])
    assert [m["text"].split(":")[0] for m in thread] == ["Still spiking", "Still spiking"]
    assert "42 SLA breaches" in thread[-1]["text"]
    assert (lexer.count("user_summary"), lexer.count("classifications")) == (1, 1)  # only when it first fired

    lexer.fail = 1  # missing data: neither spike nor recovery
    assert check(runtime, clock).channels[CHANNEL] == ("unknown", ())
    lexer.breaches, lexer.responded = 3, 40
    assert check(runtime, clock).channels[CHANNEL] == ("normal", ())  # one good check is not a recovery
    assert check(runtime, clock).channels[CHANNEL] == ("normal", ("resolve",))
    [edited] = top_level(standin)
    assert edited["ts"] == alert["ts"] and edited["text"].startswith("Resolved")
    assert "lexer.alert.snooze_1h" not in json.dumps(edited["blocks"])
    assert replies(standin, alert["ts"])[-1]["text"].startswith(":white_check_mark: Back to normal")
    episode = runtime.store.alerts.last_episode(CHANNEL)
    assert episode["state"] == "resolved" and json.loads(episode["detail"])["peak"] == 42

    lexer.breaches = 40  # a new spike is a new episode and a new message
    assert check(runtime, clock).channels[CHANNEL] == ("spike", ("post_alert",))
    assert len(top_level(standin)) == 2


def test_volume_surge_is_called_a_volume_surge(world):
    lexer, standin, runtime, clock, _ = world
    lexer.breaches, lexer.responded, lexer.volume = 30, 300, 320
    assert check(runtime, clock).channels[CHANNEL] == ("spike", ("post_alert",))
    [alert] = top_level(standin)
    assert "volume surge" in alert["text"].lower()
    assert "not a service failure" in json.dumps(alert["blocks"])


def test_restart_mid_episode_does_not_alert_again(world):
    lexer, standin, runtime, clock, settings = world
    lexer.breaches = 30
    check(runtime, clock)
    assert len(top_level(standin)) == 1
    _close(runtime)
    restarted = _runtime(settings, clock)  # a new process on the same database
    for _ in range(3):
        assert check(restarted, clock).channels[CHANNEL] == ("spike", ())
    assert len(top_level(standin)) == 1
    lexer.breaches = 2
    check(restarted, clock)
    assert check(restarted, clock).channels[CHANNEL] == ("normal", ("resolve",))
    _close(restarted)


def test_the_same_slot_is_checked_once_across_processes(world):
    lexer, standin, runtime, clock, settings = world
    lexer.breaches = 30
    clock.advance(5)
    other = _runtime(settings, clock)
    first, second = run_alert_checks(runtime), run_alert_checks(other)
    assert first.windows == {60: "ok"} and second.windows == {60: "skipped"}
    assert len(top_level(standin)) == 1
    _close(other)


def test_snooze_silences_posts_but_tracks_the_episode(world):
    lexer, standin, runtime, clock, _ = world
    alerts = runtime.store.alerts
    alerts.snooze(CHANNEL, clock.now + timedelta(minutes=20), clock.now)
    lexer.breaches = 30
    for _ in range(3):
        assert check(runtime, clock).channels[CHANNEL] == ("spike", ())
    assert top_level(standin) == []
    assert alerts.open_episode(CHANNEL)["state"] == "firing"
    check(runtime, clock)  # 20 minutes on: the snooze is over and the spike still on
    [alert] = top_level(standin)
    assert "30 SLA breaches" in alert["text"]


def test_resolution_during_a_snooze_edits_quietly_without_a_thread_post(world):
    lexer, standin, runtime, clock, _ = world
    lexer.breaches = 30
    check(runtime, clock)
    [alert] = top_level(standin)
    runtime.store.alerts.snooze(CHANNEL, clock.now + timedelta(hours=2), clock.now)
    lexer.breaches = 1
    check(runtime, clock)
    assert check(runtime, clock).channels[CHANNEL] == ("normal", ("resolve",))
    assert top_level(standin)[0]["text"].startswith("Resolved")
    assert replies(standin, alert["ts"]) == []


def test_bot_removed_from_the_channel_turns_alerts_off(world):
    lexer, standin, runtime, clock, _ = world
    standin.fail_next("chat.postMessage", error="not_in_channel")
    lexer.breaches = 30
    assert check(runtime, clock).channels[CHANNEL] == ("spike", ())
    assert not runtime.store.alerts.config(CHANNEL)["enabled"]
    audit = list(runtime.store.db["audit_log"].rows_where("action = 'alerts.off'"))
    assert audit and json.loads(audit[0]["detail"])["reason"] == "not_in_channel"


def test_no_channel_with_alerts_on_costs_no_requests(world):
    lexer, standin, runtime, clock, _ = world
    runtime.store.alerts.disable(CHANNEL, clock.now)
    report = check(runtime, clock)
    assert report.slot is None and lexer.requests == []


# ---------------------------------------------------------------- the real sandbox: missing data, API budget


@pytest.fixture
def sandboxed(slack, tmp_path):
    from bot.sandbox.lexer_app import LexerSandbox

    clock = Clock(T0)
    app = LexerSandbox(clock=clock)
    handle = serve_in_thread(app)
    settings = Settings(
        lexer_api_token=SANDBOX_TOKEN,
        lexer_api_url=f"{handle.url}/v1",
        lexer_status_url=f"{handle.url}/api/public/v1/activity/reports/status",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=f"{slack.url}/api/",
        db_path=str(tmp_path / "lexerbot.db"),
        admins=frozenset({ADMIN}),
        timezone="Australia/Sydney",
    )
    runtime = _runtime(settings, clock)
    runtime.store.alerts.save_config(
        CHANNEL, window_minutes=60, min_count=5, sensitivity="normal", user_id=ADMIN, now=clock.now
    )
    yield app, runtime, clock
    _close(runtime)
    handle.stop()


def test_missing_data_from_the_sandbox_is_recorded_and_judged_unknown(sandboxed):
    app, runtime, clock = sandboxed
    app.fail_next(503, times=4, path_prefix="/v1/activity/reports")  # the first try and every retry
    report = check(runtime, clock)
    assert report.windows == {60: "missing"} and report.channels[CHANNEL] == ("unknown", ())
    sample = runtime.store.alerts.latest_sample(60)
    assert sample["status"] == "missing" and sample["broke_sla"] is None
    assert check(runtime, clock).windows == {60: "ok"}


def test_api_budget_per_hour_measured_against_the_sandbox(sandboxed):
    app, runtime, clock = sandboxed

    def reports_during(hours: int) -> int:
        before = len([r for r in app.requests if r["path"] == "/v1/activity/reports"])
        for _ in range(hours * CHECKS_PER_HOUR):
            check(runtime, clock)
        return len([r for r in app.requests if r["path"] == "/v1/activity/reports"]) - before

    first_hour = reports_during(1)
    second_hour = reports_during(1)
    # 12 checks + the day's 7-day baseline; then the baseline is cached in SQLite for the day
    assert first_hour == CHECKS_PER_HOUR * REQUESTS_PER_CHECK_PER_WINDOW + BASELINE_REQUESTS_PER_DAY == 13
    assert second_hour == CHECKS_PER_HOUR * REQUESTS_PER_CHECK_PER_WINDOW == 12
    print(f"\nalerts cost {first_hour} Activity API requests in the first hour, {second_hour} in the next")


def test_alert_messages_are_valid_block_kit(world):
    from bot.slack.blocks import validate_message

    lexer, standin, runtime, clock, _ = world
    lexer.breaches = 30
    check(runtime, clock)
    [alert] = top_level(standin)
    validate_message({"text": alert["text"], "blocks": alert["blocks"]})
    lexer.breaches = 0
    check(runtime, clock)
    check(runtime, clock)
    [resolved] = top_level(standin)
    validate_message({"text": resolved["text"], "blocks": resolved["blocks"]})


def test_cli_alerts_check_runs_one_pass(sandbox, slack, tmp_path, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    for name in ("LEXER_API_TOKEN", "LEXERBOT_ADMINS", "LEXER_STATUS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEXER_API_URL", f"{sandbox.url}/v1")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", f"{slack.url}/api/")
    monkeypatch.setenv("LEXERBOT_DB", str(tmp_path / "cli.db"))
    assert main(["alerts", "check"]) == 0
    assert "No channel has alerts on" in capsys.readouterr().out
    store = open_store(tmp_path / "cli.db")
    store.alerts.save_config(
        CHANNEL, window_minutes=60, min_count=5, sensitivity="normal", user_id=ADMIN, now=datetime.now(UTC)
    )
    store.close()
    assert main(["alerts", "check"]) == 0
    out = capsys.readouterr().out
    assert "window 60 min: ok" in out and f"{CHANNEL}: normal" in out
    assert [r["type"] for r in sandbox.app.requests if r["path"] == "/v1/activity/reports"] == ["summary", "summary"]


def test_the_scheduler_checks_every_five_minutes(world):
    from apscheduler.schedulers.background import BackgroundScheduler

    from digests.schedule import configure

    _, _, runtime, _, _ = world
    scheduler = BackgroundScheduler(timezone="UTC")
    configure(scheduler, runtime)
    job = scheduler.get_job("alerts-check")
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 11, 18, 0, 1, tzinfo=UTC))
    assert fire == datetime(2026, 11, 18, 0, 5, tzinfo=UTC)
    assert job.trigger.get_next_fire_time(fire, fire + timedelta(seconds=1)) == fire + timedelta(minutes=5)


def test_two_weeks_of_samples_replace_the_daily_baseline_call(world):
    lexer, standin, runtime, clock, _ = world
    alerts = runtime.store.alerts
    t = clock.now - timedelta(days=15)
    while t < clock.now:  # an hourly history of 2 breaches an hour, except 6 at this hour of the week
        sample_id = alerts.claim_sample(t, 60, t)
        b = 6 if (clock.now - t) % timedelta(days=7) == timedelta(0) else 2
        alerts.record_sample(sample_id, {"status": "ok", "broke_sla": b, "responded": 20, "volume": 25, "anomalous": 0})
        t += timedelta(hours=1)
    clock.now -= timedelta(minutes=5)
    lexer.breaches = 9
    report = check(runtime, clock)
    assert lexer.requests and all(r["type"] == "summary" for r in lexer.requests) and len(lexer.requests) == 1
    sample = alerts.latest_sample(60)
    assert sample["baseline_source"] == "hour-of-week"
    assert sample["expected"] == pytest.approx(2 / 3 * 6 + 1 / 3 * (2 * 167 + 6) / 168, rel=1e-6)
    assert report.channels[CHANNEL] == ("normal", ())  # 9 against ~4.7 here is no spike


def test_alerts_off_closes_an_open_episode(world):
    lexer, standin, runtime, clock, _ = world
    alerts = runtime.store.alerts
    lexer.breaches = 30
    check(runtime, clock)
    alerts.disable(CHANNEL, clock.now)
    assert alerts.open_episode(CHANNEL) is None and alerts.last_episode(CHANNEL)["state"] == "closed"
    alerts.save_config(CHANNEL, window_minutes=60, min_count=5, sensitivity="normal", user_id=ADMIN, now=clock.now)
    assert check(runtime, clock).channels[CHANNEL] == ("spike", ("post_alert",))  # a fresh episode, a new message
    assert len(top_level(standin)) == 2


def test_one_channels_broken_state_does_not_silence_the_others(world):
    lexer, standin, runtime, clock, _ = world
    standin.add_channel("C0SECOND", "second", member=True)
    runtime.store.alerts.save_config(
        "C0SECOND", window_minutes=60, min_count=5, sensitivity="normal", user_id=ADMIN, now=clock.now
    )
    # CHANNEL's open episode is corrupt (a bad hand edit, a half-written row): its pass fails, logged
    runtime.store.db["alert_episodes"].insert(
        {"channel_id": CHANNEL, "state": "firing", "detail": "{not json", "started_at": "garbage"}
    )
    lexer.breaches, lexer.responded = 30, 45
    report = check(runtime, clock)
    assert report.channels[CHANNEL] == ("error", ())
    assert report.channels["C0SECOND"] == ("spike", ("post_alert",))
    assert [m for m in standin.messages("C0SECOND") if "SLA breaches" in m["text"]]
