"""`lexer-bot alerts check`: one evaluation pass of the SLA-spike alerts."""

from __future__ import annotations


def cmd_alerts_check(args, settings) -> int:
    from bot.runtime import build_runtime
    from digests.alerts import run_alert_checks

    runtime = build_runtime(settings)
    try:
        report = run_alert_checks(runtime)
    finally:
        runtime.api.http.close()
        runtime.store.close()
    for line in report.lines():
        print(line)
    return 0


def register(sub) -> None:
    p = sub.add_parser("alerts", help="SLA-spike alerts")
    alerts_sub = p.add_subparsers(dest="alerts_command", metavar="ACTION")
    alerts_sub.required = True
    c = alerts_sub.add_parser("check", help="one evaluation pass (what the scheduler runs every 5 minutes)")
    c.set_defaults(func=cmd_alerts_check)
