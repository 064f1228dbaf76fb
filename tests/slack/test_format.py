import math

import pytest

from bot.slack.format import (
    downsample,
    format_change,
    format_count,
    format_duration,
    format_nps,
    format_percent,
    mrkdwn_escape,
    one_line,
    sparkline,
    truncate,
)


@pytest.mark.parametrize(
    "seconds, shown",
    [
        (17053, "4h 44m"),  # SPEC
        (180000, "2d 2h"),  # SPEC
        (649, "10m 49s"),  # SPEC
        (34.09, "34s"),  # SPEC
        (17053.3492157778, "4h 44m"),  # Jane Pear's avg response in the seed
        (181795.692883103, "2d 2h"),  # seed summary avg wait
        (649.951914, "10m 49s"),  # rounded down, not to 10m 50s
        (0, "0s"),
        (0.9, "0s"),
        (59.99, "59s"),
        (60, "1m 0s"),
        (3600, "1h 0m"),  # the second unit shows even when 0
        (3599, "59m 59s"),
        (86400, "1d 0h"),
        (86399, "23h 59m"),
        (400 * 86400 + 3 * 3600, "400d 3h"),
        (-90, "-1m 30s"),
        (None, "–"),
        (float("nan"), "–"),
        (float("inf"), "–"),
        ("12", "12s"),
        ("abc", "–"),
    ],
)
def test_format_duration(seconds, shown):
    assert format_duration(seconds) == shown


@pytest.mark.parametrize(
    "fraction, shown",
    [
        (0.75, "75%"),  # SPEC
        (0.14285714285714285, "14%"),
        (0.3333333333333333, "33%"),
        (0.125, "13%"),  # half up
        (0.145, "15%"),  # half up despite 0.145 * 100 == 14.499999…
        (0.005, "1%"),
        (0.004, "0%"),
        (0, "0%"),
        (1, "100%"),
        (1.5, "150%"),
        (None, "–"),
        (math.nan, "–"),
    ],
)
def test_format_percent(fraction, shown):
    assert format_percent(fraction) == shown


@pytest.mark.parametrize(
    "score, shown",
    [
        (58.333333333333336, "+58"),  # SPEC
        (58.5, "+59"),
        (-12.5, "-13"),  # half away from zero
        (-12.4, "-12"),
        (0, "0"),
        (0.4, "0"),
        (-0.4, "0"),
        (100, "+100"),
        (-100, "-100"),
        (None, "–"),
        (math.nan, "–"),
    ],
)
def test_format_nps(score, shown):
    assert format_nps(score) == shown


@pytest.mark.parametrize(
    "n, shown",
    [
        (12345, "12,345"),
        (0, "0"),
        (7, "7"),
        (1234567.0, "1,234,567"),
        (2.4, "2.4"),
        (1.0, "1"),
        (1234.56, "1,234.6"),
        (None, "–"),
        (math.nan, "–"),
        (-3, "-3"),
    ],
)
def test_format_count(n, shown):
    assert format_count(n) == shown


@pytest.mark.parametrize(
    "now, before, kind, shown",
    [
        (112, 100, "count", "▲ 12%"),
        (97, 100, "count", "▼ 3%"),
        (100, 100, "count", "no change"),
        (1001, 1000, "count", "▲ <1%"),
        (5, 0, "count", "▲ 5"),
        (0, 0, "count", "no change"),
        (600, 790, "duration", "▼ 3m 10s"),
        (790, 600, "duration", "▲ 3m 10s"),
        (600.4, 600, "duration", "no change"),
        (0.80, 0.75, "percent", "▲ 5 pts"),
        (0.75, 0.80, "percent", "▼ 5 pts"),
        (0.751, 0.75, "percent", "no change"),
        (58.3, 50, "nps", "▲ 8"),
        (-10, 5, "nps", "▼ 15"),
        (None, 5, "count", "–"),
        (5, math.nan, "duration", "–"),
    ],
)
def test_format_change(now, before, kind, shown):
    assert format_change(now, before, kind) == shown


def test_format_change_rejects_unknown_kind():
    with pytest.raises(ValueError):
        format_change(1, 2, "speed")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "values, shown",
    [
        ([], ""),
        ([0, 0, 0], "▁▁▁"),
        ([5, 5, 5], "███"),
        ([0, 7], "▁█"),
        ([174, 234, 255, 108], "▆▇█▄"),
        ([1, 2, 3, 4, 5, 6, 7, 8], "▂▃▄▅▅▆▇█"),
        ([0, None, 8], "▁ █"),
        ([math.nan, math.nan], "  "),
        ([-10, 0, 10], "▁▅█"),
        ([-100, -100], "▁▁"),  # detractors-only NPS: the worst score is a floor bar, not a full one
        ([-100, -50, None], "▁▅ "),
    ],
)
def test_sparkline(values, shown):
    assert sparkline(values) == shown


def test_sparkline_is_one_char_per_value():
    values = [i % 13 for i in range(365)]
    assert len(sparkline(values)) == 365


@pytest.mark.parametrize(
    "values, width, how, out, size",
    [
        ([1, 2, 3], 5, "sum", [1, 2, 3], 1),
        ([1, 2, 3, 4, 5], 2, "sum", [6, 9], 3),
        ([1, 2, 3, 4], 2, "mean", [1.5, 3.5], 2),
        ([None, None, 3, None], 2, "mean", [None, 3.0], 2),
    ],
)
def test_downsample(values, width, how, out, size):
    assert downsample(values, width, how) == (out, size)


def test_downsample_caps_the_width():
    out, size = downsample(list(range(365)), 31)
    assert len(out) <= 31 and size == 12


@pytest.mark.parametrize(
    "text, shown",
    [
        ("Jane Pear", "Jane Pear"),
        ("<!channel> & co", "&lt;!channel&gt; &amp; co"),
        ("a<b>c", "a&lt;b&gt;c"),
        ("&amp;", "&amp;amp;"),  # data text is never trusted to be pre-escaped
        ("*bold* `code`", "*bold* `code`"),
    ],
)
def test_mrkdwn_escape(text, shown):
    assert mrkdwn_escape(text) == shown


@pytest.mark.parametrize(
    "text, limit, shown",
    [
        ("hello", 10, "hello"),
        ("hello", 5, "hello"),
        ("hello world", 6, "hello…"),
        ("hello", 1, "…"),
        ("hello", 0, ""),
        ("ab &amp; cd", 6, "ab …"),  # never leave half an entity
        ("ab &amp; cd", 9, "ab &amp;…"),
        ("ab &lt;x", 5, "ab …"),
    ],
)
def test_truncate(text, limit, shown):
    out = truncate(text, limit)
    assert out == shown and len(out) <= max(limit, 0)


def test_one_line():
    assert one_line("a\nb\t c  ") == "a b c"
