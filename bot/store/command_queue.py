"""The command_queue table: /lexer commands waiting for Lexer's budget or a worker, served round-robin by user."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from bot.store.scope import Scope

logger = logging.getLogger(__name__)

JOB_FIELDS = ("id", "user_id", "channel_id", "text", "response_url", "notice_shown", "attempts")
# the rest of a request that its answer needs, kept as JSON: a report control's delivery, the workspace's
# ids (distribution mode), the trigger for a modal
CLAIM_TRIES = 5  # another process took the command chosen: choose again, this many times at most
EXTRA_FIELDS = ("delivery", "trigger_id", "team_id", "enterprise_id", "is_enterprise_install")


def _not_in_workspaces(workspaces: Collection[str]) -> tuple[str, tuple[str, ...]]:
    """The claim's extra condition leaving these workspaces' commands queued ('' and no arguments: none)."""
    if not workspaces:
        return "", ()
    names = tuple(sorted(workspaces))
    return " and workspace not in (" + ", ".join("?" * len(names)) + ")", names


@dataclass
class Line:
    """A queue's line as the ack's estimate reads it."""

    queued_per_user: dict[str, int] = field(default_factory=dict)
    texts: set[str] = field(default_factory=set)  # distinct questions queued or being answered: one answer each
    running: int = 0

    def copy(self) -> Line:
        return Line(dict(self.queued_per_user), set(self.texts), self.running)


class CommandQueue:
    """Named queries on `command_queue`; who is served next is the user served least recently."""

    def __init__(self, store: Scope):
        self.store = store

    def enqueue(self, job: dict, now: float, *, notice_shown: bool = False, workspace: str = "") -> int:
        cur = self.store.db.conn.execute(
            "insert into command_queue (workspace, user_id, channel_id, text, response_url, extra, state, enqueued_at,"
            " not_before, notice_shown, attempts) values (?, ?, ?, ?, ?, ?, 'queued', ?, 0, ?, 0) returning id",
            (
                workspace,
                job.get("user_id") or "",
                job.get("channel_id"),
                job.get("text") or "",
                job.get("response_url"),
                json.dumps({k: job[k] for k in EXTRA_FIELDS if job.get(k) is not None}),
                now,
                int(notice_shown),
            ),
        )
        return cur.fetchone()[0]

    def holds(self, response_url: str) -> bool:
        """Whether a command with this response_url is in the table (a write the database failed may have landed)."""
        row = self.store.db.conn.execute(
            "select 1 from command_queue where response_url = ? limit 1", (response_url,)
        ).fetchone()
        return row is not None

    def asked_since(self, user_id: str, text: str, since: float) -> bool:
        """Whether this user queued this very command at or after `since` (asked again)."""
        row = self.store.db.conn.execute(
            "select 1 from command_queue where user_id = ? and text = ? and enqueued_at >= ? limit 1",
            (user_id, text, since),
        ).fetchone()
        return row is not None

    def claim_next(
        self, worker: str, now: float, lease_s: float, *, skip_workspaces: Collection[str] = ()
    ) -> dict | None:
        """Take the next command, round-robin: the oldest of the user whose last turn is longest ago.

        One statement, atomic on both backends: the update takes the command only while it is still queued, so
        of two processes that chose the same one, one gets it and the other chooses again. `skip_workspaces`:
        workspaces whose commands stay queued this time (they hold their share of the dispatcher's threads)."""
        conn = self.store.db.conn
        skip, skip_args = _not_in_workspaces(skip_workspaces)
        for _ in range(CLAIM_TRIES):
            # each waiting user's oldest command, then the user whose last turn is longest ago: one look-up of
            # the (user_id, served_at) index per waiting user, not one scan of the table per queued command
            row = conn.execute(
                "update command_queue set state = 'running', claimed_by = ?, lease_until = ?, served_at = ?,"
                " attempts = attempts + 1 where state = 'queued' and id = ("
                "   select q.id from command_queue q join (select min(id) as id from command_queue"
                "     where state = 'queued' and not_before <= ?"
                + skip
                + " group by user_id) firsts on q.id = firsts.id"
                "   order by coalesce((select max(served_at) from command_queue s where s.user_id = q.user_id), 0),"
                "   q.id limit 1)"
                " returning id, user_id, channel_id, text, response_url, notice_shown, attempts, extra",
                (worker, now + lease_s, now, now, *skip_args),
            ).fetchone()
            if row is not None:
                return dict(zip(JOB_FIELDS, row[:-1], strict=True)) | json.loads(row[-1] or "{}")
            waiting = conn.execute(
                "select 1 from command_queue where state = 'queued' and not_before <= ?" + skip + " limit 1",
                (now, *skip_args),
            ).fetchone()
            if waiting is None:
                return None  # nothing to take (another process taking the same one would leave others)
        return None

    def requeue_expired(self, now: float) -> int:
        """Commands whose dispatcher stopped refreshing their lease (its host is gone) go back in line.

        Their claim counted as an attempt: past MAX_ATTEMPTS the next taker tells the asker it failed
        (bot.commands.dispatcher), rather than run it again."""
        cur = self.store.db.conn.execute(
            "update command_queue set state = 'queued', claimed_by = null where state = 'running' and lease_until < ?",
            (now,),
        )
        return cur.rowcount

    def extend(self, worker: str, until: float) -> None:
        """Refresh the leases of every command this worker runs."""
        self.store.db.conn.execute(
            "update command_queue set lease_until = ? where state = 'running' and claimed_by = ?", (until, worker)
        )

    def defer(self, job_id: int, worker: str, not_before: float, *, attempted: bool = False) -> None:
        """Back in line, not before `not_before`; the user has seen the notice.

        Lexer's window was closed (or the command was never started): its claim was no attempt, and does not
        count towards the attempts a command has. `attempted`: its answer failed, and the claim counts.
        """
        self.store.db.conn.execute(
            "update command_queue set state = 'queued', claimed_by = null, not_before = ?, notice_shown = 1,"
            " attempts = attempts - ? where id = ? and claimed_by = ?",
            (not_before, 0 if attempted else 1, job_id, worker),
        )

    def finish(self, job_id: int, worker: str, state: str = "answered") -> bool:
        cur = self.store.db.conn.execute(
            "update command_queue set state = ? where id = ? and claimed_by = ? and state = 'running'",
            (state, job_id, worker),
        )
        return cur.rowcount == 1

    def record_refused(self, job: dict, now: float, *, workspace: str = "") -> None:
        """A command we could not answer in time: kept for the figures, never run."""
        job_id = self.enqueue(job, now, workspace=workspace)
        self.store.db.conn.execute("update command_queue set state = 'refused' where id = ?", (job_id,))

    def release_worker(self, worker_prefix: str) -> int:
        """A worker process died: its commands go back in line at once for another worker (their claim counted
        as an attempt, as in requeue_expired)."""
        cur = self.store.db.conn.execute(
            "update command_queue set state = 'queued', claimed_by = null where state = 'running'"
            " and claimed_by like ?",
            (worker_prefix + "%",),
        )
        return cur.rowcount

    def waiting(self) -> int:
        return self.store.db.conn.execute("select count(*) from command_queue where state = 'queued'").fetchone()[0]

    # a workspace's line (distribution mode: each workspace waits on its own Lexer token); None = the whole queue
    @staticmethod
    def _of(workspace: str | None) -> tuple[str, tuple]:
        return ("", ()) if workspace is None else (" and workspace = ?", (workspace,))

    def running(self, workspace: str | None = None) -> int:
        where, args = self._of(workspace)
        sql = "select count(*) from command_queue where state = 'running'" + where
        return self.store.db.conn.execute(sql, args).fetchone()[0]

    def line(self, workspace: str | None = None) -> Line:
        """Who waits and for what, in one read: every ack's estimate needs all of it."""
        where, args = self._of(workspace)
        sql = (
            "select user_id, text, state, count(*) from command_queue where state in ('queued', 'running')"
            + where
            + " group by user_id, text, state"
        )
        line = Line()
        for user_id, text, state, n in self.store.db.conn.execute(sql, args).fetchall():
            line.texts.add(text)
            if state == "running":
                line.running += n
            else:
                line.queued_per_user[user_id] = line.queued_per_user.get(user_id, 0) + n
        return line

    def prune(self, before: float) -> int:
        """Delete the answered, refused and failed commands last taken up (or refused) before `before`; how many went."""
        return self.store.db.conn.execute(
            "delete from command_queue where state in ('answered', 'refused', 'failed') and coalesce(served_at, enqueued_at) < ?",
            (before,),
        ).rowcount
