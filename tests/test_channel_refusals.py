"""Where the bot cannot post, `/lexer subscribe` and `/lexer alerts on` refuse with what to do, word for word
(both ask bot.slack_web.channel_problem; each words its own refusal)."""

from __future__ import annotations

import pytest

from bot.slack.text import render_message_text
from tests.conftest import ADMIN

INVITE = "Invite the bot with `/invite @lexer` in that channel, then run `/lexer alerts on` again."
NOT_FOUND = (
    "That channel could not be found (it may be private or deleted). Invite the bot with `/invite @lexer` in it."
)


def refusal(reply: dict) -> str:
    """The refusal and its hint, without the usage that follows."""
    return render_message_text(reply).split("  *Usage:*", 1)[0]


@pytest.mark.parametrize(
    "channel, expect",
    [
        (
            "<#C0NOTIN|random>",
            ":warning: I can't post digests in <#C0NOTIN>.\nThe bot is not in that channel. Invite it with "
            "`/invite @lexer` in the channel, then try again.",
        ),
        (
            "<#C0ARCHIV|old>",
            ":warning: I can't post digests in <#C0ARCHIV>.\nThat channel is archived. Pick another channel.",
        ),
        ("<#C0NOPE|nope>", f":warning: I can't post digests in <#C0NOPE>.\n{NOT_FOUND}"),
    ],
)
def test_subscribe_refuses_a_channel_the_bot_cannot_post_in(bot, channel, expect):
    assert refusal(bot.command(f"subscribe sla {channel}", user_id=ADMIN)) == expect
    assert bot.deps.store.subscriptions.all() == []


@pytest.mark.parametrize(
    "channel, expect",
    [
        (
            "<#C0NOTIN|random>",
            f":warning: The bot is not in that channel, so it could not post alerts there.\n{INVITE}",
        ),
        ("<#C0ARCHIV|old>", ":warning: That channel is archived.\nPick another channel."),
        ("<#C0NOPE|nope>", f":warning: I cannot see that channel (channel_not_found).\n{NOT_FOUND}"),
    ],
)
def test_alerts_on_refuses_a_channel_the_bot_cannot_post_in(bot, channel, expect):
    assert refusal(bot.command(f"alerts on {channel}", user_id=ADMIN)) == expect
    assert bot.deps.store.alerts.config(channel[2:].split("|")[0]) is None
