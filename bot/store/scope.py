"""What a table family sees of the Store it is bound to (bot.store.Store is one)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

import sqlite_utils

from bot.crypto import SecretBox


class Scope(Protocol):
    """The database's connection and transactions, and the workspace every per-workspace query carries."""

    workspace: str  # '' is the single-workspace mode
    dialect: str  # "sqlite" or "postgresql", where the SQL differs
    secrets: SecretBox | None  # LEXERBOT_SECRET_KEY's box, for the families that store tokens

    @property
    def db(self) -> sqlite_utils.Database: ...

    def transaction(self, lock: str) -> AbstractContextManager[None]: ...
