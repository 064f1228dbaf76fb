"""Distribution mode served on loopback: two Lexer sandbox tokens, the Slack stand-in issuing per-team tokens."""

from __future__ import annotations

import json
import re
import time
import urllib.parse

import pytest
from cryptography.fernet import Fernet

from bot.config import Settings
from bot.sandbox.server import serve_in_thread
from tests.conftest import ADMIN, SIGNING_SECRET, Bot, Served, wait_for

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret-do-not-leak-9876"
SECRET_KEY = Fernet.generate_key().decode()
LEXER_TOKEN_A = "lexer-token-alpha-AAAA-1111"
LEXER_TOKEN_B = "lexer-token-bravo-BBBB-2222"
TEAM_A, TEAM_B = "T0ALPHA", "T0BRAVO"
ADMIN_B = "UADMINB1"


@pytest.fixture
def lexer():
    from bot.sandbox.lexer_app import LexerSandbox

    app = LexerSandbox(export_polls=1, tokens=(LEXER_TOKEN_A, LEXER_TOKEN_B))
    handle = serve_in_thread(app)
    app.base_url = handle.url
    yield Served(app, handle.url)
    handle.stop()


@pytest.fixture
def dist_slack(slack):
    slack.app.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    slack.app.add_user(ADMIN_B, name="bea", real_name="Bea Admin", tz="Europe/London")
    return slack


@pytest.fixture
def dist_settings(lexer, dist_slack, tmp_path, database) -> Settings:
    return Settings(
        lexer_api_url=f"{lexer.url}/v1",
        lexer_status_url=f"{lexer.url}/api/public/v1/activity/reports/status",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=f"{dist_slack.url}/api/",
        db_path=database,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        secret_keys=(SECRET_KEY,),
    )


def state_cookie(page) -> str:
    return page.headers["set-cookie"].split(";")[0]


class DistBot(Bot):
    """The served bot in distribution mode, talked to as Slack and a browser do, per team."""

    def install(self, team_id: str, user_id: str) -> object:
        """The OAuth flow as a browser runs it: /slack/install, Slack's approval, the redirect back."""
        page = self.http.get(f"{self.url}/slack/install")
        assert page.status_code == 200, page.text
        state = re.search(r"state=([^&\"']+)", page.text).group(1)
        code = self.slack.app.authorize_install(team_id, user_id, team_name=f"Team {team_id}")
        return self.redirect(code, state, state_cookie(page))

    def redirect(self, code: str, state: str, cookie: str | None = None):
        """Slack's redirect back; the browser sends the state cookie (Secure, so httpx would not on http)."""
        headers = {"Cookie": cookie} if cookie else {}
        return self.http.get(f"{self.url}/slack/oauth_redirect", params={"code": code, "state": state}, headers=headers)

    def team_command(self, team_id: str, text: str, user_id: str, *, timeout: float = 15.0) -> dict:
        key = f"cmd-{time.monotonic_ns()}"
        response_url = self.slack.app.new_response_url(key)
        form = {
            "team_id": team_id,
            "channel_id": "C0GENERAL",
            "user_id": user_id,
            "command": "/lexer",
            "text": text,
            "api_app_id": "A0STANDIN",
            "response_url": response_url,
            "trigger_id": f"trig-{key}",
        }
        r = self.signed_post(urllib.parse.urlencode(form))
        assert r.status_code == 200, r.text
        return wait_for(lambda: (self.slack.app.responses(key) or [None])[-1], timeout=timeout)

    def submit_token(self, team_id: str, user_id: str, token: str):
        payload = {
            "type": "view_submission",
            "team": {"id": team_id, "domain": "x"},
            "user": {"id": user_id, "team_id": team_id},
            "api_app_id": "A0STANDIN",
            "view": {
                "id": "V0001",
                "team_id": team_id,
                "type": "modal",
                "callback_id": "lexer.connect",
                "state": {"values": {"token": {"token_input": {"type": "plain_text_input", "value": token}}}},
            },
        }
        return self.signed_post(urllib.parse.urlencode({"payload": json.dumps(payload)}))

    def team_event(self, team_id: str, event: dict):
        body = {
            "team_id": team_id,
            "api_app_id": "A0STANDIN",
            "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team_id, "enterprise_id": None, "is_enterprise_install": False}],
            "event": event,
        }
        return self.signed_post(json.dumps(body), content_type="application/json")


@pytest.fixture
def dist_bot(dist_settings, dist_slack):
    from bot.cli import build_served

    running, wsgi = build_served(dist_settings, scheduler=False)
    handle = serve_in_thread(wsgi)
    bot = DistBot(handle.url, running, dist_slack)
    yield bot
    running.stop()
    bot.http.close()
    handle.stop()


__all__ = ["ADMIN"]
