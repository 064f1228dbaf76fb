"""What the grammars share (pure): collecting fields once each, filters, form names, channels, and
the error for a word a command has no place for."""

from __future__ import annotations

from collections.abc import Iterable

from bot.errors import BadRangeError, CommandError
from bot.slack.parsing.tokens import FILTER_KEYS, KEY_ALIASES, KEY_MISTAKES, OPTION_KEYS, Item, show
from bot.slack.parsing.usage import FILTER_COMMANDS, USAGE, usage_hint
from bot.slack.parsing.values import (
    CATEGORY_WORDS,
    NPS_CATEGORIES,
    canonical,
    is_range,
    looks_like_range,
    range_error,
    spaced_range,
    suggest,
)
from bot.timeframe import RANGE_HELP, RANGE_WORDS

MSG_UNKNOWN_WORD = "I don't understand `{word}` after `{command}`."
MSG_UNKNOWN_WORD_SUGGEST = "I don't understand `{word}` after `{command}` — did you mean `{suggestion}`?"
MSG_TWO = "Give one {what}, not two (`{first}` and `{second}`)."
MSG_NO_RANGE = "`{command}` doesn't take a range (`{word}`)."
MSG_NO_FILTERS = "`{command}` doesn't take filters like `{word}`."
MSG_FORM_NOT_HERE = "`form:` only goes with `nps`, e.g. `/lexer nps form:123`."
MSG_EMPTY_KEY = "`{key}:` needs a value, e.g. `{example}`."
MSG_KEY_MISTAKE = "`{key}:` is not a filter — did you mean `{suggestion}:`?"
MSG_AGENT_MENTION = "`agent:` needs the agent's Lexer email or id, not a Slack mention."
HINT_AGENT = "e.g. agent:jane@example.com"
MSG_MENTION = "`{command}` doesn't take a mention (`{word}`); for one agent use `agent:EMAIL`."
MSG_CATEGORY_NOT_HERE = "`{word}` only goes with `nps`, e.g. `/lexer nps last-week {word}`."
MSG_CHANNEL_NOT_HERE = "`{command}` doesn't take a channel (`{word}`); add `public` to post the answer in this channel."
MSG_TWO_FORMS = "Name one form; put a name with spaces in double quotes."
HINT_FORM = 'e.g. `/lexer nps "Customer NPS" last-7d`; `/lexer forms` lists the forms.'
MSG_VALUE_MISSING = "`{key}` needs a value, e.g. `{example}`."
HINT_ONE_WORD_RANGE = f"A range is one word. Ranges: {RANGE_HELP}."

EXAMPLES = {
    "group": 'group:"Email Support"',
    "agent": "agent:jane@example.com",
    "form": "form:123",
    "window": "window 30m",
    "min": "min 5",
    "sensitivity": "sensitivity high",
    "tz": "tz Australia/Sydney",
}
REPORT_VOCAB = (*RANGE_WORDS, "public", "compare")


class Fields(dict):
    """Command fields being collected; remembers what was typed, to name both words of a clash."""

    def __init__(self, command: str):
        super().__init__()
        self.command = command
        self.raws: dict[str, str] = {}

    def set_once(self, field: str, value: object, item: Item, what: str) -> None:
        """Set `field` from `item`; a second value for it is an error naming both words."""
        if self.get(field) is not None:
            raise CommandError(
                MSG_TWO.format(what=what, first=show(self.raws[field]), second=show(item.raw)),
                hint=usage_hint(self.command),
            )
        self[field] = value
        self.raws[field] = item.raw


def unknown(command: str, item: Item, vocabulary: Iterable[str] = ()) -> CommandError:
    """The error for a word `command` has no place for, with the closest word it does take."""
    if item.kind == "mention":
        return CommandError(MSG_MENTION.format(command=command, word=show(item.raw)), hint=HINT_AGENT)
    if item.kind in ("channel", "channel_name"):
        return CommandError(MSG_CHANNEL_NOT_HERE.format(command=command, word=show(item.raw)), hint=usage_hint(command))
    if is_range(item):
        return BadRangeError(MSG_NO_RANGE.format(command=command, word=show(item.raw)), hint=usage_hint(command))
    if item.kind == "kv" and item.key in FILTER_KEYS and command not in FILTER_COMMANDS:
        return CommandError(MSG_NO_FILTERS.format(command=command, word=show(item.raw)), hint=usage_hint(command))
    word = item.word
    if word in CATEGORY_WORDS and command != "nps":
        return CommandError(MSG_CATEGORY_NOT_HERE.format(word=CATEGORY_WORDS[word]), hint=USAGE["nps"])
    if word is not None and looks_like_range(item):
        return range_error(item)
    s = suggest(word, vocabulary) if word else None
    if s:
        return CommandError(
            MSG_UNKNOWN_WORD_SUGGEST.format(word=show(item.raw), command=command, suggestion=s),
            hint=usage_hint(command),
        )
    return CommandError(MSG_UNKNOWN_WORD.format(word=show(item.raw), command=command), hint=usage_hint(command))


def filter_item(f: Fields, item: Item, *, allow_form: bool) -> None:
    """Apply one key:value item that is a filter (group:/agent:/form:)."""
    key = KEY_ALIASES.get(item.key, item.key)
    if key in KEY_MISTAKES or key not in FILTER_KEYS + OPTION_KEYS:
        s = KEY_MISTAKES.get(key) or suggest(key, FILTER_KEYS)
        raise CommandError(
            MSG_KEY_MISTAKE.format(key=show(item.key), suggestion=s or "group"), hint=usage_hint(f.command)
        )
    if key not in FILTER_KEYS:
        raise unknown(f.command, item, REPORT_VOCAB)
    if key == "form" and not allow_form:
        raise CommandError(MSG_FORM_NOT_HERE, hint=USAGE["nps"])
    if key != "form" and f.command not in FILTER_COMMANDS:
        raise CommandError(MSG_NO_FILTERS.format(command=f.command, word=show(item.raw)), hint=usage_hint(f.command))
    value = item.text.strip()
    if not value:
        raise CommandError(MSG_EMPTY_KEY.format(key=key, example=EXAMPLES[key]), hint=usage_hint(f.command))
    if key == "agent" and value.startswith("<"):
        raise CommandError(MSG_AGENT_MENTION, hint=HINT_AGENT)
    f.set_once(key, value, item, {"group": "group", "agent": "agent", "form": "form"}[key])


def form_words(f: Fields, items: list[Item]) -> None:
    """The words left over in nps: one form id or name."""
    if not items:
        return
    # with the form already given (an id, a quoted name or form:), a word close to a range or
    # category is a typo of one ("nps 55 lastweek"), not more of the form's name
    for i in range(len(items)):
        spaced = spaced_range(items, i)
        if spaced:  # "nps 55 last 30 days": a range in words, not more of the form's name
            raise BadRangeError(
                MSG_UNKNOWN_WORD_SUGGEST.format(word=show(spaced[0]), command=f.command, suggestion=spaced[1]),
                hint=HINT_ONE_WORD_RANGE,
            )
    vocab = REPORT_VOCAB + NPS_CATEGORIES
    anchors = [it for it in items if it.kind == "text" or (it.kind == "word" and it.text.isdigit())]
    if f.get("form") is not None or (len(items) > 1 and len(anchors) == 1):
        for it in items:
            if it not in anchors and it.word and suggest(it.word, vocab):
                raise unknown(f.command, it, vocab)
    if len(items) > 1 and any(it.kind == "text" for it in items):
        raise CommandError(MSG_TWO_FORMS, hint=HINT_FORM)
    for it in items:
        if looks_like_range(it):
            raise range_error(it)
    joined = Item("text", " ".join(it.text for it in items), " ".join(it.raw for it in items))
    f.set_once("form", joined.text, joined, "form")


def refuse_all(f: Fields, items: list[Item]) -> None:
    """users, groups, forms, subscriptions: nothing but `public`."""
    for it in items:
        raise unknown(f.command, it, ("public",))


def pick_kind(
    f: Fields, items: list[Item], names: tuple[str, ...], aliases: dict[str, str], field: str, what: str
) -> list[Item]:
    """Find the export/digest kind word anywhere; return the other items."""
    rest = []
    for it in items:
        kind = canonical(it.word, names, aliases)
        if kind is not None:
            f.set_once(field, kind, it, what)
        else:
            rest.append(it)
    return rest


def take_value(f: Fields, items: list[Item], i: int, key: str) -> tuple[Item, int]:
    """The item after a `window`/`min`/`tz`… keyword, or the value of a key:value item."""
    it = items[i]
    if it.kind == "kv":
        if not it.text:
            raise CommandError(MSG_VALUE_MISSING.format(key=key, example=EXAMPLES[key]), hint=usage_hint(f.command))
        return Item("word", it.text, it.raw), i + 1
    if i + 1 >= len(items) or items[i + 1].kind not in ("word", "text"):
        raise CommandError(MSG_VALUE_MISSING.format(key=key, example=EXAMPLES[key]), hint=usage_hint(f.command))
    return items[i + 1], i + 2


def channel(f: Fields, it: Item) -> None:
    """Take a #channel (a Slack link: its id; typed: its name); one per command."""
    field = "channel_id" if it.kind == "channel" else "channel_name"
    if f.get("channel_id") is not None or f.get("channel_name") is not None:
        prev = f.raws.get("channel_id") or f.raws.get("channel_name") or ""
        raise CommandError(
            MSG_TWO.format(what="channel", first=show(prev), second=show(it.raw)), hint=usage_hint(f.command)
        )
    f.set_once(field, it.text, it, "channel")


def is_channel(it: Item) -> bool:
    """A Slack channel link or a typed #name."""
    return it.kind in ("channel", "channel_name")
