"""Build an ActivityClient with its transport stack for the configured mode."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from bot.config import Settings
from bot.errors import NotConnectedError
from bot.lexer.budget import Reservations
from bot.lexer.client import ActivityClient
from bot.lexer.rate_limit import RateLimitTransport, StoreRateLimiter
from bot.lexer.shared_cache import SharedCachingTransport
from bot.lexer.transport import RetryTransport

SANDBOX_BASE = "http://lexer-sandbox"
DEFAULT_API_URL = Settings.lexer_api_url
DEFAULT_STATUS_URL = Settings.lexer_status_url


def uses_in_process_sandbox(settings: Settings) -> bool:
    """Sandbox mode with no API URL of its own: serve the sandbox inside this process."""
    return settings.sandbox_mode and settings.lexer_api_url == DEFAULT_API_URL


def build_activity_client(
    settings: Settings,
    store,
    *,
    sandbox_app=None,
    base_transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    max_wait_s: float = 20.0,
    max_retries: int = 3,
    rate_limit: int | None = None,
    rate_window_s: float | None = None,
    reservations: Callable[[float], Reservations] | None = None,
    waiting: Callable[[], int] | None = None,
) -> ActivityClient:
    """Compose cache -> retry -> rate limit -> transport; in-process sandbox when configured so."""
    api_url, status_url = settings.lexer_api_url, settings.lexer_status_url
    if base_transport is None:
        if uses_in_process_sandbox(settings):
            if sandbox_app is None:
                from bot.sandbox.lexer_app import LexerSandbox

                sandbox_app = LexerSandbox(base_url=SANDBOX_BASE)
            base_transport = httpx.WSGITransport(app=sandbox_app)
            api_url = f"{SANDBOX_BASE}/v1"
            status_url = f"{SANDBOX_BASE}/api/public/v1/activity/reports/status"
        else:
            base_transport = httpx.HTTPTransport(retries=0)
            if settings.sandbox_mode and settings.lexer_status_url == DEFAULT_STATUS_URL:
                # a served sandbox (`lexer-bot sandbox`) keeps its status endpoint beside the API
                root = api_url.rstrip("/").removesuffix("/v1")
                status_url = f"{root}/api/public/v1/activity/reports/status"
    limiter = StoreRateLimiter(
        store,
        settings.api_token,
        clock=clock,
        sleep=sleep,
        max_wait_s=max_wait_s,
        reservations=reservations,
        waiting=waiting,
        **({"limit": rate_limit} if rate_limit else {}),
        **({"window_s": rate_window_s} if rate_window_s else {}),
    )
    stack = SharedCachingTransport(
        RetryTransport(RateLimitTransport(base_transport, limiter), sleep=sleep, max_retries=max_retries),
        store,
        settings.api_token,
        clock=clock,
        sleep=sleep,
    )
    headers = {
        "Auth-Api-Token": settings.api_token,
        "Content-Type": "application/json",
        "User-Agent": "lexer-slack/0.1",
    }
    http = httpx.Client(transport=stack, headers=headers)
    # downloads are pre-signed file URLs, not API calls: no rate limit, no cache, no token header
    download = httpx.Client(
        transport=base_transport if uses_in_process_sandbox(settings) else httpx.HTTPTransport(retries=2),
        follow_redirects=True,
    )
    client = ActivityClient(http, api_url=api_url, status_url=status_url, download_http=download)
    client.limiter = limiter
    client.cache = stack  # type: ignore[attr-defined]
    return client


class NotConnectedTransport(httpx.BaseTransport):
    """A workspace with no usable Lexer connection: every request is refused here, before any network."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise NotConnectedError("This workspace is not connected to Lexer.")


def build_unconnected_client() -> ActivityClient:
    """The Lexer client of a workspace with no usable connection: it holds no token and calls nothing."""
    http = httpx.Client(transport=NotConnectedTransport())
    return ActivityClient(
        http, api_url="https://lexer.invalid/v1", status_url="https://lexer.invalid/status", download_http=http
    )
