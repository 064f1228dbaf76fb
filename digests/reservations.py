"""The digest and alert reservations in Lexer's window (bot.lexer.budget lends them), computed from the subscriptions and alert settings."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from bot.lexer.budget import ALERT, ALERT_SHARE, DIGEST, Reservations
from digests.triggers import Schedule, fires_between

logger = logging.getLogger(__name__)

# requests one digest sends when nothing is cached (digests/jobs.py build_digest); digests of one kind, day and
# timezone send byte-identical queries, so the cache answers all but the first
REQUESTS_PER_DIGEST = {"sla": 7, "nps": 5}  # nps: four reports plus the forms list for its name
RUNNING_GRACE_S = 60.0  # digests that fired this recently may still be fetching


def reservations(store, now: float, window_s: float = 300.0) -> Reservations:
    """Digests hold what the subscriptions due in the coming window need; alerts a fixed share while on."""
    start = datetime.fromtimestamp(now - RUNNING_GRACE_S, timezone.utc)
    end = datetime.fromtimestamp(now + window_s, timezone.utc) + timedelta(microseconds=1)
    distinct: set[tuple] = set()
    # one walk per distinct schedule (not per subscription) and from a cache of each day's fire times: with 500
    # subscriptions, walking each one's trigger here held a web process's interpreter lock for half a second at
    # a burst's first ack, and every ack behind it waited (bench/replicas.py)
    for kind, form_id, cadence, weekday, at_time, tz in store.subscriptions.schedules():
        schedule = Schedule(cadence, weekday, at_time, tz)
        for fire in fires_between(schedule, start, end):
            distinct.add((kind, tz, form_id, fire.astimezone(schedule.zone).date()))
    digest_need = sum(REQUESTS_PER_DIGEST.get(kind, 7) for kind, *_ in distinct)
    alert_need = ALERT_SHARE if store.alerts.enabled_configs() else 0
    return Reservations({DIGEST: digest_need, ALERT: alert_need})
