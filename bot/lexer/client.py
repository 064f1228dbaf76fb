"""ActivityClient: one method per Activity API endpoint and report, typed results.

The client stays plain: rate limiting, retries and caching live in the
transports (bot.lexer.rate_limit, bot.lexer.transport, bot.lexer.shared_cache).
Every HTTP failure becomes a typed
bot.errors.LexerApiError with a message a Slack user can act on.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.errors import (
    BadRequestError,
    ExportError,
    LexerApiError,
    LexerUnavailableError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
)
from bot.lexer import models
from bot.lexer.rate_limit import StoreRateLimiter
from bot.lexer.transport import parse_retry_after
from bot.timeframe import Timeframe

logger = logging.getLogger(__name__)

# SPEC §6: the seed does not name the filter parameters; these are the product's, named once here.
FILTER_PARAM_USERS = "users"
FILTER_PARAM_GROUPS = "groups"
NPS_CATEGORIES = ("all", "promoters", "passives", "detractors")
EXPORT_TYPES = {"cases": "case_details", "responses": "mention_sla_export", "nps": "nps_submissions"}
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True)
class Filters:
    """Restrict a report to agents and/or groups (ids)."""

    users: tuple[int, ...] = ()
    groups: tuple[int, ...] = ()

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.users:
            out[FILTER_PARAM_USERS] = sorted(self.users)
        if self.groups:
            out[FILTER_PARAM_GROUPS] = sorted(self.groups)
        return out

    def __bool__(self) -> bool:
        return bool(self.users or self.groups)


NO_FILTERS = Filters()


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict):
        return " ".join(str(data[k]) for k in ("error", "message", "errors") if isinstance(data.get(k), str))
    return ""


def error_for(response: httpx.Response) -> LexerApiError:
    """Map an Activity API error answer to a typed error (never echoing the token)."""
    status = response.status_code
    detail = _error_text(response).lower()
    if status == 400:
        if "too long" in detail or "12 months" in detail:
            return BadRequestError(
                "Lexer refused the range: it is longer than 12 months.", hint="Ask for 12 months or less at a time."
            )
        if "future" in detail or "in the past" in detail:
            return BadRequestError(
                "Lexer refused the range: it starts in the future.", hint="Pick a range that starts today or earlier."
            )
        if "invalid type" in detail or "chart type" in detail:
            return BadRequestError(
                "Lexer does not know that report type.", hint="This is a bug in lexer-bot; please report it."
            )
        return BadRequestError("Lexer refused the request as invalid.", hint="Check the range and filters.")
    if status == 401:
        if "missing" in detail:
            return UnauthorizedError("Lexer did not receive an API token.")
        return UnauthorizedError("Lexer did not accept the API token (it may have been reset or deleted).")
    if status == 404:
        return NotFoundError(
            "Lexer could not find what was asked for.",
            hint="Check the form or filter ids; if it keeps happening, report it.",
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        wait = f"in {int(retry_after + 0.999)} s" if retry_after is not None else "in a few minutes"
        return RateLimitedError(
            f"Lexer's rate limit is reached; try again {wait}.",
            retry_after=retry_after,
            hint="Lexer allows 100 requests every 5 minutes per API token.",
        )
    if status >= 500:
        return LexerUnavailableError(f"Lexer is having problems (HTTP {status}).")
    return LexerApiError(f"Lexer answered with an unexpected HTTP {status}.")


class ActivityClient:
    """The Activity API: GET users/groups/forms, POST reports, the export status endpoint."""

    # Lexer's budget its requests spend (bot/lexer/build.py sets it); None: a client that calls no Lexer
    limiter: StoreRateLimiter | None = None

    def __init__(
        self,
        http: httpx.Client,
        *,
        api_url: str,
        status_url: str,
        download_http: httpx.Client | None = None,
        budget_class: str = "command",
    ):
        self.http = http
        self.budget_class = budget_class  # which share of Lexer's budget this client's requests spend
        self.api_url = api_url.rstrip("/")
        self.status_url = status_url
        self.download_http = download_http or http

    def __repr__(self) -> str:
        return f"ActivityClient(api_url={self.api_url!r})"

    def for_class(self, budget_class: str) -> ActivityClient:
        """The same client (connections, cache, limiter) spending another class's share (bot.lexer.budget)."""
        twin = copy.copy(self)
        twin.budget_class = budget_class
        return twin

    # -------------------------------------------------------------- plumbing
    def _send(self, method: str, url: str, **kw) -> Any:
        try:
            response = self.http.request(
                method, url, timeout=TIMEOUT, extensions={"budget_class": self.budget_class}, **kw
            )
        except httpx.TimeoutException:
            raise LexerUnavailableError("Lexer did not answer in time.") from None
        except httpx.TransportError:
            raise LexerUnavailableError("Could not reach Lexer.") from None
        if response.status_code != 200:
            raise error_for(response)
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            raise MalformedResponseError("Lexer sent an answer that is not valid JSON.") from None

    def _get(self, path: str) -> Any:
        return self._send("GET", f"{self.api_url}{path}")

    def report(self, report_type: str, tf: Timeframe | None = None, filters: Filters = NO_FILTERS, **extra: Any) -> Any:
        """POST /activity/reports and return the raw JSON."""
        body: dict[str, Any] = {"type": report_type}
        if tf is not None:
            body["date_from"] = tf.date_from
            body["date_to"] = tf.date_to
        body.update(filters.body())
        body.update({k: v for k, v in extra.items() if v is not None})
        return self._send("POST", f"{self.api_url}/activity/reports", json=body)

    # -------------------------------------------------------------- lists
    def users(self) -> list[models.User]:
        return models.parse_users(self._get("/users"))

    def groups(self) -> list[models.Group]:
        return models.parse_groups(self._get("/groups"))

    def forms(self) -> list[models.Form]:
        return models.parse_forms(self._get("/forms"))

    # -------------------------------------------------------------- reports
    def summary(self, tf: Timeframe, filters: Filters = NO_FILTERS) -> models.Summary:
        return models.parse_summary(self.report("summary", tf, filters))

    def states_volume(self, tf: Timeframe, filters: Filters = NO_FILTERS) -> models.StatesVolume:
        return models.parse_states_volume(self.report("states_volume", tf, filters))

    def classifications(self, tf: Timeframe, filters: Filters = NO_FILTERS) -> list[models.ClassificationCount]:
        return models.parse_classifications(self.report("classifications", tf, filters))

    def response_volume(self, tf: Timeframe, filters: Filters = NO_FILTERS) -> models.ResponseVolume:
        return models.parse_response_volume(self.report("response_volume", tf, filters))

    def user_summary(self, tf: Timeframe, filters: Filters = NO_FILTERS) -> list[models.AgentSummary]:
        return models.parse_user_summary(self.report("user_summary", tf, filters))

    def user_volume(self, tf: Timeframe, filters: Filters = NO_FILTERS) -> list[models.AgentVolume]:
        return models.parse_user_volume(self.report("user_volume", tf, filters))

    def case_summary(self, tf: Timeframe, filters: Filters = NO_FILTERS) -> models.CaseSummary:
        return models.parse_case_summary(self.report("case_summary", tf, filters))

    def case_volume(self, tf: Timeframe, filters: Filters = NO_FILTERS) -> models.CaseVolume:
        return models.parse_case_volume(self.report("case_volume", tf, filters))

    def case_classifications(self, tf: Timeframe, filters: Filters = NO_FILTERS) -> list[models.CaseClassification]:
        return models.parse_case_classifications(self.report("case_classifications", tf, filters))

    def nps_summary(
        self, tf: Timeframe, form_id: int, category: str = "all", filters: Filters = NO_FILTERS
    ) -> models.NpsSummary:
        return models.parse_nps_summary(self.report("nps_summary", tf, filters, form=form_id, nps_category=category))

    def nps_volume(
        self, tf: Timeframe, form_id: int, category: str = "all", filters: Filters = NO_FILTERS
    ) -> list[models.NpsDay]:
        return models.parse_nps_volume(self.report("nps_volume", tf, filters, form=form_id, nps_category=category))

    # -------------------------------------------------------------- exports
    def start_export(
        self,
        kind: str,
        tf: Timeframe,
        *,
        form_id: int | None = None,
        category: str = "all",
        filters: Filters = NO_FILTERS,
    ) -> models.ExportStatus:
        """Step 1 of an export: kind is cases|responses|nps."""
        report_type = EXPORT_TYPES[kind]
        extra: dict[str, Any] = {}
        if kind == "nps":
            extra = {"form": form_id, "nps_category": category}
        status = models.parse_export_status(self.report(report_type, tf, filters, **extra))
        if not status.token:
            raise ExportError("Lexer did not return an export token.", hint="Try the export again.")
        return status

    def export_status(self, report_token: str) -> models.ExportStatus:
        """Step 2: the status endpoint (another host; the report token as a query parameter)."""
        status = models.parse_export_status(self._send("GET", self.status_url, params={"token": report_token}))
        return status if status.token else models.ExportStatus(status.status, report_token, status.url)

    def download(
        self,
        url: str,
        dest: Path,
        *,
        on_progress: Callable[[int], None] | None = None,
        on_chunk: Callable[[bytes], None] | None = None,
        on_start: Callable[[int | None], None] | None = None,
        chunk_size: int = 1 << 16,
    ) -> int:
        """Step 3: stream the CSV to `dest`; returns bytes written. Never holds the file in memory.

        on_start gets the announced Content-Length (or None) before any byte is written; on_chunk sees
        each chunk (e.g. to count rows); either may raise to abandon the download.
        """
        written = 0
        try:
            with self.download_http.stream("GET", url, timeout=httpx.Timeout(120.0, connect=10.0)) as response:
                if response.status_code != 200:
                    raise ExportError(
                        f"Downloading the CSV from Lexer failed (HTTP {response.status_code}).",
                        hint="Try the export again.",
                    )
                if on_start is not None:
                    length = response.headers.get("Content-Length")
                    on_start(int(length) if length and length.isdigit() else None)
                with open(dest, "wb") as fh:
                    for chunk in response.iter_bytes(chunk_size):
                        fh.write(chunk)
                        written += len(chunk)
                        if on_chunk is not None:
                            on_chunk(chunk)
                        if on_progress is not None:
                            on_progress(written)
        except httpx.TransportError:
            raise ExportError("The CSV download from Lexer was interrupted.", hint="Try the export again.") from None
        return written
