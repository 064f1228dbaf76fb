"""The database: SQLite through sqlite-utils, or PostgreSQL; one module per table family; the only place with SQL.

The database is the interface between the web and clock processes. On SQLite every
connection uses WAL and a busy timeout, and each thread has its own connection; a
`postgresql://` target is one shared database for processes on many hosts (see
bot.store.postgres: a connection pool, advisory locks where SQLite takes its write lock).
Queries are methods of small per-family classes bound to the Store:
`store.subscriptions`, `store.digest_runs`, `store.export_jobs`, `store.alerts`,
`store.rate_log`, `store.audit_log`.

Workspace isolation is enforced here: `store.for_workspace(key)` is a Store whose per-workspace families
(declared below, in Store's body) carry `key` in every query; code above the store never passes a workspace
to a query, it holds a store bound to one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar, overload

import sqlite_utils

from bot.store.agent_digests import AgentDigests
from bot.store.alerts import Alerts
from bot.store.audit_log import AuditLog
from bot.store.command_queue import CommandQueue
from bot.store.database import Database
from bot.store.digest_runs import DigestRuns
from bot.store.export_jobs import ExportJobs
from bot.store.installations import Installations, LexerConnections, WorkspaceAdmins
from bot.store.lexer_cache import LexerCache
from bot.store.rate_log import RateLog
from bot.store.report_shares import ReportShares
from bot.store.subscriptions import Subscriptions
from bot.store.targets import Targets

if TYPE_CHECKING:
    from bot.crypto import SecretBox

logger = logging.getLogger(__name__)

F = TypeVar("F")


class Family(Generic[F]):
    """A table family as an attribute of Store, built on first use.

    per_workspace: bound to the Store it is read from, so every query carries that Store's workspace key.
    Otherwise one per database, the root Store's, the same object in every workspace's Store. Families hold no state
    but their Store: two threads that read one first may each build it.
    """

    def __init__(self, build: Callable[[Store], F], *, per_workspace: bool):
        self.build = build
        self.per_workspace = per_workspace
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, store: None, owner: type) -> Family[F]: ...
    @overload
    def __get__(self, store: Store, owner: type) -> F: ...
    def __get__(self, store: Store | None, owner: type) -> Family[F] | F:
        if store is None:
            return self
        if self.per_workspace or store.root is store:
            family: F = self.build(store)
        else:
            family = getattr(store.root, self.name)  # the root's, built once
        store.__dict__[self.name] = family  # read from the instance from now on (Family defines no __set__)
        return family


class Store:
    """The database as one workspace sees it ('' is the single-workspace mode, the root Store).

    Store(path) opens the database; for_workspace(key) is the same database, each per-workspace family bound to `key`.
    """

    # every query carries this Store's workspace key (m012): one workspace never reads or writes another's rows
    subscriptions = Family(Subscriptions, per_workspace=True)
    digest_runs = Family(DigestRuns, per_workspace=True)
    export_jobs = Family(ExportJobs, per_workspace=True)
    alerts = Family(Alerts, per_workspace=True)
    audit_log = Family(AuditLog, per_workspace=True)
    report_shares = Family(ReportShares, per_workspace=True)
    targets = Family(Targets, per_workspace=True)
    agent_digests = Family(AgentDigests, per_workspace=True)
    # one per database, keyed by something other than the store's workspace: a queued command carries its
    # workspace's ids; Lexer's answers and sends are keyed by a hash of the Lexer token, so no workspace reads
    # another's answer; installations, connections and admins take the workspace key as an argument
    command_queue = Family(CommandQueue, per_workspace=False)
    lexer_cache = Family(LexerCache, per_workspace=False)
    rate_log = Family(RateLog, per_workspace=False)
    installations = Family(Installations, per_workspace=False)
    lexer_connections = Family(LexerConnections, per_workspace=False)
    workspace_admins = Family(WorkspaceAdmins, per_workspace=False)

    def __init__(
        self, path: str | Path, secrets: SecretBox | None = None, *, workspace: str = "", root: Store | None = None
    ):
        """`workspace` and `root` are for_workspace's: a caller opens the root Store with a path."""
        self.root = root or self
        self.database: Database = root.database if root else Database(path)
        self.path = self.database.path
        self.dialect = self.database.dialect
        self.secrets = secrets  # LEXERBOT_SECRET_KEY's box: stored tokens are encrypted with it
        self.workspace = workspace

    def for_workspace(self, key: str) -> Store:
        """This database as the workspace `key` sees it ('' is the single-workspace mode: the root Store)."""
        return Store(self.path, self.secrets, workspace=key, root=self.root) if key else self.root

    @property
    def db(self) -> sqlite_utils.Database:
        return self.database.db

    @property
    def name(self) -> str:
        """The database as a log line or /healthz may name it (never a password)."""
        return self.database.name

    def transaction(self, lock: str) -> AbstractContextManager[None]:
        """A read-then-write decision made by one process at a time, on every host (Database.transaction)."""
        return self.database.transaction(lock)

    def queries(self) -> int:
        return self.database.queries()

    def migrations_applied(self) -> int:
        return self.database.migrations_applied()

    def migrate(self) -> None:
        self.database.migrate()

    def close(self) -> None:
        self.database.close()

    def healthy(self) -> bool:
        return bool(self.database.health()["ok"])

    def health(self) -> dict:
        return self.database.health()


def open_store(path: str | Path, secrets: SecretBox | None = None) -> Store:
    """Open (creating if needed) and migrate the database."""
    store = Store(path, secrets)
    store.migrate()
    return store
