"""The answering service: what every /lexer handler shares (Asker, Reply, filters, ranges, the admin check),
the runner, and answer_request (a queued request -> its Reply). Parse, fetch, build: no Slack I/O.

`CommandRunner.run(text, asker)` parses the text and hands the typed command to
the handler that answers it (injected by the composition root from bot/features/__init__.py).
It never raises: every failure becomes a reply that says what went wrong and what to do. No Bolt types.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
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
from bot.tenancy import CONNECTED, UNREADABLE, workspace_key_of
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
    err.ask_users = tuple(sorted(settings.admins))
    return err


def workspace_admin_refusal(admins: tuple[str, ...]) -> NotAllowedError:
    err = NotAllowedError(
        "Only this workspace's lexer-bot admins can do that: its owners and admins, "
        "whoever installed the app, and those added with `/lexer admins add`."
    )
    err.ask_users = admins
    return err


# fn(cmd, asker, deps) -> Reply; each handler takes its own family's command type (bot/slack/parsing)
CommandHandler = Callable[..., Reply]
# distribution mode: (the process's Deps, its runner, a request) -> the Deps and runner of the request's workspace
WorkspaceRunnerOf = Callable[[Deps, "CommandRunner", dict], tuple[Deps, "CommandRunner"]]


class CommandRunner:
    """Parse /lexer text for one asker and hand it to the feature that answers it (bot/features/__init__.py).

    `for_workspace` (distribution mode) gives the runner of a request's workspace (bot.features.workspaces)."""

    def __init__(
        self,
        deps: Deps,
        commands: Mapping[str, CommandHandler],
        *,
        for_workspace: WorkspaceRunnerOf | None = None,
    ):
        self.deps = deps
        self.commands = dict(commands)
        self.for_workspace = for_workspace

    def run(self, text: str, asker: Asker, *, defer_busy: bool = False) -> Reply:
        """The reply to /lexer TEXT; with defer_busy, a closed Lexer window raises RateLimitedError (to re-queue)."""
        usage = None
        try:
            cmd = parse_command(text)
            usage = USAGE.get(cmd.name)
            return self._dispatch(cmd, asker)
        except NotAllowedError as exc:
            return Reply(
                error_message(exc.message, exc.hint or None, ask_users=exc.ask_users),
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


@dataclass
class Answer:
    """A request answered: its reply (None while Lexer's window is closed: `busy`), and the Deps and Slack client
    of the workspace it is delivered in."""

    deps: Deps
    client: Any
    reply: Reply | None = None
    busy: RateLimitedError | None = None


def answer_request(deps: Deps, runner: CommandRunner, job: dict, client, *, defer_busy: bool = False) -> Answer:
    """The reply to one /lexer request (bot.commands.queue.COMMAND_FIELDS); never raises but what the queue
    answers later: with defer_busy, a closed Lexer window comes back as `busy`, and a database that does not
    answer raises."""
    user_id = job.get("user_id") or ""
    try:
        if deps.tenancy is not None and runner.for_workspace is not None:  # this workspace's tokens and data
            deps, runner = runner.for_workspace(deps, runner, job)
            client = deps.slack
        asker = Asker(
            user_id=user_id,
            channel_id=job.get("channel_id"),
            tz=deps.timezones.tz_for(user_id),
            is_admin=asker_is_admin(deps, user_id, client),
            trigger_id=job.get("trigger_id"),
        )
        return Answer(deps, client, reply=runner.run(job.get("text") or "", asker, defer_busy=defer_busy))
    except RateLimitedError as exc:
        return Answer(deps, client, busy=exc)
    except Exception as exc:
        if defer_busy and unavailable(exc):
            raise  # the database is down: the queue answers it once it is back (its lease runs out)
        logger.exception("/lexer failed before it could answer")
        failed = error_message("Something went wrong on our side while answering that.", "Try again in a minute.")
        return Answer(deps, client, reply=Reply(failed))


def workspace_of_request(deps: Deps, job: dict) -> str:
    """The workspace key a request is answered in ('' in single-workspace mode)."""
    return workspace_key_of(job) if deps.tenancy is not None else ""
