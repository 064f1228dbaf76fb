"""The export's temporary CSV on disk: its name, counting its rows, removing what a killed process left.

Each queue holds an flock on `lexer-export-w{TOKEN}.lock` while it runs, and its
CSVs carry the same token. The kernel drops the lock when the process dies, so a
later start can tell a dead owner's files even in containers, where pids repeat.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

TEMP_PREFIX = "lexer-export-"


class RowCounter:
    """Counts CSV rows while the bytes stream past: newlines minus the header line."""

    def __init__(self) -> None:
        self.newlines = 0
        self.size = 0
        self.last_byte = b""

    def feed(self, chunk: bytes) -> None:
        if chunk:
            self.newlines += chunk.count(b"\n")
            self.size += len(chunk)
            self.last_byte = chunk[-1:]

    @property
    def rows(self) -> int:
        lines = self.newlines + (1 if self.size and self.last_byte != b"\n" else 0)
        return max(0, lines - 1)


def temp_folder(temp_dir: str | None) -> Path:
    return Path(temp_dir or tempfile.gettempdir())


def lock_path(token: str, temp_dir: str | None) -> Path:
    return temp_folder(temp_dir) / f"{TEMP_PREFIX}w{token}.lock"


class OwnerLock:
    """The flock that says this queue's temporary files are in use; released by the kernel if the process dies."""

    def __init__(self, token: str, temp_dir: str | None):
        self.path = lock_path(token, temp_dir)
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # locked under a name no cleanup looks at, then renamed: the lock's name never shows an unlocked file
        fd, staging = tempfile.mkstemp(prefix=".lexer-lock-", dir=self.path.parent)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.replace(staging, self.path)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None


def owner_gone(token: str, temp_dir: str | None) -> bool:
    """True when no live process holds the lock of this token (a missing lock file counts as gone)."""
    path = lock_path(token, temp_dir)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing drops the lock if we took it
    return True


def temp_csv_path(job_id: int, token: str, temp_dir: str | None) -> Path:
    """A new empty temporary file for one job's CSV, named with its owner's token."""
    fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{job_id}-w{token}-", suffix=".csv", dir=temp_dir)
    os.close(fd)
    return Path(name)


def remove_orphaned_temp_files(temp_dir: str | None) -> list[str]:
    """Delete temporary CSVs (and lock files) whose owner no longer holds its lock (a crash skips `finally`)."""
    removed = []
    folder = temp_folder(temp_dir)
    gone: dict[str, bool] = {}
    for path in folder.glob(f"{TEMP_PREFIX}*-w*-*.csv"):
        token = path.name.split("-w", 1)[1].split("-", 1)[0]
        if token not in gone:
            gone[token] = owner_gone(token, temp_dir)
        if gone[token]:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    for lock in folder.glob(f"{TEMP_PREFIX}w*.lock"):
        token = lock.name[len(TEMP_PREFIX) + 1 : -len(".lock")]
        if gone.get(token, None) is None:
            gone[token] = owner_gone(token, temp_dir)
        if gone[token]:
            lock.unlink(missing_ok=True)
    return removed


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True
