"""Distribution mode: which workspace a request belongs to, that workspace's Deps, and who its admins are."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.crypto import SecretUnreadableError
from bot.store.backend import unavailable
from bot.store.installations import workspace_key

if TYPE_CHECKING:
    from slack_sdk.oauth.installation_store import Installation

    from bot.deps import Deps
    from bot.store import Store
    from bot.store.installations import LexerConnection

logger = logging.getLogger(__name__)

ADMIN_TTL_S = 600.0  # users.info is_owner / is_admin, cached per workspace and user

# a workspace's Lexer connection, as lexer_state() says it
CONNECTED = "connected"
NOT_CONNECTED = "not connected"
UNREADABLE = "unreadable"  # saved, but under a key LEXERBOT_SECRET_KEY no longer holds: connect again


def workspace_key_of(body: dict) -> str:
    """The workspace key of a slash command, interaction or event body."""
    for authorization in body.get("authorizations") or []:  # an Events API body says it here
        return workspace_key(
            authorization.get("enterprise_id"), authorization.get("team_id"), authorization.get("is_enterprise_install")
        )
    team = body.get("team")
    team_id = team.get("id") if isinstance(team, dict) else body.get("team_id")
    enterprise = body.get("enterprise")
    enterprise_id = enterprise.get("id") if isinstance(enterprise, dict) else body.get("enterprise_id")
    org_wide = body.get("is_enterprise_install")
    if isinstance(org_wide, str):
        org_wide = org_wide.lower() == "true"
    return workspace_key(enterprise_id, team_id, bool(org_wide))


def _fingerprint(*secrets: str | None) -> str:
    return hashlib.sha256("\0".join(s or "" for s in secrets).encode()).hexdigest()


@dataclass(frozen=True)
class _Kept:
    """A workspace's stored ciphertexts, and what was decrypted from them (installation None: unreadable)."""

    sealed: tuple
    installation: Installation | None
    connection: LexerConnection | None
    lexer: str  # CONNECTED, NOT_CONNECTED or UNREADABLE


@dataclass(eq=False)
class _Held:
    """A workspace's built Deps, how many leases hold it, and whether newer tokens replaced it."""

    fingerprint: str
    deps: Deps
    users: int = 0
    retired: bool = False
    when_closed: list[Callable[[], object]] = field(default_factory=list)  # run once its last user is done


def _run_quietly(step: Callable[[], object]) -> None:
    try:
        step()
    except Exception:
        logger.exception("cleaning up after a workspace's last use failed")


class Tenancy:
    """Each installed workspace's tokens and Deps, decrypted and built once, read again only when they change.

    Every use checks the stored ciphertexts (one indexed read, no decryption): any save, delete or key
    rotation, by this process or another, changes them, so an uninstalled workspace or a disconnected Lexer
    token counts on the very next request. make_deps(tenancy, key, installation, connection) builds a
    workspace's Deps (bot/compose.py; connection None: a Lexer client that refuses every call); close_deps
    closes a replaced one, once no lease holds it.
    """

    def __init__(
        self,
        store: Store,
        make_deps: Callable[[Tenancy, str, Any, Any], Deps],
        close_deps: Callable[[Deps], None],
        client_for_token: Callable[[str], Any],
        *,
        admin_ttl_s: float = ADMIN_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self._make = make_deps
        self._close = close_deps
        self.client_for_token = client_for_token  # an ActivityClient on a token, to check it before saving
        self.admin_ttl_s = admin_ttl_s
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, _Kept] = {}
        self._deps: dict[str, _Held] = {}
        self._slack_admins: dict[tuple[str, str], tuple[float, bool]] = {}

    def keys(self) -> list[str]:
        return self.store.installations.keys()

    def _current(self, key: str) -> _Kept | None:
        """The workspace's installation and Lexer connection as stored now; decrypted only when they changed.

        None when it is not installed, or when its Slack tokens cannot be decrypted (logged once: nothing can
        reach that workspace until it is installed again). A Lexer token that cannot be decrypted leaves the
        workspace served, as UNREADABLE, so its admins are told to connect again."""
        try:
            sealed = self.store.installations.sealed(key) if key else None
        except Exception as exc:
            with self._lock:
                kept = self._tokens.get(key)
            if kept is None or not unavailable(exc):
                raise
            # the database does not answer (a restart, an outage): the tokens read last serve meanwhile, so the
            # workspace's requests are still acked (and its commands held until the database takes them)
            return kept if kept.installation is not None else None
        if sealed is None:
            with self._lock:
                self._tokens.pop(key, None)
            return None
        with self._lock:
            kept = self._tokens.get(key)
        if kept is not None and kept.sealed == sealed:
            return kept if kept.installation is not None else None
        try:
            installation = self.store.installations.find(key)
        except SecretUnreadableError:
            logger.warning("workspace %s skipped: its Slack tokens cannot be decrypted with any configured key", key)
            with self._lock:
                self._tokens[key] = _Kept(sealed, None, None, UNREADABLE)
            return None
        if installation is None:  # removed since the read above
            return None
        try:
            connection = self.store.lexer_connections.find(key)
            state = CONNECTED if connection is not None else NOT_CONNECTED
        except SecretUnreadableError:
            logger.warning(
                "workspace %s: its Lexer token cannot be decrypted with any configured key; its digests and "
                "alerts are skipped and its admins are asked to run /lexer connect again",
                key,
            )
            connection, state = None, UNREADABLE
        # stamped with the ciphertexts read first: a save in between only costs one more read
        kept = _Kept(sealed, installation, connection, state)
        with self._lock:
            self._tokens[key] = kept
        return kept

    def installation(self, key: str) -> Installation | None:
        """The workspace's installation (Bolt's authorize asks on every request); shared, not to be changed."""
        current = self._current(key)
        return current.installation if current is not None else None

    def lexer_state(self, key: str) -> str | None:
        """CONNECTED, NOT_CONNECTED or UNREADABLE; None when the workspace is not installed."""
        current = self._current(key)
        return current.lexer if current is not None else None

    def connected(self, key: str) -> bool:
        return self.lexer_state(key) == CONNECTED

    def deps_for(self, key: str) -> Deps | None:
        """The workspace's Deps, or None when it is not installed; for a short use (a long one takes a lease)."""
        held = self._take(key, hold=False)
        return held.deps if held is not None else None

    @contextmanager
    def lease(self, key: str) -> Iterator[Deps | None]:
        """The workspace's Deps for a long use (a digest, a command): its clients stay open until it is done,
        even if its tokens change meanwhile (the replaced Deps is closed by its last user)."""
        held = self._take(key, hold=True)
        try:
            yield held.deps if held is not None else None
        finally:
            if held is not None:
                self._release(held)

    def connected_keys(self) -> list[str]:
        """Every connected workspace's key. One that cannot be read (a token under a dropped key, a broken row)
        is logged and left out: it never stops the others."""
        found = []
        for key in self.keys():
            try:
                if self.connected(key):
                    found.append(key)
            except Exception as exc:
                logger.warning("workspace %s skipped: its installation could not be read (%s)", key, type(exc).__name__)
        return found

    def connected_workspaces(self) -> Iterator[Deps]:
        """Each connected workspace's Deps, leased while the caller's loop body runs on it."""
        for key in self.connected_keys():
            with self.lease(key) as here:
                if here is not None:
                    yield here

    def _take(self, key: str, *, hold: bool) -> _Held | None:
        current = self._current(key)
        if current is None or current.installation is None:
            return None
        installation, connection = current.installation, current.connection
        fingerprint = _fingerprint(installation.bot_token, connection.token if connection else current.lexer)
        with self._lock:
            held = self._deps.get(key)
            if held is not None and held.fingerprint == fingerprint:
                held.users += int(hold)
                return held
        deps = self._make(self, key, installation, connection)
        unused: list[Deps] = []
        with self._lock:
            old = self._deps.get(key)
            if old is not None and old.fingerprint == fingerprint:
                # another thread built the same Deps first: use theirs (they may be using it already)
                unused.append(deps)
                held = old
            else:
                held = self._deps[key] = _Held(fingerprint, deps)
                if old is not None and self._retire(old):
                    unused.append(old.deps)
            held.users += int(hold)
        for spare in unused:
            self._close(spare)
        return held

    def _retire(self, held: _Held) -> bool:
        """Mark a replaced Deps to be closed by its last user; True when nobody holds it (close it now)."""
        held.retired = True
        return held.users == 0

    def _release(self, held: _Held) -> None:
        with self._lock:
            held.users -= 1
            done = held.retired and held.users == 0
        if done:
            self._close(held.deps)
            for step in held.when_closed:
                _run_quietly(step)

    def forget(self, key: str, *, when_closed: Callable[[], object] | None = None) -> None:
        """Drop the workspace's kept tokens, Deps and admin answers (after a connect, a disconnect or an uninstall).

        A Deps in use (leased) is closed when its last user is done; `when_closed` runs then (at once when none
        is in use): an uninstall removes what the last users stored meanwhile (their Lexer answers)."""
        with self._lock:
            self._tokens.pop(key, None)
            old = self._deps.pop(key, None)
            close = old is not None and self._retire(old)
            later = old is not None and not close and when_closed is not None
            if later and old is not None and when_closed is not None:
                old.when_closed.append(when_closed)
        self.forget_admins(key)
        if close and old is not None:
            self._close(old.deps)
        if when_closed is not None and not later:
            _run_quietly(when_closed)

    def forget_admins(self, key: str) -> None:
        """Drop the workspace's cached admin answers (after its admin list changed); its clients stay."""
        with self._lock:
            for cached in [k for k in self._slack_admins if k[0] == key]:
                del self._slack_admins[cached]

    def admins(self, key: str) -> tuple[str, ...]:
        """Whom to name when someone needs an admin: the installer and the added admins."""
        installer = self.store.installations.installer(key)
        added = self.store.workspace_admins.list(key)
        return tuple(dict.fromkeys([u for u in (installer, *added) if u]))

    def is_admin(self, key: str, user_id: str, slack=None) -> bool:
        """The installer, an added admin, or a Slack owner/admin of the workspace (users.info, cached)."""
        if not key or not user_id:
            return False
        if user_id in self.admins(key):
            return True
        now = self.clock()
        with self._lock:
            hit = self._slack_admins.get((key, user_id))
        if hit is not None and hit[0] > now:
            return hit[1]
        if slack is None:
            deps = self.deps_for(key)
            slack = deps.slack if deps is not None else None
        if slack is None:
            return False
        try:
            user = slack.users_info(user=user_id).get("user") or {}
        except SlackApiError as exc:
            logger.warning("users.info failed for an admin check: %s", exc.response.get("error"))
            return False
        answer = bool(user.get("is_owner") or user.get("is_admin"))
        with self._lock:
            self._slack_admins[(key, user_id)] = (now + self.admin_ttl_s, answer)
        return answer

    def close(self) -> None:
        """The process is stopping: every workspace's clients close, in use or not."""
        with self._lock:
            cached = list(self._deps.values())
            self._deps.clear()
            self._tokens.clear()
        for held in cached:
            self._close(held.deps)
