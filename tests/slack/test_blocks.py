"""Block Kit pieces and the validator that holds messages to Slack's limits."""

import pytest

from bot.slack import blocks as bk

# ---------------------------------------------------------------- blocks and validation


def _msg(*blocks, text="fallback"):
    return {"text": text, "blocks": list(blocks)}


def _sec(text):
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_builders_make_valid_blocks():
    msg = _msg(
        bk.header("Title"),
        bk.section("hi", fields=["a", "b"], accessory=bk.button("Go", "go", "1", "primary")),
        bk.fields_section([("A", "1"), ("B", "2")]),
        bk.context(["one", "two"]),
        bk.divider(),
        bk.actions([bk.button("Yes", "yes", "y"), bk.button("No", "no", "n", style="danger")]),
    )
    bk.validate_message(msg)
    assert msg["blocks"][2]["fields"][0] == {"type": "mrkdwn", "text": "*A*\n1"}


def test_builders_cut_long_text_to_the_limits():
    bk.validate_message(
        _msg(
            bk.header("h" * 500),
            bk.section("s" * 5000, fields=["f" * 3000]),
            bk.context(["c" * 4000]),
            bk.actions([bk.button("b" * 100, "a" * 300, "v" * 3000)]),
        )
    )
    assert bk.header("x" * 500)["text"]["text"].endswith("…")
    assert bk.section("&amp;" * 700)["text"]["text"].endswith("&amp;…")


@pytest.mark.parametrize(
    "build",
    [
        lambda: bk.section("x", fields=["f"] * 11),
        lambda: bk.context([]),
        lambda: bk.context(["c"] * 11),
        lambda: bk.actions([]),
        lambda: bk.button("b", "a", "v", style="green"),
    ],
)
def test_builders_refuse_what_slack_would(build):
    with pytest.raises(ValueError):
        build()


@pytest.mark.parametrize(
    "message, problem",
    [
        ({"blocks": []}, "fallback"),
        (_msg(_sec("x"), text="  "), "fallback"),
        (_msg(_sec("x"), text="t" * 40001), "40000"),
        ("not a dict", "dict"),
        (_msg(*[_sec("x")] * 51), "51 blocks"),
        (_msg({"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}), "3001 characters"),
        (_msg({"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}), "11 fields"),
        (_msg({"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}), "field 0"),
        (_msg({"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}), "151"),
        (_msg({"type": "header", "text": {"type": "mrkdwn", "text": "x"}}), "plain_text"),
        (_msg({"type": "section"}), "text or fields"),
        (_msg({"type": "section", "text": {"type": "mrkdwn", "text": ""}}), "empty"),
        (_msg({"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}), "11 elements"),
        (_msg({"type": "bogus"}), "unknown block type"),
        (_msg({"type": "section", "txt": {"type": "mrkdwn", "text": "x"}}), "text or fields"),
        (_msg({"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "colour": "red"}), "does not accept"),
        (_msg(["section"]), "not a block"),
        ({"text": "t", "blocks": {"type": "divider"}}, "list"),
        (
            _msg(
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "b"},
                            "action_id": "a",
                            "style": "green",
                        }
                    ],
                }
            ),
            "style",
        ),
    ],
)
def test_validate_message_names_the_problem(message, problem):
    with pytest.raises(ValueError, match=problem):
        bk.validate_message(message)


def test_validate_message_max_blocks_is_adjustable():
    msg = _msg(*[_sec("x")] * 10)
    bk.validate_message(msg, max_blocks=10)
    with pytest.raises(ValueError, match="11 blocks"):
        bk.validate_message(_msg(*[_sec("x")] * 11), max_blocks=10)


def test_validate_view():
    bk.validate_view({"type": "home", "blocks": [_sec("x")] * 100})
    with pytest.raises(ValueError, match="101 blocks"):
        bk.validate_view({"type": "home", "blocks": [_sec("x")] * 101})
    with pytest.raises(ValueError, match="home"):
        bk.validate_view({"type": "message", "blocks": []})
    with pytest.raises(ValueError, match="3001"):
        bk.validate_view({"type": "home", "blocks": [_sec("x" * 3001)]})
