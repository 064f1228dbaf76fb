"""Report models + a digest's window -> DigestContext for the templates (pure).

Windows depend only on the subscription's timezone and the local date of the
scheduled time (never on `now`), so every digest due for the same zone and day
sends byte-identical report bodies, which the client's cache coalesces, and a
late or retried run shows the same numbers as an on-time one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.lexer.models import (
    AgentSummary,
    CaseSummary,
    CaseVolume,
    NpsDay,
    NpsSummary,
    ResponseVolume,
    Summary,
    whole,
)
from bot.slack.messages.common import SANDBOX_NOTE
from bot.slack.messages.targets import (
    BREACH_RATE,
    MEDIAN_WAIT,
    RESPONSE_RATE,
    TargetSet,
    mark,
    met_count,
    met_line,
    shown_value,
    target_text,
)
from bot.timeframe import Timeframe, days_window

TOP_AGENTS = 3
SPARK_DAYS = 7
NPS_TREND_DAYS = 14


def _day(d: date, tz: ZoneInfo, words: str) -> Timeframe:
    return days_window(d, d, tz, d.isoformat(), words)


def _span(first: date, last: date, tz: ZoneInfo, words: str) -> Timeframe:
    return days_window(first, last, tz, f"{first.isoformat()}..{last.isoformat()}", words)


@dataclass(frozen=True)
class SlaWindows:
    """The local days an SLA digest covers."""

    yesterday: Timeframe
    day_before: Timeframe
    week_ago: Timeframe  # the same weekday a week before yesterday
    last_7d: Timeframe  # the sparkline, ending yesterday


@dataclass(frozen=True)
class NpsWindows:
    yesterday: Timeframe
    last_7d: Timeframe
    prev_7d: Timeframe
    trend: Timeframe  # 14 days ending yesterday


def report_day(scheduled_for: datetime, tz: ZoneInfo) -> date:
    """The day a digest reports on: the local day before it was due."""
    return scheduled_for.astimezone(tz).date() - timedelta(days=1)


def sla_windows(scheduled_for: datetime, tz: ZoneInfo) -> SlaWindows:
    y = report_day(scheduled_for, tz)
    return SlaWindows(
        _day(y, tz, "yesterday"),
        _day(y - timedelta(days=1), tz, "the day before"),
        _day(y - timedelta(days=7), tz, "a week before"),
        _span(y - timedelta(days=SPARK_DAYS - 1), y, tz, f"the last {SPARK_DAYS} days"),
    )


def nps_windows(scheduled_for: datetime, tz: ZoneInfo) -> NpsWindows:
    y = report_day(scheduled_for, tz)
    return NpsWindows(
        _day(y, tz, "yesterday"),
        _span(y - timedelta(days=6), y, tz, "the last 7 days"),
        _span(y - timedelta(days=13), y - timedelta(days=7), tz, "the 7 days before"),
        _span(y - timedelta(days=NPS_TREND_DAYS - 1), y, tz, f"the last {NPS_TREND_DAYS} days"),
    )


# ------------------------------------------------------------------ contexts


@dataclass(frozen=True)
class Metric:
    """One row of the SLA table: value yesterday, the day before and a week before (None = not fetched)."""

    label: str
    kind: str  # count | duration | percent
    value: float | None
    day_before: float | None
    week_ago: float | None
    higher_is_better: bool
    target_note: str = ""  # '✅ target 5%' when a target applies; '' otherwise


@dataclass(frozen=True)
class AgentLine:
    name: str
    breaches: int
    responded: int
    avg_response_s: float


@dataclass(frozen=True)
class SparkDay:
    day: date
    value: float | None


@dataclass
class DigestContext:
    """Everything a digest template may use; numbers raw, formatted by the template's filters."""

    kind: str  # sla | nps
    title: str
    tz_name: str
    day: date  # the report day (yesterday, local)
    day_words: str  # 'Sun 1 Dec 2024'
    sandbox: bool = False
    metrics: list[Metric] = field(default_factory=list)
    spark: list[SparkDay] = field(default_factory=list)
    top_breaches: list[AgentLine] = field(default_factory=list)
    slowest: list[AgentLine] = field(default_factory=list)
    cases_closed: int | None = None
    cases_open: int | None = None
    # NPS
    form_name: str = ""
    score_yesterday: float | None = None
    score_day_before: float | None = None
    score_7d: float | None = None
    score_prev_7d: float | None = None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    received_7d: int | None = None
    response_rate_7d: float | None = None
    trend: list[SparkDay] = field(default_factory=list)
    # "2 of 3 targets met yesterday"; '' with no targets set
    targets_line: str = ""
    # what went wrong or differs; shown as notes
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def footer(self) -> str:
        parts = [self.day_words, self.tz_name]
        if self.sandbox:
            parts.append(SANDBOX_NOTE)
        return " · ".join(parts)


def _day_words(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b} {d.year}"


def _get(s: Summary | None, attr: str) -> float | None:
    if s is None:
        return None
    return getattr(s, attr)


def sla_metrics(y: Summary | None, before: Summary | None, week: Summary | None) -> list[Metric]:
    rows = (
        ("Volume", "count", "total_volume", True),
        ("Responded", "count", "total_responded_to", True),
        ("Breaches", "count", "broke_sla", False),
        ("Breach rate", "percent", "breach_fraction", False),
        ("Avg customer wait", "duration", "avg_response_time", False),
        ("Median customer wait", "duration", "median_response_time", False),
        ("Agent response", "duration", "avg_action_response_time", False),
    )
    return [Metric(label, kind, _get(y, a), _get(before, a), _get(week, a), better) for label, kind, a, better in rows]


# the digest row each target marks, and the figure it is held against (None = not fetched)
_TARGET_ROWS = {"Breach rate": BREACH_RATE, "Median customer wait": MEDIAN_WAIT, "Responded": RESPONSE_RATE}


def _target_figure(metric: str, y: Summary | None) -> float | None:
    figure = _raw_target_figure(metric, y)
    return figure if figure is None or math.isfinite(figure) else None  # unusable from Lexer: no figure


def _raw_target_figure(metric: str, y: Summary | None) -> float | None:
    if y is None or (metric != RESPONSE_RATE and not y.total_responded_to):
        return None
    if metric == BREACH_RATE:
        return y.breach_fraction
    if metric == MEDIAN_WAIT:
        return y.median_response_time
    return y.total_responded_to / y.total_volume if y.total_volume else None


def mark_metrics(metrics: list[Metric], y: Summary | None, targets: TargetSet | None) -> tuple[list[Metric], str]:
    """Each targeted row with its mark, and the digest's first line ('2 of 3 targets met yesterday')."""
    if not targets:
        return metrics, ""
    out = []
    for row in metrics:
        metric = _TARGET_ROWS.get(row.label)
        target = targets.get(metric) if metric else None
        figure = _target_figure(metric, y) if metric else None
        m = mark(metric, figure, target) if metric else ""
        if m and target is not None:
            extra = " response rate" if metric == RESPONSE_RATE and figure is not None else ""
            shown = f"{int(shown_value(RESPONSE_RATE, figure))}%{extra} " if extra and figure is not None else ""
            row = replace(row, target_note=f"{shown}{m} target {target_text(target)}")
        out.append(row)
    met, of = met_count([(m, _target_figure(m, y)) for m in (BREACH_RATE, MEDIAN_WAIT, RESPONSE_RATE)], targets)
    return out, (met_line(met, of) if of else "")


def _agent(a: AgentSummary) -> AgentLine:
    return AgentLine(a.name, a.broke_sla, a.total_responded_to, a.avg_response_time)


def top_breaches(agents: list[AgentSummary], n: int = TOP_AGENTS) -> list[AgentLine]:
    with_breaches = [a for a in agents if a.broke_sla > 0]
    ranked = sorted(with_breaches, key=lambda a: (-a.broke_sla, -a.fraction_broke_sla, a.name))
    return [_agent(a) for a in ranked[:n]]


def slowest(agents: list[AgentSummary], n: int = TOP_AGENTS) -> list[AgentLine]:
    responders = [a for a in agents if a.total_responded_to > 0]
    ranked = sorted(responders, key=lambda a: (-a.avg_response_time, a.name))
    return [_agent(a) for a in ranked[:n]]


def daily_values(points, days: list[date]) -> list[SparkDay]:
    """Align a series to whole days (summing hourly buckets); a day with no bucket is None."""
    by_day: dict[date, float] = {}
    for p in points:
        by_day[p.start.date()] = by_day.get(p.start.date(), 0.0) + p.value
    return [SparkDay(d, by_day.get(d)) for d in days]


def compose_sla(
    windows: SlaWindows,
    *,
    yesterday: Summary | None,
    day_before: Summary | None,
    week_ago: Summary | None,
    response: ResponseVolume | None,
    agents: list[AgentSummary] | None,
    cases: CaseSummary | None,
    case_volume: CaseVolume | None,
    sandbox: bool = False,
    missing: list[str] | None = None,
    notes: list[str] | None = None,
    targets: TargetSet | None = None,
) -> DigestContext:
    """The SLA digest's context; any report may be None (not fetched), which the template shows as missing."""
    tf = windows.yesterday
    spark = daily_values(response.avg_response_time, windows.last_7d.days()) if response is not None else []
    open_now = None
    if case_volume is not None and case_volume.open:
        open_now = whole(case_volume.open[-1].value)
    metrics, targets_line = mark_metrics(sla_metrics(yesterday, day_before, week_ago), yesterday, targets)
    return DigestContext(
        kind="sla",
        title="SLA digest",
        tz_name=tf.tz_name,
        day=tf.first_day,
        day_words=_day_words(tf.first_day),
        sandbox=sandbox,
        metrics=metrics,
        targets_line=targets_line,
        spark=spark,
        top_breaches=top_breaches(agents or []),
        slowest=slowest(agents or []),
        cases_closed=cases.total_cases if cases is not None else None,
        cases_open=open_now,
        missing=list(missing or []),
        notes=list(notes or []),
    )


def nps_score(s: NpsSummary) -> float | None:
    """Lexer's score; None when nobody answered (a score of 0 would read as a real result)."""
    return s.nps_score if s.total_received else None


def compose_nps(
    windows: NpsWindows,
    form_name: str,
    *,
    yesterday: NpsSummary | None,
    last_7d: NpsSummary | None,
    prev_7d: NpsSummary | None,
    days: list[NpsDay] | None,
    sandbox: bool = False,
    missing: list[str] | None = None,
    notes: list[str] | None = None,
) -> DigestContext:
    tf = windows.yesterday
    tz = tf.tz
    by_day = {d.date.astimezone(tz).date(): d.data for d in (days or [])}
    trend = (
        [SparkDay(d, nps_score(by_day[d]) if d in by_day else None) for d in windows.trend.days()]
        if days is not None
        else []
    )
    before_day = tf.first_day - timedelta(days=1)
    return DigestContext(
        kind="nps",
        title="NPS digest",
        tz_name=tf.tz_name,
        day=tf.first_day,
        day_words=_day_words(tf.first_day),
        sandbox=sandbox,
        form_name=form_name,
        score_yesterday=nps_score(yesterday) if yesterday is not None else None,
        score_day_before=nps_score(by_day[before_day]) if before_day in by_day else None,
        score_7d=nps_score(last_7d) if last_7d is not None else None,
        score_prev_7d=nps_score(prev_7d) if prev_7d is not None else None,
        promoters=last_7d.total_promoters if last_7d is not None else None,
        passives=last_7d.total_passives if last_7d is not None else None,
        detractors=last_7d.total_detractors if last_7d is not None else None,
        received_7d=last_7d.total_received if last_7d is not None else None,
        response_rate_7d=last_7d.response_rate if last_7d is not None and last_7d.total_sent else None,
        trend=trend,
        missing=list(missing or []),
        notes=list(notes or []),
    )
