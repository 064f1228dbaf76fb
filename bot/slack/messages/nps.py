"""The NPS report: one survey form's summary and daily volume + a Timeframe -> a Slack message (pure)."""

from __future__ import annotations

import math

from bot.lexer.models import Form, NpsDay, NpsSummary
from bot.slack import blocks as bk
from bot.slack.format import format_count, format_nps, format_percent, sparkline
from bot.slack.messages.common import SPARK_WIDTH, ReplyContext, esc, form_name, no_data_hint, plural, report_message
from bot.slack.messages.series import bar_note
from bot.timeframe import Timeframe

NPS_TITLE = "NPS"
NO_NPS = "No survey responses in this range."


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
    name = form_name(form)
    only = f" · {esc(category)} only" if category and category != "all" else ""
    intro = f"*{name}* (form `{form.id}`){only}"
    if s.total_received <= 0:
        sent = f" {plural(s.total_sent, 'survey')} sent, none answered." if s.total_sent else ""
        body = [bk.section(intro), bk.section(f":zzz: {NO_NPS}{sent}"), bk.context([no_data_hint(tf)])]
        return report_message(NPS_TITLE, tf, ctx, body, f"{name}: no survey responses{(' —' + sent) if sent else ''}")
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
        body.append(bk.context([f"{bar_note(False, group).capitalize()}; blank = no responses."]))
    fallback = (
        f"{name} {format_nps(s.nps_score)} from {plural(r, 'response')} "
        f"({plural(s.total_promoters, 'promoter')}, {plural(s.total_passives, 'passive')}, "
        f"{plural(s.total_detractors, 'detractor')})"
    )
    return report_message(NPS_TITLE, tf, ctx, body, fallback)
