"""A throwaway PostgreSQL cluster for tests and benchmarks: initdb and pg_ctl in a temporary directory, on a
free loopback port, from the PostgreSQL binaries on the machine (Debian's `postgresql` package).

initdb refuses to run as root, so as root the cluster belongs to the `postgres` user (runuser). The cluster
trades durability for speed (fsync off): it holds nothing worth keeping.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

INSTALL_HINT = "PostgreSQL binaries not found: `apt-get install postgresql` (Debian) or set LEXERBOT_PG_BIN"
USER = "lexerbot"


def find_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, or None."""
    candidates = [os.environ.get("LEXERBOT_PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(str(Path(which).parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One running cluster; `url(name)` for a database in it (the password is in the URL, as a user gives it)."""

    def __init__(self, bin_dir: Path | None = None):
        found = bin_dir or find_bin()
        if found is None:
            raise FileNotFoundError(INSTALL_HINT)
        self.bin = found
        self.port = free_port()
        self.password = "pg-" + secrets.token_hex(8)
        self.dir = Path(tempfile.mkdtemp(prefix="lexerbot-pg-"))
        self.data = self.dir / "data"
        self._as_postgres = os.geteuid() == 0
        self._count = 0

    def _run(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> Cluster:
        """Create the cluster and start its server; after halt(), start the same server again (same port and data)."""
        if not (self.data / "PG_VERSION").exists():
            self._init()
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -F -c full_page_writes=off"
            " -c synchronous_commit=off -c max_connections=300 -c shared_buffers=128MB"
        )
        self._run(self.bin / "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start")
        return self

    def halt(self) -> None:
        """Stop the server and keep its data (a database restart or outage): start() brings it back as it was.

        `fast`, as a service manager stops PostgreSQL: every session is ended, and clients' kept connections are
        broken (each fails on its next use)."""
        self._run(self.bin / "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _init(self) -> None:
        os.chmod(self.dir, 0o755)
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password)
        if self._as_postgres:
            shutil.chown(self.dir, "postgres")
            shutil.chown(pwfile, "postgres")
        self._run(
            self.bin / "initdb",
            "-D",
            str(self.data),
            "-U",
            USER,
            "--pwfile",
            str(pwfile),
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--locale=C",
            "-E",
            "UTF8",
            "--no-sync",
        )
        pwfile.unlink()

    def pids(self) -> list[int]:
        """The server's processes (the postmaster and its children: a backend per connection), for CPU figures."""
        try:
            postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
            children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        except (OSError, ValueError, IndexError):
            return []
        return [postmaster, *(int(c) for c in children)]

    def url(self, name: str = "postgres") -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{name}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of `template`); returns its name."""
        self._count += 1
        name = f"db{self._count}_{secrets.token_hex(3)}"
        self.admin(f'create database "{name}"' + (f' template "{template}"' if template else ""))
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f'drop database if exists "{name}" with (force)')

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():  # not after halt()
                self._run(self.bin / "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
