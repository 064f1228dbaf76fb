"""bot.store.subscriptions: the row type and its named queries."""

from datetime import datetime, timezone

import pytest

from bot.store.subscriptions import Subscription

NOW = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)


def add(store, kind="sla", channel_id="C1", cadence="daily", form_id=None, weekday=None):
    return store.subscriptions.add(
        kind=kind,
        channel_id=channel_id,
        cadence=cadence,
        at_time="09:00",
        tz="Australia/Sydney",
        created_by="UADMIN",
        form_id=form_id,
        weekday=weekday,
        now=NOW,
    )


def test_add_then_get(fresh_store):
    sub = add(fresh_store)
    assert sub == fresh_store.subscriptions.get(sub.id)
    assert (sub.kind, sub.channel_id, sub.created_at, sub.paused, sub.broken_reason) == (
        "sla",
        "C1",
        "2024-05-01T12:00:00+00:00",
        False,
        None,
    )
    assert fresh_store.subscriptions.get(sub.id + 1) is None


@pytest.mark.parametrize("cadence,weekday,stored", [("weekly", 2, 2), ("daily", 2, None), ("weekdays", 4, None)])
def test_weekday_is_kept_for_weekly_only(fresh_store, cadence, weekday, stored):
    assert add(fresh_store, cadence=cadence, weekday=weekday).weekday == stored


def test_all_in_id_order_and_active_only(fresh_store):
    a, b, c = add(fresh_store, channel_id="C1"), add(fresh_store, channel_id="C2"), add(fresh_store, channel_id="C3")
    fresh_store.subscriptions.set_paused(b.id, True)
    fresh_store.subscriptions.mark_broken(c.id, "not_in_channel")
    assert [s.id for s in fresh_store.subscriptions.all()] == [a.id, b.id, c.id]
    assert [s.id for s in fresh_store.subscriptions.all(active_only=True)] == [a.id]
    fresh_store.subscriptions.set_paused(b.id, False)
    assert [s.id for s in fresh_store.subscriptions.all(active_only=True)] == [a.id, b.id]


def test_latest(fresh_store):
    assert fresh_store.subscriptions.latest() is None
    add(fresh_store, channel_id="C1")
    assert fresh_store.subscriptions.latest().channel_id == "C1"
    add(fresh_store, channel_id="C2")
    assert fresh_store.subscriptions.latest().channel_id == "C2"


@pytest.mark.parametrize(
    "kind,form_id,channel_id,found",
    [("nps", 7, "C1", True), ("nps", 8, "C1", False), ("nps", 7, "C2", False), ("sla", None, "C1", True)],
)
def test_find_duplicate(fresh_store, kind, form_id, channel_id, found):
    add(fresh_store, kind="nps", form_id=7)
    add(fresh_store, kind="sla")
    dup = fresh_store.subscriptions.find_duplicate(kind, form_id, channel_id)
    assert (dup is not None) is found


def test_a_broken_subscription_is_no_duplicate(fresh_store):
    sub = add(fresh_store)
    fresh_store.subscriptions.mark_broken(sub.id, "is_archived")
    assert fresh_store.subscriptions.find_duplicate("sla", None, "C1") is None


def test_delete_says_whether_it_deleted(fresh_store):
    sub = add(fresh_store)
    assert fresh_store.subscriptions.delete(sub.id) is True
    assert fresh_store.subscriptions.delete(sub.id) is False
    assert fresh_store.subscriptions.get(sub.id) is None


def test_mark_broken_is_true_once(fresh_store):
    sub = add(fresh_store)
    assert fresh_store.subscriptions.mark_broken(sub.id, "not_in_channel") is True
    assert fresh_store.subscriptions.mark_broken(sub.id, "is_archived") is False
    assert fresh_store.subscriptions.get(sub.id).broken_reason == "not_in_channel"


@pytest.mark.parametrize(
    "cadence,weekday,words", [("daily", None, "daily"), ("weekdays", None, "weekdays"), ("weekly", 4, "every Friday")]
)
def test_cadence_words(cadence, weekday, words):
    assert Subscription(1, "sla", None, "C1", cadence, weekday, "09:00", "UTC").cadence_words() == words


def test_from_row_reads_sqlite_ints():
    row = {
        "id": "3",
        "kind": "sla",
        "channel_id": "C1",
        "cadence": "daily",
        "at_time": "09:00",
        "tz": "UTC",
        "paused": 1,
    }
    sub = Subscription.from_row(row)
    assert (sub.id, sub.paused, sub.active, sub.form_id) == (3, True, False, None)


def test_schedules_are_the_active_subscriptions_distinct_times(fresh_store):
    a = add(fresh_store, channel_id="C1")
    add(fresh_store, channel_id="C2")  # the same schedule as a's
    add(fresh_store, kind="nps", form_id=55, channel_id="C3")
    add(fresh_store, channel_id="C4", cadence="weekly", weekday=2)
    paused = add(fresh_store, channel_id="C5", cadence="weekdays")
    fresh_store.subscriptions.set_paused(paused.id, True)
    broken = add(fresh_store, channel_id="C6", cadence="weekly", weekday=5)
    fresh_store.subscriptions.mark_broken(broken.id, "not_in_channel")
    fresh_store.for_workspace("T0OTHER").subscriptions.add(
        kind="sla", channel_id="C7", cadence="weekly", weekday=6, at_time="10:00", tz="UTC", created_by="U1"
    )
    assert sorted(fresh_store.subscriptions.schedules(), key=repr) == sorted(
        [
            ("sla", None, "daily", None, "09:00", "Australia/Sydney"),
            ("nps", 55, "daily", None, "09:00", "Australia/Sydney"),
            ("sla", None, "weekly", 2, "09:00", "Australia/Sydney"),
        ],
        key=repr,
    )
    fresh_store.subscriptions.set_paused(a.id, True)
    assert len(fresh_store.subscriptions.schedules()) == 3  # C2 still holds a's schedule
