"""CPU-seconds by kind of process (Linux /proc), sampled while a bench's fleet runs (bench/chaos.py)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

CPU_KINDS = ("web", "workers", "clocks", "database")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cpu_s(pid: int) -> float | None:
    """User + system CPU-seconds a process has used (Linux /proc); None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Samples the CPU each kind of process has used (the web processes, their command workers, the clocks and
    the database server's processes), keeping each process's last reading so one that exits still counts."""

    def __init__(self, kinds: Callable[[], dict[str, list[int]]], every_s: float = 0.5):
        self.kinds, self.every_s = kinds, every_s
        self.seen: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="cpu-meter", daemon=True)

    def sample(self) -> None:
        with self._lock:
            for kind, pids in self.kinds().items():
                for pid in pids:
                    cpu = _cpu_s(pid)
                    if cpu is not None:
                        self.seen[(kind, pid)] = cpu

    def totals(self) -> dict[str, float]:
        self.sample()
        out: dict[str, float] = {}
        for (kind, _), cpu in self.seen.items():
            out[kind] = out.get(kind, 0.0) + cpu
        return out

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.sample()
            except Exception:  # a process list read mid-change: the next sample counts it
                pass

    def start(self) -> CpuMeter:
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _minus(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {k: a.get(k, 0.0) - b.get(k, 0.0) for k in a}
