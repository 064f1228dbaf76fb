"""Run a parsed /lexer command: Activity API + database + message builders. No Bolt types.

`CommandRunner.run(text, asker)` never raises: every failure becomes a reply
that says what went wrong and what to do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.deps import Deps
from bot.errors import CommandError, LexerApiError, LexerBotError, NotAllowedError
from bot.lexer.client import ActivityClient, Filters
from bot.lexer.models import CaseVolume, Form, Group, Point, ResponseVolume, StatesVolume, User
from bot.slack.messages import directory, reports
from bot.slack.messages.common import ReplyContext
from bot.slack.messages.help import error_message, help_message
from bot.slack.parsing import (
    HELP_ORDER,
    USAGE,
    Command,
    ExportCommand,
    HelpCommand,
    ListCommand,
    ReportCommand,
    is_admin_command,
    parse_command,
)
from bot.timeframe import Timeframe, parse_range

logger = logging.getLogger(__name__)

DEFAULT_RANGE = "yesterday"
DEFAULT_NPS_RANGE = "last-7d"
DIRECTORY_TTL_S = 600.0

Services = Deps  # the handlers' old name for their dependencies


@dataclass(frozen=True)
class Asker:
    """Who asked, where, and in which timezone."""

    user_id: str
    channel_id: str | None
    tz: ZoneInfo
    is_admin: bool = False


@dataclass
class Reply:
    """A whole Slack message plus where it goes."""

    message: dict
    public: bool = False
    after: Callable[[], None] | None = field(default=None, repr=False)  # work to start once the reply is sent


class Directory:
    """Cached users, groups and forms, for resolving names in filters and FORM."""

    def __init__(
        self, api: ActivityClient, ttl_s: float = DIRECTORY_TTL_S, clock: Callable[[], float] = time.monotonic
    ):
        self.api = api
        self.ttl_s = ttl_s
        self.clock = clock
        self._cache: dict[str, tuple[float, list]] = {}
        self._lock = threading.Lock()

    def _get(self, name: str, fetch: Callable[[], list]) -> list:
        with self._lock:
            hit = self._cache.get(name)
            if hit and hit[0] > self.clock():
                return hit[1]
        value = fetch()
        with self._lock:
            self._cache[name] = (self.clock() + self.ttl_s, value)
        return value

    def users(self) -> list[User]:
        return self._get("users", self.api.users)

    def groups(self) -> list[Group]:
        return self._get("groups", self.api.groups)

    def forms(self) -> list[Form]:
        return self._get("forms", self.api.forms)


def _match(items: list, query: str, keys: Callable[[Any], list[str]], what: str, listing: Callable[[Any], str]):
    """Exact id, then exact name/email, then a unique prefix or substring; else a CommandError listing them."""
    q = query.strip().strip('"').lower()
    if q.isdigit():
        for it in items:
            if it.id == int(q):
                return it
    exact = [it for it in items if q in (k.lower() for k in keys(it))]
    if len(exact) == 1:
        return exact[0]
    partial = [it for it in items if any(q in k.lower() for k in keys(it))]
    if len(partial) == 1:
        return partial[0]
    names = ", ".join(listing(it) for it in items[:15]) or "none"
    if len(partial) > 1:
        raise CommandError(
            f"`{query}` matches more than one {what}: {', '.join(listing(it) for it in partial[:8])}.",
            hint=f"Use the id or the full name of the {what}.",
        )
    raise CommandError(f"No {what} matches `{query}`.", hint=f"Known {what}s: {names}.")


def resolve_group(directory: Directory, query: str) -> Group:
    return _match(directory.groups(), query, lambda g: [g.name], "group", lambda g: f"{g.name} ({g.id})")


def resolve_agent(directory: Directory, query: str) -> User:
    return _match(directory.users(), query, lambda u: [u.email, u.name], "agent", lambda u: f"{u.email} ({u.id})")


def resolve_nps_form(directory: Directory, query: str | None) -> Form:
    forms = [f for f in directory.forms() if f.nps and not f.archived] or [f for f in directory.forms() if f.nps]
    if query is None:
        if len(forms) == 1:
            return forms[0]
        if not forms:
            raise CommandError("There is no NPS survey in this Lexer account.")
        raise CommandError(
            "There is more than one NPS survey; say which.",
            hint="Surveys: " + ", ".join(f"{f.name} ({f.id})" for f in forms) + f". e.g. `/lexer nps {forms[0].id}`",
        )
    try:
        return _match(forms, query, lambda f: [f.name, f.title], "NPS survey", lambda f: f"{f.name} ({f.id})")
    except CommandError:
        q = query.strip().strip('"').lower()
        other = [
            f for f in directory.forms() if not f.nps and (str(f.id) == q or q in (f.name.lower(), f.title.lower()))
        ]
        if other:  # a real form, just not a survey: say so rather than "no match"
            raise CommandError(
                f"`{other[0].name}` ({other[0].id}) is a form, not an NPS survey.",
                hint="NPS surveys: "
                + (", ".join(f"{f.name} ({f.id})" for f in forms) or "none")
                + ". `/lexer forms` lists them all.",
            ) from None
        raise


def resolve_filters(directory: Directory, cmd: ReportCommand | ExportCommand) -> tuple[Filters, str | None]:
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


# ------------------------------------------------------------------ report handlers


def drop_future(points: list[Point], tf: Timeframe, now: datetime) -> list[Point]:
    """Buckets that start after now (the rest of `today`, `this-week`) are not zeros to draw in a trend."""
    local_now = now.astimezone(tf.tz).replace(tzinfo=None)
    return [p for p in points if p.start <= local_now]


def drop_future_states(sv: StatesVolume, tf: Timeframe, now: datetime) -> StatesVolume:
    return StatesVolume({state: drop_future(points, tf, now) for state, points in sv.series.items()})


def _ctx(services: Services, filters_text: str | None = None) -> ReplyContext:
    return ReplyContext(sandbox=services.settings.sandbox_mode, filters_text=filters_text)


def _report(cmd: ReportCommand, asker: Asker, services: Services) -> dict:
    filters, ftext = resolve_filters(services.directory, cmd)
    api, ctx = services.api, _ctx(services, ftext)
    now = services.now()
    if cmd.name == "nps":
        form = resolve_nps_form(services.directory, cmd.form)
        tf = timeframe_for(cmd, asker, now, DEFAULT_NPS_RANGE)
        category = cmd.category or "all"
        return reports.nps_message(
            form,
            api.nps_summary(tf, form.id, category, filters),
            api.nps_volume(tf, form.id, category, filters),
            tf,
            ctx,
            cmd.category,
        )
    tf = timeframe_for(cmd, asker, now)
    if cmd.name == "summary":
        return reports.summary_message(api.summary(tf, filters), tf, ctx)
    if cmd.name == "team":
        return reports.team_message(api.user_summary(tf, filters), tf, ctx)
    if cmd.name == "workload":
        return reports.workload_message(api.user_volume(tf, filters), tf, ctx)
    if cmd.name == "states":
        return reports.states_message(drop_future_states(api.states_volume(tf, filters), tf, now), tf, ctx)
    if cmd.name == "classifications":
        return reports.classifications_message(api.classifications(tf, filters), tf, ctx)
    if cmd.name == "response-time":
        rv = api.response_volume(tf, filters)
        return reports.response_time_message(ResponseVolume(drop_future(rv.avg_response_time, tf, now)), tf, ctx)
    if cmd.name == "cases":
        cv = api.case_volume(tf, filters)
        return reports.cases_message(api.case_summary(tf, filters), CaseVolume(drop_future(cv.open, tf, now)), tf, ctx)
    if cmd.name == "case-classifications":
        return reports.case_classifications_message(api.case_classifications(tf, filters), tf, ctx)
    raise CommandError(f"`{cmd.name}` is not a report.")


def _lists(cmd: ListCommand, asker: Asker, services: Services) -> dict:
    d, ctx = services.directory, _ctx(services)
    if cmd.name == "users":
        return directory.users_message(d.users(), d.groups(), ctx)
    if cmd.name == "groups":
        return directory.groups_message(d.groups(), d.users(), ctx)
    return directory.forms_message(d.forms(), ctx)


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


CommandHandler = Callable[[Command, Asker, "Deps"], Reply]


def report_command(cmd: ReportCommand, asker: Asker, deps: Deps) -> Reply:
    """summary, team, workload, states, classifications, response-time, cases, case-classifications, nps."""
    return Reply(_report(cmd, asker, deps), public=cmd.public)


def list_command(cmd: ListCommand, asker: Asker, deps: Deps) -> Reply:
    """users, groups, forms."""
    return Reply(_lists(cmd, asker, deps), public=cmd.public)


def help_command(cmd: HelpCommand, asker: Asker, deps: Deps) -> Reply:
    return Reply(help_message(USAGE, HELP_ORDER, cmd.topic), public=cmd.public)


class CommandRunner:
    """Parse /lexer text for one asker and hand it to the feature that answers it (bot/features.py)."""

    def __init__(self, deps: Deps, commands: Mapping[str, CommandHandler]):
        self.deps = deps
        self.commands = dict(commands)

    def run(self, text: str, asker: Asker) -> Reply:
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
            logger.warning("Lexer error for %s: %s", asker.user_id, type(exc).__name__)
            return Reply(error_message(exc.message, exc.hint or None), public=False)
        except LexerBotError as exc:
            return Reply(error_message(exc.message, exc.hint or None), public=False)
        except Exception:  # never let an exception reach the user
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
            raise admin_refusal(self.deps.settings)
        return handler(cmd, asker, self.deps)


def is_admin(settings: Settings, user_id: str) -> bool:
    return user_id in settings.admins
