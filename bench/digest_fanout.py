"""500 digest subscriptions due at the same minute across 3 timezones, on the sandbox and the Slack stand-in.

Both are served on loopback; the bot is assembled as `lexer-bot clock` builds
it (bot.cli.build_deps) and each digest runs through the scheduler's job function
(digests.schedule.run_scheduled_digest) on the scheduler's thread pool size.
Prints the Lexer requests (target: one per distinct query, never over the
rate limit), Slack calls, wall time and render time per digest.

    python bench/digest_fanout.py [--subs 500] [--threads 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cli import build_deps  # noqa: E402
from bot.config import SANDBOX_TOKEN, Settings  # noqa: E402
from bot.lexer.rate_limit import RATE_LIMIT, RATE_WINDOW_S  # noqa: E402
from bot.sandbox.lexer_app import LexerSandbox  # noqa: E402
from bot.sandbox.server import serve_in_thread  # noqa: E402
from bot.sandbox.slack_standin import SlackStandIn  # noqa: E402
from digests.schedule import EXECUTOR_THREADS, run_scheduled_digest  # noqa: E402

ZONES = ("Australia/Sydney", "America/New_York", "Europe/London")
NPS_FORMS = (55, 61)
BOT_TOKEN = "xoxb-bench-token"


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subs", type=int, default=500)
    ap.add_argument("--threads", type=int, default=EXECUTOR_THREADS)
    args = ap.parse_args()

    sandbox = LexerSandbox(rate_limit=RATE_LIMIT, rate_window_s=RATE_WINDOW_S)
    slack = SlackStandIn(bot_token=BOT_TOKEN)
    lexer_srv, slack_srv = serve_in_thread(sandbox, threads=32), serve_in_thread(slack, threads=32)
    sandbox.base_url, slack.base_url = lexer_srv.url, slack_srv.url
    tmp = tempfile.TemporaryDirectory()
    try:
        settings = Settings(
            lexer_api_token=SANDBOX_TOKEN,
            lexer_api_url=f"{lexer_srv.url}/v1",
            lexer_status_url=f"{lexer_srv.url}/api/public/v1/activity/reports/status",
            slack_bot_token=BOT_TOKEN,
            slack_api_url=f"{slack_srv.url}/api/",
            db_path=str(Path(tmp.name) / "bench.db"),
            admins=frozenset({"UADMIN01"}),
        )
        slack.add_user("UADMIN01", name="ada", tz="Australia/Sydney")
        deps = build_deps(settings)

        # the minute they are all due: the last one to have passed, as local wall times in each zone
        due = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        subs = []
        for i in range(args.subs):
            zone = ZONES[i % len(ZONES)]
            channel = f"C{i:08d}"
            slack.add_channel(channel, f"team-{i}", member=True)
            kind = "nps" if i % 5 in (1, 3) else "sla"
            subs.append(
                deps.store.subscriptions.add(
                    kind=kind,
                    channel_id=channel,
                    cadence="daily",
                    at_time=due.astimezone(ZoneInfo(zone)).strftime("%H:%M"),
                    tz=zone,
                    created_by="UADMIN01",
                    form_id=NPS_FORMS[(i // 5) % 2] if kind == "nps" else None,
                )
            )

        render_times: list[float] = []
        lock = threading.Lock()
        real_render = deps.renderer.render

        def timed_render(ctx):
            t0 = time.perf_counter()
            try:
                return real_render(ctx)
            finally:
                with lock:
                    render_times.append(time.perf_counter() - t0)

        deps.renderer.render = timed_render  # type: ignore[method-assign]
        sandbox.reset_counters()

        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(lambda s: run_scheduled_digest(deps, s.id), subs))
        wall = time.perf_counter() - t0

        statuses = Counter(r["status"] for r in deps.store.db.query("select status from digest_runs"))
        reqs = list(sandbox.requests)
        api_reqs = [r for r in reqs if r["path"].startswith("/v1")]
        bodies = {(r["method"], r["path"], json.dumps(r.get("body"), sort_keys=True)) for r in api_reqs}
        status_429 = sum(1 for r in reqs if r.get("status") == 429)
        report_types = Counter(r.get("type") or r["path"] for r in api_reqs)
        arrivals = [r["at"].timestamp() if hasattr(r["at"], "timestamp") else float(r["at"]) for r in api_reqs]
        calls = Counter(c.method for c in slack.calls)
        posted_channels = sum(1 for s in subs if slack.messages(s.channel_id))

        print(
            f"subscriptions: {len(subs)} due at {due:%H:%M} UTC across {', '.join(ZONES)} "
            f"({sum(s.kind == 'sla' for s in subs)} SLA, {sum(s.kind == 'nps' for s in subs)} NPS)"
        )
        print(f"digest runs: {dict(statuses)}; channels with a digest: {posted_channels}")
        print(
            f"Lexer requests: {len(api_reqs)} for {len(bodies)} distinct queries "
            f"(ratio {len(api_reqs) / max(1, len(bodies)):.2f}); 429s: {status_429}; "
            f"max in any {int(RATE_WINDOW_S)} s window: {max_in_window(arrivals, RATE_WINDOW_S)} "
            f"(limit {RATE_LIMIT})"
        )
        print(f"  by report: {dict(sorted(report_types.items()))}")
        print(f"Slack calls: {sum(calls.values())} {dict(calls)}")
        print(f"wall time: {wall:.2f} s with {args.threads} threads ({wall / len(subs) * 1000:.1f} ms per digest)")
        if render_times:
            print(
                f"render time per digest: mean {statistics.mean(render_times) * 1000:.2f} ms, "
                f"median {statistics.median(render_times) * 1000:.2f} ms, max {max(render_times) * 1000:.2f} ms"
            )
        ok = statuses.get("posted", 0) == len(subs) and len(api_reqs) == len(bodies) and status_429 == 0
        print("OK" if ok else "TARGET MISSED")
        deps.api.http.close()
        return 0 if ok else 1
    finally:
        lexer_srv.stop()
        slack_srv.stop()
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
