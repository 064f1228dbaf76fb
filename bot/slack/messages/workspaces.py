"""Distribution mode's messages and views (pure): the connect modal, connection status, admins, pages."""

from __future__ import annotations

import html

from bot.slack import blocks as bk
from bot.slack.messages.common import build_message

CONNECT_CALLBACK = "lexer.connect"
TOKEN_BLOCK = "token"
TOKEN_ACTION = "token_input"
WHERE_TO_CREATE = "Create one in Lexer → *Integrate* → *API tokens* (a user with *Manager* permission can)."

MSG_TOKEN_REFUSED = "Lexer did not accept this token. Check you copied all of it, or create a new one."
MSG_TOKEN_EMPTY = "Paste the Lexer API token here."
MSG_NOT_ADMIN_FIELD = "Only this workspace's lexer-bot admins can connect Lexer; nothing was saved."
MSG_LEXER_DOWN = "Lexer could not be reached to check the token; try again in a minute. Nothing was saved."


def _mentions(user_ids: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"<@{u}>" for u in user_ids) or "your Slack workspace admin"


def connect_modal() -> dict:
    """The modal `/lexer connect` opens: one token input and where to create one."""
    return {
        "type": "modal",
        "callback_id": CONNECT_CALLBACK,
        "title": {"type": "plain_text", "text": "Connect Lexer"},
        "submit": {"type": "plain_text", "text": "Connect"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            bk.section("Paste a Lexer API token; the bot reads your team's Activity numbers with it."),
            {
                "type": "input",
                "block_id": TOKEN_BLOCK,
                "label": {"type": "plain_text", "text": "Lexer API token"},
                "element": {"type": "plain_text_input", "action_id": TOKEN_ACTION},
            },
            bk.context([WHERE_TO_CREATE + " It is stored encrypted; only its last four characters are ever shown."]),
        ],
    }


def secret_refused_message(after_connect: bool) -> dict:
    """A /lexer text that looked like it held a token: refused at once, never kept or repeated."""
    if after_connect:
        text = (
            ":lock: `/lexer connect` takes nothing after it, so lexer-bot did not keep or run what you typed. "
            "Run `/lexer connect` on its own and paste the token into the form it opens."
        )
    else:
        text = (
            ":lock: That looked like it held a token or a key, so lexer-bot did not keep or run it. "
            "Send the command again without it; a Lexer token goes only in the form `/lexer connect` opens."
        )
    return build_message(
        text,
        [bk.section(text), bk.context(["If that was a real token, you may want to create a new one and delete it."])],
    )


def connect_opened_message() -> dict:
    return build_message(
        "The Connect Lexer form is open.",
        [bk.section(":key: The *Connect Lexer* form is open: paste your Lexer API token there.")],
    )


def connect_failed_to_open_message() -> dict:
    return build_message(
        "The form could not be opened.",
        [
            bk.section(
                ":warning: The Connect Lexer form could not be opened (Slack allows 3 seconds). Run `/lexer connect` again."
            )
        ],
    )


def connected_status_message(connected_by: str, connected_at: str, last4: str, agents: int, groups: int) -> dict:
    text = (
        f":white_check_mark: This workspace is connected to Lexer (token ending `…{last4}`), "
        f"by <@{connected_by}> on {connected_at[:16].replace('T', ' ')} UTC: {agents} agents, {groups} groups."
    )
    return build_message(
        text, [bk.section(text), bk.context(["To use another token, `/lexer disconnect` and then `/lexer connect`."])]
    )


def connected_message(agents: int, groups: int) -> dict:
    text = f":white_check_mark: Connected to Lexer: {agents} agents, {groups} groups."
    return build_message(text, [bk.section(text), bk.context(["Try `/lexer team last-week`."])])


def disconnected_message(was_connected: bool) -> dict:
    text = (
        ":wave: Lexer is disconnected from this workspace; its token is deleted. `/lexer connect` connects again."
        if was_connected
        else "This workspace was not connected to Lexer. `/lexer connect` connects it."
    )
    return build_message(text, [bk.section(text)])


def lexer_missing_text(is_admin: bool, admins: tuple[str, ...], unreadable: bool = False) -> str:
    """Why a workspace's Lexer numbers are missing, and what to do: to an admin how to connect, to others whom
    to ask. `unreadable`: a connection was saved but can no longer be used."""
    if unreadable:
        if is_admin:
            return "Lexer can't be reached with the saved connection: run `/lexer connect` again and paste a Lexer API token."
        return f"Lexer can't be reached with this workspace's saved connection. Ask {_mentions(admins)} to run `/lexer connect` again."
    if is_admin:
        return "This workspace is not connected to Lexer yet. Run `/lexer connect` and paste a Lexer API token."
    return f"This workspace is not connected to Lexer yet. Ask {_mentions(admins)} to run `/lexer connect`."


def not_connected_message(is_admin: bool, admins: tuple[str, ...], unreadable: bool = False) -> dict:
    """What every Lexer command (and button) answers in a workspace with no usable Lexer connection."""
    text = lexer_missing_text(is_admin, admins, unreadable)
    if is_admin:
        return build_message(text, [bk.section(":electric_plug: " + text), bk.context([WHERE_TO_CREATE])])
    return build_message(text, [bk.section(":electric_plug: " + text)])


def not_distributed_message(name: str) -> dict:
    text = (
        f"`{name}` is for a bot installed in many workspaces. This one serves a single workspace: "
        "its Lexer token is LEXER_API_TOKEN and its admins are LEXERBOT_ADMINS."
    )
    return build_message(text, [bk.section(text)])


def admins_message(installer: str | None, added: list[str], note: str | None = None) -> dict:
    lines = []
    if note:
        lines.append(note)
    lines.append(
        "*lexer-bot admins here:* the workspace's owners and admins"
        + (f", <@{installer}> (installed the app)" if installer else "")
    )
    lines.append("*Added with `/lexer admins add`:* " + (_mentions(added) if added else "nobody yet"))
    return build_message(" ".join(lines), [bk.section("\n".join(lines))])


def install_success_page(team_name: str) -> str:
    name = html.escape(team_name or "your workspace")
    return _page(
        "lexer-bot is installed",
        f"<p>lexer-bot is installed in <b>{name}</b>.</p>"
        "<p>Next, in Slack, a workspace admin runs <code>/lexer connect</code> and pastes a Lexer API token "
        "(Lexer → Integrate → API tokens). Then try <code>/lexer team last-week</code>.</p>",
    )


FAILURE_REASONS = {
    "access_denied": "The install was cancelled on Slack's page, so nothing was installed.",
    "invalid_browser": "This link was opened in another browser than the one that started the install (or cookies are off).",
    "invalid_state": "This install link has expired or was already used.",
    "missing_code": "Slack did not send an authorization code.",
    "invalid_code": "Slack did not accept the authorization code (it may have been used already).",
    "storage_error": "The installation could not be saved; the bot's log has the details.",
}


def install_failure_page(reason: str, install_path: str) -> str:
    why = html.escape(FAILURE_REASONS.get(reason, "The install did not complete."))
    return _page(
        "lexer-bot was not installed",
        f'<p>{why}</p><p><a href="{html.escape(install_path)}">Start the install again</a>.</p>',
    )


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
