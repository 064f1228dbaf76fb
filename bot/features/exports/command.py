"""`/lexer export cases|responses|nps …`: validate, write the job to the export line, answer at once; and the
export workers this process starts beside its Deps (bot/features/exports/queue.py) to deliver the line."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.commands.answer import DEFAULT_RANGE, Asker, CommandHandler, Reply, filters_for
from bot.deps import Deps
from bot.errors import CommandError
from bot.features.exports.queue import DEFAULT_OPTIONS, ExportQueue, concurrency_of
from bot.isotime import utcnow_iso
from bot.lexer.client import EXPORT_TYPES, Filters
from bot.lexer.directory import resolve_nps_form
from bot.slack.messages.exports import NOT_IN_SLACK, progress_message, queued_reply_text
from bot.slack.messages.help import notice_message
from bot.slack.parsing import ExportCommand
from bot.slack_web import slack_error_code
from bot.timeframe import Timeframe, parse_range

logger = logging.getLogger(__name__)


def export_command(cmd: ExportCommand, asker: Asker, deps: Deps) -> Reply:
    """`/lexer export cases|responses [RANGE]`, `export nps [FORM] [RANGE]`: validate, queue, answer at once."""
    if deps.slack is None:  # `lexer-bot ask`: no Slack to deliver the file in
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
    job_id = queue_export(
        deps,
        user_id=asker.user_id,
        kind=kind,
        tf=tf,
        form_id=form.id if form else None,
        form_name=form.name if form else None,
        category=category,
        filters=filters,
        filters_text=filters_text,
    )
    try:
        deps.store.audit_log.record(
            asker.user_id, "export", {"job": job_id, "kind": kind, "range": tf.text, "form": form.id if form else None}
        )
    except Exception:
        logger.warning("could not audit export %s", job_id)
    return Reply(notice_message(queued_reply_text(kind, form.name if form else None, tf, filters_text)))


def queue_export(
    deps: Deps,
    *,
    user_id: str,
    kind: str,
    tf: Timeframe,
    form_id: int | None = None,
    form_name: str | None = None,
    category: str | None = None,
    filters: Filters | None = None,
    filters_text: str | None = None,
) -> int:
    """Post the job's progress message to the requester's DM, then write it to the line and wake the workers;
    returns its id. `deps` are the requester's workspace's (distribution mode): the job keeps its workspace."""
    if kind not in EXPORT_TYPES:
        raise ValueError(f"unknown export kind {kind!r}")
    now = utcnow_iso()
    filters = filters or Filters()
    row: dict[str, Any] = {
        "user_id": user_id,
        "kind": kind,
        "range_text": tf.text,
        "tz": tf.tz_name,
        "date_from": tf.date_from,
        "date_to": tf.date_to,
        "form_id": form_id,
        "form_name": form_name,
        "category": category,
        "filters": json.dumps({"users": list(filters.users), "groups": list(filters.groups)}),
        "filters_text": filters_text,
        "range_desc": tf.describe(),
        "state": "queued",
        "created_at": now,
        "updated_at": now,
        "worker": None,
        "claim_gen": 0,
        "attempts": 0,
    }
    # the message is posted before the row exists, so no worker anywhere can post a second one
    ahead = max(0, deps.store.export_jobs.unfinished_before() - concurrency_of(deps.settings))
    slack = deps.slack
    try:
        channel = slack.conversations_open(users=user_id)["channel"]["id"]
        row["dm_channel"] = channel
        message = progress_message(row, sandbox=deps.settings.sandbox_mode, ahead=ahead)
        row["message_ts"] = slack.chat_postMessage(channel=channel, **message)["ts"]
    except SlackApiError as exc:
        logger.warning("export progress message failed: %s; the worker posts it", slack_error_code(exc))
    except Exception as exc:
        logger.warning("export progress message failed: %s; the worker posts it", type(exc).__name__)
    job_id = deps.store.export_jobs.add(row)
    deps.exports_bell.ring()
    return job_id


COMMANDS: dict[str, CommandHandler] = {"export": export_command}


def export_worker(deps: Deps) -> ExportQueue | None:
    """The export workers to start with the process and stop with it; None where no Slack client can deliver files.

    In distribution mode they serve every workspace's jobs, each with that workspace's tokens (its Deps, leased)."""
    if deps.slack is None:
        return None
    tenancy = deps.tenancy
    return ExportQueue(
        store=deps.store,
        api=deps.api,
        slack=deps.slack,
        settings=deps.settings,
        options=deps.export_options or DEFAULT_OPTIONS,
        workspace_deps=tenancy.deps_for if tenancy is not None else None,
        workspace_lease=tenancy.lease if tenancy is not None else None,
        bell=deps.exports_bell,
    )
