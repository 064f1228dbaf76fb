"""Deterministic, plausible Activity data for the sandbox, and the reports computed from it (pure).

Everything is generated per UTC day from (seed, day) and cached, at message
granularity with integer-second timestamps, so any window (any UTC offset) can
be cut exactly and a range always equals the sum of its days. What a message
looks like *now* (assigned, in progress, responded) is derived from `now` at
query time, so the cache never goes stale as the clock moves.
"""

from __future__ import annotations

import bisect
import math
import random
import statistics
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

UTC = timezone.utc
DAY_S = 86400
HISTORY_DAYS = 400

#: customer-wait SLA and agent-response (assign -> reply) SLA, seconds
SLA_S = 3600.0
ACTION_SLA_S = 900.0

GROUPS: list[dict] = [
    {"id": 123, "name": "Social Customer Care", "comment": "Social customer care team members"},
    {"id": 456, "name": "Email Support", "comment": "Email and web-form support team"},
]

# (id, first, last, timezone, groups, workload weight, sign-ins)
_AGENTS = [
    (20481, "Jane", "Remington", "Australia/Sydney", (123,), 1.3, 412),
    (20482, "Barry", "Nguyen", "Australia/Sydney", (123,), 1.1, 298),
    (20485, "Priya", "Shah", "Australia/Melbourne", (123,), 1.0, 351),
    (20487, "Tom", "O'Brien", "Australia/Brisbane", (123,), 0.8, 187),
    (20490, "Mei", "Chen", "Australia/Sydney", (123,), 0.9, 240),
    (20493, "Lucas", "Martin", "America/New_York", (456,), 1.0, 203),
    (20494, "Aisha", "Okafor", "Pacific/Auckland", (456,), 0.9, 176),
    (20496, "Sam", "Taylor", "Australia/Sydney", (123, 456), 0.6, 530),
]
# left the team ARCHIVED_AGO_DAYS before the sandbox's start: history only before that
_ARCHIVED_AGENT = (20470, "Chris", "Walker", "Australia/Sydney", (123,), 1.0, 95)
ARCHIVED_AGO_DAYS = 75
EMAIL_DOMAIN = "brightwave.example"

FORMS: list[dict] = [
    {
        "id": 55,
        "name": "NPS Survey",
        "title": "Brightwave NPS Survey",
        "archived": False,
        "created_at": "2018-05-26T21:54:19Z",
        "groups": [123, 456],
        "nps": True,
        "form_url": "https://forms.lexer-sandbox.example/55/1/form",
    },
    {
        "id": 61,
        "name": "Post-chat NPS",
        "title": "How did we do?",
        "archived": False,
        "created_at": "2021-02-11T03:12:44Z",
        "groups": [123],
        "nps": True,
        "form_url": "https://forms.lexer-sandbox.example/61/1/form",
    },
    {
        "id": 70,
        "name": "Contact details",
        "title": "Confirm your details",
        "archived": False,
        "created_at": "2019-09-03T23:40:05Z",
        "groups": [123, 456],
        "nps": False,
        "form_url": "https://forms.lexer-sandbox.example/70/1/form",
    },
]
# surveys sent per weekday per NPS form
_FORM_DAILY_SENT = {55: 18, 61: 10}

CLASSIFICATIONS: list[tuple[int, str, float]] = [
    (466, "positive", 1.2),
    (526, "social nps", 0.5),
    (528, "feedback", 1.0),
    (1246, "amusing", 0.3),
    (1465, "image", 0.4),
    (1467, "loyalty", 0.6),
    (1472, "bot", 0.3),
    (1480, "complaint", 1.1),
    (1481, "delivery", 1.6),
    (1482, "refund", 0.9),
    (1490, "product question", 1.4),
]

STATES = (
    "new",
    "assigned",
    "in_progress",
    "responded",
    "awaiting_approval",
    "redirected",
    "irrelevant",
    "duplicate",
    "closed",
    "no_response_required",
)
CLOSED_STATES = frozenset({"redirected", "irrelevant", "duplicate", "closed", "no_response_required"})
NPS_CATEGORIES = ("all", "promoters", "passives", "detractors")

# customer messages by hour of the team's day (Sydney, UTC+10): quiet nights, busy days
_LOCAL_HOUR_WEIGHT = [
    0.15,
    0.1,
    0.08,
    0.08,
    0.1,
    0.15,
    0.3,
    0.6,
    1.0,
    1.1,
    1.1,
    1.05,
    0.95,
    1.0,
    1.05,
    1.0,
    0.95,
    0.85,
    0.75,
    0.7,
    0.65,
    0.55,
    0.4,
    0.25,
]
_UTC_HOUR_WEIGHT = [_LOCAL_HOUR_WEIGHT[(h + 10) % 24] for h in range(24)]
_DOW_FACTOR = [1.0, 1.05, 1.0, 0.97, 0.9, 0.55, 0.5]  # Mon..Sun
_CHANNELS = {123: ("twitter", "facebook", "instagram", "facebook messenger"), 456: ("email", "web form")}
_HANDLE_WORDS = (
    "sunny",
    "koala",
    "harbour",
    "maple",
    "river",
    "pixel",
    "coffee",
    "surf",
    "bluey",
    "wattle",
    "nova",
    "tiger",
    "lemon",
    "ocean",
    "bright",
    "jazz",
    "mango",
    "echo",
)
_NOTES = (
    "",
    "",
    "",
    "customer followed up in DM",
    "escalated to billing",
    "refund issued",
    "tracking number sent",
    "known outage",
    "needs manager approval",
    "duplicate of earlier tweet",
)
_COMMENTS = {
    "promoter": (
        "Super quick and friendly, thanks!",
        "Sorted in minutes",
        "Great service as always",
        "Jane was brilliant",
        "",
        "",
    ),
    "passive": ("Fine, took a while though", "Got there in the end", "OK", ""),
    "detractor": (
        "Waited two days for a reply",
        "Still no refund",
        "Had to repeat myself three times",
        "Nobody answered on the weekend",
        "",
    ),
}


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def day_start(d: date) -> int:
    return (d.toordinal() - 719163) * DAY_S  # 719163 = date(1970, 1, 1).toordinal()


def utc_date(ts: float) -> date:
    return date.fromordinal(int(ts // DAY_S) + 719163)


def iso_z(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- records


@dataclass(slots=True)
class Message:
    id: int
    case_id: int
    ts: int  # received, epoch seconds
    agent: int  # user id of the agent it is assigned to
    channel: str
    customer: str
    classes: tuple[int, ...]
    final: str  # the state it ends in
    done_ts: float  # when it reaches `final` (replied, or otherwise handled)
    pick_ts: float  # when the agent opened it (assigned -> in_progress)
    wait: float | None  # customer wait, s (None: never replied to)
    action: float | None  # agent response (assign -> reply), s
    private: bool
    broke: bool
    broke_action: bool
    note: str

    def state_at(self, now: float) -> str:
        if now >= self.done_ts:
            return self.final
        return "in_progress" if now >= self.pick_ts else "assigned"

    def responded_by(self, now: float) -> bool:
        return self.wait is not None and now >= self.done_ts


@dataclass(slots=True)
class Case:
    id: int
    created: int
    customer: str
    channel: str
    group: int
    messages: list[Message]
    agents: frozenset[int]  # every agent with a message in the case
    replying_agents: frozenset[int]
    first_reply: float | None  # s from created
    resolution: float | None  # s from created to the last reply
    interactions: int  # agent replies
    closed_at: float  # 24 h after the last activity
    classes: tuple[int, ...]

    @property
    def is_case(self) -> bool:
        """Lexer only opens a case when an agent replies."""
        return self.first_reply is not None


@dataclass(slots=True)
class Survey:
    id: int
    form: int
    agent: int
    sent_ts: int
    submitted_ts: int | None
    score: int | None
    comment: str
    customer: str

    @property
    def category(self) -> str:
        if self.score is None:
            return ""
        return "promoters" if self.score >= 9 else "passives" if self.score >= 7 else "detractors"


@dataclass(frozen=True)
class Agent:
    id: int
    first_name: str
    last_name: str
    timezone: str
    groups: tuple[int, ...]
    weight: float
    sign_in_count: int
    archived_on: date | None = None

    @property
    def email(self) -> str:
        return f"{self.first_name.lower()}.{self.last_name.lower().replace(chr(39), '')}@{EMAIL_DOMAIN}"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def active_on(self, d: date) -> bool:
        return self.archived_on is None or d < self.archived_on


@dataclass(frozen=True)
class Query:
    """A validated report body."""

    type: str
    start: datetime
    end: datetime
    form: int | None = None
    nps_category: str = "all"
    agents: frozenset[int] | None = None  # None: everyone

    @property
    def t0(self) -> int:
        return epoch(self.start)

    @property
    def t1(self) -> int:
        return epoch(self.end)


@dataclass(frozen=True)
class Spike:
    start: int
    end: int
    factor: float


# ---------------------------------------------------------------- the generator


class ActivityData:
    """The sandbox's world: agents, and messages/cases/surveys generated lazily per UTC day."""

    def __init__(self, seed: int, anchor: datetime, extra_agents: int = 0):
        self.seed = seed
        self.anchor = anchor.astimezone(UTC)
        self.history_start = self.anchor.date() - timedelta(days=HISTORY_DAYS)
        archived_on = self.anchor.date() - timedelta(days=ARCHIVED_AGO_DAYS)
        self.agents: dict[int, Agent] = {a[0]: Agent(*a) for a in _AGENTS}
        self.agents[_ARCHIVED_AGENT[0]] = Agent(*_ARCHIVED_AGENT, archived_on=archived_on)
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
                    got = self._generate_cases(d) if d >= self.history_start else []
                    self._cases[d] = got
        return got

    def _generate_cases(self, d: date) -> list[Case]:
        rng = random.Random(f"{self.seed}:cases:{d.isoformat()}")
        agents = [a for a in self.agents.values() if a.active_on(d)]
        weights = [a.weight for a in agents]
        season = 1.0 + 0.12 * math.sin(2 * math.pi * d.toordinal() / 365.25)
        n_cases = max(0, round(58 * _DOW_FACTOR[d.weekday()] * season * rng.uniform(0.8, 1.2)))
        base = day_start(d)
        class_ids = [c[0] for c in CLASSIFICATIONS]
        class_w = [c[2] for c in CLASSIFICATIONS]
        hours = rng.choices(range(24), weights=_UTC_HOUR_WEIGHT, k=n_cases)
        hours.sort()
        cases = []
        for i, hour in enumerate(hours):
            case_id = d.toordinal() * 1000 + i
            created = base + hour * 3600 + rng.randrange(3600)
            agent = rng.choices(agents, weights=weights)[0]
            group = agent.groups[0] if len(agent.groups) == 1 else rng.choice(agent.groups)
            mates = [a for a in agents if group in a.groups and a.id != agent.id]
            channel = rng.choice(_CHANNELS[group])
            customer = (
                f"{rng.choice(_HANDLE_WORDS)}.{rng.choice(_HANDLE_WORDS)}{rng.randint(1, 99)}@mail.example"
                if group == 456
                else f"@{rng.choice(_HANDLE_WORDS)}_{rng.choice(_HANDLE_WORDS)}{rng.randint(1, 999)}"
            )
            n_msgs = rng.choices((1, 2, 3, 4), weights=(55, 28, 12, 5))[0]
            case_classes = tuple(sorted(set(rng.choices(class_ids, weights=class_w, k=rng.choice((1, 1, 2))))))
            msgs = []
            ts = created
            for j in range(n_msgs):
                if j:
                    ts = min(created + 47 * 3600, ts + int(rng.expovariate(1 / 10800)) + 60)
                who = agent.id if not mates or rng.random() > 0.12 else rng.choice(mates).id
                msgs.append(
                    self._message(
                        rng,
                        case_id * 10 + j,
                        case_id,
                        ts,
                        who,
                        channel,
                        customer,
                        case_classes,
                        private_bias=group == 456,
                    )
                )
            msgs.sort(key=lambda m: m.ts)
            replies = [m for m in msgs if m.wait is not None]
            last_activity = max(max(m.done_ts for m in msgs), msgs[-1].ts)
            cases.append(
                Case(
                    case_id,
                    created,
                    customer,
                    channel,
                    group,
                    msgs,
                    frozenset(m.agent for m in msgs),
                    frozenset(m.agent for m in replies),
                    min(m.done_ts for m in replies) - created if replies else None,
                    max(m.done_ts for m in replies) - created if replies else None,
                    len(replies),
                    last_activity + DAY_S,
                    case_classes,
                )
            )
        return cases

    def _message(
        self,
        rng: random.Random,
        mid: int,
        case_id: int,
        ts: int,
        agent: int,
        channel: str,
        customer: str,
        case_classes: tuple[int, ...],
        private_bias: bool,
    ) -> Message:
        r = rng.random()
        final = (
            "closed"
            if r < 0.585
            else "responded"
            if r < 0.78
            else "no_response_required"
            if r < 0.86
            else "duplicate"
            if r < 0.90
            else "irrelevant"
            if r < 0.94
            else "redirected"
            if r < 0.96
            else "closed"
            if r < 0.99
            else "awaiting_approval"
        )
        replied = r < 0.78
        classes = case_classes if rng.random() < 0.8 else case_classes[:1]
        note = rng.choice(_NOTES)
        if replied:
            if rng.random() < 0.06:  # the long tail: overnight, weekends, lost in the queue
                wait = math.exp(rng.uniform(math.log(4 * 3600), math.log(4 * DAY_S)))
            else:
                wait = rng.lognormvariate(math.log(540), 1.0)
            wait = round(min(7 * DAY_S, max(15.0 + rng.random() * 20, wait * self._spike_factor(ts))), 6)
            action = round(max(3.0 + rng.random() * 4, wait * (0.06 + 0.5 * rng.random() ** 2)), 6)
            done = ts + wait
            return Message(
                mid,
                case_id,
                ts,
                agent,
                channel,
                customer,
                classes,
                final,
                done,
                done - action,
                wait,
                action,
                channel in ("email", "web form", "facebook messenger") or (not private_bias and rng.random() < 0.3),
                wait > SLA_S,
                action > ACTION_SLA_S,
                note,
            )
        handle = rng.lognormvariate(math.log(1200), 0.8)
        done = ts + handle
        return Message(
            mid,
            case_id,
            ts,
            agent,
            channel,
            customer,
            classes,
            final,
            done,
            ts + handle * 0.4,
            None,
            None,
            False,
            False,
            False,
            note,
        )

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
                    got = self._generate_surveys(d, form) if d >= self.history_start else []
                    self._surveys[key] = got
        return got

    def _generate_surveys(self, d: date, form_id: int) -> list[Survey]:
        per_day = _FORM_DAILY_SENT.get(form_id)
        if not per_day:
            return []
        form = next(f for f in FORMS if f["id"] == form_id)
        rng = random.Random(f"{self.seed}:nps:{form_id}:{d.isoformat()}")
        agents = [a for a in self.agents.values() if a.active_on(d) and set(a.groups) & set(form["groups"])]
        weights = [a.weight for a in agents]
        n = max(0, round(per_day * _DOW_FACTOR[d.weekday()] * rng.uniform(0.7, 1.3)))
        mood = rng.uniform(-0.08, 0.08)  # some days are better than others
        base = day_start(d)
        out = []
        hours = sorted(rng.choices(range(24), weights=_UTC_HOUR_WEIGHT, k=n))
        for i, hour in enumerate(hours):
            sent = base + hour * 3600 + rng.randrange(3600)
            agent = rng.choices(agents, weights=weights)[0]
            customer = f"@{rng.choice(_HANDLE_WORDS)}_{rng.choice(_HANDLE_WORDS)}{rng.randint(1, 999)}"
            submitted = score = None
            comment = ""
            if rng.random() < 0.42:
                submitted = sent + min(2 * DAY_S - 1, int(rng.expovariate(1 / 9000)) + 30)
                r = rng.random() + mood
                score = (
                    rng.choice((9, 10, 10))
                    if r < 0.56
                    else rng.choice((7, 8))
                    if r < 0.80
                    else rng.choice((0, 2, 3, 4, 5, 6, 6))
                )
                kind = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
                comment = rng.choice(_COMMENTS[kind])
            out.append(
                Survey(
                    form_id * 10**10 + d.toordinal() * 1000 + i,
                    form_id,
                    agent.id,
                    sent,
                    submitted,
                    score,
                    comment,
                    customer,
                )
            )
        return out

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


# ---------------------------------------------------------------- buckets


@dataclass(frozen=True)
class Buckets:
    """Consecutive periods in the fixed UTC offset of date_from; the last one runs to date_to."""

    origin: int  # epoch of the first bucket's start
    step: int
    count: int
    local_origin: datetime  # naive local time of `origin`

    def index(self, ts: int) -> int:
        i = (ts - self.origin) // self.step
        return self.count - 1 if i >= self.count else i

    def label(self, i: int) -> str:
        return (self.local_origin + timedelta(seconds=i * self.step)).strftime("%Y-%m-%d %H:%M")

    def start_utc(self, i: int) -> datetime:
        return datetime.fromtimestamp(self.origin + i * self.step, UTC)


def make_buckets(start: datetime, end: datetime, hourly: bool) -> Buckets:
    local = start.replace(tzinfo=None)
    off = int(start.utcoffset().total_seconds()) if start.utcoffset() else 0
    if hourly:
        first = local.replace(minute=0, second=0, microsecond=0)
        origin = int((first - datetime(1970, 1, 1)).total_seconds()) - off
        count = max(1, (epoch(end) - origin) // 3600 + 1)
        return Buckets(origin, 3600, count, first)
    first = local.replace(hour=0, minute=0, second=0, microsecond=0)
    origin = int((first - datetime(1970, 1, 1)).total_seconds()) - off
    # one bucket per local date named by the two ends, so a DST change adds no stray bucket
    count = max(1, (end.date() - start.date()).days + 1)
    return Buckets(origin, DAY_S, count, first)


# ---------------------------------------------------------------- reports


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else 0.0


def _filtered(items: list, agents: frozenset[int] | None) -> list:
    return items if agents is None else [x for x in items if x.agent in agents]


def summary_of(msgs: list[Message], now: float) -> dict:
    waits: list[float] = []
    actions: list[float] = []
    broke = broke_action = 0
    for m in msgs:
        if m.wait is not None and now >= m.done_ts:
            waits.append(m.wait)
            actions.append(m.action)  # type: ignore[arg-type]
            broke += m.broke
            broke_action += m.broke_action
    avg_w, avg_a, med_w, med_a = _mean(waits), _mean(actions), _median(waits), _median(actions)
    return {
        "total_volume": len(msgs),
        "avg_response_time": avg_w,
        "avg_action_response_time": avg_a,
        "total_responded_to": len(waits),
        "broke_sla": broke,
        "broke_action_sla": broke_action,
        "min_response_time": min(waits, default=0.0),
        "median_response_time": med_w,
        "max_response_time": max(waits, default=0.0),
        "min_action_response_time": min(actions, default=0.0),
        "median_action_response_time": med_a,
        "max_action_response_time": max(actions, default=0.0),
        "avg_action_response_time_min": avg_a / 60,
        "avg_response_time_min": avg_w / 60,
        "median_action_response_time_min": med_a / 60,
        "median_response_time_min": med_w / 60,
    }


def range_length(q: Query) -> timedelta:
    """The span rounded up to the minute, so 00:00 to 23:59:59 of day 4 is 4 days, not 'under 4 days'."""
    return timedelta(minutes=math.ceil((q.end - q.start).total_seconds() / 60))


def _states_volume(msgs: list[Message], q: Query, now: float) -> dict:
    b = make_buckets(q.start, q.end, hourly=range_length(q) < timedelta(days=4))
    counts = {s: [0] * b.count for s in STATES}
    for m in msgs:
        counts[m.state_at(now)][b.index(m.ts)] += 1
    return {
        s: [{"state": s, "value": v, "date_range": {"date_from": b.label(i)}} for i, v in enumerate(vals)]
        for s, vals in counts.items()
    }


def _response_volume(msgs: list[Message], q: Query, now: float) -> dict:
    b = make_buckets(q.start, q.end, hourly=range_length(q) <= timedelta(days=3))
    sums = [0.0] * b.count
    ns = [0] * b.count
    for m in msgs:
        if m.wait is not None and now >= m.done_ts:
            i = b.index(m.ts)
            sums[i] += m.wait
            ns[i] += 1
    return {
        "avg_response_time": [
            {"value": sums[i] / ns[i] if ns[i] else 0.0, "date_range": {"date_from": b.label(i)}}
            for i in range(b.count)
        ]
    }


def _classifications(msgs: list[Message], now: float) -> list[dict]:
    counts: dict[tuple[int, str], int] = {}
    for m in msgs:
        st = m.state_at(now)
        for c in m.classes:
            counts[(c, st)] = counts.get((c, st), 0) + 1
            counts[(c, "all_states")] = counts.get((c, "all_states"), 0) + 1
    names = {c[0]: c[1] for c in CLASSIFICATIONS}
    order = {s: i for i, s in enumerate(("all_states",) + STATES)}
    return [
        {"classification_id": c, "classification": names[c], "state": s, "volume": v}
        for (c, s), v in sorted(counts.items(), key=lambda kv: (kv[0][0], order[kv[0][1]]))
    ]


def _per_agent(msgs: list[Message]) -> dict[int, list[Message]]:
    by: dict[int, list[Message]] = {}
    for m in msgs:
        by.setdefault(m.agent, []).append(m)
    return by


def _user_summary(data: ActivityData, msgs: list[Message], now: float) -> list[dict]:
    out = []
    for uid, ms in sorted(_per_agent(msgs).items()):
        a = data.agents[uid]
        replied = [m for m in ms if m.wait is not None and now >= m.done_ts]
        waits = [m.wait for m in replied]
        actions = [m.action for m in replied]
        n, r = len(ms), len(replied)
        private = sum(m.private for m in replied)
        broke = sum(m.broke for m in replied)
        broke_a = sum(m.broke_action for m in replied)
        avg_w, avg_a = _mean(waits), _mean(actions)  # type: ignore[arg-type]
        out.append(
            {
                "first_name": a.first_name,
                "last_name": a.last_name,
                "mentions_assigned": n,
                "user_id": str(uid),  # a string here, a number in user_volume: as the seed shows
                "responded_to": r,
                "responded_to_in_private": private,
                "avg_response_time": avg_w,
                "min_response_time": min(waits, default=0.0),
                "max_response_time": max(waits, default=0.0),
                "avg_action_response_time": avg_a,
                "min_action_response_time": min(actions, default=0.0),
                "max_action_response_time": max(actions, default=0.0),
                "total_responded_to": r,
                "broke_sla": broke,
                "broke_action_sla": broke_a,
                "avg_response_time_min": avg_w / 60,
                "avg_action_response_time_min": avg_a / 60,
                # the seed's example numbers divide these by responded_to, not by mentions_assigned
                "fraction_responded_to": r / n if n else 0.0,
                "fraction_responded_to_in_private": private / r if r else 0.0,
                "fraction_broke_sla": broke / r if r else 0.0,
                "fraction_broke_action_sla": broke_a / r if r else 0.0,
            }
        )
    return out


def _user_volume(data: ActivityData, msgs: list[Message], now: float) -> list[dict]:
    out = []
    for uid, ms in sorted(_per_agent(msgs).items()):
        a = data.agents[uid]
        states = dict.fromkeys(STATES, 0)
        for m in ms:
            states[m.state_at(now)] += 1
        out.append(
            {
                "user_id": uid,
                "first_name": a.first_name,
                "last_name": a.last_name,
                "states": {
                    "all_states": len(ms),
                    "all_closed_states": sum(v for s, v in states.items() if s in CLOSED_STATES),
                    **states,
                },
            }
        )
    return out


def _case_filter(cases: Iterable[Case], agents: frozenset[int] | None) -> list[Case]:
    return [c for c in cases if c.is_case and (agents is None or c.agents & agents)]


def _case_summary(cases: list[Case]) -> dict:
    firsts = [c.first_reply for c in cases]
    res = [c.resolution for c in cases]
    n = len(cases)
    return {
        "total_cases": n,
        "first_reply_time": _mean(firsts),  # type: ignore[arg-type]
        "resolution_time": _mean(res),  # type: ignore[arg-type]
        "median_first_reply_time": _median(firsts),  # type: ignore[arg-type]
        "median_resolution_time": _median(res),  # type: ignore[arg-type]
        "agent_interactions": sum(c.interactions for c in cases) / n if n else 0.0,
        "agents_involved": sum(len(c.replying_agents) for c in cases) / n if n else 0.0,
    }


def _case_volume(data: ActivityData, q: Query, now: float) -> dict:
    b = make_buckets(q.start, q.end, hourly=False)
    t0, t1 = q.t0, min(q.t1, int(now))
    delta = [0] * (b.count + 1)
    if t1 >= t0:
        for c in _case_filter(data.cases_touching(t0, t1), q.agents):
            closed = c.closed_at if c.closed_at <= now else math.inf
            if c.created > t1 or closed < t0:
                continue
            first = b.index(max(c.created, t0))
            last = b.count - 1 if closed > t1 else b.index(int(closed))
            delta[first] += 1
            delta[last + 1] -= 1
    out, running = [], 0
    for i in range(b.count):
        running += delta[i]
        out.append({"value": running, "date_range": {"date_from": b.label(i)}})
    return {"open": out}


def _case_classifications(cases: list[Case]) -> list[dict]:
    names = {c[0]: c[1] for c in CLASSIFICATIONS}
    counts: dict[int, int] = {}
    for c in cases:
        for k in c.classes:
            counts[k] = counts.get(k, 0) + 1
    return [{"classification_id": k, "classification": names[k], "volume": v} for k, v in sorted(counts.items())]


def nps_numbers(sent: int, subs: Iterable[Survey]) -> dict:
    p = pa = de = 0
    for s in subs:
        cat = s.category
        if cat == "promoters":
            p += 1
        elif cat == "passives":
            pa += 1
        else:
            de += 1
    received = p + pa + de
    return {
        "total_sent": sent,
        "total_received": received,
        "total_promoters": p,
        "total_passives": pa,
        "total_detractors": de,
        "nps_score": (p - de) * 100 / received if received else 0.0,
    }


def nps_submissions(data: ActivityData, q: Query, now: float) -> list[Survey]:
    subs = _filtered(data.submissions_between(q.t0, q.t1, now, q.form), q.agents)  # type: ignore[arg-type]
    if q.nps_category != "all":
        subs = [s for s in subs if s.category == q.nps_category]
    return subs


def _nps_summary(data: ActivityData, q: Query, now: float) -> dict:
    sent = _filtered(data.surveys_sent_between(q.t0, q.t1, now, q.form), q.agents)  # type: ignore[arg-type]
    return nps_numbers(len(sent), nps_submissions(data, q, now))


def _nps_volume(data: ActivityData, q: Query, now: float) -> list[dict]:
    b = make_buckets(q.start, q.end, hourly=False)
    sent_n = [0] * b.count
    subs: list[list[Survey]] = [[] for _ in range(b.count)]
    for s in _filtered(data.surveys_sent_between(q.t0, q.t1, now, q.form), q.agents):  # type: ignore[arg-type]
        sent_n[b.index(s.sent_ts)] += 1
    for s in nps_submissions(data, q, now):
        subs[b.index(s.submitted_ts)].append(s)  # type: ignore[arg-type]
    out = []
    for i in range(b.count):
        start = b.start_utc(i)
        out.append(
            {"date": start.isoformat(), "timestamp": int(start.timestamp()), "data": nps_numbers(sent_n[i], subs[i])}
        )
    return out


REPORT_TYPES = (
    "summary",
    "states_volume",
    "user_volume",
    "classifications",
    "response_volume",
    "user_summary",
    "case_summary",
    "case_volume",
    "case_classifications",
    "nps_summary",
    "nps_volume",
)
EXPORT_TYPES = ("case_details", "mention_sla_export", "nps_submissions")
NPS_TYPES = ("nps_summary", "nps_volume", "nps_submissions")


def compute_report(data: ActivityData, q: Query, now_dt: datetime) -> Any:
    """The JSON answer for a validated, non-export report query."""
    now = now_dt.timestamp()
    t = q.type
    if t in ("nps_summary", "nps_volume"):
        return _nps_summary(data, q, now) if t == "nps_summary" else _nps_volume(data, q, now)
    if t in ("case_summary", "case_classifications"):
        cases = _case_filter(data.cases_closed_between(q.t0, q.t1, now), q.agents)
        return _case_summary(cases) if t == "case_summary" else _case_classifications(cases)
    if t == "case_volume":
        return _case_volume(data, q, now)
    msgs = _filtered(data.messages_between(q.t0, q.t1, now), q.agents)
    if t == "summary":
        return summary_of(msgs, now)
    if t == "states_volume":
        return _states_volume(msgs, q, now)
    if t == "response_volume":
        return _response_volume(msgs, q, now)
    if t == "classifications":
        return _classifications(msgs, now)
    if t == "user_summary":
        return _user_summary(data, msgs, now)
    if t == "user_volume":
        return _user_volume(data, msgs, now)
    raise ValueError(f"not a report type: {t}")
