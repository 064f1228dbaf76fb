"""Receiving an upload's bytes: a raw or multipart/form-data body streamed into a hash (and a file, if kept)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable

from bot.sandbox.slack_standin.wire import body_chunks
from bot.sandbox.slack_standin.workspace import Upload


def receive_file(environ: dict, upload: Upload, keep_dir: str | None) -> tuple[int, str, str | None]:
    """Stream the request body into a hash (and a file under `keep_dir`); memory stays at one chunk."""
    sha = hashlib.sha256()
    size = 0
    out = None
    path = None
    if keep_dir:
        os.makedirs(keep_dir, exist_ok=True)
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(upload.filename)) or "file"
        path = os.path.join(keep_dir, f"{upload.file_id}-{safe_name}")
        out = open(path, "wb")

    def sink(data: bytes) -> None:
        nonlocal size
        sha.update(data)
        size += len(data)
        if out is not None:
            out.write(data)

    content_type = environ.get("CONTENT_TYPE", "")
    boundary = multipart_boundary(content_type)
    parser = MultipartFileParser(boundary, sink) if boundary else None
    try:
        for chunk in body_chunks(environ):
            if parser is not None:
                parser.feed(chunk)
            else:
                sink(chunk)
    finally:
        if out is not None:
            out.close()
    return size, sha.hexdigest(), path


def multipart_boundary(content_type: str) -> bytes | None:
    """The boundary of a multipart Content-Type; None for any other type."""
    if not content_type.lower().startswith("multipart/"):
        return None
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    return match.group(1).encode("latin-1") if match else None


class MultipartFileParser:
    """Incremental multipart/form-data reader passing only the first file part's bytes to `sink`."""

    MAX_HEADER_BYTES = 16 * 1024

    def __init__(self, boundary: bytes, sink: Callable[[bytes], None]):
        self._delimiter = b"\r\n--" + boundary
        self._buffer = b"\r\n"  # lets the opening boundary (with no CRLF before it) match the delimiter
        self._state = "preamble"
        self._in_file = False
        self._file_seen = False
        self._sink = sink

    def feed(self, data: bytes) -> None:
        if self._state == "done":
            return
        self._buffer += data
        while True:
            if self._state in ("preamble", "body"):
                index = self._buffer.find(self._delimiter)
                if index < 0:
                    # keep a tail that may be the start of a delimiter split across chunks
                    keep = len(self._delimiter) - 1
                    if len(self._buffer) > keep:
                        if self._in_file:
                            self._sink(self._buffer[:-keep])
                        self._buffer = self._buffer[-keep:]
                    return
                if self._in_file:
                    self._sink(self._buffer[:index])
                self._in_file = False
                self._buffer = self._buffer[index + len(self._delimiter) :]
                self._state = "after_delimiter"
            if self._state == "after_delimiter":
                if len(self._buffer) < 2:
                    return
                if self._buffer.startswith(b"--"):
                    self._state, self._buffer = "done", b""
                    return
                self._state = "headers"
            if self._state == "headers":
                end = self._buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(self._buffer) > self.MAX_HEADER_BYTES:
                        raise ValueError("multipart part headers too long")
                    return
                headers = self._buffer[:end].decode("latin-1").lower()
                self._buffer = self._buffer[end + 4 :]
                if not self._file_seen and ("filename=" in headers or 'name="file"' in headers):
                    self._in_file = self._file_seen = True
                self._state = "body"
