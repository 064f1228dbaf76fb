"""digests.alerts.check: one pass end to end, against a scripted Lexer or the sandbox and the Slack stand-in."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from digests.alerts.check import run_alert_checks
from digests.alerts.decide import BASELINE_REQUESTS_PER_DAY, CHECKS_PER_HOUR, REQUESTS_PER_CHECK_PER_WINDOW, check_slot
from tests.conftest import ADMIN, CHANNEL
from tests.digests.alerts.conftest import close_deps, open_deps

UTC = timezone.utc


@pytest.mark.parametrize(
    "now, slot",
    [
        (datetime(2026, 11, 18, 0, 5, tzinfo=UTC), datetime(2026, 11, 18, 0, 5, tzinfo=UTC)),
        (datetime(2026, 11, 18, 0, 9, 59, 999, tzinfo=UTC), datetime(2026, 11, 18, 0, 5, tzinfo=UTC)),
        (datetime(2026, 11, 18, 11, 4, tzinfo=timezone(timedelta(hours=11))), datetime(2026, 11, 18, 0, 0, tzinfo=UTC)),
    ],
)
def test_check_slot_is_the_five_minute_slot_in_utc(now, slot):
    assert check_slot(now) == slot
    assert check_slot(now).tzinfo == UTC


def top_level(standin) -> list[dict]:
    return [m for m in standin.messages(CHANNEL) if not m.get("thread_ts") or m.get("thread_ts") == m["ts"]]


def replies(standin, ts: str) -> list[dict]:
    return [m for m in standin.thread(CHANNEL, ts) if m["ts"] != ts]


def check(deps, clock, minutes=5):
    clock.advance(minutes)
    return run_alert_checks(deps)


@pytest.mark.both_databases
def test_episode_lifecycle_one_message_thread_updates_and_recovery(scripted):
    lexer, standin, deps, clock, _ = scripted
    report = check(deps, clock)
    assert report.channels[CHANNEL] == ("normal", ())
    assert top_level(standin) == []

    lexer.breaches, lexer.responded = 30, 45  # a service failure: the share breaking SLA is up
    report = check(deps, clock)
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
        report = check(deps, clock)
        if report.channels[CHANNEL][1]:
            posted_updates.append((i * 5, report.channels[CHANNEL][1]))
    assert posted_updates == [(30, ("post_update",)), (60, ("post_update",))]
    thread = replies(standin, alert["ts"])
    assert [m["text"].split(":")[0] for m in thread] == ["Still spiking", "Still spiking"]
    assert "42 SLA breaches" in thread[-1]["text"]
    assert (lexer.count("user_summary"), lexer.count("classifications")) == (1, 1)  # only when it first fired

    lexer.fail = 1  # missing data: neither spike nor recovery
    assert check(deps, clock).channels[CHANNEL] == ("unknown", ())
    lexer.breaches, lexer.responded = 3, 40
    assert check(deps, clock).channels[CHANNEL] == ("normal", ())  # one good check is not a recovery
    assert check(deps, clock).channels[CHANNEL] == ("normal", ("resolve",))
    [edited] = top_level(standin)
    assert edited["ts"] == alert["ts"] and edited["text"].startswith("Resolved")
    assert "lexer.alert.snooze_1h" not in json.dumps(edited["blocks"])
    assert replies(standin, alert["ts"])[-1]["text"].startswith(":white_check_mark: Back to normal")
    episode = deps.store.alerts.last_episode(CHANNEL)
    assert episode["state"] == "resolved" and json.loads(episode["detail"])["peak"] == 42

    lexer.breaches = 40  # within the hour after the resolution, only a clearly larger spike opens an episode
    assert check(deps, clock).channels[CHANNEL] == ("spike", ())
    lexer.breaches = 64  # 1.5 x the last peak of 42 or more: a new episode and a new message
    assert check(deps, clock).channels[CHANNEL] == ("spike", ("post_alert",))
    assert len(top_level(standin)) == 2


def test_volume_surge_is_called_a_volume_surge(scripted):
    lexer, standin, deps, clock, _ = scripted
    lexer.breaches, lexer.responded, lexer.volume = 30, 300, 320
    assert check(deps, clock).channels[CHANNEL] == ("spike", ("post_alert",))
    [alert] = top_level(standin)
    assert "volume surge" in alert["text"].lower()
    assert "not a service failure" in json.dumps(alert["blocks"])


@pytest.mark.both_databases
def test_restart_mid_episode_does_not_alert_again(scripted):
    lexer, standin, deps, clock, settings = scripted
    lexer.breaches = 30
    check(deps, clock)
    assert len(top_level(standin)) == 1
    close_deps(deps)
    restarted = open_deps(settings, clock)  # a new process on the same database
    for _ in range(3):
        assert check(restarted, clock).channels[CHANNEL] == ("spike", ())
    assert len(top_level(standin)) == 1
    lexer.breaches = 2
    check(restarted, clock)
    assert check(restarted, clock).channels[CHANNEL] == ("normal", ("resolve",))
    close_deps(restarted)


@pytest.mark.both_databases
def test_the_same_slot_is_checked_once_across_processes(scripted):
    lexer, standin, deps, clock, settings = scripted
    lexer.breaches = 30
    clock.advance(5)
    other = open_deps(settings, clock)
    first, second = run_alert_checks(deps), run_alert_checks(other)
    assert first.windows == {60: "ok"} and second.windows == {60: "skipped"}
    assert len(top_level(standin)) == 1
    close_deps(other)


def test_snooze_silences_posts_but_tracks_the_episode(scripted):
    lexer, standin, deps, clock, _ = scripted
    alerts = deps.store.alerts
    alerts.snooze(CHANNEL, clock.now + timedelta(minutes=20), clock.now)
    lexer.breaches = 30
    for _ in range(3):
        assert check(deps, clock).channels[CHANNEL] == ("spike", ())
    assert top_level(standin) == []
    assert alerts.open_episode(CHANNEL)["state"] == "firing"
    check(deps, clock)  # 20 minutes on: the snooze is over and the spike still on
    [alert] = top_level(standin)
    assert "30 SLA breaches" in alert["text"]


def test_resolution_during_a_snooze_edits_quietly_without_a_thread_post(scripted):
    lexer, standin, deps, clock, _ = scripted
    lexer.breaches = 30
    check(deps, clock)
    [alert] = top_level(standin)
    deps.store.alerts.snooze(CHANNEL, clock.now + timedelta(hours=2), clock.now)
    lexer.breaches = 1
    check(deps, clock)
    assert check(deps, clock).channels[CHANNEL] == ("normal", ("resolve",))
    assert top_level(standin)[0]["text"].startswith("Resolved")
    assert replies(standin, alert["ts"]) == []


def test_bot_removed_from_the_channel_turns_alerts_off(scripted):
    lexer, standin, deps, clock, _ = scripted
    standin.fail_next("chat.postMessage", error="not_in_channel")
    lexer.breaches = 30
    assert check(deps, clock).channels[CHANNEL] == ("spike", ())
    assert not deps.store.alerts.config(CHANNEL)["enabled"]
    audit = list(deps.store.db["audit_log"].rows_where("action = 'alerts.off'"))
    assert audit and json.loads(audit[0]["detail"])["reason"] == "not_in_channel"


def test_no_channel_with_alerts_on_costs_no_requests(scripted):
    lexer, standin, deps, clock, _ = scripted
    deps.store.alerts.disable(CHANNEL, clock.now)
    report = check(deps, clock)
    assert report.slot is None and lexer.requests == []


# ---------------------------------------------------------------- the real sandbox: missing data, API budget


def test_missing_data_from_the_sandbox_is_recorded_and_judged_unknown(sandboxed):
    app, deps, clock = sandboxed
    app.fail_next(503, times=4, path_prefix="/v1/activity/reports")  # the first try and every retry
    report = check(deps, clock)
    assert report.windows == {60: "missing"} and report.channels[CHANNEL] == ("unknown", ())
    sample = deps.store.alerts.latest_sample(60)
    assert sample["status"] == "missing" and sample["broke_sla"] is None
    assert check(deps, clock).windows == {60: "ok"}


def test_api_budget_per_hour_measured_against_the_sandbox(sandboxed):
    app, deps, clock = sandboxed

    def reports_during(hours: int) -> int:
        before = len([r for r in app.requests if r["path"] == "/v1/activity/reports"])
        for _ in range(hours * CHECKS_PER_HOUR):
            check(deps, clock)
        return len([r for r in app.requests if r["path"] == "/v1/activity/reports"]) - before

    first_hour = reports_during(1)
    second_hour = reports_during(1)
    # 12 checks + the day's 7-day baseline; then the baseline is cached in SQLite for the day
    assert first_hour == CHECKS_PER_HOUR * REQUESTS_PER_CHECK_PER_WINDOW + BASELINE_REQUESTS_PER_DAY == 13
    assert second_hour == CHECKS_PER_HOUR * REQUESTS_PER_CHECK_PER_WINDOW == 12
    print(f"\nalerts cost {first_hour} Activity API requests in the first hour, {second_hour} in the next")


def test_alert_messages_are_valid_block_kit(scripted):
    from bot.slack.blocks import validate_message

    lexer, standin, deps, clock, _ = scripted
    lexer.breaches = 30
    check(deps, clock)
    [alert] = top_level(standin)
    validate_message({"text": alert["text"], "blocks": alert["blocks"]})
    lexer.breaches = 0
    check(deps, clock)
    check(deps, clock)
    [resolved] = top_level(standin)
    validate_message({"text": resolved["text"], "blocks": resolved["blocks"]})


def test_the_scheduler_checks_each_five_minute_slot_once(scripted):
    """The job runs every minute; only the slot's first pass calls Lexer, and the other four say nothing."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from digests.schedule import configure

    lexer, _, deps, clock, _ = scripted
    scheduler = BackgroundScheduler(timezone="UTC")
    configure(scheduler, deps)
    job = scheduler.get_job("alerts-check")
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 11, 18, 0, 1, 30, tzinfo=UTC))
    assert fire == datetime(2026, 11, 18, 0, 2, tzinfo=UTC)
    assert job.trigger.get_next_fire_time(fire, fire + timedelta(seconds=1)) == fire + timedelta(minutes=1)
    reports = []
    for _ in range(9):  # nine minutes of the job from a slot: two slots
        clock.advance(1)
        reports.append(run_alert_checks(deps))
    checked = [r.slot for r in reports if r.windows.get(60) == "ok"]
    assert len(checked) == 2 and checked[1] - checked[0] == timedelta(minutes=5)
    assert sum(1 for r in reports if r.windows.get(60) == "skipped") == 7
    assert len([r for r in lexer.requests if r["type"] == "summary"]) <= 2 + BASELINE_REQUESTS_PER_DAY


@pytest.mark.both_databases
def test_a_slot_whose_pass_died_is_checked_by_the_next_pass(scripted):
    """A clock killed between claiming a slot and recording it left the slot pending: before, every later pass
    found it claimed and nobody checked it (a spike then waited for the next slot)."""
    from digests.alerts.decide import STALE_SAMPLE

    lexer, standin, deps, clock, _ = scripted
    clock.now = check_slot(clock.now) + timedelta(minutes=5)
    slot = clock.now
    assert deps.store.alerts.claim_sample(slot, 60, clock.now) is not None  # the pass that died
    lexer.breaches, lexer.responded = 30, 45
    clock.now = slot + STALE_SAMPLE - timedelta(seconds=1)
    assert run_alert_checks(deps).windows[60] == "skipped"  # it may still be at it
    assert top_level(standin) == []
    clock.now = slot + STALE_SAMPLE + timedelta(seconds=1)
    report = run_alert_checks(deps)
    assert report.slot == slot and report.windows[60] == "ok"
    assert report.channels[CHANNEL] == ("spike", ("post_alert",))
    [alert] = top_level(standin)
    assert "30 SLA breaches" in alert["text"]
    clock.now += timedelta(minutes=1)
    assert run_alert_checks(deps).windows[60] == "skipped"  # recorded now: checked once
    assert len(top_level(standin)) == 1


def test_a_clock_started_just_after_a_slot_checks_that_slot_at_once(scripted):
    """A clock up 3 s after 00:05 checked nothing at 00:05 and, before this, waited for 00:10: a spike then went
    unseen five minutes longer, and a fleet whose clocks all started together skipped the slot (bench/chaos.py's
    alert owed at the run's first slot was never posted)."""
    import time

    from apscheduler.schedulers.background import BackgroundScheduler

    from digests.schedule import schedule_checks

    lexer, standin, deps, clock, _ = scripted
    slot = check_slot(clock.now) + timedelta(minutes=5)
    clock.now = slot + timedelta(seconds=3)
    lexer.breaches, lexer.responded = 30, 45
    scheduler = BackgroundScheduler(timezone="UTC")
    schedule_checks(scheduler, deps, now=clock.now)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while deps.store.alerts.latest_sample(60) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        while not top_level(standin) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    sample = deps.store.alerts.latest_sample(60)
    assert sample is not None and datetime.fromisoformat(sample["window_end"]) == slot
    [alert] = top_level(standin)
    assert "30 SLA breaches" in alert["text"]


@pytest.mark.parametrize("after_slot_s, at_once", [(0, True), (240, True), (241, False), (299, False)])
def test_a_clock_started_later_in_the_slot_waits_for_its_next_minute(scripted, after_slot_s, at_once):
    from apscheduler.schedulers.background import BackgroundScheduler

    from digests.alerts.decide import catches_up
    from digests.schedule import schedule_checks

    _, _, deps, clock, _ = scripted
    now = check_slot(clock.now) + timedelta(seconds=after_slot_s)
    assert catches_up(now) is at_once
    scheduler = BackgroundScheduler(timezone="UTC")
    schedule_checks(scheduler, deps, now=now)
    job = scheduler.get_job("alerts-check")
    # not started: a job given no first run waits for its trigger (the next minute); one caught up has it set
    assert hasattr(job, "next_run_time") is at_once


@pytest.mark.both_databases
def test_two_weeks_of_samples_replace_the_daily_baseline_call(scripted):
    lexer, standin, deps, clock, _ = scripted
    alerts = deps.store.alerts
    t = clock.now - timedelta(days=15)
    while t < clock.now:  # an hourly history of 2 breaches an hour, except 6 at this hour of the week
        sample_id = alerts.claim_sample(t, 60, t)
        b = 6 if (clock.now - t) % timedelta(days=7) == timedelta(0) else 2
        alerts.record_sample(sample_id, {"status": "ok", "broke_sla": b, "responded": 20, "volume": 25, "anomalous": 0})
        t += timedelta(hours=1)
    clock.now -= timedelta(minutes=5)
    lexer.breaches = 9
    report = check(deps, clock)
    assert lexer.requests and all(r["type"] == "summary" for r in lexer.requests) and len(lexer.requests) == 1
    sample = alerts.latest_sample(60)
    assert sample["baseline_source"] == "hour-of-week"
    assert sample["expected"] == pytest.approx(2 / 3 * 6 + 1 / 3 * (2 * 167 + 6) / 168, rel=1e-6)
    assert report.channels[CHANNEL] == ("normal", ())  # 9 against ~4.7 here is no spike


def test_alerts_off_closes_an_open_episode(scripted):
    lexer, standin, deps, clock, _ = scripted
    alerts = deps.store.alerts
    lexer.breaches = 30
    check(deps, clock)
    alerts.disable(CHANNEL, clock.now)
    assert alerts.open_episode(CHANNEL) is None and alerts.last_episode(CHANNEL)["state"] == "closed"
    alerts.save_config(CHANNEL, window_minutes=60, min_count=5, sensitivity="normal", user_id=ADMIN, now=clock.now)
    assert check(deps, clock).channels[CHANNEL] == ("spike", ("post_alert",))  # a fresh episode, a new message
    assert len(top_level(standin)) == 2


def test_one_channels_broken_state_does_not_silence_the_others(scripted):
    lexer, standin, deps, clock, _ = scripted
    standin.add_channel("C0SECOND", "second", member=True)
    deps.store.alerts.save_config(
        "C0SECOND", window_minutes=60, min_count=5, sensitivity="normal", user_id=ADMIN, now=clock.now
    )
    # CHANNEL's open episode is corrupt (a bad hand edit, a half-written row): its pass fails, logged
    deps.store.db["alert_episodes"].insert(
        {"channel_id": CHANNEL, "state": "firing", "detail": "{not json", "started_at": "garbage"}
    )
    lexer.breaches, lexer.responded = 30, 45
    report = check(deps, clock)
    assert report.channels[CHANNEL] == ("error", ())
    assert report.channels["C0SECOND"] == ("spike", ("post_alert",))
    assert [m for m in standin.messages("C0SECOND") if "SLA breaches" in m["text"]]
