"""The one check every grammar's refusal table runs."""

import pytest

from bot.slack.parsing import parse_command


def assert_refused(text: str, error: type[Exception], in_message: str, in_hint: str) -> None:
    """parse_command refuses `text` with `error`, and its message and hint say what they should."""
    with pytest.raises(error) as caught:
        parse_command(text)
    assert in_message in caught.value.message
    assert in_hint in caught.value.hint
