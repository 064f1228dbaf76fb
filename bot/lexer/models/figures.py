"""Reading Lexer's numbers, ids, text and time series (pure): what every report's parser stands on.

A number Lexer sends that is valid JSON but no usable number (`1e999`, `NaN`,
text) is NaN in the model, in int fields too: that one figure shows as missing
(bot.slack.format), the rest of the answer is used, and a warning names the
field and the report.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from bot.errors import MalformedResponseError

# one logger for the warnings of every report's parser, named for the package
logger = logging.getLogger("bot.lexer.models")

UNUSABLE = math.nan  # a figure Lexer sent that is no usable number: shown as missing


class Figures:
    """Reads the numbers of one answer; the fields whose value was unusable are logged once, on leaving."""

    def __init__(self, report: str):
        self.report = report
        self.unusable: set[str] = set()

    def __enter__(self) -> Figures:
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


def read_text(d: dict, key: str) -> str:
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


def expect(payload: Any, kind: type, report: str):
    if not isinstance(payload, kind):
        raise MalformedResponseError(f"Lexer sent an unexpected answer for the {report} report.")
    return payload


def dicts(payload: list, report: str) -> list[dict]:
    return [d for d in expect(payload, list, report) if isinstance(d, dict)]


def parse_bucket_start(text: str) -> datetime:
    """'2018-04-27 00:00' (naive, the query's local time) -> naive datetime."""
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return datetime.fromisoformat(text).replace(tzinfo=None)


@dataclass(frozen=True)
class Point:
    """One bucket of a time series; `start` is naive local time of the query's timezone."""

    start: datetime
    value: float


def read_series(items: Any, report: str, f: Figures) -> list[Point]:
    pts = []
    for d in dicts(items if isinstance(items, list) else [], report):
        dr = d.get("date_range") or {}
        raw = dr.get("date_from") if isinstance(dr, dict) else None
        if not raw:
            continue
        try:
            pts.append(Point(parse_bucket_start(str(raw)), f.num(d, "value")))
        except ValueError:
            continue
    return sorted(pts, key=lambda p: p.start)
