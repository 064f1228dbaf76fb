"""`lexer-bot digest preview|send`: render a digest now, print it or post it."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from bot.errors import LexerBotError


def register(sub, build) -> None:
    """Add `digest preview` and `digest send`; `build(settings, with_slack=…)` is cli.py's build_deps."""
    p = sub.add_parser("digest", help="render a digest now: preview it or post it")
    dsub = p.add_subparsers(dest="digest_command", metavar="ACTION")
    dsub.required = True

    s = dsub.add_parser("preview", help="print a digest without posting it")
    s.add_argument("kind", choices=("sla", "nps"))
    s.add_argument("--form", help="NPS form id or name (needed when there is more than one)")
    s.add_argument("--tz", help="AREA/CITY, default LEXERBOT_TIMEZONE")
    s.add_argument("--json", action="store_true", help="print the Slack payload")
    s.set_defaults(func=lambda args, settings: cmd_preview(args, settings, build))

    s = dsub.add_parser("send", help="render a digest and post it to a channel now")
    s.add_argument("kind", choices=("sla", "nps"))
    s.add_argument("--channel", required=True, help="Slack channel id, e.g. C0123ABCD")
    s.add_argument("--form", help="NPS form id or name (needed when there is more than one)")
    s.add_argument("--tz", help="AREA/CITY, default LEXERBOT_TIMEZONE")
    s.set_defaults(func=lambda args, settings: cmd_send(args, settings, build))


def _render(args, settings, build, *, with_slack: bool):
    from bot.config import parse_tz_option
    from bot.errors import UsageError
    from bot.lexer.directory import resolve_nps_form
    from digests.jobs import build_digest

    deps = build(settings, with_slack=with_slack)
    tz = parse_tz_option(args.tz) if args.tz else settings.tz
    form_id = None
    try:
        if args.kind == "nps":
            form_id = resolve_nps_form(deps.directory, args.form).id
        now = deps.now()
        # retry nothing: a person is waiting at the terminal, and what is missing is said in the digest
        message, _ = build_digest(deps, args.kind, tz, now, form_id=form_id, deadline=now)
    except LexerBotError as exc:
        extra = " Say which with --form ID." if args.kind == "nps" and not args.form else ""
        raise UsageError(f"{exc.message}{extra} {exc.hint}".strip()) from None
    return deps, message


def cmd_preview(args, settings, build) -> int:
    from bot.slack.text import render_message_text

    deps, message = _render(args, settings, build, with_slack=False)
    deps.api.http.close()
    if args.json:
        print(json.dumps(message, indent=2, ensure_ascii=False))
    else:
        print(render_message_text(message))
    return 0


def cmd_send(args, settings, build) -> int:
    from slack_sdk.errors import SlackApiError

    from bot.errors import UsageError
    from bot.slack_web import CHANNEL_HELP, slack_error_code
    from digests.posting import post_message

    settings.require("SLACK_BOT_TOKEN")
    deps, message = _render(args, settings, build, with_slack=True)
    deps.api.http.close()
    try:
        ts = post_message(deps.slack, args.channel, message)
    except SlackApiError as exc:
        code = slack_error_code(exc)
        raise UsageError(f"Slack refused the post ({code}). {CHANNEL_HELP.get(code, '')}".strip()) from None
    print(
        f"posted the {args.kind} digest to {args.channel} (ts {ts}) at {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    )
    return 0
