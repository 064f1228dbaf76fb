"""App Home: today's numbers, the workspace's digests and alerts (with admin buttons), and a short how-to.

`publish_home` answers app_home_opened and `ACTIONS` are the Home tab's buttons (bot/features/__init__.py lists them).
The view is built by the pure `bot.slack.messages.home.home_view()`; `gather()` reads its inputs from the
Activity API and the database through the subscriptions and alerts features' own queries, so Home and
`/lexer` never disagree.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.commands.answer import asker_is_admin, lexer_missing
from bot.errors import LexerBotError
from bot.slack.actions import HOME_DELETE as DELETE
from bot.slack.actions import HOME_PAUSE as PAUSE
from bot.slack.actions import HOME_RESUME as RESUME
from bot.slack.actions import HOME_UNSNOOZE as UNSNOOZE
from bot.slack.actions import parse_button_channel, parse_subscription_button_value
from bot.slack.messages.home import NOT_ADMIN, HomeData, TodayNumbers, home_view
from bot.slack.messages.targets import applicable, targets_from_rows
from bot.timeframe import parse_range
from digests.alerts.detect import DEFAULT_MIN_COUNT, DEFAULT_SENSITIVITY, DEFAULT_WINDOW_MINUTES
from digests.triggers import next_run

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------ gathering (Activity API + database)


def today_numbers(api, tz: ZoneInfo, now: datetime) -> TodayNumbers:
    """`summary` for today in tz; an error becomes a sentence, never an exception."""
    try:
        tf = parse_range("today", tz, now)
        s = api.summary(tf)
        return TodayNumbers(
            s.total_volume, s.total_responded_to, s.broke_sla, s.median_response_time, words=tf.describe()
        )
    except LexerBotError as exc:
        return TodayNumbers(error=f"Could not load today's numbers: {exc.message}")
    except Exception as exc:
        logger.warning("Home: today's summary failed: %s", type(exc).__name__)
        return TodayNumbers(error="Could not load today's numbers right now; reopen the tab in a minute.")


def load_subscriptions(store, now: datetime) -> list[dict]:
    rows = []
    for sub in store.subscriptions.all():
        nxt = next_run(sub, now) if sub.active else None
        rows.append({**sub.__dict__, "next_run": nxt})
    return rows


def _with_defaults(cfg: dict) -> dict:
    """A config row with the alerts feature's defaults where a setting is empty."""
    return {
        **cfg,
        "window_minutes": cfg.get("window_minutes") or DEFAULT_WINDOW_MINUTES,
        "min_count": cfg.get("min_count") or DEFAULT_MIN_COUNT,
        "sensitivity": cfg.get("sensitivity") or DEFAULT_SENSITIVITY,
    }


def load_alerts(store) -> list[dict]:
    return [_with_defaults(cfg) for cfg in store.alerts.enabled_with_open_episode()]


FAILED_DIGESTS_SHOWN_FOR = timedelta(days=2)


def load_failed_digests(store, user_id: str, is_admin: bool, now: datetime) -> list[dict]:
    """Digests that could not be posted lately: the viewer's own, or every one for an admin."""
    runs = store.digest_runs.failed_since(now - FAILED_DIGESTS_SHOWN_FOR)
    return [r for r in runs if is_admin or r.get("created_by") == user_id]


def gather(deps, user_id: str, notice: str | None = None, client=None) -> HomeData:
    """Read what the Home tab shows for one viewer."""
    settings = deps.settings
    now = deps.now()
    tz = deps.timezones.tz_for(user_id) if user_id else settings.tz
    admin = bool(user_id) and asker_is_admin(deps, user_id, client or deps.slack)
    # a workspace with no usable Lexer connection shows how to connect in place of today's numbers: no call
    missing = lexer_missing(deps, admin)
    return HomeData(
        user_id=user_id,
        is_admin=admin,
        now=now,
        tz=tz,
        today=today_numbers(deps.api, tz, now) if missing is None else TodayNumbers(),
        lexer_missing=missing["text"] if missing is not None else None,
        subscriptions=load_subscriptions(deps.store, now),
        alerts=load_alerts(deps.store),
        sandbox=settings.sandbox_mode and missing is None,
        # a distributed install always has admins: its installer, and the workspace's owners and admins
        admins_configured=deps.tenancy is not None or bool(settings.admins),
        notice=notice,
        failed_digests=load_failed_digests(deps.store, user_id, admin, now),
        targets=applicable(targets_from_rows(deps.store.targets.all())) or None,
    )


def publish_home(user_id: str, deps, client, notice: str | None = None) -> None:
    """Build and views.publish the Home tab for one user."""
    if not user_id:
        return
    client.views_publish(user_id=user_id, view=home_view(gather(deps, user_id, notice, client)))


# ------------------------------------------------------------------ buttons


def _actor(body: dict) -> str:
    return str((body.get("user") or {}).get("id") or "")


def change_subscription(deps, action_id: str, sub_id: int, user_id: str) -> str:
    """Pause, resume or delete one subscription; returns what happened, in words."""
    store, now = deps.store, deps.now()
    sub = store.subscriptions.get(sub_id)
    if sub is None:
        return f"Digest #{sub_id} no longer exists."
    if action_id == DELETE:
        store.subscriptions.delete(sub_id)
        store.audit_log.record(user_id, "unsubscribe", {"id": sub_id, "via": "home"}, now=now)
        done = f"Deleted digest #{sub_id}."
    else:
        paused = action_id == PAUSE
        store.subscriptions.set_paused(sub_id, paused)
        store.audit_log.record(
            user_id, "subscription.pause" if paused else "subscription.resume", {"id": sub_id, "via": "home"}, now=now
        )
        done = f"{'Paused' if paused else 'Resumed'} digest #{sub_id}."
    deps.clock.ring()  # in `serve`, the scheduler picks the change up at once
    return done


def end_snooze(deps, channel_id: str, user_id: str) -> str:
    alerts, now = deps.store.alerts, deps.now()
    if alerts.config(channel_id) is None:
        return f"Alerts are not set up for <#{channel_id}> any more."
    alerts.snooze(channel_id, None, now)
    deps.store.audit_log.record(
        user_id, "alerts.snooze", {"channel_id": channel_id, "until": None, "via": "home"}, now=now
    )
    return f"Alerts for <#{channel_id}> are no longer snoozed."


def _subscription_button(action, body, deps, client=None, respond=None) -> None:
    user_id = _actor(body)
    if not asker_is_admin(deps, user_id, client or deps.slack):
        notice = NOT_ADMIN
    else:
        try:
            sub_id = parse_subscription_button_value(action.get("value"))
            notice = change_subscription(deps, action.get("action_id", ""), sub_id, user_id)
        except ValueError:
            notice = ":warning: That button carried no digest number; reopen the Home tab."
    publish_home(user_id, deps, client or deps.slack, notice)


def _unsnooze_button(action, body, deps, client=None, respond=None) -> None:
    user_id = _actor(body)
    if not asker_is_admin(deps, user_id, client or deps.slack):
        notice = NOT_ADMIN
    else:
        notice = end_snooze(deps, parse_button_channel(action.get("value")), user_id)
    publish_home(user_id, deps, client or deps.slack, notice)


ACTIONS = {
    PAUSE: _subscription_button,
    RESUME: _subscription_button,
    DELETE: _subscription_button,
    UNSNOOZE: _unsnooze_button,
}
