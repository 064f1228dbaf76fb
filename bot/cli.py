"""`lexer-bot`: the command line, its arguments and sub-commands; each builds its process through bot/compose.py."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys

from bot.compose import build_deps, build_served, secret_box, start_process
from bot.config import Settings, load_settings, parse_tz_option
from bot.errors import ConfigError, UsageError

logger = logging.getLogger("bot.cli")


# ------------------------------------------------------------------ commands


def cmd_ask(args, settings: Settings) -> int:
    from bot.commands.answer import Asker, is_admin
    from bot.slack.text import render_message_text

    running = start_process(build_deps(settings, with_slack=False), background=False)
    tz = parse_tz_option(args.tz) if args.tz else settings.tz
    user = args.user or (sorted(settings.admins)[0] if settings.admins else "ULOCAL")
    reply = running.runner.run(
        args.text, Asker(user_id=user, channel_id=None, tz=tz, is_admin=is_admin(settings, user))
    )
    if args.json:
        payload = {**reply.message, "response_type": "in_channel" if reply.public else "ephemeral"}
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        print(render_message_text(reply.message))
    return 0


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def cmd_serve(args, settings: Settings) -> int:
    from bot.web import serve_forever

    if settings.distribution_mode:  # bot tokens come from each workspace's install
        settings.require("SLACK_SIGNING_SECRET")
    else:
        settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    running, wsgi = build_served(settings, scheduler=not args.no_scheduler, command_workers=args.workers)
    # acks must not queue behind report-building threads for a whole 5 ms GIL slice (Slack's 3 s budget)
    sys.setswitchinterval(0.001)
    port = args.port or settings.port
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)  # a platform's stop: shut down workers cleanly
    logger.info("lexer-bot serving on port %s (%s)", port, "sandbox data" if settings.sandbox_mode else "Lexer API")
    try:
        serve_forever(wsgi, args.host, port, threads=args.threads)
    finally:
        running.stop()
    return 0


# slack_sdk's built-in client (3.48) notices a TCP connection that died without a close frame only when its
# pings go unanswered for 4 intervals: on the default 10 s that was ~50 s without a socket (commands timing out)
SOCKET_PING_SECONDS = 2


def cmd_socket(args, settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app

    if settings.distribution_mode:
        raise UsageError("distribution mode (SLACK_CLIENT_ID set) installs through OAuth: run `lexer-bot serve`.")
    settings.require("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN")
    # commands go through the store's queue, as in `serve`: queued while Lexer's window is closed, never refused
    running = start_process(build_deps(settings), scheduler=not args.no_scheduler, answer_commands=True)
    # apps.connections.open goes through deps.slack, the WebClient on SLACK_API_URL (the handler uses app.client)
    handler = SocketModeHandler(
        create_app(running.deps, running.runner, command_pool=running.command_pool),
        settings.slack_app_token,
        ping_interval=SOCKET_PING_SECONDS,
    )
    # without this a platform's stop (SIGTERM) killed the process past the finally: workers never stopped
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    logger.info("lexer-bot in Socket Mode (%s)", "sandbox data" if settings.sandbox_mode else "Lexer API")
    try:
        handler.start()
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
        running.stop()
        logger.info("socket mode stopped")
    return 0


def cmd_status(args, settings: Settings) -> int:
    """Lexer's budget in the current window by class, the command queue, the scheduler's next jobs."""
    from bot.web import budget_figures
    from digests.triggers import next_run

    deps = build_deps(settings, with_slack=False)
    try:
        figures = budget_figures(deps)
        subs = deps.store.subscriptions.all(active_only=True)
        now = deps.now()
        upcoming = sorted(((next_run(sub, now), sub) for sub in subs), key=lambda pair: pair[0])[:5]
        if args.json:
            figures["next_digests"] = [{"subscription": s.id, "at": t.isoformat()} for t, s in upcoming]
            print(json.dumps(figures, indent=2))
            return 0
        used = figures.get("used_by_class", {})
        print(
            f"Lexer budget: {figures.get('used', 0)} of {figures.get('limit', 0)} requests used in the last "
            f"{figures.get('window_s', 300) // 60} minutes"
        )
        print("  by class: " + ", ".join(f"{cls} {n}" for cls, n in used.items()))
        reserved = figures.get("reserved") or {}
        print("  held for: " + (", ".join(f"{cls} {n}" for cls, n in reserved.items()) or "nothing"))
        print(f"  room for commands now: {figures.get('room_for_commands', 0)}")
        if figures.get("paused_for_s"):
            print(f"  Lexer answered 429: paused for {figures['paused_for_s']:.0f} s more (every process)")
        queue = figures["queue"]
        print(f"Command queue: {queue['waiting']} waiting, {queue['running']} being answered")
        print("Next digests: " + (", ".join(f"#{s.id} {s.kind} at {t:%a %H:%M %Z}" for t, s in upcoming) or "none"))
    finally:
        close_deps_quietly(deps)
    return 0


def close_deps_quietly(deps) -> None:
    from bot.deps import close_deps

    close_deps(deps)


def cmd_clock(args, settings: Settings) -> int:
    from digests.schedule import run_blocking_scheduler

    if not settings.distribution_mode:  # in distribution mode each workspace's install brings its bot token
        settings.require("SLACK_BOT_TOKEN")
    deps = build_deps(settings)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)  # a platform's stop ends the scheduler cleanly
    run_blocking_scheduler(deps)
    return 0


def cmd_rotate_key(args, settings: Settings) -> int:
    from bot.store import open_store
    from bot.store.installations import rotate_secrets

    settings.require("SECRET_KEYS")
    store = open_store(settings.db_path, secret_box(settings))
    try:
        count = rotate_secrets(store)
    finally:
        store.close()
    keys = len(settings.secret_keys)
    print(
        f"Re-encrypted {count} stored secret(s) with the first LEXERBOT_SECRET_KEY key."
        + (f" The other {keys - 1} key(s) can now be dropped." if keys > 1 else "")
    )
    return 0


def cmd_sandbox(args, settings: Settings) -> int:
    from bot.sandbox.lexer_app import LexerSandbox
    from bot.web import serve_forever

    port = args.port or 8010
    app = LexerSandbox(base_url=f"http://{args.host}:{port}", gzip=args.gzip)
    print(
        f"Lexer sandbox on http://{args.host}:{port}/v1 (token: any value, or unset LEXER_API_TOKEN and set "
        f"LEXER_API_URL=http://{args.host}:{port}/v1)",
        flush=True,
    )
    serve_forever(app, args.host, port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lexer-bot", description="Lexer Activity numbers in Slack.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    s = sub.add_parser("serve", help="HTTP mode: POST /slack/events, GET /healthz (+ scheduler)")
    s.add_argument("--port", type=int, default=None, help="default: $PORT or 3000")
    s.add_argument("--host", default="0.0.0.0")
    s.add_argument("--threads", type=int, default=16)
    s.add_argument("--no-scheduler", action="store_true", help="do not run digests/alerts in this process")
    s.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes that build /lexer replies, so acks stay fast (0: answer in this process)",
    )
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("socket", help="Socket Mode (needs SLACK_APP_TOKEN)")
    s.add_argument("--no-scheduler", action="store_true")
    s.set_defaults(func=cmd_socket)

    s = sub.add_parser("clock", help="the scheduler alone (digests, alerts)")
    s.set_defaults(func=cmd_clock)

    s = sub.add_parser("ask", help="run `/lexer TEXT` locally and print the reply")
    s.add_argument("text", help='e.g. "team last-week"')
    s.add_argument("--json", action="store_true", help="print the Slack payload")
    s.add_argument("--tz", help="AREA/CITY, default LEXERBOT_TIMEZONE")
    s.add_argument("--user", help="Slack user id to ask as (default: the first admin)")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("rotate-key", help="re-encrypt every stored secret with the first LEXERBOT_SECRET_KEY")
    s.set_defaults(func=cmd_rotate_key)

    s = sub.add_parser("sandbox", help="serve the embedded Lexer sandbox API over HTTP")
    s.add_argument("--port", type=int, default=None, help="default 8010")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--gzip", action="store_true", help="answer gzip-compressed, as Lexer behind a compressing proxy")
    s.set_defaults(func=cmd_sandbox)

    s = sub.add_parser("status", help="Lexer's budget by class, the command queue, the next digests")
    s.add_argument("--json", action="store_true", help="print the figures as JSON")
    s.set_defaults(func=cmd_status)

    register_feature_commands(sub)
    return p


def register_feature_commands(sub) -> None:
    """Database, digests, alerts and demo sub-commands (their code lives with what they work on)."""
    from bot.cli_db import register as register_db
    from bot.demo import register as register_demo
    from digests.alerts.cli import register as register_alerts
    from digests.cli import register as register_digests

    register_db(sub, secrets=secret_box)
    register_digests(sub, build=build_deps)
    register_alerts(sub, build=build_deps)
    register_demo(sub, clock_jobs=demo_clock_jobs)


def demo_clock_jobs():
    """The digest and alert functions `lexer-bot demo` drives (bot imports digests only here)."""
    from bot.demo import ClockJobs
    from digests.alerts.check import run_alert_checks
    from digests.jobs import send_digest

    jobs = ClockJobs()
    jobs.serve = lambda settings: build_served(settings, scheduler=False)
    jobs.send_digest = lambda deps, sub, now: send_digest(deps, int(sub["id"]), now)
    jobs.check_alerts = run_alert_checks
    return jobs


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"lexer-bot: {exc}", file=sys.stderr)
        return 2
    from bot.logs import setup_logging

    setup_logging(
        settings, logging.INFO if args.command in ("serve", "socket", "clock", "sandbox") else logging.WARNING
    )
    try:
        return args.func(args, settings) or 0
    except UsageError as exc:
        print(f"lexer-bot: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"lexer-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
