"""The temporary CSV: counting rows as bytes stream past, and no file left behind."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import pytest

from bot.exports import RowCounter
from tests.conftest import ADMIN, start_process
from tests.exports.conftest import FAST, queue_of, start_bot


@pytest.mark.parametrize(
    "chunks, rows",
    [
        ([b""], 0),
        ([b"a,b\n"], 0),
        ([b"a,b\n1,2\n"], 1),
        ([b"a,b\n1,2\n3,4"], 2),  # no newline at the end
        ([b"a,b", b"\n1,", b"2\n", b"3,4\n"], 2),
        ([b"a,b\n" + b"1,2\n" * 1000], 1000),
    ],
)
def test_row_counter(chunks, rows):
    counter = RowCounter()
    for c in chunks:
        counter.feed(c)
    assert counter.rows == rows
    assert counter.size == sum(map(len, chunks))


def test_temporary_files_are_removed(sandbox, slack, settings, tmp_path):
    tmp = tmp_path / "exports-tmp"
    tmp.mkdir()
    slack.app.fail_next("upload", status=500, times=10)
    bot, stop = start_bot(settings, slack, replace(FAST, temp_dir=str(tmp)))
    try:
        bot.command("export cases yesterday", user_id=ADMIN)
        bot.command("export responses yesterday", user_id=ADMIN)
        assert queue_of(bot.deps).wait_idle(20)
        time.sleep(0.05)
        assert list(tmp.iterdir()) == []
    finally:
        stop()


def test_temp_files_of_dead_processes_are_removed_at_start(settings, tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    tmp = tmp_path / "exports-tmp"
    tmp.mkdir()
    left = tmp / f"lexer-export-7-p{int(dead.stdout)}-abc.csv"
    mine = tmp / f"lexer-export-8-p{os.getpid()}-abc.csv"
    left.write_text("a,b\n")
    mine.write_text("a,b\n")
    running = start_process(settings, export_options=replace(FAST, temp_dir=str(tmp)))
    try:
        assert not left.exists() and mine.exists()
    finally:
        running.stop()
