"""Distribution mode: which workspace a request belongs to, that workspace's Deps, and who its admins are."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.store.installations import workspace_key

if TYPE_CHECKING:
    from slack_sdk.oauth.installation_store import Installation

    from bot.deps import Deps
    from bot.store import Store
    from bot.store.installations import LexerConnection

logger = logging.getLogger(__name__)

ADMIN_TTL_S = 600.0  # users.info is_owner / is_admin, cached per workspace and user


def request_workspace(body: dict) -> str:
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


class Tenancy:
    """Each installed workspace's tokens and Deps, decrypted and built once, read again only when they change.

    Every use checks the stored ciphertexts (one indexed read, no decryption): any save, delete or key
    rotation, by this process or another, changes them, so an uninstalled workspace or a disconnected Lexer
    token counts on the very next request. make_deps(key, installation, connection) builds a workspace's
    Deps (bot/cli.py); close_deps closes a replaced one.
    """

    def __init__(
        self,
        store: Store,
        make_deps: Callable[[str, Any, Any], Deps],
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
        # key -> (the stored ciphertexts, the installation and Lexer connection decrypted from them)
        self._tokens: dict[str, tuple[tuple, Installation, LexerConnection | None]] = {}
        self._deps: dict[str, tuple[str, Deps]] = {}
        self._slack_admins: dict[tuple[str, str], tuple[float, bool]] = {}

    def keys(self) -> list[str]:
        return self.store.installations.keys()

    def _current(self, key: str) -> tuple[Installation, LexerConnection | None] | None:
        """The workspace's installation and Lexer connection as stored now; decrypted only when they changed."""
        sealed = self.store.installations.sealed(key) if key else None
        if sealed is None:
            with self._lock:
                self._tokens.pop(key, None)
            return None
        with self._lock:
            kept = self._tokens.get(key)
        if kept is not None and kept[0] == sealed:
            return kept[1], kept[2]
        installation = self.store.installations.find(key)
        if installation is None:  # removed since the read above
            return None
        connection = self.store.lexer_connections.find(key)
        with self._lock:
            # stamped with the ciphertexts read first: a save in between only costs one more read
            self._tokens[key] = (sealed, installation, connection)
        return installation, connection

    def installation(self, key: str) -> Installation | None:
        """The workspace's installation (Bolt's authorize asks on every request); shared, not to be changed."""
        current = self._current(key)
        return current[0] if current is not None else None

    def deps_for(self, key: str) -> Deps | None:
        """The workspace's Deps, or None when it is not installed."""
        current = self._current(key)
        if current is None:
            return None
        installation, connection = current
        fingerprint = _fingerprint(installation.bot_token, connection.token if connection else None)
        with self._lock:
            cached = self._deps.get(key)
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
        deps = self._make(key, installation, connection)
        with self._lock:
            old = self._deps.get(key)
            if old is not None and old[0] == fingerprint:
                # another thread built the same Deps first: use theirs (they may be using it already)
                spare, deps = deps, old[1]
            else:
                spare = old[1] if old is not None else None
                self._deps[key] = (fingerprint, deps)
        if spare is not None:
            self._close(spare)
        return deps

    def connected(self, key: str) -> bool:
        current = self._current(key)
        return current is not None and current[1] is not None

    def forget(self, key: str) -> None:
        """Drop the workspace's kept tokens, Deps and admin answers (after a disconnect or an uninstall)."""
        with self._lock:
            self._tokens.pop(key, None)
            old = self._deps.pop(key, None)
            for cached in [k for k in self._slack_admins if k[0] == key]:
                del self._slack_admins[cached]
        if old is not None:
            self._close(old[1])

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
        with self._lock:
            cached = list(self._deps.values())
            self._deps.clear()
            self._tokens.clear()
        for _, deps in cached:
            self._close(deps)
