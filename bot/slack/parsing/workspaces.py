"""connect, disconnect, admins [add|remove @user] (pure): distribution mode's workspace commands."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import CommandError
from bot.slack.parsing.tokens import Item, looks_secret, show
from bot.slack.parsing.usage import usage_hint

ADMINS_ACTIONS = ("list", "add", "remove")
_MENTION = re.compile(r"^@([UW][A-Z0-9]+)(?:\|.*)?$")


@dataclass(frozen=True)
class WorkspaceCommand:
    """connect | disconnect | admins (action list/add/remove, with the user for add/remove)."""

    name: str
    action: str = "list"
    user_id: str | None = None
    public: bool = False


MSG_CONNECT_TAKES_NOTHING = (
    "`/lexer connect` takes nothing after it (what followed it is not shown here): run it on its own and paste"
    " the token into the form it opens."
)


def holds_secret(text: str) -> bool:
    """A /lexer text never to be kept, logged or repeated: one shaped like a token anywhere, or `connect` with
    anything after it (it takes nothing; what follows is most likely the token, of whatever shape)."""
    return looks_secret(text) or is_connect_with_more(text)


def is_connect_with_more(text: str) -> bool:
    """`connect` with something after it; `public` may stand anywhere, before the command too (as parse_command
    reads it), so it is not what follows."""
    words = [w for w in text.split() if w.lower() != "public"]
    return len(words) > 1 and words[0].lower() == "connect"


def parse_connect(name: str, rest: list[Item], *, public: bool) -> WorkspaceCommand:
    if rest and name == "connect":
        # never quoted back: it may be the token itself
        raise CommandError(MSG_CONNECT_TAKES_NOTHING, hint=usage_hint(name))
    if rest:
        raise CommandError(f"`{name}` takes nothing after it (not `{show(rest[0].raw)}`).", hint=usage_hint(name))
    return WorkspaceCommand(name=name, public=public)


def parse_admins(rest: list[Item], *, public: bool) -> WorkspaceCommand:
    if not rest:
        return WorkspaceCommand(name="admins", public=public)
    action = (rest[0].word or "").lower()
    if action not in ("add", "remove"):
        raise CommandError(
            f"`admins` takes `add @user` or `remove @user`, not `{show(rest[0].raw)}`.", hint=usage_hint("admins")
        )
    if len(rest) != 2:
        raise CommandError(
            f"`admins {action}` needs one @user, e.g. `/lexer admins {action} @jane`.", hint=usage_hint("admins")
        )
    match = _MENTION.match(rest[1].text) if rest[1].kind == "mention" else None
    if match is None:
        raise CommandError(
            f"`admins {action}` needs a Slack mention like @jane, not `{show(rest[1].raw)}`.", hint=usage_hint("admins")
        )
    return WorkspaceCommand(name="admins", action=action, user_id=match.group(1), public=public)
