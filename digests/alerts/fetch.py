"""What one pass of the SLA-spike checks asks Lexer: the window, the baseline, the contributors of a new alert.

API budget per hour (the test measures it): a check every 5 minutes makes one
`summary` call per distinct window configured (12/h for the usual single
window), plus one 7-day `summary` a day while history is under two weeks
(1/24 per hour), plus two calls (`user_summary`, `classifications`) once per
episode when it first fires. Nothing is called when no channel has alerts on.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.errors import LexerApiError
from bot.isotime import to_iso
from bot.slack.messages.alerts import window_timeframe
from bot.timeframe import Timeframe, parse_range
from digests.alerts.decide import BASELINE_RETRY, SAMPLE_RETENTION, usable
from digests.alerts.detect import Baseline, Observation, baseline_from_samples, baseline_from_summary, sample_from_row
from digests.alerts.episode import contributors_detail

logger = logging.getLogger(__name__)


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
            if usable(s):  # else remembered as not fetched, as an outage is
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
    if not usable(s):
        return None  # a count Lexer sent that is no number (the parser logged which): no data, as when it fails
    return Observation(slot, window_minutes, s.broke_sla, s.total_responded_to, s.total_volume)


def fetch_contributors(api, tf: Timeframe) -> dict:
    """Agents and classifications over the window: two calls, made only when an alert is first posted."""
    agents = classifications = None
    try:
        agents = api.user_summary(tf)
    except LexerApiError as exc:
        logger.warning("alerts: user_summary failed: %s", type(exc).__name__)
    try:
        classifications = api.classifications(tf)
    except LexerApiError as exc:
        logger.warning("alerts: classifications failed: %s", type(exc).__name__)
    return contributors_detail(agents, classifications)
