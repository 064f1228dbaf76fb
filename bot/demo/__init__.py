"""`lexer-bot demo`: the whole product on embedded defaults, printed as a user would see it in Slack.

The Lexer sandbox and a stand-in for Slack's Web API are served on loopback; the real Bolt app
(`bot.app.create_app` behind `bot.web.create_wsgi_app`) receives signed requests exactly as Slack
sends them; every reply, digest, alert and file is read back from the stand-in and rendered as text.
Digests and alerts run on a clock, and `bot` imports the clock's jobs only in cli.py, so cli.py passes
them in as `ClockJobs`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot.demo.world import (
    ADMIN,
    ADMIN_NAME,
    CHANNEL,
    CHANNEL_NAME,
    DEMO_TZ,
    EXPORT_TIMEOUT_S,
    PROXY_VARIABLES,
    REPLY_TIMEOUT_S,
    RULE_WIDTH,
    ClockJobs,
    DemoWorld,
    Printer,
    StepFailed,
    channel_changes,
    settled,
    wait_until,
)
from digests.alerts.detect import DEFAULT_WINDOW_MINUTES

logger = logging.getLogger(__name__)


def _reply(world: DemoWorld, p: Printer, text: str, shown: str | None = None) -> dict:
    p.said(f"@{ADMIN_NAME} in #{CHANNEL_NAME}", f"/lexer {shown or text}")
    reply = world.slash(text)
    where = "everyone in the channel sees" if reply.get("response_type") == "in_channel" else "only you can see this"
    p.message(reply, f"Lexer replies — {where}")
    p.line()
    return reply


def _looks_unavailable(reply: dict) -> bool:
    text = (reply.get("text") or "") + json.dumps(reply.get("blocks") or [])
    return "not available in this version" in text


def step_report(world: DemoWorld, p: Printer, text: str) -> None:
    _reply(world, p, text)


def step_digest(world: DemoWorld, p: Printer, jobs: ClockJobs) -> None:
    mention = f"<#{CHANNEL}|{CHANNEL_NAME}>"
    reply = _reply(world, p, f"subscribe sla {mention} daily at 09:00", f"subscribe sla #{CHANNEL_NAME} daily at 09:00")
    if _looks_unavailable(reply):
        raise StepFailed("subscriptions are not part of this build yet")
    sub = world.deps.store.subscriptions.latest()
    if sub is None:
        raise StepFailed("the subscription was not saved")
    if jobs.send_digest is None:
        raise StepFailed("the digest job is not part of this build yet")
    p.line()
    p.line("The clock process would post this at 09:00; the demo runs that digest now.")
    p.line()
    before = world.slack.messages(CHANNEL)
    jobs.send_digest(world.deps, asdict(sub), datetime.now(timezone.utc))
    _show_channel(world, p, before, "the digest")


def _show_channel(world: DemoWorld, p: Printer, before: list[dict], what: str) -> None:
    changes = wait_until(
        lambda: channel_changes(before, world.slack.messages(CHANNEL)), 10.0, f"{what} never reached #{CHANNEL_NAME}"
    )
    for kind, message in changes:
        p.message(message, f"#{CHANNEL_NAME}, {kind} from Lexer")
        p.line()


SPIKE_FACTOR = 30.0
ALERT_WINDOW = timedelta(minutes=DEFAULT_WINDOW_MINUTES)  # the alerts feature's default window
SLOT = timedelta(minutes=5)  # alert checks run on 5-minute slots


def busiest_window_end(lexer_factory: Callable[[], Any], now: datetime) -> datetime:
    """The end of the past hour that would show the most SLA breaches under a spike (the sandbox's data is sparse
    at night), leaving room after it for the calm checks of a recovery."""
    scratch = lexer_factory()  # same seed, same data: try the spike there, not in the demo's sandbox
    scratch.inject_spike(now - timedelta(hours=26), hours=26, factor=SPIKE_FACTOR)
    best, best_count = None, -1
    end = now - timedelta(hours=2)
    while end > now - timedelta(hours=22):
        start = end - ALERT_WINDOW
        count = scratch.report({"type": "summary", "date_from": start.isoformat(), "date_to": end.isoformat()}).get(
            "broke_sla", 0
        )
        if count > best_count:
            best, best_count = end, count
        end -= timedelta(minutes=15)
    return best  # type: ignore[return-value]


def step_alert(world: DemoWorld, p: Printer, jobs: ClockJobs) -> None:
    mention = f"<#{CHANNEL}|{CHANNEL_NAME}>"
    reply = _reply(world, p, f"alerts on {mention}", f"alerts on #{CHANNEL_NAME}")
    if _looks_unavailable(reply):
        raise StepFailed("alerts are not part of this build yet")
    if jobs.check_alerts is None:
        raise StepFailed("the alert checker is not part of this build yet")
    from bot.sandbox.lexer_app import LexerSandbox

    now = datetime.now(timezone.utc)
    now = now - timedelta(minutes=now.minute % 5, seconds=now.second, microseconds=now.microsecond)
    during = busiest_window_end(lambda: LexerSandbox(seed=world.lexer.seed), now)
    # slow replies for the hour the checker looks at (and a little either side); calm again after
    spike_start, spike_end = during - ALERT_WINDOW - SLOT * 6, during + SLOT * 3
    world.lexer.inject_spike(spike_start, hours=(spike_end - spike_start).total_seconds() / 3600, factor=SPIKE_FACTOR)
    tz = world.settings.tz
    p.line()
    p.line(
        f"The sandbox now replies {SPIKE_FACTOR:.0f}x slower to messages that arrived between "
        f"{spike_start.astimezone(tz):%a %H:%M} and {spike_end.astimezone(tz):%H:%M}. "
        f"The alert checker runs at {during.astimezone(tz):%H:%M}:"
    )
    p.line()
    before = world.slack.messages(CHANNEL)
    jobs.check_alerts(world.deps, during)
    _show_channel(world, p, before, "the spike alert")
    calm = spike_end + ALERT_WINDOW + SLOT
    p.line(f"...and again once replies are back to normal ({calm.astimezone(tz):%H:%M}, then every 5 minutes):")
    p.line()
    before = world.slack.messages(CHANNEL)
    for n in range(6):  # a recovery needs a few calm checks in a row
        at = calm + SLOT * n
        if at > now:
            break
        jobs.check_alerts(world.deps, at)
        if channel_changes(before, world.slack.messages(CHANNEL)):
            break
    _show_channel(world, p, before, "the recovery")


def step_export(world: DemoWorld, p: Printer) -> None:
    reply = _reply(world, p, "export cases last-7d")
    if _looks_unavailable(reply):
        raise StepFailed("exports are not part of this build yet")
    upload = wait_until(
        lambda: next((u for u in world.slack.uploads if u.completed), None),
        EXPORT_TIMEOUT_S,
        "the export never arrived as a file",
    )
    for message in settled(lambda: world.slack.messages(ADMIN)):
        p.message(message, f"direct message from Lexer to @{ADMIN_NAME}")
        p.line()
    p.line(f"File:  {upload.filename}  ({upload.size:,} bytes)")
    if upload.path:
        p.line(f"Saved: {upload.path}")


def step_targets_and_week(world: DemoWorld, p: Printer, jobs: ClockJobs) -> None:
    """SLA targets set by the admin and marked in a digest; then one agent asks for their own week."""
    from bot.sandbox.slack_standin.methods.users import add_lexer_agents

    if _looks_unavailable(_reply(world, p, "targets breach-rate 5% median-wait 15m response-rate 90%")):
        raise StepFailed("targets are not part of this build yet")
    store = world.deps.store.subscriptions
    sub = store.add(kind="sla", channel_id=CHANNEL, cadence="daily", at_time="09:00", tz=DEMO_TZ, created_by=ADMIN)
    p.line("The next SLA digest, marked against those targets:\n")
    before = world.slack.messages(CHANNEL)
    if jobs.send_digest is None:
        raise StepFailed("the digest job is not part of this build yet")
    jobs.send_digest(world.deps, asdict(sub), datetime.now(timezone.utc))
    _show_channel(world, p, before, "the digest with targets")
    store.delete(sub.id)
    agent, *_ = agents = [u for u in world.lexer.users if not u["archived"]]
    p.said(f"@{agent['first_name'].lower()} (an agent) in #{CHANNEL_NAME}", "/lexer my-week")
    week = world.slash("my-week", user_id=add_lexer_agents(world.slack, agents)[agent["email"]])
    p.message(week, "Lexer replies — only you can see this")


def step_home(world: DemoWorld, p: Printer) -> None:
    p.said(f"@{ADMIN_NAME}", "opens the Lexer app's Home tab")
    before = len(world.slack.views(ADMIN))
    world.event(
        {
            "type": "app_home_opened",
            "user": ADMIN,
            "channel": "D" + ADMIN[1:],
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
    )
    view = wait_until(
        lambda: world.slack.views(ADMIN)[before:] and world.slack.views(ADMIN)[-1],
        10.0,
        "the Home tab was never published",
    )
    p.message({"blocks": view["blocks"]}, "Home tab")


# ---- the controls under an answer (issue 13): switch the range, then compare


def _click_control(world: DemoWorld, answer: dict, action_id: str, choose: str | None = None) -> dict:
    """Click one of an answer's controls as Slack sends it; the answer that replaces it."""
    from bot.slack.messages.controls import CONTROLS_BLOCK_ID

    (block,) = [b for b in answer.get("blocks") or [] if b.get("block_id") == CONTROLS_BLOCK_ID]
    (element,) = [e for e in block["elements"] if e["action_id"] == action_id]
    action = {"action_id": action_id, "block_id": CONTROLS_BLOCK_ID, "action_ts": str(time.time())}
    if choose is not None:
        (option,) = [o for o in element["options"] if o["text"]["text"] == choose]
        action.update(type="static_select", selected_option=option)
    else:
        action.update(type="button", value=element["value"], text=element["text"])
    key = f"demo-click-{time.monotonic_ns()}"
    payload = {
        "type": "block_actions",
        "api_app_id": "A0DEMO",
        "team": {"id": world.slack.team_id, "domain": "demo"},
        "user": {"id": ADMIN, "username": ADMIN_NAME, "team_id": world.slack.team_id},
        "channel": {"id": CHANNEL, "name": CHANNEL_NAME},
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": CHANNEL, "is_ephemeral": True},
        "response_url": world.slack.new_response_url(key),
        "actions": [action],
    }
    world._signed_post(urllib.parse.urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
    return wait_until(lambda: (world.slack.responses(key) or [None])[-1], REPLY_TIMEOUT_S, f"no answer to {action_id}")


def step_controls(world: DemoWorld, p: Printer) -> None:
    from bot.slack.actions import REPORT_COMPARE, REPORT_RANGE

    answer = _reply(world, p, "summary yesterday")
    p.said(f"@{ADMIN_NAME}", "picks “Last week” in the range menu")
    answer = _click_control(world, answer, REPORT_RANGE, choose="Last week")
    p.message(answer, "The answer is replaced in place")
    p.line()
    p.said(f"@{ADMIN_NAME}", "clicks Compare")
    p.message(_click_control(world, answer, REPORT_COMPARE), "Last week beside the week before")


def run_demo(jobs: ClockJobs | None = None, *, out=None, export_dir: Path | None = None) -> int:
    """Run every step, printing what a user would see; 0 when every step worked."""
    jobs = jobs or ClockJobs()
    made_export_dir = export_dir is None
    export_dir = export_dir or Path(tempfile.mkdtemp(prefix="lexer-demo-export-"))
    p = Printer(out, names={ADMIN: ADMIN_NAME, CHANNEL: CHANNEL_NAME})
    started = time.monotonic()
    p.line("lexer-bot demo: the Lexer sandbox and a stand-in for Slack, on this machine only.")
    p.line(f"You are @{ADMIN_NAME} (an admin, timezone {DEMO_TZ}) in #{CHANNEL_NAME}.")
    steps: list[tuple[str, Callable[[], None]]] = []
    world = DemoWorld(export_dir, jobs.serve)
    failed = []
    try:
        world.start()
        steps = [
            ("/lexer help", lambda: step_report(world, p, "help")),
            ("/lexer team last-week", lambda: step_report(world, p, "team last-week")),
            ("/lexer summary yesterday", lambda: step_report(world, p, "summary yesterday")),
            ("/lexer nps", lambda: step_report(world, p, 'nps "NPS Survey"')),
            ("A daily SLA digest", lambda: step_digest(world, p, jobs)),
            ("An SLA spike alert and its recovery", lambda: step_alert(world, p, jobs)),
            ("A CSV export, delivered as a file", lambda: step_export(world, p)),
            ("The App Home tab", lambda: step_home(world, p)),
            ("Switch an answer's range, then compare", lambda: step_controls(world, p)),
            ("SLA targets in the digest, and an agent's week", lambda: step_targets_and_week(world, p, jobs)),
        ]
        for title, step in steps:
            p.rule(title)
            try:
                step()
            except StepFailed as exc:
                failed.append(title)
                p.line(f"  !! skipped: {exc}")
            except Exception as exc:
                logger.debug("demo step failed", exc_info=True)
                failed.append(title)
                p.line(f"  !! this step failed: {type(exc).__name__}: {exc}")
    finally:
        world.stop()
        if made_export_dir and export_dir.is_dir() and not any(export_dir.iterdir()):
            export_dir.rmdir()  # nothing was exported: leave nothing behind
    p.line()
    p.line("=" * RULE_WIDTH)
    took = time.monotonic() - started
    if failed:
        p.line(f"Demo finished in {took:.1f}s; {len(failed)} of {len(steps)} steps did not work: {', '.join(failed)}.")
        return 1
    p.line(f"Demo finished in {took:.1f}s. Next: README.md, 'Set up in a workspace'.")
    return 0


def register(sub, clock_jobs: Callable[[], ClockJobs] | None = None) -> None:
    """Add `lexer-bot demo`; `clock_jobs` (from cli.py) loads the digest and alert functions."""
    s = sub.add_parser("demo", help="the whole product on embedded defaults, printed as a user would see it")
    s.add_argument("--export-dir", default=None, help="where to keep the exported CSV (default: a new temp dir)")

    def cmd_demo(args, settings) -> int:
        # the user's configuration is deliberately ignored: the demo runs on embedded defaults
        logging.getLogger().setLevel(logging.ERROR)
        # everything the demo talks to is on loopback; a proxy from the environment (slack_sdk ignores NO_PROXY)
        # would send those calls off the machine
        for name in PROXY_VARIABLES:
            os.environ.pop(name, None)
            os.environ.pop(name.lower(), None)
        jobs = ClockJobs()
        if clock_jobs is not None:
            try:
                jobs = clock_jobs()
            except ImportError as exc:
                logger.debug("clock jobs unavailable: %s", exc)
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(errors="replace")
        export_dir = Path(args.export_dir) if args.export_dir else None
        return run_demo(jobs, export_dir=export_dir)

    s.set_defaults(func=cmd_demo)
