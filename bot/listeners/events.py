"""Events API: App Home."""

from __future__ import annotations

import logging

from bot.features import home_publishers

logger = logging.getLogger(__name__)


def register(app, deps, features) -> None:
    publishers = home_publishers(features)

    def on_home_opened(event, client):
        if event.get("tab", "home") != "home":
            return
        for publish in publishers:
            try:
                publish(event.get("user", ""), deps, client)
            except Exception:
                logger.exception("publishing the Home tab failed")

    app.event("app_home_opened")(on_home_opened)
