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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.errors import LexerApiError, LexerUnavailableError, MalformedResponseError, RateLimitedError
from bot.isotime import to_iso
from bot.slack.messages.subscriptions import KIND_TITLES, when_words
from bot.store.subscriptions import Subscription
from digests.compose import DigestContext, compose_nps, compose_sla, nps_windows, sla_windows

if TYPE_CHECKING:
    from bot.deps import Deps

logger = logging.getLogger(__name__)

LATE_NOTE_AFTER_S = 120.0  # later than this, the digest says it is late
RETRY_DELAYS_S = (5.0, 15.0, 30.0, 60.0)  # between fetch rounds; the last repeats until the grace ends
RETRYABLE = (LexerUnavailableError, RateLimitedError, MalformedResponseError)
METADATA_EVENT = "lexer_digest"


def slot_key(scheduled_for: datetime) -> str:
    """The run's key: the scheduled time in UTC to the second."""
    return to_iso(scheduled_for, timespec="seconds")


@dataclass(frozen=True)
class RunOutcome:
    status: str  # posted | duplicate | missed | skipped | failed | lost
    run_id: int | None = None
    message_ts: str | None = None
    error: str | None = None


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


def _tell_creator(deps: Deps, sub: Subscription, code: str) -> None:
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


def send_digest(deps: Deps, subscription: Subscription | int, scheduled_for: datetime) -> RunOutcome:
    """Post one subscription's digest for one scheduled time, at most once across processes."""
    from slack_sdk.errors import SlackApiError

    from bot.slack_web import categorize, slack_error_code

    store = deps.store
    sub_id = subscription.id if isinstance(subscription, Subscription) else int(subscription)
    sub = store.subscriptions.get(sub_id)  # fresh: it may have been removed or broken since it was scheduled
    if sub is None or not sub.active:
        return RunOutcome("skipped")
    slot = slot_key(scheduled_for)
    due = datetime.fromisoformat(slot)
    now = deps.now()
    grace = float(getattr(deps.settings, "digest_grace_s", 3600.0))
    late_s = (now - due).total_seconds()
    if late_s > grace:
        store.digest_runs.record_missed(
            sub.id, slot, now, f"started {int(late_s)} s late, past the grace of {int(grace)} s"
        )
        return RunOutcome("missed")
    run_id = store.digest_runs.claim(sub.id, slot, deps.worker_id, now)
    if run_id is None:
        run_id = store.digest_runs.reclaim_stale(sub.id, slot, deps.worker_id, now, deps.lease_s)
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
            heartbeat=lambda: store.digest_runs.refresh_claim(run_id, deps.worker_id, deps.now()),
        )
    except Exception as exc:
        logger.exception("digest %s for %s could not be built", sub.id, slot)
        store.digest_runs.finish(run_id, "failed", deps.now(), error=f"build: {type(exc).__name__}")
        return RunOutcome("failed", run_id, error=type(exc).__name__)

    if not store.digest_runs.begin_post(run_id, deps.worker_id, sub.channel_id, deps.now()):
        return RunOutcome("lost", run_id)  # another process took the claim over while we fetched
    metadata = {"event_type": METADATA_EVENT, "event_payload": {"subscription_id": sub.id, "scheduled_for": slot}}
    try:
        ts = post_message(deps.slack, sub.channel_id, message, metadata)
    except SlackApiError as exc:
        code = slack_error_code(exc)
        store.digest_runs.finish(run_id, "failed", deps.now(), error=code)
        if categorize(code) == "channel_gone":
            logger.warning("subscription %s cannot post in %s (%s): marked broken", sub.id, sub.channel_id, code)
            if store.subscriptions.mark_broken(sub.id, code):
                _tell_creator(deps, sub, code)
        else:
            logger.error("digest %s for %s: Slack refused the post (%s)", sub.id, slot, code)
        return RunOutcome("failed", run_id, error=code)
    except Exception as exc:  # network trouble after retries: the post may not have happened
        logger.error("digest %s for %s: posting failed (%s)", sub.id, slot, type(exc).__name__)
        store.digest_runs.finish(run_id, "failed", deps.now(), error=f"post: {type(exc).__name__}")
        return RunOutcome("failed", run_id, error=type(exc).__name__)
    store.digest_runs.finish(run_id, "posted", deps.now(), message_ts=ts)
    logger.info("digest %s for %s posted in %s", sub.id, slot, sub.channel_id)
    return RunOutcome("posted", run_id, ts)


def recover_stale_runs(deps: Deps) -> list[RunOutcome]:
    """At start (and on every sync): post runs whose claimer died before posting; mark died-while-posting ones."""
    now = deps.now()
    stale_before = now - timedelta(seconds=deps.lease_s)
    runs = deps.store.digest_runs
    runs.mark_died_while_posting(stale_before)
    outcomes = []
    for sub_id, slot in runs.stale_claims(stale_before):
        outcome = send_digest(deps, sub_id, datetime.fromisoformat(slot))
        if outcome.status in ("skipped", "missed"):  # unsubscribed, broken or too late now: close the run
            runs.close_recovered(sub_id, slot, outcome.status, stale_before)
        outcomes.append(outcome)
    return outcomes
