"""send_digest(deps, subscription, scheduled_for): claim -> fetch -> render -> post -> record.

Knows nothing of the scheduler. Exactly once rests on the unique index on
digest_runs (subscription_id, scheduled_for): a run is claimed by an insert
that fails for every process but one, and moved claimed -> posting -> posted
by compare-and-set updates that name the claimer.

A claim whose process died before posting (status `claimed`, older than the
lease, which a heartbeat refreshes while the digest is built or waits) is taken
over atomically by one process and posted. A run left in `posting` means a
process died while chat.postMessage was in flight: it becomes `uncertain`, and
the process that takes it over reads the channel (conversations.history, the
post's metadata names the run) and posts only if the digest is not there. A
transient Slack error sends the run back to `claimed` and the post is retried
with backoff until the grace ends (reading the channel first where Slack may
have acted); then the run fails and its creator is told by DM and on Home.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.errors import LexerApiError, LexerUnavailableError, MalformedResponseError, RateLimitedError
from bot.isotime import to_iso
from bot.slack.messages.subscriptions import digest_not_built_text, when_words
from bot.slack.messages.targets import applicable, targets_from_rows
from bot.store.backend import UnavailableError, unavailable
from bot.store.subscriptions import Subscription
from digests.compose import DigestContext, compose_nps, compose_sla, nps_windows, sla_windows
from digests.delivery import RETRY_DELAYS_S, RunOutcome, post_run
from digests.posting import Lease, tell_creator

if TYPE_CHECKING:
    from bot.deps import Deps

logger = logging.getLogger(__name__)

LATE_NOTE_AFTER_S = 120.0  # later than this, the digest says it is late
RETRYABLE = (LexerUnavailableError, RateLimitedError, MalformedResponseError)
DB_RETRY_DELAYS_S = (1.0, 2.0, 5.0)  # while the database does not answer; the last repeats until the grace ends


def slot_key(scheduled_for: datetime) -> str:
    """The run's key: the scheduled time in UTC to the second."""
    return to_iso(scheduled_for, timespec="seconds")


def until_answered(deps: Deps, call: Callable[[], Any], deadline: datetime, what: str) -> Any:
    """call() until the database answers it (a restart, an outage), or until `deadline`, then its error.

    Only for calls that may run again: reads, and claims that recognise their own earlier write."""
    attempt = 0
    while True:
        try:
            return call()
        except UnavailableError as exc:
            left = (deadline - deps.now()).total_seconds()
            if left <= 0 or not unavailable(exc):
                raise
            if attempt == 0:
                logger.warning("%s: the database did not answer (%s); trying again", what, type(exc).__name__)
            deps.sleep(min(DB_RETRY_DELAYS_S[min(attempt, len(DB_RETRY_DELAYS_S) - 1)], left))
            attempt += 1


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


def _form_name(deps: Deps, form_id: int) -> str:
    try:
        for form in deps.directory.forms():
            if form.id == form_id:
                return form.name or form.title or f"form {form_id}"
    except LexerApiError:
        pass
    return f"form {form_id}"


def build_digest(
    deps: Deps,
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
    api = deps.api.for_class("digest")  # the digests' share of Lexer's budget (bot/lexer/budget.py)
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
            targets=applicable(targets_from_rows(deps.store.targets.all())) or None,  # the workspace's targets
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


def send_digest(deps: Deps, subscription: Subscription | int, scheduled_for: datetime) -> RunOutcome:
    """Post one subscription's digest for one scheduled time, exactly once across processes."""
    store = deps.store
    sub_id = subscription.id if isinstance(subscription, Subscription) else int(subscription)
    slot = slot_key(scheduled_for)
    due = datetime.fromisoformat(slot)
    grace = float(getattr(deps.settings, "digest_grace_s", 3600.0))
    deadline = due + timedelta(seconds=grace)
    # fresh: it may have been removed or broken since it was scheduled
    sub = until_answered(deps, lambda: store.subscriptions.get(sub_id), deadline, f"digest {sub_id} for {slot}")
    if sub is None or not sub.active:
        return RunOutcome("skipped")
    now = deps.now()
    late_s = (now - due).total_seconds()
    if late_s > grace:
        store.digest_runs.record_missed(
            sub.id, slot, now, f"started {int(late_s)} s late, past the grace of {int(grace)} s"
        )
        return RunOutcome("missed")
    run_id = until_answered(deps, _claimer(deps, sub.id, slot, now), deadline, f"claiming digest {sub.id} for {slot}")
    if run_id is None:
        return RunOutcome("duplicate")

    notes = []
    if late_s > LATE_NOTE_AFTER_S:
        notes.append(f"Posted late: this digest was due at {when_words(due.astimezone(sub.zone))}.")
    refresh = lambda: store.digest_runs.refresh_claim(run_id, deps.worker_id, deps.now())  # noqa: E731
    try:
        with Lease(refresh, deps.lease_s):  # a slow Lexer answer must not let a recovery build it in parallel
            message, _ = build_digest(
                deps, sub.kind, sub.zone, due, form_id=sub.form_id, notes=notes, deadline=deadline, heartbeat=refresh
            )
    except Exception as exc:
        logger.exception("digest %s for %s could not be built", sub.id, slot)
        # as a failed post does: the run fails, and its creator is told once (only the call that failed it)
        if store.digest_runs.fail(run_id, deps.worker_id, deps.now(), f"build: {type(exc).__name__}"):
            text = digest_not_built_text(sub.kind, sub.channel_id, sub.id, when_words(due.astimezone(sub.zone)))
            tell_creator(deps.slack, sub.created_by, text)
        return RunOutcome("failed", run_id, error=type(exc).__name__)
    return post_run(deps, sub, run_id, slot, message, deadline)


def _claimer(deps: Deps, sub_id: int, slot: str, now: datetime) -> Callable[[], int | None]:
    """The claim as a call that may run again after the database failed it: a claim written all the same by a
    failed try is recognised (same worker, same time) rather than lost to the unique index."""
    runs = deps.store.digest_runs
    tries = 0

    def claim() -> int | None:
        nonlocal tries
        tries += 1
        run_id = runs.claim(sub_id, slot, deps.worker_id, now, again=tries > 1)
        if run_id is None:
            run_id = runs.reclaim_stale(sub_id, slot, deps.worker_id, now, deps.lease_s)
            if run_id is not None:
                logger.info("took over digest run %s (a stale claim or an uncertain post)", run_id)
        return run_id

    return claim


def recover_stale_runs(deps: Deps) -> list[RunOutcome]:
    """At start (and every minute): post runs whose claimer died, and resolve uncertain ones by reading the channel."""
    now = deps.now()
    stale_before = now - timedelta(seconds=deps.lease_s)
    grace = float(getattr(deps.settings, "digest_grace_s", 3600.0))
    runs = deps.store.digest_runs
    runs.mark_died_while_posting(stale_before)
    outcomes = []
    for sub_id, slot in runs.stale_claims(stale_before, since=now - timedelta(seconds=grace)):
        outcome = send_digest(deps, sub_id, datetime.fromisoformat(slot))
        if outcome.status in ("skipped", "missed"):  # unsubscribed, broken or too late now: close the run
            runs.close_recovered(sub_id, slot, outcome.status, stale_before)
        outcomes.append(outcome)
    return outcomes
