"""1,000 /lexer commands in 60 s from 20 users over 200 distinct queries, while 50 digests are due.

Everything runs on loopback in this process (threads): the Lexer sandbox at its real
limit (100 requests per 300 s), the Slack stand-in, `lexer-bot serve`'s WSGI app and,
for the ack baseline, a bare Bolt app that only acks. `--scale S` divides every
duration (Lexer's window, the 60 s of sending, "a minute late") by S, so the run takes
minutes instead of ~12. Prints acks over 3 s, ack p99 against the bare app, commands
answered and when the last answer came (against the minimum the limit allows),
refusals, 429s, the most requests in any window, digests later than a minute, and the
per-user time to first answer (max / median).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
USERS = [f"UBURST{i:02d}" for i in range(20)]
TIMEZONES = ["UTC", "Australia/Sydney", "America/New_York", "Europe/Berlin", "Asia/Tokyo"]


def signed(url: str, user: str, text: str, response_url: str) -> tuple[float, str]:
    body = urllib.parse.urlencode(
        {"command": "/lexer", "text": text, "user_id": user, "channel_id": "C0BURST", "response_url": response_url}
    )
    ts = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    started = time.perf_counter()
    r = httpx.post(
        f"{url}/slack/events",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
        },
        timeout=30,
    )
    return time.perf_counter() - started, r.text


def bare_bolt(slack_url: str):
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    app = App(
        client=WebClient(token=TOKEN, base_url=slack_url), signing_secret=SECRET, token_verification_enabled=False
    )
    app.command("/lexer")(lambda ack: ack())
    return SlackRequestHandler(app)


def most_in_window(times: list[float], window: float) -> int:
    times, best, j = sorted(times), 0, 0
    for i in range(len(times)):
        while times[i] - times[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


def main() -> None:
    from bot.cli import build_served
    from bot.config import SANDBOX_TOKEN, Settings
    from bot.lexer.build import build_activity_client
    from bot.sandbox.lexer_app import LexerSandbox
    from bot.sandbox.server import serve_in_thread
    from bot.sandbox.slack_standin import SlackStandIn
    from bot.store import open_store
    from digests.jobs import send_digest
    from digests.reservations import reservations

    p = argparse.ArgumentParser()
    p.add_argument("--scale", type=float, default=1.0, help="divide every duration by this (1 = real limit)")
    p.add_argument("--commands", type=int, default=1000)
    args = p.parse_args()
    window, spread, late_s = 300.0 / args.scale, 60.0 / args.scale, 60.0 / args.scale
    rng = random.Random(11)

    lexer = LexerSandbox(rate_limit=100, rate_window_s=window)
    lexer_h = serve_in_thread(lexer)
    lexer.base_url = lexer_h.url
    slack = SlackStandIn(bot_token=TOKEN)
    slack_h = serve_in_thread(slack)
    slack.base_url = slack_h.url
    for user in USERS:
        slack.add_user(user, tz="UTC")
    for n in range(50):
        slack.add_channel(f"C0DIG{n:03d}", f"digest-{n}", member=True)
    slack.add_channel("C0BURST", "burst", member=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            lexer_api_token=SANDBOX_TOKEN,
            lexer_api_url=f"{lexer_h.url}/v1",
            lexer_status_url=f"{lexer_h.url}/api/public/v1/activity/reports/status",
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=f"{slack_h.url}/api/",
            db_path=str(Path(tmp) / "burst.db"),
        )
        store = open_store(settings.db_path)
        due = (datetime.now(timezone.utc) + timedelta(seconds=spread / 2 + 60)).replace(second=0, microsecond=0)
        subs = [
            store.subscriptions.add(
                kind="sla",
                channel_id=f"C0DIG{n:03d}",
                cadence="daily",
                at_time=due.astimezone(__import__("zoneinfo").ZoneInfo(TIMEZONES[n % 5])).strftime("%H:%M"),
                tz=TIMEZONES[n % 5],
                created_by="UADMIN",
            )
            for n in range(50)
        ]
        api = build_activity_client(
            settings,
            store,
            rate_window_s=window,
            reservations=lambda now: reservations(store, now, window),
            waiting=store.command_queue.waiting,
        )
        running, wsgi = build_served(settings, scheduler=False, api=api, store=store)
        bot_h = serve_in_thread(wsgi)
        bare_h = serve_in_thread(bare_bolt(f"{slack_h.url}/api/"))
        days = [(datetime(2026, 1, 1) + timedelta(days=d)).date().isoformat() for d in range(200)]
        plan = sorted(
            (rng.uniform(0, spread), rng.choice(USERS), f"summary {rng.choice(days)}") for _ in range(args.commands)
        )
        lexer.reset_counters()
        t0 = time.time()

        def run_digests():
            time.sleep(max(0.0, due.timestamp() - time.time()))
            with ThreadPoolExecutor(10) as pool:
                list(pool.map(lambda sub: send_digest(running.deps, sub.id, due.astimezone(sub.zone)), subs))

        digest_thread = threading.Thread(target=run_digests, daemon=True)
        digest_thread.start()

        def send(item):
            at, user, text = item
            time.sleep(max(0.0, t0 + at - time.time()))
            key = f"burst-{int(at * 1e6)}-{user}"
            ack, body = signed(bot_h.url, user, text, slack.new_response_url(key))
            bare_key = slack.new_response_url(f"bare-{key}")
            bare_ack, _ = signed(bare_h.url, user, text, bare_key)
            return key, user, at, ack, bare_ack, body

        with ThreadPoolExecutor(50) as pool:
            sent = list(pool.map(send, plan))
        keys = {key: (user, at) for key, user, at, *_ in sent}
        refusals = sum(1 for *_, body in sent if "Try again" in body)
        deadline = time.time() + 4 * window + 120
        answered: dict[str, float] = {}
        while time.time() < deadline and len(answered) < len(keys) - refusals:
            with slack.lock:
                bodies = list(slack.response_bodies)
            for key, body in bodies:
                if key in keys and key not in answered and not str(body.get("text", "")).startswith("Queued"):
                    answered[key] = time.time() - t0
            time.sleep(0.5)
        digest_thread.join(timeout=window)
        acks = [s[3] for s in sent]
        bare = [s[4] for s in sent]
        p99 = statistics.quantiles(acks, n=100)[98]
        bare_p99 = statistics.quantiles(bare, n=100)[98]
        sends = [r["at"].timestamp() for r in lexer.requests]
        report_count = len(lexer.requests)
        minimum = max(0, (report_count - 1) // 100) * window
        late = 0
        for sub in subs:
            runs = store.digest_runs.runs_for(sub.id)
            posted = [r for r in runs if r.get("posted_at")]
            if not posted or datetime.fromisoformat(posted[0]["posted_at"]).timestamp() - due.timestamp() > late_s:
                late += 1
        first: dict[str, float] = {}
        for key, t in answered.items():
            user, at = keys[key]
            first[user] = min(first.get(user, 1e9), t - at)
        fair = max(first.values()) / max(1e-9, statistics.median(first.values())) if first else float("nan")
        last = max(answered.values()) if answered else float("nan")
        print(f"scale                   : {args.scale:g} (window {window:.0f} s; machine shared)")
        print(f"acks over 3 s           : {sum(1 for a in acks if a > 3)}   (target 0)")
        print(
            f"ack p99                 : {p99 * 1000:.0f} ms vs bare Bolt {bare_p99 * 1000:.0f} ms, ratio {p99 / bare_p99:.2f}   (target <= 1.3)"
        )
        print(f"commands answered       : {len(answered)} of {len(keys)}")
        print(
            f"last answer             : {last:.0f} s; minimum the limit allows ~{minimum:.0f} s for {report_count} requests"
        )
        print(f"refusals                : {refusals}   (target 0)")
        print(f"429s                    : {sum(1 for r in lexer.requests if r['status'] == 429)}   (target 0)")
        print(f"most in any window      : {most_in_window(sends, window)}   (<= 100)")
        print(f"digests over a minute late: {late} of {len(subs)}   (target 0)")
        print(f"first answer max/median : {fair:.2f} across {len(first)} users")
        running.stop()
        for h in (bot_h, bare_h, slack_h, lexer_h):
            h.stop()


if __name__ == "__main__":
    main()
