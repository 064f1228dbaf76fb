"""Monday DMs of each agent's week to a 40-agent team: once each across two processes and a restart,
the opt-out respected, within the Lexer budget (one user_summary per week and timezone)."""

import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.cli import build_deps
from bot.deps import close_deps
from bot.sandbox.server import serve_in_thread
from bot.sandbox.slack_standin.methods.users import add_lexer_agents
from bot.slack.messages.agent_week import AGENT_WEEK_OPT_IN, AGENT_WEEK_OPT_OUT
from digests.agent_week import send_agent_digests, week_slot
from tests.conftest import ADMIN, CHANNEL, USER_SYDNEY, Served, wait_for

TEAM = 40


@pytest.fixture
def sandbox():
    from bot.sandbox.lexer_app import LexerSandbox

    app = LexerSandbox(export_polls=1, extra_agents=TEAM - 8)  # the sandbox's 8 active agents and 32 more
    handle = serve_in_thread(app)
    app.base_url = handle.url
    yield Served(app, handle.url)
    handle.stop()


def click(bot, slack, user_id: str, action_id: str) -> dict:
    key = f"act-{time.monotonic_ns()}"
    payload = {
        "type": "block_actions",
        "token": "legacy",
        "api_app_id": "A0TEST",
        "trigger_id": "1.2.abc",
        "team": {"id": "T0TEST", "domain": "test"},
        "user": {"id": user_id, "username": "agent", "team_id": "T0TEST"},
        "channel": {"id": "D" + user_id[1:], "name": "directmessage"},
        "container": {"type": "message", "message_ts": "1.0", "channel_id": "D" + user_id[1:], "is_ephemeral": False},
        "message": {"ts": "1.0", "text": "Your week", "type": "message"},
        "response_url": slack.app.new_response_url(key),
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b",
                "type": "button",
                "action_ts": str(time.time()),
                "value": "x",
                "text": {"type": "plain_text", "text": "x"},
            }
        ],
    }
    assert bot.action(payload).status_code == 200
    return wait_for(lambda: (slack.app.responses(key) or [None])[-1])


def reports(sandbox) -> list[str]:
    return [r["type"] for r in sandbox.app.requests if r.get("type")]


def week_dms(slack, user_id: str) -> list[dict]:
    return [m for m in slack.app.messages(user_id) if (m.get("text") or "").startswith("Your week")]


@pytest.mark.both_databases
def test_monday_dms_reach_40_agents_once_each_within_the_lexer_budget(bot, sandbox, slack, settings):
    agents = [u for u in sandbox.app.users if not u["archived"]]
    assert len(agents) == TEAM
    ids = add_lexer_agents(slack.app, agents)
    assert "only lexer-bot admins" in str(bot.command("agent-digests on", user_id=USER_SYDNEY)).lower()
    assert "*on*" in str(bot.command("agent-digests on", user_id=ADMIN))
    # one agent opts out from their my-week answer's button, another opts out and back in
    quitter, returner = ids[agents[1]["email"]], ids[agents[2]["email"]]
    assert "Stop these Monday messages" in str(bot.command("my-week", user_id=quitter))
    assert "no more Monday messages" in str(click(bot, slack, quitter, AGENT_WEEK_OPT_OUT))
    click(bot, slack, returner, AGENT_WEEK_OPT_OUT)
    assert "every Monday" in str(click(bot, slack, returner, AGENT_WEEK_OPT_IN))
    sandbox.app.requests.clear()

    # the latest Monday 09:00 in each agent's zone that has passed; passes a minute after each
    now = datetime.now(timezone.utc)
    slots = set()
    for u in agents:
        _, slot = week_slot(now, ZoneInfo(u["timezone"]))
        if slot > now:
            slot -= timedelta(days=7)
        slots.add(slot)
    zones = {u["timezone"] for u in agents}

    def two_processes_at(at):
        procs = [build_deps(settings, worker_id=f"clock-{n}") for n in "ab"]
        results = []
        threads = [threading.Thread(target=lambda d=d: results.append(send_agent_digests(d, at))) for d in procs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for d in procs:
            close_deps(d)
        return results

    for slot in sorted(slots):
        two_processes_at(slot + timedelta(minutes=1))
    # a restart: a new process passes again within the hour and owes nobody anything
    for slot in sorted(slots):
        [again, _] = two_processes_at(slot + timedelta(minutes=30))
        assert again["posted"] == 0

    for u in agents:
        got = week_dms(slack, ids[u["email"]])
        assert len(got) == (0 if ids[u["email"]] == quitter else 1), u["email"]
    dm = week_dms(slack, ids[agents[0]["email"]])[0]
    assert "Stop these Monday messages" in str(dm["blocks"]) and "team median" in str(dm["blocks"])
    posted = [r for r in bot.deps.store.agent_digests.runs() if r["status"] == "posted"]
    assert len(posted) == TEAM - 1
    # the budget: per (week, zone) one user_summary and one summary, at most once per process
    sent = reports(sandbox)
    assert sent.count("user_summary") <= 2 * len(zones) and sent.count("summary") <= 2 * len(zones)
    assert bot.deps.store.audit_log.entries("agent_digests.on")[0]["user_id"] == ADMIN
    assert CHANNEL not in [m.get("channel") for m in slack.app.messages(CHANNEL)]


def test_one_pass_for_40_agents_costs_a_few_lexer_requests(bot, sandbox, slack, settings):
    agents = [u for u in sandbox.app.users if not u["archived"]]
    add_lexer_agents(slack.app, agents)
    bot.command("agent-digests on", user_id=ADMIN)
    sandbox.app.requests.clear()
    zones = {u["timezone"] for u in agents}
    now = datetime.now(timezone.utc)
    deps = build_deps(settings, worker_id="single")
    try:
        for zone in sorted(zones):
            _, slot = week_slot(now, ZoneInfo(zone))
            if slot > now:
                slot -= timedelta(days=7)
            send_agent_digests(deps, slot + timedelta(minutes=1))
    finally:
        close_deps(deps)
    total = len(sandbox.app.requests)
    print(f"\n40 agents in {len(zones)} timezones: {total} Lexer requests ({reports(sandbox)})")
    assert sum(len(week_dms(slack, u)) for u in [s for s in slack.app.users if s.startswith("UAG")]) == TEAM
    assert 1 <= reports(sandbox).count("user_summary") <= len(zones)  # zones at one offset share one answer
    assert total <= 2 * len(zones) + 2  # + GET /users (cached 10 minutes)
