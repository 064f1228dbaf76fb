"""SLA-spike alerts: the alert message and its thread replies, and `/lexer alerts status` (pure).

The builders take what the checks stored (episode detail, verdict numbers,
config and sample rows), never the database or the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.slack import blocks as bk
from bot.slack.actions import ALERT_SHOW_TEAM, ALERT_SNOOZE_1H, ALERT_SNOOZE_TOMORROW
from bot.slack.format import format_count, format_duration, format_percent
from bot.slack.messages.common import SANDBOX_NOTE, esc
from bot.slack.messages.help import notice_message
from bot.timeframe import Timeframe

SENSITIVITY_WORDS = {"low": "low (p < 0.0001)", "normal": "normal (p < 0.001)", "high": "high (p < 0.01)"}
INVITE_HELP = "Invite the bot with `/invite @lexer` in that channel, then run `/lexer alerts on` again."
SNOOZE_USAGE = "`/lexer alerts snooze 2h`, `/lexer alerts snooze until 17:30` or `/lexer alerts snooze off`"

BASELINE_WORDS: dict[str | None, str] = {
    "hour-of-week": "this hour in past weeks",
    "trailing-7d": "the last 7 days",
    "samples": "the last week's checks",
}
BASELINE_PHRASES: dict[str | None, str] = {
    "hour-of-week": "for this hour of the week",
    "trailing-7d": "at the last 7 days' rate",
    "samples": "at the last week's rate",
}
ALERT_TITLE = "SLA breach spike"
VOLUME_TITLE = "SLA breaches up with a volume surge"
RESOLVED_PREFIX = "Resolved: "


class EpisodeFacts(Protocol):
    """What the alert message reads of an episode (digests.alerts.episode.Episode has it)."""

    @property
    def started_at(self) -> datetime: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def last_count(self) -> int: ...
    @property
    def expected(self) -> float: ...
    @property
    def detail(self) -> dict: ...


class VerdictFacts(Protocol):
    """What the thread replies read of a verdict (digests.alerts.detect.Verdict has it)."""

    @property
    def count(self) -> int: ...
    @property
    def expected(self) -> float: ...
    @property
    def breach_fraction(self) -> float | None: ...
    @property
    def expected_fraction(self) -> float | None: ...
    @property
    def responded(self) -> int: ...


# ---------------------------------------------------------------- wording of windows and times


def window_words(minutes: int) -> str:
    if minutes % 60 == 0:
        h = minutes // 60
        return "the last hour" if h == 1 else f"the last {h} hours"
    return f"the last {minutes} minutes"


def window_timeframe(end: datetime, minutes: int, tz: ZoneInfo) -> Timeframe:
    """The alert window [end - minutes, end] in tz, worded like `last-Nh`.

    Computed in UTC: arithmetic on aware datetimes of one zone is wall-clock time, so across a DST change
    "the last 2 hours" would be 1 or 3 hours of real time.
    """
    end_utc = end.astimezone(timezone.utc).replace(microsecond=0)
    start = (end_utc - timedelta(minutes=minutes)).astimezone(tz)
    text = f"last-{minutes // 60}h" if minutes % 60 == 0 else f"last-{minutes}m"
    return Timeframe(start, end_utc.astimezone(tz), text, window_words(minutes))


def window_text(minutes: int) -> str:
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def hhmm(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%H:%M")


def when_text(t: datetime, now: datetime, tz: ZoneInfo) -> str:
    """'17:30' today, else 'Fri 17:30'."""
    local = t.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return f"{local:%H:%M}"
    return f"{local:%a} {local:%H:%M}"


# ---------------------------------------------------------------- the alert message and its thread


def _fraction_text(fraction: float | None, expected_fraction: float | None, responded: int) -> str:
    if fraction is None:
        return "no replies in the window"
    usual = f" (usually {format_percent(expected_fraction)})" if expected_fraction is not None else ""
    return f"{format_percent(fraction)} of {format_count(responded)} replies{usual}"


def _cause_text(detail: dict) -> str:
    if detail.get("cause") == "volume":
        return (
            f"*A volume surge, not a service failure:* {format_count(detail.get('responded') or 0)} replies vs "
            f"about {detail.get('expected_responded', 0):.0f} usually, and the share breaking SLA is about normal."
        )
    return "*The share of replies breaking SLA is up*: the team is falling behind, not just busier."


def _contributors_text(detail: dict) -> list[str]:
    lines = []
    agents = detail.get("agents") or []
    if agents:
        lines.append("*Breaches by agent:* " + ", ".join(f"{esc(name)} ({n})" for name, n in agents))
    classes = detail.get("classifications") or []
    if classes:
        lines.append("*Busiest classifications:* " + ", ".join(f"{esc(name)} ({n})" for name, n in classes))
    return lines


def _footer(tf: Timeframe, sandbox: bool, detail: dict) -> str:
    parts = [tf.describe(), tf.tz_name, f"baseline: {BASELINE_WORDS.get(detail.get('baseline_source'), 'none')}"]
    if detail.get("p_value") is not None:
        parts.append(f"p = {detail['p_value']:.1g}")
    if sandbox:
        parts.append(SANDBOX_NOTE)
    return " · ".join(parts)


def alert_message(
    episode: EpisodeFacts,
    tf: Timeframe,
    *,
    sandbox: bool,
    button_value: str,
    resolved: bool = False,
    now: datetime | None = None,
) -> dict:
    """The one message of an episode: what spiked, the window, contributors, buttons (or, resolved, the outcome)."""
    d = {**episode.detail, **(episode.detail.get("posted") or {})}
    title = VOLUME_TITLE if d.get("cause") == "volume" else ALERT_TITLE
    count = d.get("count", episode.last_count)
    expected = d.get("expected", episode.expected)
    headline = (
        f"*{format_count(count)} SLA breaches in {tf.words}*, about {expected:.1f} expected "
        f"{BASELINE_PHRASES.get(d.get('baseline_source'), '')}".rstrip()
        + "."
    )
    pairs = [
        ("Breaches", f"{format_count(count)} (expected ~{expected:.1f})"),
        ("Breach rate", _fraction_text(d.get("breach_fraction"), d.get("expected_fraction"), d.get("responded") or 0)),
    ]
    blocks = [
        bk.header((RESOLVED_PREFIX if resolved else ":rotating_light: ") + title),
        bk.section(headline),
        bk.fields_section(pairs),
        bk.section(_cause_text(d)),
    ]
    contributors = _contributors_text(d)
    if contributors:
        blocks.append(bk.section("\n".join(contributors)))
    if resolved:
        ended = episode.resolved_at or now or episode.started_at
        lasted = format_duration((ended - episode.started_at).total_seconds())
        blocks.append(
            bk.section(
                f":white_check_mark: *Resolved* at {ended.astimezone(tf.tz):%H:%M}: back to "
                f"normal after {lasted}, peaking at {format_count(d.get('peak', count))} breaches."
            )
        )
        blocks.append(bk.actions([bk.button("Show team", ALERT_SHOW_TEAM, button_value)]))
        text = f"Resolved: {title.lower()} ({format_count(count)} breaches in {tf.words}, ~{expected:.1f} expected)"
    else:
        blocks.append(
            bk.actions(
                [
                    bk.button("Snooze 1h", ALERT_SNOOZE_1H, button_value),
                    bk.button("Snooze until tomorrow", ALERT_SNOOZE_TOMORROW, button_value),
                    bk.button("Show team", ALERT_SHOW_TEAM, button_value),
                ]
            )
        )
        text = f"{title}: {format_count(count)} SLA breaches in {tf.words}, about {expected:.1f} expected"
    blocks.append(bk.context([_footer(tf, sandbox, d)]))
    return {"text": text, "blocks": blocks}


def update_text(verdict: VerdictFacts, tf: Timeframe) -> str:
    return (
        f"Still spiking: {format_count(verdict.count)} SLA breaches in {tf.words} (to {tf.end:%H:%M}), "
        f"about {verdict.expected:.1f} expected; "
        f"{_fraction_text(verdict.breach_fraction, verdict.expected_fraction, verdict.responded)}."
    )


def resolution_text(episode: EpisodeFacts, verdict: VerdictFacts, tf: Timeframe, *, ok_checks: int) -> str:
    lasted = format_duration(((episode.resolved_at or tf.end) - episode.started_at).total_seconds())
    return (
        f":white_check_mark: Back to normal: {format_count(verdict.count)} SLA breaches in {tf.words}, "
        f"about {verdict.expected:.1f} expected, for {ok_checks} checks in a row. "
        f"The spike lasted {lasted} and peaked at {format_count(episode.detail.get('peak', 0))}."
    )


# ---------------------------------------------------------------- /lexer alerts status


def _parse_iso(text: str) -> datetime:
    # stored rows hold aware ISO times (bot.store.utcnow_iso)
    return datetime.fromisoformat(text)


def _snoozed_until(config: dict, now: datetime) -> datetime | None:
    text = config.get("snoozed_until")
    until = _parse_iso(text) if text else None
    return until if until is not None and until > now else None


def status_message(
    channel: str,
    config: dict | None,
    sample: dict | None,
    firing: dict | None,
    last: dict | None,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """`/lexer alerts status` from stored state (pure)."""
    if config is None or not config.get("enabled"):
        return notice_message(
            f"SLA-spike alerts are off for <#{channel}>. Turn them on with `/lexer alerts on`.", title="Alerts"
        )
    window = config["window_minutes"]
    pairs: list[tuple[str, str]] = []
    if firing:
        pairs.append(
            ("State", f":rotating_light: spiking since {when_text(_parse_iso(firing['started_at']), now, tz)}")
        )
    else:
        pairs.append(("State", ":white_check_mark: normal"))
    if sample is None:
        pairs.append(("Current window", "no check yet (checks run every 5 minutes)"))
    elif sample["status"] != "ok":
        pairs.append(
            (
                "Current window",
                f"no data at {hhmm(_parse_iso(sample['window_end']), tz)} "
                "(Lexer did not answer); the next check will try again",
            )
        )
    else:
        end = _parse_iso(sample["window_end"])
        frac = (sample["broke_sla"] / sample["responded"]) if sample["responded"] else None
        expected = sample.get("expected")
        pairs.append(
            (
                "Current window",
                f"{format_count(sample['broke_sla'])} breaches in {window_words(window)} (to {hhmm(end, tz)})",
            )
        )
        pairs.append(("Expected", f"about {expected:.1f}" if expected is not None else "no baseline yet"))
        usual = sample.get("expected_fraction")
        pairs.append(
            (
                "Breach rate",
                f"{format_percent(frac)} of {format_count(sample['responded'])} replies"
                + (f" (usually {format_percent(usual)})" if usual is not None else ""),
            )
        )
    if last:
        started = _parse_iso(last["started_at"])
        if last["state"] == "firing":
            state = "ongoing"
        elif last["state"] == "resolved" and last.get("resolved_at"):
            state = f"resolved {when_text(_parse_iso(last['resolved_at']), now, tz)}"
        else:
            state = "closed when alerts were turned off"
        pairs.append(
            (
                "Last alert",
                f"{when_text(started, now, tz)}, peak {format_count(last.get('last_count') or 0)} breaches · {state}",
            )
        )
    else:
        pairs.append(("Last alert", "none yet"))
    until = _snoozed_until(config, now)
    pairs.append(("Snooze", f"until {when_text(until, now, tz)}" if until else "off"))
    settings_text = (
        f"Window {window_text(window)} · min {config['min_count']} · "
        f"sensitivity {SENSITIVITY_WORDS.get(config['sensitivity'], config['sensitivity'])} · {tz.key}"
    )
    blocks = [
        bk.header("SLA-spike alerts"),
        bk.section(f"Alerts for <#{channel}>"),
        bk.fields_section(pairs),
        bk.context([settings_text]),
    ]
    fallback = "SLA-spike alerts: " + "; ".join(f"{k}: {v}" for k, v in pairs[:3])
    return {"text": fallback, "blocks": blocks}
