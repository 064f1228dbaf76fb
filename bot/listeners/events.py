"""Events API: App Home; in distribution mode also app_uninstalled and tokens_revoked."""

from __future__ import annotations

import logging

from bot.features import home_publishers
from bot.tenancy import request_workspace
from bot.workspaces import remove_workspace

logger = logging.getLogger(__name__)


def register(app, deps, features) -> None:
    publishers = home_publishers(features)

    def on_home_opened(event, body, client):
        if event.get("tab", "home") != "home":
            return
        if deps.tenancy is None:
            publish_home(deps, event, client)
            return
        with deps.tenancy.lease(request_workspace(body)) as here:  # its clients stay open until published
            if here is not None:
                publish_home(here, event, client)

    def publish_home(here, event, client) -> None:
        for publish in publishers:
            try:
                publish(event.get("user", ""), here, client)
            except Exception:
                logger.exception("publishing the Home tab failed")

    app.event("app_home_opened")(on_home_opened)
    if deps.tenancy is None:
        return

    def on_uninstalled(body):
        try:
            remove_workspace(deps, request_workspace(body), "app_uninstalled")
        except Exception:
            logger.exception("removing an uninstalled workspace failed")

    def on_tokens_revoked(event, body):
        if not (event.get("tokens") or {}).get("bot"):
            return  # only user tokens went: the bot still works
        try:
            remove_workspace(deps, request_workspace(body), "tokens_revoked")
        except Exception:
            logger.exception("removing a workspace whose tokens were revoked failed")

    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)
