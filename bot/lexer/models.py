"""Typed Activity API results and their parsers (pure).

Parsers tolerate extra and missing fields (missing numbers become 0, missing
text ""), and normalise ids to int: the seed returns `user_id` as a string in
`user_summary` and as a number in `user_volume`.

A number Lexer sends that is valid JSON but no usable number (`1e999`, `NaN`,
text) is NaN in the model, in int fields too: that one figure shows as missing
(bot.slack.format), the rest of the answer is used, and a warning names the
field and the report.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, cast

from bot.errors import MalformedResponseError

logger = logging.getLogger(__name__)

UNUSABLE = math.nan  # a figure Lexer sent that is no usable number: shown as missing

# ---------------------------------------------------------------- helpers


class _Figures:
    """Reads the numbers of one answer; the fields whose value was unusable are logged once, on leaving."""

    def __init__(self, report: str):
        self.report = report
        self.unusable: set[str] = set()

    def __enter__(self) -> _Figures:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.unusable:
            logger.warning(
                "Lexer's %s report (POST /activity/reports) sent no usable number in %s; shown as missing",
                self.report,
                ", ".join(sorted(self.unusable)),
            )

    def num(self, d: dict, key: str) -> float:
        """d[key] as a finite float; 0 when absent, UNUSABLE when it is there but no finite number."""
        v = d.get(key)
        if v is None:
            return 0.0
        try:
            f = float(v) if not isinstance(v, bool) else math.nan
        except (TypeError, ValueError, OverflowError):  # text, a list, an int past float's range
            f = math.nan
        if math.isfinite(f):
            return f
        self.unusable.add(str(key))
        return UNUSABLE

    def int(self, d: dict, key: str) -> int:
        """A count; UNUSABLE (a float NaN, typed as the int it stands for) when Lexer's value was unusable."""
        return whole(self.num(d, key))


def whole(x: float) -> int:
    """A sum of figures as a count; UNUSABLE when one of them was (it cannot be counted)."""
    return int(x) if math.isfinite(x) else cast(int, UNUSABLE)


def _str(d: dict, key: str) -> str:
    v = d.get(key)
    try:
        return "" if v is None else str(v)
    except ValueError:  # an int too long to write out
        return ""


def parse_id(v: Any) -> int | None:
    """Normalise an id that may be a number or a numeric string."""
    if v is None or isinstance(v, bool):
        return None
    try:
        return int(str(v).strip())
    except ValueError:  # not a number, "inf", or too long to read
        return None


def _expect(payload: Any, kind: type, report: str):
    if not isinstance(payload, kind):
        raise MalformedResponseError(f"Lexer sent an unexpected answer for the {report} report.")
    return payload


def _dicts(payload: list, report: str) -> list[dict]:
    return [d for d in _expect(payload, list, report) if isinstance(d, dict)]


def parse_bucket_start(text: str) -> datetime:
    """'2018-04-27 00:00' (naive, the query's local time) -> naive datetime."""
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return datetime.fromisoformat(text).replace(tzinfo=None)


# ---------------------------------------------------------------- lists


@dataclass(frozen=True)
class User:
    id: int
    email: str
    first_name: str
    last_name: str
    timezone: str = ""
    archived: bool = False
    groups: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or f"user {self.id}"


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    comment: str = ""


@dataclass(frozen=True)
class Form:
    id: int
    name: str
    title: str = ""
    archived: bool = False
    nps: bool = False
    groups: tuple[int, ...] = ()


def _ids(v: Any) -> tuple[int, ...]:
    if not isinstance(v, list):
        return ()
    return tuple(i for i in (parse_id(x) for x in v) if i is not None)


def parse_users(payload: Any) -> list[User]:
    out = []
    for d in _dicts(payload, "users"):
        uid = parse_id(d.get("id"))
        if uid is None:
            continue
        out.append(
            User(
                uid,
                _str(d, "email"),
                _str(d, "first_name"),
                _str(d, "last_name"),
                _str(d, "timezone"),
                bool(d.get("archived")),
                _ids(d.get("groups")),
            )
        )
    return out


def parse_groups(payload: Any) -> list[Group]:
    out = []
    for d in _dicts(payload, "groups"):
        gid = parse_id(d.get("id"))
        if gid is not None:
            out.append(Group(gid, _str(d, "name"), _str(d, "comment")))
    return out


def parse_forms(payload: Any) -> list[Form]:
    out = []
    for d in _dicts(payload, "forms"):
        fid = parse_id(d.get("id"))
        if fid is not None:
            out.append(
                Form(
                    fid,
                    _str(d, "name"),
                    _str(d, "title"),
                    bool(d.get("archived")),
                    bool(d.get("nps")),
                    _ids(d.get("groups")),
                )
            )
    return out


# ---------------------------------------------------------------- reports


@dataclass(frozen=True)
class Summary:
    """`summary`: times in seconds."""

    total_volume: int
    total_responded_to: int
    broke_sla: int
    broke_action_sla: int
    avg_response_time: float
    median_response_time: float
    min_response_time: float
    max_response_time: float
    avg_action_response_time: float
    median_action_response_time: float
    min_action_response_time: float
    max_action_response_time: float

    @property
    def breach_fraction(self) -> float:
        return self.broke_sla / self.total_responded_to if self.total_responded_to else 0.0


def parse_summary(payload: Any) -> Summary:
    d = _expect(payload, dict, "summary")
    with _Figures("summary") as f:
        return Summary(
            f.int(d, "total_volume"),
            f.int(d, "total_responded_to"),
            f.int(d, "broke_sla"),
            f.int(d, "broke_action_sla"),
            f.num(d, "avg_response_time"),
            f.num(d, "median_response_time"),
            f.num(d, "min_response_time"),
            f.num(d, "max_response_time"),
            f.num(d, "avg_action_response_time"),
            f.num(d, "median_action_response_time"),
            f.num(d, "min_action_response_time"),
            f.num(d, "max_action_response_time"),
        )


@dataclass(frozen=True)
class Point:
    """One bucket of a time series; `start` is naive local time of the query's timezone."""

    start: datetime
    value: float


def _series(items: Any, report: str, f: _Figures) -> list[Point]:
    pts = []
    for d in _dicts(items if isinstance(items, list) else [], report):
        dr = d.get("date_range") or {}
        raw = dr.get("date_from") if isinstance(dr, dict) else None
        if not raw:
            continue
        try:
            pts.append(Point(parse_bucket_start(str(raw)), f.num(d, "value")))
        except ValueError:
            continue
    return sorted(pts, key=lambda p: p.start)


@dataclass(frozen=True)
class StatesVolume:
    """`states_volume`: a series per workflow state; hourly buckets for ranges under 4 days."""

    series: dict[str, list[Point]]

    def totals(self) -> dict[str, int]:
        return {s: whole(sum(p.value for p in pts)) for s, pts in self.series.items()}


def parse_states_volume(payload: Any) -> StatesVolume:
    d = _expect(payload, dict, "states_volume")
    with _Figures("states_volume") as f:
        return StatesVolume({str(k): _series(v, "states_volume", f) for k, v in d.items()})


@dataclass(frozen=True)
class ClassificationCount:
    classification_id: int
    classification: str
    state: str
    volume: int


def parse_classifications(payload: Any) -> list[ClassificationCount]:
    with _Figures("classifications") as f:
        return [
            ClassificationCount(
                parse_id(d.get("classification_id")) or 0,
                _str(d, "classification"),
                _str(d, "state") or "all_states",
                f.int(d, "volume"),
            )
            for d in _dicts(payload, "classifications")
        ]


@dataclass(frozen=True)
class ResponseVolume:
    """`response_volume`: average response time per bucket, in seconds (SPEC §6)."""

    avg_response_time: list[Point]


def parse_response_volume(payload: Any) -> ResponseVolume:
    d = _expect(payload, dict, "response_volume")
    with _Figures("response_volume") as f:
        return ResponseVolume(_series(d.get("avg_response_time"), "response_volume", f))


@dataclass(frozen=True)
class AgentSummary:
    user_id: int
    first_name: str
    last_name: str
    mentions_assigned: int
    responded_to: int
    responded_to_in_private: int
    total_responded_to: int
    broke_sla: int
    broke_action_sla: int
    avg_response_time: float
    min_response_time: float
    max_response_time: float
    avg_action_response_time: float
    fraction_responded_to: float
    fraction_broke_sla: float

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or f"user {self.user_id}"


def parse_user_summary(payload: Any) -> list[AgentSummary]:
    with _Figures("user_summary") as f:
        return [
            AgentSummary(
                parse_id(d.get("user_id")) or 0,
                _str(d, "first_name"),
                _str(d, "last_name"),
                f.int(d, "mentions_assigned"),
                f.int(d, "responded_to"),
                f.int(d, "responded_to_in_private"),
                f.int(d, "total_responded_to"),
                f.int(d, "broke_sla"),
                f.int(d, "broke_action_sla"),
                f.num(d, "avg_response_time"),
                f.num(d, "min_response_time"),
                f.num(d, "max_response_time"),
                f.num(d, "avg_action_response_time"),
                f.num(d, "fraction_responded_to"),
                f.num(d, "fraction_broke_sla"),
            )
            for d in _dicts(payload, "user_summary")
        ]


@dataclass(frozen=True)
class AgentVolume:
    user_id: int
    first_name: str
    last_name: str
    states: dict[str, int]

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or f"user {self.user_id}"


def parse_user_volume(payload: Any) -> list[AgentVolume]:
    with _Figures("user_volume") as f:
        return _user_volume(payload, f)


def _user_volume(payload: Any, f: _Figures) -> list[AgentVolume]:
    out = []
    for d in _dicts(payload, "user_volume"):
        if "states" not in d:  # the "Workflow States" shape (SPEC §6) is not used
            continue
        raw_states = d.get("states")
        states: dict = raw_states if isinstance(raw_states, dict) else {}
        out.append(
            AgentVolume(
                parse_id(d.get("user_id")) or 0,
                _str(d, "first_name"),
                _str(d, "last_name"),
                {str(k): f.int(states, k) for k in states},
            )
        )
    return out


@dataclass(frozen=True)
class CaseSummary:
    total_cases: int
    first_reply_time: float
    resolution_time: float
    median_first_reply_time: float
    median_resolution_time: float
    agent_interactions: float
    agents_involved: float


def parse_case_summary(payload: Any) -> CaseSummary:
    d = _expect(payload, dict, "case_summary")
    with _Figures("case_summary") as f:
        return CaseSummary(
            f.int(d, "total_cases"),
            f.num(d, "first_reply_time"),
            f.num(d, "resolution_time"),
            f.num(d, "median_first_reply_time"),
            f.num(d, "median_resolution_time"),
            f.num(d, "agent_interactions"),
            f.num(d, "agents_involved"),
        )


@dataclass(frozen=True)
class CaseVolume:
    open: list[Point]


def parse_case_volume(payload: Any) -> CaseVolume:
    d = _expect(payload, dict, "case_volume")
    with _Figures("case_volume") as f:
        return CaseVolume(_series(d.get("open"), "case_volume", f))


@dataclass(frozen=True)
class CaseClassification:
    classification_id: int
    classification: str
    volume: int


def parse_case_classifications(payload: Any) -> list[CaseClassification]:
    with _Figures("case_classifications") as f:
        return [
            CaseClassification(parse_id(d.get("classification_id")) or 0, _str(d, "classification"), f.int(d, "volume"))
            for d in _dicts(payload, "case_classifications")
        ]


@dataclass(frozen=True)
class NpsSummary:
    total_sent: int
    total_received: int
    total_promoters: int
    total_passives: int
    total_detractors: int
    nps_score: float

    @property
    def response_rate(self) -> float:
        return self.total_received / self.total_sent if self.total_sent else 0.0


def _nps_summary(d: dict, f: _Figures) -> NpsSummary:
    return NpsSummary(
        f.int(d, "total_sent"),
        f.int(d, "total_received"),
        f.int(d, "total_promoters"),
        f.int(d, "total_passives"),
        f.int(d, "total_detractors"),
        f.num(d, "nps_score"),
    )


def parse_nps_summary(payload: Any) -> NpsSummary:
    d = _expect(payload, dict, "nps_summary")
    with _Figures("nps_summary") as f:
        return _nps_summary(d, f)


@dataclass(frozen=True)
class NpsDay:
    """One day of `nps_volume`; `date` is aware UTC (the local midnight of the query's zone)."""

    date: datetime
    data: NpsSummary


def parse_nps_volume(payload: Any) -> list[NpsDay]:
    with _Figures("nps_volume") as f:
        return _nps_volume(payload, f)


def _nps_volume(payload: Any, f: _Figures) -> list[NpsDay]:
    out = []
    for d in _dicts(payload, "nps_volume"):
        when = None
        if d.get("date"):
            try:
                when = datetime.fromisoformat(str(d["date"]).replace("Z", "+00:00"))
            except ValueError:
                when = None
        if when is None and d.get("timestamp") is not None:
            try:
                when = datetime.fromtimestamp(f.num(d, "timestamp"), tz=timezone.utc)
            except (ValueError, OverflowError, OSError):  # NaN, or a time no calendar holds: that day is skipped
                when = None
        if when is None:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        raw_data = d.get("data")
        data: dict = raw_data if isinstance(raw_data, dict) else {}
        out.append(NpsDay(when, _nps_summary(data, f)))
    return sorted(out, key=lambda x: x.date)


@dataclass(frozen=True)
class ExportStatus:
    """Answer of the export start and status calls."""

    status: str  # pending | complete | anything else = failed (SPEC §6)
    token: str
    url: str | None = field(default=None, repr=False)

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def complete(self) -> bool:
        return self.status == "complete" and bool(self.url)

    @property
    def failed(self) -> bool:
        return not self.pending and not self.complete


def parse_export_status(payload: Any) -> ExportStatus:
    d = _expect(payload, dict, "export status")
    return ExportStatus(_str(d, "status") or "unknown", _str(d, "token"), d.get("url") or None)
