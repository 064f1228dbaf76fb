"""Slack Web API access: one WebClient with slack_sdk's retry handlers, and SlackApiError -> named categories."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.error import URLError
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.config import Settings

logger = logging.getLogger(__name__)

# Slack error codes grouped the way we act on them (after sentry's integrations/slack/utils/errors.py)
CHANNEL_GONE = frozenset({"channel_not_found", "is_archived", "not_in_channel", "channel_is_archived"})
AUTH_BROKEN = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "ekm_access_denied",
    }
)
RATE_LIMITED = frozenset({"ratelimited", "rate_limited"})
TOO_LARGE = frozenset({"file_too_large", "upload_too_large", "msg_too_long", "invalid_blocks", "too_many_attachments"})

# Slack answered before doing anything: the request was refused, throttled or never read
NOT_POSTED_TRANSIENT = frozenset({"ratelimited", "rate_limited", "service_unavailable", "request_timeout"})
# Slack's docs say of these: "it's possible some aspect of the operation succeeded before the error was raised"
MAYBE_POSTED_TRANSIENT = frozenset({"internal_error", "fatal_error", "unknown_error"})
NOT_POSTED_STATUSES = frozenset({429, 503})  # throttled, or turned away before reaching the method
# writes slack_sdk must not repeat on its own when Slack may have acted: a second chat.postMessage is a second post
UNREPEATABLE_METHODS = frozenset({"chat.postMessage", "chat.update"})
# connection errors raised before the request left: nothing reached Slack
_NOT_SENT_ERRORS = (ConnectionRefusedError, socket.gaierror)

CHANNEL_HELP = {
    "not_in_channel": "The bot is not in that channel. Invite it with `/invite @lexer` in the channel, then try again.",
    "channel_not_found": "That channel could not be found (it may be private or deleted). Invite the bot with `/invite @lexer` in it.",
    "is_archived": "That channel is archived. Pick another channel.",
    "channel_is_archived": "That channel is archived. Pick another channel.",
}


def slack_error_code(exc: SlackApiError) -> str:
    try:
        return str(exc.response.get("error") or "unknown_error")
    except Exception:  # a response with no JSON body
        return "unknown_error"


@dataclass(frozen=True)
class ChannelProblem:
    """Why the bot cannot post in a channel."""

    code: str  # is_archived | not_in_channel, or the error conversations.info answered with
    unseen: bool = False  # Slack would not show the channel: `code` is its error


def channel_problem(client: WebClient | None, channel_id: str) -> ChannelProblem | None:
    """None when the bot can post in the channel (a DM, or a live channel it is in); else why not.

    No client (`lexer-bot ask`) cannot look, so it does not refuse."""
    if client is None:
        return None
    try:
        info = client.conversations_info(channel=channel_id).get("channel") or {}
    except SlackApiError as exc:
        return ChannelProblem(slack_error_code(exc), unseen=True)
    if info.get("is_archived"):
        return ChannelProblem("is_archived")
    if info.get("is_im") or info.get("is_member", True):
        return None
    return ChannelProblem("not_in_channel")


def categorize(code: str) -> str:
    """A Slack error code -> channel_gone | auth | rate_limited | too_large | other."""
    if code in CHANNEL_GONE:
        return "channel_gone"
    if code in AUTH_BROKEN:
        return "auth"
    if code in RATE_LIMITED:
        return "rate_limited"
    if code in TOO_LARGE:
        return "too_large"
    return "other"


def _status_of(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    return int(status) if isinstance(status, int) else None


def _never_sent(error: BaseException) -> bool:
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, _NOT_SENT_ERRORS)


def certainly_not_posted(error: BaseException) -> bool:
    """Whether Slack certainly did not act on the call that raised `error` (so sending it again cannot double it).

    True for any `ok: false` answer but internal_error / fatal_error, for HTTP 429 and 503, and for a connection
    that was never made; False for other 5xx, read timeouts and dropped connections, where Slack may have posted.
    """
    if isinstance(error, SlackApiError):
        if _status_of(error) in NOT_POSTED_STATUSES:
            return True
        status = _status_of(error)
        if status is not None and status >= 500:
            return False
        return slack_error_code(error) not in MAYBE_POSTED_TRANSIENT
    return _never_sent(error)


def is_transient(error: BaseException) -> bool:
    """Whether the same call may well succeed later (Slack trouble or the network), not a refusal to fix."""
    if isinstance(error, SlackApiError):
        status = _status_of(error)
        if status is not None and (status == 429 or status >= 500):
            return True
        return slack_error_code(error) in NOT_POSTED_TRANSIENT | MAYBE_POSTED_TRANSIENT
    return isinstance(error, (OSError, URLError, TimeoutError))


def _method_of(request: HttpRequest) -> str:
    return request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class ReadsOnlyRetryHandler(RetryHandler):
    """slack_sdk's handler, but a chat.postMessage / chat.update is only repeated when Slack certainly did not act.

    Under a digest's or alert's claim, a repeated post after a dropped connection or a 500 would be a second post
    the claim knows nothing of; those calls come back to our code, which looks in the channel before posting again.
    """

    def __init__(self, inner: RetryHandler):
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self.inner = inner

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not self.inner._can_retry(state=state, request=request, response=response, error=error):
            return False
        if _method_of(request) not in UNREPEATABLE_METHODS:
            return True
        if response is not None:
            return response.status_code in NOT_POSTED_STATUSES
        return error is not None and _never_sent(error)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self.inner.prepare_for_next_attempt(state=state, request=request, response=response, error=error)


_SETTINGS_TOKEN = object()


def build_web_client(settings: Settings, *, max_rate_limit_retries: int = 3, token=_SETTINGS_TOKEN) -> WebClient:
    """WebClient(base_url=SLACK_API_URL) that retries 429 (after Retry-After), 5xx and connection errors.

    A 429 is never acted on, so it is retried for every method; connection and server errors are retried for
    reads only (see ReadsOnlyRetryHandler).

    `token` (a workspace's bot token, or None) replaces SLACK_BOT_TOKEN in distribution mode.
    """
    return WebClient(
        token=settings.slack_bot_token if token is _SETTINGS_TOKEN else token,
        base_url=settings.slack_api_url,
        timeout=30,
        retry_handlers=[
            ReadsOnlyRetryHandler(ConnectionErrorRetryHandler(max_retry_count=2)),
            RateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries),
            ReadsOnlyRetryHandler(ServerErrorRetryHandler(max_retry_count=2)),
        ],
    )


class UserTimezones:
    """The asker's Slack timezone (users.info -> tz), cached; LEXERBOT_TIMEZONE when unknown."""

    def __init__(
        self,
        client: WebClient | None,
        default: ZoneInfo,
        ttl_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.client = client
        self.default = default
        self.ttl_s = ttl_s
        self.clock = clock
        self._cache: dict[str, tuple[float, ZoneInfo]] = {}
        self._lock = threading.Lock()

    def tz_for(self, user_id: str) -> ZoneInfo:
        with self._lock:
            hit = self._cache.get(user_id)
            if hit and hit[0] > self.clock():
                return hit[1]
        tz = self.default
        if self.client is not None and user_id:
            try:
                user = self.client.users_info(user=user_id).get("user") or {}
                if user.get("tz"):
                    tz = ZoneInfo(user["tz"])
            except SlackApiError as exc:
                logger.warning("users.info failed for %s: %s", user_id, slack_error_code(exc))
            except (ZoneInfoNotFoundError, ValueError):
                logger.warning("users.info gave an unknown timezone for %s", user_id)
            except Exception as exc:  # network trouble: fall back, and do not cache the fallback
                logger.warning("users.info unreachable for %s: %s", user_id, type(exc).__name__)
                return tz
        with self._lock:
            self._cache[user_id] = (self.clock() + self.ttl_s, tz)
        return tz


class ResponseUrlPoster:
    """POST replies to slash-command response_urls over pooled keep-alive connections.

    slack_sdk's WebhookClient opens a new connection per reply; under a burst of
    commands that costs CPU the acks of other requests are waiting for.
    """

    def __init__(self, timeout: float = 10.0):
        import httpx

        self._httpx = httpx
        self.http = httpx.Client(timeout=timeout, limits=httpx.Limits(max_connections=32, max_keepalive_connections=16))

    def post(self, url: str, payload: dict) -> int:
        """Returns the HTTP status; raises nothing but logs what went wrong."""
        try:
            return self.http.post(url, json=payload).status_code
        except self._httpx.HTTPError as exc:
            logger.warning("response_url post failed: %s", type(exc).__name__)
            return 599

    def close(self) -> None:
        self.http.close()
