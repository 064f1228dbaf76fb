"""digests.alerts.episode: the episode state machine, the stored snooze and the stored row (pure tables)."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from digests.alerts.detect import UNKNOWN, Baseline, Observation, detect
from digests.alerts.episode import (
    Episode,
    contributors_detail,
    episode_from_row,
    row_from_episode,
    snoozed_until,
    step_episode,
)

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
BASE = Baseline(breaches_per_hour=4.0, responded_per_hour=40.0, breach_fraction=0.1, source="trailing-7d")


def obs(broke, responded, minutes=60):
    return Observation(NOW, minutes, broke, responded, responded + 5)


SPIKE = detect(obs(20, 45), BASE)
OK = detect(obs(4, 45), BASE)


def run(verdicts, *, snoozed_at=(), start=NOW, posted_ts="111.1"):
    """Feed one verdict per 5-minute check; return the actions per check and the final episode."""
    ep, log = None, []
    for i, v in enumerate(verdicts):
        now = start + timedelta(minutes=5 * i)
        s = step_episode(ep, v, now, channel_id="C1", snoozed=i in snoozed_at)
        ep = s.episode
        if "post_alert" in s.actions:
            ep = Episode(**{**ep.__dict__, "message_ts": posted_ts, "last_update_at": now})
        if "post_update" in s.actions:
            ep = Episode(**{**ep.__dict__, "last_update_at": now})
        log.append(s.actions)
        if ep is not None and ep.state == "resolved":
            ep = None if i < len(verdicts) - 1 else ep
    return log, ep


def test_episode_fires_once_updates_every_30_minutes_and_resolves_after_two_ok_checks():
    log, ep = run([OK, SPIKE] + [SPIKE] * 7 + [OK, OK])
    assert log[0] == ()
    assert log[1] == ("post_alert",)
    assert [i for i, a in enumerate(log) if a == ("post_update",)] == [7]  # 30 minutes after the alert
    assert log[9] == ()  # one ok check is not a recovery
    assert log[10] == ("resolve",)
    assert ep.state == "resolved"


def test_missing_data_is_neither_spike_nor_recovery():
    log, ep = run([UNKNOWN, SPIKE, UNKNOWN, OK, UNKNOWN, UNKNOWN, SPIKE, OK, UNKNOWN, OK])
    assert log[0] == () and log[1] == ("post_alert",)
    assert all(a == () for a in log[2:9])
    assert log[9] == ("resolve",)


def test_a_spike_between_ok_checks_resets_the_streak():
    log, _ = run([SPIKE, OK, SPIKE, OK, OK])
    assert log == [("post_alert",), (), (), (), ("resolve",)]


def test_snooze_tracks_the_episode_without_posting_and_posts_when_it_ends_mid_episode():
    log, ep = run([SPIKE, SPIKE, SPIKE, OK, OK], snoozed_at={0, 1})
    assert log[:2] == [(), ()]
    assert log[2] == ("post_alert",)
    assert log[4] == ("resolve",)


def test_episode_born_and_over_within_a_snooze_posts_nothing():
    log, ep = run([SPIKE, SPIKE, OK, OK], snoozed_at={0, 1, 2, 3})
    assert log == [(), (), (), ()]
    assert ep.state == "resolved"


SNOOZE_NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "stored,snoozed",
    [
        (None, None),
        ("2024-05-01T11:00:00+00:00", None),
        ("2024-05-01T13:00:00+00:00", SNOOZE_NOW + timedelta(hours=1)),
    ],
)
def test_snoozed_until_reads_the_stored_snooze(stored, snoozed):
    assert snoozed_until({"snoozed_until": stored}, SNOOZE_NOW) == snoozed
    assert snoozed_until(None, SNOOZE_NOW) is None


@pytest.mark.parametrize(
    "episode",
    [
        Episode("C1", "firing", NOW),
        Episode(
            "C1",
            "resolved",
            NOW,
            id=7,
            resolved_at=NOW + timedelta(minutes=40),
            message_ts="111.1",
            last_update_at=NOW + timedelta(minutes=30),
            last_count=12,
            expected=4.5,
            ok_streak=2,
            detail={"peak": 20, "cause": "service"},
        ),
    ],
)
def test_an_episode_survives_its_stored_row(episode):
    row = row_from_episode(episode)
    assert row["detail"] == json.dumps(episode.detail, sort_keys=True)
    assert row["resolved_at"] == (episode.resolved_at.isoformat() if episode.resolved_at else None)
    assert episode_from_row(row) == episode


@dataclass
class Agent:
    name: str
    broke_sla: int


@dataclass
class Classification:
    classification: str
    volume: int


@pytest.mark.parametrize(
    "agents, classifications, expected",
    [
        (None, None, {}),
        ([Agent("Bo", 0)], [], {"agents": []}),
        (
            [Agent("bo", 3), Agent("Ada", 3), Agent("Cy", 9), Agent("Di", 0)],
            [Classification("Login", 2), Classification("Billing", 5), Classification("Login", 4)],
            {"agents": [["Cy", 9], ["Ada", 3], ["bo", 3]], "classifications": [["Login", 6], ["Billing", 5]]},
        ),
        (None, [Classification("Spam", 0)], {"classifications": []}),
    ],
)
def test_contributors_detail(agents, classifications, expected):
    assert contributors_detail(agents, classifications) == expected
