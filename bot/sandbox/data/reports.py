"""The sandbox's reports: the Activity API's answers computed from ActivityData (buckets in the query's offset)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.sandbox.data.activity import ActivityData
from bot.sandbox.data.records import Case, Message, Query, Survey
from bot.sandbox.data.world import CLASSIFICATIONS, CLOSED_STATES, DAY_S, STATES, UTC, epoch


@dataclass(frozen=True)
class Buckets:
    """Consecutive periods in the fixed UTC offset of date_from; the last one runs to date_to."""

    origin: int  # epoch of the first bucket's start
    step: int
    count: int
    local_origin: datetime  # naive local time of `origin`

    def index(self, ts: int) -> int:
        i = (ts - self.origin) // self.step
        return self.count - 1 if i >= self.count else i

    def label(self, i: int) -> str:
        return (self.local_origin + timedelta(seconds=i * self.step)).strftime("%Y-%m-%d %H:%M")

    def start_utc(self, i: int) -> datetime:
        return datetime.fromtimestamp(self.origin + i * self.step, UTC)


def make_buckets(start: datetime, end: datetime, hourly: bool) -> Buckets:
    local = start.replace(tzinfo=None)
    off = int(start.utcoffset().total_seconds()) if start.utcoffset() else 0
    if hourly:
        first = local.replace(minute=0, second=0, microsecond=0)
        origin = int((first - datetime(1970, 1, 1)).total_seconds()) - off
        count = max(1, (epoch(end) - origin) // 3600 + 1)
        return Buckets(origin, 3600, count, first)
    first = local.replace(hour=0, minute=0, second=0, microsecond=0)
    origin = int((first - datetime(1970, 1, 1)).total_seconds()) - off
    # one bucket per local date named by the two ends, so a DST change adds no stray bucket
    count = max(1, (end.date() - start.date()).days + 1)
    return Buckets(origin, DAY_S, count, first)


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else 0.0


def _filtered(items: list, agents: frozenset[int] | None) -> list:
    return items if agents is None else [x for x in items if x.agent in agents]


def summary_of(msgs: list[Message], now: float) -> dict:
    waits: list[float] = []
    actions: list[float] = []
    broke = broke_action = 0
    for m in msgs:
        if m.wait is not None and now >= m.done_ts:
            waits.append(m.wait)
            actions.append(m.action)  # type: ignore[arg-type]
            broke += m.broke
            broke_action += m.broke_action
    avg_w, avg_a, med_w, med_a = _mean(waits), _mean(actions), _median(waits), _median(actions)
    return {
        "total_volume": len(msgs),
        "avg_response_time": avg_w,
        "avg_action_response_time": avg_a,
        "total_responded_to": len(waits),
        "broke_sla": broke,
        "broke_action_sla": broke_action,
        "min_response_time": min(waits, default=0.0),
        "median_response_time": med_w,
        "max_response_time": max(waits, default=0.0),
        "min_action_response_time": min(actions, default=0.0),
        "median_action_response_time": med_a,
        "max_action_response_time": max(actions, default=0.0),
        "avg_action_response_time_min": avg_a / 60,
        "avg_response_time_min": avg_w / 60,
        "median_action_response_time_min": med_a / 60,
        "median_response_time_min": med_w / 60,
    }


def range_length(q: Query) -> timedelta:
    """The span rounded up to the minute, so 00:00 to 23:59:59 of day 4 is 4 days, not 'under 4 days'."""
    return timedelta(minutes=math.ceil((q.end - q.start).total_seconds() / 60))


def _states_volume(msgs: list[Message], q: Query, now: float) -> dict:
    b = make_buckets(q.start, q.end, hourly=range_length(q) < timedelta(days=4))
    counts = {s: [0] * b.count for s in STATES}
    for m in msgs:
        counts[m.state_at(now)][b.index(m.ts)] += 1
    return {
        s: [{"state": s, "value": v, "date_range": {"date_from": b.label(i)}} for i, v in enumerate(vals)]
        for s, vals in counts.items()
    }


def _response_volume(msgs: list[Message], q: Query, now: float) -> dict:
    b = make_buckets(q.start, q.end, hourly=range_length(q) <= timedelta(days=3))
    sums = [0.0] * b.count
    ns = [0] * b.count
    for m in msgs:
        if m.wait is not None and now >= m.done_ts:
            i = b.index(m.ts)
            sums[i] += m.wait
            ns[i] += 1
    return {
        "avg_response_time": [
            {"value": sums[i] / ns[i] if ns[i] else 0.0, "date_range": {"date_from": b.label(i)}}
            for i in range(b.count)
        ]
    }


def _classifications(msgs: list[Message], now: float) -> list[dict]:
    counts: dict[tuple[int, str], int] = {}
    for m in msgs:
        st = m.state_at(now)
        for c in m.classes:
            counts[(c, st)] = counts.get((c, st), 0) + 1
            counts[(c, "all_states")] = counts.get((c, "all_states"), 0) + 1
    names = {c[0]: c[1] for c in CLASSIFICATIONS}
    order = {s: i for i, s in enumerate(("all_states",) + STATES)}
    return [
        {"classification_id": c, "classification": names[c], "state": s, "volume": v}
        for (c, s), v in sorted(counts.items(), key=lambda kv: (kv[0][0], order[kv[0][1]]))
    ]


def _per_agent(msgs: list[Message]) -> dict[int, list[Message]]:
    by: dict[int, list[Message]] = {}
    for m in msgs:
        by.setdefault(m.agent, []).append(m)
    return by


def _user_summary(data: ActivityData, msgs: list[Message], now: float) -> list[dict]:
    out = []
    for uid, ms in sorted(_per_agent(msgs).items()):
        a = data.agents[uid]
        replied = [m for m in ms if m.wait is not None and now >= m.done_ts]
        waits = [m.wait for m in replied]
        actions = [m.action for m in replied]
        n, r = len(ms), len(replied)
        private = sum(m.private for m in replied)
        broke = sum(m.broke for m in replied)
        broke_a = sum(m.broke_action for m in replied)
        avg_w, avg_a = _mean(waits), _mean(actions)  # type: ignore[arg-type]
        out.append(
            {
                "first_name": a.first_name,
                "last_name": a.last_name,
                "mentions_assigned": n,
                "user_id": str(uid),  # a string here, a number in user_volume: as the seed shows
                "responded_to": r,
                "responded_to_in_private": private,
                "avg_response_time": avg_w,
                "min_response_time": min(waits, default=0.0),
                "max_response_time": max(waits, default=0.0),
                "avg_action_response_time": avg_a,
                "min_action_response_time": min(actions, default=0.0),
                "max_action_response_time": max(actions, default=0.0),
                "total_responded_to": r,
                "broke_sla": broke,
                "broke_action_sla": broke_a,
                "avg_response_time_min": avg_w / 60,
                "avg_action_response_time_min": avg_a / 60,
                # the seed's example numbers divide these by responded_to, not by mentions_assigned
                "fraction_responded_to": r / n if n else 0.0,
                "fraction_responded_to_in_private": private / r if r else 0.0,
                "fraction_broke_sla": broke / r if r else 0.0,
                "fraction_broke_action_sla": broke_a / r if r else 0.0,
            }
        )
    return out


def _user_volume(data: ActivityData, msgs: list[Message], now: float) -> list[dict]:
    out = []
    for uid, ms in sorted(_per_agent(msgs).items()):
        a = data.agents[uid]
        states = dict.fromkeys(STATES, 0)
        for m in ms:
            states[m.state_at(now)] += 1
        out.append(
            {
                "user_id": uid,
                "first_name": a.first_name,
                "last_name": a.last_name,
                "states": {
                    "all_states": len(ms),
                    "all_closed_states": sum(v for s, v in states.items() if s in CLOSED_STATES),
                    **states,
                },
            }
        )
    return out


def _case_filter(cases: Iterable[Case], agents: frozenset[int] | None) -> list[Case]:
    return [c for c in cases if c.is_case and (agents is None or c.agents & agents)]


def _case_summary(cases: list[Case]) -> dict:
    firsts = [c.first_reply for c in cases]
    res = [c.resolution for c in cases]
    n = len(cases)
    return {
        "total_cases": n,
        "first_reply_time": _mean(firsts),  # type: ignore[arg-type]
        "resolution_time": _mean(res),  # type: ignore[arg-type]
        "median_first_reply_time": _median(firsts),  # type: ignore[arg-type]
        "median_resolution_time": _median(res),  # type: ignore[arg-type]
        "agent_interactions": sum(c.interactions for c in cases) / n if n else 0.0,
        "agents_involved": sum(len(c.replying_agents) for c in cases) / n if n else 0.0,
    }


def _case_volume(data: ActivityData, q: Query, now: float) -> dict:
    b = make_buckets(q.start, q.end, hourly=False)
    t0, t1 = q.t0, min(q.t1, int(now))
    delta = [0] * (b.count + 1)
    if t1 >= t0:
        for c in _case_filter(data.cases_touching(t0, t1), q.agents):
            closed = c.closed_at if c.closed_at <= now else math.inf
            if c.created > t1 or closed < t0:
                continue
            first = b.index(max(c.created, t0))
            last = b.count - 1 if closed > t1 else b.index(int(closed))
            delta[first] += 1
            delta[last + 1] -= 1
    out, running = [], 0
    for i in range(b.count):
        running += delta[i]
        out.append({"value": running, "date_range": {"date_from": b.label(i)}})
    return {"open": out}


def _case_classifications(cases: list[Case]) -> list[dict]:
    names = {c[0]: c[1] for c in CLASSIFICATIONS}
    counts: dict[int, int] = {}
    for c in cases:
        for k in c.classes:
            counts[k] = counts.get(k, 0) + 1
    return [{"classification_id": k, "classification": names[k], "volume": v} for k, v in sorted(counts.items())]


def nps_numbers(sent: int, subs: Iterable[Survey]) -> dict:
    p = pa = de = 0
    for s in subs:
        cat = s.category
        if cat == "promoters":
            p += 1
        elif cat == "passives":
            pa += 1
        else:
            de += 1
    received = p + pa + de
    return {
        "total_sent": sent,
        "total_received": received,
        "total_promoters": p,
        "total_passives": pa,
        "total_detractors": de,
        "nps_score": (p - de) * 100 / received if received else 0.0,
    }


def nps_submissions(data: ActivityData, q: Query, now: float) -> list[Survey]:
    subs = _filtered(data.submissions_between(q.t0, q.t1, now, q.form), q.agents)  # type: ignore[arg-type]
    if q.nps_category != "all":
        subs = [s for s in subs if s.category == q.nps_category]
    return subs


def _nps_summary(data: ActivityData, q: Query, now: float) -> dict:
    sent = _filtered(data.surveys_sent_between(q.t0, q.t1, now, q.form), q.agents)  # type: ignore[arg-type]
    return nps_numbers(len(sent), nps_submissions(data, q, now))


def _nps_volume(data: ActivityData, q: Query, now: float) -> list[dict]:
    b = make_buckets(q.start, q.end, hourly=False)
    sent_n = [0] * b.count
    subs: list[list[Survey]] = [[] for _ in range(b.count)]
    for s in _filtered(data.surveys_sent_between(q.t0, q.t1, now, q.form), q.agents):  # type: ignore[arg-type]
        sent_n[b.index(s.sent_ts)] += 1
    for s in nps_submissions(data, q, now):
        subs[b.index(s.submitted_ts)].append(s)  # type: ignore[arg-type]
    out = []
    for i in range(b.count):
        start = b.start_utc(i)
        out.append(
            {"date": start.isoformat(), "timestamp": int(start.timestamp()), "data": nps_numbers(sent_n[i], subs[i])}
        )
    return out


REPORT_TYPES = (
    "summary",
    "states_volume",
    "user_volume",
    "classifications",
    "response_volume",
    "user_summary",
    "case_summary",
    "case_volume",
    "case_classifications",
    "nps_summary",
    "nps_volume",
)
EXPORT_TYPES = ("case_details", "mention_sla_export", "nps_submissions")
NPS_TYPES = ("nps_summary", "nps_volume", "nps_submissions")


def compute_report(data: ActivityData, q: Query, now_dt: datetime) -> Any:
    """The JSON answer for a validated, non-export report query."""
    now = now_dt.timestamp()
    t = q.type
    if t in ("nps_summary", "nps_volume"):
        return _nps_summary(data, q, now) if t == "nps_summary" else _nps_volume(data, q, now)
    if t in ("case_summary", "case_classifications"):
        cases = _case_filter(data.cases_closed_between(q.t0, q.t1, now), q.agents)
        return _case_summary(cases) if t == "case_summary" else _case_classifications(cases)
    if t == "case_volume":
        return _case_volume(data, q, now)
    msgs = _filtered(data.messages_between(q.t0, q.t1, now), q.agents)
    if t == "summary":
        return summary_of(msgs, now)
    if t == "states_volume":
        return _states_volume(msgs, q, now)
    if t == "response_volume":
        return _response_volume(msgs, q, now)
    if t == "classifications":
        return _classifications(msgs, now)
    if t == "user_summary":
        return _user_summary(data, msgs, now)
    if t == "user_volume":
        return _user_volume(data, msgs, now)
    raise ValueError(f"not a report type: {t}")
