"""Distribution mode at 50 workspaces: digests with per-workspace tokens, and /lexer ack latency.

50 workspaces are installed through the OAuth flow of a served `lexer-bot serve` (the Slack stand-in
answers oauth.v2.access with a bot token per team), each with its own Lexer sandbox token and 10
subscriptions due at the current minute in its own timezone. All 500 digests run through the clock's
job function (digests.schedule.run_scheduled_digest) on the scheduler's pool size. Then 500 signed
`/lexer team last-week`, spread over the 50 workspaces, are timed to their ack, against as many sent to a
single-workspace bot served in the same process (after a warm-up; in alternating rounds, each bot's answers
delivered before the other is timed). Both bots are served as `lexer-bot serve` runs by default: replies are
built by one command worker process (--workers 1), the web process only acks and queues; the single workspace
has the 10 subscriptions one distributed workspace has. The target figure is at --concurrency commands in
flight at once; the same at 50 at once (saturating the server's 16 threads) is printed for information.

Then the noisy neighbour: one workspace's Lexer takes --slow-s (20 s) per call while it floods the bot with
questions, and the other 49 workspaces' `/lexer team DAY` are timed to their ack and to their answer (at
response_url), against the same commands without the slow neighbour, in the same run. A workspace's commands
hold at most a quarter of a command worker's threads (bot.commands.dispatcher.workspace_bound), so the 49 keep
their times. `--only-neighbour` skips the digests and the single-workspace comparison.

    python bench/workspaces.py [--workspaces 50] [--subs 10] [--commands 500] [--rounds 4] [--concurrency 8]
                               [--workers 1] [--slow-s 20] [--only-neighbour]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from cryptography.fernet import Fernet
from slack_sdk.signature import SignatureVerifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cli import build_served  # noqa: E402
from bot.commands.dispatcher import workspace_bound  # noqa: E402
from bot.commands.queue import WORKER_THREADS  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.lexer.rate_limit import RATE_LIMIT, RATE_WINDOW_S  # noqa: E402
from bot.sandbox.lexer_app import LexerSandbox  # noqa: E402
from bot.sandbox.server import serve_in_thread  # noqa: E402
from bot.sandbox.slack_standin import SlackStandIn  # noqa: E402
from digests.schedule import EXECUTOR_THREADS, run_scheduled_digest  # noqa: E402

ZONES = ("Australia/Sydney", "America/New_York", "Europe/London", "Asia/Tokyo", "America/Los_Angeles")
SECRET = "bench-signing-secret"
SINGLE_BOT_TOKEN = "xoxb-bench-single"
CLIENT = ("9999.8888", "bench-client-secret")


def signed(http: httpx.Client, url: str, form: dict) -> float:
    body = urllib.parse.urlencode(form)
    ts = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    t0 = time.perf_counter()
    r = http.post(
        f"{url}/slack/events",
        content=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
        },
    )
    elapsed = time.perf_counter() - t0
    assert r.status_code == 200, r.text
    return elapsed


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def ack_latencies(
    url: str, slack: SlackStandIn, teams: list[str], n: int, user: str, concurrency: int = 50
) -> list[float]:
    with httpx.Client(timeout=30) as http, ThreadPoolExecutor(concurrency) as pool:

        def one(i: int) -> float:
            return signed(
                http,
                url,
                {
                    "team_id": teams[i % len(teams)],
                    "channel_id": "C0GENERAL",
                    "user_id": user,
                    "command": "/lexer",
                    "text": "team last-week",
                    "response_url": slack.new_response_url(f"r{i}-{time.monotonic_ns()}"),
                    "trigger_id": "t",
                },
            )

        return list(pool.map(one, range(n)))


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


NOT_THE_ANSWER = ("Queued", "Got it")  # notices that come before an answer


def timed_command(http: httpx.Client, url: str, slack: SlackStandIn, team: str, text: str) -> tuple[float, float]:
    """(seconds to the ack, seconds to the answer at response_url) of one `/lexer TEXT` from `team`."""
    key = f"nb-{team}-{time.monotonic_ns()}"
    form = {
        "team_id": team,
        "channel_id": "C0GENERAL",
        "user_id": "UADMIN01",
        "command": "/lexer",
        "text": text,
        "response_url": slack.new_response_url(key),
        "trigger_id": "t",
    }
    t0 = time.perf_counter()
    ack = signed(http, url, form)
    deadline = t0 + 120.0
    while not [r for r in slack.responses(key) if not str(r.get("text", "")).startswith(NOT_THE_ANSWER)]:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no answer for {text!r} from {team}")
        time.sleep(0.01)
    return ack, time.perf_counter() - t0


def neighbour_round(url: str, slack: SlackStandIn, teams: list[str], days: list[str], concurrency: int):
    """Each team asks `team DAY` for each day, `concurrency` in flight at once: (acks, answers) in seconds."""
    asks = [(team, f"team {day}") for day in days for team in teams]
    with httpx.Client(timeout=60) as http, ThreadPoolExecutor(concurrency) as pool:
        timed = list(pool.map(lambda ask: timed_command(http, url, slack, *ask), asks))
    return [a for a, _ in timed], [b for _, b in timed]


def noisy_neighbour(args, url: str, running, slack: SlackStandIn, sandbox: LexerSandbox, teams, tokens) -> bool:
    """The 49's ack and answer times without, then with, one workspace whose Lexer takes args.slow_s a call."""
    slow_team, slow_token, others = teams[0], tokens[0], teams[1:]
    queue = running.deps.store.command_queue
    today = datetime.now(timezone.utc).date()
    day = lambda n: (today - timedelta(days=n)).isoformat()  # noqa: E731
    # distinct days: every answer is a Lexer call of its own (none comes from the cache); the same number of
    # them in each phase
    quiet_days = [day(20 + i) for i in range(args.neighbour_commands)]
    noisy_days = [day(40 + i) for i in range(args.neighbour_commands)]
    neighbour_round(url, slack, teams, ["last-week"], args.concurrency)  # warm-up: each directory fetched once
    drain(running)
    quiet_acks, quiet_answers = neighbour_round(url, slack, others, quiet_days, args.concurrency)
    drain(running)

    sandbox.set_delay(slow_token, args.slow_s)
    held = workspace_bound(WORKER_THREADS) * args.workers
    flood = 3 * WORKER_THREADS * args.workers  # more than every worker thread of the bot, and still queued after
    with httpx.Client(timeout=30) as http:
        for i in range(flood):
            timed_command_ack_only(http, url, slack, slow_team, f"team {day(100 + i)}")
    deadline = time.monotonic() + 30
    while queue.running(slow_team) < held and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the dispatchers take what they will of the flood in milliseconds
    holding = queue.running(slow_team)
    noisy_acks, noisy_answers = neighbour_round(url, slack, others, noisy_days, args.concurrency)
    still_holding, still_waiting = queue.running(slow_team), queue.waiting()
    sandbox.set_delay(slow_token, 0)

    print(
        f"noisy neighbour: 1 workspace's Lexer takes {args.slow_s:.0f} s a call and it sent {flood} questions; "
        f"it held {holding} of {WORKER_THREADS * args.workers} command threads (then {still_holding}, "
        f"{still_waiting} commands still queued behind it)"
    )
    ratios = {}
    for what, quiet, noisy in (("ack", quiet_acks, noisy_acks), ("answer", quiet_answers, noisy_answers)):
        ratios[what] = p95(noisy) / p95(quiet)
        print(
            f"  {len(others)} other workspaces' {what} ({len(noisy)} commands, {args.concurrency} at once): "
            f"p50 {statistics.median(quiet) * 1000:.0f} -> {statistics.median(noisy) * 1000:.0f} ms, "
            f"p95 {p95(quiet) * 1000:.0f} -> {p95(noisy) * 1000:.0f} ms without -> with the slow neighbour "
            f"(p50 ratio {statistics.median(noisy) / statistics.median(quiet):.2f}, p95 ratio {ratios[what]:.2f})"
        )
    ok = max(p95(noisy_answers), p95(noisy_acks)) < args.slow_s / 4 and ratios["answer"] <= 1.5
    print(f"  target: the 49's answer p95 within 1.5x of the quiet run and under {args.slow_s / 4:.0f} s")
    return ok


def timed_command_ack_only(http: httpx.Client, url: str, slack: SlackStandIn, team: str, text: str) -> float:
    form = {
        "team_id": team,
        "channel_id": "C0GENERAL",
        "user_id": "UADMIN01",
        "command": "/lexer",
        "text": text,
        "response_url": slack.new_response_url(f"flood-{time.monotonic_ns()}"),
        "trigger_id": "t",
    }
    return signed(http, url, form)


def drain(running, timeout: float = 120.0) -> None:
    """Wait until the bot has answered every command it took."""
    queue = running.deps.store.command_queue
    deadline = time.monotonic() + timeout
    while queue.waiting() or queue.running():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not answer its commands in time")
        time.sleep(0.05)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspaces", type=int, default=50)
    ap.add_argument("--subs", type=int, default=10)
    ap.add_argument("--commands", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=4, help="the timed commands are sent in this many batches")
    ap.add_argument("--concurrency", type=int, default=8, help="commands in flight at once for the target figure")
    ap.add_argument("--workers", type=int, default=1, help="command worker processes per bot, as `lexer-bot serve`")
    ap.add_argument("--slow-s", type=float, default=20.0, help="the noisy neighbour's Lexer: seconds per call")
    ap.add_argument("--neighbour-commands", type=int, default=2, help="commands per other workspace per phase")
    ap.add_argument("--only-neighbour", action="store_true", help="skip the digests and the single-workspace bot")
    args = ap.parse_args()
    if args.only_neighbour:
        args.subs = 0

    tokens = [f"lexer-bench-{i:03d}" for i in range(args.workspaces)]
    sandbox = LexerSandbox(rate_limit=RATE_LIMIT, rate_window_s=RATE_WINDOW_S, tokens=(*tokens, "single-token"))
    slack = SlackStandIn(bot_token=SINGLE_BOT_TOKEN)
    slack.oauth_client = CLIENT
    slack.add_user("UADMIN01", name="ada", tz="Australia/Sydney")
    slack.add_channel("C0GENERAL", "general", member=True)
    lexer_srv, slack_srv = serve_in_thread(sandbox, threads=32), serve_in_thread(slack, threads=32)
    sandbox.base_url, slack.base_url = lexer_srv.url, slack_srv.url
    tmp = tempfile.TemporaryDirectory()
    servers = []
    try:
        common = dict(
            lexer_api_url=f"{lexer_srv.url}/v1",
            lexer_status_url=f"{lexer_srv.url}/api/public/v1/activity/reports/status",
            slack_signing_secret=SECRET,
            slack_api_url=f"{slack_srv.url}/api/",
        )
        dist = Settings(
            **common,
            db_path=str(Path(tmp.name) / "dist.db"),
            slack_client_id=CLIENT[0],
            slack_client_secret=CLIENT[1],
            secret_keys=(Fernet.generate_key().decode(),),
        )
        running, wsgi = build_served(dist, scheduler=False, command_workers=args.workers)
        served = serve_in_thread(wsgi, threads=16)
        servers.append((running, served))
        deps = running.deps

        teams = [f"T{i:07d}" for i in range(args.workspaces)]
        t0 = time.perf_counter()
        with httpx.Client(timeout=30) as http:
            for team in teams:
                page = http.get(f"{served.url}/slack/install")
                state = re.search(r"state=([^&\"']+)", page.text).group(1)
                cookie = page.headers["set-cookie"].split(";")[0]
                code = slack.authorize_install(team, "UADMIN01")
                done = http.get(
                    f"{served.url}/slack/oauth_redirect",
                    params={"code": code, "state": state},
                    headers={"Cookie": cookie},
                )
                assert done.status_code == 200, done.text
        install_s = time.perf_counter() - t0
        due = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        jobs = []
        for i, (team, token) in enumerate(zip(teams, tokens, strict=True)):
            deps.store.lexer_connections.save(team, token, connected_by="UADMIN01", agents=0, groups=0)
            zone = ZONES[i % len(ZONES)]
            store = deps.store.for_workspace(team)
            for j in range(args.subs):
                channel = f"C{i:04d}{j:04d}"
                slack.add_channel(channel, f"team-{i}-{j}", member=True)
                sub = store.subscriptions.add(
                    kind="sla",
                    channel_id=channel,
                    cadence="daily",
                    at_time=due.astimezone(ZoneInfo(zone)).strftime("%H:%M"),
                    tz=zone,
                    created_by="UADMIN01",
                )
                jobs.append((sub.id, team))
        if args.only_neighbour:
            ok = noisy_neighbour(args, served.url, running, slack, sandbox, teams, tokens)
            print("OK" if ok else "TARGET MISSED")
            return 0 if ok else 1

        slack.reset()
        sandbox.reset_counters()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(EXECUTOR_THREADS) as pool:
            list(pool.map(lambda job: run_scheduled_digest(deps, job[0], job[1]), jobs))
        wall = time.perf_counter() - t0
        statuses = Counter(r["status"] for r in deps.store.db.query("select status from digest_runs"))
        per_token = [sandbox.counted(t) for t in tokens]
        calls = Counter(c.method for c in slack.calls)
        teams_posting = {c.team_id for c in slack.calls if c.method == "chat.postMessage"}
        print(f"installed {len(teams)} workspaces through OAuth in {install_s:.2f} s")
        print(f"digests: {len(jobs)} due at {due:%H:%M} UTC in {len(ZONES)} zones; runs {dict(statuses)}")
        print(
            f"Lexer requests per token: max {max(per_token)}, median {statistics.median(per_token)} "
            f"(limit {RATE_LIMIT} per {int(RATE_WINDOW_S)} s); total {sum(per_token)}"
        )
        print(f"Slack calls: {sum(calls.values())} {dict(calls)}; from {len(teams_posting)} workspaces' tokens")
        print(f"wall time for all digests: {wall:.2f} s ({wall / len(jobs) * 1000:.1f} ms per digest)")

        # ack latency: the same commands against a single-workspace bot in this process
        single = Settings(
            **common,
            lexer_api_token="single-token",
            slack_bot_token=SINGLE_BOT_TOKEN,
            db_path=str(Path(tmp.name) / "single.db"),
            admins=frozenset({"UADMIN01"}),
        )
        running_1, wsgi_1 = build_served(single, scheduler=False, command_workers=args.workers)
        # like for like: the single workspace has the subscriptions one distributed workspace has (its Lexer
        # limiter holds budget for them, as each of the 50 does), so the ratio is the cost of distribution alone
        for j in range(args.subs):
            running_1.deps.store.subscriptions.add(
                kind="sla",
                channel_id=f"C9999{j:04d}",
                cadence="daily",
                at_time=due.astimezone(ZoneInfo(ZONES[0])).strftime("%H:%M"),
                tz=ZONES[0],
                created_by="UADMIN01",
            )
        served_1 = serve_in_thread(wsgi_1, threads=16)
        servers.append((running_1, served_1))
        # both bots answer the same commands in the same process: warm-up excluded (each workspace's first
        # answer is fetched from Lexer; later ones come from the cache), rounds alternating which goes first,
        # and each batch's answers delivered before the next batch starts, so neither is timed while the
        # other is still answering
        bots = {"dist": (served.url, teams, running), "single": (served_1.url, ["T0TEST"], running_1)}
        for url, ids, bot in bots.values():
            ack_latencies(url, slack, ids, 50, "UADMIN01")
            drain(bot)
        per_round = [args.commands // args.rounds + (r < args.commands % args.rounds) for r in range(args.rounds)]
        ratios = {}
        # at the target's load (--concurrency people typing at once), then saturated (50 at once on 16 threads,
        # where an ack waits for a free server thread and the figure is the whole request's CPU, answer included)
        for concurrency in dict.fromkeys((args.concurrency, 50)):
            acks: dict[str, list[float]] = {"dist": [], "single": []}
            for r, n in enumerate(per_round):
                for name in ("dist", "single") if r % 2 == 0 else ("single", "dist"):
                    url, ids, bot = bots[name]
                    acks[name] += ack_latencies(url, slack, ids, n, "UADMIN01", concurrency)
                    drain(bot)
            dist_acks, single_acks = acks["dist"], acks["single"]
            ratios[concurrency] = ratio = p99(dist_acks) / p99(single_acks)
            target = "target <= 1.2" if concurrency == args.concurrency else "for information"
            print(
                f"/lexer ack p99 at {concurrency} at once: {p99(dist_acks) * 1000:.1f} ms over {len(teams)} workspaces"
                f" vs {p99(single_acks) * 1000:.1f} ms single-workspace (ratio {ratio:.2f}, {target}); medians"
                f" {statistics.median(dist_acks) * 1000:.1f} / {statistics.median(single_acks) * 1000:.1f} ms"
            )
        ratio = ratios[args.concurrency]
        neighbour_ok = noisy_neighbour(args, served.url, running, slack, sandbox, teams, tokens)
        ok = (
            neighbour_ok
            and statuses.get("posted", 0) == len(jobs)
            and max(per_token) <= RATE_LIMIT
            and len(teams_posting) == len(teams)
            and ratio <= 1.2
        )
        print("OK" if ok else "TARGET MISSED")
        return 0 if ok else 1
    finally:
        for running, served in servers:
            served.stop()
            running.stop()
        lexer_srv.stop()
        slack_srv.stop()
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
