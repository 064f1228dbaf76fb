"""Replicas on PostgreSQL against one host on SQLite: the same command burst and the same digests.

Run A: 1 `lexer-bot serve --no-scheduler --workers 1` and 1 `lexer-bot clock` on a SQLite file.
Run B: 3 web replicas and 2 clocks on one PostgreSQL database (a throwaway cluster this script starts
from the machine's PostgreSQL binaries). Both are bench/chaos.py's fleet without the kills: the Lexer
sandbox at its real rate limit and the Slack stand-in on loopback, `--digests` subscriptions falling due
over `--minutes`, `--bursts` bursts of `--commands` signed /lexer commands (round-robin over the web
replicas, as a load balancer would; a minute apart, each half a minute after a digest slot, so both runs
meet the same background) and `--exports` exports.

Prints, for each run, digests / exports / commands done once, twice or never, alert posts, Lexer's most
requests in any 300 s window, the ack p50/p99 (of each burst too) and the CPU each kind of process used;
then the ack p99 ratio, the median of the bursts' p99s on each side (target: PostgreSQL <= 1.3x SQLite) and the store's queries per command (one in-process bot per backend answering the same commands,
its statements counted by the store).

    python bench/replicas.py [--minutes 5] [--digests 500] [--commands 1000] [--bursts 3] [--exports 3]
                             [--command-days 5] [--drain-s 900]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos import Figures, run  # noqa: E402
from bot.config import SANDBOX_TOKEN, Settings  # noqa: E402
from bot.sandbox.pg_cluster import INSTALL_HINT, Cluster, find_bin  # noqa: E402

TARGET_RATIO = 1.3
SAMPLE_COMMANDS = ("team yesterday", "summary yesterday", "team last-week", "summary 2026-11-02", "sla yesterday")


def queries_per_command(database: str, commands: int = 40) -> float:
    """One in-process bot on `database` answering `commands` /lexer commands; store statements per command."""
    import time
    import urllib.parse

    import httpx
    from slack_sdk.signature import SignatureVerifier

    from bot.cli import build_served
    from bot.sandbox.lexer_app import LexerSandbox
    from bot.sandbox.server import serve_in_thread
    from bot.sandbox.slack_standin import SlackStandIn

    secret = "replicas-signing-secret-0123456789"
    lexer, slack = LexerSandbox(), SlackStandIn(bot_token="xoxb-replicas")
    lexer_srv, slack_srv = serve_in_thread(lexer), serve_in_thread(slack)
    lexer.base_url, slack.base_url = lexer_srv.url, slack_srv.url
    slack.add_user("UADMIN01", name="ada", tz="Australia/Sydney")
    slack.add_channel("C0GENERAL", "general", member=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            lexer_api_token=SANDBOX_TOKEN,
            lexer_api_url=f"{lexer_srv.url}/v1",
            lexer_status_url=f"{lexer_srv.url}/api/public/v1/activity/reports/status",
            slack_bot_token="xoxb-replicas",
            slack_signing_secret=secret,
            slack_api_url=f"{slack_srv.url}/api/",
            db_path=database or str(Path(tmp) / "q.db"),
            admins=frozenset({"UADMIN01"}),
        )
        running, wsgi = build_served(settings, scheduler=False)
        web = serve_in_thread(wsgi)
        store = running.deps.store
        verifier = SignatureVerifier(secret)
        keys = []
        try:
            time.sleep(0.5)  # the process's own start-up queries are not the commands'
            before = store.queries()
            for i in range(commands):
                key = f"q-{i}"
                keys.append(key)
                form = {
                    "team_id": "T0TEST",
                    "channel_id": "C0GENERAL",
                    "user_id": "UADMIN01",
                    "command": "/lexer",
                    "text": SAMPLE_COMMANDS[i % len(SAMPLE_COMMANDS)],
                    "response_url": slack.new_response_url(key),
                    "trigger_id": "1.2.abc",
                }
                body = urllib.parse.urlencode(form)
                ts = str(int(time.time()))
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Slack-Request-Timestamp": ts,
                    "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
                }
                httpx.post(f"{web.url}/slack/events", content=body.encode(), headers=headers, timeout=10)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not all(
                any(
                    not (b.get("text") or "").startswith(("Queued", ":hourglass", "Working"))
                    for b in slack.responses(k)
                )
                for k in keys
            ):
                time.sleep(0.1)
            used = store.queries() - before
        finally:
            running.stop()
            web.stop()
            lexer_srv.stop()
            slack_srv.stop()
    return used / commands


def summary(name: str, figures: Figures) -> list[str]:
    return [f"== {name}", *("  " + line for line in figures.lines())]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--digests", type=int, default=500)
    ap.add_argument("--commands", type=int, default=1000)
    ap.add_argument("--exports", type=int, default=3)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--command-days", type=int, default=5, help="distinct days the commands ask about")
    ap.add_argument(
        "--bursts", type=int, default=3, help="bursts of --commands, a minute apart (the p99 is their median)"
    )
    ap.add_argument("--drain-s", type=float, default=900, help="how long to wait for the last answers and exports")
    args = ap.parse_args()
    if find_bin() is None:
        print(INSTALL_HINT)
        return 2
    per_minute = max(1, round(args.digests / max(1, int(args.minutes))))
    common = dict(
        minutes=args.minutes,
        subs_per_minute=per_minute,
        exports=args.exports,
        commands=args.commands,
        kill_every=None,
        seed=args.seed,
        command_burst=True,
        # a burst is many people asking a few questions (yesterday's summary, the last few days): the distinct
        # ones share Lexer's 100 requests per 5 minutes with the digests
        command_days=args.command_days,
        drain_s=args.drain_s,
        bursts=args.bursts,
        log=lambda *a: print(*a, flush=True),
    )
    cluster = Cluster().start()
    try:
        sqlite = run(webs=1, clocks=1, database=None, **common)  # type: ignore[arg-type]
        pg = run(
            webs=3,
            clocks=2,
            database=cluster.url(cluster.create_database()),
            database_pids=cluster.pids,
            **common,  # type: ignore[arg-type]
        )
        q_sqlite = queries_per_command(None)  # type: ignore[arg-type]
        q_pg = queries_per_command(cluster.url(cluster.create_database()))
    finally:
        cluster.stop()
    lines = [*summary("SQLite: 1 web, 1 clock", sqlite), *summary("PostgreSQL: 3 web, 2 clocks", pg)]
    ratio = pg.burst_p99() / sqlite.burst_p99() if sqlite.burst_p99() else float("inf")
    lines += [
        f"ack p99        (median of {args.bursts} bursts) SQLite {sqlite.burst_p99():.1f} ms,"
        f" PostgreSQL {pg.burst_p99():.1f} ms: ratio {ratio:.2f} (target <= {TARGET_RATIO})",
        f"store queries  per command: SQLite {q_sqlite:.1f}, PostgreSQL {q_pg:.1f}",
    ]
    met = sqlite.target_met() and pg.target_met() and ratio <= TARGET_RATIO
    lines.append("target met" if met else "TARGET MISSED")
    print("\n".join(lines))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
