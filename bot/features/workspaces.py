"""Distribution mode's feature: `/lexer connect|disconnect|admins`, the connect modal's submission, the OAuth
flow's pages and an uninstall. Every handler answers; secrets never reach a message or a log line."""

from __future__ import annotations

import logging
import threading
import time

from slack_bolt import BoltResponse
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commands.answer import Asker, CommandRunner, Reply, asker_is_admin, lexer_missing
from bot.deps import Deps
from bot.errors import LexerApiError, LexerBotError, UnauthorizedError
from bot.lexer.transport import token_key
from bot.slack.messages import workspaces as msg
from bot.slack.parsing import WorkspaceCommand
from bot.store.backend import unavailable
from bot.store.installations import OAuthStates, SlackInstallationStore, remove_workspace_data
from bot.tenancy import CONNECTED, workspace_key_of

logger = logging.getLogger(__name__)

# the bot scopes of manifest.yml (tests/test_manifest.py holds them equal)
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "users:read",
    "users:read.email",
    "files:write",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


# ------------------------------------------------------------------ /lexer connect | disconnect | admins


def connect(cmd: WorkspaceCommand, asker: Asker, deps: Deps) -> Reply:
    if deps.tenancy is None:
        return Reply(msg.not_distributed_message(cmd.name))
    # a saved token no key opens any more is replaced: the form opens as if none was saved
    connected = deps.tenancy.lexer_state(deps.workspace) == CONNECTED
    conn = deps.store.lexer_connections.find(deps.workspace) if connected else None
    if conn is not None:
        return Reply(
            msg.connected_status_message(
                conn.connected_by, conn.connected_at, conn.token_last4, conn.agents, conn.groups
            )
        )
    try:
        deps.slack.views_open(trigger_id=asker.trigger_id or "", view=msg.connect_modal())
    except SlackApiError as exc:
        logger.warning("views.open for /lexer connect failed: %s", exc.response.get("error"))
        return Reply(msg.connect_failed_to_open_message())
    return Reply(msg.connect_opened_message())


def disconnect(cmd: WorkspaceCommand, asker: Asker, deps: Deps) -> Reply:
    if deps.tenancy is None:
        return Reply(msg.not_distributed_message(cmd.name))
    _drop_lexer_answers(deps.store, deps.workspace)  # the uninstall finds them by the connection deleted here
    was = deps.store.lexer_connections.delete(deps.workspace)
    deps.store.audit_log.record(asker.user_id, "lexer_disconnect", {"workspace": deps.workspace, "was_connected": was})
    deps.tenancy.forget(deps.workspace)
    return Reply(msg.disconnected_message(was))


def admins(cmd: WorkspaceCommand, asker: Asker, deps: Deps) -> Reply:
    if deps.tenancy is None:
        return Reply(msg.not_distributed_message(cmd.name))
    key = deps.workspace
    note = None
    if cmd.action == "add" and cmd.user_id:
        added = deps.store.workspace_admins.add(key, cmd.user_id, asker.user_id)
        deps.store.audit_log.record(asker.user_id, "admin_add", {"workspace": key, "user": cmd.user_id})
        note = f"<@{cmd.user_id}> " + ("is now a lexer-bot admin." if added else "was already a lexer-bot admin.")
    elif cmd.action == "remove" and cmd.user_id:
        removed = deps.store.workspace_admins.remove(key, cmd.user_id)
        deps.store.audit_log.record(asker.user_id, "admin_remove", {"workspace": key, "user": cmd.user_id})
        note = (
            f"<@{cmd.user_id}> is no longer a lexer-bot admin (Slack owners and admins and the installer always are)."
            if removed
            else f"<@{cmd.user_id}> was not on the added admins."
        )
    if cmd.action in ("add", "remove"):  # the workspace's clients stay: a digest may be using them
        deps.tenancy.forget_admins(key)
    return Reply(
        msg.admins_message(deps.store.installations.installer(key), deps.store.workspace_admins.list(key), note)
    )


COMMANDS = {"connect": connect, "disconnect": disconnect, "admins": admins}
#: what a workspace with no Lexer connection can still run
WITHOUT_LEXER = frozenset({"help", "connect", "disconnect", "admins"})


class NotInstalledError(LexerBotError):
    """A request from a workspace with no installation (Bolt's authorize refuses these first)."""


class WorkspaceRunner(CommandRunner):
    """The command runner of one workspace; with no Lexer connection, Lexer commands say how to connect."""

    def _dispatch(self, cmd, asker: Asker) -> Reply:
        if cmd.name not in WITHOUT_LEXER and (missing := lexer_missing(self.deps, asker.is_admin)) is not None:
            return Reply(missing)
        return super()._dispatch(cmd, asker)


def workspace_runner(root: Deps, runner: CommandRunner, request: dict) -> tuple[Deps, CommandRunner]:
    """The Deps and command runner of the workspace a /lexer request came from."""
    key = workspace_key_of(request)
    deps = root.tenancy.deps_for(key)
    if deps is None:
        raise NotInstalledError("lexer-bot is not installed in this workspace.", hint="Install it again.")
    return deps, WorkspaceRunner(deps, runner.commands)


# ------------------------------------------------------------------ the connect modal's submission


def check_lexer_token(deps: Deps, token: str) -> tuple[int, int]:
    """(agents, groups) read with this token (GET /users, /groups); UnauthorizedError if Lexer refuses it."""
    api = deps.tenancy.client_for_token(token)
    try:
        return len(api.users()), len(api.groups())
    finally:
        api.http.close()
        api.download_http.close()


def submit_connect(body: dict, deps: Deps, client, ack) -> None:
    """view_submission of the connect modal: admin checked, token checked with Lexer, then saved encrypted."""
    user_id = str((body.get("user") or {}).get("id") or "")
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    token = str(((values.get(msg.TOKEN_BLOCK) or {}).get(msg.TOKEN_ACTION) or {}).get("value") or "").strip()
    if not asker_is_admin(deps, user_id, client):
        ack(response_action="errors", errors={msg.TOKEN_BLOCK: msg.MSG_NOT_ADMIN_FIELD})
        deps.store.audit_log.record(user_id, "lexer_connect_refused", {"workspace": deps.workspace, "why": "not admin"})
        return
    if not token:
        ack(response_action="errors", errors={msg.TOKEN_BLOCK: msg.MSG_TOKEN_EMPTY})
        return
    try:
        agents, groups = check_lexer_token(deps, token)
    except UnauthorizedError:
        ack(response_action="errors", errors={msg.TOKEN_BLOCK: msg.MSG_TOKEN_REFUSED})
        return
    except LexerApiError as exc:
        logger.warning("checking a Lexer token failed: %s", type(exc).__name__)
        ack(response_action="errors", errors={msg.TOKEN_BLOCK: msg.MSG_LEXER_DOWN})
        return
    _drop_lexer_answers(deps.store, deps.workspace, keep=token_key(token))  # a replaced token's answers
    deps.store.lexer_connections.save(deps.workspace, token, connected_by=user_id, agents=agents, groups=groups)
    deps.store.audit_log.record(
        user_id, "lexer_connect", {"workspace": deps.workspace, "agents": agents, "groups": groups}
    )
    deps.tenancy.forget(deps.workspace)
    ack()
    try:  # the confirmation goes to the admin's DM: a modal has no channel to answer in
        dm = client.conversations_open(users=user_id)["channel"]["id"]
        client.chat_postMessage(channel=dm, **msg.connected_message(agents, groups))
    except SlackApiError as exc:
        logger.warning("could not DM the connect confirmation: %s", exc.response.get("error"))


# ------------------------------------------------------------------ uninstall


# an uninstall the database could not take is tried again after these waits (the last repeats), for an hour at most
REMOVE_RETRY_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
REMOVE_FOR_S = 3600.0


def remove_workspace_when_possible(deps: Deps, key: str, reason: str) -> None:
    """remove_workspace now or, while the database does not answer (a restart, an outage), on a thread that tries
    again until it does: Slack sends app_uninstalled and tokens_revoked once, and never again once acked."""
    try:
        remove_workspace(deps, key, reason)
        return
    except Exception as exc:
        if not unavailable(exc):
            raise
        logger.warning("removing workspace %s: the database did not answer (%s); trying again", key, type(exc).__name__)
    threading.Thread(
        target=_remove_until_done, args=(deps, key, reason), name="lexer-remove-workspace", daemon=True
    ).start()


def _remove_until_done(deps: Deps, key: str, reason: str) -> None:
    deadline = time.monotonic() + REMOVE_FOR_S
    attempt = 0
    while time.monotonic() < deadline:
        time.sleep(REMOVE_RETRY_S[min(attempt, len(REMOVE_RETRY_S) - 1)])
        attempt += 1
        try:
            remove_workspace(deps, key, reason)
        except Exception as exc:
            if unavailable(exc):
                continue
            logger.exception("removing workspace %s failed", key)
            return
        logger.info("workspace %s removed once the database answered", key)
        return
    logger.error("workspace %s was uninstalled but could not be removed: the database did not answer for an hour", key)


def remove_workspace(deps: Deps, key: str, reason: str) -> None:
    """app_uninstalled / tokens_revoked: tokens, installation, Lexer connection, admins, digests and alerts go."""
    store = deps.store
    token_keys = _lexer_token_keys(store, key)  # the cache and the send log know the token only by its key
    store.installations.delete(key)
    store.lexer_connections.delete(key)
    store.workspace_admins.delete_workspace(key)
    removed = remove_workspace_data(store, key, token_keys)
    store.audit_log.record("", "workspace_removed", {"workspace": key, "reason": reason, **removed})
    if deps.tenancy is not None:
        # a digest or command still using the workspace's clients may cache answers after this: removed again
        # once its last user is done
        deps.tenancy.forget(key, when_closed=lambda: _remove_answers(store, token_keys))
    deps.clock.ring()  # the scheduler drops the workspace's digest jobs at once


def _remove_answers(store, token_keys: list[str]) -> None:
    for k in token_keys:
        store.lexer_cache.remove_token(k)
        store.rate_log.remove_token(k)


def _drop_lexer_answers(store, key: str, keep: str = "") -> None:
    """Remove the answers cached under the workspace's Lexer token before that token is dropped or replaced:
    once the connection is gone, an uninstall can no longer tell which cached answers were this workspace's."""
    for k in _lexer_token_keys(store, key):
        if k != keep:
            store.lexer_cache.remove_token(k)


def _lexer_token_keys(store, key: str) -> list[str]:
    try:
        connection = store.lexer_connections.find(key)
    except Exception as exc:  # a token sealed under a dropped key: its answers expire with the cache
        if unavailable(exc):
            raise  # the database did not answer: the removal is tried again, this with it
        logger.warning("could not read %s's Lexer connection to remove its cached answers: %s", key, type(exc).__name__)
        return []
    return [token_key(connection.token)] if connection is not None else []


# ------------------------------------------------------------------ Bolt's OAuth flow


def _on_success(args: SuccessArgs) -> BoltResponse:
    name = args.installation.team_name or args.installation.enterprise_name or ""
    return BoltResponse(
        status=200, body=msg.install_success_page(name), headers={"Content-Type": "text/html; charset=utf-8"}
    )


def _on_failure(args: FailureArgs) -> BoltResponse:
    logger.info("install failed: %s", args.reason)
    return BoltResponse(
        status=args.suggested_status_code,
        body=msg.install_failure_page(args.reason, INSTALL_PATH),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )


def build_oauth_flow(deps: Deps) -> OAuthFlow:
    """Bolt's OAuth flow on our database; oauth.v2.access goes through SLACK_API_URL like every call."""
    settings = deps.settings
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=SlackInstallationStore(deps.store),
        installation_store_bot_only=True,
        state_store=OAuthStates(deps.store),
        callback_options=CallbackOptions(success=_on_success, failure=_on_failure),
        logger=logging.getLogger("bot.bolt.oauth"),
    )
    return OAuthFlow(client=WebClient(base_url=settings.slack_api_url, timeout=30), settings=oauth_settings)
