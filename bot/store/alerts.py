"""The alert tables: alert_configs, alert_episodes, alert_samples and alert_baselines.

The bot side writes configs and snoozes; the clock side claims samples, keeps
baselines and advances episodes. Each reads what the other wrote.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.isotime import to_iso
from bot.store.backend import IntegrityError
from bot.store.scope import Scope

if TYPE_CHECKING:
    import sqlite_utils

logger = logging.getLogger(__name__)


class Alerts:
    """Named queries on alert_configs, alert_episodes, alert_samples and alert_baselines."""

    def __init__(self, store: Scope):
        self.store = store
        self.workspace = store.workspace  # every query is scoped to it (m012; '' = single-workspace mode)

    @property
    def db(self) -> sqlite_utils.Database:
        return self.store.db

    # configs
    def config(self, channel_id: str) -> dict | None:
        rows = list(
            self.db["alert_configs"].rows_where("workspace = ? and channel_id = ?", [self.workspace, channel_id])
        )
        return rows[0] if rows else None

    def enabled_configs(self) -> list[dict]:
        return list(
            self.db["alert_configs"].rows_where(
                "workspace = ? and enabled = 1", [self.workspace], order_by="channel_id"
            )
        )

    def enabled_with_open_episode(self) -> list[dict]:
        """Each enabled config with its firing episode (or None) under "open_episode", as App Home lists them."""
        return [{**cfg, "open_episode": self.open_episode(cfg["channel_id"])} for cfg in self.enabled_configs()]

    def save_config(
        self, channel_id: str, *, window_minutes: int, min_count: int, sensitivity: str, user_id: str, now: datetime
    ) -> None:
        old = self.config(channel_id) or {}
        self.db["alert_configs"].upsert(
            {
                "channel_id": channel_id,
                "enabled": 1,
                "window_minutes": window_minutes,
                "min_count": min_count,
                "sensitivity": sensitivity,
                "created_by": user_id,
                "snoozed_until": old.get("snoozed_until"),
                "updated_at": to_iso(now),
                "workspace": self.workspace,
            },
            pk=("workspace", "channel_id"),
        )

    def disable(self, channel_id: str, now: datetime) -> bool:
        if not (self.config(channel_id) or {}).get("enabled"):
            return False
        self.db.execute(
            "update alert_configs set enabled = 0, updated_at = ? where channel_id = ? and workspace = ?",
            [to_iso(now), channel_id, self.workspace],
        )
        # an episode left open would carry on in an old thread if alerts came back on later
        # the version bump makes a pass that holds the episode in memory lose its compare-and-set
        self.db.execute(
            "update alert_episodes set state = 'closed', resolved_at = ?, version = version + 1 "
            "where channel_id = ? and workspace = ? and state = 'firing'",
            [to_iso(now), channel_id, self.workspace],
        )
        return True

    def snooze(self, channel_id: str, until: datetime | None, now: datetime) -> None:
        self.db.execute(
            "update alert_configs set snoozed_until = ?, updated_at = ? where channel_id = ? and workspace = ?",
            [to_iso(until) if until else None, to_iso(now), channel_id, self.workspace],
        )

    # samples
    def claim_sample(
        self, window_end: datetime, window_minutes: int, now: datetime, stale_before: datetime | None = None
    ) -> int | None:
        """Insert the slot's row; None when another process (or pass) already has it.

        With `stale_before`, a row still pending since before then (its pass died between claim and record) is
        taken over, once: only one of several passes moves its checked_at. A slot already claimed costs one read
        and no write (the clock's job comes every minute for a 5-minute slot).
        """
        key = [self.workspace, to_iso(window_end), window_minutes]
        found = self.db.execute(
            "select id, status, checked_at from alert_samples "
            "where workspace = ? and window_end = ? and window_minutes = ?",
            key,
        ).fetchall()
        if not found:
            try:
                return (
                    self.db["alert_samples"]
                    .insert(
                        {
                            "window_end": to_iso(window_end),
                            "window_minutes": window_minutes,
                            "status": "pending",
                            "checked_at": to_iso(now),
                            "workspace": self.workspace,
                        }
                    )
                    .last_pk
                )
            except IntegrityError:
                return None  # another pass claimed it since the read: a claim that new is not stale
        sample_id, status, checked_at = found[0]
        if stale_before is None or status != "pending" or (checked_at or "") >= to_iso(stale_before):
            return None
        taken = self.db.execute(
            "update alert_samples set checked_at = ? where workspace = ? and window_end = ? and window_minutes = ? "
            "and status = 'pending' and checked_at < ?",
            [to_iso(now), *key, to_iso(stale_before)],
        )
        return sample_id if taken.rowcount == 1 else None

    def record_sample(self, sample_id: int, values: dict) -> None:
        self.db["alert_samples"].update(sample_id, values)

    def samples_since(self, start: datetime) -> list[dict]:
        return list(
            self.db["alert_samples"].rows_where(
                "workspace = ? and window_end >= ? and status = 'ok'",
                [self.workspace, to_iso(start)],
                order_by="window_end",
            )
        )

    def latest_sample(self, window_minutes: int) -> dict | None:
        rows = list(
            self.db["alert_samples"].rows_where(
                "workspace = ? and window_minutes = ? and status in ('ok', 'missing')",
                [self.workspace, window_minutes],
                order_by="window_end desc",
                limit=1,
            )
        )
        return rows[0] if rows else None

    def prune_samples(self, before: datetime) -> None:
        self.db.execute(
            "delete from alert_samples where workspace = ? and window_end < ?", [self.workspace, to_iso(before)]
        )

    # the daily trailing-7-day baseline
    def baseline(self, key: str) -> dict | None:
        rows = list(self.db["alert_baselines"].rows_where("key = ?", [self._baseline_key(key)]))
        return {**rows[0], "key": key} if rows else None

    def save_baseline(self, row: dict) -> None:
        self.db["alert_baselines"].upsert({**row, "key": self._baseline_key(row["key"])}, pk="key")

    def _baseline_key(self, key: str) -> str:
        # the table's key carries the workspace (single-workspace mode's keys stay as they were)
        return f"{self.workspace}:{key}" if self.workspace else key

    # episodes
    def open_episode(self, channel_id: str) -> dict | None:
        rows = list(
            self.db["alert_episodes"].rows_where(
                "workspace = ? and channel_id = ? and state = 'firing'",
                [self.workspace, channel_id],
                order_by="id desc",
                limit=1,
            )
        )
        return rows[0] if rows else None

    def last_resolved_episode(self, channel_id: str) -> dict | None:
        """The channel's most recently resolved episode (the cooldown after it is measured from it)."""
        rows = list(
            self.db["alert_episodes"].rows_where(
                "workspace = ? and channel_id = ? and state = 'resolved'",
                [self.workspace, channel_id],
                order_by="resolved_at desc",
                limit=1,
            )
        )
        return rows[0] if rows else None

    def last_episode(self, channel_id: str) -> dict | None:
        rows = list(
            self.db["alert_episodes"].rows_where(
                "workspace = ? and channel_id = ?", [self.workspace, channel_id], order_by="id desc", limit=1
            )
        )
        return rows[0] if rows else None

    def insert_episode(self, row: dict) -> int | None:
        """Open a firing episode; None when the channel already has one (another pass opened it first)."""
        values = {k: v for k, v in row.items() if k != "id"} | {"version": 0, "workspace": self.workspace}
        try:
            return self.db["alert_episodes"].insert(values).last_pk
        except IntegrityError:
            return None

    def save_episode(self, row: dict, version: int) -> int | None:
        """Compare-and-set: write `row` only if the stored episode is still at `version`; the new version or None."""
        values = {k: v for k, v in row.items() if k not in ("id", "version", "workspace")}
        sets = ", ".join(f"{k} = ?" for k in values)
        cursor = self.db.execute(
            f"update alert_episodes set {sets}, version = version + 1 where id = ? and workspace = ? and version = ?",
            [*values.values(), row["id"], self.workspace, version],
        )
        return version + 1 if cursor.rowcount == 1 else None

    def claim_first_post(self, episode_id: int, version: int, marker: str, now: datetime) -> int | None:
        """message_ts null -> 'posting', if still firing at `version`: only one pass posts an episode's alert."""
        cursor = self.db.execute(
            "update alert_episodes set message_ts = ?, posting_at = ?, version = version + 1 "
            "where id = ? and workspace = ? and version = ? and message_ts is null and state = 'firing'",
            [marker, to_iso(now), episode_id, self.workspace, version],
        )
        return version + 1 if cursor.rowcount == 1 else None
