"""The export's temporary CSV on disk: its name, counting its rows, removing what a killed process left."""

from __future__ import annotations

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


def temp_csv_path(job_id: int, temp_dir: str | None) -> Path:
    """A new empty temporary file for one job's CSV."""
    # the pid in the name lets a later start remove what a killed process left behind
    fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{job_id}-p{os.getpid()}-", suffix=".csv", dir=temp_dir)
    os.close(fd)
    return Path(name)


def remove_orphaned_temp_files(temp_dir: str | None) -> list[str]:
    """Delete temporary CSVs of processes on this host that no longer run (a crash skips `finally`)."""
    removed = []
    folder = Path(temp_dir or tempfile.gettempdir())
    for path in folder.glob(f"{TEMP_PREFIX}*-p*-*.csv"):
        try:
            pid = int(path.name.split("-p", 1)[1].split("-", 1)[0])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not pid_alive(pid):
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True
