"""`lexer-bot alerts check`: one pass from the command line, on the served sandbox and Slack stand-in."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.store import open_store
from tests.conftest import ADMIN, BOT_TOKEN, CHANNEL

UTC = timezone.utc


def test_cli_alerts_check_runs_one_pass(sandbox, slack, tmp_path, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    for name in ("LEXER_API_TOKEN", "LEXERBOT_ADMINS", "LEXER_STATUS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEXER_API_URL", f"{sandbox.url}/v1")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", f"{slack.url}/api/")
    monkeypatch.setenv("LEXERBOT_DB", str(tmp_path / "cli.db"))
    assert main(["alerts", "check"]) == 0
    assert "No channel has alerts on" in capsys.readouterr().out
    store = open_store(tmp_path / "cli.db")
    store.alerts.save_config(
        CHANNEL, window_minutes=60, min_count=5, sensitivity="normal", user_id=ADMIN, now=datetime.now(UTC)
    )
    store.close()
    assert main(["alerts", "check"]) == 0
    out = capsys.readouterr().out
    assert "window 60 min: ok" in out and f"{CHANNEL}: normal" in out
    assert [r["type"] for r in sandbox.app.requests if r["path"] == "/v1/activity/reports"] == ["summary", "summary"]
