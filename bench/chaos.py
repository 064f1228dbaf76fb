"""A chaos run: the bot's processes are killed with SIGKILL at random while digests, alerts, exports and commands flow.

The Lexer sandbox (at its real rate limit) and the Slack stand-in are served on
loopback by this script and outlive every kill. `lexer-bot serve --no-scheduler
--workers 1` (the web process and its command worker) and `lexer-bot clock` run
as real processes on one SQLite file. Every 20–60 s one of web, worker or clock
is killed with SIGKILL; web and clock are restarted (the web process restarts
its own worker). Each minute of the run, `--subs-per-minute` digest
subscriptions fall due; an SLA spike is injected so the alert fires; exports
and `/lexer` commands arrive throughout. A command refused at the door (the web
process was down) is sent again a second later, as a user would retry.

Prints digest slots posted once / twice / never, exports delivered once / twice
/ never, commands answered / answered twice / lost, alert episodes posted, and
the most Lexer requests in any 300 s window. Target: everything once, nothing
lost, at most 100.

    python bench/chaos.py [--minutes 10] [--subs-per-minute 20] [--exports 5] [--commands 300] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bench.cpu_meter import CPU_KINDS, CpuMeter, _minus  # noqa: E402
from bench.digest_fanout import max_in_window  # noqa: E402  (the same count the fan-out bench prints)
from bench.fleet import (  # noqa: E402
    ADMIN,
    ALERT_CHANNEL,
    BOT_TOKEN,
    COMMAND_CHANNEL,
    DIGEST_CHANNELS,
    DIGEST_GRACE_S,
    SIGNING_SECRET,
    USERS,
    ZONES,
    Processes,
    Slack,
    digest_posts,
    export_deliveries,
    free_port,
    is_final,
    seed_subscriptions,
    wait_healthy,
)
from bot.config import SANDBOX_TOKEN  # noqa: E402
from bot.lexer.rate_limit import RATE_LIMIT, RATE_WINDOW_S  # noqa: E402
from bot.sandbox.lexer_app import LexerSandbox  # noqa: E402
from bot.sandbox.server import serve_in_thread  # noqa: E402
from bot.sandbox.slack_standin import SlackStandIn  # noqa: E402
from bot.store import Store  # noqa: E402


@dataclass
class Figures:
    """What the run saw, counted from the stand-in's and the sandbox's own records."""

    digest_slots: Counter = field(default_factory=Counter)  # posts per due slot: 0, 1, 2...
    exports: Counter = field(default_factory=Counter)  # deliveries per export
    commands: Counter = field(default_factory=Counter)  # final answers per command
    commands_resent: int = 0
    alert_posts: int = 0
    alert_spikes: int = 0  # episodes owed: a check pass came on a running clock a minute or more before the end
    alert_possible: int = 0  # episodes that may have posted: any clock ran (it checks the current slot at start)
    lexer_max_window: int = 0
    lexer_429s: int = 0
    kills: Counter = field(default_factory=Counter)
    acks: list = field(default_factory=list)  # seconds from a command's send to the web process's 200
    burst_acks: list = field(default_factory=list)  # the same, one list per burst (a burst run)
    webs: int = 1
    clocks: int = 1
    backend: str = "sqlite"
    burst_s: float = 0.0  # from the first command sent to the last acked
    cpu_burst: dict = field(default_factory=dict)  # CPU-seconds by process kind while the commands were acked
    cpu_run: dict = field(default_factory=dict)  # ... over the whole run
    log_tail: list = field(default_factory=list)  # a missed run's last warnings from the bot's processes

    def ack_p(self, q: float, acks: list | None = None) -> float:
        """The q-th quantile of the ack latencies (of every command, or of `acks`), in ms."""
        acks = self.acks if acks is None else acks
        if not acks:
            return 0.0
        ordered = sorted(acks)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def burst_p99s(self) -> list[float]:
        return [self.ack_p(0.99, acks) for acks in self.burst_acks]

    def burst_p99(self) -> float:
        """The median of the bursts' ack p99s: one burst's p99 is ten acks, at the mercy of a noisy neighbour."""
        p99s = sorted(self.burst_p99s())
        return p99s[len(p99s) // 2] if p99s else self.ack_p(0.99)

    def target_met(self) -> bool:
        return (
            set(self.digest_slots.values()) <= {1}
            and set(self.exports.values()) <= {1}
            and set(self.commands.values()) <= {1}
            and min(1, self.alert_spikes) <= self.alert_posts <= min(1, self.alert_possible)
            and self.lexer_max_window <= RATE_LIMIT
        )

    def lines(self) -> list[str]:
        def split(counter: Counter) -> str:
            values = list(counter.values())
            return f"once {values.count(1)}, twice or more {sum(1 for v in values if v > 1)}, never {values.count(0)}"

        return [
            f"digest slots   {len(self.digest_slots):4d} due      — posted {split(self.digest_slots)}",
            f"exports        {len(self.exports):4d} asked    — delivered {split(self.exports)}",
            f"commands       {len(self.commands):4d} sent     — answered {split(self.commands)} "
            f"({self.commands_resent} re-sent after the door was shut)",
            f"alert episodes {self.alert_spikes:4d} owed, {self.alert_possible} possible — {self.alert_posts} posted"
            f" (target {self.alert_spikes}–{self.alert_possible}, never twice)",
            f"Lexer          most requests in any {RATE_WINDOW_S:.0f} s window: {self.lexer_max_window} "
            f"(limit {RATE_LIMIT}); 429s: {self.lexer_429s}",
            f"kills          web {self.kills['web']}, worker {self.kills['worker']}, clock {self.kills['clock']}",
            f"processes      {self.webs} web, {self.clocks} clock on {self.backend}; ack p50 {self.ack_p(0.5):.1f} ms,"
            f" p99 {self.ack_p(0.99):.1f} ms",
            *(
                [f"ack p99        per burst: {', '.join(f'{p:.1f}' for p in self.burst_p99s())} ms"]
                if len(self.burst_acks) > 1
                else []
            ),
            *self.cpu_lines(),
            "target met" if self.target_met() else "TARGET MISSED",
            *(["the processes' last warnings:", *self.log_tail] if self.log_tail and not self.target_met() else []),
        ]

    def cpu_lines(self) -> list[str]:
        if not self.cpu_run:
            return []

        def kinds(cpu: dict) -> str:
            return ", ".join(f"{kind} {cpu.get(kind, 0.0):.1f}" for kind in CPU_KINDS if kind in cpu)

        return [
            f"CPU s          while the (first) burst was acked ({self.burst_s:.1f} s, {os.cpu_count()} cores):"
            f" {kinds(self.cpu_burst)}",
            f"CPU s          whole run: {kinds(self.cpu_run)}",
        ]


BURST_AT_SECOND = 30  # half a minute after a digest slot (each falls due on the minute)
CLOCK_START = timedelta(seconds=20)  # from the run's start until its clocks' schedulers are surely running
LOG_TAIL_LINES = 40  # of a missed run's warnings, printed with its figures


def run(
    *,
    minutes: float = 10,
    subs_per_minute: int = 20,
    exports: int = 5,
    commands: int = 300,
    kill_every: tuple[float, float] | None = (20.0, 60.0),
    seed: int = 1,
    log=print,
    webs: int = 1,
    clocks: int = 1,
    database: str | None = None,
    command_burst: bool = False,
    command_days: int = 60,
    drain_s: float = DIGEST_GRACE_S,
    database_pids: Callable[[], list[int]] | None = None,
    bursts: int = 1,
) -> Figures:
    """`database`: a postgresql:// URL (an empty database) or None for a SQLite file; `command_burst`: every
    command in the run's first seconds, as a burst, rather than spread over it; `kill_every` None: no kills;
    `database_pids`: the database server's processes, for the CPU figures; `bursts`: that many bursts of
    `commands`, a minute apart."""
    rng = random.Random(seed)
    figures = Figures(webs=webs, clocks=clocks, backend="postgresql" if database else "sqlite")
    tmp = tempfile.TemporaryDirectory(prefix="lexer-chaos-")
    workdir = Path(tmp.name)
    sandbox = LexerSandbox(rate_limit=RATE_LIMIT, rate_window_s=RATE_WINDOW_S, export_polls=2)
    standin = SlackStandIn(bot_token=BOT_TOKEN)
    lexer_srv, slack_srv = serve_in_thread(sandbox, threads=32), serve_in_thread(standin, threads=32)
    sandbox.base_url, standin.base_url = lexer_srv.url, slack_srv.url
    for i, user in enumerate(USERS):
        standin.add_user(user, name=user.lower(), tz=ZONES[i % len(ZONES)])
    for channel in (*DIGEST_CHANNELS, ALERT_CHANNEL, COMMAND_CHANNEL):
        standin.add_channel(channel, channel.lower(), member=True)

    db_path = database or str(workdir / "chaos.db")
    store = Store(db_path)
    store.migrate()
    now = datetime.now(timezone.utc)
    start_minute = now.replace(second=0, microsecond=0)
    whole_minutes = max(1, int(minutes))
    sub_ids = seed_subscriptions(store, start_minute, whole_minutes, subs_per_minute)
    store.alerts.save_config(
        ALERT_CHANNEL, window_minutes=1440, min_count=3, sensitivity="normal", user_id=ADMIN, now=now
    )
    store.close()
    # a day of slow replies: a spike at any hour of the day, clear of the team's own day-to-day spread
    sandbox.inject_spike(now - timedelta(hours=20), hours=21, factor=20.0)

    ports = [free_port() for _ in range(webs)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEXER", "SLACK", "PORT"))}
    env.update(
        PYTHONPATH=str(ROOT),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=f"{slack_srv.url}/api/",
        LEXER_API_TOKEN=SANDBOX_TOKEN,
        LEXER_API_URL=f"{lexer_srv.url}/v1",
        LEXER_STATUS_URL=f"{lexer_srv.url}/api/public/v1/activity/reports/status",
        LEXERBOT_DB=str(db_path),
        LEXERBOT_ADMINS=ADMIN,
    )
    procs = Processes(env, workdir, ports, clocks, log, rng)
    procs.start()
    slack = Slack(standin, ports)
    for port in ports:
        wait_healthy(port)

    def fleet() -> dict[str, list[int]]:
        return {
            "web": [p.pid for p in procs.webs if p is not None],
            "workers": [pid for i in range(len(procs.webs)) for pid in procs.worker_pids(i)],
            "clocks": [p.pid for p in procs.clocks if p is not None],
            **({"database": database_pids()} if database_pids is not None else {}),
        }

    if command_burst:
        # the burst starts at the same second of a minute in every run: digest slots fall due on the minute, so
        # a burst that sometimes met a slot's posts and sometimes did not made runs (and backends) incomparable
        time.sleep((BURST_AT_SECOND - time.time()) % 60)
    meter = CpuMeter(fleet).start()
    cpu_start = meter.totals()
    run_s = minutes * 60
    t0 = time.monotonic()
    end_at = t0 + run_s
    stop_killing = threading.Event()

    def killer() -> None:
        if kill_every is None:
            return
        while not stop_killing.wait(rng.uniform(*kill_every)):
            if time.monotonic() >= end_at:
                return
            which = rng.choice(("web", "worker", "clock"))
            if procs.kill(which):
                figures.kills[which] += 1
                log(f"  {time.monotonic() - t0:6.1f} s  killed {which}")

    # the work: commands and exports at random moments of the run
    days = [date.today() - timedelta(days=d) for d in range(2, 2 + command_days)]
    plan: list[tuple[float, str, str, str]] = []  # (at, text, user, key)
    for b in range(bursts if command_burst else 1):
        for i in range(commands):
            text = f"summary {rng.choice(days).isoformat()}" if i % 4 else "team yesterday"
            # bursts a minute apart, each half a minute after a digest slot; else spread over the run
            at = b * 60 + rng.uniform(0, 2.0) if command_burst else rng.uniform(0, run_s * 0.9)
            plan.append((at, text, rng.choice(USERS), f"cmd-{b}-{i}"))
    export_days = [date.today() - timedelta(days=d) for d in range(3, 3 + exports)]
    for i, day in enumerate(export_days):
        plan.append((rng.uniform(0, run_s * 0.6), f"export cases {day.isoformat()}", ADMIN, f"export-{i}"))
    plan.sort()
    kill_thread = threading.Thread(target=killer, daemon=True)
    kill_thread.start()
    kills = f"kills every {kill_every[0]:g}–{kill_every[1]:g} s" if kill_every else "no kills"
    log(
        f"chaos: {minutes:g} min, {len(sub_ids)} digests due, {exports} exports, {commands} commands; {kills};"
        f" {webs} web + {clocks} clock on {figures.backend}"
    )
    last_ack = [t0]
    burst_keys = {key for _, _, _, key in plan if key.startswith("cmd-0-")}  # the CPU figure: the first burst
    burst_left = set(burst_keys)
    burst_done = threading.Event()
    cpu_burst: dict[str, float] = {}

    def on_ack(key: str, when: float) -> None:
        if key in burst_keys:
            last_ack[0] = max(last_ack[0], when)
            burst_left.discard(key)
            if command_burst and not burst_left:
                burst_done.set()

    def at_burst_end() -> None:
        if burst_done.wait(run_s + 120) and command_burst:
            cpu_burst.update(_minus(meter.totals(), cpu_start))

    burst_watch = threading.Thread(target=at_burst_end, daemon=True)
    burst_watch.start()
    slack.send_all(plan, t0, on_ack)
    remaining = end_at - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
    stop_killing.set()
    kill_thread.join()

    # let the last digests (due at the run's last minute, posted within the grace), exports and answers land
    command_keys = [key for _, _, _, key in plan if key.startswith("cmd-")]
    export_titles = {f"export-{i}": day for i, day in enumerate(export_days)}
    drain_until = time.monotonic() + drain_s
    while time.monotonic() < drain_until:
        posted = digest_posts(standin)
        answered = all(any(is_final(b) for b in standin.responses(k)) for k in command_keys)
        delivered = len(export_deliveries(standin, export_titles)) == len(export_titles)
        if answered and delivered and all(posted.get(s, 0) for s in sub_ids):
            time.sleep(5)  # anything posted twice would come now
            break
        time.sleep(2)
    figures.cpu_run = _minus(meter.totals(), cpu_start)
    meter.stop()
    burst_done.set()
    burst_watch.join(5)
    figures.cpu_burst = cpu_burst
    figures.burst_s = last_ack[0] - t0
    procs.stop()
    # the spike is in every 5-minute slot's window, and a clock checks the current slot when it starts (within the
    # grace) or at the next minute: one episode is owed once a minute passed on a running clock, and any clock may
    # have posted it
    ended = datetime.now(timezone.utc)
    figures.alert_spikes = 1 if check_passes_between(now + CLOCK_START, ended, margin_s=60) else 0
    figures.alert_possible = 1 if clocks else 0

    posted = digest_posts(standin)
    figures.digest_slots = Counter({sub_id: posted.get(sub_id, 0) for sub_id in sub_ids})
    deliveries = export_deliveries(standin, export_titles)
    figures.exports = Counter({key: deliveries.get(key, 0) for key in export_titles})
    figures.commands = Counter({key: sum(1 for b in standin.responses(key) if is_final(b)) for key in command_keys})
    figures.commands_resent = slack.resent
    figures.acks = [seconds for _, seconds in slack.acks]
    if command_burst:
        by_burst: dict[str, list[float]] = {}
        for key, seconds in slack.acks:
            if key.startswith("cmd-"):
                by_burst.setdefault(key.split("-")[1], []).append(seconds)
        figures.burst_acks = [by_burst[b] for b in sorted(by_burst, key=int)]
    figures.alert_posts = sum(1 for m in standin.messages(ALERT_CHANNEL) if not m.get("thread_ts"))
    sent_at = [r["at"].timestamp() if isinstance(r["at"], datetime) else r["at"] for r in sandbox.requests]
    figures.lexer_max_window = max_in_window(sent_at, RATE_WINDOW_S) if sent_at else 0
    figures.lexer_429s = sum(1 for r in sandbox.requests if r.get("status") == 429)
    if not figures.target_met():  # a run that missed says why, before its directory goes
        figures.log_tail = warnings_in(workdir / "processes.log")
    lexer_srv.stop()
    slack_srv.stop()
    tmp.cleanup()
    return figures


def warnings_in(path: Path, keep: int = LOG_TAIL_LINES) -> list[str]:
    """The last warnings, errors and traceback lines of the bot's processes' log (their own words, no secrets)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    marks = ("WARNING", "ERROR", "CRITICAL", "Traceback", "Error:", "Exception")
    return [f"  {line[:300]}" for line in lines if any(m in line for m in marks) or line.startswith("  File ")][-keep:]


def check_passes_between(start: datetime, end: datetime, margin_s: float = 60) -> int:
    """The clock's alert-check passes (on each minute) in (start, end - margin]: time to check and post."""
    first = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return max(0, (end - timedelta(seconds=margin_s) - first) // timedelta(minutes=1) + 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--subs-per-minute", type=int, default=20)
    ap.add_argument("--exports", type=int, default=5)
    ap.add_argument("--commands", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    figures = run(
        minutes=args.minutes,
        subs_per_minute=args.subs_per_minute,
        exports=args.exports,
        commands=args.commands,
        seed=args.seed,
    )
    print("\n".join(figures.lines()))
    return 0 if figures.target_met() else 1


if __name__ == "__main__":
    raise SystemExit(main())
