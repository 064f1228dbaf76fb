"""The report feature: /lexer summary, team, workload, states, classifications, response-time, cases,
case-classifications, nps, and help. Activity API in, message builders out.

REPORTS is the table from a report's name to its entry (bot.features.reports.family): each entry owns its
fetch and its builder call, so a report is found by reading one line here and one module beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.answer import Asker, CommandHandler, Reply, filters_for
from bot.features.reports.agents import TEAM, WORKLOAD
from bot.features.reports.cases import CASES
from bot.features.reports.classifications import CASE_CLASSIFICATIONS, CLASSIFICATIONS
from bot.features.reports.controls import ACTIONS
from bot.features.reports.family import Question, ReportFamily
from bot.features.reports.nps import NPS
from bot.features.reports.summary import SUMMARY
from bot.features.reports.trends import RESPONSE_TIME, STATES
from bot.slack.messages.common import ReplyContext
from bot.slack.messages.controls import ReportState, with_controls
from bot.slack.messages.help import help_message
from bot.slack.parsing import HELP_ORDER, REPORT_COMMANDS, USAGE, HelpCommand, ReportCommand

if TYPE_CHECKING:
    from bot.deps import Deps

REPORTS: dict[str, ReportFamily] = {
    "summary": SUMMARY,
    "team": TEAM,
    "workload": WORKLOAD,
    "states": STATES,
    "classifications": CLASSIFICATIONS,
    "response-time": RESPONSE_TIME,
    "cases": CASES,
    "case-classifications": CASE_CLASSIFICATIONS,
    "nps": NPS,
}


def _report(cmd: ReportCommand, asker: Asker, deps: Deps) -> tuple[dict, ReportState]:
    """The answer and what it shows (the state its controls carry)."""
    filters, ftext = filters_for(deps.directory, cmd)
    ctx = ReplyContext(sandbox=deps.settings.sandbox_mode, filters_text=ftext)
    answer = REPORTS[cmd.name].answer(Question(cmd, asker, deps, filters, ctx))
    state = ReportState(
        cmd.name,
        answer.tf.text,
        asker.user_id,
        group_id=filters.groups[0] if filters.groups else None,
        agent_id=filters.users[0] if filters.users else None,
        form_id=answer.form_id,
        category=cmd.category,
        compare=cmd.compare,
    )
    return answer.message, state


def report_command(cmd: ReportCommand, asker: Asker, deps: Deps) -> Reply:
    """summary, team, workload, states, classifications, response-time, cases, case-classifications, nps."""
    message, state = _report(cmd, asker, deps)
    # a public answer names who asked for it; the private one offers to share itself
    shared_by = asker.user_id if cmd.public else None
    return Reply(with_controls(message, state, shared_by=shared_by), public=cmd.public)


def help_command(cmd: HelpCommand, asker: Asker, deps: Deps) -> Reply:
    return Reply(help_message(USAGE, HELP_ORDER, cmd.topic), public=cmd.public)


# /lexer words this feature answers (bot/features/__init__.py lists every feature)
COMMANDS: dict[str, CommandHandler] = {"help": help_command, **{name: report_command for name in REPORT_COMMANDS}}

__all__ = ["ACTIONS", "COMMANDS", "REPORTS"]
