"""parse_command: the SPEC §4 grammar as tables, and random texts that must only ever raise CommandError."""

from __future__ import annotations

import re
from dataclasses import fields
from zoneinfo import available_timezones

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import BadRangeError, CommandError
from bot.slack.parsing import (
    ADMIN_COMMANDS,
    COMMANDS,
    FILTER_COMMANDS,
    HELP_ORDER,
    REPORT_COMMANDS,
    USAGE,
    Command,
    is_admin_command,
    parse_command,
    suggest,
)
from bot.timeframe import RANGE_WORDS, is_range_text

C = Command

VALID = [
    ("", C("help")),
    ("   ", C("help")),
    ("help", C("help")),
    ("HELP", C("help")),
    ("?", C("help")),
    ("help team", C("help", topic="team")),
    ("help sla", C("help", topic="summary")),
    ("help public", C("help", public=True)),
    ("public", C("help", public=True)),
    ("team help", C("help", topic="team")),
    ("subscribe sla help", C("help", topic="subscribe")),
    ("summary", C("summary")),
    ("sla", C("summary")),
    ("SLA Last-Week", C("summary", range_text="last-week")),
    ("  team   last-week  ", C("team", range_text="last-week")),
    ("team last-week public", C("team", range_text="last-week", public=True)),
    ("public team last-week", C("team", range_text="last-week", public=True)),
    ("workload today", C("workload", range_text="today")),
    ("states this-week", C("states", range_text="this-week")),
    ("classifications last-month", C("classifications", range_text="last-month")),
    ("response-time last-7d", C("response-time", range_text="last-7d")),
    ("response_time last-12h", C("response-time", range_text="last-12h")),
    ("cases yesterday", C("cases", range_text="yesterday")),
    ("case-classifications 2026-11-02..2026-11-08", C("case-classifications", range_text="2026-11-02..2026-11-08")),
    ("cases 2026-11-02", C("cases", range_text="2026-11-02")),
    ('workload today group:"Email Support"', C("workload", range_text="today", group="Email Support")),
    ("workload today group:“Email Support”", C("workload", range_text="today", group="Email Support")),
    ('workload group: "Email Support" today', C("workload", range_text="today", group="Email Support")),
    ("team group:Email_Support", C("team", group="Email_Support")),
    ("team group:42", C("team", group="42")),
    ("team GROUP:Billing", C("team", group="Billing")),
    ("team group:R&amp;D", C("team", group="R&D")),
    ("cases agent:jane@x.io", C("cases", agent="jane@x.io")),
    ("cases agent:<mailto:jane@x.io|jane@x.io>", C("cases", agent="jane@x.io")),
    ("cases agent: <mailto:jane@x.io|jane@x.io> last-week", C("cases", agent="jane@x.io", range_text="last-week")),
    ("team last-week group:7 agent:12", C("team", range_text="last-week", group="7", agent="12")),
    ("nps", C("nps")),
    ("nps 123", C("nps", form="123")),
    ("nps 123 last-30d detractors", C("nps", form="123", range_text="last-30d", category="detractors")),
    (
        'nps "Customer NPS" last-30d detractors',
        C("nps", form="Customer NPS", range_text="last-30d", category="detractors"),
    ),
    ("nps Customer NPS last-7d promoter", C("nps", form="Customer NPS", range_text="last-7d", category="promoters")),
    ("nps passives", C("nps", category="passives")),
    ('nps "today"', C("nps", form="today")),
    ("nps how did we do", C("nps", form="how did we do")),  # an unquoted name keeps every word
    ("nps form:12 group:Support public", C("nps", form="12", group="Support", public=True)),
    ("users", C("users")),
    ("groups public", C("groups", public=True)),
    ("forms", C("forms")),
    ("subscriptions", C("subscriptions")),
    ("export cases", C("export", export_kind="cases")),
    ("export cases last-week", C("export", export_kind="cases", range_text="last-week")),
    ("export last-week cases", C("export", export_kind="cases", range_text="last-week")),
    (
        "export responses yesterday group:Email",
        C("export", export_kind="responses", range_text="yesterday", group="Email"),
    ),
    ("export sla", C("export", export_kind="responses")),
    ("export nps", C("export", export_kind="nps")),
    (
        "export nps 12 last-month detractors",
        C("export", export_kind="nps", form="12", range_text="last-month", category="detractors"),
    ),
    ('export nps "Customer NPS"', C("export", export_kind="nps", form="Customer NPS")),
    ("subscribe sla", C("subscribe", digest_kind="sla")),
    ("subscribe sla <#C123ABC|general>", C("subscribe", digest_kind="sla", channel_id="C123ABC")),
    ("subscribe sla <#C123ABC>", C("subscribe", digest_kind="sla", channel_id="C123ABC")),
    ("subscribe sla to #Support", C("subscribe", digest_kind="sla", channel_name="support")),
    ("subscribe sla daily", C("subscribe", digest_kind="sla", cadence="daily")),
    ("subscribe sla weekdays at 09:00", C("subscribe", digest_kind="sla", cadence="weekdays", at_time="09:00")),
    ("subscribe sla weekly monday", C("subscribe", digest_kind="sla", cadence="weekly", weekday=0)),
    ("subscribe sla weekly on Fri", C("subscribe", digest_kind="sla", cadence="weekly", weekday=4)),
    ("subscribe sla sunday", C("subscribe", digest_kind="sla", cadence="weekly", weekday=6)),
    (
        "subscribe sla weekly wed at 9am",
        C("subscribe", digest_kind="sla", cadence="weekly", weekday=2, at_time="09:00"),
    ),
    ("subscribe sla at 9:30pm", C("subscribe", digest_kind="sla", at_time="21:30")),
    ("subscribe sla at 9 pm", C("subscribe", digest_kind="sla", at_time="21:00")),
    ("subscribe sla at 12am", C("subscribe", digest_kind="sla", at_time="00:00")),
    ("subscribe sla at 12pm", C("subscribe", digest_kind="sla", at_time="12:00")),
    ("subscribe sla at 0730", C("subscribe", digest_kind="sla", at_time="07:30")),
    ("subscribe sla at 7", C("subscribe", digest_kind="sla", at_time="07:00")),
    ("subscribe sla 17:45", C("subscribe", digest_kind="sla", at_time="17:45")),
    ("subscribe sla tz australia/sydney", C("subscribe", digest_kind="sla", tz_name="Australia/Sydney")),
    ("subscribe sla tz new_york", C("subscribe", digest_kind="sla", tz_name="America/New_York")),
    ("subscribe sla tz:UTC", C("subscribe", digest_kind="sla", tz_name="UTC")),
    ("subscribe sla America/New_York", C("subscribe", digest_kind="sla", tz_name="America/New_York")),
    (
        'subscribe nps "Customer NPS" <#C9|cs> weekly tue at 08:15 tz Europe/London',
        C(
            "subscribe",
            digest_kind="nps",
            form="Customer NPS",
            channel_id="C9",
            cadence="weekly",
            weekday=1,
            at_time="08:15",
            tz_name="Europe/London",
        ),
    ),
    ("subscribe nps 123 #cs", C("subscribe", digest_kind="nps", form="123", channel_name="cs")),
    ("subscribe #cs nps", C("subscribe", digest_kind="nps", channel_name="cs")),
    ("unsubscribe 12", C("unsubscribe", subscription_id=12)),
    ("unsubscribe #12", C("unsubscribe", subscription_id=12)),
    ("alerts", C("alerts", alerts_action="status")),
    ("alerts status", C("alerts", alerts_action="status")),
    ("alerts off", C("alerts", alerts_action="off")),
    ("alerts on", C("alerts", alerts_action="on")),
    (
        "alerts on <#C1|support> window 1h min 5 high",
        C("alerts", alerts_action="on", channel_id="C1", window_minutes=60, min_count=5, sensitivity="high"),
    ),
    ("alerts on window 90m", C("alerts", alerts_action="on", window_minutes=90)),
    (
        "alerts on window:30m min:3 sensitivity:low",
        C("alerts", alerts_action="on", window_minutes=30, min_count=3, sensitivity="low"),
    ),
    ("alerts on sensitivity medium", C("alerts", alerts_action="on", sensitivity="normal")),
    ("alerts snooze 2h", C("alerts", alerts_action="snooze", snooze_text="2h")),
    ("alerts snooze 30m", C("alerts", alerts_action="snooze", snooze_text="30m")),
    ("alerts snooze 1d", C("alerts", alerts_action="snooze", snooze_text="1d")),
    ("alerts snooze for 2 hours", C("alerts", alerts_action="snooze", snooze_text="2h")),
    ("alerts snooze 1h30m", C("alerts", alerts_action="snooze", snooze_text="90m")),
    ("alerts snooze until 17:30", C("alerts", alerts_action="snooze", snooze_text="until 17:30")),
    ("alerts snooze until 5:30pm", C("alerts", alerts_action="snooze", snooze_text="until 17:30")),
    ("alerts snooze off", C("alerts", alerts_action="snooze", snooze_text="off")),
]


@pytest.mark.parametrize("text,expected", VALID, ids=[t or "<empty>" for t, _ in VALID])
def test_parses(text, expected):
    assert parse_command(text) == expected


# (text, error class, words the message must contain, words the hint must contain)
INVALID = [
    ("frobnicate", CommandError, "`frobnicate` is not a command", "/lexer help"),
    ("tema last-week", CommandError, "`tema` is not a command — did you mean `team`?", "/lexer help"),
    ("subscription", CommandError, "did you mean `subscriptions`?", "summary"),
    ("last-week", CommandError, "Start with a command", "summary"),
    ("group:x", CommandError, "Start with a command", "summary"),
    ("<#C1|general>", CommandError, "is not a command", "/lexer help"),
    ("help frob", CommandError, "no command `frob`", "/lexer help"),
    ("help team extra", CommandError, "`extra`", "help [COMMAND]"),
    ('team group:"Email Support', CommandError, "quote", 'group:"Email Support"'),
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
    ("users group:x", CommandError, "`users` doesn't take filters like `group:x`", "users [public]"),
    ("groups last-week", BadRangeError, "`groups` doesn't take a range", "groups"),
    ("forms foo", CommandError, "`foo`", "forms"),
    ("subscriptions agent:x", CommandError, "doesn't take filters", "subscriptions"),
    ("export", CommandError, "Say what to export: cases, responses or nps", "export cases|responses"),
    ("export last-week", CommandError, "Say what to export", "export cases|responses"),
    ("export csaes", CommandError, "did you mean `cases`?", "export"),
    ("export frob", CommandError, "try cases, responses or nps", "export"),
    ("export cases responses", CommandError, "one kind, not two", "export"),
    ("export cases promoters", CommandError, "only goes with `nps`", "nps"),
    ("export cases 12", CommandError, "`12`", "export"),
    ("subscribe", CommandError, "Say which digest: sla or nps", "subscribe sla|nps"),
    ("subscribe #support", CommandError, "Say which digest", "subscribe"),
    ("subscribe nsp", CommandError, "did you mean `nps`?", "subscribe"),
    ("subscribe sla weekly", CommandError, "`weekly` needs a day", "subscribe"),
    ("subscribe sla daily monday", CommandError, "`monday` doesn't go with `daily`", "subscribe"),
    ("subscribe sla weekly mon tue", CommandError, "one day, not two", "subscribe"),
    ("subscribe sla daily weekly mon", CommandError, "one schedule, not two", "subscribe"),
    ("subscribe sla at", CommandError, "`at` needs a time", "subscribe"),
    ("subscribe sla at noonish", CommandError, "`noonish` is not a time", "subscribe"),
    ("subscribe sla at 25:00", CommandError, "`25:00` is not a time", "subscribe"),
    ("subscribe sla at 13pm", CommandError, "`13pm` is not a time", "subscribe"),
    ("subscribe sla 9:75", CommandError, "`9:75` is not a time", "subscribe"),
    ("subscribe sla at 9am at 10am", CommandError, "one time, not two", "subscribe"),
    ("subscribe sla tz", CommandError, "`tz` needs a time zone", "Australia/Sydney"),
    ("subscribe sla tz australia/sydny", CommandError, "did you mean `Australia/Sydney`?", "IANA"),
    ("subscribe sla tz qqqqqqqq", CommandError, "`qqqqqqqq` is not a time zone", "IANA"),
    ("subscribe sla last-week", BadRangeError, "takes no range", "subscribe"),
    ("subscribe sla group:x", CommandError, "doesn't take filters", "subscribe"),
    ("subscribe sla form:3", CommandError, "`form:` only goes with `nps`", "nps"),
    ("subscribe sla 123", CommandError, "`123`", "subscribe"),
    ("subscribe sla #a #b", CommandError, "one channel, not two", "subscribe"),
    ("subscribe sla <#C1> #b", CommandError, "one channel, not two", "subscribe"),
    ("unsubscribe", CommandError, "Which subscription?", "/lexer subscriptions"),
    ("unsubscribe abc", CommandError, "`abc` is not a subscription number", "/lexer subscriptions"),
    ("unsubscribe 0", CommandError, "`0` is not a subscription number", "/lexer subscriptions"),
    ("unsubscribe 12 13", CommandError, "one subscription number, not two", "unsubscribe ID"),
    ("unsubscribe 12 please", CommandError, "`please`", "unsubscribe ID"),
    ("alerts of", CommandError, "did you mean `off`?", "alerts on"),
    ("alerts frob", CommandError, "use on, off, snooze or status", "alerts on"),
    ("alerts off now", CommandError, "`now`", "alerts off"),
    ("alerts status #x", CommandError, "channel", "alerts"),
    ("alerts on window", CommandError, "`window` needs a value", "alerts"),
    ("alerts on window 2m", CommandError, "`2m` is not a window", "alerts"),
    ("alerts on window 2d", CommandError, "`2d` is not a window", "alerts"),
    ("alerts on window ninety", CommandError, "`ninety` is not a window", "alerts"),
    ("alerts on min 0", CommandError, "`0` is not a breach count", "alerts"),
    ("alerts on min lots", CommandError, "`lots` is not a breach count", "alerts"),
    ("alerts on sensitivity extreme", CommandError, "`extreme` is not a sensitivity", "alerts"),
    ("alerts on low high", CommandError, "one sensitivity, not two", "alerts"),
    ("alerts on group:x", CommandError, "doesn't take filters", "alerts"),
    ("alerts on windw 1h", CommandError, "did you mean `window`?", "alerts"),
    ("alerts snooze", CommandError, "For how long?", "alerts snooze"),
    ("alerts snooze forever", CommandError, "`forever` is not a snooze", "alerts snooze"),
    ("alerts snooze 8d", CommandError, "at most 7 days", "alerts snooze"),
    ("alerts snooze 0m", CommandError, "`0m` is not a snooze", "alerts snooze"),
    ("alerts snooze until", CommandError, "is not a time", "alerts snooze"),
    ("alerts snooze until 25:00", CommandError, "`25:00` is not a time", "alerts snooze"),
    ("alerts snooze 2h2h", CommandError, "is not a snooze", "alerts snooze"),
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
    with pytest.raises(error) as caught:
        parse_command(text)
    assert in_message in caught.value.message
    assert in_hint in caught.value.hint


@pytest.mark.parametrize(
    "text",
    [
        "xoxb-1234-5678-abcdef",
        "team xoxb-1234-5678-abcdef",
        "team 12345678-1234-1234-1234-123456789",
        "subscribe sla xapp-1-A0-123",
    ],
)
def test_a_pasted_token_is_never_echoed(text):
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert "xox" not in caught.value.message and "xapp" not in caught.value.message
    assert "12345678-1234" not in caught.value.message


def test_long_words_are_cut_short_in_messages():
    with pytest.raises(CommandError) as caught:
        parse_command("team " + "x" * 5000)
    assert len(caught.value.message) < 200


def test_usage_and_help_order_cover_every_command():
    assert set(HELP_ORDER) == set(USAGE) == COMMANDS
    assert len(HELP_ORDER) == len(set(HELP_ORDER))
    assert REPORT_COMMANDS < COMMANDS and ADMIN_COMMANDS < COMMANDS
    for name, usage in USAGE.items():
        for line in usage.splitlines():
            if "/lexer" in line or line.startswith("("):
                continue
            pytest.fail(f"usage line without an example for {name}: {line}")


def test_every_usage_example_parses_to_its_command():
    for name, usage in USAGE.items():
        for example in re.findall(r"`/lexer ([^`]+)`", usage):
            if example in ("subscriptions",) and name != "subscriptions":
                continue  # the pointer from `unsubscribe` to the list
            assert parse_command(example).name == name, example


@pytest.mark.parametrize(
    "text,admin",
    [
        ("export cases", True),
        ("subscribe sla", True),
        ("unsubscribe 3", True),
        ("alerts on", True),
        ("alerts off", True),
        ("alerts snooze 1h", True),
        ("alerts", False),
        ("alerts status", False),
        ("subscriptions", False),
        ("team", False),
        ("help export", False),
    ],
)
def test_is_admin_command(text, admin):
    assert is_admin_command(parse_command(text)) is admin


@pytest.mark.parametrize(
    "word,options,expected",
    [
        ("tema", COMMANDS, "team"),
        ("SUMMRY", COMMANDS, "summary"),
        ("frobnicate", COMMANDS, None),
        ("", COMMANDS, None),
        ("x" * 500, COMMANDS, None),
        ("of", ("on", "off"), "off"),
    ],
)
def test_suggest(word, options, expected):
    assert suggest(word, options) == expected


# --- property tests ---------------------------------------------------------------------------

VOCAB = sorted(
    {
        *COMMANDS,
        "sla",
        *RANGE_WORDS,
        "last-7d",
        "last-0d",
        "last-99999d",
        "last-12h",
        "2026-11-02",
        "2026-02-30",
        "2026-11-02..2026-11-08",
        "2026-11-08..2026-11-02",
        "public",
        "group:",
        "agent:",
        "form:",
        'group:"Email Support"',
        "agent:jane@x.io",
        "agent:<mailto:jane@x.io|jane@x.io>",
        "cases",
        "responses",
        "nps",
        "promoters",
        "passives",
        "detractors",
        "daily",
        "weekdays",
        "weekly",
        "monday",
        "fri",
        "on",
        "every",
        "at",
        "9am",
        "17:30",
        "25:00",
        "0900",
        "tz",
        "Australia/Sydney",
        "america/new_york",
        "window",
        "1h",
        "90m",
        "min",
        "5",
        "sensitivity",
        "high",
        "snooze",
        "until",
        "off",
        "status",
        "#12",
        "#general",
        "<#C123|general>",
        "<#C123>",
        "<@U123>",
        "<@U1|jane>",
        "<!here>",
        "<mailto:a@b.c|a@b.c>",
        "<https://x.io|x.io>",
        '"',
        '"Customer NPS"',
        "“Email Support”",
        "&amp;",
        "&lt;",
        ":",
        "<",
        ">",
        "help",
        "?",
        "window:30m",
        "min:3",
        "tz:UTC",
        "user:x",
        "grp:y",
        "xoxb-1-2",
        "in",
        "to",
        "for",
        "am",
        "pm",
    }
)
WORD = st.one_of(
    st.sampled_from(VOCAB),
    st.text(min_size=1, max_size=12),
    st.text(alphabet="abc:#<>|@\"'-._/0123456789 \t\n\u00a0", min_size=1, max_size=10),
)
TEXTS = st.one_of(
    st.lists(WORD, max_size=10).map(" ".join),
    st.lists(WORD, max_size=6).map("".join),
    st.text(max_size=200),
    st.builds(lambda w, n: w * n, WORD, st.integers(1, 400)),
)
_ZONES = available_timezones() | {"UTC"}
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def check_consistent(cmd: Command) -> None:
    """What every successfully parsed Command must satisfy."""
    assert cmd.name in COMMANDS
    n = cmd.name
    if cmd.range_text is not None:
        assert is_range_text(cmd.range_text) and cmd.range_text == cmd.range_text.lower()
        assert n in REPORT_COMMANDS or n == "export"
    if cmd.group is not None or cmd.agent is not None:
        assert n in FILTER_COMMANDS
        assert (cmd.group or cmd.agent).strip()
    if cmd.form is not None:
        assert cmd.form.strip()
        assert n == "nps" or cmd.export_kind == "nps" or cmd.digest_kind == "nps"
    if cmd.category is not None:
        assert cmd.category in ("promoters", "passives", "detractors")
        assert n == "nps" or cmd.export_kind == "nps"
    assert (cmd.topic is not None) <= (n == "help")
    assert cmd.topic is None or cmd.topic in COMMANDS
    assert (cmd.export_kind is not None) == (n == "export")
    assert cmd.export_kind in (None, "cases", "responses", "nps")
    assert (cmd.digest_kind is not None) == (n == "subscribe")
    assert cmd.digest_kind in (None, "sla", "nps")
    assert cmd.channel_id is None or cmd.channel_name is None
    if cmd.channel_id is not None or cmd.channel_name is not None:
        assert n == "subscribe" or cmd.alerts_action == "on"
        assert cmd.channel_id or cmd.channel_name
    for f in ("cadence", "weekday", "at_time", "tz_name"):
        assert getattr(cmd, f) is None or n == "subscribe"
    assert cmd.cadence in (None, "daily", "weekdays", "weekly")
    assert (cmd.weekday is not None) == (cmd.cadence == "weekly")
    assert cmd.weekday is None or 0 <= cmd.weekday <= 6
    assert cmd.at_time is None or _HHMM.match(cmd.at_time)
    assert cmd.tz_name is None or cmd.tz_name in _ZONES
    assert (cmd.subscription_id is not None) == (n == "unsubscribe")
    assert cmd.subscription_id is None or cmd.subscription_id > 0
    assert (cmd.alerts_action is not None) == (n == "alerts")
    assert cmd.alerts_action in (None, "on", "off", "snooze", "status")
    for f in ("window_minutes", "min_count", "sensitivity"):
        assert getattr(cmd, f) is None or cmd.alerts_action == "on"
    assert cmd.window_minutes is None or 5 <= cmd.window_minutes <= 1440
    assert cmd.min_count is None or cmd.min_count >= 1
    assert cmd.sensitivity in (None, "low", "normal", "high")
    assert (cmd.snooze_text is not None) == (cmd.alerts_action == "snooze")
    assert cmd.snooze_text is None or re.match(r"^(off|until ([01]\d|2[0-3]):[0-5]\d|\d+[mhd])$", cmd.snooze_text)
    assert isinstance(is_admin_command(cmd), bool)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_random_text_only_ever_raises_command_error(text):
    try:
        cmd = parse_command(text)
    except CommandError as e:
        assert e.message.strip() and e.hint.strip()
        assert len(e.message) < 400
    else:
        check_consistent(cmd)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(sorted(COMMANDS | {"sla"})), st.lists(WORD, max_size=8))
def test_commands_followed_by_random_words(name, words):
    try:
        cmd = parse_command(" ".join([name, *words]))
    except CommandError as e:
        assert e.message.strip() and e.hint.strip()
    else:
        check_consistent(cmd)


def _quoted(s: str) -> str:
    return f'"{s}"'


NAMES = (
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _-'", min_size=1, max_size=20)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)  # the parser collapses runs of spaces, as Slack users type them


@st.composite
def report_commands(draw):
    """A valid report command text and the Command it must parse to."""
    name = draw(st.sampled_from(sorted(REPORT_COMMANDS)))
    parts, want = [name], {}
    if draw(st.booleans()):
        r = draw(st.sampled_from([*RANGE_WORDS, "last-7d", "last-12h", "2026-11-02", "2026-11-02..2026-11-08"]))
        parts.append(r.upper() if draw(st.booleans()) else r)
        want["range_text"] = r
    if draw(st.booleans()):
        g = draw(NAMES)
        parts.append(f"group:{_quoted(g)}")
        want["group"] = g
    if draw(st.booleans()):
        parts.append("agent:<mailto:jane@x.io|jane@x.io>")
        want["agent"] = "jane@x.io"
    if name == "nps" and draw(st.booleans()):
        f = draw(NAMES)
        parts.append(_quoted(f))
        want["form"] = f
    if name == "nps" and draw(st.booleans()):
        c = draw(st.sampled_from(["promoters", "passives", "detractors"]))
        parts.append(c)
        want["category"] = c
    if draw(st.booleans()):
        parts.append("public")
        want["public"] = True
    rest = parts[1:]
    order = draw(st.permutations(rest))
    return " ".join([parts[0], *order]), Command(name, **want)


@settings(max_examples=500, deadline=None)
@given(report_commands())
def test_report_commands_in_any_order(case):
    text, expected = case
    assert parse_command(text) == expected


@st.composite
def subscribe_commands(draw):
    """A valid subscribe text and the Command it must parse to."""
    kind = draw(st.sampled_from(["sla", "nps"]))
    parts, want = [], {"digest_kind": kind}
    if kind == "nps" and draw(st.booleans()):
        f = draw(NAMES)
        parts.append(_quoted(f))
        want["form"] = f
    if draw(st.booleans()):
        parts.append("<#C0123ABC|support>")
        want["channel_id"] = "C0123ABC"
    cadence = draw(st.sampled_from([None, "daily", "weekdays", "weekly"]))
    if cadence == "weekly":
        day = draw(st.sampled_from(list(enumerate(["monday", "tue", "wed", "thursday", "fri", "sat", "sunday"]))))
        parts.append(f"weekly {day[1]}")
        want.update(cadence="weekly", weekday=day[0])
    elif cadence:
        parts.append(cadence)
        want["cadence"] = cadence
    if draw(st.booleans()):
        h, m = draw(st.integers(0, 23)), draw(st.integers(0, 59))
        parts.append(f"at {h:02d}:{m:02d}")
        want["at_time"] = f"{h:02d}:{m:02d}"
    if draw(st.booleans()):
        z = draw(st.sampled_from(["Australia/Sydney", "America/New_York", "Europe/London", "UTC"]))
        parts.append(f"tz {z.lower()}")
        want["tz_name"] = z
    order = draw(st.permutations(parts))
    return " ".join(["subscribe", kind, *order]), Command("subscribe", **want)


@settings(max_examples=500, deadline=None)
@given(subscribe_commands())
def test_subscribe_commands_in_any_order(case):
    text, expected = case
    assert parse_command(text) == expected


def test_command_fields_match_the_contract():
    assert [f.name for f in fields(Command)] == [
        "name",
        "range_text",
        "group",
        "agent",
        "form",
        "category",
        "public",
        "topic",
        "export_kind",
        "digest_kind",
        "channel_id",
        "channel_name",
        "cadence",
        "weekday",
        "at_time",
        "tz_name",
        "subscription_id",
        "alerts_action",
        "window_minutes",
        "min_count",
        "sensitivity",
        "snooze_text",
    ]
