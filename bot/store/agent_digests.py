"""Agent digests: on/off per workspace, agents' opt-outs, and agent_digest_runs, the claim that makes each
agent's Monday DM post once per week (the digest_runs pattern: a unique insert, then compare-and-set)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.isotime import to_iso
from bot.store.backend import IntegrityError
from bot.store.scope import Scope

logger = logging.getLogger(__name__)

TIMESPEC = "microseconds"


class AgentDigests:
    """Named queries on agent_digest_config, agent_digest_optouts and agent_digest_runs."""

    def __init__(self, store: Scope):
        self.store = store
        self.workspace = store.workspace  # every query is scoped to it ('' = single-workspace mode)

    def enabled(self) -> bool:
        row = self.store.db.conn.execute(
            "select enabled from agent_digest_config where workspace = ?", (self.workspace,)
        ).fetchone()
        return bool(row and row[0])

    def set_enabled(self, enabled: bool, user_id: str, now: datetime) -> None:
        self.store.db["agent_digest_config"].upsert(
            {"workspace": self.workspace, "enabled": int(enabled), "set_by": user_id, "set_at": to_iso(now, TIMESPEC)},
            pk="workspace",
        )

    def opted_out(self) -> set[str]:
        rows = self.store.db.conn.execute(
            "select slack_user_id from agent_digest_optouts where workspace = ?", (self.workspace,)
        ).fetchall()
        return {r[0] for r in rows}

    def set_opted_out(self, slack_user_id: str, out: bool, now: datetime) -> None:
        if out:
            self.store.db["agent_digest_optouts"].upsert(
                {"workspace": self.workspace, "slack_user_id": slack_user_id, "at": to_iso(now, TIMESPEC)},
                pk=("workspace", "slack_user_id"),
            )
        else:
            self.store.db.conn.execute(
                "delete from agent_digest_optouts where workspace = ? and slack_user_id = ?",
                (self.workspace, slack_user_id),
            )

    def exists(self, lexer_user_id: int, week: str) -> bool:
        row = self.store.db.conn.execute(
            "select 1 from agent_digest_runs where workspace = ? and lexer_user_id = ? and week = ?",
            (self.workspace, lexer_user_id, week),
        ).fetchone()
        return row is not None

    def claim(self, lexer_user_id: int, week: str, worker: str, now: datetime, lease_s: float) -> int | None:
        """Claim the agent's run for the week; None when another process holds or finished it."""
        conn = self.store.db.conn
        try:
            cur = conn.execute(
                "insert into agent_digest_runs (workspace, lexer_user_id, week, status, claimed_by, claimed_at) "
                "values (?, ?, ?, 'claimed', ?, ?) returning id",
                (self.workspace, lexer_user_id, week, worker, to_iso(now, TIMESPEC)),
            )
            return cur.fetchone()[0]
        except IntegrityError:
            pass
        # a claim whose process died before posting (never one that began posting): one process takes it over
        cur = conn.execute(
            "update agent_digest_runs set claimed_by = ?, claimed_at = ? where workspace = ? and lexer_user_id = ? "
            "and week = ? and status = 'claimed' and claimed_at < ?",
            (
                worker,
                to_iso(now, TIMESPEC),
                self.workspace,
                lexer_user_id,
                week,
                to_iso(now - timedelta(seconds=lease_s), TIMESPEC),
            ),
        )
        if cur.rowcount != 1:
            return None
        row = conn.execute(
            "select id from agent_digest_runs where workspace = ? and lexer_user_id = ? and week = ?",
            (self.workspace, lexer_user_id, week),
        ).fetchone()
        return int(row[0])

    def begin_post(self, run_id: int, worker: str, slack_user_id: str, now: datetime) -> bool:
        """claimed -> posting for the current claimer only; after this the run is never posted again."""
        cur = self.store.db.conn.execute(
            "update agent_digest_runs set status = 'posting', slack_user_id = ?, claimed_at = ? "
            "where id = ? and claimed_by = ? and status = 'claimed'",
            (slack_user_id, to_iso(now, TIMESPEC), run_id, worker),
        )
        return cur.rowcount == 1

    def finish(self, run_id: int, status: str, *, message_ts: str | None = None, error: str | None = None) -> None:
        self.store.db.conn.execute(
            "update agent_digest_runs set status = ?, message_ts = coalesce(?, message_ts), error = ? where id = ?",
            (status, message_ts, error, run_id),
        )

    def runs(self) -> list[dict]:
        return list(
            self.store.db.query(
                "select * from agent_digest_runs where workspace = ? order by week, lexer_user_id", [self.workspace]
            )
        )
