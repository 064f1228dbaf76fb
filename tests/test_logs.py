"""Secrets never reach a log line."""

import logging

from bot.config import Settings
from bot.logs import RedactingFilter


def test_log_records_with_a_secret_are_redacted(caplog):
    settings = Settings(
        lexer_api_token="lex-tok-123456", slack_bot_token="xoxb-abc-999", slack_signing_secret="sign-sec-777"
    )
    logger = logging.getLogger("test.redaction")
    caplog.handler.addFilter(RedactingFilter(settings.secrets()))
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("calling with %s and %s", "lex-tok-123456", {"auth": "xoxb-abc-999"})
        logger.warning("secret in the message itself: sign-sec-777")
        logger.info("nothing to hide here")
    text = caplog.text
    assert "lex-tok-123456" not in text and "xoxb-abc-999" not in text and "sign-sec-777" not in text
    assert text.count("[redacted]") == 3 and "nothing to hide here" in text


def test_no_secrets_configured_passes_records_through(caplog):
    caplog.handler.addFilter(RedactingFilter([]))
    with caplog.at_level(logging.INFO):
        logging.getLogger("test.redaction").info("plain %s", "text")
    assert "plain text" in caplog.text


def test_a_traceback_carrying_a_secret_is_redacted_too(caplog):
    settings = Settings(lexer_api_token="lex-tok-123456", slack_bot_token="xoxb-abc-999")
    logger = logging.getLogger("test.redaction")
    caplog.handler.addFilter(RedactingFilter(settings.secrets()))
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        try:
            raise RuntimeError("request failed with token lex-tok-123456")
        except RuntimeError:
            logger.exception("calling Lexer failed")
    text = caplog.text
    assert "calling Lexer failed" in text and "RuntimeError: request failed with token [redacted]" in text
    assert "lex-tok-123456" not in text
