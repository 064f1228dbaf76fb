"""The report feature: /lexer summary, team, workload, states, classifications, response-time, cases,
case-classifications, nps, and help. Activity API in, message builders out."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.commands.answer import Asker, CommandHandler, Reply, filters_for, timeframe_for
from bot.errors import CommandError
from bot.lexer.client import Filters
from bot.lexer.directory import resolve_nps_form
from bot.lexer.models import CaseVolume, Point, ResponseVolume, StatesVolume
from bot.slack.actions import REPORT_COMPARE, REPORT_RANGE, REPORT_SHARE, parse_report_control_value
from bot.slack.messages import reports
from bot.slack.messages.common import ReplyContext
from bot.slack.messages.compared import compared
from bot.slack.messages.controls import (
    DELIVER_NEW,
    DELIVER_REPLACE,
    DELIVER_SHARE,
    ReportState,
    compare_message,
    with_controls,
)
from bot.slack.messages.help import help_message
from bot.slack.messages.targets import TargetSet, applicable, targets_from_rows
from bot.slack.parsing import HELP_ORDER, REPORT_COMMANDS, USAGE, HelpCommand, ReportCommand
from bot.timeframe import Timeframe, previous_period

if TYPE_CHECKING:
    from bot.deps import Deps

logger = logging.getLogger(__name__)

DEFAULT_NPS_RANGE = "last-7d"
TITLES = {
    "summary": reports.SUMMARY_TITLE,
    "team": reports.TEAM_TITLE,
    "workload": reports.WORKLOAD_TITLE,
    "states": reports.STATES_TITLE,
    "classifications": reports.CLASSIFICATIONS_TITLE,
    "response-time": reports.RESPONSE_TIME_TITLE,
    "cases": reports.CASES_TITLE,
    "case-classifications": reports.CASE_CLASSIFICATIONS_TITLE,
}
ROW_WORDS = {
    "team": "agents",
    "workload": "agents",
    "states": "states",
    "classifications": "classifications",
    "case-classifications": "classifications",
}


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


def _fetch(name: str, api, tf: Timeframe, filters: Filters, now: datetime) -> Any:
    """The model(s) one report is built from (nps is fetched apart: it needs a form)."""
    if name == "summary":
        return api.summary(tf, filters)
    if name == "team":
        return api.user_summary(tf, filters)
    if name == "workload":
        return api.user_volume(tf, filters)
    if name == "states":
        return drop_future_states(api.states_volume(tf, filters), tf, now)
    if name == "classifications":
        return api.classifications(tf, filters)
    if name == "response-time":
        return ResponseVolume(drop_future(api.response_volume(tf, filters).avg_response_time, tf, now))
    if name == "cases":
        cv = api.case_volume(tf, filters)
        return api.case_summary(tf, filters), CaseVolume(drop_future(cv.open, tf, now))
    if name == "case-classifications":
        return api.case_classifications(tf, filters)
    raise CommandError(f"`{name}` is not a report.")


def _compared_fetch(name: str, api, tf: Timeframe, filters: Filters, now: datetime) -> Any:
    """What a compared answer is built from: it shows no open-case trend, so cases asks for its summary only."""
    if name == "cases":
        return api.case_summary(tf, filters)
    return _fetch(name, api, tf, filters, now)


def _message(name: str, model: Any, tf: Timeframe, ctx: ReplyContext, targets: TargetSet | None = None) -> dict:
    if name == "summary":
        return reports.summary_message(model, tf, ctx, targets=targets)
    if name == "team":
        return reports.team_message(model, tf, ctx, targets=targets)
    if name == "workload":
        return reports.workload_message(model, tf, ctx)
    if name == "states":
        return reports.states_message(model, tf, ctx)
    if name == "classifications":
        return reports.classifications_message(model, tf, ctx)
    if name == "response-time":
        return reports.response_time_message(model, tf, ctx)
    if name == "cases":
        return reports.cases_message(*model, tf, ctx)
    return reports.case_classifications_message(model, tf, ctx)


def _compared_message(title: str, name: str, now_model: Any, before_model: Any, tf, before, ctx) -> dict:
    figures, rows = compared(name, now_model, before_model)
    return compare_message(title, figures, tf, before, ctx, rows, ROW_WORDS.get(name, "rows"))


def _nps(cmd: ReportCommand, asker: Asker, deps: Deps, filters: Filters, ctx: ReplyContext):
    api, now = deps.api, deps.now()
    form = resolve_nps_form(deps.directory, cmd.form)
    tf = timeframe_for(cmd, asker, now, DEFAULT_NPS_RANGE)
    category = cmd.category or "all"
    s = api.nps_summary(tf, form.id, category, filters)
    if cmd.compare:
        before = previous_period(tf, now)
        message = _compared_message(
            f"{reports.NPS_TITLE} · {form.name or form.id}",
            "nps",
            s,
            api.nps_summary(before, form.id, category, filters),
            tf,
            before,
            ctx,
        )
    else:
        message = reports.nps_message(form, s, api.nps_volume(tf, form.id, category, filters), tf, ctx, cmd.category)
    return message, tf, form.id


def _report(cmd: ReportCommand, asker: Asker, deps: Deps) -> tuple[dict, ReportState]:
    """The answer and what it shows (the state its controls carry)."""
    filters, ftext = filters_for(deps.directory, cmd)
    ctx, now = _ctx(deps, ftext), deps.now()
    form_id = None
    if cmd.name == "nps":
        message, tf, form_id = _nps(cmd, asker, deps, filters, ctx)
    else:
        tf = timeframe_for(cmd, asker, now)
        if cmd.compare:
            before = previous_period(tf, now)
            model, earlier = (_compared_fetch(cmd.name, deps.api, t, filters, now) for t in (tf, before))
            message = _compared_message(TITLES[cmd.name], cmd.name, model, earlier, tf, before, ctx)
        else:
            model = _fetch(cmd.name, deps.api, tf, filters, now)
            message = _message(cmd.name, model, tf, ctx, _targets(deps, filters))
    state = ReportState(
        cmd.name,
        tf.text,
        asker.user_id,
        group_id=filters.groups[0] if filters.groups else None,
        agent_id=filters.users[0] if filters.users else None,
        form_id=form_id,
        category=cmd.category,
        compare=cmd.compare,
    )
    return message, state


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


# ---------------------------------------------------------------- the controls under an answer


def _control_job(action: dict, body: dict, *, share: bool) -> dict | None:
    """What a click asks for, as a /lexer request for the command path; None when the value is not ours."""
    text, asker_id = parse_report_control_value(_control_value(action))
    if not text:
        return None
    user_id = str((body.get("user") or {}).get("id") or "")
    container = body.get("container") or {}
    private = bool(container.get("is_ephemeral"))
    job = {
        "user_id": user_id,
        "channel_id": (body.get("channel") or {}).get("id") or container.get("channel_id"),
        "text": text,
        "response_url": body.get("response_url"),
    }
    if user_id != asker_id:
        # someone else's answer (a shared one): theirs comes privately, in their timezone
        return {**job, "delivery": DELIVER_NEW}
    if share:
        return {**job, "text": f"{text} public", "delivery": DELIVER_SHARE}
    # the asker's own answer changes in place; a shared one stays shared
    return {**job, "text": text if private else f"{text} public", "delivery": DELIVER_REPLACE}


def _control_value(action: dict) -> str | None:
    if action.get("type") == "static_select":
        return ((action.get("selected_option") or {}).get("value")) or None
    return action.get("value")


def range_or_compare_click(action: dict, body: dict, deps: Deps, client=None, respond=None) -> dict | None:
    """The range menu and Compare: the answer for the new state, through the command path."""
    return _control_job(action, body, share=False)


def share_click(action: dict, body: dict, deps: Deps, client=None, respond=None) -> dict | None:
    """Share in channel: the same answer, public with the asker's name, once; then the private copy goes."""
    job = _control_job(action, body, share=True)
    if job is None or job.get("delivery") != DELIVER_SHARE:
        return job
    container = body.get("container") or {}
    message_ts = str(container.get("message_ts") or "")
    if message_ts and not deps.store.report_shares.claim(
        str(job.get("channel_id") or ""), message_ts, job["user_id"], deps.now()
    ):
        logger.info("report answer %s was shared already; not posting it twice", message_ts)
        return None
    return job


ACTIONS = {REPORT_RANGE: range_or_compare_click, REPORT_COMPARE: range_or_compare_click, REPORT_SHARE: share_click}
