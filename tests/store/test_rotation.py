"""`lexer-bot rotate-key` while the bot runs: a token saved during the rotation is the one that stays."""

from __future__ import annotations

from cryptography.fernet import Fernet

from bot.crypto import SecretBox
from bot.store import open_store
from bot.store.installations import rotate_secrets

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
FIRST_TOKEN = "lexer-token-first-PLAIN-1111"
SECOND_TOKEN = "lexer-token-second-PLAIN-2222"
NAMES = {FIRST_TOKEN: "first", SECOND_TOKEN: "second"}  # what a failure prints: never a token


def _token(store, key: str) -> str:
    return NAMES.get(store.lexer_connections.find(key).token, "another")


def test_a_connect_saved_during_a_rotation_keeps_its_new_token(database):
    # failed before on PostgreSQL: the rotation wrote a rotated copy of the first token over the second
    web = open_store(database, SecretBox((OLD_KEY, NEW_KEY)))  # a process deployed before the rotation
    rotator = open_store(database, SecretBox((NEW_KEY, OLD_KEY)))  # `lexer-bot rotate-key`, another process
    try:
        web.lexer_connections.save("T0ONE", FIRST_TOKEN, connected_by="U1", agents=1, groups=1)
        web.lexer_connections.save("T0TWO", FIRST_TOKEN, connected_by="U1", agents=1, groups=1)
        saved = []

        def connect_meanwhile(table: str, key: str) -> None:
            """A `/lexer connect` in the web process, after the rotation read the row and before it wrote it."""
            if table == "lexer_connections" and key == "T0ONE" and not saved:
                web.lexer_connections.save("T0ONE", SECOND_TOKEN, connected_by="U2", agents=2, groups=2)
                saved.append(key)

        assert rotate_secrets(rotator, before_write=connect_meanwhile) == 2
        assert saved == ["T0ONE"]
        for store in (web, rotator):
            assert (_token(store, "T0ONE"), _token(store, "T0TWO")) == ("second", "first")
        # every secret is under the new key now, the one saved meanwhile too
        only_new = SecretBox((NEW_KEY,))
        for (sealed,) in rotator.db.execute("select token_enc from lexer_connections").fetchall():
            assert only_new.decrypt(sealed) in NAMES
    finally:
        web.close()
        rotator.close()
