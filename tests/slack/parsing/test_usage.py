"""USAGE and HELP_ORDER: every command has a usage line with an example, and every example parses."""

from __future__ import annotations

import re

import pytest

from bot.slack.parsing import ADMIN_COMMANDS, COMMANDS, HELP_ORDER, REPORT_COMMANDS, USAGE, parse_command


def test_usage_and_help_order_cover_every_command():
    assert set(HELP_ORDER) == set(USAGE) == COMMANDS
    assert len(HELP_ORDER) == len(set(HELP_ORDER))
    assert REPORT_COMMANDS < COMMANDS and ADMIN_COMMANDS < COMMANDS
    for name, usage in USAGE.items():
        for line in usage.splitlines():
            if "/lexer" in line or line.startswith("("):
                continue
            pytest.fail(f"usage line without an example for {name}: {line}")


def test_every_usage_example_parses_to_its_command():
    for name, usage in USAGE.items():
        for example in re.findall(r"`/lexer ([^`]+)`", usage):
            if example in ("subscriptions",) and name != "subscriptions":
                continue  # the pointer from `unsubscribe` to the list
            assert parse_command(example).name == name, example
