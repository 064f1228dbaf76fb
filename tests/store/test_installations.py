"""Installations through slack_sdk's InstallationStore interface on our database, and OAuth states."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation

from bot.crypto import SecretBox
from bot.store import open_store
from bot.store.installations import NoSecretKeyError, OAuthStates, SlackInstallationStore, workspace_key

BOT_TOKEN = "xoxb-org-wide-PLAIN-0001"
REFRESH = "xoxe-refresh-PLAIN-0002"


@pytest.fixture
def sealed_store(tmp_path):
    store = open_store(tmp_path / "db.sqlite", SecretBox((Fernet.generate_key().decode(),)))
    yield store
    store.close()


def _org_install() -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id="E0ORG",
        enterprise_name="Org",
        team_id=None,
        bot_token=BOT_TOKEN,
        bot_refresh_token=REFRESH,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
        user_id="UINSTALL",
        is_enterprise_install=True,
    )


@pytest.mark.parametrize(
    ("enterprise", "team", "org_wide", "key"),
    [("E1", "T1", False, "T1"), ("E1", "T1", True, "E1"), (None, "T1", False, "T1"), ("E1", None, True, "E1")],
)
def test_workspace_key(enterprise, team, org_wide, key):
    assert workspace_key(enterprise, team, org_wide) == key


def test_an_org_wide_install_answers_for_every_team_of_its_enterprise(sealed_store, tmp_path):
    installs = SlackInstallationStore(sealed_store)
    installs.save(_org_install())
    bot = installs.find_bot(enterprise_id="E0ORG", team_id="T0ANY", is_enterprise_install=True)
    assert bot is not None and bot.bot_token == BOT_TOKEN and bot.bot_refresh_token == REFRESH
    # an event from one team of the org (not flagged org-wide) still finds the org's install
    found = installs.find_installation(enterprise_id="E0ORG", team_id="T0ANY")
    assert found is not None and found.user_id == "UINSTALL"
    assert installs.find_installation(enterprise_id="E0ORG", team_id="T0ANY", user_id="USOMEONE") is None
    assert installs.find_bot(enterprise_id="E0OTHER", team_id="T0ANY") is None
    raw = (tmp_path / "db.sqlite").read_bytes()
    wal = tmp_path / "db.sqlite-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    assert BOT_TOKEN.encode() not in raw and REFRESH.encode() not in raw
    installs.delete_installation(enterprise_id="E0ORG", team_id=None)
    assert installs.find_bot(enterprise_id="E0ORG", team_id="T0ANY", is_enterprise_install=True) is None


def test_no_secret_is_stored_without_a_key(fresh_store):
    with pytest.raises(NoSecretKeyError):
        SlackInstallationStore(fresh_store).save(_org_install())
    assert fresh_store.installations.keys() == []


def test_an_oauth_state_is_consumed_once_and_expires(fresh_store):
    now = [1000.0]
    states = OAuthStates(fresh_store, ttl_s=600, clock=lambda: now[0])
    first, second = states.issue(), states.issue()
    assert first != second
    assert states.consume(first) is True
    assert states.consume(first) is False  # replayed
    assert states.consume("never-issued") is False
    now[0] += 601
    assert states.consume(second) is False  # expired


def test_a_rotated_bot_token_is_stored_sealed(sealed_store, tmp_path):
    """Bolt's token rotation hands save_bot the refreshed bot: before, it was dropped and the expired token
    was used again on the next request."""
    installs = SlackInstallationStore(sealed_store)
    installs.save(_org_install())
    bot = installs.find_bot(enterprise_id="E0ORG", team_id=None, is_enterprise_install=True)
    bot.bot_token, bot.bot_refresh_token, bot.bot_token_expires_at = "xoxb-ROTATED-0003", "xoxe-NEW-0004", 2_000_000_000
    installs.save_bot(bot)
    again = installs.find_bot(enterprise_id="E0ORG", team_id="T0ANY", is_enterprise_install=True)
    assert (again.bot_token, again.bot_refresh_token) == ("xoxb-ROTATED-0003", "xoxe-NEW-0004")
    assert int(again.bot_token_expires_at) == 2_000_000_000
    whole = installs.find_installation(enterprise_id="E0ORG", team_id=None, is_enterprise_install=True)
    assert whole.user_id == "UINSTALL" and whole.bot_token == "xoxb-ROTATED-0003"  # the rest of the install kept
    sealed_store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite*"))
    assert b"ROTATED" not in raw and b"xoxe-NEW" not in raw
    # a bot whose workspace was never installed (or was uninstalled meanwhile) is not brought back
    reopened = open_store(tmp_path / "db.sqlite", sealed_store.secrets)
    stray = SlackInstallationStore(reopened)
    bot.enterprise_id, bot.is_enterprise_install, bot.team_id = None, False, "T0GONE"
    stray.save_bot(bot)
    assert stray.find_bot(enterprise_id=None, team_id="T0GONE") is None
    reopened.close()
