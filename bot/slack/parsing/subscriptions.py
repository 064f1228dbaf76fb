"""The subscription grammar (pure): `subscribe sla|nps …` with channel, schedule, time and zone;
`unsubscribe ID`; `subscriptions`."""

from __future__ import annotations

import re

from bot.errors import BadRangeError, CommandError
from bot.slack.parsing.commands import SubscribeCommand, SubscriptionsCommand, UnsubscribeCommand
from bot.slack.parsing.grammar import (
    Fields,
    channel,
    filter_item,
    form_words,
    is_channel,
    pick_kind,
    refuse_all,
    take_value,
    unknown,
)
from bot.slack.parsing.tokens import KEY_ALIASES, Item, show
from bot.slack.parsing.usage import usage_hint
from bot.slack.parsing.values import (
    CADENCE_ALIASES,
    CADENCES,
    HINT_TZ,
    MSG_BAD_TIME,
    TIME_LIKE_RE,
    WEEKDAY_WORDS,
    canonical,
    is_range,
    parse_time,
    parse_tz,
    suggest,
    zones,
)

DIGEST_KINDS = ("sla", "nps")
_DIGEST_ALIASES = {"summary": "sla"}

MSG_NO_RANGE_DIGEST = "Digests always cover the latest full day, so `subscribe` takes no range (`{word}`)."
MSG_DIGEST_KIND_MISSING = "Say which digest: sla or nps, e.g. `/lexer subscribe sla #support`."
MSG_DIGEST_KIND_UNKNOWN = "`{word}` is not a digest — did you mean `{suggestion}`? Digests are sla and nps."
MSG_WEEKLY_NO_DAY = "`weekly` needs a day, e.g. `weekly monday`."
MSG_DAY_WITH_CADENCE = "`{day}` doesn't go with `{cadence}`; for one day a week say `weekly {day}`."
MSG_AT_NO_TIME = "`at` needs a time, e.g. `at 09:00` or `at 9am`."
MSG_TZ_MISSING = "`tz` needs a time zone, e.g. `tz Australia/Sydney`."
MSG_UNSUB_MISSING = "Which subscription? Give its number, e.g. `/lexer unsubscribe 12`."
HINT_UNSUB = "`/lexer subscriptions` lists them with their numbers."
MSG_UNSUB_BAD = "`{word}` is not a subscription number; give one like `12`."

_UNSUB_RE = re.compile(r"^#?(\d{1,9})$", re.ASCII)


def _take_time(f: Fields, items: list[Item], i: int) -> int:
    """`at TIME` starting at items[i] (the `at`); returns the next index."""
    if i + 1 >= len(items) or items[i + 1].kind not in ("word", "text"):
        raise CommandError(MSG_AT_NO_TIME, hint=usage_hint(f.command))
    nxt, used = items[i + 1], 2
    text = nxt.text
    if i + 2 < len(items) and items[i + 2].word in ("am", "pm", "a.m.", "p.m."):
        text, used = text + items[i + 2].word, 3  # type: ignore[operator]
    value = parse_time(text, after_at=True)
    if value is None:
        raise CommandError(MSG_BAD_TIME.format(word=show(text)), hint=usage_hint(f.command))
    f.set_once("at_time", value, nxt, "time")
    return i + used


_SUBSCRIBE_VOCAB = (
    *CADENCES,
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "at",
    "tz",
    "public",
)


def parse_subscribe(items: list[Item], *, public: bool) -> SubscribeCommand:
    """The words after `subscribe`: a digest kind anywhere, then channel, schedule, time, zone (nps: FORM)."""
    f = Fields("subscribe")
    items = pick_kind(f, items, DIGEST_KINDS, _DIGEST_ALIASES, "kind", "digest")
    if f.get("kind") is None:
        first = next((it for it in items if it.word), None)
        s = suggest(first.word, DIGEST_KINDS) if first and first.word else None
        if s and first:
            raise CommandError(
                MSG_DIGEST_KIND_UNKNOWN.format(word=show(first.raw), suggestion=s), hint=usage_hint("subscribe")
            )
        raise CommandError(MSG_DIGEST_KIND_MISSING, hint=usage_hint("subscribe"))
    is_nps = f["kind"] == "nps"
    leftovers: list[Item] = []
    i = 0
    while i < len(items):
        it, w = items[i], items[i].word
        nxt = items[i + 1] if i + 1 < len(items) else None
        if is_channel(it):
            channel(f, it)
        elif w in ("in", "to") and nxt is not None and is_channel(nxt):
            pass  # "subscribe sla to #support"
        elif (
            w in ("on", "every")
            and nxt is not None
            and (nxt.word in WEEKDAY_WORDS or nxt.word in ("weekday", "weekdays"))
        ):
            pass  # "weekly on monday", "every monday"
        elif (cadence := canonical(w, CADENCES, CADENCE_ALIASES)) is not None:
            f.set_once("cadence", cadence, it, "schedule")
        elif w in WEEKDAY_WORDS:
            f.set_once("weekday", WEEKDAY_WORDS[w], it, "day")
        elif w == "at":
            i = _take_time(f, items, i)
            continue
        elif w is not None and TIME_LIKE_RE.match(w):
            value = parse_time(w, after_at=False)
            if value is None:
                raise CommandError(MSG_BAD_TIME.format(word=show(it.raw)), hint=usage_hint("subscribe"))
            f.set_once("at_time", value, it, "time")
        elif w in ("tz", "timezone") or (it.kind == "kv" and KEY_ALIASES.get(it.key, it.key) == "tz"):
            if it.kind != "kv" and (nxt is None or nxt.kind not in ("word", "text")):
                raise CommandError(MSG_TZ_MISSING, hint=HINT_TZ)
            value_item, i = take_value(f, items, i, "tz")
            f.set_once("tz_name", parse_tz(value_item), value_item, "time zone")
            continue
        elif w is not None and "/" in w and w.lower() in zones()[0]:
            f.set_once("tz_name", zones()[0][w.lower()], it, "time zone")
        elif it.kind == "kv" and KEY_ALIASES.get(it.key, it.key) == "form":
            filter_item(f, it, allow_form=is_nps)
        elif is_range(it):
            raise BadRangeError(MSG_NO_RANGE_DIGEST.format(word=show(it.raw)), hint=usage_hint("subscribe"))
        elif is_nps and it.kind in ("word", "text"):
            leftovers.append(it)
        else:
            raise unknown("subscribe", it, _SUBSCRIBE_VOCAB)
        i += 1
    form_words(f, leftovers)
    cadence, weekday = f.get("cadence"), f.get("weekday")
    if weekday is not None and cadence is None:
        f["cadence"] = "weekly"  # "subscribe sla monday" means every Monday
    elif weekday is not None and cadence != "weekly":
        day = f.raws["weekday"]
        raise CommandError(MSG_DAY_WITH_CADENCE.format(day=show(day), cadence=cadence), hint=usage_hint("subscribe"))
    elif cadence == "weekly" and weekday is None:
        raise CommandError(MSG_WEEKLY_NO_DAY, hint=usage_hint("subscribe"))
    return SubscribeCommand(public=public, **f)


def parse_unsubscribe(items: list[Item], *, public: bool) -> UnsubscribeCommand:
    """The words after `unsubscribe`: one subscription number."""
    f = Fields("unsubscribe")
    if not items:
        raise CommandError(MSG_UNSUB_MISSING, hint=HINT_UNSUB)
    for it in items:
        m = _UNSUB_RE.match(it.text if it.kind == "channel_name" else it.word or "")
        if it.kind not in ("word", "channel_name") or not m or int(m.group(1)) == 0:
            if f.get("subscription_id") is not None:
                raise unknown("unsubscribe", it)
            raise CommandError(MSG_UNSUB_BAD.format(word=show(it.raw)), hint=HINT_UNSUB)
        f.set_once("subscription_id", int(m.group(1)), it, "subscription number")
    return UnsubscribeCommand(public=public, **f)


def parse_subscriptions(items: list[Item], *, public: bool) -> SubscriptionsCommand:
    """The words after `subscriptions` (there must be none) -> SubscriptionsCommand."""
    refuse_all(Fields("subscriptions"), items)
    return SubscriptionsCommand(public=public)
