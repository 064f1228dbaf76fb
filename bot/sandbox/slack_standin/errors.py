"""The stand-in's one error: a Slack `ok: false` answer."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Slack `ok: false` answer: `error`, optional response_metadata messages, extra top-level fields."""

    def __init__(self, error: str, *messages: str, **extra: Any):
        super().__init__(error)
        self.error = error
        self.messages = list(messages)
        self.extra = extra
