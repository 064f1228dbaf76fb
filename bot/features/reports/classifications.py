"""/lexer classifications and case-classifications: the top classifications, of mentions or of cases."""

from __future__ import annotations

from bot.features.reports.family import Report
from bot.lexer.models import CaseClassification, ClassificationCount
from bot.slack.messages import cases, reports
from bot.slack.messages.compared import case_classifications_compared, classifications_compared

CLASSIFICATIONS: Report[list[ClassificationCount], list[ClassificationCount]] = Report(
    title=reports.CLASSIFICATIONS_TITLE,
    fetch=lambda api, tf, filters, now: api.classifications(tf, filters),
    build=lambda items, tf, ctx, targets: reports.classifications_message(items, tf, ctx),
    fetch_compared=lambda api, tf, filters, now: api.classifications(tf, filters),
    compared=classifications_compared,
    row_word="classifications",
)

CASE_CLASSIFICATIONS: Report[list[CaseClassification], list[CaseClassification]] = Report(
    title=cases.CASE_CLASSIFICATIONS_TITLE,
    fetch=lambda api, tf, filters, now: api.case_classifications(tf, filters),
    build=lambda items, tf, ctx, targets: cases.case_classifications_message(items, tf, ctx),
    fetch_compared=lambda api, tf, filters, now: api.case_classifications(tf, filters),
    compared=case_classifications_compared,
    row_word="classifications",
)
