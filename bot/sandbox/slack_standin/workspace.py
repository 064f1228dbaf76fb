"""The stand-in's world: users, channels, messages, views, uploads, recorded calls and injected failures."""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.sandbox.slack_standin.errors import ApiError
from bot.sandbox.slack_standin.faults import DEFAULT_FAILURE, Failure

TEAM_DOMAIN = "standin"


@dataclass
class Call:
    """One request that reached the stand-in; tokens never recorded."""

    method: str  # "chat.postMessage", or "upload" / "response_url" for those endpoints
    params: dict  # query + form or JSON body merged; blocks/attachments/view/files JSON-decoded
    headers: dict  # Authorization redacted
    at: float
    status: int = 200  # HTTP status answered
    error: str | None = None  # Slack error answered, if any
    team_id: str | None = None  # the team whose token made the call (oauth.v2.access: None)


@dataclass(frozen=True)
class InstallGrant:
    """What a user approved on the stand-in's install page: redeemed once by oauth.v2.access."""

    team_id: str
    team_name: str
    user_id: str
    enterprise_id: str | None = None
    is_enterprise_install: bool = False


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


class Workspace:
    """An in-memory Slack workspace with one bot in it; the method handlers read and change it under `lock`."""

    def __init__(
        self,
        *,
        team_id: str,
        bot_user_id: str,
        base_url: str,
        keep_uploads_dir: str | None,
        clock: Callable[[], float] = time.time,
    ):
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id.lstrip("UW")
        self.base_url = base_url
        self.keep_uploads_dir = keep_uploads_dir
        self.clock = clock
        self.lock = threading.RLock()
        # world
        self.users: dict[str, dict] = {}
        self.channels: dict[str, dict] = {}
        self.dms: dict[str, str] = {}  # D… -> U…
        self.response_keys: set[str] = set()
        self._numbers = itertools.count(1)
        self._last_ts_us = 0
        # recordings
        self.calls: list[Call] = []
        self.uploads: list[Upload] = []
        self.response_bodies: list[tuple[str, dict]] = []  # (response URL key, JSON body)
        self.channel_messages: dict[str, list[dict]] = {}
        self.ephemeral_messages: list[dict] = []
        self.home_views: dict[str, list[dict]] = {}  # user id -> views.publish history
        self.modals: list[dict] = []  # views.open, in order
        self.failures: dict[str, list[Failure]] = {}
        self.slowness: dict[str, float] = {}  # method -> seconds every call to it takes (Slack on a bad day)
        # distribution: (client id, client secret) oauth.v2.access accepts; codes -> grants; tokens -> team
        self.oauth_client: tuple[str, str] | None = None
        self.oauth_codes: dict[str, InstallGrant] = {}
        self.team_tokens: dict[str, str] = {}
        self.caller_team_id: str | None = None  # the team of the call being answered (set under `lock`)
        self.add_user(bot_user_id, name="lexer-bot", real_name="Lexer Bot")
        self.users[bot_user_id]["is_bot"] = True

    # ---- world setup ---------------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        name: str = "",
        real_name: str = "",
        tz: str = "UTC",
        is_admin: bool = False,
        is_owner: bool = False,
        email: str | None = None,
    ) -> None:
        """Add (or replace) a workspace member; `tz` must be an IANA zone."""
        ZoneInfo(tz)  # fail at setup, not in the middle of a request
        with self.lock:
            self.users[user_id] = {
                "id": user_id,
                "name": name or user_id.lower(),
                "real_name": real_name or name or user_id,
                "tz": tz,
                "is_admin": is_admin,
                "is_owner": is_owner,
                "is_bot": False,
                "email": email,
            }

    def authorize_install(
        self,
        team_id: str,
        user_id: str,
        *,
        team_name: str = "",
        enterprise_id: str | None = None,
        is_enterprise_install: bool = False,
    ) -> str:
        """The code Slack's install page would redirect with, after `user_id` approved the app for the team."""
        code = f"code-{team_id}-{self.next_number()}"
        with self.lock:
            self.oauth_codes[code] = InstallGrant(
                team_id, team_name or team_id, user_id, enterprise_id, is_enterprise_install
            )
        return code

    def revoke_team(self, team_id: str) -> None:
        """Every token issued to the team stops working (as after an uninstall)."""
        with self.lock:
            for token in [t for t, team in self.team_tokens.items() if team == team_id]:
                del self.team_tokens[token]

    def calls_from(self, team_id: str, method: str | None = None) -> list[Call]:
        """The calls made with a token of this team (optionally of one method)."""
        with self.lock:
            return [c for c in self.calls if c.team_id == team_id and (method is None or c.method == method)]

    def add_channel(
        self, channel_id: str, name: str, *, member: bool = True, archived: bool = False, is_private: bool = False
    ) -> None:
        """Add (or replace) a channel; `member` says whether the bot is in it."""
        with self.lock:
            self.channels[channel_id] = {
                "id": channel_id,
                "name": name,
                "is_member": member,
                "is_archived": archived,
                "is_private": is_private,
            }

    def post_as_user(self, channel: str, user_id: str, text: str, *, thread_ts: str | None = None) -> str:
        """Put a message by a human in a channel (e.g. to check the bot can't edit it); returns its ts."""
        with self.lock:
            channel_id = self.dm_for(channel) if channel in self.users else channel
            message = {
                "type": "message",
                "ts": self.next_ts(),
                "text": text,
                "blocks": None,
                "thread_ts": thread_ts,
                "user": user_id,
            }
            self.store_message(channel_id, message)
            return message["ts"]

    # ---- fault injection ------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        error: str = DEFAULT_FAILURE,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls to `method` ("upload", "response_url" for those endpoints) fail."""
        if error in ("ratelimited", "rate_limited") and status == 200:
            status = 429
        if status == 429 and retry_after is None:
            retry_after = 1
        with self.lock:
            self.failures.setdefault(method, []).append(Failure(error, status, retry_after, times))

    def slow(self, method: str, seconds: float) -> None:
        """Make every call to `method` take `seconds` before it answers (0: answer at once again)."""
        with self.lock:
            self.slowness[method] = seconds

    def take_failure(self, method: str) -> Failure | None:
        """The failure this call to `method` must answer with, if one is queued; uses it up."""
        with self.lock:
            queue = self.failures.get(method)
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
        with self.lock:
            key = key or f"R{self.next_number():06d}"
            self.response_keys.add(key)
        return f"{self.base_url}/response/{key}"

    # ---- recordings -----------------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls to one method, oldest first."""
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def responses(self, key_or_url: str | None = None) -> list[dict]:
        """JSON bodies POSTed to response URLs: all, or those for one key or URL."""
        key = key_or_url.rstrip("/").rsplit("/", 1)[-1] if key_or_url else None
        with self.lock:
            return [copy.deepcopy(body) for k, body in self.response_bodies if key is None or k == key]

    def messages(self, channel: str) -> list[dict]:
        """Messages in a channel (a user id means the DM with them) as they stand now, oldest first."""
        with self.lock:
            channel_id = self.dm_for(channel) if channel in self.users else channel
            return copy.deepcopy(self.channel_messages.get(channel_id, []))

    def thread(self, channel: str, ts: str) -> list[dict]:
        """A thread's parent and replies, oldest first."""
        return [m for m in self.messages(channel) if m["ts"] == ts or m.get("thread_ts") == ts]

    def ephemerals(self, channel: str | None = None) -> list[dict]:
        """chat.postEphemeral messages (each with `user`, who alone sees it), for one channel or all."""
        with self.lock:
            return [copy.deepcopy(m) for m in self.ephemeral_messages if channel is None or m["channel"] == channel]

    def views(self, user_id: str) -> list[dict]:
        """views.publish history for one user, oldest first."""
        with self.lock:
            return copy.deepcopy(self.home_views.get(user_id, []))

    def reset(self) -> None:
        """Forget recordings (calls, messages, uploads, responses, views, pending failures); keep the world."""
        with self.lock:
            self.calls.clear()
            self.uploads.clear()
            self.response_bodies.clear()
            self.channel_messages.clear()
            self.ephemeral_messages.clear()
            self.home_views.clear()
            self.modals.clear()
            self.failures.clear()
            self.slowness.clear()

    # ---- helpers for the method handlers (called with the lock held) ------------------------------------

    def next_number(self) -> int:
        """The next serial number for a new id (response key, view, file); one counter for all."""
        return next(self._numbers)

    def next_ts(self) -> str:
        """A new message ts."""
        # Slack ts: epoch seconds "." 6 digits, unique and increasing within a channel
        now_us = int(self.clock() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    def dm_for(self, user_id: str) -> str:
        """The id of the bot's DM with a user, opening it if need be."""
        dm_id = "D" + user_id[1:]
        self.dms[dm_id] = user_id
        return dm_id

    def resolve_channel(self, channel: str, *, for_posting: bool = True, not_found: str = "channel_not_found") -> str:
        """Channel id to post in, with Slack's errors; a user id opens (or reuses) the DM."""
        if not channel:
            raise ApiError(not_found)
        if channel[0] in "UW":
            if channel not in self.users:
                raise ApiError(not_found)
            return self.dm_for(channel)
        if channel in self.dms:
            return channel
        info = self.channels.get(channel)
        if info is None and channel.lstrip("#"):
            info = next((c for c in self.channels.values() if c["name"] == channel.lstrip("#")), None)
        if info is None or (info["is_private"] and not info["is_member"]):
            raise ApiError(not_found)
        if for_posting:
            if info["is_archived"]:
                raise ApiError("is_archived")
            if not info["is_member"]:
                raise ApiError("not_in_channel")
        return info["id"]

    def store_message(self, channel_id: str, message: dict) -> None:
        """Append a message to a channel, counting it as a reply on its thread's parent."""
        messages = self.channel_messages.setdefault(channel_id, [])
        parent_ts = message.get("thread_ts")
        if parent_ts:
            parent = next((m for m in messages if m["ts"] == parent_ts), None)
            if parent is not None:  # as conversations.history shows a parent once it has replies
                parent["thread_ts"] = parent_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
        messages.append(message)

    def find_message(self, channel_id: str, ts: str) -> dict:
        """The stored message (not a copy) with this ts; message_not_found otherwise."""
        for message in self.channel_messages.get(channel_id, []):
            if message["ts"] == ts:
                return message
        raise ApiError("message_not_found")

    def channel_object(self, channel_id: str) -> dict:
        """A conversation as the conversations.* methods show it."""
        if channel_id in self.dms:
            return {
                "id": channel_id,
                "is_im": True,
                "is_channel": False,
                "is_private": True,
                "user": self.dms[channel_id],
                "is_archived": False,
                "is_open": True,
            }
        info = self.channels[channel_id]
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

    def bot_message(self, params: dict, ts: str) -> dict:
        """A message posted by the bot from chat.* params."""
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
