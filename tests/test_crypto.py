"""Secrets at rest: LEXERBOT_SECRET_KEY parsing, MultiFernet rotation, `lexer-bot rotate-key`."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from bot.config import load_settings
from bot.crypto import SecretBox, SecretUnreadableError, split_keys
from bot.errors import ConfigError
from bot.store import open_store

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
LEXER_TOKEN = "lexer-token-PLAIN-4242"


def test_first_key_encrypts_and_every_key_decrypts():
    old = SecretBox((KEY_A,))
    sealed = old.encrypt(LEXER_TOKEN)
    assert LEXER_TOKEN not in sealed
    both = SecretBox((KEY_B, KEY_A))
    assert both.decrypt(sealed) == LEXER_TOKEN
    rotated = both.rotate(sealed)
    assert SecretBox((KEY_B,)).decrypt(rotated) == LEXER_TOKEN
    with pytest.raises(SecretUnreadableError):
        SecretBox((KEY_B,)).decrypt(sealed)


# ids of their own: a random key in a test id differs between xdist's processes, which then refuse to start
@pytest.mark.parametrize("raw", ["not-a-key", f"{KEY_A},short", " , "], ids=["not-a-key", "key-then-short", "blanks"])
def test_a_bad_key_is_a_config_error_that_never_echoes_it(raw):
    with pytest.raises(ConfigError) as caught:
        split_keys(raw)
    assert "LEXERBOT_SECRET_KEY" in str(caught.value)
    assert KEY_A not in str(caught.value)


def test_distribution_mode_needs_both_client_values_and_a_key():
    with pytest.raises(ConfigError, match="SLACK_CLIENT_SECRET"):
        load_settings({"SLACK_CLIENT_ID": "123.456"}, env_file=None)
    with pytest.raises(ConfigError, match="LEXERBOT_SECRET_KEY"):
        load_settings({"SLACK_CLIENT_ID": "123.456", "SLACK_CLIENT_SECRET": "s3cr3t"}, env_file=None)
    settings = load_settings(
        {"SLACK_CLIENT_ID": "123.456", "SLACK_CLIENT_SECRET": "s3cr3t", "LEXERBOT_SECRET_KEY": f"{KEY_A},{KEY_B}"},
        env_file=None,
    )
    assert settings.distribution_mode and settings.secret_keys == (KEY_A, KEY_B)
    assert "s3cr3t" not in repr(settings) and KEY_A not in repr(settings)
    assert {"s3cr3t", KEY_A, KEY_B} <= set(settings.secrets())
    assert not load_settings({}, env_file=None).distribution_mode


def _run_rotate(db, keys: str):
    env = {"LEXERBOT_DB": str(db), "LEXERBOT_SECRET_KEY": keys, "PATH": ""}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "rotate-key"], env=env, capture_output=True, text=True, timeout=60
    )


def test_rotate_key_reencrypts_so_the_old_key_can_be_dropped(tmp_path):
    db = tmp_path / "lexerbot.db"
    store = open_store(db, SecretBox((KEY_A,)))
    store.lexer_connections.save("T1", LEXER_TOKEN, connected_by="U1", agents=8, groups=2)
    store.close()
    assert LEXER_TOKEN.encode() not in db.read_bytes()

    done = _run_rotate(db, f"{KEY_B},{KEY_A}")
    assert done.returncode == 0, done.stderr
    assert "Re-encrypted 1 stored secret" in done.stdout and "can now be dropped" in done.stdout
    assert KEY_A not in done.stdout + done.stderr

    store = open_store(db, SecretBox((KEY_B,)))
    assert store.lexer_connections.find("T1").token == LEXER_TOKEN
    store.close()
    # with only a key that never encrypted anything, rotation says what is wrong and exits 2
    failed = _run_rotate(db, Fernet.generate_key().decode())
    assert failed.returncode == 2 and "LEXERBOT_SECRET_KEY" in failed.stderr and "Traceback" not in failed.stderr
