"""views.publish: Home views only, checked like Slack checks them."""

from __future__ import annotations

from tests.sandbox.slack_standin.conftest import error_of, section


def test_views_publish_home_only(client, slack):
    client.views_publish(user_id="UALICE", view={"type": "home", "blocks": [section("Your team")]})
    assert [v["blocks"] for v in slack.views("UALICE")] == [[section("Your team")]]
    for view, user in [
        ({"type": "modal", "blocks": []}, "UALICE"),
        ({"type": "home", "blocks": []}, "UNOBODY"),
        ({"type": "home", "blocks": [section("y" * 3001)]}, "UALICE"),
    ]:
        assert (
            error_of(lambda user=user, view=view: client.views_publish(user_id=user, view=view)).response["error"]
            == "invalid_arguments"
        )
    assert len(slack.views("UALICE")) == 1
