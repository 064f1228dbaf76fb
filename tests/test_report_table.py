"""bot.features.reports: every report the grammar parses has exactly one entry in the table."""

from bot.features.reports import COMMANDS, REPORTS
from bot.slack.parsing import REPORT_COMMANDS


def test_every_report_the_grammar_parses_has_an_entry():
    assert set(REPORTS) == REPORT_COMMANDS
    assert set(COMMANDS) == REPORT_COMMANDS | {"help"}
