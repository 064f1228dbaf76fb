"""/lexer team and workload: each agent's numbers."""

from __future__ import annotations

from bot.features.reports.family import Report, from_api, plain_report, untargeted
from bot.lexer.client import ActivityClient
from bot.lexer.models import AgentSummary, AgentVolume
from bot.slack.messages.compared import team_compared, workload_compared
from bot.slack.messages.reports import TEAM_TITLE, WORKLOAD_TITLE, team_message, workload_message

TEAM: Report[list[AgentSummary], list[AgentSummary]] = plain_report(
    TEAM_TITLE, from_api(ActivityClient.user_summary), team_message, team_compared, "agents"
)
WORKLOAD: Report[list[AgentVolume], list[AgentVolume]] = plain_report(
    WORKLOAD_TITLE, from_api(ActivityClient.user_volume), untargeted(workload_message), workload_compared, "agents"
)
