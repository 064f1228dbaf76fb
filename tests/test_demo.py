"""`lexer-bot demo` as a new user runs it: no configuration, a fresh directory, every step shown."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.demo.world import channel_changes

ROOT = Path(__file__).resolve().parent.parent

# what each step must show (the stand-in's rendering of what Slack would display)
STEP_OUTPUT = [
    ("== 1. /lexer help", "/lexer commands"),
    ("== 2. /lexer team last-week", "Team performance"),
    ("== 3. /lexer summary yesterday", "SLA summary"),
    ("== 4. /lexer nps", "NPS"),
    ("== 5. A daily SLA digest", "#support-leads, new message from Lexer"),
    ("== 6. An SLA spike alert and its recovery", "...and again once replies"),
    ("== 7. A CSV export, delivered as a file", "File:  "),
    ("== 8. The App Home tab", "Today so far"),
    ("== 9. Switch an answer's range, then compare", "vs the week before"),
    ("== 10. SLA targets in the digest, and an agent's week", "targets met yesterday"),
]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("fresh")
    tmp = tmp_path_factory.mktemp("tmp")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEXER", "SLACK_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        TMPDIR=str(tmp),
        PYTHONIOENCODING="utf-8",
        # a proxy in the environment must not divert the demo's loopback calls (port 9: nothing listens)
        HTTPS_PROXY="http://127.0.0.1:9",
        http_proxy="http://127.0.0.1:9",
    )
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    return proc, time.monotonic() - started, cwd, tmp


def test_demo_exits_0_within_30_seconds(demo_run):
    proc, took, _, _ = demo_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert took < 30
    assert "!!" not in proc.stdout


def test_every_step_shows_its_output(demo_run):
    out = demo_run[0].stdout
    positions = []
    for rule, shown in STEP_OUTPUT:
        assert rule in out, rule
        start = out.index(rule)
        assert shown in out[start:], f"{rule}: {shown!r} missing"
        positions.append(start)
    assert positions == sorted(positions)


def test_alert_fires_then_recovers(demo_run):
    section = demo_run[0].stdout.split("== 6.", 1)[1].split("== 7.", 1)[0]
    spike, recovery = section.split("...and again once replies", 1)
    assert "from Lexer" in spike and "from Lexer" in recovery


def test_digest_and_replies_say_sandbox(demo_run):
    out = demo_run[0].stdout
    assert "sandbox data" in out.split("== 2.", 1)[1].split("== 3.", 1)[0]


def test_only_the_exported_csv_is_left_behind(demo_run):
    proc, _, cwd, tmp = demo_run
    assert list(cwd.iterdir()) == []  # nothing written where the user ran it
    left = [p for p in tmp.rglob("*") if p.is_file()]
    assert len(left) == 1 and left[0].suffix == ".csv", left
    assert str(left[0]) in proc.stdout
    assert f"({left[0].stat().st_size:,} bytes)" in proc.stdout


def test_no_secret_like_values_printed(demo_run):
    proc = demo_run[0]
    assert "xoxb-" not in proc.stdout + proc.stderr
    assert "demo-signing-secret" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "before, after, expected",
    [
        ([], [{"ts": "1.0", "text": "a"}], [("new message", {"ts": "1.0", "text": "a"})]),
        ([{"ts": "1.0", "text": "a"}], [{"ts": "1.0", "text": "a"}], []),
        ([{"ts": "1.0", "text": "a"}], [{"ts": "1.0", "text": "b"}], [("updated message", {"ts": "1.0", "text": "b"})]),
        (
            [{"ts": "1.0", "text": "a"}],
            [{"ts": "1.0", "text": "a"}, {"ts": "2.0", "text": "r", "thread_ts": "1.0"}],
            [("reply in thread", {"ts": "2.0", "text": "r", "thread_ts": "1.0"})],
        ),
    ],
)
def test_channel_changes(before, after, expected):
    assert channel_changes(before, after) == expected


def test_the_demo_shows_targets_in_the_digest_and_one_agents_week(demo_run):
    section = demo_run[0].stdout.split("== 10.", 1)[1]
    assert "target 5%" in section and "Your week" in section and "team median" in section
