"""`/lexer my-week` (pure): one agent's numbers for last week beside the team's median of each."""

from __future__ import annotations

from statistics import median

from bot.lexer.models import AgentSummary, Summary
from bot.slack import blocks as bk
from bot.slack.format import MISSING, format_count, format_duration, format_percent, mrkdwn_escape
from bot.slack.messages.common import ReplyContext, build_message, footer_text
from bot.slack.messages.targets import BREACH_RATE, RESPONSE_RATE, TargetSet, marked
from bot.timeframe import Timeframe

TITLE = "Your week"
NO_EMAIL = "Slack did not tell me your email address, so I cannot find you in Lexer."
NO_EMAIL_HINT = "Ask a Slack admin to check the app has the `users:read.email` scope."
NO_MATCH = "I found no Lexer user with your email ({email})."
NO_MATCH_HINT = "Lexer and Slack must use the same email for you; a Lexer admin can check your user in Lexer."


def _median(values: list[float]) -> float | None:
    return median(values) if values else None


def team_medians(agents: list[AgentSummary]) -> dict[str, float | None]:
    """The median agent, figure by figure, over the agents who had any work in the range."""
    working = [a for a in agents if a.mentions_assigned or a.total_responded_to]
    answered = [a for a in working if a.total_responded_to]
    return {
        "assigned": _median([a.mentions_assigned for a in working]),
        "responded": _median([a.total_responded_to for a in working]),
        "response_rate": _median([a.fraction_responded_to for a in working if a.mentions_assigned]),
        "avg_wait": _median([a.avg_response_time for a in answered]),
        "avg_action": _median([a.avg_action_response_time for a in answered]),
        "breaches": _median([a.broke_sla for a in working]),
        "breach_rate": _median([a.fraction_broke_sla for a in answered]),
    }


def _count(x: float | None) -> str:
    return MISSING if x is None else format_count(round(x))


def agent_week_message(
    agent: AgentSummary | None,
    agent_name: str,
    agents: list[AgentSummary],
    team: Summary | None,
    tf: Timeframe,
    ctx: ReplyContext,
    targets: TargetSet | None = None,
    buttons: list[dict] | None = None,
) -> dict:
    """The agent's week beside the team's medians; `agent` None = no work of theirs in the range."""
    med = team_medians(agents)
    me = agent
    answered = bool(me and me.total_responded_to)
    rate = me.fraction_responded_to if me and me.mentions_assigned else None
    breach_rate = me.fraction_broke_sla if answered and me else None
    rows = [
        ("Assigned", format_count(me.mentions_assigned if me else 0), _count(med["assigned"])),
        (
            "Responded",
            marked(
                f"{format_count(me.total_responded_to if me else 0)}"
                + (f" ({format_percent(rate)})" if rate is not None else ""),
                RESPONSE_RATE,
                rate,
                targets,
            ),
            f"{_count(med['responded'])} ({format_percent(med['response_rate'])})",
        ),
        (
            "Avg response (customer wait)",
            format_duration(me.avg_response_time) if answered and me else MISSING,
            format_duration(med["avg_wait"]),
        ),
        (
            "Avg agent response (assigned → reply)",
            format_duration(me.avg_action_response_time) if answered and me else MISSING,
            format_duration(med["avg_action"]),
        ),
        (
            "SLA breaches",
            marked(
                f"{format_count(me.broke_sla if me else 0)}"
                + (f" ({format_percent(breach_rate)})" if breach_rate is not None else ""),
                BREACH_RATE,
                breach_rate,
                targets,
            ),
            f"{_count(med['breaches'])} ({format_percent(med['breach_rate'])})",
        ),
    ]
    lines = [f"*{label}*: {mine}  ·  team median {theirs}" for label, mine, theirs in rows]
    if team is not None and team.total_responded_to:
        lines.append(f"*Median response (whole team)*: {format_duration(team.median_response_time)}")
    blocks = [
        bk.header(f"{TITLE} · last week"),
        bk.section(f"*{mrkdwn_escape(agent_name)}*, your numbers beside the team's median agent:"),
        bk.section("\n".join(lines)),
    ]
    if buttons:
        blocks.append(bk.actions(buttons))
    blocks.append(bk.context([footer_text(tf, ctx)]))
    fallback = (
        f"{TITLE}, {tf.describe()}: {format_count(me.mentions_assigned if me else 0)} assigned, "
        f"{format_count(me.total_responded_to if me else 0)} responded, "
        f"{format_count(me.broke_sla if me else 0)} SLA breaches"
    )
    return build_message(fallback[:500], blocks)


# the buttons on the Monday DM; ids are a contract with messages already sent
AGENT_WEEK_OPT_OUT = "lexer.agent_week.opt_out"
AGENT_WEEK_OPT_IN = "lexer.agent_week.opt_in"
OPTED_OUT = ":white_check_mark: Done: no more Monday messages with your week. `/lexer my-week` still shows it any time."
OPTED_IN = ":white_check_mark: You will get your week every Monday at 09:00 again."


def opt_out_button() -> dict:
    return bk.button("Stop these Monday messages", AGENT_WEEK_OPT_OUT, "out")


def opt_in_button() -> dict:
    return bk.button("Send them again", AGENT_WEEK_OPT_IN, "in", "primary")


def opted_message(out: bool) -> dict:
    """What replaces the DM after the agent clicks: said, and the way back."""
    text = OPTED_OUT if out else OPTED_IN
    button = opt_in_button() if out else opt_out_button()
    return build_message(text, [bk.section(text), bk.actions([button])])


def agent_digests_status_message(enabled: bool, opted_out: int, *, is_admin: bool) -> dict:
    state = "on" if enabled else "off"
    text = f"Monday agent digests are *{state}*" + (
        f": every agent matched by email gets their last week by DM on Monday at 09:00 in their timezone"
        f" ({opted_out} opted out)."
        if enabled
        else "."
    )
    hint = "Switch them with `/lexer agent-digests on` or `off`." if is_admin else "Admins switch them on or off."
    return build_message(text, [bk.section(text), bk.context([hint])])
