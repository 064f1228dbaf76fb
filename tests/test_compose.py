"""compose.yaml is the README's "More than one machine": PostgreSQL, a migrate step, three web replicas and two
clocks, every command one `lexer-bot` knows, and no password written in the file."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.cli import build_parser
from bot.config import load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_postgresql_three_web_replicas_and_two_clocks():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "web", "clock"}
    assert services["postgres"]["image"] == "${POSTGRES_IMAGE:-postgres:15}"  # a mirror may stand in
    assert services["web"]["deploy"]["replicas"] == 3 and services["clock"]["deploy"]["replicas"] == 2
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "clock"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for name in ("migrate", "web", "clock"):
        service = services[name]
        assert service["build"]["context"] == "."
        assert service["env_file"] == "lexer-bot.env"
        url = service["environment"]["LEXERBOT_DB"]
        assert url.startswith("postgresql://") and ":" not in url.split("//")[1].split("@")[0]  # no password
        assert service["environment"]["PGPASSWORD"].startswith("${PGPASSWORD")
        argv = service["command"]
        assert argv[0] == "lexer-bot"
        build_parser().parse_args(argv[1:])  # a sub-command and options lexer-bot has
    assert "--no-scheduler" in services["web"]["command"]


def test_postgresql_has_connections_for_every_process_of_the_stack():
    """Each bot process opens up to POOL_MAX connections: a web replica and its command worker, each clock
    and the migrate step, with PostgreSQL's three reserved for superusers besides."""
    from bot.store.postgres import POOL_MAX

    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    argv = services["postgres"]["command"]
    limit = int(next(a.split("=", 1)[1] for a in argv if a.startswith("max_connections=")))
    processes = 2 * services["web"]["deploy"]["replicas"] + services["clock"]["deploy"]["replicas"] + 1
    assert limit - 3 >= POOL_MAX * processes


def test_the_dockerfile_installs_the_package_and_runs_lexer_bot():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir ." in dockerfile
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD"))
    argv = yaml.safe_load(cmd.removeprefix("CMD").strip())
    assert argv[0] == "lexer-bot" and build_parser().parse_args(argv[1:]).command == "serve"


def test_the_image_never_holds_a_checkouts_secrets_or_venv():
    """`COPY . .` takes the build context: .dockerignore keeps settings files (real tokens), the venv and git out."""
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()}
    assert {".env", "*.env", ".venv", ".git"} <= ignored


def test_the_example_settings_file_loads_and_holds_no_secret(tmp_path):
    """compose.yaml reads lexer-bot.env: the example beside it loads as HTTP-mode settings once filled in."""
    example = (ROOT / "lexer-bot.env.example").read_text()
    settings = load_settings({}, env_file=ROOT / "lexer-bot.env.example")
    assert settings.slack_bot_token == "xoxb-your-bot-token" and settings.slack_signing_secret
    assert settings.lexer_api_token is None  # sandbox mode until a Lexer token is filled in
    assert "LEXERBOT_DB" not in example.replace("LEXERBOT_DB and", "")  # compose.yaml sets it
    for line in example.splitlines():
        if line and not line.startswith("#"):
            assert "your-" in line or line.split("=", 1)[0] in {"LEXERBOT_ADMINS", "LEXERBOT_TIMEZONE"}
