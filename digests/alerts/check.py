"""SLA-spike alerts, one pass of the checks: fetch each window, judge it, advance each channel's episode, post.

The decisions are pure (digests.alerts.detect, digests.alerts.episode); this
module does the I/O around them: the Activity API, the database and Slack.

API budget per hour (the test measures it): a check every 5 minutes makes one
`summary` call per distinct window configured (12/h for the usual single
window), plus one 7-day `summary` a day while history is under two weeks
(1/24 per hour), plus two calls (`user_summary`, `classifications`) once per
episode when it first fires. Nothing is called when no channel has alerts on.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.errors import LexerApiError
from bot.isotime import parse_iso, to_iso
from bot.slack.actions import alert_button_value
from bot.slack.messages.alerts import alert_message, resolution_text, update_text, window_timeframe
from bot.slack_web import categorize, certainly_not_posted, is_transient, slack_error_code
from bot.timeframe import parse_range
from digests.alerts.detect import (
    DEFAULT_MIN_COUNT,
    DEFAULT_SENSITIVITY,
    DEFAULT_WINDOW_MINUTES,
    Baseline,
    Observation,
    Verdict,
    baseline_from_samples,
    baseline_from_summary,
    detect,
    expected_in_window,
    is_anomalous,
    sample_from_row,
)
from digests.alerts.episode import (
    POSTED_KEYS,
    POSTING,
    RESOLVE_AFTER_OK_CHECKS,
    UNCERTAIN,
    Episode,
    contributors_detail,
    episode_from_row,
    row_from_episode,
    snoozed_until,
    step_episode,
)
from digests.posting import find_posted, tell_creator

logger = logging.getLogger(__name__)

CHECK_EVERY = timedelta(minutes=5)
ALERT_METADATA_EVENT = "lexer_alert"
CHECKS_PER_HOUR = 12
# Budget stated as numbers so a test can hold the runner to them.
REQUESTS_PER_CHECK_PER_WINDOW = 1
BASELINE_REQUESTS_PER_DAY = 1
REQUESTS_PER_EPISODE = 2  # user_summary + classifications, once, when it first fires
SAMPLE_RETENTION = timedelta(days=63)  # nine weeks of hour-of-week history is plenty
BASELINE_RETRY = timedelta(hours=1)
# Backoff between tries of one Slack call that certainly did not post; after the last, the next pass tries again.
RETRY_DELAYS_S = (1.0, 2.0, 4.0)
# A first-post claim older than this belongs to a pass that died while posting (a pass's tries take under a minute).
STALE_CLAIM = timedelta(minutes=10)
MISFIRE_GRACE_S = 240  # a check this late still runs; a clock started this soon after a slot checks it at once
# A slot's sample still pending this long after its claim belongs to a pass that died (a clock killed mid-check):
# the next pass checks the slot again. The job runs every minute so that pass comes within the slot; a pass
# that finds its slot checked makes no call.
STALE_SAMPLE = timedelta(minutes=2)
POST_FAILURES_BEFORE_NOTICE = 3  # passes (15 minutes) an alert Slack keeps refusing, before its creator is told

UTC = timezone.utc


def check_slot(now: datetime) -> datetime:
    """The 5-minute slot a check at `now` belongs to (UTC)."""
    t = now.astimezone(UTC).replace(second=0, microsecond=0)
    return t - timedelta(minutes=t.minute % 5)


@dataclass
class CheckReport:
    """What one pass did: per window 'ok'|'missing'|'skipped', per channel (verdict, actions)."""

    slot: datetime | None
    windows: dict[int, str] = field(default_factory=dict)
    channels: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        if self.slot is None:
            return ["No channel has alerts on; nothing to check."]
        out = [f"check at {self.slot.isoformat(timespec='minutes')}"]
        out += [
            f"window {m} min: {s}" + (" (this slot was already checked)" if s == "skipped" else "")
            for m, s in sorted(self.windows.items())
        ]
        out += [f"{c}: {v}" + (f" -> {', '.join(a)}" if a else "") for c, (v, a) in sorted(self.channels.items())]
        return out


def trailing_baseline(api, alerts, now: datetime, tz: ZoneInfo) -> Baseline | None:
    """The trailing 7 whole days from one `summary` call, cached in SQLite for the day."""
    tf = parse_range("last-7d", tz, now)
    key = f"7d:{tf.date_from}:{tf.date_to}"
    row = alerts.baseline(key)
    fresh = row is not None and (
        row["broke_sla"] is not None or now - datetime.fromisoformat(row["fetched_at"]) < BASELINE_RETRY
    )
    if not fresh:
        row = {
            "key": key,
            "date_from": tf.date_from,
            "date_to": tf.date_to,
            "hours": tf.span.total_seconds() / 3600.0,
            "fetched_at": to_iso(now),
            "broke_sla": None,
            "responded": None,
            "volume": None,
        }
        try:
            s = api.summary(tf)
            if _usable(s):  # else remembered as not fetched, as an outage is
                row.update(broke_sla=s.broke_sla, responded=s.total_responded_to, volume=s.total_volume)
        except LexerApiError as exc:  # remembered for an hour, so an outage does not cost a call per check
            logger.warning("alerts: the 7-day baseline could not be fetched: %s", type(exc).__name__)
        alerts.save_baseline(row)
    if row["broke_sla"] is None:
        return None
    return baseline_from_summary(row["broke_sla"], row["responded"], row["hours"])


def current_baseline(api, alerts, now: datetime, tz: ZoneInfo, window_minutes: int) -> Baseline | None:
    """Hour-of-week from the stored samples once there are two weeks of them; the trailing 7 days before."""
    samples = [sample_from_row(r) for r in alerts.samples_since(now - SAMPLE_RETENTION)]
    return baseline_from_samples(samples, now, tz, window_minutes) or trailing_baseline(api, alerts, now, tz)


def fetch_observation(api, slot: datetime, window_minutes: int, tz: ZoneInfo) -> Observation | None:
    """One `summary` over the window ending at the slot; None when Lexer fails (missing data)."""
    tf = window_timeframe(slot, window_minutes, tz)
    try:
        s = api.summary(tf)
    except LexerApiError as exc:
        logger.warning(
            "alerts: no data for the %d-minute window to %s: %s", window_minutes, slot.isoformat(), type(exc).__name__
        )
        return None
    if not _usable(s):
        return None  # a count Lexer sent that is no number (the parser logged which): no data, as when it fails
    return Observation(slot, window_minutes, s.broke_sla, s.total_responded_to, s.total_volume)


def _usable(s) -> bool:
    """The counts an alert reads are all numbers (bot.lexer.models: an unusable one is NaN)."""
    return all(math.isfinite(x) for x in (s.broke_sla, s.total_responded_to, s.total_volume))


class AlertChecker:
    """One pass of the checks: fetch, judge, advance each channel's episode, post."""

    def __init__(self, deps, sleep: Callable[[float], None] = time.sleep):
        self.deps = deps
        self.sleep = sleep
        self.api = deps.api.for_class("alert")  # the alert checks' share of Lexer's budget
        self.slack = deps.slack
        self.tz = deps.settings.tz
        self.sandbox = deps.settings.sandbox_mode
        self.alerts = deps.store.alerts

    def run(self, now: datetime) -> CheckReport:
        configs = self.alerts.enabled_configs()
        if not configs:
            return CheckReport(None)  # no alerts on: no API calls at all
        slot = check_slot(now)
        report = CheckReport(slot)
        by_window: dict[int, list[dict]] = {}
        for cfg in configs:
            by_window.setdefault(cfg["window_minutes"] or DEFAULT_WINDOW_MINUTES, []).append(cfg)
        for window, cfgs in sorted(by_window.items()):
            sample_id = self.alerts.claim_sample(slot, window, now, stale_before=now - STALE_SAMPLE)
            if sample_id is None:
                report.windows[window] = "skipped"
                continue
            obs = fetch_observation(self.api, slot, window, self.tz)
            baseline = current_baseline(self.api, self.alerts, slot, self.tz, window)
            reference = detect(obs, baseline)
            self.alerts.record_sample(
                sample_id,
                {
                    "status": "ok" if obs is not None else "missing",
                    "broke_sla": obs.broke_sla if obs else None,
                    "responded": obs.responded if obs else None,
                    "volume": obs.volume if obs else None,
                    "expected": expected_in_window(baseline, window) if baseline else None,
                    "expected_fraction": baseline.breach_fraction if baseline else None,
                    "p_value": reference.p_value if reference.known else None,
                    "anomalous": int(obs is not None and is_anomalous(obs, baseline)),
                    "baseline_source": baseline.source if baseline else None,
                },
            )
            report.windows[window] = "ok" if obs is not None else "missing"
            for cfg in cfgs:
                try:  # one channel's trouble never silences the others
                    verdict = detect(
                        obs,
                        baseline,
                        min_count=cfg["min_count"] or DEFAULT_MIN_COUNT,
                        sensitivity=cfg["sensitivity"] or DEFAULT_SENSITIVITY,
                    )
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
            if claimed_at is not None and now - claimed_at < STALE_CLAIM:
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
        pending = replace(ep, state="firing", resolved_at=None) if "resolve" in step.actions else ep
        if current is None:
            pending = replace(
                pending, detail={**pending.detail, "baseline_source": baseline.source if baseline else None}
            )
            new_id = self.alerts.insert_episode(row_from_episode(pending))
            if new_id is None:
                return ()  # another pass opened this channel's episode first: it is that pass's to post
            pending = replace(pending, id=new_id, version=0)
        elif (pending := self._save(pending)) is None:
            return ()
        # saved before posting: a restart after this point never alerts again for the same episode
        ep = pending
        done: list[str] = []
        for action in step.actions:
            if action == "post_alert":
                claimed = self.alerts.claim_first_post(ep.id, ep.version, POSTING, now)
                if claimed is None:
                    return tuple(done)  # another pass claimed the first post, or alerts went off
                ep = replace(ep, message_ts=POSTING, version=claimed)
                if "contributors_fetched" not in ep.detail:
                    tf = self._tf(verdict.window_end, verdict.window_minutes)
                    ep = replace(ep, detail={**ep.detail, **self._contributors(tf), "contributors_fetched": True})
                    if (saved := self._save(ep)) is None:  # a failed post must not cost the calls again
                        return tuple(done)
                    ep = saved
            before = replace(ep, message_ts=None) if action == "post_alert" else ep
            try:
                ep = getattr(self, f"_{action}")(ep, verdict, now, snoozed)
                done.append(action)
            except Exception as exc:
                ep = before
                outcome = self._post_failed(channel, action, exc, now)
                if outcome == "done" and action == "resolve":
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
            ts = find_posted(self.slack, ep.channel_id, alert_metadata(ep.id), since=claimed_at)
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
        if failures >= POST_FAILURES_BEFORE_NOTICE and not detail.get("creator_told"):
            answer = slack_error_code(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
            detail["creator_told"] = tell_creator(
                self.slack,
                cfg.get("created_by"),
                f":warning: An SLA-breach alert for <#{ep.channel_id}> could not be posted: Slack answered "
                f"`{answer}` in {failures} checks in a row. lexer-bot tries again every 5 minutes while the spike "
                "lasts (see https://slack-status.com); meanwhile `/lexer alerts status` there shows the numbers.",
            )
        return replace(ep, detail=detail)

    def _save(self, ep: Episode) -> Episode | None:
        """Compare-and-set the episode; None when the stored one changed under this pass (which then stops)."""
        version = self.alerts.save_episode(row_from_episode(ep), ep.version)
        if version is None:
            logger.info("alerts: episode %s of %s changed during this pass; leaving it as stored", ep.id, ep.channel_id)
            return None
        return replace(ep, version=version)

    def _slack(self, method: str, **kwargs):
        """One Slack Web API call, tried again with backoff while Slack is in trouble and certainly did not act."""
        call = getattr(self.slack, method)
        for delay in RETRY_DELAYS_S:
            try:
                return call(**kwargs)
            except Exception as exc:
                if not (certainly_not_posted(exc) and is_transient(exc)):
                    raise
                logger.warning("alerts: %s refused for now (%s); trying again in %.0f s", method, exc, delay)
                self.sleep(delay)
        return call(**kwargs)

    def _tf(self, end: datetime, minutes: int):
        return window_timeframe(end, minutes or DEFAULT_WINDOW_MINUTES, self.tz)

    def _posted_tf(self, ep: Episode):
        posted = ep.detail["posted"]
        return self._tf(datetime.fromisoformat(posted["window_end"]), posted["window_minutes"])

    def _value(self, ep: Episode) -> str:
        posted = ep.detail["posted"]
        return alert_button_value(ep.channel_id, datetime.fromisoformat(posted["window_end"]), posted["window_minutes"])

    def _contributors(self, tf) -> dict:
        """Agents and classifications over the window: two calls, made only when an alert is first posted."""
        agents = classifications = None
        try:
            agents = self.api.user_summary(tf)
        except LexerApiError as exc:
            logger.warning("alerts: user_summary failed: %s", type(exc).__name__)
        try:
            classifications = self.api.classifications(tf)
        except LexerApiError as exc:
            logger.warning("alerts: classifications failed: %s", type(exc).__name__)
        return contributors_detail(agents, classifications)

    def _post_alert(self, ep: Episode, verdict: Verdict, now: datetime, snoozed: bool) -> Episode:
        tf = self._tf(verdict.window_end, verdict.window_minutes)
        # what the message says stays as posted (a late post, after a snooze, shows the numbers of its time)
        posted = {k: ep.detail.get(k) for k in POSTED_KEYS} | {"count": verdict.count, "expected": verdict.expected}
        ep = replace(ep, detail={**ep.detail, "posted": posted})
        message = alert_message(ep, tf, sandbox=self.sandbox, button_value=self._value(ep))
        metadata = alert_metadata(ep.id)
        try:
            response = self._slack(
                "chat_postMessage",
                channel=ep.channel_id,
                text=message["text"],
                blocks=message["blocks"],
                unfurl_links=False,
                metadata=metadata,
            )
        except Exception as exc:
            if certainly_not_posted(exc) or not is_transient(exc):
                raise
            # Slack may have posted it (internal_error, a dropped connection): look before the next pass posts again
            ts = find_posted(self.slack, ep.channel_id, metadata, since=now)
            if ts is None:
                raise
            return replace(ep, message_ts=ts, last_update_at=now)
        return replace(ep, message_ts=response["ts"], last_update_at=now)

    def _post_update(self, ep: Episode, verdict: Verdict, now: datetime, snoozed: bool) -> Episode:
        self._slack(
            "chat_postMessage",
            channel=ep.channel_id,
            thread_ts=ep.message_ts,
            text=update_text(verdict, self._tf(verdict.window_end, verdict.window_minutes)),
        )
        return replace(ep, last_update_at=now)

    def _resolve(self, ep: Episode, verdict: Verdict, now: datetime, snoozed: bool) -> Episode:
        # the edit is quiet, so it happens even while snoozed; the thread post waits for no snooze
        message = alert_message(
            ep, self._posted_tf(ep), sandbox=self.sandbox, button_value=self._value(ep), resolved=True, now=now
        )
        self._slack(
            "chat_update", channel=ep.channel_id, ts=ep.message_ts, text=message["text"], blocks=message["blocks"]
        )
        if not snoozed:
            self._slack(
                "chat_postMessage",
                channel=ep.channel_id,
                thread_ts=ep.message_ts,
                text=resolution_text(
                    ep, verdict, self._tf(verdict.window_end, verdict.window_minutes), ok_checks=RESOLVE_AFTER_OK_CHECKS
                ),
            )
        return replace(ep, state="resolved", resolved_at=now)

    def _post_failed(self, channel: str, action: str, exc: Exception, now: datetime) -> str:
        """Log a failed post; 'retry' when the next pass should try it again, 'done' when it never will."""
        if is_transient(exc):
            logger.warning("alerts: %s for %s failed for now; the next pass tries again", action, channel)
            return "retry"
        if not isinstance(exc, SlackApiError):
            logger.exception("alerts: %s for %s failed", action, channel)
            return "done"
        code = slack_error_code(exc)
        logger.warning("alerts: %s for %s refused by Slack: %s", action, channel, code)
        if categorize(code) == "channel_gone":
            # the bot was removed or the channel archived: stop rather than fail every 5 minutes
            self.alerts.disable(channel, now)
            self.deps.store.audit_log.record(
                "lexer-bot", "alerts.off", {"channel_id": channel, "reason": code}, now=now
            )
        return "done"


def alert_metadata(episode_id: int | None) -> dict:
    """The message metadata that names an episode's first post (found again by conversations.history)."""
    return {"event_type": ALERT_METADATA_EVENT, "event_payload": {"episode_id": episode_id}}


def run_alert_checks(deps, now: datetime | None = None, sleep: Callable[[float], None] = time.sleep) -> CheckReport:
    """One evaluation pass (the scheduler's job and `lexer-bot alerts check`)."""
    return AlertChecker(deps, sleep).run(now or deps.now())


def scheduled_check(deps) -> None:
    """The scheduler's job: never raises (a failed pass is logged; the next runs in 5 minutes).

    In distribution mode each connected workspace is checked on its own Deps (its tokens, its configs).
    """
    for here in every_workspace(deps):
        try:
            report = run_alert_checks(here)
            if report.windows and set(report.windows.values()) == {"skipped"}:
                continue  # the slot was checked already (by this clock a minute ago, or another): nothing to say
            for line in report.lines()[1:]:
                logger.info("alerts%s: %s", f" ({here.workspace})" if here.workspace else "", line)
        except Exception:
            logger.exception("alerts: the check failed")


def connected_workspaces(deps) -> Iterator:
    """Every connected workspace's Deps (distribution mode), each leased while the loop on it runs; none in
    single-workspace mode. A workspace that cannot be read is logged and skipped, never stopping the others."""
    if deps.tenancy is not None:
        yield from deps.tenancy.connected_workspaces()


def every_workspace(deps) -> Iterator:
    """This process's own Deps, then each connected workspace's (see connected_workspaces)."""
    yield deps
    yield from connected_workspaces(deps)


def catches_up(now: datetime) -> bool:
    """Whether a clock starting at `now` checks the slot that just passed at once (within the grace): safe, as
    the pass claims the slot's sample first, so a slot another clock already checked costs nothing."""
    return now - check_slot(now) <= timedelta(seconds=MISFIRE_GRACE_S)


def schedule_checks(scheduler, deps, now: datetime | None = None) -> None:
    """Each 5-minute slot checked once; a late or overlapping run dropped, not doubled. The job runs every minute:
    a slot's first pass checks it, the rest find it claimed and call nothing (unless that pass died: STALE_SAMPLE)."""
    now = now or datetime.now(UTC)
    scheduler.add_job(
        scheduled_check,
        "cron",
        minute="*",
        args=[deps],
        id="alerts-check",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=MISFIRE_GRACE_S,
        **({"next_run_time": datetime.now(UTC)} if catches_up(now) else {}),
    )
