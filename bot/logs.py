"""Logging for every process: one format, and any configured secret replaced by [redacted]."""

from __future__ import annotations

import logging
import re

from bot.config import Settings

_TRACEBACKS = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Replace any configured secret that reaches a log record with [redacted]."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self._pattern = (
            re.compile("|".join(re.escape(s) for s in sorted(set(secrets), key=len, reverse=True) if s))
            if any(secrets)
            else None
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        try:
            message = record.getMessage()
        except Exception:
            return True
        if self._pattern.search(message):
            record.msg = self._pattern.sub("[redacted]", message)
            record.args = ()
        # an exception's text (a URL, a token in an error) reaches the log through the traceback, not the message:
        # format it once here, redacted; formatters reuse record.exc_text instead of formatting it again
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._pattern.sub("[redacted]", record.exc_text)
        if record.stack_info:
            record.stack_info = self._pattern.sub("[redacted]", record.stack_info)
        return True


def setup_logging(settings: Settings, level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redactor = RedactingFilter(settings.secrets())
    for handler in root.handlers:
        handler.addFilter(redactor)
    # httpx logs full URLs (export status URLs carry report tokens); keep it quiet
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
