"""The export grammar (pure): `export cases|responses|nps` and then what the report of it takes."""

from __future__ import annotations

from bot.errors import CommandError
from bot.slack.parsing.commands import ExportCommand
from bot.slack.parsing.grammar import Fields, pick_kind
from bot.slack.parsing.reports import collect_report
from bot.slack.parsing.tokens import Item, show
from bot.slack.parsing.usage import usage_hint
from bot.slack.parsing.values import is_range, suggest

EXPORT_KINDS = ("cases", "responses", "nps")
_EXPORT_ALIASES = {"case": "cases", "response": "responses", "sla": "responses", "submissions": "nps"}

MSG_EXPORT_KIND_MISSING = "Say what to export: cases, responses or nps."
MSG_EXPORT_KIND_UNKNOWN = "`{word}` is not something I can export — did you mean `{suggestion}`?"
MSG_EXPORT_KIND_UNKNOWN_PLAIN = "`{word}` is not something I can export: try cases, responses or nps."


def parse_export(items: list[Item], *, public: bool) -> ExportCommand:
    """The words after `export`: a kind anywhere, then RANGE and filters (nps: FORM and category)."""
    f = Fields("export")
    rest = pick_kind(f, items, EXPORT_KINDS, _EXPORT_ALIASES, "kind", "kind")
    kind = f.get("kind")
    if kind is None:
        first = next((it for it in items if it.word and not is_range(it)), None)
        s = suggest(first.word, EXPORT_KINDS) if first and first.word else None
        if first is None:
            raise CommandError(MSG_EXPORT_KIND_MISSING, hint=usage_hint("export"))
        if s:
            raise CommandError(
                MSG_EXPORT_KIND_UNKNOWN.format(word=show(first.raw), suggestion=s), hint=usage_hint("export")
            )
        raise CommandError(MSG_EXPORT_KIND_UNKNOWN_PLAIN.format(word=show(first.raw)), hint=usage_hint("export"))
    collect_report(f, rest, allow_form=kind == "nps", allow_category=kind == "nps")
    return ExportCommand(public=public, **f)
