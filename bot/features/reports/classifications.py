"""/lexer classifications and case-classifications: the top classifications, of mentions or of cases."""

from __future__ import annotations

from bot.features.reports.family import Report, from_api, plain_report, untargeted
from bot.lexer.client import ActivityClient
from bot.lexer.models import CaseClassification, ClassificationCount
from bot.slack.messages.cases import CASE_CLASSIFICATIONS_TITLE, case_classifications_message
from bot.slack.messages.compared import case_classifications_compared, classifications_compared
from bot.slack.messages.reports import CLASSIFICATIONS_TITLE, classifications_message

CLASSIFICATIONS: Report[list[ClassificationCount], list[ClassificationCount]] = plain_report(
    CLASSIFICATIONS_TITLE,
    from_api(ActivityClient.classifications),
    untargeted(classifications_message),
    classifications_compared,
    "classifications",
)
CASE_CLASSIFICATIONS: Report[list[CaseClassification], list[CaseClassification]] = plain_report(
    CASE_CLASSIFICATIONS_TITLE,
    from_api(ActivityClient.case_classifications),
    untargeted(case_classifications_message),
    case_classifications_compared,
    "classifications",
)
