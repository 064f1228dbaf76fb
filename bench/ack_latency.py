"""Ack latency of `/lexer team last-week` against `lexer-bot serve`, beside a bare Bolt app that only acks.

500 signed slash-command requests, 50 concurrent, against each server, in one
run. Both servers are real processes on loopback with the same WSGI server;
Slack's Web API and response_url are a local stand-in served by this process.
Prints p50/p99 for both and the p99 ratio. Target: ratio <= 1.3, p99 < 100 ms,
every ack < 3 s.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
from pathlib import Path

import httpx
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
REQUESTS = 500
CONCURRENCY = 50

STANDIN = textwrap.dedent("""
    import signal, sys, threading
    from bot.web import serve_forever
    from bot.sandbox.slack_standin import SlackStandIn
    standin = SlackStandIn(bot_token=sys.argv[2], base_url=f"http://127.0.0.1:{sys.argv[1]}")
    for i in range(10):
        standin.add_user(f"UBENCH{i:02d}", tz="Australia/Sydney")
    for label in ("bare", "lexer-bot"):
        for i in list(range(int(sys.argv[3]))) + list(range(10000, 10005)):
            standin.new_response_url(f"{label}-{i}")
    def report(*_):
        print(len(standin.responses()), flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, report)
    serve_forever(standin, "127.0.0.1", int(sys.argv[1]), threads=32)
""")

BARE_APP = textwrap.dedent("""
    import sys
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient
    from bot.web import serve_forever
    app = App(client=WebClient(token=sys.argv[3], base_url=sys.argv[4]), signing_secret=sys.argv[2],
              token_verification_enabled=False)
    @app.command("/lexer")
    def only_ack(ack):
        ack()
    serve_forever(SlackRequestHandler(app), "127.0.0.1", int(sys.argv[1]))
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def signed_requests(host: str, standin_url: str, label: str, count: int, first: int = 0) -> list[bytes]:
    """Whole HTTP/1.1 requests, signed ahead of time so the load generator spends no CPU on HMACs."""
    verifier = SignatureVerifier(SECRET)
    users = [f"UBENCH{i:02d}" for i in range(10)]
    out = []
    for i in range(first, first + count):
        form = {
            "command": "/lexer",
            "text": "team last-week",
            "user_id": users[i % len(users)],
            "channel_id": "CBENCH",
            "team_id": "T0TEST",
            "response_url": f"{standin_url}/response/{label}-{i}",
            "trigger_id": "1.2.3",
            "api_app_id": "A0TEST",
        }
        body = urllib.parse.urlencode(form).encode()
        ts = str(int(time.time()))
        sig = verifier.generate_signature(timestamp=ts, body=body.decode())
        head = (
            f"POST /slack/events HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {sig}\r\n\r\n"
        ).encode()
        out.append(head + body)
    return out


async def _send_all(port: int, requests: list[bytes], concurrency: int) -> list[float]:
    """`concurrency` keep-alive connections, each sending its share of requests one after another."""
    queue: asyncio.Queue = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    latencies: list[float] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not queue.empty():
                raw = queue.get_nowait()
                t0 = time.perf_counter()
                writer.write(raw)
                await writer.drain()
                status = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if length:
                    await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                if b" 200 " not in status:
                    raise SystemExit(f"HTTP answer {status!r}")
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def fire(url: str, standin_url: str, label: str) -> list[float]:
    port = int(url.rsplit(":", 1)[1])
    host = url.split("//", 1)[1]
    # warm-up: first-request costs (auth.test, imports, first Lexer call) are not acks under load
    asyncio.run(_send_all(port, signed_requests(host, standin_url, label, 5, first=10_000), 1))
    time.sleep(3)  # let the warm-up replies finish (the first report also warms the sandbox's data)
    return asyncio.run(_send_all(port, signed_requests(host, standin_url, label, REQUESTS), CONCURRENCY))


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if p < 100 else max(values)


def main() -> None:
    procs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("LEXER", "SLACK"))}
            env["PYTHONPATH"] = str(ROOT)
            standin_port = free_port()
            standin_url = f"http://127.0.0.1:{standin_port}"
            # Slack's side runs in its own process, so serving 500 response_url posts does not slow the measuring client
            standin = subprocess.Popen(
                [sys.executable, "-c", STANDIN, str(standin_port), TOKEN, str(REQUESTS)],
                env=env,
                cwd=tmp,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            procs.append(standin)
            wait_up(f"{standin_url}/api/api.test", standin)
            api_url = f"{standin_url}/api/"
            env.update(
                SLACK_BOT_TOKEN=TOKEN,
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=api_url,
                LEXERBOT_DB=str(Path(tmp) / "bench.db"),
            )
            bot_port, bare_port = free_port(), free_port()
            bot = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(bot_port),
                    "--no-scheduler",
                ],
                env=env,
                cwd=tmp,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            bare = subprocess.Popen(
                [sys.executable, "-c", BARE_APP, str(bare_port), SECRET, TOKEN, api_url],
                env=env,
                cwd=tmp,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            procs += [bot, bare]
            wait_up(f"http://127.0.0.1:{bot_port}/healthz", bot)
            wait_up(f"http://127.0.0.1:{bare_port}/", bare)
            results = {}
            for label, port in (("bare Bolt (ack only)", bare_port), ("lexer-bot serve", bot_port)):
                results[label] = fire(f"http://127.0.0.1:{port}", standin_url, label.split()[0])
            print(f"{REQUESTS} signed `/lexer team last-week` requests, {CONCURRENCY} concurrent, per server")
            for label, lat in results.items():
                print(
                    f"{label:22s} p50 {pct(lat, 50) * 1000:7.1f} ms   p99 {pct(lat, 99) * 1000:7.1f} ms   "
                    f"max {max(lat) * 1000:7.1f} ms"
                )
            bare_p99 = pct(results["bare Bolt (ack only)"], 99)
            bot_p99 = pct(results["lexer-bot serve"], 99)
            print(f"p99 ratio (lexer-bot / bare) : {bot_p99 / bare_p99:.2f}   (target <= 1.3)")
            print(f"lexer-bot p99                : {bot_p99 * 1000:.1f} ms   (target < 100 ms)")
            print(f"acks over 3 s                : {sum(1 for lat in results['lexer-bot serve'] if lat >= 3)}")
            time.sleep(3)  # let the last lazy replies land
            standin.terminate()
            delivered = standin.communicate(timeout=10)[0].strip()
            print(f"replies delivered to response_url: {delivered} (of {REQUESTS + 5} asked of lexer-bot)")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
