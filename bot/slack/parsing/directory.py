"""The directory grammar (pure): users, groups, forms — nothing but `public`."""

from __future__ import annotations

from bot.slack.parsing.commands import ListCommand
from bot.slack.parsing.grammar import Fields, refuse_all
from bot.slack.parsing.tokens import Item

LIST_COMMANDS = frozenset({"users", "groups", "forms"})


def parse_list(name: str, items: list[Item], *, public: bool) -> ListCommand:
    """The words after users/groups/forms (there must be none) -> ListCommand."""
    refuse_all(Fields(name), items)
    return ListCommand(name, public=public)
