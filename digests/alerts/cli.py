"""`lexer-bot alerts check`: one evaluation pass of the SLA-spike alerts."""

from __future__ import annotations


def cmd_alerts_check(args, settings, build) -> int:
    from digests.alerts.check import run_alert_checks
    from digests.workspaces import every_workspace

    deps = build(settings)
    try:
        # the same pass the clock runs: every connected workspace on its own Deps (distribution mode)
        reports = [(here.workspace, run_alert_checks(here)) for here in every_workspace(deps)]
    finally:
        deps.api.http.close()
        deps.store.close()
    for workspace, report in reports:
        for line in report.lines():
            print(f"{workspace}: {line}" if workspace else line)
    return 0


def register(sub, build) -> None:
    """Add `alerts check`; `build(settings)` is cli.py's build_deps."""
    p = sub.add_parser("alerts", help="SLA-spike alerts")
    alerts_sub = p.add_subparsers(dest="alerts_command", metavar="ACTION")
    alerts_sub.required = True
    c = alerts_sub.add_parser("check", help="one evaluation pass (what the scheduler runs every 5 minutes)")
    c.set_defaults(func=lambda args, settings: cmd_alerts_check(args, settings, build))
