"""The directory feature: /lexer users, groups and forms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.answer import Asker, CommandHandler, Reply
from bot.slack.messages import directory
from bot.slack.messages.common import ReplyContext
from bot.slack.parsing import LIST_COMMANDS, ListCommand

if TYPE_CHECKING:
    from bot.deps import Deps


def _lists(cmd: ListCommand, asker: Asker, deps: Deps) -> dict:
    d, ctx = deps.directory, ReplyContext(sandbox=deps.settings.sandbox_mode)
    if cmd.name == "users":
        return directory.users_message(d.users(), d.groups(), ctx)
    if cmd.name == "groups":
        return directory.groups_message(d.groups(), d.users(), ctx)
    return directory.forms_message(d.forms(), ctx)


def list_command(cmd: ListCommand, asker: Asker, deps: Deps) -> Reply:
    """users, groups, forms."""
    return Reply(_lists(cmd, asker, deps), public=cmd.public)


COMMANDS: dict[str, CommandHandler] = {name: list_command for name in LIST_COMMANDS}
