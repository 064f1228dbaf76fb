"""Fixed report models for digest tests (no network)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.lexer.models import AgentSummary, CaseSummary, CaseVolume, NpsDay, NpsSummary, Point, ResponseVolume, Summary
from digests.compose import compose_nps, compose_sla, nps_windows, sla_windows

SYDNEY = ZoneInfo("Australia/Sydney")
DUE = datetime(2024, 12, 2, 9, 0, tzinfo=SYDNEY)  # Monday; reports on Sun 1 Dec


def summary(volume, responded, breaches, avg, median, action) -> Summary:
    return Summary(volume, responded, breaches, 0, avg, median, 5, 9000, action, action, 1, 3000)


def agent(uid, first, last, responded, breaches, avg) -> AgentSummary:
    return AgentSummary(
        uid,
        first,
        last,
        responded,
        responded,
        0,
        responded,
        breaches,
        0,
        avg,
        1,
        9000,
        60,
        1.0,
        breaches / responded if responded else 0.0,
    )


AGENTS = [
    agent(1, "Jane", "Remington", 40, 6, 1500),
    agent(2, "Barry", "<!channel> Nguyen", 35, 9, 2400),  # a hostile name must not ping the channel
    agent(3, "Priya", "Shah", 50, 1, 600),
    agent(4, "Tom", "O'Brien & Co", 20, 0, 3100),
    agent(5, "Idle", "Agent", 0, 0, 0),
]


def sla_context(**overrides):
    w = sla_windows(DUE, SYDNEY)
    kw = dict(
        yesterday=summary(412, 398, 21, 1830, 960, 240),
        day_before=summary(380, 371, 14, 1500, 900, 250),
        week_ago=summary(455, 440, 30, 2100, 1000, 200),
        response=ResponseVolume(
            [
                Point(datetime(2024, 11, 25) + timedelta(days=i), v)
                for i, v in enumerate([1200, 1500, 900, 2500, 1800, 1700, 1830])
            ]
        ),
        agents=AGENTS,
        cases=CaseSummary(57, 300, 8000, 200, 6000, 3, 1.4),
        case_volume=CaseVolume([Point(datetime(2024, 12, 1, 22), 20), Point(datetime(2024, 12, 1, 23), 18)]),
        sandbox=True,
    )
    kw.update(overrides)
    return compose_sla(w, **kw)


def nps(sent, received, promoters, passives, detractors) -> NpsSummary:
    score = (promoters - detractors) / received * 100 if received else 0.0
    return NpsSummary(sent, received, promoters, passives, detractors, score)


def nps_context(**overrides):
    w = nps_windows(DUE, SYDNEY)
    days = []
    for i, d in enumerate(w.trend.days()):
        if i == 4:
            continue  # a day without answers is a gap in the trend
        midnight = datetime(d.year, d.month, d.day, tzinfo=SYDNEY).astimezone(timezone.utc)
        days.append(NpsDay(midnight, nps(20, 8, 4 + i % 3, 2, 2 - i % 2)))
    kw = dict(
        yesterday=nps(20, 9, 6, 2, 1),
        last_7d=nps(140, 60, 38, 14, 8),
        prev_7d=nps(130, 55, 30, 15, 10),
        days=days,
        sandbox=True,
    )
    kw.update(overrides)
    return compose_nps(w, "Brightwave NPS <Survey>", **kw)
