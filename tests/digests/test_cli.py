import json

import pytest

from bot.cli import main
from tests.conftest import BOT_TOKEN, CHANNEL


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in (
        "LEXER_API_TOKEN",
        "LEXER_API_URL",
        "LEXER_STATUS_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_API_URL",
        "LEXERBOT_TEMPLATES",
        "LEXERBOT_ADMINS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEXERBOT_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("LEXERBOT_TIMEZONE", "Australia/Sydney")
    return monkeypatch


def test_preview_prints_readable_text(env, capsys):
    assert main(["digest", "preview", "sla"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SLA digest · ") and "Breach rate" in out and "Australia/Sydney · sandbox data" in out


def test_preview_json_is_the_slack_payload(env, capsys):
    assert main(["digest", "preview", "nps", "--form", "61", "--json", "--tz", "America/New_York"]) == 0
    message = json.loads(capsys.readouterr().out)
    assert message["blocks"][0]["text"]["text"] == "NPS digest · Post-chat NPS"
    assert "America/New_York" in json.dumps(message["blocks"][-1])


def test_preview_nps_without_a_form_says_which_exist(env, capsys):
    assert main(["digest", "preview", "nps"]) == 2
    err = capsys.readouterr().err
    assert "--form" in err and "Post-chat NPS (61)" in err


def test_preview_uses_an_override_from_lexerbot_templates(env, capsys, tmp_path):
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "sla.json.j2").write_text(
        '{"text": "custom", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": '
        '{{ ("Custom for " ~ ctx.day_words)|tojson }}}}]}'
    )
    env.setenv("LEXERBOT_TEMPLATES", str(tmp_path / "tpl"))
    assert main(["digest", "preview", "sla"]) == 0
    assert capsys.readouterr().out.startswith("Custom for ")


def test_send_posts_to_the_channel(env, capsys, sandbox, slack):
    env.setenv("LEXER_API_TOKEN", "sandbox-token")
    env.setenv("LEXER_API_URL", f"{sandbox.url}/v1")
    env.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    env.setenv("SLACK_API_URL", f"{slack.url}/api/")
    assert main(["digest", "send", "sla", "--channel", CHANNEL]) == 0
    [msg] = slack.app.messages(CHANNEL)
    assert msg["text"].startswith("SLA digest for ")
    assert msg["ts"] in capsys.readouterr().out
    assert main(["digest", "send", "sla", "--channel", "C0NOTIN"]) == 2
    assert "/invite @lexer" in capsys.readouterr().err
