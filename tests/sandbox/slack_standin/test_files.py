"""File uploads: the upload URL flow, files_upload_v2, keeping bytes on disk, errors, streaming."""

from __future__ import annotations

import hashlib
import os
import tracemalloc

import httpx
import pytest
from slack_sdk import WebClient

from bot.sandbox.server import serve_in_thread
from bot.sandbox.slack_standin import SlackStandIn
from tests.sandbox.slack_standin.conftest import TOKEN, error_of, world


def _chunks(total: int, seed: bytes = b"lexer,"):
    block = (seed * 11000)[:65536]
    sent = 0
    while sent < total:
        piece = block[: min(len(block), total - sent)]
        sent += len(piece)
        yield piece


def _digest(total: int) -> str:
    sha = hashlib.sha256()
    for piece in _chunks(total):
        sha.update(piece)
    return sha.hexdigest()


@pytest.mark.parametrize("size", [0, 1, 300_000])
@pytest.mark.parametrize("as_multipart", [False, True])
def test_upload_flow(client, slack, size, as_multipart):
    dm = client.conversations_open(users="UALICE")["channel"]["id"]
    ticket = client.files_getUploadURLExternal(filename="cases.csv", length=size)
    assert ticket["upload_url"].startswith(slack.base_url + "/upload/F")
    if as_multipart:
        response = httpx.post(
            ticket["upload_url"],
            files={"file": ("cases.csv", b"".join(_chunks(size)), "text/csv")},
            data={"note": "ignored"},
        )
    else:
        response = httpx.post(ticket["upload_url"], content=_chunks(size))  # streamed, chunked
    assert (response.status_code, response.text) == (200, f"OK - {size}")
    done = client.files_completeUploadExternal(
        files=[{"id": ticket["file_id"], "title": "Cases"}], channel_id=dm, initial_comment="Your export"
    )
    assert done["files"][0]["id"] == ticket["file_id"] and done["files"][0]["title"] == "Cases"
    [upload] = slack.uploads
    assert (upload.size, upload.sha256, upload.length_declared) == (size, _digest(size), size)
    assert (upload.completed, upload.channel_id, upload.initial_comment, upload.title) == (
        True,
        dm,
        "Your export",
        "Cases",
    )
    [message] = slack.messages("UALICE")
    assert message["text"] == "Your export" and message["files"][0]["id"] == ticket["file_id"]


def test_files_upload_v2_end_to_end(client, slack, tmp_path):
    path = tmp_path / "nps.csv"
    path.write_bytes(b"id,score\n1,9\n")
    client.files_upload_v2(file=str(path), title="NPS", channel="CSUPPORT", initial_comment="NPS export")
    [upload] = slack.uploads
    assert (upload.size, upload.sha256, upload.completed) == (13, hashlib.sha256(path.read_bytes()).hexdigest(), True)


def test_uploads_can_be_kept_on_disk(tmp_path):
    standin = world(SlackStandIn(keep_uploads_dir=str(tmp_path / "kept")))
    with serve_in_thread(standin) as handle:
        standin.base_url = handle.url
        client = WebClient(base_url=handle.url + "/api/", token=TOKEN)
        ticket = client.files_getUploadURLExternal(filename="../sla responses.csv", length=5)
        httpx.post(ticket["upload_url"], content=b"a,b\n\n")
    [upload] = standin.uploads
    assert os.path.dirname(upload.path) == str(tmp_path / "kept")
    with open(upload.path, "rb") as f:
        assert f.read() == b"a,b\n\n"


def test_complete_upload_errors(client, slack):
    assert (
        error_of(lambda: client.files_completeUploadExternal(files=[{"id": "FNOPE"}])).response["error"]
        == "file_not_found"
    )
    ticket = client.files_getUploadURLExternal(filename="x.csv", length=1)
    # announced but never uploaded: there is nothing to share
    assert (
        error_of(lambda: client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}])).response["error"]
        == "file_not_found"
    )
    httpx.post(ticket["upload_url"], content=b"x")
    assert (
        error_of(
            lambda: client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="CNOPE")
        ).response["error"]
        == "invalid_channel"
    )


def test_upload_failure_injection_and_unknown_file(client, slack, url):
    ticket = client.files_getUploadURLExternal(filename="x.csv", length=3)
    slack.fail_next("upload", status=500)
    assert httpx.post(ticket["upload_url"], content=b"abc").status_code == 500
    assert httpx.post(ticket["upload_url"], content=b"abc").text == "OK - 3"
    assert httpx.post(url + "/upload/FNOPE", content=b"abc").status_code == 404
    assert [c.status for c in slack.calls_to("upload")] == [500, 200, 404]


def test_upload_streams_without_holding_the_body(client, slack):
    size = 16 * 1024 * 1024
    ticket = client.files_getUploadURLExternal(filename="big.csv", length=size)
    tracemalloc.start()
    try:
        response = httpx.post(ticket["upload_url"], content=_chunks(size))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.text == f"OK - {size}"
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes while streaming {size}"
