"""What every reply shares: the footer."""

import pytest

from bot.slack.messages import common
from bot.slack.messages.common import ReplyContext
from tests.slack.messages.samples import (
    LAST_WEEK,
    LIVE,
    SANDBOX,
    YESTERDAY,
)


@pytest.mark.parametrize(
    "tf, ctx, expected",
    [
        (LAST_WEEK, SANDBOX, "last week (Mon 16 Nov – Sun 22 Nov 2026) · Australia/Sydney · sandbox data"),
        (YESTERDAY, LIVE, "yesterday (Tue 24 Nov 2026) · Australia/Sydney"),
        (None, SANDBOX, "sandbox data"),
        (None, LIVE, ""),
        (
            LAST_WEEK,
            ReplyContext(True, "agent: jane@business.io"),
            "last week (Mon 16 Nov – Sun 22 Nov 2026) · agent: jane@business.io · Australia/Sydney · sandbox data",
        ),
    ],
)
def test_footer_text(tf, ctx, expected):
    assert common.footer_text(tf, ctx) == expected
