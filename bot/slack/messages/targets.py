"""SLA targets (pure): what each target measures, how a figure is marked against one, and `/lexer targets`.

A figure is marked as it is shown: percentages in whole percent (rounded as the
reply shows them), durations in whole seconds. "Within 20%" means within a fifth
of the target, on the wrong side: for a lower-is-better target T (breach rate,
median wait) ✅ ≤ T, ⚠️ ≤ 1.2·T, 🔴 above; for a higher-is-better target T
(response rate) ✅ ≥ T, ⚠️ ≥ 0.8·T, 🔴 below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bot.slack import blocks as bk
from bot.slack.format import _round_half_up, format_duration, mrkdwn_escape
from bot.slack.messages.common import build_message

BREACH_RATE = "breach-rate"
MEDIAN_WAIT = "median-wait"
RESPONSE_RATE = "response-rate"
METRICS = (BREACH_RATE, MEDIAN_WAIT, RESPONSE_RATE)
METRIC_WORDS = {
    BREACH_RATE: "SLA breach rate (breaches ÷ responses)",
    MEDIAN_WAIT: "median customer wait",
    RESPONSE_RATE: "response rate (responded ÷ conversations, or ÷ assigned for agents)",
}
HIGHER_IS_BETTER = frozenset({RESPONSE_RATE})
WARN_BAND = 0.2  # "within 20% of the target"

MET, NEAR, MISSED = "✅", "⚠️", "🔴"
TITLE = "SLA targets"


@dataclass(frozen=True)
class Target:
    """One target: percent (0-100) for the rates, seconds for median-wait; group_id 0 = the whole workspace."""

    metric: str
    value: float
    group_id: int = 0
    group_name: str = ""


@dataclass(frozen=True)
class TargetSet:
    """The targets that apply to one answer: the group's own where set, else the workspace's."""

    by_metric: dict[str, Target] = field(default_factory=dict)

    def get(self, metric: str) -> Target | None:
        return self.by_metric.get(metric)

    def __bool__(self) -> bool:
        return bool(self.by_metric)


def applicable(targets: list[Target], group_id: int | None = None) -> TargetSet:
    """Workspace targets, overridden metric by metric by the group's (when the answer is for a group)."""
    chosen = {t.metric: t for t in targets if t.group_id == 0}
    if group_id:
        chosen.update({t.metric: t for t in targets if t.group_id == group_id})
    return TargetSet(chosen)


def targets_from_rows(rows: list[dict]) -> list[Target]:
    """Rows of the sla_targets table as Targets."""
    return [Target(r["metric"], float(r["value"]), int(r["group_id"] or 0), r["group_name"] or "") for r in rows]


def shown_value(metric: str, figure: float) -> float:
    """The figure as the reply shows it: whole percent for rates (figure is a fraction), whole seconds for waits."""
    if metric == MEDIAN_WAIT:
        return float(int(figure))
    return float(_round_half_up(figure, 100))


def mark(metric: str, figure: float | None, target: Target | None) -> str:
    """✅, ⚠️ or 🔴 for a figure (a fraction for rates, seconds for waits); '' with no target or no figure."""
    if target is None or figure is None or not math.isfinite(figure):  # a figure Lexer sent unusable: no mark
        return ""
    value, t = shown_value(metric, figure), target.value
    if metric in HIGHER_IS_BETTER:
        if value >= t:
            return MET
        return NEAR if value >= t * (1 - WARN_BAND) else MISSED
    if value <= t:
        return MET
    return NEAR if value <= t * (1 + WARN_BAND) else MISSED


def marked(text: str, metric: str, figure: float | None, targets: TargetSet | None) -> str:
    """`text` followed by its mark and the target, e.g. '12 (4%) ✅ target 5%'; `text` alone with no target."""
    target = targets.get(metric) if targets else None
    m = mark(metric, figure, target)
    if not m or target is None:
        return text
    return f"{text} {m} target {target_text(target)}"


def target_text(target: Target) -> str:
    if target.metric == MEDIAN_WAIT:
        return format_duration(target.value)
    value = f"{target.value:g}"
    return f"{value}%"


def met_count(checks: list[tuple[str, float | None]], targets: TargetSet | None) -> tuple[int, int]:
    """(met, of) over the metrics that have a target and a figure."""
    marks = [mark(metric, figure, targets.get(metric)) for metric, figure in checks] if targets else []
    marks = [m for m in marks if m]
    return sum(1 for m in marks if m == MET), len(marks)


def met_line(met: int, of: int, words: str = "yesterday") -> str:
    return f"{met} of {of} target{'s' if of != 1 else ''} met {words}"


def _scope(t: Target) -> str:
    return f"group {mrkdwn_escape(t.group_name or str(t.group_id))}" if t.group_id else "whole workspace"


def targets_message(targets: list[Target], *, is_admin: bool) -> dict:
    """`/lexer targets`: every target, workspace first, and how to change them."""
    howto = (
        "Set one with `/lexer targets breach-rate 5%`, `median-wait 15m` or `response-rate 90%` "
        '(add `group:"NAME"` for one group); clear one with `/lexer targets breach-rate off`.'
        if is_admin
        else "Admins set them with `/lexer targets breach-rate 5%`, `median-wait 15m` or `response-rate 90%`."
    )
    legend = "✅ on target · ⚠️ within 20% of it · 🔴 further off"
    if not targets:
        return build_message(
            "No SLA targets are set.", [bk.header(TITLE), bk.section("No SLA targets are set."), bk.context([howto])]
        )
    ordered = sorted(targets, key=lambda t: (t.group_id != 0, t.group_name.casefold(), METRICS.index(t.metric)))
    lines = [f"• *{t.metric}* {target_text(t)} — {METRIC_WORDS[t.metric]} · {_scope(t)}" for t in ordered]
    fallback = "SLA targets: " + ", ".join(f"{t.metric} {target_text(t)}" for t in ordered)
    return build_message(fallback, [bk.header(TITLE), bk.section("\n".join(lines)), bk.context([legend, howto])])


def target_set_message(target: Target, previous: Target | None) -> dict:
    was = f" (was {target_text(previous)})" if previous else ""
    text = f":white_check_mark: Target *{target.metric}* is now {target_text(target)}{was} for the {_scope(target)}."
    return build_message(text, [bk.section(text)])


def target_cleared_message(metric: str, group_name: str | None, existed: bool) -> dict:
    scope = f"group {mrkdwn_escape(group_name)}" if group_name else "whole workspace"
    text = (
        f":white_check_mark: Target *{metric}* cleared for the {scope}."
        if existed
        else f"There was no *{metric}* target for the {scope}; nothing changed."
    )
    return build_message(text, [bk.section(text)])
