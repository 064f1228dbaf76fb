"""Injected failures: what fail_next queues, and how each looks on the wire."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.slack_standin.wire import json_answer, text_answer

# the default `error` of fail_next; with a non-429 status the status decides what the failure looks like
DEFAULT_FAILURE = "ratelimited"
_STATUS_ERRORS = {
    400: "invalid_request",
    403: "forbidden",
    404: "not_found",
    410: "expired_url",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "request_timeout",
}


@dataclass
class Failure:
    """One queued failure of a method, used `remaining` more times."""

    error: str
    status: int
    retry_after: int | None
    remaining: int


def failure_answer(failure: Failure, *, as_json: bool) -> tuple[int, list, bytes, str]:
    """What an injected failure looks like on the wire: 429 + Retry-After, a 5xx, or ok:false."""
    status = failure.status
    error = failure.error
    if error == DEFAULT_FAILURE and status not in (200, 429):
        error = _STATUS_ERRORS.get(status, "internal_error" if status >= 500 else "invalid_request")
    extra = [("Retry-After", str(failure.retry_after))] if failure.retry_after is not None else []
    if as_json:
        return (*json_answer(status, {"ok": False, "error": error}, extra), error)
    return (*text_answer(status, error, extra), error)
