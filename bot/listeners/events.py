"""Events API: App Home."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

# filled by the App Home feature: fn(user_id, deps, client) -> None
HOME_PUBLISHERS: list = []


def register(app, deps) -> None:
    def on_home_opened(event, client):
        if event.get("tab", "home") != "home":
            return
        for publish in HOME_PUBLISHERS:
            try:
                publish(event.get("user", ""), deps, client)
            except Exception:
                logger.exception("publishing the Home tab failed")

    app.event("app_home_opened")(on_home_opened)
