"""Post a claimed digest run exactly once, and what its creator is told when it cannot be.

digests.jobs claims and builds the run, then hands it here: a post that may have reached Slack is looked for
in the channel before any second try (digests.posting reads the history), transient errors are retried with
backoff until the grace ends, and a refusal marks the subscription broken or fails the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.slack.messages.subscriptions import KIND_TITLES, when_words
from bot.store.subscriptions import Subscription
from digests.posting import Lease, find_posted, post_message, run_metadata, tell_creator

if TYPE_CHECKING:
    from bot.deps import Deps

logger = logging.getLogger(__name__)

RETRY_DELAYS_S = (5.0, 15.0, 30.0, 60.0)  # between fetch rounds and post tries; the last repeats until the grace ends


@dataclass(frozen=True)
class RunOutcome:
    status: str  # posted | duplicate | missed | skipped | failed | lost
    run_id: int | None = None
    message_ts: str | None = None
    error: str | None = None


def _channel_text(sub: Subscription) -> str:
    return f"{KIND_TITLES.get(sub.kind, sub.kind)} for <#{sub.channel_id}> (subscription `{sub.id}`)"


def _tell_creator(deps: Deps, sub: Subscription, code: str) -> None:
    """DM the subscription's creator that it stopped (once: only the call that broke it gets here)."""
    from bot.slack_web import CHANNEL_HELP

    text = (
        f":warning: Your {_channel_text(sub)} has stopped: Slack said `{code}`. {CHANNEL_HELP.get(code, '')} "
        f"Then `/lexer subscribe` it again."
    ).replace("  ", " ")
    tell_creator(deps.slack, sub.created_by, text)


UNCHECKED = "could not read the channel to check whether it was posted"


def failed_post_text(sub: Subscription, slot_words: str, error: str) -> str:
    """The DM a creator gets when a digest could not be posted after every retry."""
    if error.startswith(UNCHECKED):
        return (
            f":warning: Your {_channel_text(sub)} due {slot_words} may not have been posted: Slack's answer to the "
            f"post was lost, and the bot {error}. Look in <#{sub.channel_id}>; if it is missing, run "
            f"`/lexer {sub.kind}` there. Reinstall the app from its manifest so it has `channels:history` and "
            f"`groups:history`, which let it check by itself next time."
        )
    return (
        f":warning: Your {_channel_text(sub)} due {slot_words} could not be posted: Slack kept answering `{error}` "
        f"until the retry window closed. The subscription stays on and the next digest is posted as usual. "
        f"To get this one now, run `/lexer {sub.kind}` in <#{sub.channel_id}>; if it keeps happening, check "
        f"https://slack-status.com and that the bot is still in the channel."
    )


def _post_delay(attempt: int) -> float:
    return RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)]


def post_run(deps: Deps, sub: Subscription, run_id: int, slot: str, message: dict, deadline: datetime) -> RunOutcome:
    """Post a claimed run exactly once: look in the channel first if a post was begun, retry transient errors."""
    from slack_sdk.errors import SlackApiError

    from bot.slack_web import certainly_not_posted, is_transient, slack_error_code

    runs = deps.store.digest_runs
    metadata = run_metadata(sub.id, slot)
    since = datetime.fromisoformat(slot)
    attempt = 0
    must_look = runs.may_have_posted(run_id)  # an earlier process began a post: it may be in the channel
    while True:
        if must_look:
            try:
                found = find_posted(deps.slack, sub.channel_id, metadata, since)
            except Exception as exc:
                code = slack_error_code(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
                if not is_transient(exc) or deps.now() >= deadline:
                    return _give_up(deps, sub, run_id, slot, f"{UNCHECKED} ({code})")
                logger.warning("digest %s for %s: reading the channel failed (%s); will retry", sub.id, slot, code)
                attempt = _back_off(deps, run_id, attempt, deadline)
                continue
            if found is not None:
                runs.finish(run_id, "posted", deps.now(), message_ts=found)
                logger.info("digest %s for %s was already in %s; not posted again", sub.id, slot, sub.channel_id)
                return RunOutcome("posted", run_id, found)
            must_look = False
        if not runs.begin_post(run_id, deps.worker_id, sub.channel_id, deps.now()):
            return RunOutcome("lost", run_id)  # another process took the claim over
        try:
            ts = post_message(deps.slack, sub.channel_id, message, metadata)
        except Exception as exc:
            code = slack_error_code(exc) if isinstance(exc, SlackApiError) else f"post: {type(exc).__name__}"
            if isinstance(exc, SlackApiError) and not is_transient(exc):
                return _refused(deps, sub, run_id, slot, code)
            # transient: back to claimed (a recovery takes it from there if this process dies), and read the
            # channel before the next post unless Slack certainly did not act on this one
            must_look = not certainly_not_posted(exc)
            runs.back_to_claimed(run_id, deps.worker_id, deps.now(), code)
            logger.warning(
                "digest %s for %s: Slack error %s (%s); will retry",
                sub.id,
                slot,
                code,
                "not posted" if certainly_not_posted(exc) else "may have posted",
            )
            if deps.now() >= deadline:
                return _give_up(deps, sub, run_id, slot, code)
            attempt = _back_off(deps, run_id, attempt, deadline)
            continue
        runs.finish(run_id, "posted", deps.now(), message_ts=ts)
        logger.info("digest %s for %s posted in %s", sub.id, slot, sub.channel_id)
        return RunOutcome("posted", run_id, ts)


def _back_off(deps: Deps, run_id: int, attempt: int, deadline: datetime) -> int:
    left = (deadline - deps.now()).total_seconds()
    with Lease(lambda: deps.store.digest_runs.refresh_claim(run_id, deps.worker_id, deps.now()), deps.lease_s):
        deps.sleep(max(0.0, min(_post_delay(attempt), left)))
    deps.store.digest_runs.refresh_claim(run_id, deps.worker_id, deps.now())
    return attempt + 1


def _refused(deps: Deps, sub: Subscription, run_id: int, slot: str, code: str) -> RunOutcome:
    from bot.slack_web import categorize

    deps.store.digest_runs.fail(run_id, deps.worker_id, deps.now(), code)
    if categorize(code) == "channel_gone":
        logger.warning("subscription %s cannot post in %s (%s): marked broken", sub.id, sub.channel_id, code)
        if deps.store.subscriptions.mark_broken(sub.id, code):
            _tell_creator(deps, sub, code)
    else:
        logger.error("digest %s for %s: Slack refused the post (%s)", sub.id, slot, code)
    return RunOutcome("failed", run_id, error=code)


def _give_up(deps: Deps, sub: Subscription, run_id: int, slot: str, error: str) -> RunOutcome:
    """The grace is over: the run fails, and its creator is told (once) what to do."""
    logger.error("digest %s for %s: not posted before the grace ended (%s)", sub.id, slot, error)
    if deps.store.digest_runs.fail(run_id, deps.worker_id, deps.now(), error):
        words = when_words(datetime.fromisoformat(slot).astimezone(sub.zone))
        tell_creator(deps.slack, sub.created_by, failed_post_text(sub, words, error))
    return RunOutcome("failed", run_id, error=error)
