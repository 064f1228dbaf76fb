"""`lexer-bot serve`'s web side: the WSGI app (POST /slack/events through Bolt, GET /healthz) and its server."""

from __future__ import annotations

import json
import logging
import threading
import time

from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

logger = logging.getLogger(__name__)

LEXER_CHECK_TTL_S = 60.0


class HealthCheck:
    """Database, scheduler and Lexer reachability; the Lexer check is cached to spare the rate limit."""

    def __init__(self, running):
        self.running = running  # bot.deps.Running: the process's deps, scheduler and command workers
        self._lexer: tuple[float, str] = (0.0, "unknown")
        self._lock = threading.Lock()

    def lexer_status(self, *, check: bool = True) -> str:
        """Lexer's last known status, checked again when older than LEXER_CHECK_TTL_S (and `check`: the client's
        budget and cache live in the database, so with the database down it would only wait on it)."""
        with self._lock:
            at, status = self._lexer
            if not check or time.monotonic() - at < LEXER_CHECK_TTL_S:
                return status
        try:
            self.running.deps.directory.groups()
            status = "ok"
        except Exception as exc:
            status = f"error: {type(exc).__name__}"
        with self._lock:
            self._lexer = (time.monotonic(), status)
        return status

    def report(self) -> tuple[int, dict]:
        db = self.running.deps.store.health()
        db_ok = db["ok"]
        sched = self.running.scheduler
        scheduler = "disabled" if sched is None else ("running" if getattr(sched, "running", False) else "stopped")
        body = {
            "status": "ok" if db_ok and scheduler != "stopped" else "degraded",
            "database": "ok" if db_ok else "unreachable",
            "database_backend": db["backend"],
            "database_latency_ms": db["latency_ms"],
            "scheduler": scheduler,
            "lexer": self.lexer_status(check=db_ok),
            "sandbox": self.running.deps.settings.sandbox_mode,
        }
        if not db_ok:  # for how long; never which database: this page is public
            body["database_unreachable"] = {k: db[k] for k in ("unreachable_for_s",) if k in db}
        pool = self.running.command_pool
        if pool is not None:
            body["command_workers"] = pool.alive()
        if db_ok:  # the figures are read from the database
            body["lexer_budget"] = budget_figures(self.running.deps)
        return (200 if db_ok else 503), body


def budget_figures(deps) -> dict:
    """Lexer's budget in the current window by class, and the command queue (also `lexer-bot status`)."""
    limiter = getattr(deps.api, "limiter", None)
    figures = limiter.snapshot().figures() if limiter is not None else {}
    queue = deps.store.command_queue
    figures["queue"] = {"waiting": queue.waiting(), "running": queue.running()}
    return figures


def create_wsgi_app(bolt_app, running):
    slack_handler = SlackRequestHandler(bolt_app, path="/slack/events")
    health = HealthCheck(running)

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


def create_waitress_server(app, host: str, port: int, threads: int, **extra):
    """A waitress server with our settings; `serve` and the loopback servers of the tests and demo share it."""
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="lexer-bot",
        connection_limit=1000,
        # stream big bodies (CSV exports) with back-pressure instead of buffering them
        outbuf_overflow=1 << 20,
        outbuf_high_watermark=1 << 20,
        asyncore_use_poll=True,
        **extra,
    )


def serve_forever(app, host: str, port: int, threads: int = 16) -> None:
    """Serve in the foreground until interrupted."""
    server = create_waitress_server(app, host, port, threads)
    logger.info("listening on http://%s:%s", host, server.effective_port)  # type: ignore[attr-defined]
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
