"""The multipart/form-data reader: the file part is found whatever the chunk boundaries."""

from __future__ import annotations

import pytest

from bot.sandbox.slack_standin import MultipartFileParser


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 64, 65536])
def test_multipart_parser_finds_the_file_across_chunk_splits(chunk_size):
    boundary = b"XyZ123"
    payload = b"\r\n--XyZ12 almost a boundary\r\nx--XyZ123-- not after a line break\r\n\r" * 3
    body = (
        b'--XyZ123\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
        b'--XyZ123\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + payload + b"\r\n--XyZ123--\r\n"
    )
    received = []
    parser = MultipartFileParser(boundary, received.append)
    for i in range(0, len(body), chunk_size):
        parser.feed(body[i : i + chunk_size])
    assert b"".join(received) == payload
