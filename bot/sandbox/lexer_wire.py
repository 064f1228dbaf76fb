"""The sandbox's wire: the Activity API doc's error answers, JSON (gzip) and injected-failure answers, reading a
request's body, dates and ids."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

# (error, message) per the doc's Errors table
ERR_MISSING_AUTH = ("Unauthorized", "Missing authentication data")
ERR_BAD_TOKEN = ("Unauthorized - api token not matching", "Your API token provided is not valid")
ERR_TOO_LONG = ("Invalid report - date range is too long", "Your date range must be not greater than 12 months")
ERR_FUTURE = ("Invalid report - starting date is a future date", "Starting date must be in the past")
ERR_TYPE = ("Invalid report - invalid type", "Chart type provided is invalid")
ERR_NOT_FOUND = ("Not found", "General error for malformed request")
ERR_RATE = ("Rate limited exceeded", "You're making too many requests")

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class SandboxHTTPError(Exception):
    """An error answer: status plus the doc's (error, message) pair."""

    def __init__(self, status: int, pair: tuple[str, str], headers: list[tuple[str, str]] | None = None):
        super().__init__(f"{status} {pair[0]}")
        self.status = status
        self.pair = pair
        self.headers = headers or []


@dataclass
class Failure:
    """A failure a test injected (LexerSandbox.fail_next): what the next `times` matching requests get."""

    status: int
    times: int
    body: bytes | None
    retry_after: int | None
    path_prefix: str | None


def parse_when(value: Any) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise SandboxHTTPError(404, ERR_NOT_FOUND)
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SandboxHTTPError(404, ERR_NOT_FOUND) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)  # no offset: read as UTC


def parse_ids(value: Any) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise SandboxHTTPError(404, ERR_NOT_FOUND)
    out = []
    for v in value:
        try:
            out.append(int(str(v).strip()))
        except ValueError:
            raise SandboxHTTPError(404, ERR_NOT_FOUND) from None
    return out


def replace_fields(value: Any, markers: dict[str, str]) -> Any:
    """`value` with every dict entry named in `markers` set to its marker, at any depth."""
    if isinstance(value, dict):
        return {k: markers[k] if k in markers else replace_fields(v, markers) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_fields(v, markers) for v in value]
    return value


def read_body(environ) -> bytes:
    try:
        n = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        n = 0
    return environ["wsgi.input"].read(n) if n > 0 else b""


def json_answer(status: int, payload: Any, extra: list[tuple[str, str]] | None = None):
    body = json.dumps(payload).encode()
    headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))]
    return status, headers + (extra or []), [body]


def gzip_answer(headers: list[tuple[str, str]], chunks) -> tuple[list[tuple[str, str]], Any]:
    """Compress a JSON or HTML answer the way a proxy would; streamed CSV downloads pass as they are."""
    ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
    if not ctype.startswith(("application/json", "text/html")):
        return headers, chunks
    body = gzip.compress(b"".join(chunks))
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    return kept + [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"), ("Content-Length", str(len(body)))], [
        body
    ]


def failure_answer(f: Failure):
    extra = [("Retry-After", str(f.retry_after))] if f.retry_after is not None else []
    if f.body is not None:
        body = f.body
        ctype = "application/json; charset=utf-8"
    elif f.status == 429:
        body, ctype = json.dumps({"error": ERR_RATE[0], "message": ERR_RATE[1]}).encode(), "application/json"
    elif f.status >= 500:  # what a proxy in front of Lexer sends
        body, ctype = (
            f"<html><body><h1>{f.status} {REASONS.get(f.status, 'Error')}</h1></body></html>".encode(),
            "text/html",
        )
    else:
        body, ctype = json.dumps({"error": REASONS.get(f.status, "Error")}).encode(), "application/json"
    return f.status, [("Content-Type", ctype), ("Content-Length", str(len(body)))] + extra, [body]
