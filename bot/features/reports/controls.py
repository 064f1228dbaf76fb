"""The controls under a report answer: the range menu, Compare and Share in channel, each as a /lexer request
for the command path (the answer for the new state comes back the way any answer does)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.slack.actions import REPORT_COMPARE, REPORT_RANGE, REPORT_SHARE, parse_report_control_value
from bot.slack.messages.controls import DELIVER_NEW, DELIVER_REPLACE, DELIVER_SHARE

if TYPE_CHECKING:
    from bot.deps import Deps

logger = logging.getLogger(__name__)


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
