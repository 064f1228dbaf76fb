"""One exception hierarchy for lexer-bot; every message is safe to show a Slack user.

No exception text ever contains a token or secret: errors are built from
status codes and fixed wording, never from request headers or URLs with tokens.
"""

from __future__ import annotations


class LexerBotError(Exception):
    """Base of every error lexer-bot raises on purpose."""

    #: what the user can do about it; shown under the message
    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(LexerBotError):
    """A setting is missing or malformed."""

    def __init__(self, variable: str, message: str):
        super().__init__(f"{variable}: {message}")
        self.variable = variable


class UsageError(LexerBotError):
    """Bad command-line arguments or a missing setting: the CLI exits 2 with one line."""


class CommandError(LexerBotError):
    """The /lexer text could not be understood."""


class BadRangeError(CommandError):
    """A RANGE that cannot be sent (malformed, future start, over 12 months)."""


class NotAllowedError(LexerBotError):
    """The asker may not run an admin command."""

    #: whom to ask instead (Slack user ids), named in the reply
    ask_users: tuple[str, ...] = ()


class LexerApiError(LexerBotError):
    """The Activity API answered with an error or could not be reached."""

    status: int | None = None


class BadRequestError(LexerApiError):
    """400: Lexer refused the report (range too long, future start, invalid type)."""

    status = 400


class UnauthorizedError(LexerApiError):
    """401: the API token is missing or not valid."""

    status = 401
    hint = "Ask your Lexer manager for a new API token (Integrate > API tokens) and set LEXER_API_TOKEN."


class NotFoundError(LexerApiError):
    """404: Lexer did not recognise the request."""

    status = 404


class RateLimitedError(LexerApiError):
    """429, or our own limiter's budget is spent; `retry_after` says when to try again."""

    status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class BusyError(RateLimitedError):
    """Our client-side budget (100 requests / 5 min) is spent for longer than we may wait."""


class LexerUnavailableError(LexerApiError):
    """Network error, timeout or 5xx: Lexer is down or slow."""

    hint = "Lexer may be down or slow; try again in a few minutes."


class NotConnectedError(LexerApiError):
    """The workspace has no Lexer connection it can use: no call was made."""

    hint = "A lexer-bot admin of this workspace runs `/lexer connect` and pastes a Lexer API token."


class MalformedResponseError(LexerApiError):
    """Lexer answered with something that is not the JSON the doc describes."""

    hint = "Try again; if it keeps happening, Lexer may be having problems."


class ExportError(LexerApiError):
    """A CSV export failed at Lexer or in transfer."""


class ExportTimeoutError(ExportError):
    """A CSV export did not complete in the allowed time."""


class SlackDeliveryError(LexerBotError):
    """Slack refused a post; `category` names why (see bot.slack_errors)."""

    def __init__(self, message: str, *, category: str, slack_error: str | None = None):
        super().__init__(message)
        self.category = category
        self.slack_error = slack_error
