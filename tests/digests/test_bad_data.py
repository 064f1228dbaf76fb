"""Digests when Lexer sends figures that are no usable number, and when a digest cannot be built at all."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from bot.slack.format import MISSING
from bot.slack.messages.targets import BREACH_RATE, MEDIAN_WAIT, RESPONSE_RATE
from digests.jobs import recover_stale_runs, send_digest
from tests.conftest import ADMIN, CHANNEL


def due_before(now: datetime, minutes: int = 1) -> datetime:
    return (now - timedelta(minutes=minutes)).replace(second=0, microsecond=0)


def digests_in(slack, channel=CHANNEL):
    return [m for m in slack.app.messages(channel) if "digest" in (m.get("text") or "")]


def _fields(message: dict) -> dict[str, str]:
    """'*Label*\\nvalue…' fields of the message's sections, by label."""
    out = {}
    for block in message["blocks"]:
        for f in block.get("fields") or []:
            label, _, rest = f["text"].partition("\n")
            out[label.strip("*")] = rest
    return out


@pytest.mark.parametrize("raw", ["1e999", "NaN", '"n/a"', "1" + "0" * 400])
def test_an_unusable_figure_is_missing_and_the_rest_of_the_digest_is_posted(world, slack, sandbox, raw, caplog):
    """Failed before: OverflowError / ValueError out of parse_summary on every try, and no digest at all (the
    run failed `build: OverflowError`)."""
    sandbox.app.set_bad_value("median_response_time", raw, report="summary")
    sandbox.app.set_bad_value("total_volume", raw, report="summary")
    for metric, value in ((BREACH_RATE, 5.0), (MEDIAN_WAIT, 900.0), (RESPONSE_RATE, 90.0)):
        world.store.targets.set(metric, value, ADMIN)  # the marks read the figures too
    sub = world.subscribe("sla")
    with caplog.at_level(logging.WARNING, logger="bot.lexer.models"):
        outcome = send_digest(world.deps(), sub, due_before(world.clock()))
    assert outcome.status == "posted", outcome
    [msg] = digests_in(slack)
    fields = _fields(msg)
    assert fields["Median customer wait"].startswith(MISSING) and fields["Volume"].startswith(MISSING)
    assert fields["Breaches"][0].isdigit() and fields["Avg customer wait"][0].isdigit()  # the rest as sent
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.lexer.models"]
    assert warnings and all("median_response_time" in w and "total_volume" in w for w in warnings)


def test_an_nps_digest_with_an_unusable_score_is_posted_with_it_missing(world, slack, sandbox):
    sandbox.app.set_bad_value("nps_score", "NaN", report="nps_summary")
    sub = world.subscribe("nps", form_id=55)
    assert send_digest(world.deps(), sub, due_before(world.clock())).status == "posted"
    [msg] = digests_in(slack)
    assert any(v.startswith(MISSING) for k, v in _fields(msg).items() if k.startswith("NPS"))
    assert _fields(msg)["Promoters"][0].isdigit()


def test_a_digest_that_cannot_be_built_tells_its_creator_once_and_the_run_is_failed(sandbox, slack, tmp_path):
    """A target row the bot cannot read (SQLite keeps text in a number column) fails the digest's build.
    Before: the run was failed and nobody was told; the channel just had no digest that morning."""
    from tests.digests.conftest import DigestWorld

    world = DigestWorld(sandbox, slack, tmp_path)
    try:
        world.store.targets.set(MEDIAN_WAIT, 900.0, ADMIN)
        world.store.db.execute("update sla_targets set value = 'fifteen minutes'")
        sub = world.subscribe("sla")
        outcome = send_digest(world.deps(), sub, due_before(world.clock()))
        assert outcome.status == "failed"
        [run] = world.store.digest_runs.runs_for(sub.id)
        assert run["status"] == "failed" and "build" in (run["error"] or "")
        assert digests_in(slack) == []
        [dm] = slack.app.messages(ADMIN)
        text = dm["text"]
        assert "could not be built" in text and f"subscription `{sub.id}`" in text and f"<#{CHANNEL}>" in text
        assert "/lexer sla" in text  # what to do: get this one by hand
        assert "ValueError" not in text and "sla_targets" not in text  # no internals
        # a later recovery pass neither builds it again nor tells anyone again
        assert recover_stale_runs(world.deps("later", lease_s=0)) == []
        assert len(slack.app.messages(ADMIN)) == 1
    finally:
        world.close()
