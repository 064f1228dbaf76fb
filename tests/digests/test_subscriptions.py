"""/lexer subscribe | subscriptions | unsubscribe end to end: signed slash commands through the served bot."""

import json

import pytest

from bot.slack.text import render_message_text
from tests.conftest import ADMIN, CHANNEL, USER_NEW_YORK, USER_SYDNEY


def text_of(reply: dict) -> str:
    return render_message_text(reply)


def audit(bot) -> list[tuple[str, str, dict]]:
    return [
        (r["user_id"], r["action"], json.loads(r["detail"]))
        for r in bot.deps.store.db.query("select * from audit_log order by id")
    ]


@pytest.mark.both_databases
def test_subscribe_with_defaults_replies_with_the_id_and_next_run(bot):
    reply = bot.command("subscribe sla", user_id=ADMIN)
    [sub] = bot.deps.store.subscriptions.all()
    assert (sub.kind, sub.channel_id, sub.cadence, sub.at_time, sub.tz, sub.created_by) == (
        "sla",
        CHANNEL,
        "daily",
        "09:00",
        "Australia/Sydney",
        ADMIN,
    )  # this channel, the asker's timezone
    text = text_of(reply)
    assert f"Subscription `{sub.id}`" in reply["blocks"][0]["text"]["text"]
    assert "next: " in text and ("AEDT" in text or "AEST" in text) and "09:00" in text
    assert reply["response_type"] == "ephemeral"
    assert audit(bot) == [
        (
            ADMIN,
            "subscribe",
            {
                "id": sub.id,
                "kind": "sla",
                "form_id": None,
                "channel_id": CHANNEL,
                "cadence": "daily",
                "weekday": None,
                "at_time": "09:00",
                "tz": "Australia/Sydney",
            },
        )
    ]


def test_subscribe_nps_weekly_in_another_channel_and_zone(bot, slack):
    slack.app.add_channel("C0SUPPORT", "support", member=True)
    reply = bot.command("subscribe nps 55 <#C0SUPPORT|support> weekly mon at 08:30 tz America/New_York", user_id=ADMIN)
    [sub] = bot.deps.store.subscriptions.all()
    assert (sub.kind, sub.form_id, sub.channel_id, sub.cadence, sub.weekday, sub.at_time, sub.tz) == (
        "nps",
        55,
        "C0SUPPORT",
        "weekly",
        0,
        "08:30",
        "America/New_York",
    )
    text = text_of(reply)
    assert "every Monday at 08:30" in text and "next: Mon " in text and ("EST" in text or "EDT" in text)


@pytest.mark.parametrize(
    "channel, expect",
    [
        ("<#C0NOTIN|random>", "/invite @lexer"),
        ("<#C0ARCHIV|old>", "archived"),
        ("<#C0NOPE|nope>", "could not be found"),
    ],
)
def test_a_channel_the_bot_cannot_post_in_is_refused_with_what_to_do(bot, channel, expect):
    reply = bot.command(f"subscribe sla {channel}", user_id=ADMIN)
    assert expect in text_of(reply)
    assert bot.deps.store.subscriptions.all() == []


def test_a_non_admin_is_refused_and_told_who_can(bot):
    reply = bot.command("subscribe sla", user_id=USER_SYDNEY)
    text = text_of(reply)
    assert "Only lexer-bot admins" in text and ADMIN in text
    assert bot.deps.store.subscriptions.all() == []
    assert "admins" in text_of(bot.command("unsubscribe 1", user_id=USER_NEW_YORK))


def test_anyone_can_list_subscriptions_with_next_run_and_state(bot, slack):
    assert "No digests are scheduled" in text_of(bot.command("subscriptions", user_id=USER_SYDNEY))
    bot.command("subscribe sla", user_id=ADMIN)
    bot.command("subscribe nps 61 weekdays at 07:00", user_id=ADMIN)
    a, b = bot.deps.store.subscriptions.all()
    bot.deps.store.db["subscriptions"].update(b.id, {"broken_reason": "not_in_channel"})
    text = text_of(bot.command("subscriptions", user_id=USER_NEW_YORK))
    lines = [ln for ln in text.splitlines() if ln.startswith("`")]
    assert lines[0].startswith(f"`{a.id}` SLA digest in #C0GENERAL, daily at 09:00 Australia/Sydney · next: ")
    assert lines[1].startswith(f"`{b.id}` NPS digest (form 61) in #C0GENERAL, weekdays at 07:00")
    assert "stopped: the bot was removed from the channel" in lines[1]


def test_a_duplicate_subscription_is_refused(bot):
    bot.command("subscribe sla", user_id=ADMIN)
    reply = bot.command("subscribe sla at 10:00", user_id=ADMIN)
    assert "already gets the SLA digest" in text_of(reply)
    assert len(bot.deps.store.subscriptions.all()) == 1


def test_unsubscribe(bot):
    bot.command("subscribe sla", user_id=ADMIN)
    [sub] = bot.deps.store.subscriptions.all()
    reply = bot.command(f"unsubscribe {sub.id}", user_id=ADMIN)
    assert "will no longer get the SLA digest" in text_of(reply)
    assert bot.deps.store.subscriptions.all() == []
    assert audit(bot)[-1][:2] == (ADMIN, "unsubscribe")
    assert "no subscription `99`" in text_of(bot.command("unsubscribe 99", user_id=ADMIN))


@pytest.mark.both_databases
def test_a_subscription_made_in_slack_is_scheduled_by_the_clock_process(bot, sandbox, slack, tmp_path):
    """The web process writes the row; a separate scheduler on the same file picks it up on its next sync."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.cli import build_deps
    from bot.deps import close_deps
    from digests.schedule import JOB_PREFIX, sync_digest_jobs

    clock = build_deps(bot.deps.settings)  # the clock process: its own connection to the same file
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        assert sync_digest_jobs(scheduler, clock)["added"] == 0
        bot.command("subscribe sla at 06:45 tz Europe/London", user_id=ADMIN)
        assert sync_digest_jobs(scheduler, clock)["added"] == 1
        [job] = [j for j in scheduler.get_jobs() if j.id.startswith(JOB_PREFIX)]
        assert str(job.trigger.timezone) == "Europe/London"
    finally:
        scheduler.shutdown(wait=False)
        close_deps(clock)


def test_in_serve_a_new_subscription_is_scheduled_at_once(bot):
    from digests.schedule import JOB_PREFIX, start_background_scheduler
    from tests.conftest import wait_for

    scheduler = start_background_scheduler(bot.deps)
    try:
        bot.command("subscribe sla", user_id=ADMIN)
        [sub] = bot.deps.store.subscriptions.all()
        assert wait_for(lambda: scheduler.get_job(f"{JOB_PREFIX}{sub.id}"), timeout=5)
        bot.command(f"unsubscribe {sub.id}", user_id=ADMIN)
        wait_for(lambda: scheduler.get_job(f"{JOB_PREFIX}{sub.id}") is None, timeout=5)
    finally:
        bot.deps.clock.attach(None)
        scheduler.shutdown(wait=False)
