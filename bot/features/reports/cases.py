"""/lexer cases: closed cases and their times, with the open-case trend."""

from __future__ import annotations

from datetime import datetime

from bot.features.reports.family import Report, drop_future, from_api, no_rows
from bot.lexer.client import ActivityClient, Filters
from bot.lexer.models import CaseSummary, CaseVolume
from bot.slack.messages.cases import CASES_TITLE, cases_message
from bot.slack.messages.compared import cases_figures
from bot.timeframe import Timeframe


def fetch_cases(api: ActivityClient, tf: Timeframe, filters: Filters, now: datetime) -> tuple[CaseSummary, CaseVolume]:
    cv = api.case_volume(tf, filters)
    return api.case_summary(tf, filters), CaseVolume(drop_future(cv.open, tf, now))


CASES: Report[tuple[CaseSummary, CaseVolume], CaseSummary] = Report(
    title=CASES_TITLE,
    fetch=fetch_cases,
    build=lambda model, tf, ctx, targets: cases_message(*model, tf, ctx),
    # a compared answer shows no open-case trend, so it asks for the summary only
    fetch_compared=from_api(ActivityClient.case_summary),
    compared=no_rows(cases_figures),
)
