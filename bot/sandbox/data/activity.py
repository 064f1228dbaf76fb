"""ActivityData: the sandbox's world for one seed, its days generated lazily and cached, cut to any window.

Everything is generated per UTC day from (seed, day) and cached, at message
granularity with integer-second timestamps, so any window (any UTC offset) can
be cut exactly and a range always equals the sum of its days. What a message
looks like *now* (assigned, in progress, responded) is derived from `now` at
query time, so the cache never goes stale as the clock moves.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.sandbox.data.cases import generate_cases
from bot.sandbox.data.records import Agent, Case, Message, Spike, Survey
from bot.sandbox.data.surveys import generate_surveys
from bot.sandbox.data.world import (
    AGENTS,
    ARCHIVED_AGENT,
    ARCHIVED_AGO_DAYS,
    DAY_S,
    HISTORY_DAYS,
    UTC,
    day_start,
    epoch,
    utc_date,
)


class ActivityData:
    """The sandbox's world: agents, and messages/cases/surveys generated lazily per UTC day."""

    def __init__(self, seed: int, anchor: datetime, extra_agents: int = 0):
        self.seed = seed
        self.anchor = anchor.astimezone(UTC)
        self.history_start = self.anchor.date() - timedelta(days=HISTORY_DAYS)
        archived_on = self.anchor.date() - timedelta(days=ARCHIVED_AGO_DAYS)
        self.agents: dict[int, Agent] = {a[0]: Agent(*a) for a in AGENTS}
        self.agents[ARCHIVED_AGENT[0]] = Agent(*ARCHIVED_AGENT, archived_on=archived_on)
        zones = ("Australia/Sydney", "America/New_York", "Europe/London")
        for n in range(extra_agents):  # a bigger team, for fan-out tests (agent digests); ids after the real ones
            self.agents[30001 + n] = Agent(30001 + n, "Agent", f"Extra{n + 1:02d}", zones[n % 3], (123,), 0.5, 10)
        self._lock = threading.RLock()
        self._cases: dict[date, list[Case]] = {}
        self._messages: dict[date, tuple[list[int], list[Message]]] = {}
        self._surveys: dict[tuple[date, int], list[Survey]] = {}
        self._submitted: dict[tuple[date, int], tuple[list[int], list[Survey]]] = {}
        self._spikes: dict[date, list[Spike]] = {}
        self.injected_spikes: list[Spike] = []

    # ------------------------------------------------------------ lists

    def users(self, now: datetime) -> list[dict]:
        out = []
        for a in sorted(self.agents.values(), key=lambda a: a.id):
            rng = random.Random(f"{self.seed}:user:{a.id}")
            off = now.astimezone(ZoneInfo(a.timezone)).utcoffset() or timedelta(0)
            hours = off.total_seconds() / 3600
            last = (
                datetime.combine(a.archived_on, datetime.min.time(), UTC) - timedelta(days=3)
                if a.archived_on
                else now.astimezone(UTC) - timedelta(hours=rng.randint(1, 40))
            )
            last = last.replace(minute=rng.randint(0, 59), second=rng.randint(0, 59), microsecond=0)
            out.append(
                {
                    "id": a.id,
                    "email": a.email,
                    "first_name": a.first_name,
                    "last_name": a.last_name,
                    "timezone": a.timezone,
                    "gmtoffset": int(hours) if hours == int(hours) else hours,
                    "sign_in_count": a.sign_in_count,
                    "last_sign_in_at": last.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "archived": a.archived_on is not None,
                    "groups": list(a.groups),
                }
            )
        return out

    def agents_in_groups(self, group_ids: Iterable[int]) -> frozenset[int]:
        gs = set(group_ids)
        return frozenset(a.id for a in self.agents.values() if gs.intersection(a.groups))

    # ------------------------------------------------------------ spikes

    def spikes_on(self, d: date) -> list[Spike]:
        """SLA-breach spikes (slow replies for a few hours) starting on UTC day d."""
        got = self._spikes.get(d)
        if got is None:
            rng = random.Random(f"{self.seed}:spike:{d.isoformat()}")
            got = []
            if rng.random() < 0.05:
                # during the team's working day (Sydney 09:00-18:00 = 23:00-08:00 UTC)
                start = day_start(d) + ((23 + rng.randrange(0, 9)) % 24) * 3600
                got.append(Spike(start, start + rng.randint(2, 5) * 3600, rng.uniform(6.0, 11.0)))
            got += [s for s in self.injected_spikes if utc_date(s.start) == d]
            self._spikes[d] = got
        return got

    def _spike_factor(self, ts: int) -> float:
        d = utc_date(ts)
        f = 1.0
        for dd in (d - timedelta(days=1), d):
            for s in self.spikes_on(dd):
                if s.start <= ts < s.end:
                    f = max(f, s.factor)
        return f

    def inject_spike(self, start: datetime, hours: float = 3.0, factor: float = 8.0) -> None:
        """Make replies to messages received in [start, start+hours) `factor` times slower."""
        s0 = epoch(start)
        spike = Spike(s0, s0 + int(hours * 3600), factor)
        with self._lock:
            self.injected_spikes.append(spike)
            first = utc_date(s0) - timedelta(days=3)
            for cache in (self._cases, self._messages, self._spikes):
                for d in [d for d in cache if d >= first]:
                    del cache[d]

    # ------------------------------------------------------------ cases and messages

    def cases_created_on(self, d: date) -> list[Case]:
        got = self._cases.get(d)
        if got is None:
            with self._lock:
                got = self._cases.get(d)
                if got is None:
                    got = (
                        generate_cases(self.seed, d, self.agents.values(), self._spike_factor)
                        if d >= self.history_start
                        else []
                    )
                    self._cases[d] = got
        return got

    def messages_on(self, d: date) -> tuple[list[int], list[Message]]:
        """Messages received on UTC day d, sorted by time, with their timestamps for bisecting."""
        got = self._messages.get(d)
        if got is None:
            with self._lock:
                got = self._messages.get(d)
                if got is None:
                    lo, hi = day_start(d), day_start(d) + DAY_S
                    msgs = [
                        m
                        for dd in (d - timedelta(days=2), d - timedelta(days=1), d)
                        for c in self.cases_created_on(dd)
                        for m in c.messages
                        if lo <= m.ts < hi
                    ]
                    msgs.sort(key=lambda m: (m.ts, m.id))
                    got = ([m.ts for m in msgs], msgs)
                    self._messages[d] = got
        return got

    def messages_between(self, t0: int, t1: int, now: float) -> list[Message]:
        """Messages received in [t0, t1] (inclusive, epoch seconds) and by now."""
        t1 = min(t1, int(now))
        out: list[Message] = []
        if t1 < t0:
            return out
        d = utc_date(t0)
        last = utc_date(t1)
        while d <= last:
            ts, msgs = self.messages_on(d)
            ds = day_start(d)
            if t0 <= ds and ds + DAY_S - 1 <= t1:
                out.extend(msgs)
            else:
                out.extend(msgs[bisect.bisect_left(ts, t0) : bisect.bisect_right(ts, t1)])
            d += timedelta(days=1)
        return out

    def cases_touching(self, t0: int, t1: int) -> Iterator[Case]:
        """Cases that can be open or close within [t0, t1] (created up to 10 days before)."""
        d = utc_date(t0) - timedelta(days=10)
        last = utc_date(t1)
        while d <= last:
            yield from self.cases_created_on(d)
            d += timedelta(days=1)

    def cases_closed_between(self, t0: int, t1: int, now: float) -> list[Case]:
        t1 = min(t1, int(now))
        return [
            c for c in self.cases_touching(t0, t1) if c.is_case and t0 <= c.closed_at < t1 + 1 and c.closed_at <= now
        ]

    # ------------------------------------------------------------ NPS

    def surveys_sent_on(self, d: date, form: int) -> list[Survey]:
        key = (d, form)
        got = self._surveys.get(key)
        if got is None:
            with self._lock:
                got = self._surveys.get(key)
                if got is None:
                    got = generate_surveys(self.seed, d, form, self.agents.values()) if d >= self.history_start else []
                    self._surveys[key] = got
        return got

    def surveys_submitted_on(self, d: date, form: int) -> tuple[list[int], list[Survey]]:
        key = (d, form)
        got = self._submitted.get(key)
        if got is None:
            with self._lock:
                got = self._submitted.get(key)
                if got is None:
                    lo, hi = day_start(d), day_start(d) + DAY_S
                    subs = [
                        s
                        for dd in (d - timedelta(days=2), d - timedelta(days=1), d)
                        for s in self.surveys_sent_on(dd, form)
                        if s.submitted_ts is not None and lo <= s.submitted_ts < hi
                    ]
                    subs.sort(key=lambda s: (s.submitted_ts, s.id))
                    got = ([s.submitted_ts for s in subs], subs)  # type: ignore[misc]
                    self._submitted[key] = got
        return got

    def _between(self, t0: int, t1: int, now: float, day_lists) -> list:
        t1 = min(t1, int(now))
        out: list = []
        d, last = utc_date(t0), utc_date(t1)
        while t0 <= t1 and d <= last:
            ts, items = day_lists(d)
            out.extend(items[bisect.bisect_left(ts, t0) : bisect.bisect_right(ts, t1)])
            d += timedelta(days=1)
        return out

    def surveys_sent_between(self, t0: int, t1: int, now: float, form: int) -> list[Survey]:
        def day(d):
            s = self.surveys_sent_on(d, form)
            return [x.sent_ts for x in s], s

        return self._between(t0, t1, now, day)

    def submissions_between(self, t0: int, t1: int, now: float, form: int) -> list[Survey]:
        return self._between(t0, t1, now, lambda d: self.surveys_submitted_on(d, form))
