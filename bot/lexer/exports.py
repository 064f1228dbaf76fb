"""The three-step CSV export: start -> poll the status endpoint with backoff -> stream to a file."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ExportError, ExportTimeoutError, LexerUnavailableError, RateLimitedError
from bot.lexer.client import ActivityClient
from bot.lexer.models import ExportStatus

logger = logging.getLogger(__name__)

POLL_FIRST_S = 2.0
POLL_MAX_S = 30.0
DEFAULT_TIMEOUT_S = 30 * 60.0


def poll_delays(first: float = POLL_FIRST_S, cap: float = POLL_MAX_S):
    """2, 3, 4.5, … seconds, capped at 30 (pure)."""
    delay = first
    while True:
        yield delay
        delay = min(cap, delay * 1.5)


def _span(seconds: float) -> str:
    """'30 minutes', '1 minute', '5 seconds' (short timeouts are configurable, so say them exactly)."""
    if seconds >= 60:
        m = int(seconds // 60)
        return f"{m} minute{'s' if m != 1 else ''}"
    s = max(1, int(round(seconds)))
    return f"{s} second{'s' if s != 1 else ''}"


@dataclass
class ExportResult:
    path: Path
    size_bytes: int


def wait_for_export(
    client: ActivityClient,
    report_token: str,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    started_at: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[float], None] | None = None,
    first_delay_s: float = POLL_FIRST_S,
    max_delay_s: float = POLL_MAX_S,
) -> ExportStatus:
    """Poll until complete; ExportError when Lexer reports anything but pending/complete, ExportTimeoutError past the timeout."""
    start = clock() if started_at is None else started_at
    for delay in poll_delays(first_delay_s, max_delay_s):
        try:
            status = client.export_status(report_token)
        except (LexerUnavailableError, RateLimitedError) as exc:  # passing trouble: keep polling within the timeout
            logger.info("export status check failed (%s); will poll again", type(exc).__name__)
            status = ExportStatus("pending", report_token)
        if status.complete:
            return status
        if status.failed:
            raise ExportError(
                f"Lexer reported the export as {status.status!r}.", hint="Try again; a shorter range often helps."
            )
        elapsed = clock() - start
        if elapsed + delay > timeout_s:
            raise ExportTimeoutError(
                f"Lexer did not finish the export within {_span(timeout_s)}.",
                hint="Try a shorter range, or try again later.",
            )
        if on_wait is not None:
            on_wait(elapsed)
        sleep(delay)
    raise AssertionError("unreachable")


def run_export(
    client: ActivityClient,
    kind: str,
    tf,
    dest: Path,
    *,
    form_id: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_progress: Callable[[int], None] | None = None,
    first_delay_s: float = POLL_FIRST_S,
) -> ExportResult:
    """All three steps; the CSV lands in `dest` (partial files are removed on failure)."""
    started = client.start_export(kind, tf, form_id=form_id)
    status = (
        started
        if started.complete
        else wait_for_export(
            client, started.token, timeout_s=timeout_s, clock=clock, sleep=sleep, first_delay_s=first_delay_s
        )
    )
    try:
        size = client.download(status.url or "", dest, on_progress=on_progress)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return ExportResult(dest, size)
