"""Lexer's users, groups and forms, cached, and names typed in Slack resolved to them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from bot.errors import CommandError
from bot.lexer.client import ActivityClient
from bot.lexer.models import Form, Group, User

DIRECTORY_TTL_S = 600.0


class Directory:
    """Cached users, groups and forms, for resolving names in filters and FORM."""

    def __init__(
        self, api: ActivityClient, ttl_s: float = DIRECTORY_TTL_S, clock: Callable[[], float] = time.monotonic
    ):
        self.api = api
        self.ttl_s = ttl_s
        self.clock = clock
        self._cache: dict[str, tuple[float, list]] = {}
        self._lock = threading.Lock()

    def _get(self, name: str, fetch: Callable[[], list]) -> list:
        with self._lock:
            hit = self._cache.get(name)
            if hit and hit[0] > self.clock():
                return hit[1]
        value = fetch()
        with self._lock:
            self._cache[name] = (self.clock() + self.ttl_s, value)
        return value

    def users(self) -> list[User]:
        return self._get("users", self.api.users)

    def groups(self) -> list[Group]:
        return self._get("groups", self.api.groups)

    def forms(self) -> list[Form]:
        return self._get("forms", self.api.forms)


def _match(items: list, query: str, keys: Callable[[Any], list[str]], what: str, listing: Callable[[Any], str]):
    """Exact id, then exact name/email, then a unique prefix or substring; else a CommandError listing them."""
    q = query.strip().strip('"').lower()
    if q.isdigit():
        for it in items:
            if it.id == int(q):
                return it
    exact = [it for it in items if q in (k.lower() for k in keys(it))]
    if len(exact) == 1:
        return exact[0]
    partial = [it for it in items if any(q in k.lower() for k in keys(it))]
    if len(partial) == 1:
        return partial[0]
    names = ", ".join(listing(it) for it in items[:15]) or "none"
    if len(partial) > 1:
        raise CommandError(
            f"`{query}` matches more than one {what}: {', '.join(listing(it) for it in partial[:8])}.",
            hint=f"Use the id or the full name of the {what}.",
        )
    raise CommandError(f"No {what} matches `{query}`.", hint=f"Known {what}s: {names}.")


def resolve_group(directory: Directory, query: str) -> Group:
    return _match(directory.groups(), query, lambda g: [g.name], "group", lambda g: f"{g.name} ({g.id})")


def resolve_agent(directory: Directory, query: str) -> User:
    return _match(directory.users(), query, lambda u: [u.email, u.name], "agent", lambda u: f"{u.email} ({u.id})")


def resolve_nps_form(directory: Directory, query: str | None) -> Form:
    forms = [f for f in directory.forms() if f.nps and not f.archived] or [f for f in directory.forms() if f.nps]
    if query is None:
        if len(forms) == 1:
            return forms[0]
        if not forms:
            raise CommandError("There is no NPS survey in this Lexer account.")
        raise CommandError(
            "There is more than one NPS survey; say which.",
            hint="Surveys: " + ", ".join(f"{f.name} ({f.id})" for f in forms) + f". e.g. `/lexer nps {forms[0].id}`",
        )
    try:
        return _match(forms, query, lambda f: [f.name, f.title], "NPS survey", lambda f: f"{f.name} ({f.id})")
    except CommandError:
        q = query.strip().strip('"').lower()
        other = [
            f for f in directory.forms() if not f.nps and (str(f.id) == q or q in (f.name.lower(), f.title.lower()))
        ]
        if other:  # a real form, just not a survey: say so rather than "no match"
            raise CommandError(
                f"`{other[0].name}` ({other[0].id}) is a form, not an NPS survey.",
                hint="NPS surveys: "
                + (", ".join(f"{f.name} ({f.id})" for f in forms) or "none")
                + ". `/lexer forms` lists them all.",
            ) from None
        raise
