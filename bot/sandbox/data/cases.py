"""The case generator: a UTC day's cases and their messages (states, waits, SLA breaches) from (seed, day)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from datetime import date

from bot.sandbox.data.records import Agent, Case, Message
from bot.sandbox.data.world import (
    ACTION_SLA_S,
    CHANNELS,
    CLASSIFICATIONS,
    DAY_S,
    DOW_FACTOR,
    HANDLE_WORDS,
    NOTES,
    SLA_S,
    UTC_HOUR_WEIGHT,
    day_start,
)


def generate_cases(seed: int, d: date, team: Iterable[Agent], spike_factor: Callable[[int], float]) -> list[Case]:
    """The cases created on UTC day d, with their messages, from (seed, day)."""
    rng = random.Random(f"{seed}:cases:{d.isoformat()}")
    agents = [a for a in team if a.active_on(d)]
    weights = [a.weight for a in agents]
    season = 1.0 + 0.12 * math.sin(2 * math.pi * d.toordinal() / 365.25)
    n_cases = max(0, round(58 * DOW_FACTOR[d.weekday()] * season * rng.uniform(0.8, 1.2)))
    base = day_start(d)
    class_ids = [c[0] for c in CLASSIFICATIONS]
    class_w = [c[2] for c in CLASSIFICATIONS]
    hours = rng.choices(range(24), weights=UTC_HOUR_WEIGHT, k=n_cases)
    hours.sort()
    cases = []
    for i, hour in enumerate(hours):
        case_id = d.toordinal() * 1000 + i
        created = base + hour * 3600 + rng.randrange(3600)
        agent = rng.choices(agents, weights=weights)[0]
        group = agent.groups[0] if len(agent.groups) == 1 else rng.choice(agent.groups)
        mates = [a for a in agents if group in a.groups and a.id != agent.id]
        channel = rng.choice(CHANNELS[group])
        customer = (
            f"{rng.choice(HANDLE_WORDS)}.{rng.choice(HANDLE_WORDS)}{rng.randint(1, 99)}@mail.example"
            if group == 456
            else f"@{rng.choice(HANDLE_WORDS)}_{rng.choice(HANDLE_WORDS)}{rng.randint(1, 999)}"
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
                _message(
                    spike_factor,
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
    spike_factor: Callable[[int], float],
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
    note = rng.choice(NOTES)
    if replied:
        if rng.random() < 0.06:  # the long tail: overnight, weekends, lost in the queue
            wait = math.exp(rng.uniform(math.log(4 * 3600), math.log(4 * DAY_S)))
        else:
            wait = rng.lognormvariate(math.log(540), 1.0)
        wait = round(min(7 * DAY_S, max(15.0 + rng.random() * 20, wait * spike_factor(ts))), 6)
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
