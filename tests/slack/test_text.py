"""Block Kit -> terminal text, as `ask`, `digest preview` and the demo print it."""

from __future__ import annotations

import pytest

from bot.slack.text import render_message_text

SAMPLE = {
    "text": "Team last week: 5 agents",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Team · last week"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "For <@UALICE>, posted in <#CSUPPORT|support> &amp; <https://lexer.io|Lexer>",
            },
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Refresh"}, "action_id": "refresh"},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Median first response*\n4h 44m"},
                {"type": "mrkdwn", "text": "*NPS*\n+58"},
            ],
        },
        {"type": "divider"},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "Sandbox data <!here>"},
                {"type": "image", "image_url": "https://x/y.png", "alt_text": "logo"},
            ],
        },
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Export CSV"}, "action_id": "export"},
                {"type": "button", "text": {"type": "plain_text", "text": "Snooze"}, "action_id": "snooze"},
            ],
        },
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_list",
                    "style": "bullet",
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": "first"}]},
                        {"type": "rich_text_section", "elements": [{"type": "user", "user_id": "UBOB"}]},
                    ],
                }
            ],
        },
        {"type": "image", "image_url": "https://x/chart.png", "alt_text": "SLA trend"},
    ],
}


def test_render_message_text_reads_like_slack():
    assert render_message_text(SAMPLE, names={"UALICE": "alice"}) == "\n".join(
        [
            "Team · last week",
            "================",
            "For @alice, posted in #support & Lexer (https://lexer.io)  [Refresh]",
            "  *Median first response*  4h 44m",
            "  *NPS*  +58",
            "-" * 40,
            "Sandbox data @here  [image: logo]",
            "[Export CSV] [Snooze]",
            "• first",
            "• @UBOB",
            "[image: SLA trend]",
        ]
    )


@pytest.mark.parametrize(
    "message, expected",
    [
        ({"text": "plain <@U1> in <#C1>"}, "plain @U1 in #C1"),
        ({"text": "ignored", "blocks": [{"type": "divider"}]}, "-" * 40),
        ({"text": "", "files": [{"id": "F1", "name": "cases.csv", "title": "Cases"}]}, "[file: Cases (cases.csv)]"),
        ({"text": "x", "attachments": [{"color": "#f00", "text": "*late*"}]}, "x\n| *late*"),
    ],
)
def test_render_message_text_small_cases(message, expected):
    assert render_message_text(message) == expected
