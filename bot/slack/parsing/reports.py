"""The report grammar (pure): summary, team, workload, … nps — RANGE, filters, `public`; nps also FORM and category."""

from __future__ import annotations

import re

from bot.errors import BadRangeError, CommandError
from bot.slack.parsing.commands import ReportCommand
from bot.slack.parsing.grammar import (
    HINT_ONE_WORD_RANGE,
    MSG_TWO,
    MSG_UNKNOWN_WORD,
    MSG_UNKNOWN_WORD_SUGGEST,
    REPORT_VOCAB,
    Fields,
    filter_item,
    form_words,
    unknown,
)
from bot.slack.parsing.tokens import Item, show
from bot.slack.parsing.values import CATEGORY_WORDS, NPS_CATEGORIES, checked_range, is_range, spaced_range

COMPARE_WORD = "compare"  # the answer beside the same range one period earlier (the Compare button types it)
_SINGLE_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def parse_report(name: str, items: list[Item], *, public: bool) -> ReportCommand:
    """The words after a report's name -> ReportCommand."""
    f = Fields(name)
    collect_report(f, items, allow_form=name == "nps", allow_category=name == "nps")
    return ReportCommand(name, public=public, **f)


def collect_report(f: Fields, items: list[Item], *, allow_form: bool, allow_category: bool) -> None:
    """RANGE, filters and (nps) category and FORM words."""
    leftovers: list[Item] = []
    prev: Item | None = None
    for i, it in enumerate(items):
        if it.kind == "kv":
            filter_item(f, it, allow_form=allow_form)
        elif is_range(it):
            first = f.get("range_text")
            if first and _SINGLE_DATE_RE.match(first) and _SINGLE_DATE_RE.match(it.text):
                # two dates typed apart: they meant a span
                raise BadRangeError(
                    MSG_TWO.format(what="range", first=show(f.raws["range_text"]), second=show(it.raw)),
                    hint=f"For several days write one range: `{first}..{it.text.lower()}`.",
                )
            f.set_once("range_text", checked_range(it), it, "range")
        elif it.word == COMPARE_WORD:
            f.set_once("compare", True, it, "compare")
        elif allow_category and it.word in CATEGORY_WORDS:
            f.set_once("category", CATEGORY_WORDS[it.word], it, "category")
        elif allow_form and it.kind in ("word", "text"):
            leftovers.append(it)
        else:
            spaced = spaced_range(items, i)
            if spaced:
                raise BadRangeError(
                    MSG_UNKNOWN_WORD_SUGGEST.format(word=show(spaced[0]), command=f.command, suggestion=spaced[1]),
                    hint=HINT_ONE_WORD_RANGE,
                )
            err = unknown(f.command, it, REPORT_VOCAB + (NPS_CATEGORIES if allow_category else ()))
            plain = MSG_UNKNOWN_WORD.format(word=show(it.raw), command=f.command)
            if err.message == plain and prev is not None and prev.kind == "kv" and prev.key in ("group", "agent"):
                # `agent:Jane Remington`: likely the rest of an unquoted name; say how to quote it
                err = CommandError(
                    plain,
                    hint=f"Put a name with spaces in double quotes, e.g. "
                    f'{prev.key}:"{show(prev.text)} {show(it.raw)}".',
                )
            raise err
        prev = it
    form_words(f, leftovers)
