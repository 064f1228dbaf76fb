"""The report grammar: RANGE, filters, public; nps FORM and category."""

from __future__ import annotations

import pytest

from bot.errors import BadRangeError, CommandError
from bot.slack.parsing import ReportCommand, parse_command
from tests.slack.parsing.refusals import assert_refused

VALID = [
    ("summary", ReportCommand("summary")),
    ("sla", ReportCommand("summary")),
    ("SLA Last-Week", ReportCommand("summary", range_text="last-week")),
    ("  team   last-week  ", ReportCommand("team", range_text="last-week")),
    ("team last-week public", ReportCommand("team", range_text="last-week", public=True)),
    ("public team last-week", ReportCommand("team", range_text="last-week", public=True)),
    ("workload today", ReportCommand("workload", range_text="today")),
    ("states this-week", ReportCommand("states", range_text="this-week")),
    ("classifications last-month", ReportCommand("classifications", range_text="last-month")),
    ("response-time last-7d", ReportCommand("response-time", range_text="last-7d")),
    ("response_time last-12h", ReportCommand("response-time", range_text="last-12h")),
    ("cases yesterday", ReportCommand("cases", range_text="yesterday")),
    (
        "case-classifications 2026-11-02..2026-11-08",
        ReportCommand("case-classifications", range_text="2026-11-02..2026-11-08"),
    ),
    ("cases 2026-11-02", ReportCommand("cases", range_text="2026-11-02")),
    ('workload today group:"Email Support"', ReportCommand("workload", range_text="today", group="Email Support")),
    ("workload today group:“Email Support”", ReportCommand("workload", range_text="today", group="Email Support")),
    ('workload group: "Email Support" today', ReportCommand("workload", range_text="today", group="Email Support")),
    ("team group:Email_Support", ReportCommand("team", group="Email_Support")),
    ("team group:42", ReportCommand("team", group="42")),
    ("team GROUP:Billing", ReportCommand("team", group="Billing")),
    ("team group:R&amp;D", ReportCommand("team", group="R&D")),
    ("cases agent:jane@x.io", ReportCommand("cases", agent="jane@x.io")),
    ("cases agent:<mailto:jane@x.io|jane@x.io>", ReportCommand("cases", agent="jane@x.io")),
    (
        "cases agent: <mailto:jane@x.io|jane@x.io> last-week",
        ReportCommand("cases", agent="jane@x.io", range_text="last-week"),
    ),
    ("team last-week group:7 agent:12", ReportCommand("team", range_text="last-week", group="7", agent="12")),
    ("nps", ReportCommand("nps")),
    ("nps 123", ReportCommand("nps", form="123")),
    ("nps 123 last-30d detractors", ReportCommand("nps", form="123", range_text="last-30d", category="detractors")),
    (
        'nps "Customer NPS" last-30d detractors',
        ReportCommand("nps", form="Customer NPS", range_text="last-30d", category="detractors"),
    ),
    (
        "nps Customer NPS last-7d promoter",
        ReportCommand("nps", form="Customer NPS", range_text="last-7d", category="promoters"),
    ),
    ("nps passives", ReportCommand("nps", category="passives")),
    ('nps "today"', ReportCommand("nps", form="today")),
    ("nps how did we do", ReportCommand("nps", form="how did we do")),  # an unquoted name keeps every word
    ("nps form:12 group:Support public", ReportCommand("nps", form="12", group="Support", public=True)),
]


@pytest.mark.parametrize("text,expected", VALID, ids=[t or "<empty>" for t, _ in VALID])
def test_parses(text, expected):
    assert parse_command(text) == expected


# (text, error class, words the message must contain, words the hint must contain)
INVALID = [
    ("team last-week yesterday", CommandError, "one range, not two (`last-week` and `yesterday`)", "team [RANGE]"),
    ("team last-wek", BadRangeError, "`last-wek` is not a range I know — did you mean `last-week`?", "Ranges:"),
    ("team lastweek", CommandError, "did you mean `last-week`?", "team [RANGE]"),
    ("team 2026-02-30", BadRangeError, "`2026-02-30` is not a real date", "YYYY-MM-DD"),
    ("team 2026-11-02..2026-13-01", BadRangeError, "`2026-13-01` is not a real date", "YYYY-MM-DD"),
    ("team 2026-1-5", BadRangeError, "`2026-1-5` is not a range", "YYYY-MM-DD"),
    ("nps last-wek", BadRangeError, "`last-wek`", "Ranges:"),
    ("team frob", CommandError, "I don't understand `frob` after `team`", "e.g. `/lexer team last-week`"),
    ("team group:a group:b", CommandError, "one group, not two", "team"),
    ("team group:", CommandError, "`group:` needs a value", "team"),
    ("team agent:<@U123|jane>", CommandError, "Slack mention", "agent:jane@example.com"),
    ("team <@U123>", CommandError, "mention", "agent:"),
    ("team user:jane", CommandError, "did you mean `agent:`?", "team"),
    ("team grp:x", CommandError, "did you mean `group:`?", "team"),
    ("team #general", CommandError, "doesn't take a channel", "team"),
    ("team promoters", CommandError, "only goes with `nps`", "nps [FORM]"),
    ("cases form:3", CommandError, "`form:` only goes with `nps`", "nps"),
    ("nps a b promoters detractors", CommandError, "one category, not two", "nps"),
    ('nps "A" "B"', CommandError, "Name one form", "/lexer forms"),
    # an unquoted name with a space: the hint shows the quoted filter
    ("team agent:Jane Remington", CommandError, "`Remington` after `team`", 'agent:"Jane Remington"'),
    ("cases last-week group:Email Support", CommandError, "`Support` after `cases`", 'group:"Email Support"'),
    ("team group:Email lastweek", CommandError, "did you mean `last-week`?", "team"),
    # a range typed in words, or two dates typed apart
    ("team last 7 days", BadRangeError, "`last 7 days` after `team` — did you mean `last-7d`?", "one word"),
    ("team past 12 hours", BadRangeError, "did you mean `last-12h`?", "one word"),
    ("team last 2 weeks", BadRangeError, "did you mean `last-14d`?", "one word"),
    ("summary 7d group:x", BadRangeError, "`7d` after `summary` — did you mean `last-7d`?", "one word"),
    ("team last 3 months", CommandError, "`last` after `team`", "team"),
    ("nps 55 last 30 days", BadRangeError, "`last 30 days` after `nps` — did you mean `last-30d`?", "one word"),
    ("nps 7d", BadRangeError, "did you mean `last-7d`?", "one word"),
    ("team 2026-11-01 2026-11-05", BadRangeError, "one range, not two", "`2026-11-01..2026-11-05`"),
    ("team today 2026-11-01", CommandError, "one range, not two", "Usage"),
    # the form is given (id, quoted name, form:): a near-range word is a typo, not part of the name
    ("nps 55 lastweek", CommandError, "`lastweek` after `nps` — did you mean `last-week`?", "nps"),
    ('nps "NPS Survey" yesteday', CommandError, "did you mean `yesterday`?", "nps"),
    ("nps form:55 pubic", CommandError, "did you mean `public`?", "nps"),
]


@pytest.mark.parametrize("text,error,in_message,in_hint", INVALID, ids=[t for t, *_ in INVALID])
def test_refuses_with_a_pointed_message(text, error, in_message, in_hint):
    assert_refused(text, error, in_message, in_hint)
