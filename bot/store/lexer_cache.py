"""The lexer_cache and lexer_flights tables: Activity API answers shared by every process, one flight per query."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from bot.store.scope import Scope

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredAnswer:
    """An answer as the cache keeps it: status, decoded headers, decoded body."""

    status: int
    headers: list[tuple[str, str]]
    content: bytes


def _answer(status, headers, content) -> StoredAnswer:
    return StoredAnswer(int(status), [tuple(h) for h in json.loads(headers or "[]")], bytes(content or b""))


class LexerCache:
    """Named queries on `lexer_cache` and `lexer_flights`; the decisions live in bot.lexer.shared_cache."""

    def __init__(self, store: Scope):
        self.store = store

    def get(self, key: str, now: float) -> StoredAnswer | None:
        row = self.store.db.conn.execute(
            "select status, headers, content from lexer_cache where key = ? and expires > ?", (key, now)
        ).fetchone()
        return _answer(*row) if row else None

    def put(self, key: str, token_key: str, answer: StoredAnswer, now: float, expires: float) -> None:
        self.store.db.conn.execute(
            "insert into lexer_cache (key, token_key, status, headers, content, fetched_at, expires)"
            " values (?, ?, ?, ?, ?, ?, ?) on conflict (key) do update set token_key = excluded.token_key,"
            " status = excluded.status, headers = excluded.headers, content = excluded.content,"
            " fetched_at = excluded.fetched_at, expires = excluded.expires",
            (key, token_key, answer.status, json.dumps(answer.headers), answer.content, now, expires),
        )

    def prune(self, now: float) -> None:
        conn = self.store.db.conn
        conn.execute("delete from lexer_cache where expires < ?", (now,))
        conn.execute("delete from lexer_flights where state != 'running' and done_at < ?", (now - 60,))

    def remove_token(self, token_key: str) -> int:
        """Every answer and flight of one Lexer token (its workspace uninstalled); how many rows went."""
        conn = self.store.db.conn
        removed = conn.execute("delete from lexer_cache where token_key = ?", (token_key,)).rowcount
        return removed + conn.execute("delete from lexer_flights where token_key = ?", (token_key,)).rowcount

    def clear(self) -> None:
        self.store.db.conn.execute("delete from lexer_cache")

    def entries(self) -> int:
        return self.store.db.conn.execute("select count(*) from lexer_cache").fetchone()[0]

    # ---------------------------------------------------------------- flights

    def lead_or_follow(
        self, key: str, me: str, now: float, stale_before: float, failed_after: float, *, token_key: str = ""
    ) -> tuple[str, float]:
        """Become the leader of this query's flight ("lead"), learn that one runs ("follow"), or find it "cached".

        A running flight older than stale_before belongs to a dead process and is taken over; one that failed
        after failed_after is followed too (its answer is shared, not retried again).
        Returns (role, flight start).
        """
        conn = self.store.db.conn
        with self.store.transaction(f"lexer_flights:{key}"):
            # a leader may have landed since the caller looked: then the answer is here, and nobody leads
            if conn.execute("select 1 from lexer_cache where key = ? and expires > ?", (key, now)).fetchone():
                return "cached", now
            row = conn.execute(
                "select leader, started_at, state, done_at from lexer_flights where key = ?", (key,)
            ).fetchone()
            if row is not None and row[2] == "running" and row[1] > stale_before and row[0] != me:
                return "follow", row[1]
            if row is not None and row[2] in ("failed", "unreachable") and (row[3] or 0) > failed_after:
                return "follow", row[1]  # it failed a moment ago: share its answer rather than start another cycle
            # a new flight replaces the last one's row whole (its answer and done_at with it)
            conn.execute("delete from lexer_flights where key = ?", (key,))
            conn.execute(
                "insert into lexer_flights (key, token_key, leader, started_at, state) values (?, ?, ?, ?, 'running')",
                (key, token_key, me, now),
            )
            return "lead", now

    def land(self, key: str, me: str, state: str, answer: StoredAnswer | None, now: float) -> None:
        """The leader's outcome: state 'done' (answer in the cache), 'failed' (answer kept for followers) or 'lost'."""
        self.store.db.conn.execute(
            "update lexer_flights set state = ?, status = ?, headers = ?, content = ?, done_at = ?"
            " where key = ? and leader = ?",
            (
                state,
                answer.status if answer else None,
                json.dumps(answer.headers) if answer else None,
                answer.content if answer else None,
                now,
                key,
                me,
            ),
        )

    def flight(self, key: str) -> tuple[str, float, StoredAnswer | None] | None:
        """(state, started_at, the failed leader's answer) of a query's latest flight."""
        row = self.store.db.conn.execute(
            "select state, started_at, status, headers, content from lexer_flights where key = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        answer = _answer(row[2], row[3], row[4]) if row[2] is not None else None
        return row[0], row[1], answer
