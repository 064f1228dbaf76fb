"""Settings from env and .env; bad values name the variable; secrets hidden."""

import pytest

from bot.config import load_settings
from bot.errors import ConfigError


def test_defaults_are_sandbox_mode(tmp_path):
    s = load_settings({}, env_file=tmp_path / "none")
    assert s.sandbox_mode and s.timezone == "UTC" and s.port == 3000 and s.admins == frozenset()
    assert s.lexer_api_url == "https://api.lexer.io/v1"


def test_env_file_is_read_and_environment_wins(tmp_path):
    env = tmp_path / ".env"
    env.write_text("# comment\nexport LEXERBOT_TIMEZONE='Australia/Sydney'\nPORT=4000\nLEXERBOT_ADMINS=U1AAA, U2BBB\n")
    s = load_settings({"PORT": "5000"}, env_file=env)
    assert s.timezone == "Australia/Sydney" and s.port == 5000 and s.admins == {"U1AAA", "U2BBB"}


@pytest.mark.parametrize(
    "env,variable",
    [
        ({"LEXERBOT_TIMEZONE": "Mars/Base"}, "LEXERBOT_TIMEZONE"),
        ({"PORT": "abc"}, "PORT"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xoxb-nope"}, "SLACK_APP_TOKEN"),
        ({"LEXERBOT_ADMINS": "bob"}, "LEXERBOT_ADMINS"),
        ({"LEXER_API_URL": "ftp://x"}, "LEXER_API_URL"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, env, variable):
    with pytest.raises(ConfigError) as err:
        load_settings(env, env_file=tmp_path / "none")
    assert str(err.value).startswith(variable)


def test_secrets_are_not_in_repr(tmp_path):
    s = load_settings(
        {"LEXER_API_TOKEN": "lexsecret", "SLACK_BOT_TOKEN": "xoxb-sekrit", "SLACK_SIGNING_SECRET": "signsecret"},
        env_file=tmp_path / "none",
    )
    text = repr(s)
    assert "lexsecret" not in text and "sekrit" not in text and "signsecret" not in text
    assert not s.sandbox_mode
