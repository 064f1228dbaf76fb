"""Replay a realistic hour of /lexer traffic through the Activity client against the sandbox.

About 300 queries from 10 users (team leads asking the same reports, repeats,
overlapping ranges, different timezones), spread over one simulated hour on a
fake clock shared by the client (cache TTLs, rate limiter) and the sandbox
(its own 100-per-5-minutes limit). Prints requests sent, distinct queries
and the floor (ranges wholly in the past: one request each; ranges that include now: one per freshness
period), their ratios, and the 429s seen. Target: ratio to the freshness floor <= 1.05, zero 429s.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.lexer.build import build_activity_client  # noqa: E402
from bot.lexer.client import Filters  # noqa: E402
from bot.sandbox.lexer_app import LexerSandbox  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.timeframe import parse_range  # noqa: E402

START = datetime(2026, 11, 27, 0, 0, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, start: float):
        self.t = start
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.t

    def advance(self, s: float) -> None:
        with self.lock:
            self.t += s

    def now(self) -> datetime:
        return datetime.fromtimestamp(self(), tz=timezone.utc)


def workload(rng: random.Random) -> list[tuple[float, str, str, str, tuple]]:
    """(second of the hour, user, report, range, filters) for ~300 queries."""
    users = [(f"U{i:02d}", ["Australia/Sydney", "America/New_York", "Europe/London"][i % 3]) for i in range(10)]
    reports = [
        "summary",
        "user_summary",
        "user_summary",
        "summary",
        "states_volume",
        "response_volume",
        "case_summary",
        "classifications",
        "user_volume",
        "nps_summary",
    ]
    ranges = [
        "yesterday",
        "yesterday",
        "last-week",
        "last-week",
        "this-week",
        "last-7d",
        "last-month",
        "today",
        "2026-11-02..2026-11-08",
        "2026-11-01..2026-11-15",
        "last-30d",
    ]
    events = []
    for _ in range(300):
        user, tz = rng.choice(users)
        events.append(
            (
                rng.uniform(0, 3600),
                user,
                tz,
                rng.choice(reports),
                rng.choice(ranges),
                rng.choice([(), (), (), ("groups", 1)]),
            )
        )
    return sorted(events)


def main() -> None:
    rng = random.Random(42)
    clock = FakeClock(START.timestamp())
    sandbox = LexerSandbox(clock=clock.now, rate_clock=clock)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(db_path=str(Path(tmp) / "bench.db"))
        store = open_store(settings.db_path)
        client = build_activity_client(
            settings, store, sandbox_app=sandbox, clock=clock, sleep=clock.advance, max_wait_s=600
        )
        group_id = client.groups()[0].id
        nps_form_id = next(f.id for f in client.forms() if f.nps)
        sandbox.reset_counters()
        distinct: set = set()
        asks: dict[tuple, list[float]] = {}
        events = workload(rng)
        started = time.perf_counter()
        last = 0.0
        errors = 0
        with ThreadPoolExecutor(10) as pool:
            for at, _user, tz, report, rng_text, filt in events:
                clock.advance(max(0.0, at - last))
                last = at
                tf = parse_range(rng_text, ZoneInfo(tz), clock.now())
                filters = Filters(groups=(group_id,)) if filt else Filters()
                extra = {"form": nps_form_id, "nps_category": "all"} if report == "nps_summary" else {}
                query = (report, tf.date_from, tf.date_to, filters, tuple(sorted(extra.items())))
                distinct.add(query)
                asks.setdefault(query, []).append(clock.now().timestamp())

                def run(report=report, tf=tf, filters=filters, extra=extra):
                    return client.report(report, tf, filters, **extra)

                # a few users ask at the very same moment: coalescing must hold
                futures = [pool.submit(run) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
                for f in futures:
                    try:
                        f.result()
                    except Exception as exc:  # noqa: BLE001
                        errors += 1
                        print("error:", type(exc).__name__, exc, file=sys.stderr)
        elapsed = time.perf_counter() - started
        reports_sent = [r for r in sandbox.requests if r["path"].endswith("/activity/reports")]
        sent_429 = sum(1 for r in sandbox.requests if r.get("status") == 429)
        seen: set = set()
        resent_live = resent_past = 0
        for r in reports_sent:
            key = json.dumps(r["body"], sort_keys=True)
            if key in seen:
                ends = datetime.fromisoformat(r["body"]["date_to"]).timestamp()
                if ends >= r["at"].timestamp():
                    resent_live += 1
                else:
                    resent_past += 1
            seen.add(key)
        print(f"queries replayed      : {len(events)} (+ concurrent duplicates)")
        print(f"distinct queries      : {len(distinct)}")
        print(f"report requests sent  : {len(reports_sent)}")
        floor = freshness_floor(asks)
        print(f"floor, per query      : {len(distinct)}   (one request per distinct query)")
        print(f"floor, with freshness : {floor}   (ranges that include now: one request per freshness period)")
        print(f"ratio sent/distinct   : {len(reports_sent) / len(distinct):.3f}")
        print(f"ratio sent/floor      : {len(reports_sent) / floor:.3f}   (target <= 1.05)")
        print(
            f"re-sent after expiry  : {resent_live + resent_past} ({resent_past} for ranges wholly in the past; "
            f"the rest refresh ranges that include now, cached 1-15 min by length)"
        )
        print(f"429s seen             : {sent_429}   (target 0)")
        print(f"errors                : {errors}")
        print(f"wall time             : {elapsed:.2f} s for one simulated hour")


def freshness_floor(asks: dict[tuple, list[float]]) -> int:
    """The fewest requests any cache can send: once per past range, once per freshness period for the rest."""
    import httpx

    from bot.lexer.transport import ttl_for

    total = 0
    for (report, date_from, date_to, *_), times in asks.items():
        request = httpx.Request(
            "POST", "http://x/v1/activity/reports", json={"type": report, "date_from": date_from, "date_to": date_to}
        )
        fresh_until = -1.0
        for at in sorted(times):
            if at >= fresh_until:
                total += 1
                fresh_until = at + ttl_for(request, at)
    return total


if __name__ == "__main__":
    main()
