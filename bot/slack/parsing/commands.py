"""The parsed `/lexer` commands (pure): one frozen dataclass per command family.

Every command has `name` (the canonical command word) and `public` (post the answer in
the channel); the rest are the family's own fields, None when not typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.slack.parsing.usage import ADMIN_COMMANDS, ALERTS_ADMIN_ACTIONS
from bot.slack.parsing.values import Snooze
from bot.slack.parsing.workspaces import WorkspaceCommand


@dataclass(frozen=True)
class ReportCommand:
    """summary, team, workload, … nps: RANGE, group:/agent: filters; nps also a form and a category."""

    name: str
    range_text: str | None = None
    group: str | None = None
    agent: str | None = None
    form: str | None = None
    category: str | None = None
    public: bool = False
    compare: bool = False  # beside the same range one period earlier (bot.timeframe.previous_period)


@dataclass(frozen=True)
class ListCommand:
    """users, groups, forms: the directory lists."""

    name: str
    public: bool = False


@dataclass(frozen=True)
class HelpCommand:
    """help [COMMAND]; also what `COMMAND help` and an empty text become."""

    topic: str | None = None
    public: bool = False
    name: str = field(default="help", init=False)


@dataclass(frozen=True)
class ExportCommand:
    """export cases|responses|nps: a CSV of a report's RANGE and filters (nps: a form and a category)."""

    kind: str
    range_text: str | None = None
    group: str | None = None
    agent: str | None = None
    form: str | None = None
    category: str | None = None
    public: bool = False
    name: str = field(default="export", init=False)


@dataclass(frozen=True)
class SubscribeCommand:
    """subscribe sla|nps: a digest to a channel on a schedule."""

    kind: str
    form: str | None = None
    channel_id: str | None = None
    channel_name: str | None = None
    cadence: str | None = None
    weekday: int | None = None  # Monday 0; set exactly when cadence is weekly
    at_time: str | None = None  # HH:MM
    tz_name: str | None = None
    public: bool = False
    name: str = field(default="subscribe", init=False)


@dataclass(frozen=True)
class UnsubscribeCommand:
    """unsubscribe ID."""

    subscription_id: int
    public: bool = False
    name: str = field(default="unsubscribe", init=False)


@dataclass(frozen=True)
class SubscriptionsCommand:
    """subscriptions: the list of digests."""

    public: bool = False
    name: str = field(default="subscriptions", init=False)


@dataclass(frozen=True)
class AlertsCommand:
    """alerts on|off|snooze|status; `on` takes a channel and options, `snooze` always carries a Snooze."""

    action: str = "status"
    channel_id: str | None = None
    channel_name: str | None = None
    window_minutes: int | None = None
    min_count: int | None = None
    sensitivity: str | None = None
    snooze: Snooze | None = None
    public: bool = False
    name: str = field(default="alerts", init=False)


@dataclass(frozen=True)
class TargetsCommand:
    """targets: show them (no changes), or set/clear some: (metric, value or None to clear) pairs."""

    changes: tuple[tuple[str, float | None], ...] = ()
    group: str | None = None
    public: bool = False
    name: str = field(default="targets", init=False)


@dataclass(frozen=True)
class MyWeekCommand:
    """my-week: the asker's own last week beside the team's median."""

    public: bool = False
    name: str = field(default="my-week", init=False)


@dataclass(frozen=True)
class AgentDigestsCommand:
    """agent-digests [status|on|off]: the Monday DM of each agent's week."""

    action: str = "status"
    public: bool = False
    name: str = field(default="agent-digests", init=False)


Command = (
    ReportCommand
    | ListCommand
    | HelpCommand
    | ExportCommand
    | SubscribeCommand
    | UnsubscribeCommand
    | SubscriptionsCommand
    | AlertsCommand
    | WorkspaceCommand
    | TargetsCommand
    | MyWeekCommand
    | AgentDigestsCommand
)


def is_admin_command(cmd: Command) -> bool:
    """True for exports, subscriptions and changing alerts (LEXERBOT_ADMINS only)."""
    if isinstance(cmd, AlertsCommand):
        return cmd.action in ALERTS_ADMIN_ACTIONS
    if isinstance(cmd, WorkspaceCommand) and cmd.name == "admins":
        return cmd.action in ("add", "remove")
    if isinstance(cmd, TargetsCommand):
        return bool(cmd.changes)
    if isinstance(cmd, AgentDigestsCommand):
        return cmd.action != "status"
    return cmd.name in ADMIN_COMMANDS
