"""Typed Activity API results and their parsers (pure), one module per family of answers.

Parsers tolerate extra and missing fields (missing numbers become 0, missing
text ""), and normalise ids to int: the seed returns `user_id` as a string in
`user_summary` and as a number in `user_volume`. How a number Lexer sent is read
(and what an unusable one becomes) is in `figures`; the lists (users, groups,
forms), the SLA, case and NPS reports and the export status each have their
module. Callers import the names from here.
"""

from bot.lexer.models.cases import (
    CaseClassification,
    CaseSummary,
    CaseVolume,
    parse_case_classifications,
    parse_case_summary,
    parse_case_volume,
)
from bot.lexer.models.exports import ExportStatus, parse_export_status
from bot.lexer.models.figures import UNUSABLE, Point, parse_bucket_start, parse_id, whole
from bot.lexer.models.lists import Form, Group, User, parse_forms, parse_groups, parse_users
from bot.lexer.models.nps import NpsDay, NpsSummary, parse_nps_summary, parse_nps_volume
from bot.lexer.models.sla import (
    AgentSummary,
    AgentVolume,
    ClassificationCount,
    ResponseVolume,
    StatesVolume,
    Summary,
    parse_classifications,
    parse_response_volume,
    parse_states_volume,
    parse_summary,
    parse_user_summary,
    parse_user_volume,
)

__all__ = [
    "UNUSABLE",
    "AgentSummary",
    "AgentVolume",
    "CaseClassification",
    "CaseSummary",
    "CaseVolume",
    "ClassificationCount",
    "ExportStatus",
    "Form",
    "Group",
    "NpsDay",
    "NpsSummary",
    "Point",
    "ResponseVolume",
    "StatesVolume",
    "Summary",
    "User",
    "parse_bucket_start",
    "parse_case_classifications",
    "parse_case_summary",
    "parse_case_volume",
    "parse_classifications",
    "parse_export_status",
    "parse_forms",
    "parse_groups",
    "parse_id",
    "parse_nps_summary",
    "parse_nps_volume",
    "parse_response_volume",
    "parse_states_volume",
    "parse_summary",
    "parse_user_summary",
    "parse_user_volume",
    "parse_users",
    "whole",
]
