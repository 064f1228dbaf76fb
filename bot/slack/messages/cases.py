"""Case reports: a case model + a Timeframe -> a whole Slack message {"text", "blocks"} (pure)."""

from __future__ import annotations

from bot.lexer.models import CaseClassification, CaseSummary, CaseVolume
from bot.slack import blocks as bk
from bot.slack.format import MISSING, format_count, format_duration
from bot.slack.messages.common import ReplyContext, empty_message, esc, list_blocks, plural, report_message
from bot.slack.messages.series import bar_note, bucket_label, is_hourly, trend
from bot.timeframe import Timeframe

CASES_TITLE = "Cases"
CASE_CLASSIFICATIONS_TITLE = "Top case classifications"


def cases_message(cs: CaseSummary, cv: CaseVolume, tf: Timeframe, ctx: ReplyContext) -> dict:
    """`case_summary` + `case_volume`: closed cases, reply and resolution times, open-case trend."""
    if cs.total_cases == 0 and not any(p.value for p in cv.open):
        return empty_message(CASES_TITLE, tf, ctx)
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
        hourly = is_hourly([p.start for p in cv.open])
        # open cases is a level, not a flow: group buckets by their mean
        bars, group = trend([p.value for p in cv.open], how="mean")
        peak = max(cv.open, key=lambda p: (p.value, p.start))
        body.append(
            bk.section(
                f"*Open cases* `{bars}`\n{format_count(cv.open[-1].value)} open at {bucket_label(cv.open[-1].start, hourly)}"
                f" · peak {format_count(peak.value)} on {bucket_label(peak.start, hourly)}"
            )
        )
        body.append(bk.context([f"Open cases, {bar_note(hourly, group)}."]))
    fallback = (
        f"{plural(cs.total_cases, 'case')} closed, avg first reply {dur(cs.first_reply_time)}, "
        f"avg resolution {dur(cs.resolution_time)}"
    )
    return report_message(CASES_TITLE, tf, ctx, body, fallback)


def case_classifications_message(
    items: list[CaseClassification], tf: Timeframe, ctx: ReplyContext, top: int = 10
) -> dict:
    """`case_classifications`: top N classifications by cases."""
    ranked = sorted((c for c in items if c.volume > 0), key=lambda c: (-c.volume, c.classification.casefold()))
    if not ranked:
        return empty_message(CASE_CLASSIFICATIONS_TITLE, tf, ctx)
    top = max(1, top)
    lines = [
        f"{i}. *{esc(c.classification) or '(unnamed)'}* — {plural(c.volume, 'case')}"
        for i, c in enumerate(ranked[:top], 1)
    ]
    body = list_blocks(lines, "classifications", total=len(ranked))
    body.append(bk.context(["A classification counts once per case."]))
    fallback = ", ".join(f"{esc(c.classification) or '(unnamed)'} {format_count(c.volume)}" for c in ranked[:3])
    return report_message(CASE_CLASSIFICATIONS_TITLE, tf, ctx, body, fallback)
