"""/lexer summary: the SLA headline figures."""

from __future__ import annotations

from bot.features.reports.family import Report, from_api, no_rows, plain_report
from bot.lexer.client import ActivityClient
from bot.lexer.models import Summary
from bot.slack.messages.compared import summary_figures
from bot.slack.messages.reports import SUMMARY_TITLE, summary_message

SUMMARY: Report[Summary, Summary] = plain_report(
    SUMMARY_TITLE, from_api(ActivityClient.summary), summary_message, no_rows(summary_figures), "rows"
)
