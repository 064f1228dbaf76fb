"""Slack's `data_visualization` block: typed builders and the check of its limits (pure).

slack-sdk 3.48 has no model for this block, so this module is ours, in the manner
of slack-sdk's models: a builder that breaks a limit is a programming error and
raises `ChartError` naming the limit. Data decide only what is drawn: a value that
is not a finite number is left out (a gap, never a zero), a series with nothing
left is dropped, and a chart with no series left is not built (`None`).
Limits: /work/shared/slack-blocks-2026.md and docs.slack.dev's block reference.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

MAX_TITLE = 50
MIN_SERIES, MAX_SERIES = 1, 6
MAX_SERIES_NAME = 20  # the legend's label; the reference's Data Series row, as slack-messaging reads it
MAX_CATEGORY = 20
MAX_CATEGORIES = 31  # ours: a month of days; weeks past that
MAX_AXIS_LABEL = 50
MIN_SEGMENTS, MAX_SEGMENTS = 1, 6
MAX_CHARTS = 2  # ours: per message
CHART_SURFACES = ("message",)  # ours: never the Home tab, never a modal

ChartType = Literal["line", "bar", "area", "pie"]
XY_TYPES = ("line", "bar", "area")
Surface = Literal["message", "home", "modal"]


class ChartError(ValueError):
    """A chart that breaks one of Slack's limits (a programming error, not a data problem)."""


@dataclass(frozen=True)
class Series:
    """One named line, set of bars or area: a value per category; a missing or non-finite value is a gap."""

    name: str
    values: Mapping[str, float | None]


def finite(value: Any) -> float | int | None:
    """value when it is a finite number (ints stay ints), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if isinstance(value, int) or math.isfinite(value) else None


def series(name: str, categories: Sequence[str], values: Sequence[float | None]) -> Series:
    """A Series from values in category order (the two sequences the same length)."""
    if len(categories) != len(values):
        raise ChartError(f"series {name!r}: {len(values)} values for {len(categories)} categories")
    return Series(name, dict(zip(categories, values, strict=True)))


def _text(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ChartError(f"{what} must be non-empty text")
    if len(value) > limit:
        raise ChartError(f"{what} is {len(value)} characters, over {limit}: {value!r}")
    return value


def _unique(names: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ChartError(f"{what} must be unique; {name!r} is repeated")
        seen.add(name)


def _check_point(point: Any, what: str, allowed: Sequence[str] | None) -> str:
    if not isinstance(point, dict) or set(point) != {"label", "value"}:
        raise ChartError(f"{what} must be exactly {{label, value}}")
    label = _text(point["label"], f"{what} label", MAX_CATEGORY)
    if allowed is not None and label not in allowed:
        raise ChartError(f"{what} label {label!r} is not one of the axis categories")
    if finite(point["value"]) is None:
        raise ChartError(f"{what} value must be a finite number, got {point['value']!r}")
    return label


def _check_axis(axis: Any) -> list[str]:
    if not isinstance(axis, dict) or "categories" not in axis or not set(axis) <= {"categories", "x_label", "y_label"}:
        raise ChartError("axis_config holds categories and optional x_label, y_label")
    categories = axis["categories"]
    if not isinstance(categories, list) or not 1 <= len(categories) <= MAX_CATEGORIES:
        raise ChartError(f"axis_config.categories must hold 1 to {MAX_CATEGORIES} labels")
    for i, category in enumerate(categories):
        _text(category, f"category {i}", MAX_CATEGORY)
    _unique(categories, "categories")
    for key in ("x_label", "y_label"):
        if key in axis:
            _text(axis[key], f"axis_config.{key}", MAX_AXIS_LABEL)
    return categories


def _check_names(names: Sequence[Any]) -> None:
    if not MIN_SERIES <= len(names) <= MAX_SERIES:
        raise ChartError(f"a chart holds {MIN_SERIES} to {MAX_SERIES} series, got {len(names)}")
    for i, name in enumerate(names):
        _text(name, f"series {i} name", MAX_SERIES_NAME)
    _unique(names, "series names")


def _check_xy(chart: dict) -> None:
    if set(chart) != {"type", "series", "axis_config"}:
        raise ChartError(f"a {chart['type']} chart holds exactly type, series and axis_config")
    categories = _check_axis(chart["axis_config"])
    all_series = chart["series"]
    if not isinstance(all_series, list):
        raise ChartError("series must be a list")
    for i, one in enumerate(all_series):
        if not isinstance(one, dict) or set(one) != {"name", "data"}:
            raise ChartError(f"series {i} must be exactly {{name, data}}")
        if not isinstance(one["data"], list) or not one["data"]:
            raise ChartError(f"series {i} must hold at least one point")
        labels = [_check_point(p, f"series {i} point {j}", categories) for j, p in enumerate(one["data"])]
        _unique(labels, f"series {i} point labels")
    _check_names([one["name"] for one in all_series])


def _check_pie(chart: dict) -> None:
    if set(chart) != {"type", "segments"}:
        raise ChartError("a pie chart holds exactly type and segments")
    segments = chart["segments"]
    if not isinstance(segments, list) or not MIN_SEGMENTS <= len(segments) <= MAX_SEGMENTS:
        raise ChartError(f"a pie holds {MIN_SEGMENTS} to {MAX_SEGMENTS} segments")
    labels = [_check_point(s, f"segment {i}", None) for i, s in enumerate(segments)]
    _unique(labels, "segment labels")
    if any(s["value"] <= 0 for s in segments):
        raise ChartError("a segment's value must be greater than 0")


def validate_chart(block: Any) -> None:
    """Raise ChartError naming the first limit a data_visualization block breaks."""
    if not isinstance(block, dict) or block.get("type") != "data_visualization":
        raise ChartError("not a data_visualization block")
    if not set(block) <= {"type", "title", "chart", "block_id"} or "chart" not in block:
        raise ChartError("a data_visualization block holds type, title, chart and an optional block_id")
    _text(block.get("title"), "title", MAX_TITLE)
    chart = block["chart"]
    if not isinstance(chart, dict) or chart.get("type") not in (*XY_TYPES, "pie"):
        raise ChartError(f"chart.type must be one of {(*XY_TYPES, 'pie')}")
    if chart["type"] == "pie":
        _check_pie(chart)
    else:
        _check_xy(chart)


def chart_block(
    kind: ChartType,
    title: str,
    categories: Sequence[str],
    all_series: Iterable[Series],
    *,
    x_label: str | None = None,
    y_label: str | None = None,
) -> dict | None:
    """A line, bar or area chart; None when there is no category, or no series has a finite value to draw."""
    if kind not in XY_TYPES:
        raise ChartError(f"chart_block draws {XY_TYPES}; use pie_chart for a pie")
    _text(title, "title", MAX_TITLE)
    if not categories:
        return None
    axis: dict[str, Any] = {"categories": list(categories)}
    if x_label is not None:
        axis["x_label"] = x_label
    if y_label is not None:
        axis["y_label"] = y_label
    # the caller's choices must hold even when the data leave nothing to draw
    _check_axis(axis)
    given = list(all_series)
    _check_names([one.name for one in given])
    drawn = []
    for one in given:
        unknown = set(one.values) - set(categories)
        if unknown:
            raise ChartError(f"series {one.name!r}: {sorted(unknown)!r} are not axis categories")
        points = [{"label": c, "value": v} for c in categories if (v := finite(one.values.get(c))) is not None]
        if points:
            drawn.append({"name": one.name, "data": points})
    if not drawn:
        return None
    block = {
        "type": "data_visualization",
        "title": title,
        "chart": {"type": kind, "series": drawn, "axis_config": axis},
    }
    validate_chart(block)
    return block


# the three kinds a series is drawn as: lines; bars grouped by category; areas layered in order, the first at the back
line_chart = partial(chart_block, "line")
bar_chart = partial(chart_block, "bar")
area_chart = partial(chart_block, "area")


def pie_chart(title: str, segments: Iterable[tuple[str, float | None]]) -> dict | None:
    """A pie of labelled shares; a segment that is not a finite number above 0 is left out (None if none is left)."""
    pairs = list(segments)
    _text(title, "title", MAX_TITLE)
    if len(pairs) > MAX_SEGMENTS:
        raise ChartError(f"a pie holds {MIN_SEGMENTS} to {MAX_SEGMENTS} segments, got {len(pairs)}")
    for label, _ in pairs:
        _text(label, "segment label", MAX_CATEGORY)
    _unique([label for label, _ in pairs], "segment labels")
    kept = [{"label": label, "value": v} for label, value in pairs if (v := finite(value)) is not None and v > 0]
    if not kept:
        return None
    block = {"type": "data_visualization", "title": title, "chart": {"type": "pie", "segments": kept}}
    validate_chart(block)
    return block


def count_charts(blocks: Iterable[Any]) -> int:
    """How many data_visualization blocks a list of blocks holds."""
    return sum(1 for b in blocks if isinstance(b, dict) and b.get("type") == "data_visualization")


def check_chart_count(blocks: Iterable[Any], surface: Surface = "message") -> None:
    """Raise ChartError when a message holds more than 2 charts, or a Home tab or modal holds any."""
    n = count_charts(blocks)
    if surface not in CHART_SURFACES and n:
        raise ChartError(f"charts are for messages only; this {surface} view holds {n}")
    if n > MAX_CHARTS:
        raise ChartError(f"a message holds at most {MAX_CHARTS} charts, this one {n}")
