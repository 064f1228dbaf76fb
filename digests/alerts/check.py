"""SLA-spike alerts, one pass of the checks: fetch each window, judge it, advance each channel's episode, post.

The decisions are pure (digests.alerts.detect, .episode, .decide); Lexer is asked in digests.alerts.fetch and
Slack told in digests.alerts.post. This module runs the pass: the claims and compare-and-set saves in the
database around them, one channel's trouble never silencing the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.isotime import parse_iso
from digests.alerts.decide import (
    SAMPLE_RETENTION,
    STALE_SAMPLE,
    CheckReport,
    by_window,
    channel_verdict,
    check_slot,
    claim_is_live,
    failed_post_notice,
    sample_record,
)
from digests.alerts.detect import Baseline, Verdict
from digests.alerts.episode import (
    POSTING,
    UNCERTAIN,
    Episode,
    episode_from_row,
    row_from_episode,
    snoozed_until,
    step_episode,
)
from digests.alerts.fetch import current_baseline, fetch_contributors, fetch_observation
from digests.alerts.post import AlertPoster, failed_answer, failure_outcome
from digests.workspaces import in_every_workspace

logger = logging.getLogger(__name__)


class AlertChecker:
    """One pass of the checks: fetch, judge, advance each channel's episode, post."""

    def __init__(self, deps, sleep: Callable[[float], None] = time.sleep):
        self.deps = deps
        self.api = deps.api.for_class("alert")  # the alert checks' share of Lexer's budget
        self.tz = deps.settings.tz
        self.alerts = deps.store.alerts
        self.poster = AlertPoster(deps.slack, self.tz, deps.settings.sandbox_mode, sleep)

    def run(self, now: datetime) -> CheckReport:
        configs = self.alerts.enabled_configs()
        if not configs:
            return CheckReport(None)  # no alerts on: no API calls at all
        slot = check_slot(now)
        report = CheckReport(slot)
        for window, cfgs in by_window(configs).items():
            sample_id = self.alerts.claim_sample(slot, window, now, stale_before=now - STALE_SAMPLE)
            if sample_id is None:
                report.windows[window] = "skipped"
                continue
            obs = fetch_observation(self.api, slot, window, self.tz)
            baseline = current_baseline(self.api, self.alerts, slot, self.tz, window)
            self.alerts.record_sample(sample_id, sample_record(obs, baseline, window))
            report.windows[window] = "ok" if obs is not None else "missing"
            for cfg in cfgs:
                try:  # one channel's trouble never silences the others
                    verdict = channel_verdict(cfg, obs, baseline)
                    actions = self._advance(cfg, verdict, now, baseline)
                    report.channels[cfg["channel_id"]] = (verdict.state, actions)
                except Exception:
                    logger.exception("alerts: channel %s failed in this pass", cfg["channel_id"])
                    report.channels[cfg["channel_id"]] = ("error", ())
        self.alerts.prune_samples(slot - SAMPLE_RETENTION)
        return report

    # ------------------------------------------------------------ one channel
    def _advance(self, cfg: dict, verdict: Verdict, now: datetime, baseline: Baseline | None) -> tuple[str, ...]:
        channel = cfg["channel_id"]
        row = self.alerts.open_episode(channel)
        current = episode_from_row(row) if row else None
        if row and current and current.message_ts == POSTING:
            claimed_at = parse_iso(row.get("posting_at"))
            if claim_is_live(claimed_at, now):
                return ()  # the pass that claimed the first post is still at it; the episode is its to save
            current = self._resolve_stale_claim(current, claimed_at or now)
            if current is None:
                return ()
        last = self.alerts.last_resolved_episode(channel)
        previous = episode_from_row(last) if last else None
        snoozed = snoozed_until(cfg, now) is not None
        step = step_episode(current, verdict, now, channel_id=channel, snoozed=snoozed, previous=previous)
        ep = step.episode
        if ep is None or (ep == current and not step.actions):
            return step.actions
        # A resolve is saved once it is done: one that Slack refused for now stays firing, and the next pass redoes it.
        pending = self._open_or_save(
            replace(ep, state="firing", resolved_at=None) if "resolve" in step.actions else ep, current, baseline
        )
        if pending is None:
            return ()
        # saved before posting: a restart after this point never alerts again for the same episode
        return self._act(step.actions, pending, cfg, verdict, now, snoozed)

    def _open_or_save(self, ep: Episode, current: Episode | None, baseline: Baseline | None) -> Episode | None:
        """Insert a new episode or save the open one; None when another pass got there first (it is that one's)."""
        if current is not None:
            return self._save(ep)
        ep = replace(ep, detail={**ep.detail, "baseline_source": baseline.source if baseline else None})
        new_id = self.alerts.insert_episode(row_from_episode(ep))
        return None if new_id is None else replace(ep, id=new_id, version=0)

    def _act(
        self, actions: tuple[str, ...], ep: Episode, cfg: dict, verdict: Verdict, now: datetime, snoozed: bool
    ) -> tuple[str, ...]:
        """Do a step's actions in Slack, saving the episode after each; the ones done."""
        channel = cfg["channel_id"]
        done: list[str] = []
        for action in actions:
            if action == "post_alert":
                claimed = self.alerts.claim_first_post(ep.id, ep.version, POSTING, now)
                if claimed is None:
                    return tuple(done)  # another pass claimed the first post, or alerts went off
                ep = replace(ep, message_ts=POSTING, version=claimed)
                if "contributors_fetched" not in ep.detail:
                    tf = self.poster.verdict_window(verdict)
                    contributors = fetch_contributors(self.api, tf)
                    ep = replace(ep, detail={**ep.detail, **contributors, "contributors_fetched": True})
                    if (saved := self._save(ep)) is None:  # a failed post must not cost the calls again
                        return tuple(done)
                    ep = saved
            before = replace(ep, message_ts=None) if action == "post_alert" else ep
            try:
                ep = self.poster.perform(action, ep, verdict, now, snoozed)
                done.append(action)
            except Exception as exc:
                ep = before
                outcome = failure_outcome(channel, action, exc)
                if outcome == "channel_gone":
                    self._turn_off(channel, failed_answer(exc), now)
                if outcome != "retry" and action == "resolve":
                    ep = replace(ep, state="resolved", resolved_at=now)  # refused for good: never retried
                elif outcome == "retry" and action == "post_alert":
                    ep = self._count_failed_post(ep, cfg, exc)
            saved = self._save(ep)
            if saved is None:
                return tuple(done)  # alerts off (or the bot removed) during the pass: that stands
            ep = saved
        return tuple(done)

    def _resolve_stale_claim(self, ep: Episode, claimed_at: datetime) -> Episode | None:
        """A pass died while posting this episode's alert: find the post in the channel, or free the claim to post.

        The first post carries metadata naming its episode, so a look at the channel's history tells whether
        Slack took it. Unreadable history (no history scope) leaves it uncertain: never a blind second post.
        """
        try:
            ts = self.poster.find_first_post(ep, since=claimed_at)
        except Exception as exc:
            logger.warning(
                "alerts: the first post of episode %s may or may not be in %s (history unreadable: %s)",
                ep.id,
                ep.channel_id,
                type(exc).__name__,
            )
            return replace(ep, message_ts=UNCERTAIN)
        if ts is not None:
            logger.info(
                "alerts: episode %s was posted in %s before its pass died; keeping that post", ep.id, ep.channel_id
            )
        return self._save(replace(ep, message_ts=ts))

    def _count_failed_post(self, ep: Episode, cfg: dict, exc: Exception) -> Episode:
        """One more pass in which Slack would not take the alert; after a few, its creator hears of it (once)."""
        failures = int(ep.detail.get("post_failures") or 0) + 1
        detail = {**ep.detail, "post_failures": failures}
        notice = failed_post_notice(ep, failures, failed_answer(exc))
        if notice is not None:
            detail["creator_told"] = self.poster.tell_creator(cfg.get("created_by"), notice)
        return replace(ep, detail=detail)

    def _turn_off(self, channel: str, reason: str, now: datetime) -> None:
        """The bot was removed or the channel archived: stop rather than fail every 5 minutes."""
        self.alerts.disable(channel, now)
        self.deps.store.audit_log.record("lexer-bot", "alerts.off", {"channel_id": channel, "reason": reason}, now=now)

    def _save(self, ep: Episode) -> Episode | None:
        """Compare-and-set the episode; None when the stored one changed under this pass (which then stops)."""
        version = self.alerts.save_episode(row_from_episode(ep), ep.version)
        if version is None:
            logger.info("alerts: episode %s of %s changed during this pass; leaving it as stored", ep.id, ep.channel_id)
            return None
        return replace(ep, version=version)


def run_alert_checks(deps, now: datetime | None = None, sleep: Callable[[float], None] = time.sleep) -> CheckReport:
    """One evaluation pass (the scheduler's job and `lexer-bot alerts check`)."""
    return AlertChecker(deps, sleep).run(now or deps.now())


def scheduled_check(deps) -> None:
    """The scheduler's job: never raises (a failed pass is logged; the next runs in 5 minutes).

    In distribution mode each connected workspace is checked on its own Deps (its tokens, its configs).
    """
    in_every_workspace(deps, _check_and_log, "alerts: the check failed", logger)


def _check_and_log(here) -> None:
    report = run_alert_checks(here)
    if report.windows and set(report.windows.values()) == {"skipped"}:
        return  # the slot was checked already (by this clock a minute ago, or another): nothing to say
    for line in report.lines()[1:]:
        logger.info("alerts%s: %s", f" ({here.workspace})" if here.workspace else "", line)
