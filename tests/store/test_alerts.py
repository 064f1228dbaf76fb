"""bot.store.alerts: configs, snoozes, samples, baselines and episodes."""

from datetime import datetime, timedelta, timezone

import pytest

NOW = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)


@pytest.fixture
def alerts(fresh_store):
    return fresh_store.alerts


def turn_on(alerts, channel="C1", now=NOW):
    alerts.save_config(channel, window_minutes=60, min_count=5, sensitivity="normal", user_id="UADMIN", now=now)


def test_config_save_and_enabled_list(alerts):
    assert alerts.config("C1") is None
    turn_on(alerts, "C2")
    turn_on(alerts, "C1")
    assert alerts.config("C1")["window_minutes"] == 60
    assert alerts.config("C1")["updated_at"] == "2024-05-01T12:00:00+00:00"
    assert [c["channel_id"] for c in alerts.enabled_configs()] == ["C1", "C2"]


def test_saving_again_keeps_the_snooze(alerts):
    turn_on(alerts)
    alerts.snooze("C1", NOW + timedelta(hours=1), NOW)
    turn_on(alerts, now=NOW + timedelta(minutes=1))
    assert alerts.config("C1")["snoozed_until"] == "2024-05-01T13:00:00+00:00"
    alerts.snooze("C1", None, NOW)
    assert alerts.config("C1")["snoozed_until"] is None


def test_disable_closes_the_firing_episode(alerts):
    assert alerts.disable("C1", NOW) is False
    turn_on(alerts)
    episode_id = alerts.insert_episode(
        {"channel_id": "C1", "state": "firing", "started_at": "2024-05-01T11:00:00+00:00"}
    )
    assert alerts.disable("C1", NOW) is True
    assert alerts.disable("C1", NOW) is False
    assert alerts.enabled_configs() == []
    assert alerts.open_episode("C1") is None
    last = alerts.last_episode("C1")
    assert (last["id"], last["state"], last["resolved_at"]) == (episode_id, "closed", "2024-05-01T12:00:00+00:00")


def test_episodes_insert_then_compare_and_set(alerts):
    first = alerts.insert_episode({"id": None, "channel_id": "C1", "state": "resolved"})
    second = alerts.insert_episode({"channel_id": "C1", "state": "firing", "last_count": 3})
    assert alerts.last_episode("C1")["id"] == second != first
    assert alerts.open_episode("C1")["last_count"] == 3
    assert alerts.insert_episode({"channel_id": "C1", "state": "firing"}) is None  # one firing episode a channel
    assert alerts.save_episode({"id": second, "channel_id": "C1", "state": "firing", "last_count": 9}, 0) == 1
    assert alerts.save_episode({"id": second, "channel_id": "C1", "state": "firing", "last_count": 7}, 0) is None
    assert alerts.open_episode("C1")["last_count"] == 9
    assert alerts.open_episode("C2") is None


def test_the_first_post_is_claimed_once_and_not_after_alerts_off(alerts):
    turn_on(alerts)
    episode_id = alerts.insert_episode({"channel_id": "C1", "state": "firing"})
    assert alerts.claim_first_post(episode_id, 0, "posting", NOW) == 1
    assert alerts.claim_first_post(episode_id, 1, "posting", NOW) is None  # message_ts is no longer null
    turn_on(alerts, "C2")
    other = alerts.insert_episode({"channel_id": "C2", "state": "firing"})
    assert alerts.disable("C2", NOW)  # `/lexer alerts off` between a pass's read and its claim
    assert alerts.claim_first_post(other, 0, "posting", NOW) is None


def test_enabled_with_open_episode(alerts):
    turn_on(alerts, "C1")
    turn_on(alerts, "C2")
    alerts.insert_episode({"channel_id": "C2", "state": "firing"})
    rows = {r["channel_id"]: r["open_episode"] for r in alerts.enabled_with_open_episode()}
    assert rows["C1"] is None and rows["C2"]["state"] == "firing"


def test_claim_sample_once_per_slot(alerts):
    end = NOW
    first = alerts.claim_sample(end, 60, NOW)
    assert first is not None
    assert alerts.claim_sample(end, 60, NOW) is None
    assert alerts.claim_sample(end, 120, NOW) is not None  # another window, another slot


def test_a_sample_left_pending_is_taken_over_once_it_is_stale(alerts):
    first = alerts.claim_sample(NOW, 60, NOW)
    later = NOW + timedelta(minutes=3)
    assert alerts.claim_sample(NOW, 60, later, stale_before=NOW) is None  # claimed at the cutoff: not stale
    assert alerts.claim_sample(NOW, 60, later, stale_before=later - timedelta(minutes=2)) == first
    # taken over: its claim is now `later`'s, and a second taker at the same cutoff finds it fresh
    assert alerts.claim_sample(NOW, 60, later, stale_before=later - timedelta(minutes=2)) is None
    alerts.record_sample(first, {"status": "ok", "broke_sla": 1})
    assert alerts.claim_sample(NOW, 60, later + timedelta(hours=1), stale_before=later + timedelta(hours=1)) is None


def test_samples_since_latest_and_prune(alerts):
    for minutes_ago, status in ((30, "ok"), (20, "missing"), (10, "ok"), (5, "pending")):
        sample_id = alerts.claim_sample(NOW - timedelta(minutes=minutes_ago), 60, NOW)
        alerts.record_sample(sample_id, {"status": status, "broke_sla": minutes_ago})
    assert [s["broke_sla"] for s in alerts.samples_since(NOW - timedelta(minutes=25))] == [10]
    assert [s["broke_sla"] for s in alerts.samples_since(NOW - timedelta(hours=1))] == [30, 10]
    assert alerts.latest_sample(60)["broke_sla"] == 10  # pending ones are not conclusions yet
    assert alerts.latest_sample(120) is None
    alerts.prune_samples(NOW - timedelta(minutes=15))
    assert [s["broke_sla"] for s in alerts.samples_since(NOW - timedelta(hours=1))] == [10]


def test_baseline_upsert(alerts):
    assert alerts.baseline("7d:a:b") is None
    alerts.save_baseline({"key": "7d:a:b", "broke_sla": None, "fetched_at": "t0"})
    alerts.save_baseline({"key": "7d:a:b", "broke_sla": 4, "fetched_at": "t1"})
    assert (alerts.baseline("7d:a:b")["broke_sla"], alerts.baseline("7d:a:b")["fetched_at"]) == (4, "t1")


def test_two_workspaces_keep_their_own_alert_config_on_one_shared_channel_id(fresh_store):
    """Slack Connect: one channel id in two workspaces. Failed before m014: B's `alerts on` replaced A's."""
    from datetime import datetime, timezone

    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    a, b = fresh_store.for_workspace("TAAAA"), fresh_store.for_workspace("TBBBB")
    a.alerts.save_config("C0SHARED", window_minutes=60, min_count=5, sensitivity="normal", user_id="UA", now=now)
    b.alerts.save_config("C0SHARED", window_minutes=120, min_count=3, sensitivity="high", user_id="UB", now=now)
    assert a.alerts.config("C0SHARED")["created_by"] == "UA" and a.alerts.config("C0SHARED")["window_minutes"] == 60
    assert b.alerts.config("C0SHARED")["created_by"] == "UB"
    assert fresh_store.alerts.config("C0SHARED") is None


def test_a_slot_already_claimed_is_skipped_on_one_read_and_no_write(fresh_store):
    """The clock's alert job runs every minute for a 5-minute slot: the four runs that find it claimed read the
    row once and leave it alone, where they used to try an insert (refused) and an update (matching nothing)."""
    alerts = fresh_store.alerts
    alerts.claim_sample(NOW, 60, NOW)  # pending: its pass is at it
    checked = alerts.claim_sample(NOW, 120, NOW)
    alerts.record_sample(checked, {"status": "ok", "broke_sla": 1})
    later = NOW + timedelta(minutes=1)
    before = fresh_store.queries()
    assert alerts.claim_sample(NOW, 60, later, stale_before=later - timedelta(minutes=2)) is None
    assert alerts.claim_sample(NOW, 120, later, stale_before=later - timedelta(minutes=2)) is None
    assert alerts.claim_sample(NOW, 120, later) is None
    assert fresh_store.queries() - before == 3
    assert fresh_store.db.execute("select distinct checked_at from alert_samples").fetchall() == [(NOW.isoformat(),)]
