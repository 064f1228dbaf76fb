"""The NPS reports: nps_summary, and nps_volume day by day (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.lexer.models.figures import Figures, dicts, expect


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


def _nps_summary(d: dict, f: Figures) -> NpsSummary:
    return NpsSummary(
        f.int(d, "total_sent"),
        f.int(d, "total_received"),
        f.int(d, "total_promoters"),
        f.int(d, "total_passives"),
        f.int(d, "total_detractors"),
        f.num(d, "nps_score"),
    )


def parse_nps_summary(payload: Any) -> NpsSummary:
    d = expect(payload, dict, "nps_summary")
    with Figures("nps_summary") as f:
        return _nps_summary(d, f)


@dataclass(frozen=True)
class NpsDay:
    """One day of `nps_volume`; `date` is aware UTC (the local midnight of the query's zone)."""

    date: datetime
    data: NpsSummary


def parse_nps_volume(payload: Any) -> list[NpsDay]:
    with Figures("nps_volume") as f:
        return _nps_volume(payload, f)


def _nps_volume(payload: Any, f: Figures) -> list[NpsDay]:
    out = []
    for d in dicts(payload, "nps_volume"):
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
