"""The demo's world: the sandbox, the Slack stand-in and the served bot on loopback, and how it prints."""

from __future__ import annotations

import json
import logging
import shutil
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ADMIN = "U0DEMOADA"
ADMIN_NAME = "ada"
CHANNEL = "C0SUPPORT"
CHANNEL_NAME = "support-leads"
DEMO_TZ = "Australia/Sydney"
SIGNING_SECRET = "demo-signing-secret"  # only ever used on loopback, between the demo and itself
BOT_TOKEN = "xoxb-demo-token"
REPLY_TIMEOUT_S = 15.0
EXPORT_TIMEOUT_S = 20.0
RULE_WIDTH = 72
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@dataclass
class ClockJobs:
    """The clock-side functions the demo drives; cli.py fills them from `digests`."""

    # post one subscription's digest now: fn(deps, subscription_row, now)
    send_digest: Callable[[Any, dict, datetime], Any] | None = None
    # one evaluation pass of SLA-spike alerts as of `now`: fn(deps, now)
    check_alerts: Callable[[Any, datetime], Any] | None = None
    # start the bot on these settings: fn(settings) -> (bot.deps.Running, its WSGI app)
    serve: Callable[[Any], tuple[Any, Any]] | None = None


class StepFailed(Exception):
    """A demo step could not show what it set out to show."""


# ------------------------------------------------------------------ printing


class Printer:
    """Plain text with simple section rules."""

    def __init__(self, out=None, names: dict | None = None):
        self.out = out or sys.stdout
        self.names = names or {}
        self.steps = 0

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def rule(self, title: str) -> None:
        self.steps += 1
        head = f"== {self.steps}. {title} "
        self.line()
        self.line(head + "=" * max(3, RULE_WIDTH - len(head)))

    def said(self, who: str, text: str) -> None:
        self.line(f"{who}:  {text}")
        self.line()

    def message(self, message: dict, label: str | None = None) -> None:
        from bot.slack.text import render_message_text

        if label:
            self.line(f"[{label}]")
        body = render_message_text(message, names=self.names) or message.get("text") or "(empty message)"
        for text_line in body.split("\n"):
            self.line("  " + text_line if text_line else "")

    def note(self, text: str) -> None:
        self.line(f"  ({text})")


# ------------------------------------------------------------------ the demo world


class DemoWorld:
    """Sandbox + Slack stand-in + the served bot, all on loopback, in a temp dir."""

    def __init__(self, export_dir: Path, serve: Callable[[Any], tuple[Any, Any]]):
        self.tmp = Path(tempfile.mkdtemp(prefix="lexer-demo-"))
        self.export_dir = export_dir
        self.serve = serve  # bot/compose.py's build_served: the composition root builds the bot
        self.handles: list = []
        self.running = None
        self.deps = None  # the running bot's Deps
        self.http = None

    def start(self) -> DemoWorld:
        import httpx

        from bot.config import Settings
        from bot.sandbox.lexer_app import LexerSandbox
        from bot.sandbox.server import serve_in_thread
        from bot.sandbox.slack_standin import SlackStandIn

        self.lexer = LexerSandbox(export_polls=1)
        handle = serve_in_thread(self.lexer, threads=4)
        self.handles.append(handle)
        self.lexer.base_url = handle.url

        self.slack = SlackStandIn(bot_token=BOT_TOKEN, keep_uploads_dir=str(self.export_dir))
        handle = serve_in_thread(self.slack, threads=4)
        self.handles.append(handle)
        self.slack.base_url = handle.url
        self.slack.add_user(ADMIN, name=ADMIN_NAME, real_name="Ada Admin", tz=DEMO_TZ)
        self.slack.add_channel(CHANNEL, CHANNEL_NAME, member=True)

        # sandbox mode (no LEXER_API_TOKEN): every message says so in its footer
        self.settings = Settings(
            lexer_api_token=None,
            lexer_api_url=f"{self.lexer.base_url}/v1",
            lexer_status_url=f"{self.lexer.base_url}/api/public/v1/activity/reports/status",
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=f"{self.slack.base_url}/api/",
            db_path=str(self.tmp / "lexerbot.db"),
            timezone=DEMO_TZ,
            admins=frozenset({ADMIN}),
            export_concurrency=1,
            export_timeout_s=EXPORT_TIMEOUT_S,
        )
        self.running, wsgi = self.serve(self.settings)
        self.deps = self.running.deps
        handle = serve_in_thread(wsgi, threads=8)
        self.handles.append(handle)
        self.bot_url = handle.url
        self.http = httpx.Client(timeout=10, trust_env=False)  # loopback only: ignore any proxy settings
        return self

    def stop(self) -> None:
        """Stop workers, clients and servers, and remove the temp dir."""
        if self.http is not None:
            self.http.close()
        if self.running is not None:
            try:
                self.running.stop()
            except Exception:
                logger.debug("stopping the bot failed", exc_info=True)
        for handle in reversed(self.handles):
            try:
                handle.stop()
            except Exception:
                logger.debug("stopping a server failed", exc_info=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- talking to the bot as Slack does

    def _signed_post(self, body: str, content_type: str):
        from slack_sdk.signature import SignatureVerifier

        ts = str(int(time.time()))
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
        r = self.http.post(
            f"{self.bot_url}/slack/events",
            content=body.encode(),
            headers={"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature},
        )
        if r.status_code != 200:
            raise StepFailed(f"the bot answered HTTP {r.status_code}")
        return r

    def slash(self, text: str, *, user_id: str = ADMIN, channel_id: str = CHANNEL) -> dict:
        """Send `/lexer TEXT` signed, as Slack does; return the reply posted to response_url."""
        key = f"demo-{time.monotonic_ns()}"
        form = {
            "token": "legacy",
            "team_id": self.slack.team_id,
            "team_domain": "demo",
            "channel_id": channel_id,
            "channel_name": CHANNEL_NAME,
            "user_id": user_id,
            "user_name": ADMIN_NAME,
            "command": "/lexer",
            "text": text,
            "api_app_id": "A0DEMO",
            "response_url": self.slack.new_response_url(key),
            "trigger_id": "1.2.demo",
        }
        self._signed_post(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")
        return wait_until(
            lambda: (self.slack.responses(key) or [None])[-1], REPLY_TIMEOUT_S, f"no reply to /lexer {text}"
        )

    def event(self, event: dict) -> None:
        body = {
            "token": "legacy",
            "team_id": self.slack.team_id,
            "api_app_id": "A0DEMO",
            "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "event": event,
        }
        self._signed_post(json.dumps(body), "application/json")


def wait_until(fn: Callable[[], Any], timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise StepFailed(f"timed out: {what}")
        time.sleep(interval)


def settled(read: Callable[[], Any], quiet_s: float = 0.4, timeout: float = 5.0):
    """What `read` returns once it has stopped changing for quiet_s (progress messages are edited in place)."""
    last, since, deadline = read(), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() - since < quiet_s and time.monotonic() < deadline:
        time.sleep(0.05)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
    return last


def channel_changes(before: list[dict], after: list[dict]) -> list[tuple[str, dict]]:
    """Messages new or edited since `before` (pure): [("new"|"updated", message)]."""
    old = {m["ts"]: m for m in before}
    out = []
    for m in after:
        prev = old.get(m["ts"])
        if prev is None:
            reply = m.get("thread_ts") and m["thread_ts"] != m["ts"]
            out.append(("reply in thread" if reply else "new message", m))
        elif (prev.get("text"), prev.get("blocks")) != (m.get("text"), m.get("blocks")):
            out.append(("updated message", m))
    return out


# ------------------------------------------------------------------ the steps
