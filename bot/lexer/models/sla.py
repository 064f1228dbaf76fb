"""The team and agent reports: summary, states_volume, classifications, response_volume, user_summary,
user_volume (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.lexer.models.figures import Figures, Point, dicts, expect, parse_id, read_series, read_text, whole


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
    d = expect(payload, dict, "summary")
    with Figures("summary") as f:
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
class StatesVolume:
    """`states_volume`: a series per workflow state; hourly buckets for ranges under 4 days."""

    series: dict[str, list[Point]]

    def totals(self) -> dict[str, int]:
        return {s: whole(sum(p.value for p in pts)) for s, pts in self.series.items()}


def parse_states_volume(payload: Any) -> StatesVolume:
    d = expect(payload, dict, "states_volume")
    with Figures("states_volume") as f:
        return StatesVolume({str(k): read_series(v, "states_volume", f) for k, v in d.items()})


@dataclass(frozen=True)
class ClassificationCount:
    classification_id: int
    classification: str
    state: str
    volume: int


def parse_classifications(payload: Any) -> list[ClassificationCount]:
    with Figures("classifications") as f:
        return [
            ClassificationCount(
                parse_id(d.get("classification_id")) or 0,
                read_text(d, "classification"),
                read_text(d, "state") or "all_states",
                f.int(d, "volume"),
            )
            for d in dicts(payload, "classifications")
        ]


@dataclass(frozen=True)
class ResponseVolume:
    """`response_volume`: average response time per bucket, in seconds (SPEC §6)."""

    avg_response_time: list[Point]


def parse_response_volume(payload: Any) -> ResponseVolume:
    d = expect(payload, dict, "response_volume")
    with Figures("response_volume") as f:
        return ResponseVolume(read_series(d.get("avg_response_time"), "response_volume", f))


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
    with Figures("user_summary") as f:
        return [
            AgentSummary(
                parse_id(d.get("user_id")) or 0,
                read_text(d, "first_name"),
                read_text(d, "last_name"),
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
            for d in dicts(payload, "user_summary")
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
    with Figures("user_volume") as f:
        return _user_volume(payload, f)


def _user_volume(payload: Any, f: Figures) -> list[AgentVolume]:
    out = []
    for d in dicts(payload, "user_volume"):
        if "states" not in d:  # the "Workflow States" shape (SPEC §6) is not used
            continue
        raw_states = d.get("states")
        states: dict = raw_states if isinstance(raw_states, dict) else {}
        out.append(
            AgentVolume(
                parse_id(d.get("user_id")) or 0,
                read_text(d, "first_name"),
                read_text(d, "last_name"),
                {str(k): f.int(states, k) for k in states},
            )
        )
    return out
