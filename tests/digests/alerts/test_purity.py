"""Alert detection and episodes stay pure: importing them loads no I/O library, no store and no API client."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
IMPURE = ("httpx", "sqlite_utils", "slack_sdk", "slack_bolt", "waitress", "apscheduler", "psycopg")


@pytest.mark.parametrize("module", ["digests.alerts.detect", "digests.alerts.episode"])
def test_importing_it_loads_no_io_library(module):
    code = (
        f"import sys\nimport {module}\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {IMPURE!r}"
        " or m in ('bot.store', 'bot.lexer.client')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
