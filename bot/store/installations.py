"""Distribution mode's tables: installations (slack_sdk's InstallationStore on our database), OAuth states,
each workspace's Lexer connection and its added admins. Every token column holds Fernet ciphertext."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.isotime import utcnow_iso
from bot.store.scope import Scope

if TYPE_CHECKING:
    from bot.crypto import SecretBox
    from bot.store import Store

logger = logging.getLogger(__name__)

# Installation fields that are secrets: kept only as ciphertext in their own columns
SECRET_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
STATE_TTL_S = 600.0


def workspace_key(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False) -> str:
    """The key every workspace's rows carry: the enterprise id of an org-wide install, else the team id."""
    if is_enterprise_install and enterprise_id:
        return enterprise_id
    return team_id or enterprise_id or ""


class NoSecretKeyError(RuntimeError):
    """A secret was to be stored or read with no LEXERBOT_SECRET_KEY configured."""


def _box(store: Scope) -> SecretBox:
    if store.secrets is None:
        raise NoSecretKeyError("LEXERBOT_SECRET_KEY is not set; stored tokens cannot be encrypted or read")
    return store.secrets


class Installations:
    """Named queries on `installations`; tokens go in and come out plain, and are ciphertext in the file."""

    def __init__(self, store: Scope):
        self.store = store

    def save(self, installation: Installation) -> str:
        box = _box(self.store)
        key = workspace_key(installation.enterprise_id, installation.team_id, installation.is_enterprise_install)
        values = installation.to_dict()
        fields = {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in values.items()
            if k not in SECRET_FIELDS and k != "custom_values"
        }
        row = {
            "workspace": key,
            "enterprise_id": installation.enterprise_id or "",
            "team_id": installation.team_id or "",
            "is_enterprise_install": int(bool(installation.is_enterprise_install)),
            "installer_user_id": installation.user_id,
            "bot_user_id": installation.bot_user_id,
            "bot_id": installation.bot_id,
            "installed_at": utcnow_iso(),
            "fields": json.dumps(fields, sort_keys=True, default=str),
        }
        for name in SECRET_FIELDS:
            plain = values.get(name)
            row[f"{name}_enc"] = box.encrypt(plain) if plain else None
        self.store.db["installations"].upsert(row, pk="workspace")
        return key

    def find(self, key: str) -> Installation | None:
        rows = list(self.store.db["installations"].rows_where("workspace = ?", [key]))
        if not rows:
            return None
        row = rows[0]
        box = _box(self.store)
        fields = json.loads(row["fields"] or "{}")
        fields.pop("installed_at", None)
        for name in SECRET_FIELDS:
            sealed = row.get(f"{name}_enc")
            fields[name] = box.decrypt(sealed) if sealed else None
        return Installation(**fields)

    def sealed(self, key: str) -> tuple[str | None, ...] | None:
        """The workspace's stored ciphertexts (bot, user and Lexer token), None when not installed.

        Every save encrypts afresh, so these change whenever an installation or a Lexer connection does:
        a decrypted copy keyed by them is never stale, in any process."""
        row = self.store.db.execute(
            "select i.bot_token_enc, i.user_token_enc, c.token_enc from installations i"
            " left join lexer_connections c on c.workspace = i.workspace where i.workspace = ?",
            [key],
        ).fetchone()
        return tuple(row) if row is not None else None

    def keys(self) -> list[str]:
        """Every installed workspace's key, in install order."""
        return [
            r["workspace"]
            for r in self.store.db.query("select workspace from installations order by installed_at, workspace")
        ]

    def installer(self, key: str) -> str | None:
        rows = self.store.db.execute(
            "select installer_user_id from installations where workspace = ?", [key]
        ).fetchall()
        return rows[0][0] if rows else None

    def delete(self, key: str) -> bool:
        cursor = self.store.db.execute("delete from installations where workspace = ?", [key])
        return cursor.rowcount > 0


class SlackInstallationStore(InstallationStore):
    """slack_sdk's InstallationStore implemented on our database (Bolt's OAuth flow and authorize use it)."""

    def __init__(self, store: Store, find: Callable[[str], Installation | None] | None = None):
        self.installations = store.installations
        self._find = find or store.installations.find  # Bolt's authorize passes the tenancy's kept copy

    @property
    def logger(self) -> logging.Logger:
        return logger

    def save(self, installation: Installation) -> None:
        self.installations.save(installation)

    def save_bot(self, bot: Bot) -> None:
        """A bot token Bolt's token rotation refreshed: stored with its installation (sealed like every token).
        A workspace that is no longer installed stays uninstalled."""
        key = workspace_key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        installation = self.installations.find(key)
        if installation is None:
            logger.warning("a refreshed bot token for %s, which is not installed: not stored", key)
            return
        installation.bot_token = bot.bot_token
        installation.bot_refresh_token = bot.bot_refresh_token
        installation.bot_token_expires_at = bot.bot_token_expires_at
        installation.bot_scopes = bot.bot_scopes
        installation.bot_id, installation.bot_user_id = bot.bot_id, bot.bot_user_id
        self.installations.save(installation)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = self._find(workspace_key(enterprise_id, team_id, is_enterprise_install))
        if found is None and enterprise_id and not is_enterprise_install:
            # an org-wide install answers for every team of its enterprise
            found = self._find(enterprise_id)
        if found is not None and user_id is not None and found.user_id != user_id:
            return None  # we keep the installer's user token only
        return found

    def find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        found = self.find_installation(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return found.to_bot() if found is not None and found.bot_token else None

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is not None:
            return None  # no per-user installations are kept
        for key in {workspace_key(enterprise_id, team_id, False), workspace_key(enterprise_id, team_id, True)}:
            self.installations.delete(key)


class OAuthStates(OAuthStateStore):
    """OAuth `state` values in the database: issued once, consumed once, expiring after 10 minutes."""

    def __init__(self, store: Scope, ttl_s: float = STATE_TTL_S, clock=time.time):
        self.store = store
        self.ttl_s = ttl_s
        self.clock = clock

    @property
    def logger(self) -> logging.Logger:
        return logger

    def issue(self, *args, **kwargs) -> str:
        """A new state; the expired ones go first, so anonymous install pages never pile up."""
        state = secrets.token_urlsafe(32)
        now = self.clock()
        self._prune(now)
        self.store.db["oauth_states"].insert({"state": state, "expires_at": now + self.ttl_s})
        return state

    def _prune(self, now: float) -> None:
        self.store.db.execute("delete from oauth_states where expires_at < ?", [now])

    def consume(self, state: str) -> bool:
        if not state:
            return False
        self._prune(self.clock())
        cursor = self.store.db.execute("delete from oauth_states where state = ?", [state])
        return cursor.rowcount > 0


@dataclass(frozen=True)
class LexerConnection:
    """One workspace's Lexer connection; `token` is plain here and ciphertext in the database."""

    workspace: str
    token: str
    token_last4: str
    connected_by: str
    connected_at: str
    agents: int
    groups: int

    def __repr__(self) -> str:
        return f"LexerConnection(workspace={self.workspace!r}, token=…{self.token_last4})"


class LexerConnections:
    """Named queries on `lexer_connections`."""

    def __init__(self, store: Scope):
        self.store = store

    def save(self, key: str, token: str, *, connected_by: str, agents: int, groups: int) -> None:
        self.store.db["lexer_connections"].upsert(
            {
                "workspace": key,
                "token_enc": _box(self.store).encrypt(token),
                "token_last4": token[-4:],
                "connected_by": connected_by,
                "connected_at": utcnow_iso(),
                "agents": agents,
                "groups": groups,
            },
            pk="workspace",
        )

    def find(self, key: str) -> LexerConnection | None:
        rows = list(self.store.db["lexer_connections"].rows_where("workspace = ?", [key]))
        if not rows:
            return None
        row = rows[0]
        return LexerConnection(
            workspace=key,
            token=_box(self.store).decrypt(row["token_enc"]),
            token_last4=row["token_last4"],
            connected_by=row["connected_by"],
            connected_at=row["connected_at"],
            agents=row["agents"] or 0,
            groups=row["groups"] or 0,
        )

    def delete(self, key: str) -> bool:
        return self.store.db.execute("delete from lexer_connections where workspace = ?", [key]).rowcount > 0


class WorkspaceAdmins:
    """Named queries on `workspace_admins`: the users a workspace's admins added with `/lexer admins add`."""

    def __init__(self, store: Scope):
        self.store = store

    def add(self, key: str, user_id: str, added_by: str) -> bool:
        """True if added, False if already there."""
        cursor = self.store.db.execute(
            "insert into workspace_admins (workspace, user_id, added_by, added_at) values (?, ?, ?, ?)"
            " on conflict do nothing",
            [key, user_id, added_by, utcnow_iso()],
        )
        return cursor.rowcount > 0

    def remove(self, key: str, user_id: str) -> bool:
        cursor = self.store.db.execute(
            "delete from workspace_admins where workspace = ? and user_id = ?", [key, user_id]
        )
        return cursor.rowcount > 0

    def list(self, key: str) -> list[str]:
        return [
            r["user_id"]
            for r in self.store.db.query(
                "select user_id from workspace_admins where workspace = ? order by added_at, user_id", [key]
            )
        ]

    def delete_workspace(self, key: str) -> None:
        self.store.db.execute("delete from workspace_admins where workspace = ?", [key])


# tables holding one workspace's data (m012's `workspace` column), emptied when it uninstalls
WORKSPACE_TABLES = (
    "digest_runs",
    "subscriptions",
    "alert_episodes",
    "alert_configs",
    "alert_samples",
    "export_jobs",
    "sla_targets",
    "agent_digest_config",
    "agent_digest_optouts",
    "agent_digest_runs",
    "report_shares",
    "command_queue",
)


def remove_workspace_data(store: Store, key: str, token_keys: Iterable[str] = ()) -> dict[str, int]:
    """Delete a workspace's digests, alerts and exports, and its Lexer token's cached answers, flights and sends
    (`token_keys`: bot.lexer.transport.token_key of its tokens); how many rows of each went."""
    if not key:
        raise ValueError("the single-workspace mode's data is never removed by an uninstall")
    removed = {}
    for table in WORKSPACE_TABLES:
        if table in store.db.table_names():
            removed[table] = store.db.execute(f"delete from {table} where workspace = ?", [key]).rowcount
    # alert baselines carry the workspace at the front of their key (bot.store.alerts._baseline_key)
    removed["alert_baselines"] = store.db.execute("delete from alert_baselines where key like ?", [f"{key}:%"]).rowcount
    removed["lexer_answers"] = sum(store.lexer_cache.remove_token(k) for k in token_keys)
    removed["lexer_sends"] = sum(store.rate_log.remove_token(k) for k in token_keys)
    if store.dialect == "sqlite":
        # the deleted rows' pages are zeroed (secure_delete, bot.store.Store.db); the WAL still holds their old
        # copies until a checkpoint writes it back and empties it
        busy, _, _ = store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            logger.warning("the database's write-ahead log could not be emptied after removing %s", key)
    return removed


# (table, key column, ciphertext columns): every stored secret, for `lexer-bot rotate-key`
SECRET_COLUMNS = (
    ("installations", "workspace", tuple(f"{name}_enc" for name in SECRET_FIELDS)),
    ("lexer_connections", "workspace", ("token_enc",)),
)


ROTATE_TRIES = 5  # a row saved again this many times while the rotation looked at it is left for the next run


def rotate_secrets(store: Scope, *, before_write: Callable[[str, str], None] | None = None) -> int:
    """Re-encrypt every stored secret under the first key; returns how many.

    Each row is written by compare-and-set on the ciphertexts read, on both backends: a save that came between
    (a `/lexer connect`, a refreshed bot token, in any process; saves take no lock) is never overwritten with a
    rotated copy of the old value: the row is read again and rotated. `before_write(table, key)` runs between a
    row's read and its write (tests interleave a save there)."""
    box = _box(store)
    count = 0
    for table, key_column, columns in SECRET_COLUMNS:
        keys = [r[0] for r in store.db.execute(f"select {key_column} from {table} order by {key_column}").fetchall()]
        for key in keys:
            count += _rotate_row(store, box, table, key_column, columns, key, before_write)
    return count


def _rotate_row(
    store: Scope, box: SecretBox, table: str, key_column: str, columns: tuple[str, ...], key: str, before_write
) -> int:
    for _ in range(ROTATE_TRIES):
        row = store.db.execute(f"select {', '.join(columns)} from {table} where {key_column} = ?", [key]).fetchone()
        if row is None:
            return 0  # removed meanwhile
        read = {c: v for c, v in zip(columns, row, strict=True) if v}
        if not read:
            return 0
        rotated = {c: box.rotate(v) for c, v in read.items()}
        if before_write is not None:
            before_write(table, key)
        sets = ", ".join(f"{c} = ?" for c in rotated)
        unchanged = " and ".join(f"{c} = ?" for c in read)
        cursor = store.db.execute(
            f"update {table} set {sets} where {key_column} = ? and {unchanged}",
            [*rotated.values(), key, *read.values()],
        )
        if cursor.rowcount == 1:
            return len(rotated)
    logger.warning("%s of %s changed during each of %d tries; run the rotation again", table, key, ROTATE_TRIES)
    return 0
