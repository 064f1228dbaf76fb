"""The `/lexer` command names and their usage lines (pure): what `help` shows and every hint quotes."""

from __future__ import annotations

from bot.timeframe import RANGE_HELP

HELP_ORDER: list[str] = [
    "summary",
    "team",
    "workload",
    "states",
    "classifications",
    "response-time",
    "cases",
    "case-classifications",
    "nps",
    "users",
    "groups",
    "forms",
    "export",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "alerts",
    "connect",
    "disconnect",
    "admins",
    "targets",
    "my-week",
    "agent-digests",
    "help",
]
COMMANDS = frozenset(HELP_ORDER)
REPORT_COMMANDS = frozenset(
    {
        "summary",
        "team",
        "workload",
        "states",
        "classifications",
        "response-time",
        "cases",
        "case-classifications",
        "nps",
    }
)
#: commands that take group:/agent: (the reports and the exports of them)
FILTER_COMMANDS = REPORT_COMMANDS | {"export"}
#: names with an admin form; `alerts` only for ALERTS_ADMIN_ACTIONS — ask is_admin_command
ADMIN_COMMANDS = frozenset({"export", "subscribe", "unsubscribe", "alerts", "connect", "disconnect"})
#: distribution mode's workspace commands (answered from the workspace, not Lexer)
WORKSPACE_COMMANDS = frozenset({"connect", "disconnect", "admins"})
ALERTS_ADMIN_ACTIONS = frozenset({"on", "off", "snooze"})
COMMAND_ALIASES = {"sla": "summary", "?": "help", "response-times": "response-time"}
HINT_COMMANDS = "Try `summary`, `team`, `cases`, `nps`, `export` or `subscribe`; `/lexer help` lists everything."

RANGE_USAGE = "RANGE: " + RANGE_HELP + " (default yesterday; nps: last-7d)"
_FILTERS = "[group:NAME] [agent:EMAIL] [compare] [public]"
USAGE: dict[str, str] = {
    "summary": f"summary [RANGE] {_FILTERS}  (alias `sla`) — e.g. `/lexer summary last-week`",
    "team": f"team [RANGE] {_FILTERS}  — e.g. `/lexer team last-week`",
    "workload": f'workload [RANGE] {_FILTERS}  — e.g. `/lexer workload today group:"Email Support"`',
    "states": f"states [RANGE] {_FILTERS}  — e.g. `/lexer states this-week`",
    "classifications": f"classifications [RANGE] {_FILTERS}  — e.g. `/lexer classifications last-month`",
    "response-time": f"response-time [RANGE] {_FILTERS}  — e.g. `/lexer response-time last-7d`",
    "cases": f"cases [RANGE] {_FILTERS}  — e.g. `/lexer cases yesterday agent:jane@example.com`",
    "case-classifications": f"case-classifications [RANGE] {_FILTERS}  — e.g. `/lexer case-classifications 2026-11-02..2026-11-08`",
    "nps": f'nps [FORM] [RANGE] [promoters|passives|detractors] {_FILTERS}  — e.g. `/lexer nps "Customer NPS" last-30d detractors`',
    "users": "users [public]  — e.g. `/lexer users`",
    "groups": "groups [public]  — e.g. `/lexer groups`",
    "forms": "forms [public]  — e.g. `/lexer forms`",
    "export": (
        "export cases|responses [RANGE] [group:NAME] [agent:EMAIL]  — e.g. `/lexer export cases last-week`\n"
        "export nps [FORM] [RANGE] [promoters|passives|detractors]  — e.g. `/lexer export nps 123 last-month`\n"
        "(the CSV comes to you by direct message)"
    ),
    "subscribe": (
        "subscribe sla|nps [FORM] [#channel] [daily|weekdays|weekly DAY] [at HH:MM] [tz AREA/CITY]"
        "  — e.g. `/lexer subscribe sla #support weekdays at 09:00 tz Australia/Sydney`"
    ),
    "unsubscribe": "unsubscribe ID  — e.g. `/lexer unsubscribe 12` (`/lexer subscriptions` shows the numbers)",
    "subscriptions": "subscriptions  — e.g. `/lexer subscriptions`",
    "alerts": (
        "alerts [status]  — e.g. `/lexer alerts`\n"
        "alerts on [#channel] [window 2h|90m] [min N] [low|normal|high]  — e.g. `/lexer alerts on #support window 2h min 5`\n"
        "alerts off  — e.g. `/lexer alerts off`\n"
        "alerts snooze 2h|30m|1d|until HH:MM|off  — e.g. `/lexer alerts snooze until 17:30`"
    ),
    "connect": "connect  — e.g. `/lexer connect` (an admin connects this workspace's Lexer API token in a form)",
    "disconnect": "disconnect  — e.g. `/lexer disconnect` (an admin removes this workspace's Lexer token)",
    "admins": "admins [add|remove @user]  — e.g. `/lexer admins` (add and remove take a Slack mention)",
    "targets": (
        "targets  — e.g. `/lexer targets` (shows them)\n"
        "targets breach-rate 5%|median-wait 15m|response-rate 90% [group:NAME]  — e.g. "
        '`/lexer targets breach-rate 5% median-wait 15m` or `/lexer targets response-rate 85% group:"Email Support"` (admins)\n'
        "targets METRIC off [group:NAME]  — e.g. `/lexer targets breach-rate off` clears one (admins)"
    ),
    "my-week": "my-week  — e.g. `/lexer my-week` (your own last week beside the team's median; matched by your email)",
    "agent-digests": "agent-digests [on|off]  — e.g. `/lexer agent-digests on` (admins: a Monday 09:00 DM of my-week to every agent matched by email)",
    "help": "help [COMMAND]  — e.g. `/lexer help team`",
}

# --- wording ------------------------------------------------------------------------------------

MSG_UNKNOWN_COMMAND = "`{word}` is not a command — did you mean `{suggestion}`?"
MSG_UNKNOWN_COMMAND_PLAIN = "`{word}` is not a command."


def usage_hint(name: str) -> str:
    """The hint that quotes `name`'s usage line."""
    return "Usage: " + USAGE[name]
