"""CSV exports: the progress message in the requester's DM, file titles and names, the queued reply (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from bot.slack.format import mrkdwn_escape
from bot.slack.messages.common import SANDBOX_NOTE
from bot.timeframe import Timeframe

KIND_TITLES = {"cases": "Cases", "responses": "SLA responses", "nps": "NPS submissions"}
PRIVACY_NOTE = "The CSV holds customer data, so it comes to you alone."
NOT_IN_SLACK = (
    "Exports are delivered in Slack, as a CSV file in a direct message to whoever asks. "
    "Run `/lexer export …` in Slack to get one."
)


def format_size(n: int | None) -> str:
    """'812 KB', '12.4 MB', '1.07 GB' (decimal units, as Slack shows sizes)."""
    n = n or 0
    if n < 1_000_000:
        return f"{max(1, round(n / 1000)) if n else 0} KB"
    if n < 1_000_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{n / 1_000_000_000:.2f} GB"


def format_elapsed(seconds: float) -> str:
    """'45s', '3m 05s', '1h 02m'."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


def job_days(job: Mapping) -> tuple[date, date]:
    return datetime.fromisoformat(job["date_from"]).date(), datetime.fromisoformat(job["date_to"]).date()


def export_name(kind: str, form_name: str | None = None) -> str:
    """'Cases', 'NPS submissions (Post-chat survey)'."""
    base = KIND_TITLES.get(kind, kind.title())
    return f"{base} ({form_name})" if kind == "nps" and form_name else base


def export_title(kind: str, first: date, last: date, tz_name: str, form_name: str | None = None) -> str:
    """'Cases 2026-11-16 to 2026-11-22 (Australia/Sydney).csv' — the title the Slack file gets."""
    days = f"{first.isoformat()}" if first == last else f"{first.isoformat()} to {last.isoformat()}"
    return f"{export_name(kind, form_name)} {days} ({tz_name}).csv"


def export_filename(kind: str, first: date, last: date) -> str:
    """'lexer-cases-2026-11-16-to-2026-11-22.csv': no spaces, for file systems that dislike them."""
    days = first.isoformat() if first == last else f"{first.isoformat()}-to-{last.isoformat()}"
    return f"lexer-{kind}-{days}.csv"


def job_title(job: Mapping) -> str:
    first, last = job_days(job)
    return export_title(job["kind"], first, last, job["tz"] or "UTC", job.get("form_name"))


def queue_text(ahead: int | None) -> str:
    if ahead is None:
        return "Queued."
    if ahead == 0:
        return "Queued — you're next."
    return f"Queued — {ahead} ahead of you."


def status_text(
    job: Mapping, *, ahead: int | None = None, elapsed_s: float | None = None, transferred: int | None = None
) -> str:
    """The one line that says where the export is (mrkdwn)."""
    state = job["state"]
    if state == "queued":
        return f":hourglass: {queue_text(ahead)}"
    if state == "started":
        return ":gear: Started — asking Lexer to prepare the file."
    if state == "waiting":
        so_far = f" ({format_elapsed(elapsed_s)} so far)" if elapsed_s is not None else ""
        return f":hourglass_flowing_sand: Waiting for Lexer to prepare the file{so_far}."
    if state == "downloading":
        return f":arrow_down: Downloading from Lexer: {format_size(transferred)} so far."
    if state == "uploading":
        size = job.get("size_bytes")
        if transferred is not None and size:
            return f":arrow_up: Uploading to Slack: {format_size(transferred)} of {format_size(size)}."
        return f":arrow_up: Uploading to Slack ({format_size(size)})."
    if state == "sharing":
        return ":arrow_up: Sharing the file with you…"
    if state == "done":
        rows = job.get("rows") or 0
        return (
            f":white_check_mark: Done — *{mrkdwn_escape(job.get('file_name') or job_title(job))}* "
            f"({format_size(job.get('size_bytes'))}, {rows:,} row{'s' if rows != 1 else ''}) is in this conversation."
        )
    if state == "failed":
        text = f":x: Failed: {mrkdwn_escape(job.get('error') or 'the export did not finish.')}"
        if job.get("error_hint"):
            text += f"\n*What to try:* {mrkdwn_escape(job['error_hint'])}"
        return text
    return state


def progress_message(
    job: Mapping,
    *,
    sandbox: bool,
    ahead: int | None = None,
    elapsed_s: float | None = None,
    transferred: int | None = None,
) -> dict:
    """The DM message that follows one export from queued to done or failed."""
    what = f"{export_name(job['kind'], job.get('form_name'))} export"
    when = job.get("range_desc") or ""
    status = status_text(job, ahead=ahead, elapsed_s=elapsed_s, transferred=transferred)
    footer = [job.get("tz") or "UTC"]
    if job.get("filters_text"):
        footer.append(mrkdwn_escape(job["filters_text"]))
    footer.append(PRIVACY_NOTE)
    if sandbox:
        footer.append(SANDBOX_NOTE)
    blocks = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f":inbox_tray: *{mrkdwn_escape(what)}* · {mrkdwn_escape(when)}"},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": status}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(footer)}]},
    ]
    plain = status.split(" ", 1)[1] if status.startswith(":") else status
    return {"text": f"{what}, {when}: {plain}"[:3000], "blocks": blocks}


def queued_reply_text(kind: str, form_name: str | None, tf: Timeframe, filters_text: str | None) -> str:
    extra = f" ({mrkdwn_escape(filters_text)})" if filters_text else ""
    return (
        f":inbox_tray: Export queued: *{mrkdwn_escape(export_name(kind, form_name))}* for {mrkdwn_escape(tf.describe())}, "
        f"{tf.tz_name}{extra}. It will arrive as a CSV file in your direct messages with me; "
        "the progress is shown there."
    )
