"""The WSGI app for `lexer-bot serve`: POST /slack/events (Bolt) and GET /healthz."""

from __future__ import annotations

import json
import logging
import threading
import time

from slack_bolt.adapter.wsgi import SlackRequestHandler

logger = logging.getLogger(__name__)

LEXER_CHECK_TTL_S = 60.0


class HealthCheck:
    """Database, scheduler and Lexer reachability; the Lexer check is cached to spare the rate limit."""

    def __init__(self, runtime):
        self.runtime = runtime
        self._lexer: tuple[float, str] = (0.0, "unknown")
        self._lock = threading.Lock()

    def lexer_status(self) -> str:
        with self._lock:
            at, status = self._lexer
            if time.monotonic() - at < LEXER_CHECK_TTL_S:
                return status
        try:
            self.runtime.services.directory.groups()
            status = "ok"
        except Exception as exc:
            status = f"error: {type(exc).__name__}"
        with self._lock:
            self._lexer = (time.monotonic(), status)
        return status

    def report(self) -> tuple[int, dict]:
        db_ok = self.runtime.store.healthy()
        sched = self.runtime.scheduler
        scheduler = "disabled" if sched is None else ("running" if getattr(sched, "running", False) else "stopped")
        body = {
            "status": "ok" if db_ok and scheduler != "stopped" else "degraded",
            "database": "ok" if db_ok else "error",
            "scheduler": scheduler,
            "lexer": self.lexer_status(),
            "sandbox": self.runtime.settings.sandbox_mode,
        }
        pool = getattr(self.runtime, "command_pool", None)
        if pool is not None:
            body["command_workers"] = pool.alive()
        return (200 if db_ok else 503), body


def create_wsgi_app(bolt_app, runtime):
    slack_handler = SlackRequestHandler(bolt_app, path="/slack/events")
    health = HealthCheck(runtime)

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            status, body = health.report()
            data = json.dumps(body).encode()
            start_response(
                f"{status} {'OK' if status == 200 else 'Service Unavailable'}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
            )
            return [data]
        return slack_handler(environ, start_response)

    return app
