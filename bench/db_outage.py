"""A PostgreSQL outage under a running fleet: `serve` (with a command worker) and `clock` as real processes on a
throwaway cluster, the database stopped for --outage seconds (5 s before a minute of due digests), /lexer
commands sent while it is down. Prints: each process alive throughout, what /healthz said, the acks' times,
each command answered once, each due digest posted once, and how long after the database came back.

    python bench/db_outage.py [--outage 30] [--digests 5] [--commands 6]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402

from bench.fleet import (  # noqa: E402
    ADMIN,
    BOT_TOKEN,
    COMMAND_CHANNEL,
    DIGEST_CHANNELS,
    SIGNING_SECRET,
    USERS,
    Processes,
    digest_posts,
    free_port,
    is_final,
    wait_healthy,
)
from bot.config import SANDBOX_TOKEN  # noqa: E402
from bot.sandbox.lexer_app import LexerSandbox  # noqa: E402
from bot.sandbox.pg_cluster import Cluster  # noqa: E402
from bot.sandbox.server import serve_in_thread  # noqa: E402
from bot.sandbox.slack_standin import SlackStandIn  # noqa: E402
from bot.store import Store  # noqa: E402

ACK_LIMIT_S = 3.0
SETTLE_S = 90.0  # how long after the database is back every answer and digest must have arrived


def _command(url: str, standin: SlackStandIn, text: str, user: str, key: str) -> tuple[float, int]:
    form = urllib.parse.urlencode(
        {
            "team_id": "T0TEST",
            "channel_id": COMMAND_CHANNEL,
            "user_id": user,
            "command": "/lexer",
            "text": text,
            "api_app_id": "A0TEST",
            "response_url": standin.new_response_url(key),
            "trigger_id": "1.2.abc",
        }
    )
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=form),
    }
    start = time.perf_counter()
    r = httpx.post(f"{url}/slack/events", content=form.encode(), headers=headers, timeout=10)
    return time.perf_counter() - start, r.status_code


def run(outage_s: float = 30.0, digests: int = 5, commands: int = 6, log=print) -> bool:
    """One run; True when every process lived, every ack came in time, and everything was done exactly once."""
    cluster = Cluster().start()
    tmp = tempfile.TemporaryDirectory(prefix="lexer-outage-")
    workdir = Path(tmp.name)
    sandbox, standin = LexerSandbox(export_polls=1), SlackStandIn(bot_token=BOT_TOKEN)
    lexer_srv, slack_srv = serve_in_thread(sandbox), serve_in_thread(standin)
    sandbox.base_url, standin.base_url = lexer_srv.url, slack_srv.url
    for user in USERS:
        standin.add_user(user, name=user.lower(), tz="UTC")
    for channel in (*DIGEST_CHANNELS, COMMAND_CHANNEL):
        standin.add_channel(channel, channel.lower(), member=True)
    url = cluster.url(cluster.create_database())
    store = Store(url)
    store.migrate()
    # the digests' minute: the next one at least 40 s away (the processes start, then the database stops 5 s
    # before it)
    fire = (datetime.now(timezone.utc) + timedelta(seconds=100)).replace(second=0, microsecond=0)
    for i in range(digests):
        store.subscriptions.add(
            kind="sla",
            channel_id=DIGEST_CHANNELS[i % len(DIGEST_CHANNELS)],
            cadence="daily",
            at_time=fire.strftime("%H:%M"),
            tz="UTC",
            created_by=ADMIN,
        )
    store.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEXER", "SLACK", "PORT"))}
    env.update(
        PYTHONPATH=str(ROOT),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=f"{slack_srv.url}/api/",
        LEXER_API_TOKEN=SANDBOX_TOKEN,
        LEXER_API_URL=f"{lexer_srv.url}/v1",
        LEXER_STATUS_URL=f"{lexer_srv.url}/api/public/v1/activity/reports/status",
        LEXERBOT_DB=url,
        LEXERBOT_ADMINS=ADMIN,
    )
    procs = Processes(env, workdir, [port], 1, log, random.Random(1))
    web = f"http://127.0.0.1:{port}"
    try:
        procs.start()
        wait_healthy(port)
        time.sleep(max(0.0, (fire - timedelta(seconds=5) - datetime.now(timezone.utc)).total_seconds()))
        log(f"database stopped at {datetime.now(timezone.utc):%H:%M:%S} for {outage_s:g} s; digests due {fire:%H:%M}")
        cluster.halt()
        down_at = time.monotonic()
        health: list[tuple[int, str]] = []
        acks: list[tuple[float, int]] = []
        keys = [f"cmd-{i}" for i in range(commands)]
        senders = []
        for i, key in enumerate(keys):  # spread over the outage, each on its own thread (Slack sends at once)
            at = down_at + (i + 1) * outage_s / (commands + 1)
            while time.monotonic() < at:
                try:
                    h = httpx.get(f"{web}/healthz", timeout=5)
                    json_body = h.headers.get("content-type", "").startswith("application/json")
                    health.append((h.status_code, h.json().get("database", "?") if json_body else h.text[:40]))
                    assert cluster.password not in h.text
                except httpx.HTTPError as exc:
                    health.append((0, type(exc).__name__))
                time.sleep(1.0)
            t = threading.Thread(
                target=lambda k=key, u=USERS[i % len(USERS)]: acks.append(_command(web, standin, "summary", u, k))
            )
            t.start()
            senders.append(t)
        time.sleep(max(0.0, down_at + outage_s - time.monotonic()))
        cluster.start()
        up_at = time.monotonic()
        log(f"database started at {datetime.now(timezone.utc):%H:%M:%S}")
        for t in senders:
            t.join(15)

        def answered() -> dict[str, int]:
            return {k: sum(1 for b in standin.responses(k) if is_final(b)) for k in keys}

        deadline = up_at + SETTLE_S
        while time.monotonic() < deadline:
            if all(answered().values()) and len(digest_posts(standin)) >= digests:
                break
            time.sleep(0.5)
        done_after = time.monotonic() - up_at
        time.sleep(5)  # a second answer or post would come now
        alive = {"serve": procs.webs[0], "worker": None, "clock": procs.clocks[0]}
        workers = procs.worker_pids(0)
        lived = all(p is not None and p.poll() is None for p in (procs.webs[0], procs.clocks[0])) and bool(workers)
        answers, posts = answered(), digest_posts(standin)
        ack_times = sorted(s for s, _ in acks)
        unreachable = sum(1 for code, db in health if code == 503 and db == "unreachable")
        log(
            f"processes alive after the outage: serve {alive['serve'].poll() is None}, worker {bool(workers)}, "
            f"clock {alive['clock'].poll() is None}"
        )
        log(f"/healthz during the outage: {unreachable} of {len(health)} said 503 unreachable")
        log(
            f"acks during the outage: {len(acks)} of {commands}, slowest {ack_times[-1] if ack_times else 0:.2f} s "
            f"(all HTTP 200: {all(code == 200 for _, code in acks)})"
        )
        log(
            f"commands answered once: {sum(1 for n in answers.values() if n == 1)} of {commands} "
            f"(twice or more: {sum(1 for n in answers.values() if n > 1)})"
        )
        log(
            f"digests posted once: {sum(1 for n in posts.values() if n == 1)} of {digests} "
            f"(twice or more: {sum(1 for n in posts.values() if n > 1)})"
        )
        log(f"everything done {done_after:.1f} s after the database was back")
        return (
            lived
            and len(acks) == commands
            and all(code == 200 and s < ACK_LIMIT_S for s, code in acks)
            and unreachable > 0
            and all(n == 1 for n in answers.values())
            and len(posts) == digests
            and all(n == 1 for n in posts.values())
        )
    finally:
        procs.stop()
        lexer_srv.stop()
        slack_srv.stop()
        cluster.stop()
        tmp.cleanup()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outage", type=float, default=30.0, help="seconds the database is down")
    ap.add_argument("--digests", type=int, default=5)
    ap.add_argument("--commands", type=int, default=6)
    args = ap.parse_args()
    ok = run(args.outage, args.digests, args.commands)
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
