"""The audit_log table: who changed what (subscriptions, alerts, exports), one row per change."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from bot.isotime import utcnow_iso
from bot.store.scope import Scope

logger = logging.getLogger(__name__)


class AuditLog:
    """Named queries on `audit_log`."""

    def __init__(self, store: Scope):
        self.store = store
        self.workspace = store.workspace  # every query is scoped to it (m012; '' = single-workspace mode)

    def record(self, user_id: str, action: str, detail: dict | None = None, now: datetime | None = None) -> None:
        self.store.db["audit_log"].insert(
            {
                "at": utcnow_iso(now),
                "user_id": user_id,
                "action": action,
                "detail": json.dumps(detail or {}, sort_keys=True),
                "workspace": self.workspace,
            }
        )

    def entries(self, action: str | None = None) -> list[dict]:
        """Rows in the order written, all or one action's, with detail decoded."""
        where, args = (
            ("workspace = ? and action = ?", [self.workspace, action])
            if action
            else (
                "workspace = ?",
                [self.workspace],
            )
        )
        rows = self.store.db["audit_log"].rows_where(where, args, order_by="id")
        return [{**row, "detail": json.loads(row["detail"] or "{}")} for row in rows]
