"""The digest_runs table: one row per (subscription, scheduled time), the claim that makes a digest post once.

A run is claimed by an insert the unique index refuses to every process but
one, then moved claimed -> posting -> posted by compare-and-set updates that
name the claimer (see digests.jobs for the whole protocol).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.isotime import to_iso
from bot.store.backend import IntegrityError
from bot.store.scope import Scope

logger = logging.getLogger(__name__)


TIMESPEC = "microseconds"  # every digest_runs timestamp has one format, so text order is time order


class DigestRuns:
    """Named queries on `digest_runs`."""

    def __init__(self, store: Scope):
        self.store = store

    def claim(self, sub_id: int, slot: str, worker: str, now: datetime, *, again: bool = False) -> int | None:
        """Insert the run as claimed; None when another process has it (the unique index refuses).

        `again`: an earlier claim with the same `now` failed with the database and may have been written all the
        same; if it was (this worker, this very time), it is this call's claim."""
        claimed_at = to_iso(now, TIMESPEC)
        try:
            cur = self.store.db.conn.execute(
                "insert into digest_runs (workspace, subscription_id, scheduled_for, status, claimed_by, claimed_at, "
                "attempts) values (?, ?, ?, 'claimed', ?, ?, 1) returning id",
                (self.store.workspace, sub_id, slot, worker, claimed_at),
            )
        except IntegrityError:
            if not again:
                return None
            row = self.store.db.conn.execute(
                "select id from digest_runs where subscription_id = ? and scheduled_for = ? and status = 'claimed' "
                "and claimed_by = ? and claimed_at = ?",
                (sub_id, slot, worker, claimed_at),
            ).fetchone()
            return row[0] if row is not None else None
        return cur.fetchone()[0]

    def reclaim_stale(self, sub_id: int, slot: str, worker: str, now: datetime, lease_s: float) -> int | None:
        """Take over a claim whose holder stopped refreshing it, or an `uncertain` run; one process wins."""
        stale_before = to_iso(now - timedelta(seconds=lease_s), TIMESPEC)
        conn = self.store.db.conn
        cur = conn.execute(
            "update digest_runs set status = 'claimed', claimed_by = ?, claimed_at = ?, attempts = attempts + 1 "
            "where subscription_id = ? and scheduled_for = ? and message_ts is null "
            "and ((status = 'claimed' and claimed_at < ?) or status = 'uncertain')",
            (worker, to_iso(now, TIMESPEC), sub_id, slot, stale_before),
        )
        if cur.rowcount != 1:
            return None
        row = conn.execute(
            "select id from digest_runs where subscription_id = ? and scheduled_for = ?", (sub_id, slot)
        ).fetchone()
        return row[0]

    def may_have_posted(self, run_id: int) -> bool:
        """Whether a post of this run was ever begun (begin_post records the channel): look before posting again."""
        row = self.store.db.conn.execute("select channel_id from digest_runs where id = ?", (run_id,)).fetchone()
        return row is not None and row[0] is not None

    def back_to_claimed(self, run_id: int, worker: str, now: datetime, error: str) -> bool:
        """posting -> claimed after a failed post, for the claimer only: it (or a recovery) posts again."""
        cur = self.store.db.conn.execute(
            "update digest_runs set status = 'claimed', claimed_at = ?, error = ?, attempts = attempts + 1 "
            "where id = ? and claimed_by = ? and status = 'posting'",
            (to_iso(now, TIMESPEC), error, run_id, worker),
        )
        return cur.rowcount == 1

    def fail(self, run_id: int, worker: str, now: datetime, error: str) -> bool:
        """claimed/posting -> failed for the claimer only; True for the one call that failed it (it tells people)."""
        cur = self.store.db.conn.execute(
            "update digest_runs set status = 'failed', claimed_at = ?, error = ? "
            "where id = ? and claimed_by = ? and status in ('claimed', 'posting')",
            (to_iso(now, TIMESPEC), error, run_id, worker),
        )
        return cur.rowcount == 1

    def failed_since(self, since: datetime, limit: int = 10) -> list[dict]:
        """Failed runs scheduled at or after `since`, newest first, with their subscription's kind and channel."""
        return list(
            self.store.db.query(
                "select r.id, r.subscription_id, r.scheduled_for, r.error, r.channel_id as run_channel, "
                "s.kind, s.channel_id, s.created_by from digest_runs r join subscriptions s "
                "on s.id = r.subscription_id where s.workspace = ? and r.status = 'failed' and r.scheduled_for >= ? "
                "order by r.scheduled_for desc limit ?",
                [self.store.workspace, to_iso(since, "seconds"), limit],
            )
        )

    def refresh_claim(self, run_id: int, worker: str, now: datetime) -> bool:
        cur = self.store.db.conn.execute(
            "update digest_runs set claimed_at = ? where id = ? and claimed_by = ? and status = 'claimed'",
            (to_iso(now, TIMESPEC), run_id, worker),
        )
        return cur.rowcount == 1

    def begin_post(self, run_id: int, worker: str, channel_id: str, now: datetime) -> bool:
        """claimed -> posting, only for the current claimer: after this no other process may post the run."""
        cur = self.store.db.conn.execute(
            "update digest_runs set status = 'posting', claimed_at = ?, channel_id = ? "
            "where id = ? and claimed_by = ? and status = 'claimed'",
            (to_iso(now, TIMESPEC), channel_id, run_id, worker),
        )
        return cur.rowcount == 1

    def finish(
        self, run_id: int, status: str, now: datetime, *, message_ts: str | None = None, error: str | None = None
    ) -> None:
        self.store.db.conn.execute(
            "update digest_runs set status = ?, posted_at = ?, message_ts = coalesce(?, message_ts), error = ? "
            "where id = ?",
            (status, to_iso(now, TIMESPEC) if status == "posted" else None, message_ts, error, run_id),
        )

    def record_missed(self, sub_id: int, slot: str, now: datetime, reason: str) -> None:
        try:
            self.store.db.conn.execute(
                "insert into digest_runs (workspace, subscription_id, scheduled_for, status, claimed_at, error, attempts) "
                "values (?, ?, ?, 'missed', ?, ?, 0)",
                (self.store.workspace, sub_id, slot, to_iso(now, TIMESPEC), reason),
            )
        except IntegrityError:
            pass  # claimed or posted by someone: nothing to record

    def runs_for(self, sub_id: int) -> list[dict]:
        return list(
            self.store.db.query("select * from digest_runs where subscription_id = ? order by scheduled_for", [sub_id])
        )

    def exists(self, sub_id: int, slot: str) -> bool:
        """Whether any process has claimed, posted or recorded this run."""
        row = self.store.db.conn.execute(
            "select 1 from digest_runs where subscription_id = ? and scheduled_for = ?", (sub_id, slot)
        ).fetchone()
        return row is not None

    def mark_died_while_posting(self, stale_before: datetime) -> None:
        """Runs left in `posting` by a dead process become `uncertain`: the post may have reached Slack."""
        self.store.db.conn.execute(
            # channel_id '' when unknown: may_have_posted() then still reads the channel before posting again
            "update digest_runs set status = 'uncertain', channel_id = coalesce(channel_id, ''), "
            "error = 'the process stopped while posting; the channel is read before posting again' "
            "where workspace = ? and status = 'posting' and message_ts is null and claimed_at < ?",
            (self.store.workspace, to_iso(stale_before, TIMESPEC)),
        )

    def stale_claims(self, stale_before: datetime, since: datetime | None = None) -> list[tuple[int, str]]:
        """(subscription id, slot) of claims whose process died, and of `uncertain` runs scheduled since `since`."""
        return self.store.db.conn.execute(
            "select subscription_id, scheduled_for from digest_runs where workspace = ? and message_ts is null and "
            "((status = 'claimed' and claimed_at < ?) or (status = 'uncertain' and scheduled_for >= ?))",
            (
                self.store.workspace,
                to_iso(stale_before, TIMESPEC),
                to_iso(since, "seconds") if since is not None else "~",
            ),
        ).fetchall()

    def close_recovered(self, sub_id: int, slot: str, status: str, stale_before: datetime) -> None:
        """Close a stale claim that recovery found nothing to post for (unsubscribed, broken or too late)."""
        self.store.db.conn.execute(
            "update digest_runs set status = ?, error = 'recovered after its claimer stopped' "
            "where subscription_id = ? and scheduled_for = ? and status = 'claimed' "
            "and claimed_at < ?",
            (status, sub_id, slot, to_iso(stale_before, TIMESPEC)),
        )
