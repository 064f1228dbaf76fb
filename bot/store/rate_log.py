"""The rate_log table: every Lexer request sent, per token key, so all processes share one budget."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bot.store.scope import Scope

logger = logging.getLogger(__name__)


class RateLog:
    """Named queries on `rate_log`; the limiter's decision lives in bot.lexer.rate_limit."""

    def __init__(self, store: Scope):
        self.store = store

    @contextmanager
    def write_lock(self, token_key: str) -> Iterator[None]:
        """One transaction, one process at a time per token on every host, so counting and recording a send
        is atomic across processes."""
        with self.store.transaction(f"rate_log:{token_key}"):
            yield

    def window(self, token_key: str, done_after: float) -> tuple[float, list[tuple[float, float | None, str]]]:
        """(until when the window is closed, 0 when open; the sends still counted: (sent_at, done_at, budget
        class) of those in flight or answered after `done_after`), in one round trip: what every budget
        decision reads."""
        rows = self.store.db.conn.execute(
            "select 0, until, null, null from lexer_pauses where token_key = ?"
            " union all select 1, sent_at, done_at, coalesce(budget_class, 'command') from rate_log"
            " where token_key = ? and (done_at is null or done_at > ?)",
            (token_key, token_key, done_after),
        ).fetchall()
        paused = next((float(r[1]) for r in rows if r[0] == 0), 0.0)
        return paused, [(r[1], r[2], r[3]) for r in rows if r[0] == 1]

    def record_send(self, token_key: str, sent_at: float, budget_class: str = "command") -> int:
        """A send made now, still in flight; returns its row id."""
        return self.store.db.conn.execute(
            "insert into rate_log (token_key, sent_at, budget_class) values (?, ?, ?) returning id",
            (token_key, sent_at, budget_class),
        ).fetchone()[0]

    def prune(self, done_before: float) -> None:
        self.store.db.conn.execute("delete from rate_log where done_at is not null and done_at < ?", (done_before,))

    def remove_token(self, token_key: str) -> int:
        """One Lexer token's sends and pause (its workspace uninstalled); how many rows went."""
        conn = self.store.db.conn
        removed = conn.execute("delete from rate_log where token_key = ?", (token_key,)).rowcount
        return removed + conn.execute("delete from lexer_pauses where token_key = ?", (token_key,)).rowcount

    def mark_done(self, row_id: int, done_at: float) -> None:
        self.store.db.conn.execute("update rate_log set done_at = ? where id = ?", (done_at, row_id))

    def sends_between(self, token_key: str, start: float, end: float) -> int:
        return self.store.db.conn.execute(
            "select count(*) from rate_log where token_key = ? and sent_at >= ? and sent_at < ?",
            (token_key, start, end),
        ).fetchone()[0]

    def sends_by_class(self, token_key: str, start: float) -> dict[str, int]:
        """Sends made since `start`, per budget class."""
        rows = self.store.db.conn.execute(
            "select coalesce(budget_class, 'command'), count(*) from rate_log"
            " where token_key = ? and sent_at >= ? group by 1",
            (token_key, start),
        ).fetchall()
        return {cls: n for cls, n in rows}

    def pause(self, token_key: str, until: float, reason: str) -> None:
        """Close the window for every process until `until` (never shortens a longer pause)."""
        longest = "greatest" if self.store.dialect == "postgresql" else "max"
        self.store.db.conn.execute(
            "insert into lexer_pauses (token_key, until, reason) values (?, ?, ?) on conflict(token_key) do update"
            f" set until = {longest}(lexer_pauses.until, excluded.until), reason = excluded.reason",
            (token_key, until, reason),
        )
