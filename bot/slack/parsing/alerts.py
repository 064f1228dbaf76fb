"""The alerts grammar (pure): `alerts [status]`, `alerts on [#channel] [window D] [min N] [SENSITIVITY]`,
`alerts off`, `alerts snooze D|until TIME|off`."""

from __future__ import annotations

import re
from datetime import time

from bot.errors import CommandError
from bot.slack.parsing.commands import AlertsCommand
from bot.slack.parsing.grammar import Fields, channel, is_channel, take_value, unknown
from bot.slack.parsing.tokens import KEY_ALIASES, Item, show
from bot.slack.parsing.usage import usage_hint
from bot.slack.parsing.values import (
    MIN_COUNT,
    MSG_BAD_TIME,
    SENSITIVITIES,
    SENSITIVITY_ALIASES,
    SNOOZE_MAX_MINUTES,
    WINDOW_MINUTES,
    Snooze,
    canonical,
    parse_duration,
    parse_time,
    suggest,
)

ALERTS_ACTIONS = ("on", "off", "snooze", "status")
_ALERTS_ALIASES = {"enable": "on", "disable": "off"}

MSG_ALERTS_UNKNOWN = "`{word}` is not an alerts action — did you mean `{suggestion}`?"
MSG_ALERTS_UNKNOWN_PLAIN = "`{word}` is not an alerts action: use on, off, snooze or status."
MSG_WINDOW_BAD = "`{word}` is not a window I can use: give 5m to 24h, e.g. `window 30m`."
MSG_MIN_BAD = "`{word}` is not a breach count: give a whole number from 1, e.g. `min 5`."
MSG_SENSITIVITY_BAD = "`{word}` is not a sensitivity: use low, normal or high."
MSG_SNOOZE_MISSING = "For how long? e.g. `alerts snooze 2h`, `alerts snooze until 17:30` or `alerts snooze off`."
MSG_SNOOZE_BAD = "`{word}` is not a snooze I understand; try `2h`, `30m`, `1d` or `until 17:30`."
MSG_SNOOZE_TOO_LONG = "Alerts snooze for at most 7 days (`{word}`); use `/lexer alerts off` to stop them."

_INT_RE = re.compile(r"^\d{1,9}$", re.ASCII)

_ALERTS_ON_VOCAB = ("window", "min", "sensitivity", *SENSITIVITIES, "public")


def parse_alerts(items: list[Item], *, public: bool) -> AlertsCommand:
    """The words after `alerts`: an action (default status), then what that action takes."""
    if not items:
        return AlertsCommand(action="status", public=public)
    first, rest = items[0], items[1:]
    action = canonical(first.word, ALERTS_ACTIONS, _ALERTS_ALIASES)
    if action is None:
        s = suggest(first.word or "", ALERTS_ACTIONS)
        msg = (
            MSG_ALERTS_UNKNOWN.format(word=show(first.raw), suggestion=s)
            if s
            else MSG_ALERTS_UNKNOWN_PLAIN.format(word=show(first.raw))
        )
        raise CommandError(msg, hint=usage_hint("alerts"))
    if action in ("status", "off"):
        for it in rest:
            raise unknown("alerts", it)
        return AlertsCommand(action=action, public=public)
    if action == "on":
        f = Fields("alerts")
        _alerts_on(f, rest)
        return AlertsCommand(action=action, public=public, **f)
    return AlertsCommand(action=action, snooze=_parse_snooze(rest), public=public)


def _alerts_on(f: Fields, items: list[Item]) -> None:
    """`alerts on`: a channel, window, min and sensitivity, each at most once."""
    i = 0
    while i < len(items):
        it, w = items[i], items[i].word
        key = KEY_ALIASES.get(it.key, it.key) if it.kind == "kv" else KEY_ALIASES.get(w or "", w)
        nxt = items[i + 1] if i + 1 < len(items) else None
        if is_channel(it):
            channel(f, it)
        elif w in ("in", "to") and nxt is not None and is_channel(nxt):
            pass
        elif key == "window":
            value, i = take_value(f, items, i, "window")
            minutes = parse_duration(value.text)
            if minutes is None or not WINDOW_MINUTES[0] <= minutes <= WINDOW_MINUTES[1]:
                raise CommandError(MSG_WINDOW_BAD.format(word=show(value.raw)), hint=usage_hint("alerts"))
            f.set_once("window_minutes", minutes, value, "window")
            continue
        elif key == "min":
            value, i = take_value(f, items, i, "min")
            n = int(value.text) if _INT_RE.match(value.text) else 0
            if not MIN_COUNT[0] <= n <= MIN_COUNT[1]:
                raise CommandError(MSG_MIN_BAD.format(word=show(value.raw)), hint=usage_hint("alerts"))
            f.set_once("min_count", n, value, "minimum")
            continue
        elif key == "sensitivity":
            value, i = take_value(f, items, i, "sensitivity")
            level = canonical(value.text.lower(), SENSITIVITIES, SENSITIVITY_ALIASES)
            if level is None:
                raise CommandError(MSG_SENSITIVITY_BAD.format(word=show(value.raw)), hint=usage_hint("alerts"))
            f.set_once("sensitivity", level, value, "sensitivity")
            continue
        elif (level := canonical(w, SENSITIVITIES, SENSITIVITY_ALIASES)) is not None:
            f.set_once("sensitivity", level, it, "sensitivity")
        else:
            raise unknown("alerts", it, _ALERTS_ON_VOCAB)
        i += 1


def _parse_snooze(items: list[Item]) -> Snooze:
    """`alerts snooze`: `2h`, `for 90 minutes`, `until 17:30` or `off`."""
    if items and items[0].word == "for":
        items = items[1:]
    if not items:
        raise CommandError(MSG_SNOOZE_MISSING, hint=usage_hint("alerts"))
    for it in items:
        if it.kind != "word":
            raise unknown("alerts", it)
    first = items[0]
    if first.word == "off" and len(items) == 1:
        return Snooze(off=True)
    if first.word == "until":
        text = "".join(it.text for it in items[1:])
        value = parse_time(text, after_at=True) if text else None
        if value is None:
            raise CommandError(MSG_BAD_TIME.format(word=show(text or "until")), hint=usage_hint("alerts"))
        hour, minute = value.split(":")
        return Snooze(until=time(int(hour), int(minute)))
    text = " ".join(it.text for it in items)
    minutes = parse_duration(text)
    if minutes is None or minutes < 1:
        raise CommandError(MSG_SNOOZE_BAD.format(word=show(text)), hint=usage_hint("alerts"))
    if minutes > SNOOZE_MAX_MINUTES:
        raise CommandError(MSG_SNOOZE_TOO_LONG.format(word=show(text)), hint=usage_hint("alerts"))
    return Snooze(minutes=minutes)
