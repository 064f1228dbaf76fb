"""The targets grammar (pure): `targets`, `targets METRIC VALUE|off [METRIC VALUE|off …] [group:NAME]`."""

from __future__ import annotations

import re

from bot.errors import CommandError
from bot.slack.parsing.commands import AgentDigestsCommand, TargetsCommand
from bot.slack.parsing.grammar import unknown
from bot.slack.parsing.tokens import Item, show
from bot.slack.parsing.usage import usage_hint
from bot.slack.parsing.values import canonical, parse_duration, suggest

TARGET_METRICS = ("breach-rate", "median-wait", "response-rate")
_METRIC_ALIASES = {"breaches": "breach-rate", "wait": "median-wait", "response": "response-rate"}
CLEAR_WORDS = ("off", "clear", "none")
MAX_WAIT_MINUTES = 7 * 24 * 60

MSG_METRIC_UNKNOWN = "`{word}` is not a target — did you mean `{suggestion}`?"
MSG_METRIC_UNKNOWN_PLAIN = "`{word}` is not a target: use breach-rate, median-wait or response-rate."
MSG_VALUE_MISSING = "`{metric}` needs a value, e.g. `{example}`, or `off` to clear it."
MSG_PERCENT_BAD = "`{word}` is not a percentage for `{metric}`: give 0% to 100%, e.g. `{example}`."
MSG_WAIT_BAD = "`{word}` is not a wait for `median-wait`: give 1m to 7d, e.g. `median-wait 15m` or `1h30m`."
MSG_TWICE = "`{metric}` is given twice; give each target once."
MSG_GROUP_TWICE = "Give one `group:`, not two."
EXAMPLES = {"breach-rate": "breach-rate 5%", "median-wait": "median-wait 15m", "response-rate": "response-rate 90%"}

_PERCENT_RE = re.compile(r"^(\d{1,3}(?:\.\d{1,2})?)%?$")


def _value(metric: str, item: Item) -> float | None:
    """The typed value: percent (0-100) for rates, seconds for median-wait; None = clear."""
    text = item.text.strip().lower()
    if text in CLEAR_WORDS:
        return None
    if metric == "median-wait":
        minutes = parse_duration(text)
        if minutes is None or not 1 <= minutes <= MAX_WAIT_MINUTES:
            raise CommandError(MSG_WAIT_BAD.format(word=show(item.raw)), hint=usage_hint("targets"))
        return float(minutes * 60)
    m = _PERCENT_RE.match(text)
    if m is None or float(m.group(1)) > 100:
        raise CommandError(
            MSG_PERCENT_BAD.format(word=show(item.raw), metric=metric, example=EXAMPLES[metric]),
            hint=usage_hint("targets"),
        )
    return float(m.group(1))


def parse_targets(items: list[Item], *, public: bool) -> TargetsCommand:
    """The words after `targets`: nothing (show them), or METRIC VALUE pairs and an optional group:."""
    changes: dict[str, float | None] = {}
    group: str | None = None
    i = 0
    while i < len(items):
        it = items[i]
        if it.kind == "kv" and it.key == "group":
            if group is not None:
                raise CommandError(MSG_GROUP_TWICE, hint=usage_hint("targets"))
            if not it.text.strip():
                raise CommandError('`group:` needs a value, e.g. `group:"Email Support"`.', hint=usage_hint("targets"))
            group = it.text.strip()
            i += 1
            continue
        metric = canonical(it.word, TARGET_METRICS, _METRIC_ALIASES)
        if metric is None:
            if it.kind != "word":
                raise unknown("targets", it, TARGET_METRICS)
            s = suggest(it.word or "", TARGET_METRICS)
            msg = (
                MSG_METRIC_UNKNOWN.format(word=show(it.raw), suggestion=s)
                if s
                else MSG_METRIC_UNKNOWN_PLAIN.format(word=show(it.raw))
            )
            raise CommandError(msg, hint=usage_hint("targets"))
        if metric in changes:
            raise CommandError(MSG_TWICE.format(metric=metric), hint=usage_hint("targets"))
        if i + 1 >= len(items) or items[i + 1].kind not in ("word", "text"):
            raise CommandError(
                MSG_VALUE_MISSING.format(metric=metric, example=EXAMPLES[metric]), hint=usage_hint("targets")
            )
        changes[metric] = _value(metric, items[i + 1])
        i += 2
    if group is not None and not changes:
        return TargetsCommand(group=group, public=public)
    return TargetsCommand(changes=tuple(changes.items()), group=group, public=public)


def parse_agent_digests(items: list[Item], *, public: bool) -> AgentDigestsCommand:
    """`agent-digests`, `agent-digests on|off|status`."""
    if not items:
        return AgentDigestsCommand(public=public)
    action = canonical(items[0].word, ("on", "off", "status"), {"enable": "on", "disable": "off"})
    if action is None or len(items) > 1:
        raise unknown("agent-digests", items[0] if action is None else items[1], ("on", "off", "status"))
    return AgentDigestsCommand(action=action, public=public)
