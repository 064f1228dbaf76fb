"""Each report's headline figures and rows, now and one period earlier, for compare_message (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.lexer.models import (
    AgentSummary,
    AgentVolume,
    CaseClassification,
    CaseSummary,
    ClassificationCount,
    NpsSummary,
    ResponseVolume,
    StatesVolume,
    Summary,
)
from bot.slack.messages.controls import Figure
from bot.slack.messages.reports import OPEN_STATES, state_label

Rows = list[tuple[str, float, float]]


def _paired(now: dict[str, float], before: dict[str, float]) -> Rows:
    """Name -> (now, before) for every name in either period (absent = 0)."""
    return [(name, now.get(name, 0), before.get(name, 0)) for name in sorted(set(now) | set(before))]


def summary_figures(now: Summary, before: Summary) -> list[Figure]:
    def answered(s: Summary, x: float) -> float | None:
        return x if s.total_responded_to else None

    return [
        Figure("Conversations", now.total_volume, before.total_volume),
        Figure("Responded to", now.total_responded_to, before.total_responded_to),
        Figure("Breaches", now.broke_sla, before.broke_sla),
        Figure(
            "Breach rate",
            answered(now, now.breach_fraction),
            answered(before, before.breach_fraction),
            "percent",
        ),
        Figure(
            "Median customer wait",
            answered(now, now.median_response_time),
            answered(before, before.median_response_time),
            "duration",
        ),
        Figure(
            "Median agent response",
            answered(now, now.median_action_response_time),
            answered(before, before.median_action_response_time),
            "duration",
        ),
    ]


def team_compared(now: Sequence[AgentSummary], before: Sequence[AgentSummary]) -> tuple[list[Figure], Rows]:
    figures = [
        Figure("Assigned", sum(a.mentions_assigned for a in now), sum(a.mentions_assigned for a in before)),
        Figure("Responded", sum(a.total_responded_to for a in now), sum(a.total_responded_to for a in before)),
        Figure("Breaches", sum(a.broke_sla for a in now), sum(a.broke_sla for a in before)),
    ]
    rows = _paired({a.name: a.mentions_assigned for a in now}, {a.name: a.mentions_assigned for a in before})
    return figures, rows


def _open(a: AgentVolume) -> int:
    return sum(a.states.get(s, 0) for s in OPEN_STATES)


def workload_compared(now: Sequence[AgentVolume], before: Sequence[AgentVolume]) -> tuple[list[Figure], Rows]:
    figures = [Figure("Open", sum(_open(a) for a in now), sum(_open(a) for a in before))]
    return figures, _paired({a.name: _open(a) for a in now}, {a.name: _open(a) for a in before})


def _state_totals(sv: StatesVolume) -> dict[str, float]:
    return {state_label(k): sum(p.value for p in pts) for k, pts in sv.series.items() if not k.startswith("all_")}


def states_compared(now: StatesVolume, before: StatesVolume) -> tuple[list[Figure], Rows]:
    a, b = _state_totals(now), _state_totals(before)
    return [Figure("Conversations", sum(a.values()), sum(b.values()))], _paired(a, b)


def _classification_totals(items: Sequence[ClassificationCount]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for c in items:
        if c.state == "all_states":
            totals[c.classification or "(unnamed)"] = totals.get(c.classification or "(unnamed)", 0) + c.volume
    return totals


def classifications_compared(
    now: Sequence[ClassificationCount], before: Sequence[ClassificationCount]
) -> tuple[list[Figure], Rows]:
    a, b = _classification_totals(now), _classification_totals(before)
    return [Figure("Classified conversations", sum(a.values()), sum(b.values()))], _paired(a, b)


def _bucket_average(rv: ResponseVolume) -> float | None:
    answered = [p.value for p in rv.avg_response_time if p.value > 0]
    return sum(answered) / len(answered) if answered else None


def response_time_figures(now: ResponseVolume, before: ResponseVolume) -> list[Figure]:
    return [Figure("Average customer wait", _bucket_average(now), _bucket_average(before), "duration")]


def cases_figures(now: CaseSummary, before: CaseSummary) -> list[Figure]:
    def has(cs: CaseSummary, x: float) -> float | None:
        return x if cs.total_cases else None

    return [
        Figure("Cases closed", now.total_cases, before.total_cases),
        Figure(
            "Median first reply",
            has(now, now.median_first_reply_time),
            has(before, before.median_first_reply_time),
            "duration",
        ),
        Figure(
            "Median resolution",
            has(now, now.median_resolution_time),
            has(before, before.median_resolution_time),
            "duration",
        ),
    ]


def case_classifications_compared(
    now: Sequence[CaseClassification], before: Sequence[CaseClassification]
) -> tuple[list[Figure], Rows]:
    def totals(items: Sequence[CaseClassification]) -> dict[str, float]:
        out: dict[str, float] = {}
        for c in items:
            out[c.classification or "(unnamed)"] = out.get(c.classification or "(unnamed)", 0) + c.volume
        return out

    a, b = totals(now), totals(before)
    return [Figure("Cases", sum(a.values()), sum(b.values()))], _paired(a, b)


def nps_figures(now: NpsSummary, before: NpsSummary) -> list[Figure]:
    def answered(s: NpsSummary, x: float) -> float | None:
        return x if s.total_received > 0 else None

    return [
        Figure("NPS", answered(now, now.nps_score), answered(before, before.nps_score), "nps"),
        Figure("Responses", now.total_received, before.total_received),
        Figure("Detractors", now.total_detractors, before.total_detractors),
    ]
