"""/lexer team and workload: each agent's numbers."""

from __future__ import annotations

from bot.features.reports.family import Report
from bot.lexer.models import AgentSummary, AgentVolume
from bot.slack.messages import reports
from bot.slack.messages.compared import team_compared, workload_compared

TEAM: Report[list[AgentSummary], list[AgentSummary]] = Report(
    title=reports.TEAM_TITLE,
    fetch=lambda api, tf, filters, now: api.user_summary(tf, filters),
    build=lambda agents, tf, ctx, targets: reports.team_message(agents, tf, ctx, targets=targets),
    fetch_compared=lambda api, tf, filters, now: api.user_summary(tf, filters),
    compared=team_compared,
    row_word="agents",
)

WORKLOAD: Report[list[AgentVolume], list[AgentVolume]] = Report(
    title=reports.WORKLOAD_TITLE,
    fetch=lambda api, tf, filters, now: api.user_volume(tf, filters),
    build=lambda agents, tf, ctx, targets: reports.workload_message(agents, tf, ctx),
    fetch_compared=lambda api, tf, filters, now: api.user_volume(tf, filters),
    compared=workload_compared,
    row_word="agents",
)
