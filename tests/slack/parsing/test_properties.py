"""parse_command with random texts: only ever CommandError, and every command it gives is consistent."""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import available_timezones

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import CommandError
from bot.slack.parsing import (
    COMMANDS,
    REPORT_COMMANDS,
    AgentDigestsCommand,
    AlertsCommand,
    Command,
    ExportCommand,
    HelpCommand,
    ListCommand,
    MyWeekCommand,
    ReportCommand,
    Snooze,
    SubscribeCommand,
    SubscriptionsCommand,
    TargetsCommand,
    UnsubscribeCommand,
    WorkspaceCommand,
    is_admin_command,
    parse_command,
)
from bot.slack.parsing.values import SNOOZE_MAX_MINUTES
from bot.timeframe import RANGE_WORDS, is_range_text

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
_CATEGORIES = (None, "promoters", "passives", "detractors")


def _check_report_fields(cmd: ReportCommand | ExportCommand, is_nps: bool) -> None:
    """RANGE, filters, form and category: as the report and export grammars give them."""
    if cmd.range_text is not None:
        assert is_range_text(cmd.range_text) and cmd.range_text == cmd.range_text.lower()
    if cmd.group is not None or cmd.agent is not None:
        assert (cmd.group or cmd.agent).strip()
    if cmd.form is not None:
        assert cmd.form.strip()
        assert is_nps
    assert cmd.category in _CATEGORIES
    assert cmd.category is None or is_nps


def _check_channel(cmd: SubscribeCommand | AlertsCommand) -> None:
    assert cmd.channel_id is None or cmd.channel_name is None
    if cmd.channel_id is not None or cmd.channel_name is not None:
        assert cmd.channel_id or cmd.channel_name


def check_consistent(cmd: Command) -> None:
    """What every successfully parsed command must satisfy."""
    assert cmd.name in COMMANDS
    assert isinstance(cmd.public, bool)
    if isinstance(cmd, ReportCommand):
        assert cmd.name in REPORT_COMMANDS
        _check_report_fields(cmd, cmd.name == "nps")
    elif isinstance(cmd, ExportCommand):
        assert cmd.name == "export"
        assert cmd.kind in ("cases", "responses", "nps")
        _check_report_fields(cmd, cmd.kind == "nps")
    elif isinstance(cmd, ListCommand):
        assert cmd.name in ("users", "groups", "forms")
    elif isinstance(cmd, HelpCommand):
        assert cmd.name == "help"
        assert cmd.topic is None or cmd.topic in COMMANDS
    elif isinstance(cmd, SubscribeCommand):
        assert cmd.name == "subscribe"
        assert cmd.kind in ("sla", "nps")
        if cmd.form is not None:
            assert cmd.form.strip() and cmd.kind == "nps"
        _check_channel(cmd)
        assert cmd.cadence in (None, "daily", "weekdays", "weekly")
        assert (cmd.weekday is not None) == (cmd.cadence == "weekly")
        assert cmd.weekday is None or 0 <= cmd.weekday <= 6
        assert cmd.at_time is None or _HHMM.match(cmd.at_time)
        assert cmd.tz_name is None or cmd.tz_name in _ZONES
    elif isinstance(cmd, UnsubscribeCommand):
        assert cmd.name == "unsubscribe"
        assert isinstance(cmd.subscription_id, int) and cmd.subscription_id > 0
    elif isinstance(cmd, SubscriptionsCommand):
        assert cmd.name == "subscriptions"
    elif isinstance(cmd, AlertsCommand):
        assert cmd.name == "alerts"
        assert cmd.action in ("on", "off", "snooze", "status")
        _check_channel(cmd)
        if cmd.channel_id is not None or cmd.channel_name is not None:
            assert cmd.action == "on"
        for value in (cmd.window_minutes, cmd.min_count, cmd.sensitivity):
            assert value is None or cmd.action == "on"
        assert cmd.window_minutes is None or 5 <= cmd.window_minutes <= 1440
        assert cmd.min_count is None or cmd.min_count >= 1
        assert cmd.sensitivity in (None, "low", "normal", "high")
        assert (cmd.snooze is not None) == (cmd.action == "snooze")
        if cmd.snooze is not None:
            _check_snooze(cmd.snooze)
    elif isinstance(cmd, WorkspaceCommand):
        assert cmd.name in ("connect", "disconnect", "admins")
        assert (cmd.user_id is not None) == (cmd.action in ("add", "remove"))
        assert cmd.action == "list" or cmd.name == "admins"
    elif isinstance(cmd, AgentDigestsCommand):
        assert cmd.action in ("on", "off", "status")
    elif isinstance(cmd, MyWeekCommand):
        assert cmd.name == "my-week"
    elif isinstance(cmd, TargetsCommand):
        assert cmd.name == "targets"
        for metric, value in cmd.changes:
            assert metric in ("breach-rate", "median-wait", "response-rate")
            assert value is None or (0 <= value <= 100 if metric != "median-wait" else 60 <= value <= 7 * 86400)
        assert len({m for m, _ in cmd.changes}) == len(cmd.changes)
    else:
        raise AssertionError(f"not a command: {cmd!r}")
    assert isinstance(is_admin_command(cmd), bool)


def _check_snooze(snooze: Snooze) -> None:
    """Exactly one of: 1 minute to 7 days, a wall time to the minute, off."""
    assert isinstance(snooze, Snooze)
    assert (snooze.minutes is not None) + (snooze.until is not None) + snooze.off == 1
    assert snooze.minutes is None or 1 <= snooze.minutes <= SNOOZE_MAX_MINUTES
    assert snooze.until is None or (isinstance(snooze.until, time) and snooze.until.second == 0)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_random_text_only_ever_raises_command_error(text):
    try:
        cmd = parse_command(text)
    except CommandError as e:
        assert e.message.strip() and e.hint.strip()
        assert len(e.message) < 400
    else:
        check_consistent(cmd)


@settings(deadline=None)
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
    """A valid report command text and the command it must parse to."""
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
    return " ".join([parts[0], *order]), ReportCommand(name, **want)


@settings(deadline=None)
@given(report_commands())
def test_report_commands_in_any_order(case):
    text, expected = case
    assert parse_command(text) == expected


@st.composite
def subscribe_commands(draw):
    """A valid subscribe text and the command it must parse to."""
    kind = draw(st.sampled_from(["sla", "nps"]))
    parts, want = [], {"kind": kind}
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
    return " ".join(["subscribe", kind, *order]), SubscribeCommand(**want)


@settings(deadline=None)
@given(subscribe_commands())
def test_subscribe_commands_in_any_order(case):
    text, expected = case
    assert parse_command(text) == expected
