"""Block Kit checks (pure)."""

from __future__ import annotations

from bot.sandbox.slack_standin import block_problems
from tests.slack.test_text import SAMPLE


def test_block_problems_accepts_a_typical_report():
    assert block_problems(SAMPLE["blocks"]) == []
