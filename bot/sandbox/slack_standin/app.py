"""SlackStandIn: the WSGI app that routes /api/, /upload/ and /response/ requests onto the workspace."""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from bot.sandbox.slack_standin.errors import ApiError
from bot.sandbox.slack_standin.faults import failure_answer
from bot.sandbox.slack_standin.methods import WEB_API_METHODS
from bot.sandbox.slack_standin.multipart import receive_file
from bot.sandbox.slack_standin.validation import MAX_MESSAGE_BLOCKS, check_content
from bot.sandbox.slack_standin.wire import (
    REDACTED,
    Answer,
    basic_auth,
    bearer,
    drain,
    json_answer,
    read_body,
    read_params,
    recorded_headers,
    text_answer,
)
from bot.sandbox.slack_standin.workspace import Call, Workspace

if TYPE_CHECKING:
    from bot.sandbox.slack_standin.socket_mode import SocketModeLink

logger = logging.getLogger(__name__)


class SlackStandIn(Workspace):
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
        super().__init__(
            team_id=team_id,
            bot_user_id=bot_user_id,
            base_url=base_url,
            keep_uploads_dir=keep_uploads_dir,
            clock=clock,
        )
        self._bot_token = bot_token
        self.on_event: Callable[[str, dict], None] | None = None
        self.socket_mode: SocketModeLink | None = None  # set by enable_socket_mode

    def enable_socket_mode(self, *, app_token: str = "xapp-test-token", app_id: str = "A0LEXER") -> SocketModeLink:
        """Serve Socket Mode: apps.connections.open with `app_token` hands out a loopback WebSocket URL."""
        # imported here: the WebSocket library is for tests; the demo's in-process stand-in never needs it
        from bot.sandbox.slack_standin.socket_mode import SocketModeLink

        self.socket_mode = SocketModeLink(self, app_token=app_token, app_id=app_id).start()
        return self.socket_mode

    def __repr__(self) -> str:
        return f"SlackStandIn(team_id={self.team_id!r}, base_url={self.base_url!r})"

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
                status, headers, body = text_answer(404, "not_found")
        except Exception:  # a bug here must show up as a 500, like a real server's, not kill the worker
            logger.exception("slack stand-in failed on %s", path)
            status, headers, body = json_answer(500, {"ok": False, "error": "internal_error"})
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    def _serve_api(self, environ: dict, method: str) -> Answer:
        try:
            params = read_params(environ)
        except ValueError:
            params, parse_error = {}, "invalid_form_data"
        else:
            parse_error = None
        token = bearer(environ) or params.get("token")
        if method == "oauth.v2.access":  # client credentials come as HTTP Basic auth
            params["_client_id"], params["_client_secret"] = basic_auth(environ)
        recorded = copy.deepcopy(
            {k: (REDACTED if k in ("token", "_client_secret", "code") else v) for k, v in params.items()}
        )
        params.pop("token", None)

        with self.lock:
            team_id = self.team_tokens.get(token or "")
            delay = self.slowness.get(method, 0.0)
        if delay > 0:
            time.sleep(delay)
        failure = self.take_failure(method)
        if failure is not None:
            status, headers, body, error = failure_answer(failure, as_json=True)
        else:
            try:
                if parse_error:
                    raise ApiError(parse_error)
                if method == "apps.connections.open":
                    answer = self._open_socket_connection(bearer(environ))
                else:
                    answer = self._call_method(method, token, team_id, params)
                error = None
            except ApiError as e:
                answer = {"ok": False, "error": e.error, **e.extra}
                if e.messages:
                    answer["response_metadata"] = {"messages": e.messages}
                error = e.error
            status, headers, body = json_answer(200, answer)
        self._record(method, recorded, environ, status, error, team_id)
        return status, headers, body

    def _call_method(self, method: str, token: str | None, team_id: str | None, params: dict) -> dict:
        """A Web API method on the bot token or a team's installed token (api.test and oauth.v2.access need none)."""
        handler = WEB_API_METHODS.get(method)
        if handler is None:
            raise ApiError("unknown_method")
        if method not in ("api.test", "oauth.v2.access"):
            if token and token.startswith("xapp-"):
                raise ApiError("not_allowed_token_type")  # an app-level token opens sockets and nothing else
            if not token:
                raise ApiError("not_authed")
            if token != self._bot_token and team_id is None:
                raise ApiError("invalid_auth")
        with self.lock:
            self.caller_team_id = team_id
            try:
                return {"ok": True, **handler(self, params)}
            finally:
                self.caller_team_id = None

    def _open_socket_connection(self, token: str | None) -> dict:
        """apps.connections.open: the app-level token in the Authorization header, as Slack requires."""
        if self.socket_mode is None:
            raise ApiError("invalid_auth" if token else "not_authed")
        return {"ok": True, "url": self.socket_mode.open_url(token)}

    def _record(
        self, method: str, params: dict, environ: dict, status: int, error: str | None, team_id: str | None = None
    ) -> None:
        call = Call(method, params, recorded_headers(environ), self.clock(), status, error, team_id)
        with self.lock:
            self.calls.append(call)
        hook = self.on_event
        if hook is not None:
            try:
                hook(method, copy.deepcopy(params))
            except Exception:  # the demo's printer must not break the fake Slack
                logger.exception("on_event hook failed for %s", method)

    # ---- upload URL and response URL ------------------------------------------------------------------

    def _serve_upload(self, environ: dict, file_id: str) -> Answer:
        failure = self.take_failure("upload")
        with self.lock:
            upload = next((u for u in self.uploads if u.file_id == file_id), None)
        if failure is not None:
            drain(environ)
            status, headers, body, error = failure_answer(failure, as_json=False)
            self._record("upload", {"file_id": file_id}, environ, status, error)
            return status, headers, body
        if upload is None or environ.get("REQUEST_METHOD") != "POST":
            drain(environ)
            self._record("upload", {"file_id": file_id}, environ, 404, "file_not_found")
            return text_answer(404, "file_not_found")
        size, digest, path = receive_file(environ, upload, self.keep_uploads_dir)
        with self.lock:
            upload.size, upload.sha256, upload.path = size, digest, path
        self._record("upload", {"file_id": file_id, "size": size, "sha256": digest}, environ, 200, None)
        return text_answer(200, f"OK - {size}")

    def _serve_response_url(self, environ: dict, key: str) -> Answer:
        failure = self.take_failure("response_url")
        try:
            raw = read_body(environ)
            body = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        recorded = body if isinstance(body, dict) else {"_raw": "(not a JSON object)"}
        if failure is not None:
            status, headers, answer, error = failure_answer(failure, as_json=False)
        else:
            status, error = self._accept_response(key, body)
            headers, answer = text_answer(status, error or "ok")[1:]
        self._record("response_url", recorded, environ, status, error)
        return status, headers, answer

    def _accept_response(self, key: str, body: Any) -> tuple[int, str | None]:
        with self.lock:
            if key not in self.response_keys:
                return 404, "expired_url"
        if not isinstance(body, dict):
            return 400, "invalid_payload"
        if not body.get("delete_original"):
            try:
                check_content(body, max_blocks=MAX_MESSAGE_BLOCKS)
            except ApiError as e:
                return 400, e.error
        with self.lock:
            self.response_bodies.append((key, copy.deepcopy(body)))
        return 200, None
