"""The NPS survey generator: the surveys a form sent on a UTC day, and the scores and comments that came back."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date

from bot.sandbox.data.records import Agent, Survey
from bot.sandbox.data.world import (
    COMMENTS,
    DAY_S,
    DOW_FACTOR,
    FORM_DAILY_SENT,
    FORMS,
    HANDLE_WORDS,
    UTC_HOUR_WEIGHT,
    day_start,
)


def generate_surveys(seed: int, d: date, form_id: int, team: Iterable[Agent]) -> list[Survey]:
    """The surveys an NPS form sent on UTC day d, and the answers to them, from (seed, form, day)."""
    per_day = FORM_DAILY_SENT.get(form_id)
    if not per_day:
        return []
    form = next(f for f in FORMS if f["id"] == form_id)
    rng = random.Random(f"{seed}:nps:{form_id}:{d.isoformat()}")
    agents = [a for a in team if a.active_on(d) and set(a.groups) & set(form["groups"])]
    weights = [a.weight for a in agents]
    n = max(0, round(per_day * DOW_FACTOR[d.weekday()] * rng.uniform(0.7, 1.3)))
    mood = rng.uniform(-0.08, 0.08)  # some days are better than others
    base = day_start(d)
    out = []
    hours = sorted(rng.choices(range(24), weights=UTC_HOUR_WEIGHT, k=n))
    for i, hour in enumerate(hours):
        sent = base + hour * 3600 + rng.randrange(3600)
        agent = rng.choices(agents, weights=weights)[0]
        customer = f"@{rng.choice(HANDLE_WORDS)}_{rng.choice(HANDLE_WORDS)}{rng.randint(1, 999)}"
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
            comment = rng.choice(COMMENTS[kind])
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
