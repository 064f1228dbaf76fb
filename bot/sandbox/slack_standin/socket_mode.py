"""Socket Mode for the stand-in: apps.connections.open's loopback WebSocket, envelopes, acks and disconnects.

As Slack has it: apps.connections.open (app-level `xapp-` token) hands out a single-use `ws://…/link/?ticket=…`
URL; on connecting the app gets `hello`, then envelopes (`envelope_id`, `type`, `payload`,
`accepts_response_payload`) that it must ack with `{"envelope_id": …, "payload": …}` within 3 s. `disconnect`
(reason `warning`, `refresh_requested`, `link_disabled`) asks it to reconnect through a new
apps.connections.open. The WebSocket itself is the `websockets` library's threaded server (tests only; the
demo never imports this module).
"""

from __future__ import annotations

import itertools
import json
import logging
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from bot.sandbox.slack_standin.errors import ApiError
from bot.sandbox.slack_standin.workspace import Workspace

logger = logging.getLogger(__name__)

ACK_DEADLINE_SECONDS = 3.0  # Slack's: an envelope not acked by then has failed (the user sees an error)
DISCONNECT_REASONS = ("warning", "refresh_requested", "link_disabled")
ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")


@dataclass
class Envelope:
    """One envelope the stand-in sent (or still holds, while no connection is open)."""

    envelope_id: str
    type: str
    payload: dict
    accepts_response_payload: bool
    created_at: float
    sent_at: float | None = None
    connection: int | None = None  # number of the connection it went out on

    def wire(self) -> dict:
        message: dict = {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api":
            message.update(retry_attempt=0, retry_reason="")
        return message


@dataclass
class Ack:
    """One ack the app sent back: how long after the envelope went out, on which connection, with what payload."""

    envelope_id: str
    latency: float | None  # seconds since the envelope was sent; None for an envelope the stand-in never sent
    connection: int
    payload: dict | None

    @property
    def late(self) -> bool:
        return self.latency is None or self.latency > ACK_DEADLINE_SECONDS


@dataclass
class LinkConnection:
    """One WebSocket the app opened."""

    number: int
    ticket: str
    opened_at: float
    ws: ServerConnection = field(repr=False)
    retiring: bool = False  # sent `disconnect`: no new envelopes go out on it
    closed_at: float | None = None
    close_code: int | None = None  # the close code the app sent (1000 for a clean stop); None if the socket just died


class SocketModeLink:
    """The Socket Mode side of a stand-in: issues URLs, serves the WebSocket, sends envelopes, records acks."""

    def __init__(self, workspace: Workspace, *, app_token: str, app_id: str = "A0LEXER", host: str = "127.0.0.1"):
        self.workspace = workspace
        self.app_token = app_token
        self.app_id = app_id
        self._host = host
        self._lock = threading.Condition(threading.RLock())
        self._tickets: set[str] = set()
        self._numbers = itertools.count(1)
        self.connections: list[LinkConnection] = []
        self.envelopes: list[Envelope] = []
        self.acks: list[Ack] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ---- life -------------------------------------------------------------------------------------------

    def start(self) -> SocketModeLink:
        self._server = serve(self._serve_connection, self._host, 0, process_request=self._check_ticket)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"socket-mode-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # ---- apps.connections.open --------------------------------------------------------------------------

    def open_url(self, token: str | None) -> str:
        """apps.connections.open's answer for this token: a new single-use URL, or Slack's error."""
        if not token:
            raise ApiError("not_authed")
        if not token.startswith("xapp-"):
            raise ApiError("not_allowed_token_type")
        if token != self.app_token:
            raise ApiError("invalid_auth")
        ticket = uuid.uuid4().hex
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://{self._host}:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    def _check_ticket(self, connection: ServerConnection, request):
        ticket = (parse_qs(urlsplit(request.path).query).get("ticket") or [""])[0]
        with self._lock:
            if ticket in self._tickets:
                self._tickets.discard(ticket)  # single use: a reconnect needs a new apps.connections.open
                connection.ticket = ticket  # type: ignore[attr-defined]
                return None
        return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")

    # ---- one connection ---------------------------------------------------------------------------------

    def _serve_connection(self, ws: ServerConnection) -> None:
        # hello and joining the open connections are one step: an app that has its hello may be sent a disconnect
        # or an envelope at once (before, a disconnect right after hello could find no connection open)
        with self._lock:
            link = LinkConnection(next(self._numbers), ws.ticket, time.monotonic(), ws)  # type: ignore[attr-defined]
            open_count = sum(1 for c in self.connections if c.closed_at is None) + 1
            ws.send(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": open_count,
                        "debug_info": {
                            "host": "applink-standin",
                            "build_number": 1,
                            "approximate_connection_time": 18060,
                        },
                        "connection_info": {"app_id": self.app_id},
                    }
                )
            )
            self.connections.append(link)
            self._lock.notify_all()
        self._flush_held()
        try:
            for raw in ws:
                self._receive(link, raw)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                link.closed_at = time.monotonic()
                received = ws.protocol.close_rcvd
                link.close_code = received.code if received is not None else None
                self._lock.notify_all()

    def _receive(self, link: LinkConnection, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            logger.warning("socket mode: not JSON from the app on connection %s", link.number)
            return
        if not isinstance(message, dict) or not message.get("envelope_id"):
            return
        envelope_id = str(message["envelope_id"])
        with self._lock:
            sent = next((e for e in self.envelopes if e.envelope_id == envelope_id), None)
            latency = time.monotonic() - sent.sent_at if sent is not None and sent.sent_at is not None else None
            payload = message.get("payload")
            self.acks.append(Ack(envelope_id, latency, link.number, payload if isinstance(payload, dict) else None))
            self._lock.notify_all()

    # ---- sending ----------------------------------------------------------------------------------------

    def send_envelope(self, type: str, payload: dict, *, accepts_response_payload: bool = False) -> str:
        """Send an envelope on the newest open connection (held until one opens); returns its envelope_id."""
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {ENVELOPE_TYPES}")
        envelope = Envelope(str(uuid.uuid4()), type, payload, accepts_response_payload, time.monotonic())
        with self._lock:
            self.envelopes.append(envelope)
        self._flush_held()
        return envelope.envelope_id

    def send_slash_command(
        self, text: str, *, user_id: str, channel_id: str, command: str = "/lexer", response_key: str | None = None
    ) -> tuple[str, str]:
        """A slash command as Slack sends it in Socket Mode: (envelope_id, response_url)."""
        response_url = self.workspace.new_response_url(response_key)
        payload = {
            "token": "legacy-verification-token",
            "team_id": self.workspace.team_id,
            "team_domain": "standin",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{self.workspace.next_number()}.1.standin",
        }
        return self.send_envelope("slash_commands", payload, accepts_response_payload=True), response_url

    def send_interaction(self, payload: dict) -> str:
        """An interactive payload (block_actions, view_submission…) as it comes over the socket."""
        return self.send_envelope(
            "interactive", payload, accepts_response_payload=payload.get("type") != "block_actions"
        )

    def send_event(self, event: dict) -> str:
        """An Events API event, wrapped in its event_callback as Slack sends it."""
        payload = {
            "token": "legacy-verification-token",
            "team_id": self.workspace.team_id,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{self.workspace.next_number():08d}",
            "event_time": int(self.workspace.clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.workspace.team_id,
                    "user_id": self.workspace.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        return self.send_envelope("events_api", payload)

    def disconnect(self, reason: str = "refresh_requested", *, close_after: float | None = None) -> None:
        """Send `disconnect` on every open connection; new envelopes wait for the next one. Optionally close later."""
        if reason not in DISCONNECT_REASONS:
            raise ValueError(f"reason must be one of {DISCONNECT_REASONS}")
        message = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-standin"}})
        for link in self.open_connections():
            link.retiring = True
            try:
                link.ws.send(message)
            except ConnectionClosed:
                continue
            if close_after is not None:
                closer = threading.Timer(close_after, link.ws.close, kwargs={"code": 1001})
                closer.daemon = True  # as Slack closes a warned link later; never holds a test run open
                closer.start()

    def drop(self, *, abrupt: bool = False) -> None:
        """End every open connection: a close frame (1001, going away), or `abrupt`: the TCP socket just dies."""
        for link in self.open_connections():
            link.retiring = True
            if abrupt:
                try:
                    link.ws.socket.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            else:
                link.ws.close(code=1001, reason="going away")

    def _flush_held(self) -> None:
        """Send every envelope not yet sent, on the newest open, non-retiring connection."""
        with self._lock:
            target = next((c for c in reversed(self.connections) if c.closed_at is None and not c.retiring), None)
            if target is None:
                return
            held = [e for e in self.envelopes if e.sent_at is None]
            for envelope in held:
                try:
                    target.ws.send(json.dumps(envelope.wire()))
                except ConnectionClosed:
                    return  # held until the next connection opens
                envelope.sent_at, envelope.connection = time.monotonic(), target.number

    # ---- what happened ----------------------------------------------------------------------------------

    def open_connections(self) -> list[LinkConnection]:
        with self._lock:
            return [c for c in self.connections if c.closed_at is None]

    def acks_for(self, envelope_id: str) -> list[Ack]:
        with self._lock:
            return [a for a in self.acks if a.envelope_id == envelope_id]

    def unacked(self) -> list[Envelope]:
        """Envelopes sent (or held) with no ack at all."""
        with self._lock:
            acked = {a.envelope_id for a in self.acks}
            return [e for e in self.envelopes if e.envelope_id not in acked]

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        """The first ack of an envelope; AssertionError if none comes within `timeout`."""
        with self._lock:
            if not self._lock.wait_for(lambda: self.acks_for(envelope_id), timeout):
                raise AssertionError(f"envelope {envelope_id} not acked within {timeout}s")
            return self.acks_for(envelope_id)[0]

    def wait_connections(self, count: int, timeout: float = 10.0) -> list[LinkConnection]:
        """Wait until `count` connections have been opened in all; returns the open ones."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.connections) >= count, timeout):
                raise AssertionError(f"{len(self.connections)} connections opened, waited for {count}")
        return self.open_connections()

    def wait_closed(self, number: int, timeout: float = 10.0) -> LinkConnection:
        """Wait until connection `number` is closed; returns it."""
        with self._lock:
            link = next(c for c in self.connections if c.number == number)
            if not self._lock.wait_for(lambda: link.closed_at is not None, timeout):
                raise AssertionError(f"connection {number} still open after {timeout}s")
            return link
