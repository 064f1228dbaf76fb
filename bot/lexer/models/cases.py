"""The case reports: case_summary, case_volume, case_classifications (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.lexer.models.figures import Figures, Point, dicts, expect, parse_id, read_series, read_text


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
    d = expect(payload, dict, "case_summary")
    with Figures("case_summary") as f:
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
    d = expect(payload, dict, "case_volume")
    with Figures("case_volume") as f:
        return CaseVolume(read_series(d.get("open"), "case_volume", f))


@dataclass(frozen=True)
class CaseClassification:
    classification_id: int
    classification: str
    volume: int


def parse_case_classifications(payload: Any) -> list[CaseClassification]:
    with Figures("case_classifications") as f:
        return [
            CaseClassification(
                parse_id(d.get("classification_id")) or 0, read_text(d, "classification"), f.int(d, "volume")
            )
            for d in dicts(payload, "case_classifications")
        ]
