"""send_digest(deps, subscription, scheduled_for): claim -> fetch -> render -> post -> record.

Knows nothing of the scheduler. Exactly once rests on the unique index on
digest_runs (subscription_id, scheduled_for): a run is claimed by an insert
that fails for every process but one, and moved claimed -> posting -> posted
by compare-and-set updates that name the claimer.

A claim whose process died before posting (status `claimed`, older than the
lease) is taken over atomically by one process and posted. A run left in
`posting` means a process died while chat.postMessage was in flight: the post
may or may not have reached Slack, and the stand-in (like a bot without
channel history scopes) offers no way to look, so it is marked `uncertain` and
never re-posted. That window is one HTTP call long; the message carries
metadata naming the run, so an operator can check the channel.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from bot.commands import Directory
from bot.errors import LexerApiError, LexerUnavailableError, MalformedResponseError, RateLimitedError
from bot.slack.messages.subscriptions import KIND_TITLES, when_words
from bot.subscriptions import Subscription, get_subscription, mark_broken
from digests.compose import DigestContext, compose_nps, compose_sla, nps_windows, sla_windows
from digests.render import DigestRenderer

logger = logging.getLogger(__name__)

LEASE_S = 300.0  # a claim not refreshed for this long belongs to a dead process
LATE_NOTE_AFTER_S = 120.0  # later than this, the digest says it is late
RETRY_DELAYS_S = (5.0, 15.0, 30.0, 60.0)  # between fetch rounds; the last repeats until the grace ends
RETRYABLE = (LexerUnavailableError, RateLimitedError, MalformedResponseError)
METADATA_EVENT = "lexer_digest"


def iso(dt: datetime) -> str:
    """UTC ISO text with microseconds: one format, so text order is time order."""
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds")


def slot_key(scheduled_for: datetime) -> str:
    """The run's key: the scheduled time in UTC to the second."""
    return scheduled_for.astimezone(timezone.utc).replace(microsecond=0).isoformat(timespec="seconds")


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DigestDeps:
    """What a digest run stands on; build with deps_from(runtime)."""

    settings: Any
    store: Any
    api: Any
    slack: Any
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    sleep: Callable[[float], None] = time.sleep
    worker_id: str = field(default_factory=default_worker_id)
    lease_s: float = LEASE_S
    renderer: DigestRenderer | None = None
    directory: Directory | None = None

    def __post_init__(self):
        if self.renderer is None:
            self.renderer = DigestRenderer(getattr(self.settings, "templates_dir", None))
        if self.directory is None:
            self.directory = Directory(self.api)


def deps_from(runtime_or_deps) -> DigestDeps:
    """A Runtime (or anything with settings/store/api/slack) -> DigestDeps, cached on the runtime."""
    if isinstance(runtime_or_deps, DigestDeps):
        return runtime_or_deps
    extras = getattr(runtime_or_deps, "extras", None)
    if isinstance(extras, dict) and isinstance(extras.get("digest_deps"), DigestDeps):
        return extras["digest_deps"]
    services = getattr(runtime_or_deps, "services", None)
    deps = DigestDeps(
        runtime_or_deps.settings,
        runtime_or_deps.store,
        runtime_or_deps.api,
        runtime_or_deps.slack,
        now=getattr(services, "now", None) or (lambda: datetime.now(timezone.utc)),
        directory=getattr(services, "directory", None),
    )
    if isinstance(extras, dict):
        extras["digest_deps"] = deps
    return deps


@dataclass(frozen=True)
class RunOutcome:
    status: str  # posted | duplicate | missed | skipped | failed | lost
    run_id: int | None = None
    message_ts: str | None = None
    error: str | None = None


# ------------------------------------------------------------------ digest_runs named queries


def claim_run(store, sub_id: int, slot: str, worker: str, now: datetime) -> int | None:
    """Insert the run as claimed; None when another process has it (the unique index refuses)."""
    import sqlite3

    try:
        cur = store.db.conn.execute(
            "insert into digest_runs (subscription_id, scheduled_for, status, claimed_by, claimed_at, attempts) "
            "values (?, ?, 'claimed', ?, ?, 1)",
            (sub_id, slot, worker, iso(now)),
        )
    except sqlite3.IntegrityError:
        return None
    return cur.lastrowid


def reclaim_stale_run(store, sub_id: int, slot: str, worker: str, now: datetime, lease_s: float) -> int | None:
    """Take over a claim whose holder stopped refreshing it before posting; one process wins."""
    stale_before = iso(now - timedelta(seconds=lease_s))
    conn = store.db.conn
    cur = conn.execute(
        "update digest_runs set claimed_by = ?, claimed_at = ?, attempts = attempts + 1 "
        "where subscription_id = ? and scheduled_for = ? and status = 'claimed' and message_ts is null "
        "and claimed_at < ?",
        (worker, iso(now), sub_id, slot, stale_before),
    )
    if cur.rowcount != 1:
        return None
    row = conn.execute(
        "select id from digest_runs where subscription_id = ? and scheduled_for = ?", (sub_id, slot)
    ).fetchone()
    return row[0]


def refresh_claim(store, run_id: int, worker: str, now: datetime) -> bool:
    cur = store.db.conn.execute(
        "update digest_runs set claimed_at = ? where id = ? and claimed_by = ? and status = 'claimed'",
        (iso(now), run_id, worker),
    )
    return cur.rowcount == 1


def begin_post(store, run_id: int, worker: str, channel_id: str, now: datetime) -> bool:
    """claimed -> posting, only for the current claimer: after this no other process may post the run."""
    cur = store.db.conn.execute(
        "update digest_runs set status = 'posting', claimed_at = ?, channel_id = ? "
        "where id = ? and claimed_by = ? and status = 'claimed'",
        (iso(now), channel_id, run_id, worker),
    )
    return cur.rowcount == 1


def finish_run(
    store, run_id: int, status: str, now: datetime, *, message_ts: str | None = None, error: str | None = None
) -> None:
    store.db.conn.execute(
        "update digest_runs set status = ?, posted_at = ?, message_ts = coalesce(?, message_ts), error = ? "
        "where id = ?",
        (status, iso(now) if status == "posted" else None, message_ts, error, run_id),
    )


def record_missed(store, sub_id: int, slot: str, now: datetime, reason: str) -> None:
    import sqlite3

    try:
        store.db.conn.execute(
            "insert into digest_runs (subscription_id, scheduled_for, status, claimed_at, error, attempts) "
            "values (?, ?, 'missed', ?, ?, 0)",
            (sub_id, slot, iso(now), reason),
        )
    except sqlite3.IntegrityError:
        pass  # claimed or posted by someone: nothing to record


def runs_for(store, sub_id: int) -> list[dict]:
    return list(store.db.query("select * from digest_runs where subscription_id = ? order by scheduled_for", [sub_id]))


# ------------------------------------------------------------------ fetch


@dataclass
class Fetch:
    """One report a digest needs: `label` names it in the 'missing' note."""

    key: str
    label: str
    call: Callable[[], Any]


def fetch_all(
    fetches: list[Fetch],
    *,
    deadline: datetime,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
    heartbeat: Callable[[], None] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Fetch each report, retrying Lexer's transient errors until `deadline`; returns (results, missing labels)."""
    results: dict[str, Any] = {}
    pending = list(fetches)
    failed: list[Fetch] = []
    round_no = 0
    while pending:
        retry: list[Fetch] = []
        for f in pending:
            try:
                results[f.key] = f.call()
            except RETRYABLE as exc:
                logger.info("digest fetch %s failed (%s); will retry", f.key, type(exc).__name__)
                retry.append(f)
            except LexerApiError as exc:
                logger.warning("digest fetch %s failed: %s", f.key, type(exc).__name__)
                failed.append(f)
        if not retry:
            break
        delay = RETRY_DELAYS_S[min(round_no, len(RETRY_DELAYS_S) - 1)]
        left = (deadline - now()).total_seconds()
        if left <= 0:
            failed.extend(retry)
            break
        sleep(min(delay, left))
        if heartbeat is not None:
            heartbeat()
        round_no += 1
        pending = retry
    missing = [f.label for f in fetches if f in failed]
    return results, missing


def _form_name(deps: DigestDeps, form_id: int) -> str:
    try:
        for form in deps.directory.forms():
            if form.id == form_id:
                return form.name or form.title or f"form {form_id}"
    except LexerApiError:
        pass
    return f"form {form_id}"


def build_digest(
    deps: DigestDeps,
    kind: str,
    tz: ZoneInfo,
    scheduled_for: datetime,
    *,
    form_id: int | None = None,
    notes: list[str] | None = None,
    deadline: datetime | None = None,
    heartbeat: Callable[[], None] | None = None,
) -> tuple[dict, DigestContext]:
    """Fetch, compose and render one digest for the local day before scheduled_for."""
    api = deps.api
    deadline = deadline or deps.now()
    sandbox = bool(getattr(deps.settings, "sandbox_mode", False))
    if kind == "sla":
        w = sla_windows(scheduled_for, tz)
        fetches = [
            Fetch("yesterday", "yesterday's SLA numbers", lambda: api.summary(w.yesterday)),
            Fetch("day_before", "the day before", lambda: api.summary(w.day_before)),
            Fetch("week_ago", "the same day last week", lambda: api.summary(w.week_ago)),
            Fetch("response", "the 7-day response trend", lambda: api.response_volume(w.last_7d)),
            Fetch("agents", "agents", lambda: api.user_summary(w.yesterday)),
            Fetch("cases", "cases closed", lambda: api.case_summary(w.yesterday)),
            Fetch("case_volume", "open cases", lambda: api.case_volume(w.yesterday)),
        ]
        got, missing = fetch_all(fetches, deadline=deadline, now=deps.now, sleep=deps.sleep, heartbeat=heartbeat)
        ctx = compose_sla(
            w,
            yesterday=got.get("yesterday"),
            day_before=got.get("day_before"),
            week_ago=got.get("week_ago"),
            response=got.get("response"),
            agents=got.get("agents"),
            cases=got.get("cases"),
            case_volume=got.get("case_volume"),
            sandbox=sandbox,
            missing=missing,
            notes=notes,
        )
    elif kind == "nps":
        if form_id is None:
            raise ValueError("an NPS digest needs a form")
        w = nps_windows(scheduled_for, tz)
        fetches = [
            Fetch("yesterday", "yesterday's NPS", lambda: api.nps_summary(w.yesterday, form_id)),
            Fetch("last_7d", "the last 7 days", lambda: api.nps_summary(w.last_7d, form_id)),
            Fetch("prev_7d", "the 7 days before", lambda: api.nps_summary(w.prev_7d, form_id)),
            Fetch("days", "the 14-day trend", lambda: api.nps_volume(w.trend, form_id)),
        ]
        got, missing = fetch_all(fetches, deadline=deadline, now=deps.now, sleep=deps.sleep, heartbeat=heartbeat)
        ctx = compose_nps(
            w,
            _form_name(deps, form_id),
            yesterday=got.get("yesterday"),
            last_7d=got.get("last_7d"),
            prev_7d=got.get("prev_7d"),
            days=got.get("days"),
            sandbox=sandbox,
            missing=missing,
            notes=notes,
        )
    else:
        raise ValueError(f"unknown digest kind {kind!r}")
    return deps.renderer.render(ctx), ctx


# ------------------------------------------------------------------ post


def post_message(slack, channel_id: str, message: dict, metadata: dict | None = None) -> str:
    """chat.postMessage; returns the ts. SlackApiError propagates."""
    kwargs: dict[str, Any] = {
        "channel": channel_id,
        "text": message["text"],
        "blocks": message.get("blocks"),
        "unfurl_links": False,
        "unfurl_media": False,
    }
    if metadata is not None:
        kwargs["metadata"] = metadata
    return str(slack.chat_postMessage(**kwargs)["ts"])


def _tell_creator(deps: DigestDeps, sub: Subscription, code: str) -> None:
    """DM the subscription's creator that it stopped (once: only the call that broke it gets here)."""
    from bot.slack_web import CHANNEL_HELP

    if not sub.created_by:
        return
    text = (
        f":warning: Your {KIND_TITLES.get(sub.kind, sub.kind)} for <#{sub.channel_id}> (subscription `{sub.id}`) "
        f"has stopped: Slack said `{code}`. {CHANNEL_HELP.get(code, '')} "
        f"Then `/lexer subscribe` it again."
    ).replace("  ", " ")
    try:
        deps.slack.chat_postMessage(
            channel=sub.created_by, text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        )
    except Exception as exc:
        logger.warning("could not tell %s that subscription %s broke: %s", sub.created_by, sub.id, type(exc).__name__)


def send_digest(runtime_or_deps, subscription: Subscription | int, scheduled_for: datetime) -> RunOutcome:
    """Post one subscription's digest for one scheduled time, at most once across processes."""
    from slack_sdk.errors import SlackApiError

    from bot.slack_web import categorize, slack_error_code

    deps = deps_from(runtime_or_deps)
    store = deps.store
    sub_id = subscription.id if isinstance(subscription, Subscription) else int(subscription)
    sub = get_subscription(store, sub_id)  # fresh: it may have been removed or broken since it was scheduled
    if sub is None or not sub.active:
        return RunOutcome("skipped")
    slot = slot_key(scheduled_for)
    due = datetime.fromisoformat(slot)
    now = deps.now()
    grace = float(getattr(deps.settings, "digest_grace_s", 3600.0))
    late_s = (now - due).total_seconds()
    if late_s > grace:
        record_missed(store, sub.id, slot, now, f"started {int(late_s)} s late, past the grace of {int(grace)} s")
        return RunOutcome("missed")
    run_id = claim_run(store, sub.id, slot, deps.worker_id, now)
    if run_id is None:
        run_id = reclaim_stale_run(store, sub.id, slot, deps.worker_id, now, deps.lease_s)
        if run_id is None:
            return RunOutcome("duplicate")
        logger.info("took over the stale claim of digest run %s", run_id)

    notes = []
    if late_s > LATE_NOTE_AFTER_S:
        notes.append(f"Posted late: this digest was due at {when_words(due.astimezone(sub.zone))}.")
    try:
        message, _ = build_digest(
            deps,
            sub.kind,
            sub.zone,
            due,
            form_id=sub.form_id,
            notes=notes,
            deadline=due + timedelta(seconds=grace),
            heartbeat=lambda: refresh_claim(store, run_id, deps.worker_id, deps.now()),
        )
    except Exception as exc:
        logger.exception("digest %s for %s could not be built", sub.id, slot)
        finish_run(store, run_id, "failed", deps.now(), error=f"build: {type(exc).__name__}")
        return RunOutcome("failed", run_id, error=type(exc).__name__)

    if not begin_post(store, run_id, deps.worker_id, sub.channel_id, deps.now()):
        return RunOutcome("lost", run_id)  # another process took the claim over while we fetched
    metadata = {"event_type": METADATA_EVENT, "event_payload": {"subscription_id": sub.id, "scheduled_for": slot}}
    try:
        ts = post_message(deps.slack, sub.channel_id, message, metadata)
    except SlackApiError as exc:
        code = slack_error_code(exc)
        finish_run(store, run_id, "failed", deps.now(), error=code)
        if categorize(code) == "channel_gone":
            logger.warning("subscription %s cannot post in %s (%s): marked broken", sub.id, sub.channel_id, code)
            if mark_broken(store, sub.id, code):
                _tell_creator(deps, sub, code)
        else:
            logger.error("digest %s for %s: Slack refused the post (%s)", sub.id, slot, code)
        return RunOutcome("failed", run_id, error=code)
    except Exception as exc:  # network trouble after retries: the post may not have happened
        logger.error("digest %s for %s: posting failed (%s)", sub.id, slot, type(exc).__name__)
        finish_run(store, run_id, "failed", deps.now(), error=f"post: {type(exc).__name__}")
        return RunOutcome("failed", run_id, error=type(exc).__name__)
    finish_run(store, run_id, "posted", deps.now(), message_ts=ts)
    logger.info("digest %s for %s posted in %s", sub.id, slot, sub.channel_id)
    return RunOutcome("posted", run_id, ts)


def recover_stale_runs(runtime_or_deps) -> list[RunOutcome]:
    """At start (and on every sync): post runs whose claimer died before posting; mark died-while-posting ones."""
    deps = deps_from(runtime_or_deps)
    now = deps.now()
    stale_before = iso(now - timedelta(seconds=deps.lease_s))
    conn = deps.store.db.conn
    conn.execute(
        "update digest_runs set status = 'uncertain', "
        "error = 'the process stopped while posting; not re-posted, to never post twice' "
        "where status = 'posting' and message_ts is null and claimed_at < ?",
        (stale_before,),
    )
    rows = conn.execute(
        "select subscription_id, scheduled_for from digest_runs where status = 'claimed' "
        "and message_ts is null and claimed_at < ?",
        (stale_before,),
    ).fetchall()
    outcomes = []
    for sub_id, slot in rows:
        outcome = send_digest(deps, sub_id, datetime.fromisoformat(slot))
        if outcome.status in ("skipped", "missed"):  # unsubscribed, broken or too late now: close the run
            conn.execute(
                "update digest_runs set status = ?, error = 'recovered after its claimer stopped' "
                "where subscription_id = ? and scheduled_for = ? and status = 'claimed' "
                "and claimed_at < ?",
                (outcome.status, sub_id, slot, stale_before),
            )
        outcomes.append(outcome)
    return outcomes
