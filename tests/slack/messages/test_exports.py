"""The export messages (pure): sizes, times, titles and file names, the progress message in the DM."""

from __future__ import annotations

from datetime import date

import pytest

from bot.slack.messages.exports import (
    export_filename,
    export_title,
    format_elapsed,
    format_size,
    progress_message,
    queue_text,
)
from bot.slack.text import render_message_text


@pytest.mark.parametrize(
    "n, text", [(0, "0 KB"), (400, "1 KB"), (812_000, "812 KB"), (12_400_000, "12.4 MB"), (1_070_000_000, "1.07 GB")]
)
def test_format_size(n, text):
    assert format_size(n) == text


@pytest.mark.parametrize("s, text", [(0, "0s"), (45.9, "45s"), (185, "3m 05s"), (3720, "1h 02m")])
def test_format_elapsed(s, text):
    assert format_elapsed(s) == text


@pytest.mark.parametrize(
    "ahead, text", [(None, "Queued."), (0, "Queued — you're next."), (2, "Queued — 2 ahead of you.")]
)
def test_queue_text(ahead, text):
    assert queue_text(ahead) == text


def test_titles_and_file_names():
    assert (
        export_title("cases", date(2026, 11, 16), date(2026, 11, 22), "Australia/Sydney")
        == "Cases 2026-11-16 to 2026-11-22 (Australia/Sydney).csv"
    )
    assert (
        export_title("nps", date(2026, 11, 22), date(2026, 11, 22), "UTC", "Post-chat")
        == "NPS submissions (Post-chat) 2026-11-22 (UTC).csv"
    )
    assert (
        export_filename("responses", date(2026, 11, 16), date(2026, 11, 22))
        == "lexer-responses-2026-11-16-to-2026-11-22.csv"
    )


JOB = {
    "kind": "cases",
    "form_name": None,
    "range_desc": "last week (Mon 16 Nov – Sun 22 Nov 2026)",
    "tz": "Australia/Sydney",
    "date_from": "2026-11-16T00:00:00+11:00",
    "date_to": "2026-11-22T23:59:59+11:00",
    "filters_text": None,
    "size_bytes": 12_400_000,
    "rows": 10234,
    "file_name": None,
    "error": None,
    "error_hint": None,
}


@pytest.mark.parametrize(
    "state, live, expect",
    [
        ("queued", {"ahead": 2}, "Queued — 2 ahead of you."),
        ("started", {}, "Started"),
        ("waiting", {"elapsed_s": 75}, "Waiting for Lexer to prepare the file (1m 15s so far)."),
        ("downloading", {"transferred": 5_000_000}, "Downloading from Lexer: 5.0 MB so far."),
        ("uploading", {"transferred": 6_200_000}, "Uploading to Slack: 6.2 MB of 12.4 MB."),
        ("done", {}, "Cases 2026-11-16 to 2026-11-22 (Australia/Sydney).csv* (12.4 MB, 10,234 rows)"),
    ],
)
def test_progress_message_states(state, live, expect):
    message = progress_message({**JOB, "state": state}, sandbox=True, **live)
    assert expect in message["blocks"][1]["text"]["text"]
    assert "last week" in message["text"] and message["text"]
    assert "sandbox data" in message["blocks"][2]["elements"][0]["text"]


def test_progress_message_failed_says_what_to_try():
    message = progress_message(
        {
            **JOB,
            "state": "failed",
            "error": "Lexer reported the export as 'failed'.",
            "error_hint": "Try again; a shorter range often helps.",
        },
        sandbox=False,
    )
    text = render_message_text(message)
    assert "Failed: Lexer reported the export as 'failed'." in text
    assert "What to try" in text and "shorter range" in text
    assert "sandbox" not in text
