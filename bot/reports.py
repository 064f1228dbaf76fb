"""The report feature: /lexer summary, team, workload, states, classifications, response-time, cases,
case-classifications, nps, and help. Activity API in, message builders out."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.commands import Asker, CommandHandler, Reply, filters_for, timeframe_for
from bot.errors import CommandError
from bot.lexer.directory import resolve_nps_form
from bot.lexer.models import CaseVolume, Point, ResponseVolume, StatesVolume
from bot.slack.messages import reports
from bot.slack.messages.common import ReplyContext
from bot.slack.messages.help import help_message
from bot.slack.messages.targets import TargetSet, applicable, targets_from_rows
from bot.slack.parsing import HELP_ORDER, REPORT_COMMANDS, USAGE, HelpCommand, ReportCommand
from bot.timeframe import Timeframe

if TYPE_CHECKING:
    from bot.deps import Deps

DEFAULT_NPS_RANGE = "last-7d"


def drop_future(points: list[Point], tf: Timeframe, now: datetime) -> list[Point]:
    """Buckets that start after now (the rest of `today`, `this-week`) are not zeros to draw in a trend."""
    local_now = now.astimezone(tf.tz).replace(tzinfo=None)
    return [p for p in points if p.start <= local_now]


def drop_future_states(sv: StatesVolume, tf: Timeframe, now: datetime) -> StatesVolume:
    return StatesVolume({state: drop_future(points, tf, now) for state, points in sv.series.items()})


def _ctx(deps: Deps, filters_text: str | None = None) -> ReplyContext:
    return ReplyContext(sandbox=deps.settings.sandbox_mode, filters_text=filters_text)


def _targets(deps: Deps, filters) -> TargetSet | None:
    """The SLA targets for this answer: none for one agent's numbers, a group's own over the workspace's."""
    if filters.users:
        return None
    chosen = applicable(targets_from_rows(deps.store.targets.all()), filters.groups[0] if filters.groups else None)
    return chosen or None


def _report(cmd: ReportCommand, asker: Asker, deps: Deps) -> dict:
    filters, ftext = filters_for(deps.directory, cmd)
    api, ctx = deps.api, _ctx(deps, ftext)
    now = deps.now()
    if cmd.name == "nps":
        form = resolve_nps_form(deps.directory, cmd.form)
        tf = timeframe_for(cmd, asker, now, DEFAULT_NPS_RANGE)
        category = cmd.category or "all"
        return reports.nps_message(
            form,
            api.nps_summary(tf, form.id, category, filters),
            api.nps_volume(tf, form.id, category, filters),
            tf,
            ctx,
            cmd.category,
        )
    tf = timeframe_for(cmd, asker, now)
    if cmd.name == "summary":
        return reports.summary_message(api.summary(tf, filters), tf, ctx, targets=_targets(deps, filters))
    if cmd.name == "team":
        return reports.team_message(api.user_summary(tf, filters), tf, ctx, targets=_targets(deps, filters))
    if cmd.name == "workload":
        return reports.workload_message(api.user_volume(tf, filters), tf, ctx)
    if cmd.name == "states":
        return reports.states_message(drop_future_states(api.states_volume(tf, filters), tf, now), tf, ctx)
    if cmd.name == "classifications":
        return reports.classifications_message(api.classifications(tf, filters), tf, ctx)
    if cmd.name == "response-time":
        rv = api.response_volume(tf, filters)
        return reports.response_time_message(ResponseVolume(drop_future(rv.avg_response_time, tf, now)), tf, ctx)
    if cmd.name == "cases":
        cv = api.case_volume(tf, filters)
        return reports.cases_message(api.case_summary(tf, filters), CaseVolume(drop_future(cv.open, tf, now)), tf, ctx)
    if cmd.name == "case-classifications":
        return reports.case_classifications_message(api.case_classifications(tf, filters), tf, ctx)
    raise CommandError(f"`{cmd.name}` is not a report.")


def report_command(cmd: ReportCommand, asker: Asker, deps: Deps) -> Reply:
    """summary, team, workload, states, classifications, response-time, cases, case-classifications, nps."""
    return Reply(_report(cmd, asker, deps), public=cmd.public)


def help_command(cmd: HelpCommand, asker: Asker, deps: Deps) -> Reply:
    return Reply(help_message(USAGE, HELP_ORDER, cmd.topic), public=cmd.public)


# /lexer words this feature answers (bot/features.py lists every feature)
COMMANDS: dict[str, CommandHandler] = {"help": help_command, **{name: report_command for name in REPORT_COMMANDS}}
