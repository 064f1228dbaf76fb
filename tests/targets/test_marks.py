import pytest

from bot.slack.messages.targets import MET, MISSED, NEAR, Target, applicable, mark, met_count, targets_message
from bot.slack.text import render_message_text

BREACH_5 = Target("breach-rate", 5.0)
RESPONSE_90 = Target("response-rate", 90.0)
WAIT_15M = Target("median-wait", 900.0)


@pytest.mark.parametrize(
    "target,figure,expected",
    [
        # lower is better: ≤ T ✅, ≤ 1.2·T ⚠️, above 🔴; rates as shown, in whole percent
        (BREACH_5, 0.05, MET),
        (BREACH_5, 0.0549, MET),  # shown as 5%
        (BREACH_5, 0.055, NEAR),  # shown as 6% (half up)
        (BREACH_5, 0.06, NEAR),
        (BREACH_5, 0.0649, NEAR),
        (BREACH_5, 0.065, MISSED),  # shown as 7%
        (BREACH_5, 0.0, MET),
        # higher is better: ≥ T ✅, ≥ 0.8·T ⚠️, below 🔴
        (RESPONSE_90, 0.90, MET),
        (RESPONSE_90, 0.8951, MET),  # shown as 90%
        (RESPONSE_90, 0.89, NEAR),
        (RESPONSE_90, 0.72, NEAR),
        (RESPONSE_90, 0.71, MISSED),
        (RESPONSE_90, 1.0, MET),
        # durations in whole seconds
        (WAIT_15M, 900.9, MET),
        (WAIT_15M, 901, NEAR),
        (WAIT_15M, 1080.5, NEAR),  # 18m = 1.2 x 15m
        (WAIT_15M, 1081, MISSED),
    ],
)
def test_marks_at_the_boundaries(target, figure, expected):
    assert mark(target.metric, figure, target) == expected


def test_no_target_or_no_figure_marks_nothing():
    assert mark("breach-rate", 0.5, None) == ""
    assert mark("breach-rate", None, BREACH_5) == ""


def test_a_groups_target_overrides_the_workspaces_metric_by_metric():
    group = Target("breach-rate", 2.0, group_id=123, group_name="Social")
    chosen = applicable([BREACH_5, WAIT_15M, group], 123)
    assert chosen.get("breach-rate") == group and chosen.get("median-wait") == WAIT_15M
    assert applicable([BREACH_5, group]).get("breach-rate") == BREACH_5
    assert applicable([BREACH_5, group], 456).get("breach-rate") == BREACH_5
    assert not applicable([group])


def test_met_count_counts_only_targets_with_figures():
    targets = applicable([BREACH_5, RESPONSE_90, WAIT_15M])
    assert met_count([("breach-rate", 0.04), ("response-rate", 0.80), ("median-wait", 600)], targets) == (2, 3)
    assert met_count([("breach-rate", 0.04), ("response-rate", None)], targets) == (1, 1)


def test_the_targets_list_says_scope_and_who_can_change_it():
    text = render_message_text(targets_message([Target("breach-rate", 2.5, 123, "Social"), WAIT_15M], is_admin=False))
    assert "median-wait" in text and "15m 0s" in text
    assert "2.5%" in text and "group Social" in text and "whole workspace" in text
    assert "Admins set them" in text
