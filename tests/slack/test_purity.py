"""The message builders, action ids and the text renderer stay pure: no I/O libraries, no database."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE = sorted([*(ROOT / "bot/slack/messages").glob("*.py"), ROOT / "bot/slack/actions.py", ROOT / "bot/slack/text.py"])
ALLOWED = (
    "bot.errors",
    "bot.timeframe",
    "bot.lexer.models",
    "bot.slack.blocks",
    "bot.slack.format",
    "bot.slack",
    "bot.slack.charts",
    "bot.slack.chart_axes",
    "bot.slack.tables",
    "bot.slack.text_pictures",
)


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_only_the_stdlib_and_pure_modules(path):
    for name in imported(path):
        top = name.split(".")[0]
        if top in ("bot", "digests"):
            assert name in ALLOWED or name.startswith(("bot.slack.messages", "bot.slack.actions")), name
        else:
            assert top in sys.stdlib_module_names or top == "__future__", name


# the other pure modules of the house (import-linter holds their imports too; this checks what loads)
OTHER_PURE = (
    "bot.slack.parsing",
    "bot.slack.blocks",
    "bot.slack.format",
    "bot.slack.charts",
    "bot.slack.chart_axes",
    "bot.slack.tables",
    "bot.slack.text_pictures",
    "bot.timeframe",
    "bot.isotime",
    "bot.lexer.models",
    "digests.compose",
    "digests.render",
)  # digests.triggers is pure too, but stands on APScheduler's CronTrigger arithmetic, so it loads apscheduler


def test_importing_them_loads_no_io_library():
    modules = [f"bot.slack.messages.{p.stem}" for p in PURE if p.parent.name == "messages"]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in [*modules, "bot.slack.actions", "bot.slack.text", *OTHER_PURE])
        + "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('httpx', 'sqlite_utils', 'slack_bolt', 'waitress', 'apscheduler', 'psycopg') "
        "or m in ('bot.store', 'slack_sdk.web')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
