"""The sla_targets table: the SLA targets admins set, per workspace and optionally per group."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.isotime import utcnow_iso
from bot.store.scope import Scope

logger = logging.getLogger(__name__)


class Targets:
    """Named queries on `sla_targets`."""

    def __init__(self, store: Scope):
        self.store = store
        self.workspace = store.workspace  # every query is scoped to it ('' = single-workspace mode)

    def all(self) -> list[dict]:
        """Rows (metric, value, group_id, group_name), workspace-wide (group 0) first."""
        return list(
            self.store.db.query(
                "select metric, value, group_id, group_name from sla_targets where workspace = ? "
                "order by group_id, metric",
                [self.workspace],
            )
        )

    def set(
        self,
        metric: str,
        value: float,
        user_id: str,
        *,
        group_id: int = 0,
        group_name: str = "",
        now: datetime | None = None,
    ) -> None:
        """Insert or replace the target for its (workspace, group, metric)."""
        self.store.db.conn.execute(
            "insert into sla_targets (workspace, group_id, group_name, metric, value, set_by, set_at) "
            "values (?, ?, ?, ?, ?, ?, ?) on conflict (workspace, group_id, metric) do update set "
            "value = excluded.value, group_name = excluded.group_name, set_by = excluded.set_by, set_at = excluded.set_at",
            (self.workspace, group_id, group_name, metric, value, user_id, utcnow_iso(now)),
        )

    def clear(self, metric: str, group_id: int = 0) -> bool:
        cur = self.store.db.conn.execute(
            "delete from sla_targets where workspace = ? and group_id = ? and metric = ?",
            (self.workspace, group_id, metric),
        )
        return cur.rowcount > 0
