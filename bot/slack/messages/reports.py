"""Reports: a report model + a Timeframe -> a whole Slack message {"text", "blocks"} (pure).

One `*_message` per reply; the case reports are in cases.py, NPS in nps.py. Every report names its range and timezone in a
context footer (and "sandbox data" in sandbox mode).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from bot.lexer.models import (
    AgentSummary,
    AgentVolume,
    ClassificationCount,
    Point,
    ResponseVolume,
    StatesVolume,
    Summary,
    whole,
)
from bot.slack import blocks as bk
from bot.slack.format import (
    MISSING,
    format_count,
    format_duration,
    format_percent,
)
from bot.slack.messages.common import (
    MAX_NAME,
    Col,
    ReplyContext,
    empty_message,
    esc,
    list_blocks,
    more_text,
    plural,
    report_message,
    table_blocks,
)
from bot.slack.messages.series import MAX_LINES, bucket_label, is_hourly, time_chart
from bot.slack.messages.targets import BREACH_RATE, MEDIAN_WAIT, RESPONSE_RATE, TargetSet, marked
from bot.slack.tables import Column, Num, data_table_block
from bot.timeframe import Timeframe

SUMMARY_TITLE = "SLA summary"
TEAM_TITLE = "Team performance"
WORKLOAD_TITLE = "Workload by agent"
STATES_TITLE = "Workflow states"
CLASSIFICATIONS_TITLE = "Top classifications"
RESPONSE_TIME_TITLE = "Response time"

WORKLOAD_LEGEND = (
    "Total = every conversation in the range, as Lexer counts them. "
    "Open = New + Asgn (assigned) + Prog (in progress) + Resp (responded) + "
    "Appr (awaiting approval). Closed counts every closed state."
)

OPEN_STATES = ("new", "assigned", "in_progress", "responded", "awaiting_approval")
CLOSED_STATES = ("closed", "redirected", "irrelevant", "duplicate", "no_response_required")
STATE_LABELS = {
    "new": "New",
    "assigned": "Assigned",
    "in_progress": "In progress",
    "responded": "Responded",
    "awaiting_approval": "Awaiting approval",
    "redirected": "Redirected",
    "irrelevant": "Irrelevant",
    "duplicate": "Duplicate",
    "closed": "Closed",
    "no_response_required": "No response required",
}


# past the table's rows: the rest are in the CSV export (the words of exports.py)
MORE_AGENTS_EXPORT = "For every agent, run `/lexer export responses …` in Slack to get a CSV."


def agent_table(caption: str, columns: list[Column], rows: list[list[str | Num]]) -> list[dict]:
    """A sortable, paged data table of agents (a team can be past 10 rows), then how many more and the export."""
    page = data_table_block(caption, columns, rows)
    if not page.more:
        return [page.block]
    return [page.block, bk.context([f"{more_text(page.more, 'agents')}. {MORE_AGENTS_EXPORT}"])]


def _count(n: float) -> Num:
    return Num(n, format_count(n))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state.replace("_", " ").strip().capitalize() or "Unknown")


# ---------------------------------------------------------------- reports


def summary_message(s: Summary, tf: Timeframe, ctx: ReplyContext, targets: TargetSet | None = None) -> dict:
    """`summary`: volume, responded, breaches, customer wait and agent response."""
    if s.total_volume == 0 and s.total_responded_to == 0:
        return empty_message(SUMMARY_TITLE, tf, ctx)
    answered = s.total_responded_to > 0
    breach = (
        f"{format_count(s.broke_sla)} ({format_percent(s.breach_fraction)})" if answered else format_count(s.broke_sla)
    )

    def dur(x: float) -> str:
        return format_duration(x) if answered else MISSING

    responded = format_count(s.total_responded_to)
    if targets and s.total_volume:  # the response rate is shown only to be held against its target
        rate = s.total_responded_to / s.total_volume
        responded = marked(f"{responded} ({format_percent(rate)})", RESPONSE_RATE, rate, targets)
    fields = [
        ("Conversations", format_count(s.total_volume)),
        ("Responded to", responded),
        ("SLA breaches", marked(breach, BREACH_RATE, s.breach_fraction if answered else None, targets)),
        ("Agent SLA breaches", format_count(s.broke_action_sla)),
        ("Avg customer wait", dur(s.avg_response_time)),
        (
            "Median customer wait",
            marked(dur(s.median_response_time), MEDIAN_WAIT, s.median_response_time if answered else None, targets),
        ),
        ("Avg agent response", dur(s.avg_action_response_time)),
        ("Median agent response", dur(s.median_action_response_time)),
    ]
    fallback = (
        f"{plural(s.total_volume, 'conversation')}, {format_count(s.total_responded_to)} responded, "
        f"{plural(s.broke_sla, 'SLA breach', 'SLA breaches')}"
        + (f" ({format_percent(s.breach_fraction)}), median wait {dur(s.median_response_time)}" if answered else "")
    )
    return report_message(SUMMARY_TITLE, tf, ctx, [bk.fields_section(fields)], fallback)


def team_message(
    agents: list[AgentSummary], tf: Timeframe, ctx: ReplyContext, targets: TargetSet | None = None
) -> dict:
    """`user_summary`: one row per agent, most assigned first."""
    if not agents or all(a.mentions_assigned == 0 and a.total_responded_to == 0 for a in agents):
        return empty_message(TEAM_TITLE, tf, ctx)
    ordered = sorted(agents, key=lambda a: (-a.mentions_assigned, -a.total_responded_to, a.name.casefold()))
    assigned = sum(a.mentions_assigned for a in agents)
    responded = sum(a.total_responded_to for a in agents)
    breaches = sum(a.broke_sla for a in agents)
    share = f" ({format_percent(responded / assigned)})" if assigned else ""
    breach_words = plural(breaches, "SLA breach", "SLA breaches")
    if targets:
        share = marked(share, RESPONSE_RATE, responded / assigned if assigned else None, targets)
        if responded:
            breach_words = marked(
                f"{breach_words} ({format_percent(breaches / responded)})", BREACH_RATE, breaches / responded, targets
            )
    intro = (
        f"*{plural(len(agents), 'agent')}* · {format_count(assigned)} assigned · "
        f"{format_count(responded)} responded{share} · {breach_words}"
    )
    cols = [
        Column("Agent"),
        Column("Assigned", numeric=True),
        Column("Responded", numeric=True),
        Column("%", numeric=True),
        Column("Avg resp", numeric=True),
        Column("Breaches", numeric=True),
    ]
    rows: list[list[str | Num]] = [
        [
            a.name,
            _count(a.mentions_assigned),
            _count(a.total_responded_to),
            Num(a.fraction_responded_to, format_percent(a.fraction_responded_to))
            if a.mentions_assigned
            else Num(None, MISSING),
            Num(a.avg_response_time, format_duration(a.avg_response_time))
            if a.total_responded_to
            else Num(None, MISSING),
            _count(a.broke_sla),
        ]
        for a in ordered
    ]
    body = [bk.section(intro), *agent_table("Agents, most assigned first", cols, rows)]
    body.append(
        bk.context(
            ["Avg resp = average customer wait for the agent's replies. Breaches = replies over the customer SLA."]
        )
    )
    fallback = (
        f"{plural(len(agents), 'agent')}, {format_count(assigned)} assigned, "
        f"{format_count(responded)} responded, {plural(breaches, 'SLA breach', 'SLA breaches')}"
    )
    return report_message(TEAM_TITLE, tf, ctx, body, fallback)


def _total(states: dict[str, int]) -> int:
    """Lexer's all_states, the number it puts first; the states added up when the answer lacks it."""
    if "all_states" in states:
        return states["all_states"]
    return sum(v for k, v in states.items() if not k.startswith("all_"))


def _open(states: dict[str, int]) -> int:
    return sum(states.get(s, 0) for s in OPEN_STATES)


def _closed(states: dict[str, int]) -> int:
    if "all_closed_states" in states:
        return states["all_closed_states"]
    return sum(states.get(s, 0) for s in CLOSED_STATES)


def workload_message(agents: list[AgentVolume], tf: Timeframe, ctx: ReplyContext) -> dict:
    """`user_volume`: each agent's conversations by state, most open first."""
    if not agents or all(not any(v for v in a.states.values()) for a in agents):
        return empty_message(WORKLOAD_TITLE, tf, ctx)
    ordered = sorted(agents, key=lambda a: (-_open(a.states), -_closed(a.states), a.name.casefold()))
    total_open = sum(_open(a.states) for a in agents)
    total_closed = sum(_closed(a.states) for a in agents)
    intro = (
        f"*{format_count(total_open)} open* · {format_count(total_closed)} closed · "
        f"across {plural(len(agents), 'agent')}"
    )
    cols = [
        Column("Agent"),
        *(Column(t, numeric=True) for t in ("Total", "Open", "New", "Asgn", "Prog", "Resp", "Appr", "Closed")),
    ]
    rows: list[list[str | Num]] = [
        [
            a.name,
            _count(_total(a.states)),
            _count(_open(a.states)),
            *(_count(a.states.get(s, 0)) for s in OPEN_STATES),
            _count(_closed(a.states)),
        ]
        for a in ordered
    ]
    body = [bk.section(intro), *agent_table("Agents, most open first", cols, rows), bk.context([WORKLOAD_LEGEND])]
    fallback = (
        f"{format_count(total_open)} open, {format_count(total_closed)} closed across {plural(len(agents), 'agent')}"
    )
    return report_message(WORKLOAD_TITLE, tf, ctx, body, fallback)


def _aligned(series: dict[str, list[Point]]) -> tuple[list[datetime], dict[str, list[float]]]:
    """Every series on the union of bucket starts (a missing bucket counts 0)."""
    starts = sorted({p.start for pts in series.values() for p in pts})
    out = {}
    for name, pts in series.items():
        by: defaultdict[datetime, float] = defaultdict(float)
        for p in pts:
            by[p.start] += p.value
        out[name] = [by.get(t, 0.0) for t in starts]
    return starts, out


def states_message(sv: StatesVolume, tf: Timeframe, ctx: ReplyContext) -> dict:
    """`states_volume`: total per state and a trend bar per state."""
    series = {k: v for k, v in sv.series.items() if not k.startswith("all_")}
    starts, values = _aligned(series)
    totals = {k: whole(sum(v)) for k, v in values.items()}  # a state with an unusable point: its total is missing
    if not totals or not any(totals.values()):
        return empty_message(STATES_TITLE, tf, ctx)
    order = sorted(totals, key=lambda k: (-totals[k], k))
    rows = [[state_label(k), format_count(totals[k])] for k in order]
    cols = [Col("State", right=False, max_width=MAX_NAME), Col("Total")]
    body = table_blocks(cols, rows, "states")
    lines = {state_label(k): [(p.start, p.value) for p in series[k]] for k in order if totals[k]}
    chart = time_chart("Conversations {per}, by state", tf, lines)
    if chart is not None:
        body.append(chart)
        if len(lines) > MAX_LINES:
            body.append(bk.context([f"The chart shows the {MAX_LINES} states with the most conversations."]))
    top = ", ".join(f"{format_count(totals[k])} {esc(state_label(k).lower())}" for k in order[:3])
    return report_message(STATES_TITLE, tf, ctx, body, top)


def classifications_message(items: list[ClassificationCount], tf: Timeframe, ctx: ReplyContext, top: int = 10) -> dict:
    """`classifications`: top N by all_states volume, each with its state breakdown."""
    names: dict[tuple[int, str], str] = {}
    totals: dict[tuple[int, str], int] = {}
    by_state: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for c in items:
        key = (c.classification_id, c.classification if not c.classification_id else "")
        names.setdefault(key, c.classification)
        if c.state == "all_states":
            totals[key] = totals.get(key, 0) + c.volume
        else:
            by_state[key][c.state] = by_state[key].get(c.state, 0) + c.volume
    for key, states in by_state.items():
        totals.setdefault(key, sum(states.values()))  # no all_states row: the states add up
    ranked = sorted((k for k in names if totals.get(k, 0) > 0), key=lambda k: (-totals[k], names[k].casefold()))
    if not ranked:
        return empty_message(CLASSIFICATIONS_TITLE, tf, ctx)
    top = max(1, top)
    lines = []
    for i, k in enumerate(ranked[:top], 1):
        parts = sorted(((s, v) for s, v in by_state.get(k, {}).items() if v), key=lambda sv: (-sv[1], sv[0]))
        detail = ", ".join(f"{esc(state_label(s).lower())} {format_count(v)}" for s, v in parts)
        lines.append(
            f"{i}. *{esc(names[k]) or '(unnamed)'}* — {format_count(totals[k])}" + (f"  ({detail})" if detail else "")
        )
    body = list_blocks(lines, "classifications", total=len(ranked))
    fallback = ", ".join(f"{esc(names[k]) or '(unnamed)'} {format_count(totals[k])}" for k in ranked[:3])
    return report_message(CLASSIFICATIONS_TITLE, tf, ctx, body, fallback)


def response_time_message(rv: ResponseVolume, tf: Timeframe, ctx: ReplyContext) -> dict:
    """`response_volume` (seconds): trend, best and worst bucket, average of the buckets."""
    pts = rv.avg_response_time
    answered = [p for p in pts if p.value > 0]  # a 0 bucket had no replies, not instant ones
    if not answered:
        return empty_message(RESPONSE_TIME_TITLE, tf, ctx)
    hourly = is_hourly([p.start for p in pts])
    best = min(answered, key=lambda p: (p.value, p.start))
    worst = max(answered, key=lambda p: (p.value, p.start))
    avg = sum(p.value for p in answered) / len(answered)
    unit = "hour" if hourly else "day"
    fields = [
        (f"Average ({unit}s with replies)", format_duration(avg)),
        (f"{unit.capitalize()}s with replies", f"{format_count(len(answered))} of {format_count(len(pts))}"),
        (f"Best {unit}", f"{format_duration(best.value)} · {bucket_label(best.start, hourly)}"),
        (f"Worst {unit}", f"{format_duration(worst.value)} · {bucket_label(worst.start, hourly)}"),
    ]
    body = [bk.fields_section(fields)]
    minutes = [
        (p.start, round(p.value / 60, 1) if p.value > 0 else None) for p in pts
    ]  # a 0 bucket had no replies: a gap
    title = "Average wait {per}, in minutes"
    chart = time_chart(title, tf, {"Average wait": minutes}, _mean, y_label="Minutes")
    if chart is not None:
        body += [chart, bk.context(["Higher is slower; a gap is a time with no replies."])]
    fallback = (
        f"average {format_duration(avg)}, best {format_duration(best.value)} "
        f"({bucket_label(best.start, hourly)}), worst {format_duration(worst.value)} "
        f"({bucket_label(worst.start, hourly)})"
    )
    return report_message(RESPONSE_TIME_TITLE, tf, ctx, body, fallback)
