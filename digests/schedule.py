"""Subscriptions -> APScheduler jobs; no logic of its own."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

logger = logging.getLogger(__name__)


def configure(scheduler, runtime) -> None:
    """Add the recurring jobs (filled in by the digest and alert features)."""
    from digests.alerts import schedule_checks; schedule_checks(scheduler, runtime)  # noqa: E702 -- SLA-spike alerts, every 5 minutes


def start_background_scheduler(runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    configure(scheduler, runtime)
    scheduler.start()
    return scheduler


def run_blocking_scheduler(runtime) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    configure(scheduler, runtime)
    logger.info("clock started")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
