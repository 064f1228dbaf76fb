"""Peak memory of a CSV export end to end, at 100 MB and at 1 GB.

The Lexer sandbox (sized CSVs via export_size_bytes) and the Slack stand-in are
served by this process on loopback; each export runs in a fresh subprocess
(`/lexer export cases yesterday` through the command runner, the export worker,
download to a temporary file, streamed upload to the stand-in's upload URL,
files.completeUploadExternal), which reports its own peak RSS. Prints both
peaks and their ratio. Target: both under 100 MB and ratio <= 1.2 while the
file grows tenfold. Temporary files (up to ~1 GB on disk) are removed.
"""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (100_000_000, 1_000_000_000)
ADMIN = "UBENCH01"
TOKEN = "xoxb-bench-token"
TARGET_MB = 100.0
TARGET_RATIO = 1.2
CHILD_TIMEOUT_S = 900


def peak_rss_kb() -> int:
    """VmHWM: this process image's peak RSS (ru_maxrss would carry the forking parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(lexer_url: str, slack_url: str, work_dir: str) -> None:
    """One export in this process; prints a JSON line with its figures."""
    from zoneinfo import ZoneInfo

    from bot.cli import build_deps, start_process
    from bot.commands.answer import Asker
    from bot.config import Settings
    from bot.features.exports import ExportQueue, QueueOptions

    options = QueueOptions(poll_first_s=0.05, poll_max_s=0.2, temp_dir=str(Path(work_dir) / "tmp"))
    (Path(work_dir) / "tmp").mkdir()
    settings = Settings(
        lexer_api_token="sandbox-token",
        lexer_api_url=f"{lexer_url}/v1",
        lexer_status_url=f"{lexer_url}/api/public/v1/activity/reports/status",
        slack_bot_token=TOKEN,
        slack_api_url=f"{slack_url}/api/",
        db_path=str(Path(work_dir) / "bench.db"),
        admins=frozenset({ADMIN}),
    )
    running = start_process(build_deps(settings, export_options=options))
    baseline_kb = peak_rss_kb()
    started = time.monotonic()
    reply = running.runner.run("export cases yesterday", Asker(ADMIN, None, ZoneInfo("UTC"), is_admin=True))
    queue = next(w for w in running.workers if isinstance(w, ExportQueue))
    idle = queue.wait_idle(CHILD_TIMEOUT_S)
    seconds = time.monotonic() - started
    job = next(running.deps.store.db["export_jobs"].rows_where(order_by="id desc", limit=1), None) or {}
    queue.stop()
    print(
        json.dumps(
            {
                "peak_rss_kb": peak_rss_kb(),
                "baseline_kb": baseline_kb,
                "seconds": round(seconds, 1),
                "idle": idle,
                "state": job.get("state"),
                "error": job.get("error"),
                "size": job.get("size_bytes"),
                "rows": job.get("rows"),
                "token": job.get("report_token"),
                "reply": reply.message.get("text", "")[:80],
                "temp_left": [p.name for p in (Path(work_dir) / "tmp").iterdir()],
            }
        ),
        flush=True,
    )


def run_one(size: int, sandbox, standin, lexer_url: str, slack_url: str) -> dict:
    sandbox.export_size_bytes = size
    work_dir = tempfile.mkdtemp(prefix="lexer-export-bench-")
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", lexer_url, slack_url, work_dir],
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S + 60,
            cwd=str(ROOT),
        )
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            raise SystemExit(f"export of {size} bytes failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        result = json.loads(lines[-1])
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    upload = standin.uploads[-1] if standin.uploads else None
    result["delivered"] = bool(upload and upload.completed and upload.size == size)
    result["upload_sha256"] = upload.sha256 if upload else None
    return result


def sandbox_sha256(lexer_url: str, token: str) -> str:
    """The sandbox's own bytes for the child's export, hashed while streaming."""
    import httpx

    with httpx.Client(headers={"Auth-Api-Token": "sandbox-token"}, timeout=120) as http:
        url = http.get(f"{lexer_url}/api/public/v1/activity/reports/status", params={"token": token}).json()["url"]
        sha = hashlib.sha256()
        with http.stream("GET", url) as response:
            for chunk in response.iter_bytes(1 << 20):
                sha.update(chunk)
    return sha.hexdigest()


def main() -> int:
    from bot.sandbox.lexer_app import LexerSandbox
    from bot.sandbox.server import serve_in_thread
    from bot.sandbox.slack_standin import SlackStandIn

    sandbox = LexerSandbox(export_polls=1)
    standin = SlackStandIn(bot_token=TOKEN)
    lexer = serve_in_thread(sandbox)
    slack = serve_in_thread(standin)
    sandbox.base_url, standin.base_url = lexer.url, slack.url
    standin.add_user(ADMIN, name="bench", real_name="Bench Admin", tz="UTC")
    results = {}
    try:
        for size in SIZES:
            r = run_one(size, sandbox, standin, lexer.url, slack.url)
            label = f"{size // 1_000_000} MB"
            same = None
            if size <= 100_000_000:  # re-reading 1 GB only to hash it would double the run
                same = sandbox_sha256(lexer.url, r["token"]) == r["upload_sha256"]
            results[label] = r
            print(
                f"{label:>8}: peak RSS {r['peak_rss_kb'] / 1024:6.1f} MB (after imports {r['baseline_kb'] / 1024:5.1f} MB), "
                f"{r['seconds']:6.1f} s, state={r['state']}, rows={r['rows']}, delivered={r['delivered']}"
                + (f", sha256 matches={same}" if same is not None else "")
                + (f", temp files left={r['temp_left']}" if r["temp_left"] else ""),
                flush=True,
            )
            if r["state"] != "done":
                print(f"          error: {r['error']}")
    finally:
        lexer.stop()
        slack.stop()
    small, big = (results[f"{s // 1_000_000} MB"]["peak_rss_kb"] / 1024 for s in SIZES)
    ratio = big / small
    ok = (
        small < TARGET_MB
        and big < TARGET_MB
        and ratio <= TARGET_RATIO
        and all(r["delivered"] and r["state"] == "done" for r in results.values())
    )
    print(
        f"peak RSS 100 MB: {small:.1f} MB, 1 GB: {big:.1f} MB, ratio {ratio:.2f} "
        f"(target < {TARGET_MB:.0f} MB each, ratio <= {TARGET_RATIO}) -> {'OK' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
