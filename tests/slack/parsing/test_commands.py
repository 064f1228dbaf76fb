"""The typed commands: which are admin-only, and the fields each family carries."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields

import pytest

from bot.slack.parsing import (
    AlertsCommand,
    ExportCommand,
    HelpCommand,
    ListCommand,
    ReportCommand,
    SubscribeCommand,
    SubscriptionsCommand,
    UnsubscribeCommand,
    is_admin_command,
    parse_command,
)


@pytest.mark.parametrize(
    "text,admin",
    [
        ("export cases", True),
        ("subscribe sla", True),
        ("unsubscribe 3", True),
        ("alerts on", True),
        ("alerts off", True),
        ("alerts snooze 1h", True),
        ("alerts", False),
        ("alerts status", False),
        ("subscriptions", False),
        ("team", False),
        ("help export", False),
    ],
)
def test_is_admin_command(text, admin):
    assert is_admin_command(parse_command(text)) is admin


# the 22 fields of the old single Command, each now on the families that take it
@pytest.mark.parametrize(
    "cls,names",
    [
        (ReportCommand, ["name", "range_text", "group", "agent", "form", "category", "public", "compare"]),
        (ListCommand, ["name", "public"]),
        (HelpCommand, ["topic", "public", "name"]),
        (ExportCommand, ["kind", "range_text", "group", "agent", "form", "category", "public", "name"]),
        (
            SubscribeCommand,
            [
                "kind",
                "form",
                "channel_id",
                "channel_name",
                "cadence",
                "weekday",
                "at_time",
                "tz_name",
                "public",
                "name",
            ],
        ),
        (UnsubscribeCommand, ["subscription_id", "public", "name"]),
        (SubscriptionsCommand, ["public", "name"]),
        (
            AlertsCommand,
            [
                "action",
                "channel_id",
                "channel_name",
                "window_minutes",
                "min_count",
                "sensitivity",
                "snooze",
                "public",
                "name",
            ],
        ),
    ],
)
def test_command_fields_match_the_contract(cls, names):
    assert [f.name for f in fields(cls)] == names


@pytest.mark.parametrize(
    "cmd,name",
    [
        (HelpCommand(), "help"),
        (ExportCommand("cases"), "export"),
        (SubscribeCommand("sla"), "subscribe"),
        (UnsubscribeCommand(3), "unsubscribe"),
        (SubscriptionsCommand(), "subscriptions"),
        (AlertsCommand(), "alerts"),
    ],
)
def test_one_name_families_fix_their_name(cmd, name):
    assert cmd.name == name and cmd.public is False


def test_commands_are_frozen():
    with pytest.raises(FrozenInstanceError):
        parse_command("team").name = "summary"  # type: ignore[misc]
