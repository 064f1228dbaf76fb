"""HTTP plumbing for the stand-in: reading requests (streamed, size-capped) and writing answers."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

REDACTED = "[redacted]"
CHUNK_BYTES = 64 * 1024
MAX_API_BODY_BYTES = 8 * 1024 * 1024  # API calls are small; uploads go through /upload/ instead
# params Slack clients send JSON-encoded inside a form body
_JSON_PARAMS = ("blocks", "attachments", "view", "files")

Answer = tuple[int, list, bytes]  # (HTTP status, headers, body)


def json_answer(status: int, payload: dict, extra_headers: list | None = None) -> Answer:
    """A JSON answer with its length."""
    body = json.dumps(payload).encode()
    headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))]
    return status, headers + (extra_headers or []), body


def text_answer(status: int, text: str, extra_headers: list | None = None) -> Answer:
    """A plain-text answer with its length."""
    body = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    return status, headers + (extra_headers or []), body


def bearer(environ: dict) -> str | None:
    """The token of an `Authorization: Bearer …` header, if any."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return None


def basic_auth(environ: dict) -> tuple[str | None, str | None]:
    """(user, password) of an `Authorization: Basic …` header, or (None, None)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if auth[:6].lower() != "basic ":
        return None, None
    try:
        user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None, None
    return user, password


def recorded_headers(environ: dict) -> dict:
    """Request headers as recorded in a Call, with credentials redacted."""
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key.replace("_", "-").title()
        else:
            continue
        headers[name] = REDACTED if name.lower() in ("authorization", "cookie") else value
    return headers


def body_chunks(environ: dict) -> Iterable[bytes]:
    """The request body in chunks of at most CHUNK_BYTES, honouring Content-Length when given."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return
    try:
        remaining = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        remaining = -1
    while remaining != 0:
        chunk = stream.read(CHUNK_BYTES if remaining < 0 else min(CHUNK_BYTES, remaining))
        if not chunk:
            return
        if remaining > 0:
            remaining -= len(chunk)
        yield chunk


def drain(environ: dict) -> None:
    """Read and drop the rest of the request body."""
    for _ in body_chunks(environ):
        pass


def read_body(environ: dict, limit: int = MAX_API_BODY_BYTES) -> bytes:
    """The whole request body; ValueError past `limit` bytes."""
    parts = []
    size = 0
    for chunk in body_chunks(environ):
        size += len(chunk)
        if size > limit:
            drain(environ)
            raise ValueError("body too large")
        parts.append(chunk)
    return b"".join(parts)


def read_params(environ: dict) -> dict:
    """Query string, then a form or JSON body, merged; JSON-ish form values decoded."""
    params: dict[str, Any] = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    body = read_body(environ) if environ.get("REQUEST_METHOD", "GET") != "GET" else b""
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if body:
        if content_type == "application/json":
            decoded = json.loads(body.decode("utf-8"))
            if not isinstance(decoded, dict):
                raise ValueError("JSON body is not an object")
            params.update(decoded)
        elif content_type in ("application/x-www-form-urlencoded", ""):
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for key in _JSON_PARAMS:
        value = params.get(key)
        if isinstance(value, str):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass  # left as text; the method's validation says what's wrong
    return params
