"""`/lexer export cases|responses|nps …`: validate, put a job in the export queue, answer at once."""

from __future__ import annotations

import logging

from bot.commands.answer import DEFAULT_RANGE, Asker, CommandHandler, Reply, filters_for
from bot.deps import Deps
from bot.errors import CommandError
from bot.features.exports.queue import ExportQueue
from bot.lexer.client import EXPORT_TYPES
from bot.lexer.directory import resolve_nps_form
from bot.slack.messages.exports import NOT_IN_SLACK, queued_reply_text
from bot.slack.messages.help import notice_message
from bot.slack.parsing import ExportCommand
from bot.timeframe import parse_range

logger = logging.getLogger(__name__)


def export_command(cmd: ExportCommand, asker: Asker, deps: Deps) -> Reply:
    """`/lexer export cases|responses [RANGE]`, `export nps [FORM] [RANGE]`: validate, queue, answer at once."""
    queue: ExportQueue | None = deps.exports
    if deps.slack is None or queue is None:
        return Reply(notice_message(NOT_IN_SLACK))
    kind = cmd.kind
    if kind not in EXPORT_TYPES:
        raise CommandError("Say what to export: cases, responses or nps.")
    tf = parse_range(cmd.range_text or DEFAULT_RANGE, asker.tz, deps.now())
    filters, filters_text = filters_for(deps.directory, cmd)
    form = resolve_nps_form(deps.directory, cmd.form) if kind == "nps" else None
    category = (cmd.category or "all") if kind == "nps" else None
    if category and category != "all":
        filters_text = " · ".join(x for x in (filters_text, category) if x)
    job_id = queue.submit(
        user_id=asker.user_id,
        kind=kind,
        tf=tf,
        form_id=form.id if form else None,
        form_name=form.name if form else None,
        category=category,
        filters=filters,
        filters_text=filters_text,
        store=deps.store,
        slack=deps.slack,
    )
    try:
        deps.store.audit_log.record(
            asker.user_id, "export", {"job": job_id, "kind": kind, "range": tf.text, "form": form.id if form else None}
        )
    except Exception:
        logger.warning("could not audit export %s", job_id)
    return Reply(notice_message(queued_reply_text(kind, form.name if form else None, tf, filters_text)))


COMMANDS: dict[str, CommandHandler] = {"export": export_command}


def export_worker(deps):
    """The queue to start with the process and stop with it; None where no Slack client can deliver files."""
    return deps.exports
