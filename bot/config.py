"""Settings from the environment and a `.env` file: the only reader of os.environ."""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.crypto import KEY_HELP, KEY_VARIABLE, split_keys
from bot.errors import ConfigError, UsageError

SANDBOX_TOKEN = "sandbox-token"


def db_url_password(target: str) -> str | None:
    """The password a postgresql:// LEXERBOT_DB carries (userinfo or ?password=), for redaction."""
    if not target.startswith(("postgresql://", "postgres://")):
        return None
    parts = urllib.parse.urlsplit(target)
    query = dict(urllib.parse.parse_qsl(parts.query))
    password = parts.password or query.get("password")
    return urllib.parse.unquote(password) if password else None


_SECRET_FIELDS = (
    "lexer_api_token",
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "slack_client_secret",
)


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines (comments, `export`, quotes allowed)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


@dataclass(frozen=True)
class Settings:
    """Typed settings (SPEC §2). Secrets are hidden from repr."""

    lexer_api_token: str | None = field(default=None, repr=False)
    lexer_api_url: str = "https://api.lexer.io/v1"
    lexer_status_url: str = "https://clients.lexer.io/api/public/v1/activity/reports/status"
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = "https://slack.com/api/"
    db_path: str = field(default="lexerbot.db", repr=False)  # a postgresql:// URL may hold a password
    pg_password: str | None = field(default=None, repr=False)  # PGPASSWORD, read by libpq; kept for redaction
    timezone: str = "UTC"
    admins: frozenset[str] = frozenset()
    port: int = 3000
    templates_dir: str | None = None
    export_concurrency: int = 2
    export_timeout_s: float = 1800.0
    digest_grace_s: float = 3600.0
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    secret_keys: tuple[str, ...] = field(default=(), repr=False)  # LEXERBOT_SECRET_KEY, split; first encrypts

    @property
    def distribution_mode(self) -> bool:
        """Many workspaces install through OAuth (SLACK_CLIENT_ID + SLACK_CLIENT_SECRET set)."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def sandbox_mode(self) -> bool:
        return not self.lexer_api_token

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def api_token(self) -> str:
        """The token the client sends: the real one, or the sandbox's."""
        return self.lexer_api_token or SANDBOX_TOKEN

    def secrets(self) -> list[str]:
        """Every secret value set, for redaction."""
        values = [v for v in (getattr(self, f) for f in _SECRET_FIELDS) if v] + list(self.secret_keys)
        return values + [p for p in (db_url_password(self.db_path), self.pg_password) if p]

    def require(self, *names: str) -> None:
        """UsageError naming the first of these variables (e.g. "SLACK_BOT_TOKEN") that is not set."""
        for name in names:
            if not getattr(self, name.lower(), None):
                if name == "SECRET_KEYS":
                    raise UsageError(f"{KEY_VARIABLE} is not set; it {KEY_HELP}.")
                raise UsageError(
                    f"{name} is not set; set it in the environment or .env (see README, 'Set up in a workspace')."
                )


def parse_tz_option(name: str) -> ZoneInfo:
    """A command line's --tz value; UsageError with an example when it is not an IANA zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--tz {name!r} is not an IANA timezone (e.g. Australia/Sydney).") from None


def _positive_number(name: str, raw: str, kind=int):
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(name, "must be greater than 0")
    return value


def _url(name: str, raw: str) -> str:
    if not re.match(r"^https?://[^\s/]+", raw):
        raise ConfigError(name, "must be an http(s) URL like https://host/path")
    return raw


def load_settings(environ: dict[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Build Settings from `.env` overlaid by the environment; ConfigError names the bad variable."""
    values: dict[str, str] = {}
    if env_file is not None:
        values.update(read_env_file(Path(env_file)))
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        raw = values.get(name)
        return raw.strip() if raw and raw.strip() else None

    kwargs: dict = {}
    for name, attr in (
        ("LEXER_API_TOKEN", "lexer_api_token"),
        ("SLACK_BOT_TOKEN", "slack_bot_token"),
        ("SLACK_SIGNING_SECRET", "slack_signing_secret"),
        ("SLACK_APP_TOKEN", "slack_app_token"),
        ("LEXERBOT_DB", "db_path"),
        ("LEXERBOT_TEMPLATES", "templates_dir"),
        ("SLACK_CLIENT_ID", "slack_client_id"),
        ("SLACK_CLIENT_SECRET", "slack_client_secret"),
        ("PGPASSWORD", "pg_password"),
    ):
        if (v := get(name)) is not None:
            kwargs[attr] = v
    for name, attr in (
        ("LEXER_API_URL", "lexer_api_url"),
        ("LEXER_STATUS_URL", "lexer_status_url"),
        ("SLACK_API_URL", "slack_api_url"),
    ):
        if (v := get(name)) is not None:
            kwargs[attr] = _url(name, v)
    if (bot := kwargs.get("slack_bot_token")) and not bot.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-")
    if (app := kwargs.get("slack_app_token")) and not app.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN", "must be an app-level token starting with xapp-")
    if (tz := get("LEXERBOT_TIMEZONE")) is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError("LEXERBOT_TIMEZONE", f"{tz!r} is not an IANA timezone (e.g. Australia/Sydney)") from None
        kwargs["timezone"] = tz
    if (admins := get("LEXERBOT_ADMINS")) is not None:
        ids = [a.strip() for a in admins.split(",") if a.strip()]
        bad = [a for a in ids if not re.fullmatch(r"[UW][A-Z0-9]{2,}", a)]
        if bad:
            raise ConfigError(
                "LEXERBOT_ADMINS", f"must be comma-separated Slack user IDs like U012ABCDEF; not {bad[0]!r}"
            )
        kwargs["admins"] = frozenset(ids)
    if (port := get("PORT")) is not None:
        kwargs["port"] = _positive_number("PORT", port)
    if (n := get("LEXERBOT_EXPORT_CONCURRENCY")) is not None:
        kwargs["export_concurrency"] = _positive_number("LEXERBOT_EXPORT_CONCURRENCY", n)
    if (n := get("LEXERBOT_EXPORT_TIMEOUT")) is not None:
        kwargs["export_timeout_s"] = _positive_number("LEXERBOT_EXPORT_TIMEOUT", n, float)
    if (n := get("LEXERBOT_DIGEST_GRACE")) is not None:
        kwargs["digest_grace_s"] = _positive_number("LEXERBOT_DIGEST_GRACE", n, float)
    if bool(kwargs.get("slack_client_id")) != bool(kwargs.get("slack_client_secret")):
        missing = "SLACK_CLIENT_SECRET" if kwargs.get("slack_client_id") else "SLACK_CLIENT_ID"
        raise ConfigError(missing, "distribution mode needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (or neither)")
    if kwargs.get("slack_client_id") and kwargs.get("lexer_api_token"):
        # one token for every workspace would serve one customer's figures to every workspace not yet connected
        raise ConfigError(
            "LEXER_API_TOKEN",
            "must not be set in distribution mode (SLACK_CLIENT_ID set): each workspace connects its own Lexer "
            "account with /lexer connect",
        )
    if (keys := get(KEY_VARIABLE)) is not None:
        kwargs["secret_keys"] = split_keys(keys)
    elif kwargs.get("slack_client_id"):
        raise ConfigError(KEY_VARIABLE, "is required in distribution mode (SLACK_CLIENT_ID set); " + KEY_HELP)
    return Settings(**kwargs)
