"""Help, errors and notices."""

from bot.slack import blocks as bk
from bot.slack.messages.help import command_failed_message, error_message, help_message, notice_message
from tests.slack.messages.samples import (
    all_text,
)

USAGE = {
    "summary": "`/lexer summary [RANGE]` — SLA numbers, e.g. `/lexer summary last-week`",
    "team": "`/lexer team [RANGE]` — per agent, e.g. `/lexer team last-week`",
    "nps": "`/lexer nps [FORM] [RANGE]` — NPS, e.g. `/lexer nps 55 last-7d`",
    "help": "`/lexer help` — this list",
}
ORDER = ["summary", "team", "nps", "help"]


# ---------------------------------------------------------------- help, errors, notices


def test_help_lists_every_command_in_order():
    msg = help_message(USAGE, ORDER)
    bk.validate_message(msg)
    body = msg["blocks"][1]["text"]["text"].split("\n")
    assert body == [f"• {USAGE[n]}" for n in ORDER]
    assert "last-week" in all_text(msg) and "group:NAME_OR_ID" in all_text(msg)
    assert msg["text"] == "/lexer commands: summary, team, nps, help"


def test_help_topic_and_unknown_topic():
    msg = help_message(USAGE, ORDER, topic="team")
    bk.validate_message(msg)
    assert msg["blocks"][1]["text"]["text"] == USAGE["team"]
    msg = help_message(USAGE, ORDER, topic="<!channel>")
    bk.validate_message(msg)
    assert "`&lt;!channel&gt;`" in all_text(msg) and all(f"• {USAGE[n]}" in all_text(msg) for n in ORDER)


def test_help_with_many_commands_stays_in_limits():
    usage = {f"cmd{i}": f"`/lexer cmd{i}` — " + "words " * 100 for i in range(300)}
    msg = help_message(usage, [])
    bk.validate_message(msg)
    assert "more commands" in all_text(msg)


def test_error_message_escapes_and_keeps_backticks():
    msg = error_message(
        "`<!channel>` is not a command.", hint="Try `/lexer help` & see.", usage="`/lexer team [RANGE]`"
    )
    bk.validate_message(msg)
    assert msg["blocks"][0]["text"]["text"] == ":warning: `&lt;!channel&gt;` is not a command."
    assert [e["text"] for e in msg["blocks"][1]["elements"]] == [
        "Try `/lexer help` &amp; see.",
        "*Usage:* `/lexer team [RANGE]`",
    ]
    assert "<" not in msg["text"]
    bk.validate_message(error_message("x" * 5000))


def test_notice_message():
    msg = notice_message("Subscribed <#C123> to the daily SLA digest.", title="Subscribed")
    bk.validate_message(msg)
    assert msg["blocks"][1]["text"]["text"] == "Subscribed <#C123> to the daily SLA digest."
    assert msg["text"].startswith("Subscribed: ")
    bk.validate_message(notice_message("done"))


def test_command_failed_message_says_what_to_do_never_why():
    msg = command_failed_message("summary …")
    bk.validate_message(msg)
    assert msg["text"] == "⚠ Something went wrong answering `/lexer summary …`."
    assert msg["blocks"][1]["elements"][0]["text"] == "Try again, and tell your admin if it keeps happening."
    assert "your `/lexer` command" in command_failed_message(None)["text"]
