"""`lexer-bot`: builds settings, clients and the database; the only composition root."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import Settings, load_settings
from bot.errors import ConfigError, UsageError

logger = logging.getLogger("bot.cli")


def _require(settings: Settings, *names: str) -> None:
    for name in names:
        if not getattr(settings, name.lower(), None):
            raise UsageError(
                f"{name} is not set; set it in the environment or .env (see README, 'Set up in a workspace')."
            )


def _tz(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--tz {name!r} is not an IANA timezone (e.g. Australia/Sydney).") from None


# ------------------------------------------------------------------ commands


def cmd_ask(args, settings: Settings) -> int:
    from bot.commands import Asker, is_admin
    from bot.runtime import build_runtime
    from bot.slack.text import render_message_text

    runtime = build_runtime(settings, with_slack=False)
    tz = _tz(args.tz) if args.tz else settings.tz
    user = args.user or (sorted(settings.admins)[0] if settings.admins else "ULOCAL")
    reply = runtime.runner.run(
        args.text, Asker(user_id=user, channel_id=None, tz=tz, is_admin=is_admin(settings, user))
    )
    if args.json:
        payload = {**reply.message, "response_type": "in_channel" if reply.public else "ephemeral"}
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        print(render_message_text(reply.message))
    return 0


def build_served(settings: Settings, *, scheduler: bool, command_workers: int = 0):
    from bot.app import create_app
    from bot.runtime import build_runtime
    from bot.web import create_wsgi_app

    runtime = build_runtime(settings)
    if command_workers:
        from bot.command_workers import CommandWorkerPool

        runtime.command_pool = CommandWorkerPool(settings, command_workers).start()
    if scheduler:
        from digests.schedule import start_background_scheduler

        runtime.scheduler = start_background_scheduler(runtime)
    bolt = create_app(runtime)
    return runtime, create_wsgi_app(bolt, runtime)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def cmd_serve(args, settings: Settings) -> int:
    from bot.sandbox.server import serve_forever

    _require(settings, "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    runtime, wsgi = build_served(settings, scheduler=not args.no_scheduler, command_workers=args.workers)
    # acks must not queue behind report-building threads for a whole 5 ms GIL slice (Slack's 3 s budget)
    sys.setswitchinterval(0.001)
    port = args.port or settings.port
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)  # a platform's stop: shut down workers cleanly
    logger.info("lexer-bot serving on port %s (%s)", port, "sandbox data" if settings.sandbox_mode else "Lexer API")
    try:
        serve_forever(wsgi, args.host, port, threads=args.threads)
    finally:
        if runtime.command_pool is not None:
            runtime.command_pool.stop()
        if runtime.scheduler is not None:
            runtime.scheduler.shutdown(wait=False)
    return 0


def cmd_socket(args, settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app
    from bot.runtime import build_runtime

    _require(settings, "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN")
    runtime = build_runtime(settings)
    if not args.no_scheduler:
        from digests.schedule import start_background_scheduler

        runtime.scheduler = start_background_scheduler(runtime)
    SocketModeHandler(create_app(runtime), settings.slack_app_token).start()
    return 0


def cmd_clock(args, settings: Settings) -> int:
    from bot.runtime import build_runtime
    from digests.schedule import run_blocking_scheduler

    _require(settings, "SLACK_BOT_TOKEN")
    runtime = build_runtime(settings)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)  # a platform's stop ends the scheduler cleanly
    run_blocking_scheduler(runtime)
    return 0


def cmd_sandbox(args, settings: Settings) -> int:
    from bot.sandbox.lexer_app import LexerSandbox
    from bot.sandbox.server import serve_forever

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

    s = sub.add_parser("sandbox", help="serve the embedded Lexer sandbox API over HTTP")
    s.add_argument("--port", type=int, default=None, help="default 8010")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--gzip", action="store_true", help="answer gzip-compressed, as Lexer behind a compressing proxy")
    s.set_defaults(func=cmd_sandbox)

    register_feature_commands(sub)
    return p


def register_feature_commands(sub) -> None:
    """Digests, alerts and demo sub-commands (their code lives with their features)."""
    from bot.demo import register as register_demo
    from digests.alerts_cli import register as register_alerts
    from digests.cli import register as register_digests

    register_digests(sub)
    register_alerts(sub)
    register_demo(sub, clock_jobs=demo_clock_jobs)


def demo_clock_jobs():
    """The digest and alert functions `lexer-bot demo` drives (bot imports digests only here)."""
    from bot.demo import ClockJobs
    from digests.alerts import run_alert_checks
    from digests.jobs import send_digest

    jobs = ClockJobs()
    jobs.send_digest = lambda runtime, sub, now: send_digest(runtime, int(sub["id"]), now)
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
    from bot.runtime import setup_logging

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
