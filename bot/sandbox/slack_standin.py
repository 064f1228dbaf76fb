"""A local stand-in for Slack's Web API (WSGI): keeps a small world, records every call, answers as Slack does.

Used by the test suite (served on loopback, slack_sdk's WebClient pointed at `url + "/api/"`) and by
`lexer-bot demo` (in-process, printing what a user would see through `on_event` and bot.slack.text).
Besides `/api/<method>` it serves `/upload/<file_id>` (the upload URL of files.getUploadURLExternal) and
`/response/<key>` (a slash command's response_url).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"
MAX_MESSAGE_BLOCKS = 50  # Slack's limit per message
MAX_VIEW_BLOCKS = 100  # Slack's limit per Home tab view
MAX_TEXT_CHARS = 40_000  # beyond this chat.postMessage answers msg_too_long
CHUNK_BYTES = 64 * 1024
MAX_API_BODY_BYTES = 8 * 1024 * 1024  # API calls are small; uploads go through /upload/ instead
TEAM_DOMAIN = "standin"

# the default `error` of fail_next; with a non-429 status the status decides what the failure looks like
_DEFAULT_FAILURE = "ratelimited"
_STATUS_ERRORS = {
    400: "invalid_request",
    403: "forbidden",
    404: "not_found",
    410: "expired_url",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "request_timeout",
}
_JSON_PARAMS = ("blocks", "attachments", "view", "files")


@dataclass
class Call:
    """One request that reached the stand-in; tokens never recorded."""

    method: str  # "chat.postMessage", or "upload" / "response_url" for those endpoints
    params: dict  # query + form or JSON body merged; blocks/attachments/view/files JSON-decoded
    headers: dict  # Authorization redacted
    at: float
    status: int = 200  # HTTP status answered
    error: str | None = None  # Slack error answered, if any


@dataclass
class Upload:
    """One file announced with files.getUploadURLExternal, and what became of it."""

    file_id: str
    filename: str
    title: str | None
    length_declared: int
    size: int | None  # bytes received at the upload URL; None until uploaded
    sha256: str | None
    channel_id: str | None
    initial_comment: str | None
    completed: bool
    path: str | None  # where the bytes were kept, if keep_uploads_dir was given
    thread_ts: str | None = None


@dataclass
class _Failure:
    error: str
    status: int
    retry_after: int | None
    remaining: int


class _ApiError(Exception):
    """A Slack `ok: false` answer."""

    def __init__(self, error: str, *messages: str, **extra: Any):
        super().__init__(error)
        self.error = error
        self.messages = list(messages)
        self.extra = extra


class SlackStandIn:
    """WSGI app answering Slack Web API methods from an in-memory workspace."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        team_id: str = "T0TEST",
        bot_user_id: str = "UBOT",
        base_url: str = "http://slack-standin",
        keep_uploads_dir: str | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self._bot_token = bot_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id.lstrip("UW")
        self.base_url = base_url
        self.keep_uploads_dir = keep_uploads_dir
        self._clock = clock
        self._lock = threading.RLock()
        self.on_event: Callable[[str, dict], None] | None = None
        # world
        self._users: dict[str, dict] = {}
        self._channels: dict[str, dict] = {}
        self._dms: dict[str, str] = {}  # D… -> U…
        self._response_keys: set[str] = set()
        self._ids = itertools.count(1)
        # recordings
        self.calls: list[Call] = []
        self.uploads: list[Upload] = []
        self._responses: list[tuple[str, dict]] = []
        self._messages: dict[str, list[dict]] = {}
        self._ephemerals: list[dict] = []
        self._views: dict[str, list[dict]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._last_ts_us = 0
        self._methods: dict[str, Callable[[dict], dict]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "users.info": self._users_info,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }
        self.add_user(bot_user_id, name="lexer-bot", real_name="Lexer Bot")
        self._users[bot_user_id]["is_bot"] = True

    def __repr__(self) -> str:
        return f"SlackStandIn(team_id={self.team_id!r}, base_url={self.base_url!r})"

    # ---- world setup ---------------------------------------------------------------------------------

    def add_user(
        self, user_id: str, *, name: str = "", real_name: str = "", tz: str = "UTC", is_admin: bool = False
    ) -> None:
        """Add (or replace) a workspace member; `tz` must be an IANA zone."""
        ZoneInfo(tz)  # fail at setup, not in the middle of a request
        with self._lock:
            self._users[user_id] = {
                "id": user_id,
                "name": name or user_id.lower(),
                "real_name": real_name or name or user_id,
                "tz": tz,
                "is_admin": is_admin,
                "is_bot": False,
            }

    def add_channel(
        self, channel_id: str, name: str, *, member: bool = True, archived: bool = False, is_private: bool = False
    ) -> None:
        """Add (or replace) a channel; `member` says whether the bot is in it."""
        with self._lock:
            self._channels[channel_id] = {
                "id": channel_id,
                "name": name,
                "is_member": member,
                "is_archived": archived,
                "is_private": is_private,
            }

    def post_as_user(self, channel: str, user_id: str, text: str, *, thread_ts: str | None = None) -> str:
        """Put a message by a human in a channel (e.g. to check the bot can't edit it); returns its ts."""
        with self._lock:
            channel_id = self._dm_for(channel) if channel in self._users else channel
            message = {
                "type": "message",
                "ts": self._next_ts(),
                "text": text,
                "blocks": None,
                "thread_ts": thread_ts,
                "user": user_id,
            }
            self._store_message(channel_id, message)
            return message["ts"]

    # ---- fault injection ------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        error: str = _DEFAULT_FAILURE,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls to `method` ("upload", "response_url" for those endpoints) fail."""
        if error in ("ratelimited", "rate_limited") and status == 200:
            status = 429
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(error, status, retry_after, times))

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            queue = self._failures.get(method)
            if not queue:
                return None
            failure = queue[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.pop(0)
            return failure

    # ---- response URLs --------------------------------------------------------------------------------

    def new_response_url(self, key: str | None = None) -> str:
        """A URL on this server that takes POSTs the way a slash command's response_url does."""
        with self._lock:
            key = key or f"R{next(self._ids):06d}"
            self._response_keys.add(key)
        return f"{self.base_url}/response/{key}"

    # ---- recordings -----------------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls to one method, oldest first."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def responses(self, key_or_url: str | None = None) -> list[dict]:
        """JSON bodies POSTed to response URLs: all, or those for one key or URL."""
        key = key_or_url.rstrip("/").rsplit("/", 1)[-1] if key_or_url else None
        with self._lock:
            return [copy.deepcopy(body) for k, body in self._responses if key is None or k == key]

    def messages(self, channel: str) -> list[dict]:
        """Messages in a channel (a user id means the DM with them) as they stand now, oldest first."""
        with self._lock:
            channel_id = self._dm_for(channel) if channel in self._users else channel
            return copy.deepcopy(self._messages.get(channel_id, []))

    def thread(self, channel: str, ts: str) -> list[dict]:
        """A thread's parent and replies, oldest first."""
        return [m for m in self.messages(channel) if m["ts"] == ts or m.get("thread_ts") == ts]

    def ephemerals(self, channel: str | None = None) -> list[dict]:
        """chat.postEphemeral messages (each with `user`, who alone sees it), for one channel or all."""
        with self._lock:
            return [copy.deepcopy(m) for m in self._ephemerals if channel is None or m["channel"] == channel]

    def views(self, user_id: str) -> list[dict]:
        """views.publish history for one user, oldest first."""
        with self._lock:
            return copy.deepcopy(self._views.get(user_id, []))

    def reset(self) -> None:
        """Forget recordings (calls, messages, uploads, responses, views, pending failures); keep the world."""
        with self._lock:
            self.calls.clear()
            self.uploads.clear()
            self._responses.clear()
            self._messages.clear()
            self._ephemerals.clear()
            self._views.clear()
            self._failures.clear()

    # ---- WSGI -----------------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        try:
            if path.startswith("/api/"):
                status, headers, body = self._serve_api(environ, path[len("/api/") :].strip("/"))
            elif path.startswith("/upload/"):
                status, headers, body = self._serve_upload(environ, path[len("/upload/") :].strip("/"))
            elif path.startswith("/response/"):
                status, headers, body = self._serve_response_url(environ, path[len("/response/") :].strip("/"))
            else:
                status, headers, body = _text(404, "not_found")
        except Exception:  # a bug here must show up as a 500, like a real server's, not kill the worker
            logger.exception("slack stand-in failed on %s", path)
            status, headers, body = _json(500, {"ok": False, "error": "internal_error"})
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    def _serve_api(self, environ: dict, method: str) -> tuple[int, list, bytes]:
        try:
            params = _read_params(environ)
        except ValueError:
            params, parse_error = {}, "invalid_form_data"
        else:
            parse_error = None
        token = _bearer(environ) or params.get("token")
        recorded = copy.deepcopy({k: (REDACTED if k == "token" else v) for k, v in params.items()})
        params.pop("token", None)

        failure = self._take_failure(method)
        if failure is not None:
            status, headers, body, error = _failure_answer(failure, as_json=True)
        else:
            try:
                if parse_error:
                    raise _ApiError(parse_error)
                handler = self._methods.get(method)
                if handler is None:
                    raise _ApiError("unknown_method")
                if method != "api.test":
                    if not token:
                        raise _ApiError("not_authed")
                    if token != self._bot_token:
                        raise _ApiError("invalid_auth")
                with self._lock:
                    answer = {"ok": True, **handler(params)}
                error = None
            except _ApiError as e:
                answer = {"ok": False, "error": e.error, **e.extra}
                if e.messages:
                    answer["response_metadata"] = {"messages": e.messages}
                error = e.error
            status, headers, body = _json(200, answer)
        self._record(method, recorded, environ, status, error)
        return status, headers, body

    def _record(self, method: str, params: dict, environ: dict, status: int, error: str | None) -> None:
        call = Call(method, params, _recorded_headers(environ), self._clock(), status, error)
        with self._lock:
            self.calls.append(call)
        hook = self.on_event
        if hook is not None:
            try:
                hook(method, copy.deepcopy(params))
            except Exception:  # the demo's printer must not break the fake Slack
                logger.exception("on_event hook failed for %s", method)

    # ---- helpers on the world (called with the lock held) ---------------------------------------------

    def _next_ts(self) -> str:
        # Slack ts: epoch seconds "." 6 digits, unique and increasing within a channel
        now_us = int(self._clock() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    def _dm_for(self, user_id: str) -> str:
        dm_id = "D" + user_id[1:]
        self._dms[dm_id] = user_id
        return dm_id

    def _resolve_channel(self, channel: str, *, for_posting: bool = True, not_found: str = "channel_not_found") -> str:
        """Channel id to post in, with Slack's errors; a user id opens (or reuses) the DM."""
        if not channel:
            raise _ApiError(not_found)
        if channel[0] in "UW":
            if channel not in self._users:
                raise _ApiError(not_found)
            return self._dm_for(channel)
        if channel in self._dms:
            return channel
        info = self._channels.get(channel)
        if info is None and channel.lstrip("#"):
            info = next((c for c in self._channels.values() if c["name"] == channel.lstrip("#")), None)
        if info is None or (info["is_private"] and not info["is_member"]):
            raise _ApiError(not_found)
        if for_posting:
            if info["is_archived"]:
                raise _ApiError("is_archived")
            if not info["is_member"]:
                raise _ApiError("not_in_channel")
        return info["id"]

    def _store_message(self, channel_id: str, message: dict) -> None:
        messages = self._messages.setdefault(channel_id, [])
        parent_ts = message.get("thread_ts")
        if parent_ts:
            parent = next((m for m in messages if m["ts"] == parent_ts), None)
            if parent is not None:  # as conversations.history shows a parent once it has replies
                parent["thread_ts"] = parent_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
        messages.append(message)

    def _find_message(self, channel_id: str, ts: str) -> dict:
        for message in self._messages.get(channel_id, []):
            if message["ts"] == ts:
                return message
        raise _ApiError("message_not_found")

    def _channel_object(self, channel_id: str) -> dict:
        if channel_id in self._dms:
            return {
                "id": channel_id,
                "is_im": True,
                "is_channel": False,
                "is_private": True,
                "user": self._dms[channel_id],
                "is_archived": False,
                "is_open": True,
            }
        info = self._channels[channel_id]
        return {
            "id": channel_id,
            "name": info["name"],
            "is_channel": not info["is_private"],
            "is_group": info["is_private"],
            "is_im": False,
            "is_private": info["is_private"],
            "is_archived": info["is_archived"],
            "is_member": info["is_member"],
            "context_team_id": self.team_id,
        }

    def _bot_message(self, params: dict, ts: str) -> dict:
        message = {
            "type": "message",
            "ts": ts,
            "text": params.get("text") or "",
            "blocks": params.get("blocks"),
            "thread_ts": params.get("thread_ts") or None,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
        }
        if params.get("attachments") is not None:
            message["attachments"] = params["attachments"]
        if params.get("metadata") is not None:
            message["metadata"] = params["metadata"]
        return message

    # ---- methods (called with the lock held) ---------------------------------------------------------

    def _api_test(self, params: dict) -> dict:
        if params.get("error"):
            raise _ApiError(params["error"], args=params)
        return {"args": params}

    def _auth_test(self, params: dict) -> dict:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Stand-in",
            "user": "lexer-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict) -> dict:
        channel_id = self._resolve_channel(str(params.get("channel") or ""))
        _check_content(params, max_blocks=MAX_MESSAGE_BLOCKS)
        message = self._bot_message(params, self._next_ts())
        self._store_message(channel_id, message)
        return {"channel": channel_id, "ts": message["ts"], "message": _public(message)}

    def _chat_post_ephemeral(self, params: dict) -> dict:
        channel_id = self._resolve_channel(str(params.get("channel") or ""))
        user = str(params.get("user") or "")
        if user not in self._users:
            raise _ApiError("user_not_found")
        _check_content(params, max_blocks=MAX_MESSAGE_BLOCKS)
        message = self._bot_message(params, self._next_ts())
        message.update(channel=channel_id, ephemeral_for=user)
        self._ephemerals.append(message)
        return {"message_ts": message["ts"]}

    def _chat_update(self, params: dict) -> dict:
        channel_id = self._resolve_channel(str(params.get("channel") or ""))
        message = self._find_message(channel_id, str(params.get("ts") or ""))
        if message.get("user") != self.bot_user_id:
            raise _ApiError("cant_update_message")
        _check_content(params, max_blocks=MAX_MESSAGE_BLOCKS)
        for key in ("text", "blocks", "attachments"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel_id, "ts": message["ts"], "text": message["text"], "message": _public(message)}

    def _chat_delete(self, params: dict) -> dict:
        channel_id = self._resolve_channel(str(params.get("channel") or ""))
        message = self._find_message(channel_id, str(params.get("ts") or ""))
        if message.get("user") != self.bot_user_id:
            raise _ApiError("cant_delete_message")
        self._messages[channel_id].remove(message)
        return {"channel": channel_id, "ts": message["ts"]}

    def _chat_get_permalink(self, params: dict) -> dict:
        channel_id = self._resolve_channel(str(params.get("channel") or ""), for_posting=False)
        message = self._find_message(channel_id, str(params.get("message_ts") or ""))
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel_id}/p{message['ts'].replace('.', '')}"
        if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
            link += f"?thread_ts={message['thread_ts']}&cid={channel_id}"
        return {"channel": channel_id, "permalink": link}

    def _conversations_open(self, params: dict) -> dict:
        if params.get("channel"):
            channel_id = self._resolve_channel(str(params["channel"]), for_posting=False)
            return {
                "channel": self._channel_object(channel_id) if _truthy(params.get("return_im")) else {"id": channel_id}
            }
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            raise _ApiError("users_list_not_supplied")
        if len(users) > 1:  # group DMs are not modelled; say so rather than answer wrongly
            raise _ApiError("invalid_arguments", "[ERROR] the stand-in opens 1:1 DMs only")
        if users[0] not in self._users:
            raise _ApiError("user_not_found")
        dm_id = "D" + users[0][1:]
        already = dm_id in self._dms
        self._dm_for(users[0])
        channel = self._channel_object(dm_id) if _truthy(params.get("return_im")) else {"id": dm_id}
        return {"no_op": already, "already_open": already, "channel": channel}

    def _conversations_info(self, params: dict) -> dict:
        channel = str(params.get("channel") or "")
        if channel[:1] in ("U", "W"):  # conversations.info takes conversation ids only
            raise _ApiError("channel_not_found")
        channel_id = self._resolve_channel(channel, for_posting=False)
        return {"channel": self._channel_object(channel_id)}

    def _conversations_join(self, params: dict) -> dict:
        channel = str(params.get("channel") or "")
        if channel in self._dms:
            raise _ApiError("method_not_supported_for_channel_type")
        info = self._channels.get(channel)
        if info is None:
            raise _ApiError("channel_not_found")
        if info["is_private"]:
            raise _ApiError("method_not_supported_for_channel_type")
        if info["is_archived"]:
            raise _ApiError("is_archived")
        answer: dict = {}
        if info["is_member"]:
            answer["warning"] = "already_in_channel"
            answer["response_metadata"] = {"warnings": ["already_in_channel"]}
        info["is_member"] = True
        return {"channel": self._channel_object(channel), **answer}

    def _users_info(self, params: dict) -> dict:
        user = self._users.get(str(params.get("user") or ""))
        if user is None:
            raise _ApiError("user_not_found")
        zone = ZoneInfo(user["tz"])
        now = datetime.fromtimestamp(self._clock(), zone)
        offset = now.utcoffset()
        return {
            "user": {
                "id": user["id"],
                "team_id": self.team_id,
                "name": user["name"],
                "deleted": False,
                "real_name": user["real_name"],
                "tz": user["tz"],
                "tz_label": _tz_label(now),
                "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
                "is_admin": user["is_admin"],
                "is_owner": False,
                "is_bot": user["is_bot"],
                "profile": {"real_name": user["real_name"], "display_name": user["name"]},
            }
        }

    def _views_publish(self, params: dict) -> dict:
        user_id = str(params.get("user_id") or "")
        if user_id not in self._users:
            raise _ApiError("invalid_arguments", "invalid `user_id`")
        view = params.get("view")
        if not isinstance(view, dict):
            raise _ApiError("invalid_arguments", "[ERROR] must provide an object [json-pointer:/view]")
        if view.get("type") != "home":
            raise _ApiError("invalid_arguments", "[ERROR] must be home [json-pointer:/view/type]")
        problems = block_problems(view.get("blocks"), max_blocks=MAX_VIEW_BLOCKS, pointer="/view/blocks")
        if problems:
            raise _ApiError("invalid_arguments", *problems)
        view_id = f"V{next(self._ids):08d}"
        published = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "home",
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "hash": self._next_ts(),
            "root_view_id": view_id,
            "bot_id": self.bot_id,
        }
        self._views.setdefault(user_id, []).append(copy.deepcopy(published))
        return {"view": published}

    def _files_get_upload_url_external(self, params: dict) -> dict:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            length = -1
        if not filename or length < 0:
            raise _ApiError("invalid_arguments", "[ERROR] filename and length are required")
        file_id = f"F{next(self._ids):010d}"
        self.uploads.append(Upload(file_id, filename, None, length, None, None, None, None, False, None))
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, params: dict) -> dict:
        files = params.get("files")
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
            raise _ApiError("invalid_arguments", "[ERROR] files must be a list of {id, title} [json-pointer:/files]")
        by_id = {u.file_id: u for u in self.uploads}
        # Slack can't share a file whose bytes never reached the upload URL
        if any(f["id"] not in by_id or by_id[f["id"]].size is None for f in files):
            raise _ApiError("file_not_found")
        targets = [c for c in str(params.get("channels") or "").split(",") if c]
        if params.get("channel_id"):
            targets.insert(0, str(params["channel_id"]))
        channel_ids = [self._resolve_channel(c, not_found="invalid_channel") for c in targets]
        thread_ts = params.get("thread_ts") or None
        comment = params.get("initial_comment") or None
        shared = []
        for f in files:
            upload = by_id[f["id"]]
            upload.title = f.get("title") or upload.filename
            upload.channel_id = channel_ids[0] if channel_ids else None
            upload.initial_comment = comment
            upload.thread_ts = thread_ts
            upload.completed = True
            shared.append(
                {
                    "id": upload.file_id,
                    "name": upload.filename,
                    "title": upload.title,
                    "size": upload.size,
                    "channels": channel_ids,
                }
            )
        for channel_id in channel_ids:  # the share shows up in the channel as a message from the bot
            message = {
                "type": "message",
                "ts": self._next_ts(),
                "text": comment or "",
                "blocks": None,
                "thread_ts": thread_ts,
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
                "team": self.team_id,
                "files": [{"id": s["id"], "name": s["name"], "title": s["title"]} for s in shared],
            }
            self._store_message(channel_id, message)
        return {"files": shared}

    # ---- upload URL and response URL ------------------------------------------------------------------

    def _serve_upload(self, environ: dict, file_id: str) -> tuple[int, list, bytes]:
        failure = self._take_failure("upload")
        with self._lock:
            upload = next((u for u in self.uploads if u.file_id == file_id), None)
        if failure is not None:
            _drain(environ)
            status, headers, body, error = _failure_answer(failure, as_json=False)
            self._record("upload", {"file_id": file_id}, environ, status, error)
            return status, headers, body
        if upload is None or environ.get("REQUEST_METHOD") != "POST":
            _drain(environ)
            self._record("upload", {"file_id": file_id}, environ, 404, "file_not_found")
            return _text(404, "file_not_found")
        size, digest, path = self._receive_file(environ, upload)
        with self._lock:
            upload.size, upload.sha256, upload.path = size, digest, path
        self._record("upload", {"file_id": file_id, "size": size, "sha256": digest}, environ, 200, None)
        return _text(200, f"OK - {size}")

    def _receive_file(self, environ: dict, upload: Upload) -> tuple[int, str, str | None]:
        """Stream the request body into a hash (and a file, if kept); memory stays at one chunk."""
        sha = hashlib.sha256()
        size = 0
        out = None
        path = None
        if self.keep_uploads_dir:
            os.makedirs(self.keep_uploads_dir, exist_ok=True)
            safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(upload.filename)) or "file"
            path = os.path.join(self.keep_uploads_dir, f"{upload.file_id}-{safe_name}")
            out = open(path, "wb")

        def sink(data: bytes) -> None:
            nonlocal size
            sha.update(data)
            size += len(data)
            if out is not None:
                out.write(data)

        content_type = environ.get("CONTENT_TYPE", "")
        boundary = _multipart_boundary(content_type)
        parser = _MultipartFileParser(boundary, sink) if boundary else None
        try:
            for chunk in _body_chunks(environ):
                if parser is not None:
                    parser.feed(chunk)
                else:
                    sink(chunk)
        finally:
            if out is not None:
                out.close()
        return size, sha.hexdigest(), path

    def _serve_response_url(self, environ: dict, key: str) -> tuple[int, list, bytes]:
        failure = self._take_failure("response_url")
        try:
            raw = _read_body(environ)
            body = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        recorded = body if isinstance(body, dict) else {"_raw": "(not a JSON object)"}
        if failure is not None:
            status, headers, answer, error = _failure_answer(failure, as_json=False)
        else:
            status, error = self._accept_response(key, body)
            headers, answer = _text(status, error or "ok")[1:]
        self._record("response_url", recorded, environ, status, error)
        return status, headers, answer

    def _accept_response(self, key: str, body: Any) -> tuple[int, str | None]:
        with self._lock:
            if key not in self._response_keys:
                return 404, "expired_url"
        if not isinstance(body, dict):
            return 400, "invalid_payload"
        if not body.get("delete_original"):
            try:
                _check_content(body, max_blocks=MAX_MESSAGE_BLOCKS)
            except _ApiError as e:
                return 400, e.error
        with self._lock:
            self._responses.append((key, copy.deepcopy(body)))
        return 200, None


# ---- validation (pure) -------------------------------------------------------------------------------


def block_problems(blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks") -> list[str]:
    """Slack-style `[ERROR] … [json-pointer:…]` messages for invalid Block Kit blocks; empty when valid."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    if len(blocks) > max_blocks:
        return [f"[ERROR] no more than {max_blocks} items allowed [json-pointer:{pointer}]"]
    problems = []
    block_ids: set[str] = set()
    for i, raw in enumerate(blocks):
        where = f"[json-pointer:{pointer}/{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            problems.append(f"[ERROR] must be an object with a type {where}")
            continue
        block_id = raw.get("block_id")
        if block_id is not None:
            if block_id in block_ids:
                problems.append(f"[ERROR] duplicate block_id {block_id!r} {where}")
            block_ids.add(block_id)
        for name in ("text",):  # Slack refuses empty text objects; slack_sdk doesn't check that
            text = raw.get(name)
            if isinstance(text, dict) and not text.get("text"):
                problems.append(f"[ERROR] must be more than 0 characters [json-pointer:{pointer}/{i}/{name}/text]")
        try:
            block = Block.parse(copy.deepcopy(raw))
            if block is None:
                problems.append(f"[ERROR] unsupported type: {raw['type']} {where}")
                continue
            block.to_dict()  # runs slack_sdk's validators on the block and everything in it
        except SlackObjectFormationError as e:
            problems.append(f"[ERROR] {e} {where}")
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            problems.append(f"[ERROR] malformed block ({type(e).__name__}) {where}")
    return problems


def _check_content(params: dict, *, max_blocks: int) -> None:
    """Slack's checks on a message body: something to show, valid blocks, not too long."""
    blocks = params.get("blocks")
    if blocks is not None:
        problems = block_problems(blocks, max_blocks=max_blocks)
        if problems:
            raise _ApiError("invalid_blocks", *problems)
    if not params.get("text") and not blocks and not params.get("attachments"):
        raise _ApiError("no_text")
    if len(str(params.get("text") or "")) > MAX_TEXT_CHARS:
        raise _ApiError("msg_too_long")


# ---- HTTP plumbing -----------------------------------------------------------------------------------


def _json(status: int, payload: dict, extra_headers: list | None = None) -> tuple[int, list, bytes]:
    body = json.dumps(payload).encode()
    headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))]
    return status, headers + (extra_headers or []), body


def _text(status: int, text: str, extra_headers: list | None = None) -> tuple[int, list, bytes]:
    body = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    return status, headers + (extra_headers or []), body


def _failure_answer(failure: _Failure, *, as_json: bool) -> tuple[int, list, bytes, str]:
    """What an injected failure looks like on the wire: 429 + Retry-After, a 5xx, or ok:false."""
    status = failure.status
    error = failure.error
    if error == _DEFAULT_FAILURE and status not in (200, 429):
        error = _STATUS_ERRORS.get(status, "internal_error" if status >= 500 else "invalid_request")
    extra = [("Retry-After", str(failure.retry_after))] if failure.retry_after is not None else []
    if as_json:
        return (*_json(status, {"ok": False, "error": error}, extra), error)
    return (*_text(status, error, extra), error)


def _bearer(environ: dict) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return None


def _recorded_headers(environ: dict) -> dict:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key.replace("_", "-").title()
        else:
            continue
        headers[name] = REDACTED if name.lower() in ("authorization", "cookie") else value
    return headers


def _body_chunks(environ: dict) -> Iterable[bytes]:
    stream = environ.get("wsgi.input")
    if stream is None:
        return
    try:
        remaining = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        remaining = -1
    while remaining != 0:
        chunk = stream.read(CHUNK_BYTES if remaining < 0 else min(CHUNK_BYTES, remaining))
        if not chunk:
            return
        if remaining > 0:
            remaining -= len(chunk)
        yield chunk


def _drain(environ: dict) -> None:
    for _ in _body_chunks(environ):
        pass


def _read_body(environ: dict, limit: int = MAX_API_BODY_BYTES) -> bytes:
    parts = []
    size = 0
    for chunk in _body_chunks(environ):
        size += len(chunk)
        if size > limit:
            _drain(environ)
            raise ValueError("body too large")
        parts.append(chunk)
    return b"".join(parts)


def _read_params(environ: dict) -> dict:
    """Query string, then a form or JSON body, merged; JSON-ish form values decoded."""
    params: dict[str, Any] = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    body = _read_body(environ) if environ.get("REQUEST_METHOD", "GET") != "GET" else b""
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if body:
        if content_type == "application/json":
            decoded = json.loads(body.decode("utf-8"))
            if not isinstance(decoded, dict):
                raise ValueError("JSON body is not an object")
            params.update(decoded)
        elif content_type in ("application/x-www-form-urlencoded", ""):
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for key in _JSON_PARAMS:
        value = params.get(key)
        if isinstance(value, str):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass  # left as text; the method's validation says what's wrong
    return params


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes")


def _public(message: dict) -> dict:
    return {k: v for k, v in copy.deepcopy(message).items() if v is not None}


def _tz_label(now: datetime) -> str:
    # zoneinfo has no long names ("Australian Eastern Daylight Time"); the abbreviation serves the demo
    return now.tzname() or "UTC"


def _multipart_boundary(content_type: str) -> bytes | None:
    if not content_type.lower().startswith("multipart/"):
        return None
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    return match.group(1).encode("latin-1") if match else None


class _MultipartFileParser:
    """Incremental multipart/form-data reader passing only the first file part's bytes to `sink`."""

    MAX_HEADER_BYTES = 16 * 1024

    def __init__(self, boundary: bytes, sink: Callable[[bytes], None]):
        self._delimiter = b"\r\n--" + boundary
        self._buffer = b"\r\n"  # lets the opening boundary (with no CRLF before it) match the delimiter
        self._state = "preamble"
        self._in_file = False
        self._file_seen = False
        self._sink = sink

    def feed(self, data: bytes) -> None:
        if self._state == "done":
            return
        self._buffer += data
        while True:
            if self._state in ("preamble", "body"):
                index = self._buffer.find(self._delimiter)
                if index < 0:
                    # keep a tail that may be the start of a delimiter split across chunks
                    keep = len(self._delimiter) - 1
                    if len(self._buffer) > keep:
                        if self._in_file:
                            self._sink(self._buffer[:-keep])
                        self._buffer = self._buffer[-keep:]
                    return
                if self._in_file:
                    self._sink(self._buffer[:index])
                self._in_file = False
                self._buffer = self._buffer[index + len(self._delimiter) :]
                self._state = "after_delimiter"
            if self._state == "after_delimiter":
                if len(self._buffer) < 2:
                    return
                if self._buffer.startswith(b"--"):
                    self._state, self._buffer = "done", b""
                    return
                self._state = "headers"
            if self._state == "headers":
                end = self._buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(self._buffer) > self.MAX_HEADER_BYTES:
                        raise ValueError("multipart part headers too long")
                    return
                headers = self._buffer[:end].decode("latin-1").lower()
                self._buffer = self._buffer[end + 4 :]
                if not self._file_seen and ("filename=" in headers or 'name="file"' in headers):
                    self._in_file = self._file_seen = True
                self._state = "body"
