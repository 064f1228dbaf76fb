"""When a subscription's digest is due: its APScheduler trigger, its next run and its fire times."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.timeframe import local_midnight

if TYPE_CHECKING:
    from bot.store.subscriptions import Subscription

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # cron's day names, Monday = 0


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


@dataclass(frozen=True)
class Schedule:
    """When a digest falls due, without the rest of its subscription: many subscriptions share one."""

    cadence: str
    weekday: int | None
    at_time: str
    tz: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


def digest_trigger(sub: Subscription | Schedule) -> DigestTrigger:
    hour, minute = (int(x) for x in sub.at_time.split(":"))
    day_of_week = {"daily": "*", "weekdays": "mon-fri"}.get(sub.cadence) or WEEKDAYS[sub.weekday or 0]
    return DigestTrigger(day_of_week=day_of_week, hour=hour, minute=minute, timezone=sub.zone)


def next_run(sub: Subscription, now: datetime) -> datetime:
    """The next fire time after `now`, in the subscription's timezone."""
    return digest_trigger(sub).get_next_fire_time(None, now).astimezone(sub.zone)


def fire_times(sub: Subscription | Schedule, start: datetime, end: datetime) -> list[datetime]:
    """Every fire time in [start, end), walking the trigger as the scheduler does."""
    trigger, out, prev = digest_trigger(sub), [], None
    t = trigger.get_next_fire_time(None, start)
    while t is not None and t < end:
        out.append(t)
        prev = t
        t = trigger.get_next_fire_time(prev, t + timedelta(microseconds=1))
    return out


# entries: distinct schedules (every workspace's; a few thousand at most) times the one or two days a window spans.
# Room for all of them: each budget read touches every schedule once, and a cache that held fewer would lose
# every entry before its next use
FIRE_DAYS_CACHED = 32768


@functools.lru_cache(maxsize=FIRE_DAYS_CACHED)
def _fires_on(schedule: Schedule, day: date) -> tuple[datetime, ...]:
    """The fire times in one UTC day, walked once per schedule and day: a trigger's walk takes about a
    millisecond, and Lexer's budget asks for the coming five minutes of every schedule every few seconds."""
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return tuple(fire_times(schedule, start, start + timedelta(days=1)))


def fires_between(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """fire_times(schedule, start, end) from the cached days the window spans (the same times: a trigger
    fires at most once per local day, and each fire is found from any start before it on its UTC day)."""
    out: list[datetime] = []
    day = start.astimezone(timezone.utc).date()
    while datetime(day.year, day.month, day.day, tzinfo=timezone.utc) < end:
        out.extend(t for t in _fires_on(schedule, day) if start <= t < end)
        day += timedelta(days=1)
    return out
