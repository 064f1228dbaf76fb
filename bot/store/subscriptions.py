"""The subscriptions table: what `/lexer subscribe` writes and the clock process reads."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.isotime import utcnow_iso
from bot.store.scope import Scope

logger = logging.getLogger(__name__)

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Subscription:
    """One row of `subscriptions`."""

    id: int
    kind: str
    form_id: int | None
    channel_id: str
    cadence: str
    weekday: int | None
    at_time: str
    tz: str
    created_by: str | None = None
    created_at: str | None = None
    paused: bool = False
    broken_reason: str | None = None

    @classmethod
    def from_row(cls, row: dict) -> Subscription:
        return cls(
            int(row["id"]),
            row["kind"],
            row.get("form_id"),
            row["channel_id"],
            row["cadence"],
            row.get("weekday"),
            row["at_time"],
            row["tz"],
            row.get("created_by"),
            row.get("created_at"),
            bool(row.get("paused")),
            row.get("broken_reason"),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def active(self) -> bool:
        return not self.paused and not self.broken_reason

    def schedule_key(self) -> str:
        """What the scheduler job depends on; a change here reschedules the job."""
        return f"{self.kind}:{self.form_id}:{self.cadence}:{self.weekday}:{self.at_time}:{self.tz}"

    def cadence_words(self) -> str:
        if self.cadence == "weekly":
            return f"every {WEEKDAY_NAMES[self.weekday or 0]}"
        if self.cadence == "weekdays":
            return "weekdays"
        return "daily"


class Subscriptions:
    """Named queries on `subscriptions`."""

    def __init__(self, store: Scope):
        self.store = store
        self.workspace = store.workspace  # every query is scoped to it (m012; '' = single-workspace mode)

    def get(self, sub_id: int) -> Subscription | None:
        rows = list(
            self.store.db.query("select * from subscriptions where id = ? and workspace = ?", [sub_id, self.workspace])
        )
        return Subscription.from_row(rows[0]) if rows else None

    def all(self, *, active_only: bool = False) -> list[Subscription]:
        sql = "select * from subscriptions where workspace = ?"
        if active_only:
            sql += " and coalesce(paused, 0) = 0 and broken_reason is null"
        return [Subscription.from_row(r) for r in self.store.db.query(sql + " order by id", [self.workspace])]

    def schedules(self) -> list[tuple]:
        """The distinct (kind, form_id, cadence, weekday, at_time, tz) of the active subscriptions: what Lexer's
        budget holds for digests depends on these alone, and many subscriptions share one."""
        rows = self.store.db.conn.execute(
            "select distinct kind, form_id, cadence, weekday, at_time, tz from subscriptions where workspace = ?"
            " and coalesce(paused, 0) = 0 and broken_reason is null",
            [self.workspace],
        ).fetchall()
        return [tuple(r) for r in rows]

    def latest(self) -> Subscription | None:
        """The most recently added subscription."""
        rows = list(
            self.store.db.query(
                "select * from subscriptions where workspace = ? order by id desc limit 1", [self.workspace]
            )
        )
        return Subscription.from_row(rows[0]) if rows else None

    def add(
        self,
        *,
        kind: str,
        channel_id: str,
        cadence: str,
        at_time: str,
        tz: str,
        created_by: str,
        form_id: int | None = None,
        weekday: int | None = None,
        now: datetime | None = None,
    ) -> Subscription:
        row = {
            "kind": kind,
            "form_id": form_id,
            "channel_id": channel_id,
            "cadence": cadence,
            "weekday": weekday if cadence == "weekly" else None,
            "at_time": at_time,
            "tz": tz,
            "created_by": created_by,
            "created_at": utcnow_iso(now),
            "paused": 0,
            "broken_reason": None,
            "workspace": self.workspace,
        }
        table = self.store.db["subscriptions"]
        table.insert(row)
        return self.get(table.last_pk)  # type: ignore[return-value]

    def find_duplicate(self, kind: str, form_id: int | None, channel_id: str) -> Subscription | None:
        rows = self.store.db.query(
            "select * from subscriptions where workspace = ? and kind = ? and channel_id = ? and "
            "coalesce(form_id, 0) = ? and broken_reason is null",
            [self.workspace, kind, channel_id, form_id or 0],
        )
        return next((Subscription.from_row(r) for r in rows), None)

    def delete(self, sub_id: int) -> bool:
        cur = self.store.db.conn.execute(
            "delete from subscriptions where id = ? and workspace = ?", (sub_id, self.workspace)
        )
        return cur.rowcount == 1

    def set_paused(self, sub_id: int, paused: bool) -> None:
        self.store.db.conn.execute(
            "update subscriptions set paused = ? where id = ? and workspace = ?", (int(paused), sub_id, self.workspace)
        )

    def mark_broken(self, sub_id: int, reason: str) -> bool:
        """Record why a subscription cannot post; True only for the call that broke it (so its creator is told once)."""
        cur = self.store.db.conn.execute(
            "update subscriptions set broken_reason = ? where id = ? and workspace = ? and broken_reason is null",
            (reason, sub_id, self.workspace),
        )
        return cur.rowcount == 1
