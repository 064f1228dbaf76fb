"""The report_shares table: which private report answers were shared to their channel (each once)."""

from __future__ import annotations

from datetime import datetime

from bot.isotime import to_iso
from bot.store.backend import IntegrityError
from bot.store.scope import Scope


class ReportShares:
    """Named queries on `report_shares`."""

    def __init__(self, store: Scope):
        self.store = store
        self.workspace = store.workspace  # every query is scoped to it ('' = single-workspace mode)

    def claim(self, channel_id: str, message_ts: str, user_id: str, now: datetime) -> bool:
        """True for the first share of this message; False when it was shared already (a double click)."""
        try:
            self.store.db.conn.execute(
                "insert into report_shares (workspace, channel_id, message_ts, user_id, shared_at) "
                "values (?, ?, ?, ?, ?)",
                (self.workspace, channel_id, message_ts, user_id, to_iso(now)),
            )
        except IntegrityError:
            return False
        return True
