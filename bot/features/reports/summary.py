"""/lexer summary: the SLA headline figures."""

from __future__ import annotations

from bot.features.reports.family import Report
from bot.lexer.models import Summary
from bot.slack.messages import reports
from bot.slack.messages.compared import summary_figures

SUMMARY: Report[Summary, Summary] = Report(
    title=reports.SUMMARY_TITLE,
    fetch=lambda api, tf, filters, now: api.summary(tf, filters),
    build=lambda s, tf, ctx, targets: reports.summary_message(s, tf, ctx, targets=targets),
    fetch_compared=lambda api, tf, filters, now: api.summary(tf, filters),
    compared=lambda now, before: (summary_figures(now, before), []),
)
