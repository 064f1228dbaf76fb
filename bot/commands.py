"""What every /lexer handler shares (Asker, Reply, filters, ranges, the admin check) and the runner.

`CommandRunner.run(text, asker)` parses the text and hands the typed command to
the feature that answers it (bot/features/__init__.py). It never raises: every failure
becomes a reply that says what went wrong and what to do. No Bolt types.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.deps import Deps
from bot.errors import CommandError, LexerApiError, LexerBotError, NotAllowedError, RateLimitedError
from bot.lexer.client import Filters
from bot.lexer.directory import Directory, resolve_agent, resolve_group
from bot.slack.messages.help import error_message
from bot.slack.messages.workspaces import not_connected_message
from bot.slack.parsing import (
    USAGE,
    Command,
    ExportCommand,
    ReportCommand,
    is_admin_command,
    parse_command,
)
from bot.store.backend import unavailable
from bot.tenancy import CONNECTED, UNREADABLE
from bot.timeframe import Timeframe, parse_range

logger = logging.getLogger(__name__)

DEFAULT_RANGE = "yesterday"


@dataclass(frozen=True)
class Asker:
    """Who asked, where, and in which timezone."""

    user_id: str
    channel_id: str | None
    tz: ZoneInfo
    is_admin: bool = False
    trigger_id: str | None = None  # a slash command's, for opening a modal (`/lexer connect`)


@dataclass
class Reply:
    """A whole Slack message plus where it goes."""

    message: dict
    public: bool = False
    after: Callable[[], None] | None = field(default=None, repr=False)  # work to start once the reply is sent


def filters_for(directory: Directory, cmd: ReportCommand | ExportCommand) -> tuple[Filters, str | None]:
    """A command's group:/agent: filters resolved against Lexer, and how to say them in a footer."""
    users: tuple[int, ...] = ()
    groups: tuple[int, ...] = ()
    words = []
    if cmd.group:
        g = resolve_group(directory, cmd.group)
        groups = (g.id,)
        words.append(f"group: {g.name}")
    if cmd.agent:
        u = resolve_agent(directory, cmd.agent)
        users = (u.id,)
        words.append(f"agent: {u.name}")
    return Filters(users=users, groups=groups), (" · ".join(words) or None)


def timeframe_for(
    cmd: ReportCommand | ExportCommand, asker: Asker, now: datetime, default: str = DEFAULT_RANGE
) -> Timeframe:
    return parse_range(cmd.range_text or default, asker.tz, now)


def admin_refusal(settings: Settings) -> NotAllowedError:
    if not settings.admins:
        return NotAllowedError(
            "Admin commands are switched off: no admins are configured.",
            hint="Set LEXERBOT_ADMINS to a comma-separated list of Slack user IDs "
            "(e.g. LEXERBOT_ADMINS=U012ABCDEF,U034GHIJKL) and restart the bot.",
        )
    err = NotAllowedError("Only lexer-bot admins can do that (they are listed in LEXERBOT_ADMINS).")
    err.ask_users = tuple(sorted(settings.admins))  # type: ignore[attr-defined]
    return err


def workspace_admin_refusal(admins: tuple[str, ...]) -> NotAllowedError:
    err = NotAllowedError(
        "Only this workspace's lexer-bot admins can do that: its owners and admins, "
        "whoever installed the app, and those added with `/lexer admins add`."
    )
    err.ask_users = admins  # type: ignore[attr-defined]
    return err


# fn(cmd, asker, deps) -> Reply; each handler takes its own family's command type (bot/slack/parsing)
CommandHandler = Callable[..., Reply]


class CommandRunner:
    """Parse /lexer text for one asker and hand it to the feature that answers it (bot/features/__init__.py)."""

    def __init__(self, deps: Deps, commands: Mapping[str, CommandHandler]):
        self.deps = deps
        self.commands = dict(commands)

    def run(self, text: str, asker: Asker, *, defer_busy: bool = False) -> Reply:
        """The reply to /lexer TEXT; with defer_busy, a closed Lexer window raises RateLimitedError (to re-queue)."""
        usage = None
        try:
            cmd = parse_command(text)
            usage = USAGE.get(cmd.name)
            return self._dispatch(cmd, asker)
        except NotAllowedError as exc:
            return Reply(
                error_message(exc.message, exc.hint or None, ask_users=getattr(exc, "ask_users", ())),
                public=False,
            )
        except CommandError as exc:
            return Reply(error_message(exc.message, exc.hint or None, usage), public=False)
        except LexerApiError as exc:
            if defer_busy and isinstance(exc, RateLimitedError):
                raise  # the queue answers it once Lexer's window opens
            logger.warning("Lexer error for %s: %s", asker.user_id, type(exc).__name__)
            return Reply(error_message(exc.message, exc.hint or None), public=False)
        except LexerBotError as exc:
            return Reply(error_message(exc.message, exc.hint or None), public=False)
        except Exception as exc:  # never let an exception reach the user
            if defer_busy and unavailable(exc):
                raise  # the database is down: the queue answers it once it is back (its lease runs out)
            logger.exception("command failed: %r", text[:200])
            return Reply(
                error_message(
                    "Something went wrong on our side while answering that.",
                    "Try again in a minute; if it keeps happening, tell your Slack admin (the bot's log has the details).",
                ),
                public=False,
            )

    def _dispatch(self, cmd: Command, asker: Asker) -> Reply:
        handler = self.commands.get(cmd.name)
        if handler is None:
            raise CommandError(f"`{cmd.name}` is not available in this version yet.")
        if is_admin_command(cmd) and not asker.is_admin:
            raise refusal_for(self.deps)
        return handler(cmd, asker, self.deps)


def is_admin(settings: Settings, user_id: str) -> bool:
    return user_id in settings.admins


def refusal_for(deps: Deps) -> NotAllowedError:
    """Why a non-admin is refused, and whom to ask: LEXERBOT_ADMINS, or the workspace's admins."""
    if deps.tenancy is not None:
        return workspace_admin_refusal(deps.tenancy.admins(deps.workspace))
    return admin_refusal(deps.settings)


def asker_is_admin(deps: Deps, user_id: str, slack=None) -> bool:
    """LEXERBOT_ADMINS in single-workspace mode; the workspace's admins in distribution mode."""
    if deps.tenancy is not None:
        return deps.tenancy.is_admin(deps.workspace, user_id, slack)
    return is_admin(deps.settings, user_id)


def lexer_missing(deps: Deps, is_admin: bool) -> dict | None:
    """Distribution mode: the message a workspace with no usable Lexer connection answers instead of its numbers
    (to an admin how to connect, to others whom to ask); None when it can ask Lexer."""
    tenancy = deps.tenancy
    if tenancy is None:
        return None
    state = tenancy.lexer_state(deps.workspace)
    if state == CONNECTED:
        return None
    return not_connected_message(is_admin, tenancy.admins(deps.workspace), unreadable=state == UNREADABLE)
