"""Secrets at rest: Fernet over LEXERBOT_SECRET_KEY's comma-separated keys (the first encrypts, all decrypt)."""

from __future__ import annotations

import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.errors import ConfigError

logger = logging.getLogger(__name__)

KEY_VARIABLE = "LEXERBOT_SECRET_KEY"
KEY_HELP = (
    "must be one or more comma-separated Fernet keys (make one with "
    '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`)'
)


def split_keys(raw: str) -> tuple[str, ...]:
    """The keys of a LEXERBOT_SECRET_KEY value; ConfigError (never echoing a key) when one is not a Fernet key."""
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    if not keys:
        raise ConfigError(KEY_VARIABLE, KEY_HELP)
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ConfigError(KEY_VARIABLE, f"key {number} is not a Fernet key; {KEY_HELP}") from None
    return keys


class SecretUnreadableError(ConfigError):
    """A stored secret that none of the configured keys decrypts (its key was dropped too early)."""

    def __init__(self, message: str):
        super().__init__(KEY_VARIABLE, message)


class SecretBox:
    """Encrypts with the first key, decrypts with any; `rotate` re-encrypts under the first key."""

    def __init__(self, keys: tuple[str, ...]):
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def __repr__(self) -> str:
        return "SecretBox(…)"

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretUnreadableError(
                "a stored secret could not be decrypted with any of these keys; put back the key it was encrypted with (rotation keeps old keys until `lexer-bot rotate-key` ran)"
            ) from None

    def rotate(self, sealed: str) -> str:
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise SecretUnreadableError("a stored secret could not be decrypted with any of these keys") from None
