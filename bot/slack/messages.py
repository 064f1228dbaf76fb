"""Report models + a Timeframe -> whole Slack messages {"text", "blocks"} (pure).

One `*_message` per reply. Every report names its range and timezone in a
context footer (and "sandbox data" in sandbox mode). Text that comes from Lexer
(names, classifications, forms) is untrusted: it goes through mrkdwn_escape,
after padding/cutting, so a name like `<!channel>` shows literally and never
pings, and an `&amp;` entity is never cut in half.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.lexer.models import (
    AgentSummary,
    AgentVolume,
    CaseClassification,
    CaseSummary,
    CaseVolume,
    ClassificationCount,
    Form,
    Group,
    NpsDay,
    NpsSummary,
    Point,
    ResponseVolume,
    StatesVolume,
    Summary,
    User,
)
from bot.slack import blocks as bk
from bot.slack.format import (
    MISSING,
    downsample,
    format_count,
    format_duration,
    format_nps,
    format_percent,
    mrkdwn_escape,
    one_line,
    sparkline,
    truncate,
)
from bot.timeframe import RANGE_HELP, Timeframe

# ---------------------------------------------------------------- wording

SANDBOX_NOTE = "sandbox data"
FOOTER_SEP = " · "
NO_DATA = "No conversations in this range."
NO_DATA_HINT = "Try a longer range, e.g. `last-7d`, or check the filters."
NO_DATA_HINT_LONG = "Try a longer range, e.g. `last-30d`, or check the filters."
NO_NPS = "No survey responses in this range."
MORE_ROWS = "…and {n} more {what}"

SUMMARY_TITLE = "SLA summary"
TEAM_TITLE = "Team performance"
WORKLOAD_TITLE = "Workload by agent"
STATES_TITLE = "Workflow states"
CLASSIFICATIONS_TITLE = "Top classifications"
RESPONSE_TIME_TITLE = "Response time"
CASES_TITLE = "Cases"
CASE_CLASSIFICATIONS_TITLE = "Top case classifications"
NPS_TITLE = "NPS"
USERS_TITLE = "Lexer users"
GROUPS_TITLE = "Lexer groups"
FORMS_TITLE = "Lexer forms"
HELP_TITLE = "/lexer commands"

WORKLOAD_LEGEND = (
    "Open = New + Asgn (assigned) + Prog (in progress) + Resp (responded) + "
    "Appr (awaiting approval). Closed counts every closed state."
)
HELP_FOOTER = (
    f"*Ranges:* {RANGE_HELP}.\n"
    "*Filters:* `group:NAME_OR_ID`, `agent:EMAIL_OR_ID`. "
    "Add `public` to post the answer in the channel; otherwise only you see it."
)
USERS_TIP = "Filter a report by agent with `agent:EMAIL_OR_ID`."
GROUPS_TIP = "Filter a report by group with `group:NAME_OR_ID`."
FORMS_TIP = "Ask for a form's NPS with `/lexer nps FORM_ID_OR_NAME`."

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

# ---------------------------------------------------------------- layout limits

MAX_FALLBACK = 500  # the notification line; Slack allows far more, phones show ~100
MAX_TABLE_ROWS = 100  # past this a table stops being read; "…and N more" says the rest
MAX_LIST_ROWS = 200
MAX_NAME = 20  # agent names in monospace tables
SPARK_WIDTH = 31  # a month of daily bars; longer series are grouped
# blocks kept free around a table: header, intro, legend, "…and N more", footer
RESERVED_BLOCKS = 6


@dataclass(frozen=True)
class ReplyContext:
    """How a reply is framed: sandbox footer, active filters, title suffix (raw text; escaped here)."""

    sandbox: bool
    filters_text: str | None = None
    title_suffix: str | None = None


# ---------------------------------------------------------------- helpers


def esc(text: object) -> str:
    """Data text for mrkdwn: one line, escaped."""
    return mrkdwn_escape(one_line(str(text)))


def footer_text(tf: Timeframe | None, ctx: ReplyContext | None) -> str:
    """'last week (Mon 16 Nov – Sun 22 Nov 2026) · Australia/Sydney · sandbox data'."""
    parts = []
    if tf is not None:
        parts.append(tf.describe())
    if ctx is not None and ctx.filters_text:
        parts.append(esc(ctx.filters_text))
    if tf is not None:
        parts.append(tf.tz_name)
    if ctx is not None and ctx.sandbox:
        parts.append(SANDBOX_NOTE)
    return FOOTER_SEP.join(parts)


def _title(base: str, ctx: ReplyContext | None, escape: bool = False) -> str:
    """Title and suffix; headers are plain_text (shown literally), `text` is mrkdwn and needs escaping."""
    if ctx is not None and ctx.title_suffix:
        return f"{base} · {esc(ctx.title_suffix) if escape else ctx.title_suffix}"
    return base


def _fallback(title: str, tf: Timeframe | None, ctx: ReplyContext | None, numbers: str) -> str:
    """'Team performance, last week: 2 agents, … (Mon 16 Nov – Sun 22 Nov 2026 · sandbox data)'.

    The numbers come early because phones cut notifications short.
    """
    when = f", {tf.words}" if tf is not None else ""
    tail = ([tf.dates_text()] if tf is not None else []) + ([SANDBOX_NOTE] if ctx is not None and ctx.sandbox else [])
    return f"{_title(title, ctx, escape=True)}{when}: {numbers}" + (f" ({FOOTER_SEP.join(tail)})" if tail else "")


def _message(fallback: str, blocks: list[dict]) -> dict:
    return {"text": truncate(one_line(fallback), MAX_FALLBACK) or "lexer-bot", "blocks": blocks}


def _report(title: str, tf: Timeframe | None, ctx: ReplyContext | None, body: list[dict], fallback: str) -> dict:
    """Header + body + footer; `fallback` is what follows the title and range in `text`."""
    blocks = [bk.header(_title(title, ctx)), *body]
    foot = footer_text(tf, ctx)
    if foot:
        blocks.append(bk.context([foot]))
    return _message(_fallback(title, tf, ctx, fallback), blocks)


def _no_data_hint(tf: Timeframe | None) -> str:
    """Suggest a range longer than the one that came back empty."""
    return NO_DATA_HINT_LONG if tf is not None and tf.span >= timedelta(days=6) else NO_DATA_HINT


def _empty(
    title: str, tf: Timeframe | None, ctx: ReplyContext | None, text: str = NO_DATA, hint: str | None = NO_DATA_HINT
) -> dict:
    body = [bk.section(f":zzz: {text}")]
    if hint:
        body.append(bk.context([_no_data_hint(tf) if hint == NO_DATA_HINT else hint]))
    return _report(title, tf, ctx, body, text[:1].lower() + text[1:].rstrip("."))


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{format_count(n)} {one if n == 1 else (many or one + 's')}"


def _chunk(
    lines: Sequence[str],
    limit: int,
    wrap: tuple[str, str] = ("", ""),
    head: str | None = None,
    max_chunks: int = bk.MAX_BLOCKS,
) -> tuple[list[str], int]:
    """Join lines into texts of <= limit chars (each wrapped, each starting with head).

    Returns (texts, number of lines that fit); lines past max_chunks are left out.
    """
    pre, post = wrap
    texts: list[str] = []
    current: list[str] = []
    used = 0

    def size(ls: list[str]) -> int:
        return len(pre) + len("\n".join(([head] if head else []) + ls)) + len(post)

    for line in lines:
        line = truncate(line, limit - size([]) - 1)
        if current and size(current + [line]) > limit:
            if len(texts) + 1 >= max_chunks:
                break
            texts.append(pre + "\n".join(([head] if head else []) + current) + post)
            current = []
        current.append(line)
        used += 1
    if current:
        texts.append(pre + "\n".join(([head] if head else []) + current) + post)
    return texts, used


@dataclass(frozen=True)
class _Col:
    title: str
    right: bool = True
    max_width: int | None = None


def _cell(text: str) -> str:
    # inside ``` a backtick would end the code block early
    return one_line(text).replace("`", "'")


def _table_lines(cols: Sequence[_Col], rows: Sequence[Sequence[str]]) -> tuple[str, list[str]]:
    """Pad cells to aligned columns (raw widths), then escape: (head line, row lines)."""
    cells = [[_cell(c) for c in row] for row in rows]
    widths = []
    for i, col in enumerate(cols):
        w = max([len(col.title)] + [len(r[i]) for r in cells])
        widths.append(min(w, col.max_width) if col.max_width else w)

    def line(values: Sequence[str]) -> str:
        out = []
        for v, col, w in zip(values, cols, widths, strict=False):
            v = truncate(v, w)
            out.append(v.rjust(w) if col.right else v.ljust(w))
        return mrkdwn_escape("  ".join(out).rstrip())

    return line([c.title for c in cols]), [line(r) for r in cells]


def _more(n: int, what: str) -> str:
    """'…and 4 more agents'; one left is '…and 1 more agent' (`what` is a regular plural)."""
    return MORE_ROWS.format(n=format_count(n), what=what[:-1] if n == 1 and what.endswith("s") else what)


def _table_blocks(
    cols: Sequence[_Col],
    rows: Sequence[Sequence[str]],
    what: str,
    max_rows: int = MAX_TABLE_ROWS,
    max_sections: int = bk.MAX_BLOCKS - RESERVED_BLOCKS,
) -> list[dict]:
    """A monospace table in as many sections as it takes, then '…and N more' if cut."""
    head, lines = _table_lines(cols, rows[:max_rows])
    texts, used = _chunk(lines, bk.MAX_SECTION_TEXT, ("```\n", "\n```"), head=head, max_chunks=max_sections)
    out = [bk.section(t) for t in texts]
    if len(rows) > used:
        out.append(bk.context([_more(len(rows) - used, what)]))
    return out


def _list_blocks(
    lines: Sequence[str], what: str, total: int | None = None, max_sections: int = bk.MAX_BLOCKS - RESERVED_BLOCKS
) -> list[dict]:
    """Mrkdwn lines in sections of <= 3000 chars, then '…and N more' if cut."""
    texts, used = _chunk(lines, bk.MAX_SECTION_TEXT, max_chunks=max_sections)
    out = [bk.section(t) for t in texts]
    total = len(lines) if total is None else total
    if total > used:
        out.append(bk.context([_more(total - used, what)]))
    return out


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state.replace("_", " ").strip().capitalize() or "Unknown")


# ---------------------------------------------------------------- time series


def _is_hourly(starts: Sequence[datetime]) -> bool:
    if len(starts) >= 2:
        return min(b - a for a, b in zip(starts, starts[1:], strict=False)) < timedelta(days=1)
    return bool(starts) and (starts[0].hour, starts[0].minute) != (0, 0)


def _bucket_label(start: datetime, hourly: bool) -> str:
    day = f"{start:%a} {start.day} {start:%b}"
    return f"{day} {start:%H:%M}" if hourly else day


def _bar_note(hourly: bool, group: int) -> str:
    unit = "hour" if hourly else "day"
    return f"one bar per {unit}" if group == 1 else f"one bar per {group} {unit}s"


def _trend(values: Sequence[float | None], how: str = "sum") -> tuple[str, int]:
    squeezed, group = downsample(list(values), SPARK_WIDTH, how)  # type: ignore[arg-type]
    return sparkline(squeezed), group


# ---------------------------------------------------------------- reports


def summary_message(s: Summary, tf: Timeframe, ctx: ReplyContext) -> dict:
    """`summary`: volume, responded, breaches, customer wait and agent response."""
    if s.total_volume == 0 and s.total_responded_to == 0:
        return _empty(SUMMARY_TITLE, tf, ctx)
    answered = s.total_responded_to > 0
    breach = (
        f"{format_count(s.broke_sla)} ({format_percent(s.breach_fraction)})" if answered else format_count(s.broke_sla)
    )

    def dur(x: float) -> str:
        return format_duration(x) if answered else MISSING

    fields = [
        ("Conversations", format_count(s.total_volume)),
        ("Responded to", format_count(s.total_responded_to)),
        ("SLA breaches", breach),
        ("Agent SLA breaches", format_count(s.broke_action_sla)),
        ("Avg customer wait", dur(s.avg_response_time)),
        ("Median customer wait", dur(s.median_response_time)),
        ("Avg agent response", dur(s.avg_action_response_time)),
        ("Median agent response", dur(s.median_action_response_time)),
    ]
    fallback = (
        f"{_plural(s.total_volume, 'conversation')}, {format_count(s.total_responded_to)} responded, "
        f"{_plural(s.broke_sla, 'SLA breach', 'SLA breaches')}"
        + (f" ({format_percent(s.breach_fraction)}), median wait {dur(s.median_response_time)}" if answered else "")
    )
    return _report(SUMMARY_TITLE, tf, ctx, [bk.fields_section(fields)], fallback)


def team_message(agents: list[AgentSummary], tf: Timeframe, ctx: ReplyContext) -> dict:
    """`user_summary`: one row per agent, most assigned first."""
    if not agents or all(a.mentions_assigned == 0 and a.total_responded_to == 0 for a in agents):
        return _empty(TEAM_TITLE, tf, ctx)
    ordered = sorted(agents, key=lambda a: (-a.mentions_assigned, -a.total_responded_to, a.name.casefold()))
    assigned = sum(a.mentions_assigned for a in agents)
    responded = sum(a.total_responded_to for a in agents)
    breaches = sum(a.broke_sla for a in agents)
    share = f" ({format_percent(responded / assigned)})" if assigned else ""
    intro = (
        f"*{_plural(len(agents), 'agent')}* · {format_count(assigned)} assigned · "
        f"{format_count(responded)} responded{share} · {_plural(breaches, 'SLA breach', 'SLA breaches')}"
    )
    cols = [
        _Col("Agent", right=False, max_width=MAX_NAME),
        _Col("Assigned"),
        _Col("Responded"),
        _Col("%"),
        _Col("Avg resp"),
        _Col("Breaches"),
    ]
    rows = [
        [
            a.name,
            format_count(a.mentions_assigned),
            format_count(a.total_responded_to),
            format_percent(a.fraction_responded_to) if a.mentions_assigned else MISSING,
            format_duration(a.avg_response_time) if a.total_responded_to else MISSING,
            format_count(a.broke_sla),
        ]
        for a in ordered
    ]
    body = [bk.section(intro), *_table_blocks(cols, rows, "agents")]
    body.append(
        bk.context(
            ["Avg resp = average customer wait for the agent's replies. Breaches = replies over the customer SLA."]
        )
    )
    fallback = (
        f"{_plural(len(agents), 'agent')}, {format_count(assigned)} assigned, "
        f"{format_count(responded)} responded, {_plural(breaches, 'SLA breach', 'SLA breaches')}"
    )
    return _report(TEAM_TITLE, tf, ctx, body, fallback)


def _open(states: dict[str, int]) -> int:
    return sum(states.get(s, 0) for s in OPEN_STATES)


def _closed(states: dict[str, int]) -> int:
    if "all_closed_states" in states:
        return states["all_closed_states"]
    return sum(states.get(s, 0) for s in CLOSED_STATES)


def workload_message(agents: list[AgentVolume], tf: Timeframe, ctx: ReplyContext) -> dict:
    """`user_volume`: each agent's conversations by state, most open first."""
    if not agents or all(not any(v for v in a.states.values()) for a in agents):
        return _empty(WORKLOAD_TITLE, tf, ctx)
    ordered = sorted(agents, key=lambda a: (-_open(a.states), -_closed(a.states), a.name.casefold()))
    total_open = sum(_open(a.states) for a in agents)
    total_closed = sum(_closed(a.states) for a in agents)
    intro = (
        f"*{format_count(total_open)} open* · {format_count(total_closed)} closed · "
        f"across {_plural(len(agents), 'agent')}"
    )
    cols = [
        _Col("Agent", right=False, max_width=MAX_NAME),
        _Col("Open"),
        _Col("New"),
        _Col("Asgn"),
        _Col("Prog"),
        _Col("Resp"),
        _Col("Appr"),
        _Col("Closed"),
    ]
    rows = [
        [
            a.name,
            format_count(_open(a.states)),
            *(format_count(a.states.get(s, 0)) for s in OPEN_STATES),
            format_count(_closed(a.states)),
        ]
        for a in ordered
    ]
    body = [bk.section(intro), *_table_blocks(cols, rows, "agents"), bk.context([WORKLOAD_LEGEND])]
    fallback = (
        f"{format_count(total_open)} open, {format_count(total_closed)} closed across {_plural(len(agents), 'agent')}"
    )
    return _report(WORKLOAD_TITLE, tf, ctx, body, fallback)


def _aligned(series: dict[str, list[Point]]) -> tuple[list[datetime], dict[str, list[float]]]:
    """Every series on the union of bucket starts (a missing bucket counts 0)."""
    starts = sorted({p.start for pts in series.values() for p in pts})
    out = {}
    for name, pts in series.items():
        by = defaultdict(float)
        for p in pts:
            by[p.start] += p.value
        out[name] = [by.get(t, 0.0) for t in starts]
    return starts, out


def states_message(sv: StatesVolume, tf: Timeframe, ctx: ReplyContext) -> dict:
    """`states_volume`: total per state and a trend bar per state."""
    series = {k: v for k, v in sv.series.items() if not k.startswith("all_")}
    starts, values = _aligned(series)
    totals = {k: int(sum(v)) for k, v in values.items()}
    if not totals or not any(totals.values()):
        return _empty(STATES_TITLE, tf, ctx)
    hourly = _is_hourly(starts)
    order = sorted(totals, key=lambda k: (-totals[k], k))
    rows, group = [], 1
    for k in order:
        bars, group = _trend(values[k])
        rows.append([state_label(k), format_count(totals[k]), bars])
    cols = [_Col("State", right=False, max_width=MAX_NAME), _Col("Total"), _Col("Trend", right=False)]
    body = _table_blocks(cols, rows, "states")
    span = (
        f"{_bucket_label(starts[0], hourly)} – {_bucket_label(starts[-1], hourly)}"
        if len(starts) > 1
        else _bucket_label(starts[0], hourly)
    )
    body.append(bk.context([f"Trend: {_bar_note(hourly, group)}, {span}; each bar scaled to that state's peak."]))
    top = ", ".join(f"{format_count(totals[k])} {esc(state_label(k).lower())}" for k in order[:3])
    return _report(STATES_TITLE, tf, ctx, body, top)


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
        return _empty(CLASSIFICATIONS_TITLE, tf, ctx)
    top = max(1, top)
    lines = []
    for i, k in enumerate(ranked[:top], 1):
        parts = sorted(((s, v) for s, v in by_state.get(k, {}).items() if v), key=lambda sv: (-sv[1], sv[0]))
        detail = ", ".join(f"{esc(state_label(s).lower())} {format_count(v)}" for s, v in parts)
        lines.append(
            f"{i}. *{esc(names[k]) or '(unnamed)'}* — {format_count(totals[k])}" + (f"  ({detail})" if detail else "")
        )
    body = _list_blocks(lines, "classifications", total=len(ranked))
    fallback = ", ".join(f"{esc(names[k]) or '(unnamed)'} {format_count(totals[k])}" for k in ranked[:3])
    return _report(CLASSIFICATIONS_TITLE, tf, ctx, body, fallback)


def response_time_message(rv: ResponseVolume, tf: Timeframe, ctx: ReplyContext) -> dict:
    """`response_volume` (seconds): trend, best and worst bucket, average of the buckets."""
    pts = rv.avg_response_time
    answered = [p for p in pts if p.value > 0]  # a 0 bucket had no replies, not instant ones
    if not answered:
        return _empty(RESPONSE_TIME_TITLE, tf, ctx)
    hourly = _is_hourly([p.start for p in pts])
    best = min(answered, key=lambda p: (p.value, p.start))
    worst = max(answered, key=lambda p: (p.value, p.start))
    avg = sum(p.value for p in answered) / len(answered)
    unit = "hour" if hourly else "day"
    bars, group = _trend([p.value if p.value > 0 else None for p in pts], how="mean")
    fields = [
        (f"Average ({unit}s with replies)", format_duration(avg)),
        (f"{unit.capitalize()}s with replies", f"{format_count(len(answered))} of {format_count(len(pts))}"),
        (f"Best {unit}", f"{format_duration(best.value)} · {_bucket_label(best.start, hourly)}"),
        (f"Worst {unit}", f"{format_duration(worst.value)} · {_bucket_label(worst.start, hourly)}"),
    ]
    body = [
        bk.fields_section(fields),
        bk.section(f"*Trend* `{bars}`"),
        bk.context([f"Average customer wait, {_bar_note(hourly, group)}; higher is slower, blank = no replies."]),
    ]
    fallback = (
        f"average {format_duration(avg)}, best {format_duration(best.value)} "
        f"({_bucket_label(best.start, hourly)}), worst {format_duration(worst.value)} "
        f"({_bucket_label(worst.start, hourly)})"
    )
    return _report(RESPONSE_TIME_TITLE, tf, ctx, body, fallback)


def cases_message(cs: CaseSummary, cv: CaseVolume, tf: Timeframe, ctx: ReplyContext) -> dict:
    """`case_summary` + `case_volume`: closed cases, reply and resolution times, open-case trend."""
    if cs.total_cases == 0 and not any(p.value for p in cv.open):
        return _empty(CASES_TITLE, tf, ctx)
    has_cases = cs.total_cases > 0

    def dur(x: float) -> str:
        return format_duration(x) if has_cases else MISSING

    fields = [
        ("Cases closed", format_count(cs.total_cases)),
        ("Replies per case", format_count(round(cs.agent_interactions, 1)) if has_cases else MISSING),
        ("Avg first reply", dur(cs.first_reply_time)),
        ("Median first reply", dur(cs.median_first_reply_time)),
        ("Avg resolution", dur(cs.resolution_time)),
        ("Median resolution", dur(cs.median_resolution_time)),
        ("Agents per case", format_count(round(cs.agents_involved, 1)) if has_cases else MISSING),
    ]
    body = [bk.fields_section(fields)]
    if cv.open:
        hourly = _is_hourly([p.start for p in cv.open])
        # open cases is a level, not a flow: group buckets by their mean
        bars, group = _trend([p.value for p in cv.open], how="mean")
        peak = max(cv.open, key=lambda p: (p.value, p.start))
        body.append(
            bk.section(
                f"*Open cases* `{bars}`\n{format_count(cv.open[-1].value)} open at {_bucket_label(cv.open[-1].start, hourly)}"
                f" · peak {format_count(peak.value)} on {_bucket_label(peak.start, hourly)}"
            )
        )
        body.append(bk.context([f"Open cases, {_bar_note(hourly, group)}."]))
    fallback = (
        f"{_plural(cs.total_cases, 'case')} closed, avg first reply {dur(cs.first_reply_time)}, "
        f"avg resolution {dur(cs.resolution_time)}"
    )
    return _report(CASES_TITLE, tf, ctx, body, fallback)


def case_classifications_message(
    items: list[CaseClassification], tf: Timeframe, ctx: ReplyContext, top: int = 10
) -> dict:
    """`case_classifications`: top N classifications by cases."""
    ranked = sorted((c for c in items if c.volume > 0), key=lambda c: (-c.volume, c.classification.casefold()))
    if not ranked:
        return _empty(CASE_CLASSIFICATIONS_TITLE, tf, ctx)
    top = max(1, top)
    lines = [
        f"{i}. *{esc(c.classification) or '(unnamed)'}* — {_plural(c.volume, 'case')}"
        for i, c in enumerate(ranked[:top], 1)
    ]
    body = _list_blocks(lines, "classifications", total=len(ranked))
    body.append(bk.context(["A classification counts once per case."]))
    fallback = ", ".join(f"{esc(c.classification) or '(unnamed)'} {format_count(c.volume)}" for c in ranked[:3])
    return _report(CASE_CLASSIFICATIONS_TITLE, tf, ctx, body, fallback)


def _form_name(form: Form) -> str:
    return esc(form.name or form.title or f"form {form.id}")


def _day_score(d: NpsSummary) -> float | None:
    if d.total_received <= 0:
        return None
    if d.total_promoters + d.total_passives + d.total_detractors == 0:
        return d.nps_score
    return (d.total_promoters - d.total_detractors) / d.total_received * 100


def nps_message(
    form: Form, s: NpsSummary, days: list[NpsDay], tf: Timeframe, ctx: ReplyContext, category: str | None = None
) -> dict:
    """`nps_summary` + `nps_volume`: signed score, the three groups with %, response rate, daily trend."""
    name = _form_name(form)
    only = f" · {esc(category)} only" if category and category != "all" else ""
    intro = f"*{name}* (form `{form.id}`){only}"
    if s.total_received <= 0:
        sent = f" {_plural(s.total_sent, 'survey')} sent, none answered." if s.total_sent else ""
        body = [bk.section(intro), bk.section(f":zzz: {NO_NPS}{sent}"), bk.context([_no_data_hint(tf)])]
        return _report(NPS_TITLE, tf, ctx, body, f"{name}: no survey responses{(' —' + sent) if sent else ''}")
    r = s.total_received
    fields = [
        ("NPS", f"*{format_nps(s.nps_score)}*"),
        (
            "Responses",
            f"{format_count(r)} of {format_count(s.total_sent)} sent ({format_percent(s.response_rate)})"
            if s.total_sent
            else format_count(r),
        ),
        ("Promoters (9–10)", f"{format_count(s.total_promoters)} ({format_percent(s.total_promoters / r)})"),
        ("Passives (7–8)", f"{format_count(s.total_passives)} ({format_percent(s.total_passives / r)})"),
        ("Detractors (0–6)", f"{format_count(s.total_detractors)} ({format_percent(s.total_detractors / r)})"),
    ]
    body = [bk.section(intro), bk.fields_section(fields)]
    scores = [_day_score(d.data) for d in days]
    if any(x is not None for x in scores):
        # group days by their pooled counts so a grouped bar is a real NPS, not a mean of scores
        group = max(1, math.ceil(len(days) / SPARK_WIDTH))
        pooled = []
        for i in range(0, len(days), group):
            chunk = [d.data for d in days[i : i + group]]
            pooled.append(
                _day_score(
                    NpsSummary(
                        sum(c.total_sent for c in chunk),
                        sum(c.total_received for c in chunk),
                        sum(c.total_promoters for c in chunk),
                        sum(c.total_passives for c in chunk),
                        sum(c.total_detractors for c in chunk),
                        sum(c.nps_score * c.total_received for c in chunk)
                        / max(1, sum(c.total_received for c in chunk)),
                    )
                )
            )
        body.append(bk.section(f"*Daily NPS* `{sparkline(pooled)}`"))
        body.append(bk.context([f"{_bar_note(False, group).capitalize()}; blank = no responses."]))
    fallback = (
        f"{name} {format_nps(s.nps_score)} from {_plural(r, 'response')} "
        f"({_plural(s.total_promoters, 'promoter')}, {_plural(s.total_passives, 'passive')}, "
        f"{_plural(s.total_detractors, 'detractor')})"
    )
    return _report(NPS_TITLE, tf, ctx, body, fallback)


# ---------------------------------------------------------------- lists


def users_message(users: list[User], groups: list[Group], ctx: ReplyContext) -> dict:
    """GET /users: active users with id, email and groups."""
    active = sorted((u for u in users if not u.archived), key=lambda u: (u.name.casefold(), u.id))
    archived = len(users) - len(active)
    if not active:
        return _empty(USERS_TITLE, None, ctx, "No active users in this Lexer account.", None)
    group_names = {g.id: g.name for g in groups}
    lines = []
    for u in active[:MAX_LIST_ROWS]:
        gs = ", ".join(esc(group_names[g]) for g in u.groups if g in group_names)
        email = f" · {esc(u.email)}" if u.email and u.email != u.name else ""
        lines.append(f"• *{esc(u.name)}* `{u.id}`{email}" + (f" — {gs}" if gs else ""))
    body = _list_blocks(lines, "users", total=len(active))
    notes = [USERS_TIP] + ([f"{_plural(archived, 'archived user')} not shown."] if archived else [])
    body.append(bk.context([" ".join(notes)]))
    return _report(USERS_TITLE, None, ctx, body, _plural(len(active), "active user"))


def groups_message(groups: list[Group], users: list[User], ctx: ReplyContext) -> dict:
    """GET /groups: each group with id, member count and comment."""
    if not groups:
        return _empty(GROUPS_TITLE, None, ctx, "No groups in this Lexer account.", None)
    members: dict[int, int] = defaultdict(int)
    for u in users:
        if not u.archived:
            for g in set(u.groups):
                members[g] += 1
    lines = []
    for g in sorted(groups, key=lambda g: (g.name.casefold(), g.id))[:MAX_LIST_ROWS]:
        comment = f" · {esc(g.comment)}" if g.comment.strip() else ""
        lines.append(f"• *{esc(g.name) or '(unnamed)'}* `{g.id}` — {_plural(members[g.id], 'member')}{comment}")
    body = _list_blocks(lines, "groups", total=len(groups))
    body.append(bk.context([GROUPS_TIP]))
    return _report(GROUPS_TITLE, None, ctx, body, _plural(len(groups), "group"))


def forms_message(forms: list[Form], ctx: ReplyContext) -> dict:
    """GET /forms: active forms, NPS surveys first."""
    active = sorted((f for f in forms if not f.archived), key=lambda f: (not f.nps, f.name.casefold(), f.id))
    archived = len(forms) - len(active)
    if not active:
        return _empty(FORMS_TITLE, None, ctx, "No active forms in this Lexer account.", None)
    lines = []
    for f in active[:MAX_LIST_ROWS]:
        kind = "NPS survey" if f.nps else "form"
        title = f" · {esc(f.title)}" if f.title and f.title != f.name else ""
        lines.append(f"• *{_form_name(f)}* `{f.id}` — {kind}{title}")
    body = _list_blocks(lines, "forms", total=len(active))
    notes = [FORMS_TIP] + ([f"{_plural(archived, 'archived form')} not shown."] if archived else [])
    body.append(bk.context([" ".join(notes)]))
    nps = sum(1 for f in active if f.nps)
    return _report(FORMS_TITLE, None, ctx, body, f"{_plural(len(active), 'active form')}, {format_count(nps)} NPS")


# ---------------------------------------------------------------- help, errors, notices


def help_message(usage: dict[str, str], order: list[str], topic: str | None = None) -> dict:
    """Every command with its usage line (mrkdwn from the parser), in `order`, then any others."""
    names = [n for n in order if n in usage] + sorted(n for n in usage if n not in order)
    blocks: list[dict] = []
    if topic is not None and topic in usage:
        blocks.append(bk.header(f"/lexer {topic}"))
        blocks.append(bk.section(usage[topic]))
        blocks.append(bk.context([HELP_FOOTER]))
        return _message(f"/lexer {topic}: {usage[topic]}", blocks)
    blocks.append(bk.header(HELP_TITLE))
    if topic is not None:
        blocks.append(bk.section(f"I have no help on `{esc(topic)}`; here is everything."))
    blocks.extend(_list_blocks([f"• {usage[n]}" for n in names], "commands", max_sections=bk.MAX_BLOCKS - 5))
    blocks.append(bk.context([HELP_FOOTER]))
    return _message("/lexer commands: " + ", ".join(names), blocks)


def error_message(
    problem: str, hint: str | None = None, usage: str | None = None, *, ask_users: tuple[str, ...] = ()
) -> dict:
    """A refusal or failure; texts may echo user input, so & < > are escaped (backticks stay).

    `ask_users` are Slack user ids (validated at config time) shown as real mentions.
    """
    blocks = [bk.section(f":warning: {mrkdwn_escape(problem)}")]
    extra = []
    if hint:
        extra.append(mrkdwn_escape(hint))
    if ask_users:
        extra.append("Ask " + ", ".join(f"<@{u}>" for u in ask_users if re.fullmatch(r"[UW][A-Z0-9]+", u)) + ".")
    if usage:
        extra.append(f"*Usage:* {mrkdwn_escape(usage)}")
    if extra:
        blocks.append(bk.context(extra))
    return _message(f"⚠ {mrkdwn_escape(problem)}", blocks)


def notice_message(text: str, *, title: str | None = None) -> dict:
    """A plain confirmation; `text` is mrkdwn built by the caller (escape data in it, keep <#C…> links)."""
    blocks = []
    if title:
        blocks.append(bk.header(title))
    blocks.append(bk.section(text))
    return _message(f"{title}: {text}" if title else text, blocks)
