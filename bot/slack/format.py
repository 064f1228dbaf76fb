"""Numbers and text as Slack shows them (pure).

Display rules (SPEC §4), decided here once:
- durations: the two largest units, rounded down; the second unit is shown even
  when it is 0 (`1h 0m`, `2d 0h`) so columns of durations read alike;
  under a minute only seconds (`34s`, `0s`).
- percent: whole percent, half rounded up (`0.125` -> `13%`).
- NPS: a signed integer, half rounded away from zero (`+58`, `-13`, `0`).
- missing numbers (None, NaN, infinity) show as an en dash `–`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

MISSING = "–"
ELLIPSIS = "…"
SPARK_BARS = "▁▂▃▄▅▆▇█"
SPARK_GAP = " "  # a bucket without data: a gap, not a low bar that would read as "good"
UP, DOWN, NO_CHANGE = "▲", "▼", "no change"

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_ENTITY_RE = re.compile(r"&(amp|lt|gt);")

ChangeKind = Literal["count", "duration", "percent", "nps"]


def _number(x) -> float | None:
    """x as a finite float, or None when it is missing or not a number."""
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _round_half_up(x: float, scale: int = 1) -> int:
    """x * scale rounded half up; Decimal(str(x)) so 0.145 * 100 is 14.5, not 14.499999…"""
    return int((Decimal(str(x)) * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_duration(seconds: float | None) -> str:
    """Seconds -> '4h 44m': the two largest units, rounded down."""
    s = _number(seconds)
    if s is None:
        return MISSING
    if s < 0:
        return "-" + format_duration(-s)
    total = int(s)
    for i, (unit, size) in enumerate(_UNITS):
        if total >= size or unit == "s":
            first, rest = divmod(total, size)
            if unit == "s":
                return f"{first}s"
            unit2, size2 = _UNITS[i + 1]
            return f"{first}{unit} {rest // size2}{unit2}"
    return MISSING  # unreachable: the loop always returns at "s"


def format_percent(fraction: float | None) -> str:
    """0.75 -> '75%' (whole percent, half up)."""
    f = _number(fraction)
    return MISSING if f is None else f"{_round_half_up(f, 100)}%"


def format_nps(score: float | None) -> str:
    """58.33 -> '+58', -12.5 -> '-13', 0 -> '0'."""
    f = _number(score)
    if f is None:
        return MISSING
    # ROUND_HALF_UP on Decimal rounds half away from zero for negatives too
    n = _round_half_up(f)
    return f"+{n}" if n > 0 else str(n)


def format_count(n) -> str:
    """12345 -> '12,345'; a fractional value keeps one decimal ('2.4')."""
    f = _number(n)
    if f is None:
        return MISSING
    if f == int(f):
        return f"{int(f):,}"
    return f"{f:,.1f}"


def format_change(now, before, kind: ChangeKind = "count") -> str:
    """'▲ 12%' / '▼ 3m 10s' / 'no change'; whether up is good is the caller's call.

    count: relative change in whole percent (absolute when `before` is 0);
    duration: absolute difference; percent (fractions): percentage points;
    nps: points.
    """
    a, b = _number(now), _number(before)
    if a is None or b is None:
        return MISSING
    diff = a - b
    arrow = UP if diff > 0 else DOWN
    if kind == "count":
        if b == 0:
            shown = format_count(abs(diff))
            return NO_CHANGE if diff == 0 else f"{arrow} {shown}"
        pct = _round_half_up(abs(diff) / abs(b) * 100)
        if diff == 0:
            return NO_CHANGE
        return f"{arrow} {pct}%" if pct else f"{arrow} <1%"
    if kind == "duration":
        shown = format_duration(abs(diff))
        return NO_CHANGE if int(abs(diff)) == 0 else f"{arrow} {shown}"
    if kind == "percent":
        pts = _round_half_up(abs(diff), 100)
        return NO_CHANGE if pts == 0 else f"{arrow} {pts} pts"
    if kind == "nps":
        pts = _round_half_up(abs(diff))
        return NO_CHANGE if pts == 0 else f"{arrow} {pts}"
    raise ValueError(f"unknown change kind {kind!r}")


def sparkline(values: Iterable[float | None]) -> str:
    """Values -> '▁▃█▅'; scaled from min(0, lowest) to max(0, highest); None/NaN is a gap."""
    nums = [_number(v) for v in values]
    present = [v for v in nums if v is not None]
    if not present:
        return SPARK_GAP * len(nums)
    # 0 stays in the scale at both ends: an all-negative series (NPS -100) must sit low, not fill the bar
    lo, hi = min(0.0, min(present)), max(0.0, max(present))
    out = []
    for v in nums:
        if v is None:
            out.append(SPARK_GAP)
        elif hi == lo:
            # all equal: zeros sit on the floor, any other level fills the bar
            out.append(SPARK_BARS[0] if hi == 0 else SPARK_BARS[-1])
        else:
            i = int((v - lo) / (hi - lo) * (len(SPARK_BARS) - 1) + 0.5)
            out.append(SPARK_BARS[max(0, min(i, len(SPARK_BARS) - 1))])
    return "".join(out)


def downsample(
    values: list[float | None], width: int, how: Literal["sum", "mean"] = "sum"
) -> tuple[list[float | None], int]:
    """Group consecutive values so at most `width` remain; returns (values, group size)."""
    if width < 1:
        raise ValueError("width must be at least 1")
    size = max(1, math.ceil(len(values) / width))
    if size == 1:
        return list(values), 1
    out: list[float | None] = []
    for i in range(0, len(values), size):
        chunk = [v for v in (_number(x) for x in values[i : i + size]) if v is not None]
        if not chunk:
            out.append(None)
        else:
            out.append(sum(chunk) if how == "sum" else sum(chunk) / len(chunk))
    return out, size


def mrkdwn_escape(text: str) -> str:
    """Escape &, < and > so data can't form links or mentions like <!channel>."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut text to at most `limit` characters, ending in '…'; never splits an &amp; entity."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    # an entity cut in half would show as raw "&am" in Slack
    if amp != -1 and ";" not in cut[amp:] and _ENTITY_RE.match(text, amp):
        cut = cut[:amp]
    return cut + ELLIPSIS


def one_line(text: str) -> str:
    """Collapse whitespace (newlines, tabs) to single spaces."""
    return " ".join(str(text).split())
