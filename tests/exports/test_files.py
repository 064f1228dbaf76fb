"""The temporary CSV: counting rows as bytes stream past, and no file left behind."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import pytest

from bot.features.exports import RowCounter
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
        assert queue_of(bot.running).wait_idle(20)
        time.sleep(0.05)
        assert list(tmp.glob("*.csv")) == []  # only the running queue's lock file is left
    finally:
        stop()


def test_temp_files_of_dead_processes_are_removed_at_start_even_where_pids_repeat(settings, tmp_path):
    """Failed before: a file named with a pid that is alive again (a container's pid 1, here our own) was kept."""
    import subprocess
    import sys

    tmp = tmp_path / "exports-tmp"
    tmp.mkdir()
    # a process that held its lock and then died (killed: no cleanup), and one whose token has no lock at all
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from bot.features.exports.files import OwnerLock; OwnerLock('deadbeef', {str(tmp)!r}).acquire()",
        ],
        check=True,
    )
    assert (tmp / "lexer-export-wdeadbeef.lock").exists()
    left = tmp / "lexer-export-7-wdeadbeef-abc.csv"
    reused_pid = tmp / f"lexer-export-8-w{os.getpid()}x-abc.csv"  # a pid that lives again, but not its owner
    for path in (left, reused_pid):
        path.write_text("a,b\n")
    live = start_process(settings, export_options=replace(FAST, temp_dir=str(tmp)))
    mine = tmp / f"lexer-export-9-w{queue_of(live).token}-abc.csv"
    mine.write_text("a,b\n")
    running = start_process(settings, export_options=replace(FAST, temp_dir=str(tmp)))
    try:
        assert not left.exists() and not reused_pid.exists() and not (tmp / "lexer-export-wdeadbeef.lock").exists()
        assert mine.exists()  # its owner holds its lock
    finally:
        running.stop()
        live.stop()
