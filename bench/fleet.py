"""The fleet a chaos or replicas run drives, and what it reads back from Slack's side.

The bot's processes (web replicas with their command workers, clocks) as real `lexer-bot` processes, started,
killed and restarted; Slack's side as a client sending signed /lexer commands round-robin (a load balancer);
the digest subscriptions the run seeds; the posts and uploads counted from the Slack stand-in's records.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from slack_sdk.signature import SignatureVerifier

from bench.cpu_meter import _children
from bot.sandbox.slack_standin import SlackStandIn
from bot.store import Store

BOT_TOKEN = "xoxb-chaos-token"
SIGNING_SECRET = "chaos-signing-secret-0123456789"
ADMIN = "UADMIN01"
USERS = ("UADMIN01", "USYD0001", "UNYC0001", "ULON0001", "USYD0002", "UNYC0002")
ZONES = ("Australia/Sydney", "America/New_York", "Europe/London")
DIGEST_CHANNELS = ("C0DIGEST1", "C0DIGEST2", "C0DIGEST3", "C0DIGEST4")
ALERT_CHANNEL = "C0ALERTS"
COMMAND_CHANNEL = "C0GENERAL"
METADATA_EVENT = "lexer_digest"
DIGEST_GRACE_S = 240  # how long after its time a digest may still post; also how long we wait for the last ones
NOTICE_PREFIXES = ("Queued", ":hourglass", "Working")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """The bot's web processes (each with its command worker) and clock processes, started, killed, restarted."""

    def __init__(self, env: dict, workdir: Path, ports: list[int], clocks: int, log, rng: random.Random):
        self.env, self.workdir, self.ports, self.log, self.rng = env, workdir, ports, log, rng
        self.webs: list[subprocess.Popen | None] = [None] * len(ports)
        self.clocks: list[subprocess.Popen | None] = [None] * clocks
        self._lock = threading.Lock()
        self._logs = open(workdir / "processes.log", "ab")

    def _spawn(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=self.workdir,
            env=self.env,
            stdout=self._logs,
            stderr=subprocess.STDOUT,
        )

    def start_web(self, i: int = 0) -> None:
        self.webs[i] = self._spawn(
            "serve", "--host", "127.0.0.1", "--port", str(self.ports[i]), "--no-scheduler", "--workers", "1"
        )

    def start_clock(self, i: int = 0) -> None:
        self.clocks[i] = self._spawn("clock")

    def start(self) -> None:
        for i in range(len(self.webs)):
            self.start_web(i)
        for i in range(len(self.clocks)):
            self.start_clock(i)

    def worker_pids(self, i: int = 0) -> list[int]:
        web = self.webs[i]
        return _children(web.pid) if web is not None else []

    def kill(self, which: str) -> bool:
        with self._lock:
            i = self.rng.randrange(len(self.clocks) if which == "clock" else len(self.webs))
            if which == "worker":
                pids = self.worker_pids(i)
                if not pids:
                    return False
                os.kill(pids[0], signal.SIGKILL)
                return True  # the web process is the one to notice and start another
            proc = self.webs[i] if which == "web" else self.clocks[i]
            if proc is None:
                return False
            proc.kill()
            proc.wait()
            time.sleep(0.5)
            if which == "web":
                self.start_web(i)
            else:
                self.start_clock(i)
            return True

    def stop(self) -> None:
        with self._lock:
            every = [*self.webs, *self.clocks]
            for proc in every:
                if proc is not None and proc.poll() is None:
                    proc.terminate()
            for proc in every:
                if proc is not None:
                    try:
                        proc.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            self._logs.close()


CLIENT_THREADS = 16  # Slack's side: commands in flight at once


class Slack:
    """Sends what Slack sends: signed slash commands to the web processes (round-robin, as a load balancer
    would), retried on the next one while a door is shut; records each ack's latency.

    The sending runs in a process of its own: in this one the Lexer sandbox and the Slack stand-in serve the
    fleet, and their work held the measuring threads (one interpreter lock) long enough to add a few hundred
    ms to an ack's measured latency while the answers flowed back."""

    def __init__(self, standin: SlackStandIn, ports: list[int]):
        self.standin = standin
        self.urls = [f"http://127.0.0.1:{port}/slack/events" for port in ports]
        self.resent = 0
        self.acks: list[tuple[str, float]] = []  # (command key, seconds to its ack)
        import multiprocessing

        # started now, so that it is up (its imports done) when the first command is due
        ctx = multiprocessing.get_context("spawn")
        self._inbox, self._out = ctx.Queue(), ctx.Queue()
        self._sender = ctx.Process(target=_send_plan, args=(self.urls, self._inbox, self._out), daemon=True)
        self._sender.start()

    def form(self, text: str, user_id: str, key: str) -> str:
        return urllib.parse.urlencode(
            {
                "token": "legacy",
                "team_id": "T0TEST",
                "team_domain": "test",
                "channel_id": COMMAND_CHANNEL,
                "channel_name": "general",
                "user_id": user_id,
                "user_name": user_id.lower(),
                "command": "/lexer",
                "text": text,
                "api_app_id": "A0TEST",
                "response_url": self.standin.new_response_url(key),
                "trigger_id": "1.2.abc",
            }
        )

    def send_all(
        self, plan: list[tuple[float, str, str, str]], t0: float, on_ack: Callable[[str, float], None]
    ) -> set[str]:
        """Send `plan` ((seconds after t0, text, user, key)), each at its moment, giving each up 60 s later;
        `on_ack(key, when)` as each is acked. The keys acked."""
        self._inbox.put([(t0 + at, key, self.form(text, user, key)) for at, text, user, key in plan])
        acked: set[str] = set()
        while (report := self._out.get()) is not None:
            key, seconds, resent, when = report
            self.resent += resent
            if seconds is not None:
                self.acks.append((key, seconds))
                acked.add(key)
                on_ack(key, when)
        self._sender.join(30)
        return acked


def _send_plan(urls: list[str], inbox, out) -> None:
    """The sending process: the plan ((when, key, form)) from `inbox`, CLIENT_THREADS at a time, each command
    at its moment (time.monotonic is the machine's), reported as (key, seconds to its ack or None, 1 if it was
    sent again, when).

    Each thread keeps one connection to each web process, through http.client: Slack's side shares the
    machine's two cores with the fleet it measures, and httpx spent most of a core on 500 commands a second,
    time the bot's processes waited for."""
    verifier = SignatureVerifier(SIGNING_SECRET)
    doors = [urllib.parse.urlsplit(url) for url in urls]
    local = threading.local()
    turns = iter(range(1 << 62))
    lock = threading.Lock()

    def post(i: int, body: bytes, headers: dict) -> int:
        """POST to door i on this thread's connection; its status. A kept connection the server closed while
        idle is opened again once; any other failure raises."""
        conns = local.__dict__.setdefault("conns", {})
        for attempt in (0, 1):
            conn = conns.get(i)
            reused = conn is not None
            if conn is None:
                conn = conns[i] = http.client.HTTPConnection(doors[i].hostname, doors[i].port, timeout=5)
            try:
                conn.request("POST", doors[i].path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.will_close:
                    conns.pop(i).close()
                return response.status
            except (OSError, http.client.HTTPException):
                conns.pop(i, None)
                conn.close()
                if not reused or attempt:
                    raise
        raise AssertionError("unreachable")

    def send(item: tuple[float, str, str]) -> None:
        at, key, form = item
        body = form.encode()
        if (delay := at - time.monotonic()) > 0:
            time.sleep(delay)
        give_up_at, resent = time.monotonic() + 60, 0
        with lock:
            turn = next(turns)
        while time.monotonic() < give_up_at:
            i = turn % len(urls)
            turn += 1
            ts = str(int(time.time()))
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=form),
            }
            try:
                sent = time.perf_counter()
                if post(i, body, headers) == 200:
                    out.put((key, time.perf_counter() - sent, resent, time.monotonic()))
                    return
            except (OSError, http.client.HTTPException):
                pass
            resent = 1
            time.sleep(1.0)
        out.put((key, None, resent, time.monotonic()))

    items = inbox.get()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(send, items))
    out.put(None)


def is_final(body: dict) -> bool:
    text = (body.get("text") or "").lstrip()
    return not text.startswith(NOTICE_PREFIXES)


def seed_subscriptions(store: Store, start: datetime, minutes: int, per_minute: int) -> list[int]:
    """`per_minute` daily subscriptions due at each minute of the run, in three timezones; their ids."""
    ids = []
    for m in range(1, minutes + 1):
        due = start + timedelta(minutes=m)
        for j in range(per_minute):
            zone = ZONES[j % len(ZONES)]
            local = due.astimezone(ZoneInfo(zone))
            sub = store.subscriptions.add(
                kind="nps" if j % 5 == 4 else "sla",
                form_id=55 if j % 5 == 4 else None,
                channel_id=DIGEST_CHANNELS[j % len(DIGEST_CHANNELS)],
                cadence="daily",
                at_time=local.strftime("%H:%M"),
                tz=zone,
                created_by=ADMIN,
            )
            ids.append(sub.id)
    return ids


def wait_healthy(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("lexer-bot serve did not become healthy in 30 s; see processes.log")


def digest_posts(standin: SlackStandIn) -> Counter:
    """Top-level digest posts per subscription id, read from the metadata every digest carries."""
    counts: Counter = Counter()
    for channel in DIGEST_CHANNELS:
        for message in standin.messages(channel):
            meta = message.get("metadata") or {}
            if isinstance(meta, str):
                meta = json.loads(meta)
            if meta.get("event_type") == METADATA_EVENT:
                counts[int(meta["event_payload"]["subscription_id"])] += 1
    return counts


def export_deliveries(standin: SlackStandIn, titles: dict[str, date]) -> Counter:
    """Completed file uploads per export, matched by the day its title names."""
    counts: Counter = Counter()
    for call in standin.calls_to("files.completeUploadExternal"):
        text = str(call.params)
        for key, day in titles.items():
            if day.strftime("%-d %b %Y") in text or day.isoformat() in text:
                counts[key] += 1
    return counts
