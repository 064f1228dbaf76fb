"""Events API: App Home; in distribution mode also app_uninstalled and tokens_revoked."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from bot.features import home_publishers
from bot.features.workspaces import remove_workspace_when_possible
from bot.tenancy import workspace_key_of

logger = logging.getLogger(__name__)

# Home tabs built at once per workspace (distribution mode). Bolt runs every ack on the threads that build Home
# tabs (bot.app's LISTENER_THREADS, 64): a workspace whose Lexer is slow would otherwise hold them all with Home
# tabs waiting for today's numbers, and no workspace's /lexer would be acked within Slack's 3 s.
HOME_BUILDS_AT_ONCE = 4


class _PerWorkspace:
    """At most `n` at once per workspace; a turn is taken without waiting, or not at all."""

    def __init__(self, n: int):
        self._gates: defaultdict[str, threading.BoundedSemaphore] = defaultdict(lambda: threading.BoundedSemaphore(n))
        self._lock = threading.Lock()

    def take(self, workspace: str) -> threading.BoundedSemaphore | None:
        with self._lock:
            gate = self._gates[workspace]
        return gate if gate.acquire(blocking=False) else None


def register(app, deps, features) -> None:
    publishers = home_publishers(features)
    home_turns = _PerWorkspace(HOME_BUILDS_AT_ONCE)

    def publish_all(user_id: str, here, client) -> None:
        for publish in publishers:
            try:
                publish(user_id, here, client)
            except Exception:
                logger.exception("publishing the Home tab failed")

    def on_home_opened(event, body, client):
        if event.get("tab", "home") != "home":
            return
        if deps.tenancy is None:
            publish_all(event.get("user", ""), deps, client)
            return
        workspace = workspace_key_of(body)
        turn = home_turns.take(workspace)
        if turn is None:  # its Home tabs are waiting on its Lexer: this user keeps the tab last published
            logger.info("Home tab not rebuilt: %d of this workspace's are being built", HOME_BUILDS_AT_ONCE)
            return
        try:
            with deps.tenancy.lease(workspace) as here:  # its clients stay open until published
                if here is not None:
                    publish_all(event.get("user", ""), here, client)
        finally:
            turn.release()

    app.event("app_home_opened")(on_home_opened)
    if deps.tenancy is None:
        return

    def on_uninstalled(body):
        try:
            remove_workspace_when_possible(deps, workspace_key_of(body), "app_uninstalled")
        except Exception:
            logger.exception("removing an uninstalled workspace failed")

    def on_tokens_revoked(event, body):
        if not (event.get("tokens") or {}).get("bot"):
            return  # only user tokens went: the bot still works
        try:
            remove_workspace_when_possible(deps, workspace_key_of(body), "tokens_revoked")
        except Exception:
            logger.exception("removing a workspace whose tokens were revoked failed")

    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)
