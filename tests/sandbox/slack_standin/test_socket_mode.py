"""The stand-in's Socket Mode, driven by slack_sdk's own SocketModeClient: URLs, hello, envelopes, acks, reconnects."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.conftest import wait_for
from tests.sandbox.slack_standin.conftest import TOKEN, error_of

APP_TOKEN = "xapp-1-A0LEXER-test"


@pytest.fixture
def link(slack):
    link = slack.enable_socket_mode(app_token=APP_TOKEN)
    yield link
    link.stop()
    slack.socket_mode = None


@pytest.fixture
def sdk_client(url, link):
    """slack_sdk's built-in client, acking every request (with a payload for slash commands)."""
    client = SocketModeClient(app_token=APP_TOKEN, web_client=WebClient(base_url=url + "/api/", token=TOKEN))
    received: list = []

    def on_request(client, request):
        received.append(request)
        payload = {"text": "got it"} if request.type == "slash_commands" else None
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id, payload=payload))

    client.socket_mode_request_listeners.append(on_request)
    client.received = received
    client.connect()
    yield client
    client.close()


def test_connections_open_hands_out_a_loopback_websocket_url(url, link, slack):
    answer = WebClient(base_url=url + "/api/").apps_connections_open(app_token=APP_TOKEN)
    assert answer["url"].startswith(f"ws://127.0.0.1:{link.port}/link/?ticket=")
    assert "app_id=A0LEXER" in answer["url"]
    [call] = slack.calls_to("apps.connections.open")
    assert APP_TOKEN not in repr(call)


@pytest.mark.parametrize(
    "token, error",
    [("xapp-1-wrong", "invalid_auth"), (TOKEN, "not_allowed_token_type"), (None, "not_authed")],
)
def test_connections_open_wants_the_app_token(url, link, token, error):
    client = WebClient(base_url=url + "/api/")
    if token is None:
        answer = httpx.post(url + "/api/apps.connections.open").json()
        assert answer == {"ok": False, "error": error}
    else:
        assert error_of(lambda: client.apps_connections_open(app_token=token)).response["error"] == error


def test_the_app_token_opens_sockets_and_nothing_else(url, link):
    client = WebClient(base_url=url + "/api/", token=APP_TOKEN)
    assert error_of(lambda: client.chat_postMessage(channel="CSUPPORT", text="hi")).response["error"] == (
        "not_allowed_token_type"
    )


def test_hello_first_then_envelopes_and_acks_with_latency(url, link):
    ws_url = WebClient(base_url=url + "/api/").apps_connections_open(app_token=APP_TOKEN)["url"]
    with connect(ws_url) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": "A0LEXER"}
        assert hello["num_connections"] == 1
        envelope_id, response_url = link.send_slash_command("help", user_id="UALICE", channel_id="CSUPPORT")
        envelope = json.loads(ws.recv(timeout=5))
        assert envelope["envelope_id"] == envelope_id and envelope["type"] == "slash_commands"
        assert envelope["accepts_response_payload"] is True
        assert envelope["payload"]["text"] == "help" and envelope["payload"]["response_url"] == response_url
        ws.send(json.dumps({"envelope_id": envelope_id, "payload": {"text": "ok"}}))
        ack = link.wait_ack(envelope_id)
    assert ack.payload == {"text": "ok"} and ack.connection == 1 and 0 <= ack.latency < 3 and not ack.late
    assert link.unacked() == []


def test_a_ticket_is_used_once(url, link):
    ws_url = WebClient(base_url=url + "/api/").apps_connections_open(app_token=APP_TOKEN)["url"]
    with connect(ws_url) as ws:
        ws.recv(timeout=5)
    with pytest.raises(InvalidStatus):
        connect(ws_url)


def test_an_unacked_envelope_is_reported(url, link):
    ws_url = WebClient(base_url=url + "/api/").apps_connections_open(app_token=APP_TOKEN)["url"]
    with connect(ws_url) as ws:
        ws.recv(timeout=5)
        envelope_id = link.send_event({"type": "app_home_opened", "user": "UALICE", "tab": "home"})
        envelope = json.loads(ws.recv(timeout=5))
    assert envelope["payload"]["type"] == "event_callback" and envelope["retry_attempt"] == 0
    assert [e.envelope_id for e in link.unacked()] == [envelope_id]


def test_envelopes_wait_for_a_connection(url, link):
    envelope_id = link.send_interaction({"type": "block_actions", "actions": []})
    ws_url = WebClient(base_url=url + "/api/").apps_connections_open(app_token=APP_TOKEN)["url"]
    with connect(ws_url) as ws:
        ws.recv(timeout=5)  # hello
        envelope = json.loads(ws.recv(timeout=5))
    assert envelope["envelope_id"] == envelope_id and envelope["accepts_response_payload"] is False


def test_slack_sdk_client_acks_every_kind(sdk_client, link):
    ids = [
        link.send_slash_command("team", user_id="UALICE", channel_id="CSUPPORT")[0],
        link.send_interaction({"type": "block_actions", "actions": []}),
        link.send_event({"type": "app_home_opened", "user": "UALICE", "tab": "home"}),
    ]
    acks = [link.wait_ack(i) for i in ids]
    assert acks[0].payload == {"text": "got it"}
    # slack-sdk hands each envelope to its own thread, so they may reach the app in any order (as from Slack)
    assert sorted(r.type for r in sdk_client.received) == ["events_api", "interactive", "slash_commands"]


@pytest.mark.parametrize("reason", ["warning", "refresh_requested"])
def test_disconnect_makes_the_sdk_reconnect_through_a_new_url(sdk_client, link, slack, reason):
    link.wait_connections(1)
    link.disconnect(reason)
    link.wait_connections(2)
    wait_for(lambda: link.wait_closed(1).closed_at, timeout=10)  # the client closes the old one itself
    assert len(slack.calls_to("apps.connections.open")) == 2
    envelope_id = link.send_interaction({"type": "block_actions", "actions": []})
    assert link.wait_ack(envelope_id).connection == 2


def test_a_dropped_socket_is_reconnected(sdk_client, link, slack):
    link.wait_connections(1)
    link.drop()
    link.wait_connections(2)
    envelope_id = link.send_interaction({"type": "block_actions", "actions": []})
    assert link.wait_ack(envelope_id).connection == 2
    assert len(slack.calls_to("apps.connections.open")) == 2


def test_envelopes_sent_during_a_reconnect_are_delivered_once(sdk_client, link):
    link.wait_connections(1)
    sent: list[str] = []
    sender = threading.Thread(
        target=lambda: sent.extend(link.send_interaction({"type": "block_actions", "n": n}) for n in range(20))
    )
    sender.start()
    link.disconnect("refresh_requested")
    sender.join()
    wait_for(lambda: all(link.acks_for(e) for e in sent), timeout=15)
    assert sorted(r.payload["n"] for r in sdk_client.received) == list(range(20))


def test_a_warned_link_is_closed_by_the_server_later(url, link):
    ws_url = WebClient(base_url=url + "/api/").apps_connections_open(app_token=APP_TOKEN)["url"]
    with connect(ws_url) as ws:
        ws.recv(timeout=5)
        link.disconnect("warning", close_after=0.2)
        assert json.loads(ws.recv(timeout=5)) == {
            "type": "disconnect",
            "reason": "warning",
            "debug_info": {"host": "applink-standin"},
        }
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    assert link.wait_closed(1).closed_at is not None


def test_a_link_is_open_as_soon_as_its_hello_arrives(url, link):
    """CI saw a disconnect sent right after hello go nowhere: the link joined the open ones only after hello."""
    for number in range(1, 21):
        ws_url = WebClient(base_url=url + "/api/").apps_connections_open(app_token=APP_TOKEN)["url"]
        with connect(ws_url) as ws:
            ws.recv(timeout=5)
            assert len(link.open_connections()) == 1
        link.wait_closed(number)


def test_disconnect_reasons_are_slacks(link):
    with pytest.raises(ValueError):
        link.disconnect("bored")
