"""A local stand-in for Slack's Web API (WSGI): keeps a small world, records every call, answers as Slack does.

Used by the test suite (served on loopback, slack_sdk's WebClient pointed at `url + "/api/"`) and by
`lexer-bot demo` (in-process, printing what a user would see through `on_event` and bot.slack.text).
Besides `/api/<method>` it serves `/upload/<file_id>` (the upload URL of files.getUploadURLExternal) and
`/response/<key>` (a slash command's response_url).

    app.py          SlackStandIn: WSGI routing, token check, recording, the upload and response URLs
    socket_mode.py  Socket Mode (tests only, on `websockets`): apps.connections.open's WebSocket, envelopes, acks
    workspace.py    the world: users, channels, messages, views, uploads, recorded calls, injected failures
    methods/        the Web API methods by family (auth, chat, conversations + users, views, files)
    validation.py   Slack's checks on blocks and message bodies
    faults.py       what an injected failure looks like on the wire
    multipart.py    receiving an upload's bytes, raw or multipart
    wire.py         reading requests, writing answers
"""

from bot.sandbox.slack_standin.app import SlackStandIn
from bot.sandbox.slack_standin.errors import ApiError
from bot.sandbox.slack_standin.multipart import MultipartFileParser
from bot.sandbox.slack_standin.validation import (
    MAX_MESSAGE_BLOCKS,
    MAX_TEXT_CHARS,
    MAX_VIEW_BLOCKS,
    block_problems,
)
from bot.sandbox.slack_standin.wire import REDACTED
from bot.sandbox.slack_standin.workspace import TEAM_DOMAIN, Call, Upload, Workspace

_MultipartFileParser = MultipartFileParser  # its name before the module became a package

__all__ = [
    "MAX_MESSAGE_BLOCKS",
    "MAX_TEXT_CHARS",
    "MAX_VIEW_BLOCKS",
    "REDACTED",
    "TEAM_DOMAIN",
    "ApiError",
    "Call",
    "MultipartFileParser",
    "SlackStandIn",
    "Upload",
    "Workspace",
    "block_problems",
]
