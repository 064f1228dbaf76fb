"""A workspace whose Lexer is slow holds only its share of the command workers (distribution mode, served)."""

from __future__ import annotations

import time
import urllib.parse
from datetime import date, timedelta

from bot.commands.queue import WORKER_THREADS
from tests.conftest import ADMIN, wait_for
from tests.workspaces.conftest import ADMIN_B, LEXER_TOKEN_A, LEXER_TOKEN_B, TEAM_A, TEAM_B

SLOW_S = 4.0  # each of workspace A's Lexer answers takes this long


def _text(reply: dict) -> str:
    return reply.get("text", "") + " ".join(str(b) for b in reply.get("blocks", []))


def test_a_workspace_with_a_slow_lexer_does_not_hold_every_worker(dist_bot, lexer):
    """A floods more questions than the dispatcher has threads while its Lexer takes 4 s an answer; B's command
    is answered at once. Without a bound per workspace, A's commands held all eight threads and B waited for
    one of them to come back."""
    queue = dist_bot.deps.store.command_queue
    for team, admin, token in ((TEAM_A, ADMIN, LEXER_TOKEN_A), (TEAM_B, ADMIN_B, LEXER_TOKEN_B)):
        dist_bot.install(team, admin)
        dist_bot.deps.store.lexer_connections.save(team, token, connected_by=admin, agents=1, groups=1)
    lexer.app.set_delay(LEXER_TOKEN_A, SLOW_S)
    today = date.today()
    for n in range(WORKER_THREADS + 2):  # distinct questions: none shares another's Lexer call
        day = today - timedelta(days=2 + n)
        form = {
            "team_id": TEAM_A,
            "channel_id": "C0GENERAL",
            "user_id": ADMIN,
            "command": "/lexer",
            "text": f"team {day.isoformat()}",
            "response_url": dist_bot.slack.app.new_response_url(f"flood-{n}"),
        }
        assert dist_bot.signed_post(urllib.parse.urlencode(form)).status_code == 200
    # A's commands are being answered (their Lexer calls have reached the sandbox): the dispatcher took what
    # it would of them
    wait_for(lambda: queue.running(TEAM_A) >= 2 and lexer.app.counted(LEXER_TOKEN_A) >= 2, timeout=10)
    time.sleep(0.3)  # its claims take milliseconds; this leaves time for the rest it would take
    started = time.monotonic()
    answer = dist_bot.team_command(TEAM_B, "team last-week", ADMIN_B, timeout=3 * SLOW_S)
    waited = time.monotonic() - started
    assert "went wrong" not in _text(answer) and "not connected" not in _text(answer)
    assert waited < SLOW_S - 1.0, f"B waited {waited:.1f} s behind A's slow Lexer"
    assert queue.running(TEAM_A) <= max(1, WORKER_THREADS // 4)
    lexer.app.set_delay(LEXER_TOKEN_A, 0)


def test_home_tabs_of_a_workspace_with_a_slow_lexer_leave_room_for_every_ack(dist_bot, lexer):
    """Bolt runs acks on the same threads as event listeners: seventy Home tabs opened in A, each waiting on
    A's slow Lexer for today's numbers, held every one of them, and B's /lexer was not acked in Slack's 3 s."""
    for team, admin, token in ((TEAM_A, ADMIN, LEXER_TOKEN_A), (TEAM_B, ADMIN_B, LEXER_TOKEN_B)):
        dist_bot.install(team, admin)
        dist_bot.deps.store.lexer_connections.save(team, token, connected_by=admin, agents=1, groups=1)
    lexer.app.set_delay(LEXER_TOKEN_A, SLOW_S)
    for _ in range(70):
        r = dist_bot.team_event(TEAM_A, {"type": "app_home_opened", "user": ADMIN, "tab": "home"})
        assert r.status_code == 200
    wait_for(lambda: lexer.app.counted(LEXER_TOKEN_A) >= 1, timeout=10)  # A's Home tabs are waiting on Lexer
    form = {
        "team_id": TEAM_B,
        "channel_id": "C0GENERAL",
        "user_id": ADMIN_B,
        "command": "/lexer",
        "text": "team last-week",
        "response_url": dist_bot.slack.app.new_response_url("b-ack"),
    }
    started = time.monotonic()
    ack = dist_bot.signed_post(urllib.parse.urlencode(form))
    acked_in = time.monotonic() - started
    assert ack.status_code == 200 and acked_in < 2.0, f"B's ack took {acked_in:.1f} s"
    lexer.app.set_delay(LEXER_TOKEN_A, 0)
