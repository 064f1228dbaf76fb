"""Digest subscriptions: the /lexer subscribe|unsubscribe|subscriptions handlers, their named queries, the trigger.

The database is the interface to the clock process: a subscription written
here is picked up by digests.schedule's sync job. The trigger lives here (not in
digests/) because the reply to `/lexer subscribe` names the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.commands import FEATURE_HANDLERS, Asker, Reply, Services, resolve_nps_form
from bot.errors import CommandError
from bot.slack.format import mrkdwn_escape
from bot.slack.messages.subscriptions import (
    KIND_TITLES,
    WEEKDAY_NAMES,
    form_words,
    subscribed_message,
    subscription_line,
    subscriptions_message,
    unsubscribed_message,
)
from bot.store import utcnow_iso
from bot.timeframe import local_midnight

logger = logging.getLogger(__name__)

KINDS = ("sla", "nps")
CADENCES = ("daily", "weekdays", "weekly")
DEFAULT_CADENCE = "daily"
DEFAULT_AT = "09:00"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Subscription:
    """One row of `subscriptions`."""

    id: int
    kind: str
    form_id: int | None
    channel_id: str
    cadence: str
    weekday: int | None
    at_time: str
    tz: str
    created_by: str | None = None
    created_at: str | None = None
    paused: bool = False
    broken_reason: str | None = None

    @classmethod
    def from_row(cls, row: dict) -> Subscription:
        return cls(
            int(row["id"]),
            row["kind"],
            row.get("form_id"),
            row["channel_id"],
            row["cadence"],
            row.get("weekday"),
            row["at_time"],
            row["tz"],
            row.get("created_by"),
            row.get("created_at"),
            bool(row.get("paused")),
            row.get("broken_reason"),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def active(self) -> bool:
        return not self.paused and not self.broken_reason

    def schedule_key(self) -> str:
        """What the scheduler job depends on; a change here reschedules the job."""
        return f"{self.kind}:{self.form_id}:{self.cadence}:{self.weekday}:{self.at_time}:{self.tz}"

    def cadence_words(self) -> str:
        if self.cadence == "weekly":
            return f"every {WEEKDAY_NAMES[self.weekday or 0]}"
        if self.cadence == "weekdays":
            return "weekdays"
        return "daily"


# ------------------------------------------------------------------ trigger


class DigestTrigger(CronTrigger):
    """CronTrigger that fires at most once per local day, at the first occurrence of the wall time.

    APScheduler 3.11's CronTrigger fires twice when the wall time repeats at a
    DST fall-back (01:30 in New York on the first Sunday of November) and then
    keeps answering the same instant; a process started between the two
    occurrences would fire the second one. A skipped wall time (02:30 at spring
    forward) already fires once, an hour later by the clock.
    """

    def get_next_fire_time(self, previous_fire_time, now):
        nxt = super().get_next_fire_time(previous_fire_time, now)
        if nxt is None:
            return None
        local = nxt.astimezone(self.timezone)
        repeat = local.replace(fold=0).astimezone(timezone.utc) != nxt.astimezone(timezone.utc)
        same_day = (
            previous_fire_time is not None and local.date() <= previous_fire_time.astimezone(self.timezone).date()
        )
        if not (repeat or same_day):
            return nxt
        # this local day has had (or, for the repeat, had an hour ago) its fire: go to the next day
        after = local_midnight(local.date() + timedelta(days=1), self.timezone)
        return super().get_next_fire_time(None, max(after, now))


def digest_trigger(sub: Subscription) -> DigestTrigger:
    hour, minute = (int(x) for x in sub.at_time.split(":"))
    day_of_week = {"daily": "*", "weekdays": "mon-fri"}.get(sub.cadence) or WEEKDAYS[sub.weekday or 0]
    return DigestTrigger(day_of_week=day_of_week, hour=hour, minute=minute, timezone=sub.zone)


def next_run(sub: Subscription, now: datetime) -> datetime:
    """The next fire time after `now`, in the subscription's timezone."""
    return digest_trigger(sub).get_next_fire_time(None, now).astimezone(sub.zone)


def fire_times(sub: Subscription, start: datetime, end: datetime) -> list[datetime]:
    """Every fire time in [start, end), walking the trigger as the scheduler does."""
    trigger, out, prev = digest_trigger(sub), [], None
    t = trigger.get_next_fire_time(None, start)
    while t is not None and t < end:
        out.append(t)
        prev = t
        t = trigger.get_next_fire_time(prev, t + timedelta(microseconds=1))
    return out


# ------------------------------------------------------------------ named queries


def get_subscription(store, sub_id: int) -> Subscription | None:
    rows = list(store.db.query("select * from subscriptions where id = ?", [sub_id]))
    return Subscription.from_row(rows[0]) if rows else None


def list_subscriptions(store, *, active_only: bool = False) -> list[Subscription]:
    sql = "select * from subscriptions"
    if active_only:
        sql += " where coalesce(paused, 0) = 0 and broken_reason is null"
    return [Subscription.from_row(r) for r in store.db.query(sql + " order by id")]


def add_subscription(
    store,
    *,
    kind: str,
    channel_id: str,
    cadence: str,
    at_time: str,
    tz: str,
    created_by: str,
    form_id: int | None = None,
    weekday: int | None = None,
    now: datetime | None = None,
) -> Subscription:
    row = {
        "kind": kind,
        "form_id": form_id,
        "channel_id": channel_id,
        "cadence": cadence,
        "weekday": weekday if cadence == "weekly" else None,
        "at_time": at_time,
        "tz": tz,
        "created_by": created_by,
        "created_at": utcnow_iso(now),
        "paused": 0,
        "broken_reason": None,
    }
    table = store.db["subscriptions"]
    table.insert(row)
    return get_subscription(store, table.last_pk)  # type: ignore[return-value]


def find_duplicate(store, kind: str, form_id: int | None, channel_id: str) -> Subscription | None:
    rows = store.db.query(
        "select * from subscriptions where kind = ? and channel_id = ? and "
        "coalesce(form_id, 0) = ? and broken_reason is null",
        [kind, channel_id, form_id or 0],
    )
    return next((Subscription.from_row(r) for r in rows), None)


def delete_subscription(store, sub_id: int) -> bool:
    cur = store.db.conn.execute("delete from subscriptions where id = ?", (sub_id,))
    return cur.rowcount == 1


def mark_broken(store, sub_id: int, reason: str) -> bool:
    """Record why a subscription cannot post; True only for the call that broke it (so its creator is told once)."""
    cur = store.db.conn.execute(
        "update subscriptions set broken_reason = ? where id = ? and broken_reason is null", (reason, sub_id)
    )
    return cur.rowcount == 1


# ------------------------------------------------------------------ /lexer handlers


def _parse_at(text: str | None) -> str:
    raw = (text or DEFAULT_AT).strip()
    try:
        hour, minute = (int(x) for x in raw.split(":"))
    except ValueError:
        raise CommandError(f"`{raw}` is not a time.", hint="Write the time as HH:MM, e.g. `at 09:00`.") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise CommandError(f"`{raw}` is not a time of day.", hint="Write the time as HH:MM, e.g. `at 09:00`.")
    return f"{hour:02d}:{minute:02d}"


def _zone_name(cmd, asker: Asker) -> str:
    name = getattr(cmd, "tz_name", None) or getattr(asker.tz, "key", None) or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(
            f"`{name}` is not a timezone I know.",
            hint="Use an IANA name like `tz Australia/Sydney` or `tz America/New_York`.",
        ) from None
    return name


def channel_problem(slack, channel_id: str) -> str | None:
    """None when the bot can post in the channel; else the Slack error code that says why not."""
    if slack is None:
        return None
    from slack_sdk.errors import SlackApiError

    from bot.slack_web import slack_error_code

    try:
        info = slack.conversations_info(channel=channel_id).get("channel") or {}
    except SlackApiError as exc:
        return slack_error_code(exc)
    if info.get("is_archived"):
        return "is_archived"
    if info.get("is_im") or info.get("is_member", True):
        return None
    return "not_in_channel"


def find_channel_id(slack, name: str) -> str:
    """`#support` typed as text (not picked from autocomplete) -> its id, through conversations.list."""
    name = name.lstrip("#").lower()
    cursor = None
    try:
        for _ in range(20):  # 20 pages of 200 channels is plenty; past that, ask for the link form
            page = slack.conversations_list(
                limit=200, cursor=cursor, exclude_archived=True, types="public_channel,private_channel"
            )
            for ch in page.get("channels") or []:
                if str(ch.get("name", "")).lower() == name:
                    return ch["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except Exception as exc:  # no slack client, a missing scope, or a network failure
        logger.info("conversations.list could not resolve #%s: %s", name, type(exc).__name__)
    raise CommandError(
        f"I could not find a channel called #{mrkdwn_escape(name)}.",
        hint="Pick the channel from Slack's autocomplete as you type `#`, or run `/lexer subscribe` in that channel.",
    )


def _channel_refusal(code: str, channel_id: str) -> CommandError:
    from bot.slack_web import CHANNEL_HELP

    hint = CHANNEL_HELP.get(code, f"Slack said `{code}`; check the channel and try again.")
    return CommandError(f"I can't post digests in <#{channel_id}>.", hint=hint)


def subscribe(cmd, asker: Asker, services: Services, runtime=None) -> Reply:
    kind = getattr(cmd, "digest_kind", None)
    if kind not in KINDS:
        raise CommandError(
            "Say which digest: `sla` or `nps`.", hint="e.g. `/lexer subscribe sla #support daily at 09:00`"
        )
    channel_id = getattr(cmd, "channel_id", None)
    if channel_id is None and getattr(cmd, "channel_name", None):
        channel_id = find_channel_id(services.slack, cmd.channel_name)
    channel_id = channel_id or asker.channel_id
    if not channel_id:
        raise CommandError("Say which channel the digest goes to.", hint="e.g. `/lexer subscribe sla #support`")
    cadence = getattr(cmd, "cadence", None) or DEFAULT_CADENCE
    if cadence not in CADENCES:
        raise CommandError(f"`{cadence}` is not a cadence.", hint="Use daily, weekdays or weekly DAY.")
    weekday = getattr(cmd, "weekday", None)
    if cadence == "weekly" and weekday is None:
        raise CommandError("Say which day for a weekly digest.", hint="e.g. `weekly mon`")
    at_time = _parse_at(getattr(cmd, "at_time", None))
    tz = _zone_name(cmd, asker)
    form_id = None
    form_name = None
    if kind == "nps":
        form = resolve_nps_form(services.directory, getattr(cmd, "form", None))
        form_id = form.id
        form_name = form.name
    problem = channel_problem(services.slack, channel_id)
    if problem:
        raise _channel_refusal(problem, channel_id)
    now = services.now()
    existing = find_duplicate(services.store, kind, form_id, channel_id)
    if existing is not None:
        raise CommandError(
            f"<#{channel_id}> already gets the {KIND_TITLES[kind]}{form_words(form_name)} (subscription `{existing.id}`).",
            hint=f"To change it, `/lexer unsubscribe {existing.id}` and subscribe again.",
        )
    sub = add_subscription(
        services.store,
        kind=kind,
        channel_id=channel_id,
        cadence=cadence,
        at_time=at_time,
        tz=tz,
        created_by=asker.user_id,
        form_id=form_id,
        weekday=weekday,
        now=now,
    )
    services.store.audit(
        asker.user_id,
        "subscribe",
        {
            "id": sub.id,
            "kind": kind,
            "form_id": form_id,
            "channel_id": channel_id,
            "cadence": cadence,
            "weekday": sub.weekday,
            "at_time": at_time,
            "tz": tz,
        },
        now=now,
    )
    wake_scheduler(runtime)
    return Reply(subscribed_message(sub, form_name, next_run(sub, now)), public=False)


def unsubscribe(cmd, asker: Asker, services: Services, runtime=None) -> Reply:
    sub_id = getattr(cmd, "subscription_id", None)
    if sub_id is None:
        raise CommandError("Say which subscription to stop.", hint="`/lexer subscriptions` lists them with their ids.")
    sub = get_subscription(services.store, int(sub_id))
    if sub is None or not delete_subscription(services.store, sub.id):
        raise CommandError(
            f"There is no subscription `{sub_id}`.", hint="`/lexer subscriptions` lists them with their ids."
        )
    services.store.audit(
        asker.user_id,
        "unsubscribe",
        {"id": sub.id, "kind": sub.kind, "form_id": sub.form_id, "channel_id": sub.channel_id},
        now=services.now(),
    )
    wake_scheduler(runtime)
    return Reply(unsubscribed_message(sub), public=False)


def list_handler(cmd, asker: Asker, services: Services, runtime=None) -> Reply:
    now = services.now()
    lines = [subscription_line(s, next_run(s, now) if s.active else None) for s in list_subscriptions(services.store)]
    return Reply(subscriptions_message(lines))


def wake_scheduler(runtime) -> None:
    """In `serve`, run the sync job now so the change takes effect at once (the clock process syncs on its own)."""
    scheduler = getattr(runtime, "scheduler", None)
    if scheduler is None:
        return
    try:
        scheduler.modify_job("digests.sync", next_run_time=datetime.now(timezone.utc))
    except Exception:  # no sync job (scheduler without digests): the next start picks it up
        logger.debug("no digest sync job to wake")


def install(runtime) -> None:
    """Register /lexer subscribe, unsubscribe and subscriptions."""
    FEATURE_HANDLERS["subscribe"] = lambda cmd, asker, services: subscribe(cmd, asker, services, runtime)
    FEATURE_HANDLERS["unsubscribe"] = lambda cmd, asker, services: unsubscribe(cmd, asker, services, runtime)
    FEATURE_HANDLERS["subscriptions"] = lambda cmd, asker, services: list_handler(cmd, asker, services, runtime)
