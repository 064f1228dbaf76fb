"""manifest.yml is a usable Slack app manifest; the Procfile runs web and clock."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_manifest_declares_the_app():
    m = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert m["display_information"]["name"]
    assert m["features"]["bot_user"]["display_name"]
    (cmd,) = m["features"]["slash_commands"]
    assert cmd["command"] == "/lexer" and cmd["should_escape"] is True
    assert cmd["description"] and cmd["usage_hint"]
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "im:write", "users:read", "files:write"} <= scopes
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in m["settings"]["event_subscriptions"]["bot_events"]
    assert isinstance(m["settings"]["socket_mode_enabled"], bool)


def test_procfile_web_and_clock():
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert "serve" in lines["web"] and "$PORT" in lines["web"] and "--no-scheduler" in lines["web"]
    assert lines["clock"].strip() == "lexer-bot clock"


def test_distribution_mode_asks_for_the_manifests_bot_scopes():
    from bot.features.workspaces import BOT_SCOPES

    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_uninstalled", "tokens_revoked"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
