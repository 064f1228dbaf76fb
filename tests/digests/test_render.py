import json
import os
from pathlib import Path

import pytest

from bot.slack.blocks import validate_message
from bot.slack.text import render_message_text
from digests.render import DigestRenderer
from tests.digests.samples import nps_context, sla_context

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("LEXERBOT_UPDATE_SNAPSHOTS") == "1"


def check_snapshot(name: str, message: dict) -> None:
    """Compare with snapshots/NAME.json; LEXERBOT_UPDATE_SNAPSHOTS=1 rewrites them (then review the diff)."""
    path = SNAPSHOTS / f"{name}.json"
    text = json.dumps(message, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; rerun with LEXERBOT_UPDATE_SNAPSHOTS=1"


@pytest.mark.parametrize(
    "name, ctx",
    [
        ("sla_full", lambda: sla_context()),
        (
            "sla_missing",
            lambda: sla_context(
                week_ago=None,
                agents=None,
                missing=["the same day last week", "agents"],
                notes=["Posted late: this digest was due at Mon 2 Dec 09:00 AEDT."],
            ),
        ),
        ("sla_quiet_day", lambda: sla_context(agents=[], response=None, cases=None, case_volume=None)),
        ("nps_full", lambda: nps_context()),
        ("nps_nobody_answered", lambda: nps_context(yesterday=None, days=[], missing=["yesterday's NPS"])),
    ],
)
def test_digest_snapshots(name, ctx):
    message = DigestRenderer().render(ctx())
    validate_message(message)
    check_snapshot(name, message)


def test_agent_names_are_escaped_and_cannot_mention():
    message = DigestRenderer().render(sla_context())
    raw = json.dumps(message)
    assert "<!channel>" not in raw
    assert "&lt;!channel&gt; Nguyen" in raw
    assert "O'Brien &amp; Co" in raw


def test_sla_digest_reads_well():
    text = render_message_text(DigestRenderer().render(sla_context()))
    assert "SLA digest · Sun 1 Dec 2024" in text
    assert "412" in text and "21" in text and "5%" in text  # volume, breaches, breach rate
    assert "30m 30s" in text  # average customer wait
    assert "Most breaches" in text and "Slowest response" in text
    assert "sandbox data" in text


def test_nps_digest_reads_well():
    message = DigestRenderer().render(nps_context())
    text = render_message_text(message)
    assert "+56" in text and "+50" in text  # yesterday, last 7 days
    assert "▲ 14 vs the 7 days before" in text
    assert "Promoters" in text and "38 (63%)" in text
    assert "43%" in text  # response rate
    assert "&lt;Survey&gt;" in message["text"]


GOOD_OVERRIDE = (
    '{"text": {{ ("Custom " ~ ctx.day_words)|tojson }}, "blocks": [{"type": "section", '
    '"text": {"type": "mrkdwn", "text": {{ ("Breaches: " ~ ctx.metrics[2].value|count)|tojson }}}}]}'
)


def test_override_by_name_is_used(tmp_path):
    (tmp_path / "sla.json.j2").write_text(GOOD_OVERRIDE)
    renderer = DigestRenderer(tmp_path)
    message = renderer.render(sla_context())
    assert message["text"] == "Custom Sun 1 Dec 2024"
    assert message["blocks"][0]["text"]["text"] == "Breaches: 21"
    # NPS has no override: the built-in
    assert renderer.render(nps_context())["blocks"][0]["type"] == "header"


@pytest.mark.parametrize(
    "template, why",
    [
        ("{% if %}", "syntax error"),
        ('{"text": "{{ ctx.no_such_field }}", "blocks": []}', "UndefinedError"),
        ('{"text": "x", "blocks": [}', "not JSON"),
        ('{"text": "x", "blocks": [{"type": "section"}]}', "Slack would refuse"),
        ('{"blocks": []}', "Slack would refuse"),
        ('{% import "_macros.j2" as m %}{{ m.message("x", [m.header("")]) }}', "Slack would refuse"),
    ],
)
def test_broken_override_falls_back_with_a_note(tmp_path, caplog, template, why):
    (tmp_path / "sla.json.j2").write_text(template)
    message = DigestRenderer(tmp_path).render(sla_context())
    validate_message(message)
    assert message["blocks"][0]["text"]["text"].startswith("SLA digest")  # the built-in
    notes = json.dumps(message["blocks"][1])
    assert "custom template" in notes and why in notes
    assert any("override" in r.message and why in r.message for r in caplog.records)


def test_too_many_agents_or_long_names_stay_within_limits():
    from tests.digests.samples import agent

    many = [agent(i, "A" * 400, "B" * 400, 10, i % 7, 100 * i) for i in range(1, 200)]
    message = DigestRenderer().render(sla_context(agents=many))
    validate_message(message)
