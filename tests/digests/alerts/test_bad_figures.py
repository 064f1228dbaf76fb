"""An alert check whose Lexer answer holds a figure that is no usable number: missing data, not a verdict."""

import math

from tests.conftest import CHANNEL
from tests.digests.alerts.test_check import check


def test_an_unusable_count_is_missing_data_and_the_next_check_goes_on(scripted):
    """Failed before: an infinite breach count was judged 'normal' on SQLite and stopped the whole pass on
    PostgreSQL (bigint out of range saving the sample)."""
    lexer, _, deps, clock, _ = scripted
    assert check(deps, clock).channels[CHANNEL] == ("normal", ())
    for bad in (math.inf, math.nan):
        lexer.breaches = bad
        assert check(deps, clock).channels[CHANNEL] == ("unknown", ())
    lexer.breaches = 3
    assert check(deps, clock).channels[CHANNEL] == ("normal", ())


def test_an_unusable_baseline_is_no_baseline(scripted):
    lexer, _, deps, clock, _ = scripted
    lexer.week = (math.inf, 6720, 8400)
    assert check(deps, clock).channels[CHANNEL] == ("unknown", ())
