"""The app's side of Slack: Events API deliveries over Socket Mode and HTTP, with Bolt
apps (slack_bolt) running unchanged against the twin, plus the wire details checked
with a raw WebSocket client and a raw HTTP receiver.

Control endpoints used: `GET|PUT universes/{u}/slack/app`, `POST universes/{u}/slack/
simulate/message|reaction`, `GET universes/{u}/slack/events`.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlparse

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from conftest import REPO_ROOT
from test_slack_support import expect_error, slack  # noqa: F401  (fixture)

WAIT_S = 10.0


def wait_for(what: str, check: Callable[[], Any], timeout: float = WAIT_S) -> Any:
    """Polls `check` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # slack_sdk's Socket Mode client tunnels through HTTP(S)_PROXY when one is set, and
    # every call here is to 127.0.0.1.
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)


class SlackControl:
    """The Slack control endpoints of one universe."""

    def __init__(self, control, universe: dict[str, Any]) -> None:
        self.control = control
        self.prefix = f"universes/{universe['id']}/slack/"

    def get(self, path: str, expect: int = 200) -> Any:
        resp = self.control.get(self.prefix + path)
        assert resp.status_code == expect, f"GET {path} -> {resp.status_code}: {resp.text}"
        return resp.json()

    def send(self, method: str, path: str, body: Any, expect: int) -> Any:
        resp = self.control.request(method, self.prefix + path, json=body, timeout=30)
        assert resp.status_code == expect, f"{method} {path} -> {resp.status_code}: {resp.text}"
        return resp.json()

    def say(self, user: str, channel: str, text: str, **extra: Any) -> dict[str, Any]:
        return self.send("POST", "simulate/message", {"user": user, "channel": channel, "text": text, **extra}, 201)

    def app(self, expect: int = 200, **settings: Any) -> Any:
        return self.send("PUT", "app", settings, expect)

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        events = self.get("events")["events"]
        return [e for e in events if kind is None or e["type"] == kind]


@pytest.fixture
def ctl(control, universe) -> SlackControl:
    return SlackControl(control, universe)


def history(client: WebClient, channel: str, limit: int = 10) -> list[dict[str, Any]]:
    return client.conversations_history(channel=channel, limit=limit)["messages"]


# --- a raw WebSocket client: the wire, frame by frame -----------------------------------


class RawSocket:
    """Just enough of RFC 6455 to see exactly what the server sends."""

    def __init__(self, url: str) -> None:
        p = urlparse(url)
        self.sock = socket.create_connection((p.hostname, p.port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET {p.path}?{p.query} HTTP/1.1\r\nHost: {p.hostname}:{p.port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            head += chunk
        head, _, self.buf = head.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1]) if head else 0
        self.head = head.decode(errors="replace")

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def frame(self, timeout: float = 5.0) -> tuple[int, bytes]:
        self.sock.settimeout(timeout)
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        return b0 & 0x0F, self._read(n)

    def message(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next JSON text message (`{"_close": True}` for a close frame)."""
        while True:
            opcode, data = self.frame(timeout)
            if opcode == 1:
                return json.loads(data)
            if opcode == 8:
                return {"_close": True}

    def send_json(self, obj: Any) -> None:
        self._send(1, json.dumps(obj).encode())

    def ping(self, data: bytes) -> bytes:
        self._send(9, data)
        while True:
            opcode, got = self.frame()
            if opcode == 10:
                return got

    def close(self) -> None:
        try:
            self._send(8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


def open_url(slack) -> str:
    return slack.app.apps_connections_open(app_token=slack.info["app_token"])["url"]


# --- a raw HTTP receiver: the Events API request URL --------------------------------------


def _json_or_none(raw: bytes) -> Any:
    # Events are JSON; slash commands and interactions are forms.
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


class Receiver:
    """A local request URL. Records every request; `answer(request)` gives
    (status, headers, body). By default it echoes url_verification challenges and
    answers 200 to everything else."""

    def __init__(self, answer: Callable[[dict[str, Any]], tuple[int, dict[str, str], bytes]] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer = answer or self.default
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                           "raw": raw, "json": _json_or_none(raw)}
                owner.requests.append(request)
                status, headers, body = owner.answer(request)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"

    @staticmethod
    def challenge(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes] | None:
        if request["json"] and request["json"].get("type") == "url_verification":
            return 200, {"Content-Type": "application/json"}, json.dumps({"challenge": request["json"]["challenge"]}).encode()
        return None

    def default(self, request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        return self.challenge(request) or (200, {}, b"")

    def callbacks(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["json"] and r["json"].get("type") == "event_callback"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(answer=None) -> Receiver:
        r = Receiver(answer)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def verified(request: dict[str, Any], secret: str) -> bool:
    return SignatureVerifier(secret).is_valid(
        body=request["raw"].decode(),
        timestamp=request["headers"]["x-slack-request-timestamp"],
        signature=request["headers"]["x-slack-signature"],
    )


# --- (a) Socket Mode with a Bolt app ------------------------------------------------------


def test_bolt_socket_mode_app_replies_to_a_person(slack, ctl):
    app = App(client=WebClient(token=slack.info["bot_token"], base_url=slack.info["base_url"]))
    seen: list[dict[str, Any]] = []

    @app.message("hello")
    def greet(message, say):
        seen.append(message)
        say(f"Hi <@{message['user']}>, nice to see you!")

    @app.event("app_mention")
    def mentioned(event, say):
        say(text="You rang?", thread_ts=event["ts"])

    handler = SocketModeHandler(app, slack.info["app_token"])
    handler.connect()
    try:
        wait_for("the socket to connect", lambda: ctl.get("app")["connections"] == 1)
        general = slack.channel("general")
        alice = slack.user_id("alice")
        said = ctl.say("alice", "general", "hello everyone")
        assert said["channel"] == general and said["message"]["user"] == alice

        reply = wait_for("the bot's reply", lambda: next(
            (m for m in history(slack.bot, general) if m.get("bot_id") and "nice to see you" in m["text"]), None))
        assert reply["text"] == f"Hi <@{alice}>, nice to see you!"
        assert reply["user"] == slack.bot_user
        assert seen[0]["ts"] == said["ts"] and seen[0]["channel_type"] == "channel"

        # A mention raises both a message and an app_mention; Bolt answers in the thread.
        asked = ctl.say("bob", "#general", f"<@{slack.bot_user}> status please")
        threaded = wait_for("the threaded answer", lambda: next(
            (m for m in slack.bot.conversations_replies(channel=general, ts=asked["ts"])["messages"]
             if m.get("bot_id")), None))
        assert threaded["text"] == "You rang?" and threaded["thread_ts"] == asked["ts"]
        # Bolt ignored its own posts: exactly one greeting, no loops.
        time.sleep(0.3)
        greetings = [m for m in history(slack.bot, general, 20) if "nice to see you" in m["text"]]
        assert len(greetings) == 1
        delivered = ctl.events()
        assert delivered and all(e["route"] == "socket_mode" for e in delivered)
        # Bolt acks what a listener handled; it leaves unhandled events (its own posts)
        # unacked, and those are redelivered, as on Slack.
        hello = next(e for e in delivered if e["payload"]["event"].get("text") == "hello everyone")
        wait_for("the ack", lambda: ctl.events()[delivered.index(hello)]["status"] == "delivered")
        assert ctl.events()[delivered.index(hello)]["attempts"] == 1
    finally:
        handler.close()


# --- Socket Mode on the wire --------------------------------------------------------------


def test_apps_connections_open_takes_app_tokens_only(slack, universe):
    expect_error("not_allowed_token_type", slack.bot.apps_connections_open, app_token=slack.info["bot_token"])
    expect_error("not_allowed_token_type", slack.user.apps_connections_open, app_token=slack.info["user_token"])
    expect_error("invalid_auth", slack.app.apps_connections_open, app_token="xapp-nope-123")
    url = open_url(slack)
    twin = urlparse(slack.info["base_url"])
    p = urlparse(url)
    assert (p.scheme, p.hostname, p.port) == ("ws", twin.hostname, twin.port)
    assert p.path == f"/u/{universe['id']}/link/"
    assert "ticket=" in p.query and f"app_id={slack.info['app_id']}" in p.query
    assert open_url(slack) != url


def test_hello_envelopes_acks_and_single_use_tickets(slack, ctl):
    url = open_url(slack)
    # Not a WebSocket handshake: refused, and the ticket is not used up.
    plain = requests.get(url.replace("ws://", "http://"), timeout=5)
    assert plain.status_code == 400
    ws = RawSocket(url)
    assert ws.status == 101, ws.head
    hello = ws.message()
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": slack.info["app_id"]}
    assert "approximate_connection_time" in hello["debug_info"]
    assert ws.ping(b"still there?") == b"still there?"
    again = RawSocket(url)
    assert again.status == 401, "a ticket is single-use"

    said = ctl.say("carol", "general", "ship it")
    envelope = ws.message()
    assert set(envelope) == {"envelope_id", "type", "payload", "accepts_response_payload", "retry_attempt", "retry_reason"}
    assert envelope["type"] == "events_api" and envelope["accepts_response_payload"] is False
    assert (envelope["retry_attempt"], envelope["retry_reason"]) == (0, "")
    payload = envelope["payload"]
    assert payload["type"] == "event_callback" and payload["api_app_id"] == slack.info["app_id"]
    assert payload["team_id"] == slack.info["team_id"] and payload["event_id"].startswith("Ev")
    assert payload["authorizations"][0]["user_id"] == slack.bot_user
    event = payload["event"]
    assert (event["type"], event["text"], event["ts"], event["channel"]) == ("message", "ship it", said["ts"], said["channel"])
    ws.send_json({"envelope_id": envelope["envelope_id"]})
    wait_for("the ack", lambda: ctl.events("message")[0]["status"] == "delivered")
    ws.close()


def test_unacked_envelopes_are_redelivered_up_to_three_times(slack, ctl):
    ctl.app(delivery={"ack_timeout_ms": 200})
    ws = RawSocket(open_url(slack))
    assert ws.message()["type"] == "hello"
    ctl.say("dave", "general", "anyone?")
    envelopes = [ws.message() for _ in range(4)]
    assert [e["retry_attempt"] for e in envelopes] == [0, 1, 2, 3]
    assert [e["retry_reason"] for e in envelopes] == ["", "timeout", "timeout", "timeout"]
    assert len({e["envelope_id"] for e in envelopes}) == 1
    assert len({e["payload"]["event_id"] for e in envelopes}) == 1
    wait_for("the event to fail", lambda: ctl.events("message")[0]["status"] == "failed")
    assert ctl.events("message")[0]["attempts"] == 4
    ws.close()


def test_connection_limit_and_spread(slack, ctl):
    sockets = [RawSocket(open_url(slack)) for _ in range(10)]
    counts = [s.message()["num_connections"] for s in sockets]
    assert counts == list(range(1, 11))
    extra = RawSocket(open_url(slack))
    assert extra.status == 101
    assert extra.message() == {"type": "disconnect", "reason": "too_many_websockets", "debug_info": {"host": "dtu-slack"}}
    for i in range(3):
        ctl.say("erin", "general", f"spread {i}")
    wait_for("three deliveries", lambda: sum(e["status"] == "in_flight" for e in ctl.events()) == 3)
    connections = {e["deliveries"][0]["connection"] for e in ctl.events()}
    assert len(connections) == 3, "each delivery goes to one connection, spread over them"
    for s in sockets:
        s.close()
    extra.close()
    wait_for("the sockets to close", lambda: ctl.get("app")["connections"] == 0)


def test_reset_and_delete_disconnect_sockets(slack, ctl, control, universe):
    ws = RawSocket(open_url(slack))
    assert ws.message()["type"] == "hello"
    ctl.say("alice", "general", "before the reset")
    assert ws.message()["type"] == "events_api"
    assert control.post(f"universes/{universe['id']}/reset").status_code == 200
    assert ws.message() == {"type": "disconnect", "reason": "link_disabled", "debug_info": {"host": "dtu-slack"}}
    assert ws.message() == {"_close": True}
    assert ctl.get("events")["events"] == [], "a reset empties the outbox"

    again = RawSocket(open_url(slack))
    assert again.message()["type"] == "hello"
    assert control.delete(f"universes/{universe['id']}").status_code == 204
    assert again.message()["reason"] == "link_disabled"


def test_events_wait_for_a_connection(slack, ctl):
    said = ctl.say("frank", "general", "anybody home?")
    assert ctl.events("message")[0]["status"] == "pending"
    ws = RawSocket(open_url(slack))
    assert ws.message()["type"] == "hello"
    envelope = ws.message()
    assert envelope["payload"]["event"]["ts"] == said["ts"]
    ws.close()


# --- what raises which event --------------------------------------------------------------


def test_web_api_changes_raise_the_vendor_events(slack, ctl):
    general = slack.channel("general")
    posted = slack.bot.chat_postMessage(channel=general, text="deploying")
    reply = slack.user.chat_postMessage(channel=general, text="thanks", thread_ts=posted["ts"])
    slack.user.chat_update(channel=general, ts=reply["ts"], text="thanks!")
    slack.user.reactions_add(channel=general, timestamp=posted["ts"], name="tada")
    slack.user.chat_delete(channel=general, ts=reply["ts"])
    created = slack.user.conversations_create(name="launch-room")["channel"]["id"]
    slack.user.conversations_invite(channel=created, users=slack.bot_user)
    engineering = slack.channel("engineering")  # the bot is not a member
    ctl.say("bob", "engineering", "not for the bot")

    events = [e["payload"]["event"] for e in ctl.events()]
    summary = [(e["type"], e.get("subtype")) for e in events]
    assert summary[:5] == [
        ("message", None),
        ("message", None),
        ("message", "message_changed"),
        ("reaction_added", None),
        ("message", "message_deleted"),
    ], summary
    bot_post, threaded, changed, reaction, deleted = events[:5]
    assert bot_post["bot_id"] and bot_post["user"] == slack.bot_user and bot_post["ts"] == posted["ts"]
    assert threaded["thread_ts"] == posted["ts"] and threaded["parent_user_id"] == slack.bot_user
    assert changed["message"]["text"] == "thanks!" and changed["previous_message"]["text"] == "thanks"
    assert reaction["item"] == {"type": "message", "channel": general, "ts": posted["ts"]}
    assert reaction["user"] == slack.alice and reaction["item_user"] == slack.bot_user
    assert deleted["deleted_ts"] == reply["ts"]
    later = events[5:]
    assert later[0]["type"] == "channel_created" and later[0]["channel"]["name"] == "launch-room"
    joined = [e for e in later if e["type"] == "member_joined_channel"]
    assert joined and joined[0]["user"] == slack.bot_user and joined[0]["channel"] == created
    assert joined[0]["inviter"] == slack.alice
    assert all(e.get("channel") != engineering for e in events), "the bot is not in #engineering"


def test_subscriptions_filter_events(slack, ctl):
    settings = ctl.app(event_types=["app_mention"])
    assert settings["event_types"] == ["app_mention"]
    ctl.say("alice", "general", "plain message")
    ctl.say("alice", "general", f"hey <@{slack.bot_user}>")
    assert [e["type"] for e in ctl.events()] == ["app_mention"]
    mention = ctl.events()[0]["payload"]["event"]
    assert mention["user"] == slack.alice and mention["text"] == f"hey <@{slack.bot_user}>"
    r = ctl.control.put(ctl.prefix + "app", json={"event_types": ["team_join"]})
    assert r.status_code == 400 and "team_join" in r.json()["error"]["message"]


def test_simulated_people_follow_membership_rules(slack, ctl):
    def refused(body: dict[str, Any]) -> str:
        r = ctl.control.post(ctl.prefix + "simulate/message", json=body)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "bad_request"
        return r.json()["error"]["message"]

    assert "not a member" in refused({"user": "alice", "channel": "engineering", "text": "hi"})
    assert "no user" in refused({"user": "nobody@acme.test", "channel": "general", "text": "hi"})
    assert "deactivated" in refused({"user": "victor", "channel": "general", "text": "hi"})
    assert "bot" in refused({"user": slack.bot_user, "channel": "general", "text": "hi"})
    assert "cannot see" in refused({"user": "alice", "channel": "no-such-channel", "text": "hi"})
    assert "text" in refused({"user": "alice", "channel": "general"})

    # by user id, person key or email; channel by id or name; threads; DMs
    by_email = ctl.say("carol@acme.test", slack.channel("engineering"), "by email")
    assert by_email["message"]["user"] == slack.user_id("carol")
    reply = ctl.say(slack.user_id("dave"), "engineering", "in thread", thread_ts=by_email["ts"])
    assert reply["message"]["thread_ts"] == by_email["ts"]
    dm = ctl.say("erin", f"@{slack.bot_user}", "a DM to the bot")
    assert dm["channel"].startswith("D")
    im = [e["payload"]["event"] for e in ctl.events("message")][-1]
    assert (im["channel_type"], im["channel"], im["text"]) == ("im", dm["channel"], "a DM to the bot")

    general = slack.channel("general")
    r = ctl.send("POST", "simulate/reaction", {"user": "alice", "channel": "general", "ts": reply["ts"], "name": "eyes"}, 400)
    assert "no message with that ts" in r["error"]["message"]
    said = ctl.say("alice", "general", "react to me")
    got = ctl.send("POST", "simulate/reaction", {"user": "bob", "channel": general, "ts": said["ts"], "name": "+1"}, 201)
    assert got["reactions"]["+1"]["users"] == [slack.user_id("bob")]
    added = ctl.events("reaction_added")[-1]["payload"]["event"]
    assert (added["reaction"], added["user"]) == ("+1", slack.user_id("bob"))
    ctl.send("POST", "simulate/reaction", {"user": "bob", "channel": general, "ts": said["ts"], "name": "+1", "remove": True}, 200)
    assert ctl.events("reaction_removed")[-1]["payload"]["event"]["reaction"] == "+1"


# --- (b) the Events API over HTTP ---------------------------------------------------------


def test_bolt_http_app_gets_signed_events(slack, ctl, receivers):
    secret = slack.info["signing_secret"]
    app = App(client=WebClient(token=slack.info["bot_token"], base_url=slack.info["base_url"]), signing_secret=secret)

    @app.message("hello")
    def greet(message, say):
        say(f"Hello over HTTP, <@{message['user']}>")

    def bolt(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        response = app.dispatch(BoltRequest(body=request["raw"].decode(), headers=request["headers"]))
        headers = {k: v[0] for k, v in response.headers.items() if v}
        return response.status, headers, (response.body or "").encode()

    receiver = receivers(bolt)
    settings = ctl.app(request_url=receiver.url, socket_mode=False)
    assert (settings["request_url"], settings["socket_mode"], settings["delivery_mode"]) == (receiver.url, False, "http")
    verification = receiver.requests[0]
    assert verification["json"]["type"] == "url_verification" and verification["json"]["challenge"]
    assert verified(verification, secret)

    general = slack.channel("general")
    ctl.say("grace", "general", "hello from HTTP")
    reply = wait_for("the bot's reply", lambda: next(
        (m for m in history(slack.bot, general) if m.get("bot_id") and "over HTTP" in m["text"]), None))
    assert reply["text"] == f"Hello over HTTP, <@{slack.user_id('grace')}>"
    request = receiver.callbacks()[0]
    headers = request["headers"]
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Slackbot 1.0 (+https://api.slack.com/robots)"
    assert verified(request, secret)
    assert abs(int(headers["x-slack-request-timestamp"]) - time.time()) < 60
    assert "x-slack-retry-num" not in headers
    body = request["json"]
    assert body["event"]["text"] == "hello from HTTP" and body["token"] == settings["verification_token"]
    wait_for("delivered", lambda: ctl.events("message")[0]["status"] == "delivered")

    # Socket Mode wins over a request URL when both are set.
    ctl.app(socket_mode=True)
    before = len(receiver.callbacks())
    ctl.say("grace", "general", "where does this go?")
    assert ctl.events()[-1]["route"] == "socket_mode"
    time.sleep(0.3)
    assert len(receiver.callbacks()) == before


def test_failed_deliveries_are_retried_three_times(slack, ctl, receivers):
    failing = receivers(lambda r: Receiver.challenge(r) or (500, {}, b"oops"))
    ctl.app(request_url=failing.url, socket_mode=False, delivery={"retry_delays_ms": [10, 10, 10]})
    ctl.say("alice", "general", "will this arrive?")
    wait_for("four attempts", lambda: len(failing.callbacks()) == 4)
    attempts = failing.callbacks()
    assert [r["headers"].get("x-slack-retry-num") for r in attempts] == [None, "1", "2", "3"]
    assert [r["headers"].get("x-slack-retry-reason") for r in attempts] == [None, "http_error", "http_error", "http_error"]
    assert len({r["json"]["event_id"] for r in attempts}) == 1
    assert all(verified(r, slack.info["signing_secret"]) for r in attempts)
    event = wait_for("the failure", lambda: next((e for e in ctl.events("message") if e["status"] == "failed"), None))
    assert event["attempts"] == 4 and "500" in event["error"]
    time.sleep(0.2)
    assert len(failing.callbacks()) == 4, "no fifth attempt"

    # X-Slack-No-Retry: 1 stops at once.
    refusing = receivers(lambda r: Receiver.challenge(r) or (500, {"X-Slack-No-Retry": "1"}, b""))
    ctl.app(request_url=refusing.url)
    ctl.say("alice", "general", "once only")
    wait_for("one attempt", lambda: refusing.callbacks())
    wait_for("the failure", lambda: ctl.events("message")[-1]["status"] == "failed")
    assert len(refusing.callbacks()) == 1

    # No answer within the timeout: http_timeout, then success on the retry.
    def slow_then_fast(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if Receiver.challenge(request):
            return Receiver.challenge(request)
        if len(slow.callbacks()) == 1:
            time.sleep(0.5)
        return 200, {}, b""

    slow = receivers(slow_then_fast)
    ctl.app(request_url=slow.url, delivery={"http_timeout_ms": 150, "retry_delays_ms": [10]})
    ctl.say("alice", "general", "slowly")
    wait_for("the retry", lambda: len(slow.callbacks()) == 2)
    assert slow.callbacks()[1]["headers"]["x-slack-retry-reason"] == "http_timeout"
    wait_for("delivered", lambda: ctl.events("message")[-1]["status"] == "delivered")


def test_request_urls_are_loopback_and_verified(ctl, receivers):
    def refused(url: str) -> str:
        r = ctl.control.put(ctl.prefix + "app", json={"request_url": url})
        assert r.status_code == 400, r.text
        return r.json()["error"]["message"]

    assert "loopback" in refused("http://example.com/slack/events")
    assert "loopback" in refused("http://10.1.2.3/slack/events")
    assert "TLS" in refused("https://127.0.0.1/slack/events")
    silent = receivers(lambda r: (200, {}, b"ok"))
    assert "challenge" in refused(silent.url)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    assert "url_verification failed" in refused(f"http://127.0.0.1:{port}/events")
    assert ctl.get("app")["request_url"] is None, "a URL that failed verification is not saved"

    good = receivers()
    assert ctl.app(request_url=good.url)["request_url"] == good.url
    assert ctl.app(request_url=None)["request_url"] is None
    r = ctl.control.put(ctl.prefix + "app", json={"nope": 1})
    assert r.status_code == 400


def test_app_settings_travel_with_snapshots_forks_and_exports(control, universe, ctl, receivers):
    good = receivers()
    ctl.app(request_url=good.url, socket_mode=False, event_types=["message"])
    u = universe["id"]
    fork = control.post("universes", json={"from": u, "id": f"{u}-fork"})
    assert fork.status_code == 201, fork.text
    try:
        forked = SlackControl(control, fork.json()).get("app")
        assert (forked["request_url"], forked["socket_mode"]) == (good.url, False)
        exported = control.get(f"universes/{u}/export").json()
        apps = exported["services"]["slack"]["apps"]
        assert list(apps.values())[0]["request_url"] == good.url
        assert fork.json()["slack"]["signing_secret"] == universe["slack"]["signing_secret"]
    finally:
        control.delete(f"universes/{u}-fork")
    assert control.post(f"universes/{u}/reset").status_code == 200
    assert ctl.get("app")["socket_mode"] is True, "a reset restores the fixture's settings"


def test_fixture_app_section(control):
    fixture = {
        "name": "with-app",
        "company": {"name": "Tiny", "domain": "tiny.test"},
        "people": [{"key": "ann", "first_name": "Ann", "last_name": "Ng", "email": "ann@tiny.test"}],
        "slack": {"app": {"request_url": "http://127.0.0.1:9/events", "socket_mode": False,
                          "signing_secret": "fixture-secret"}},
    }
    made = control.post("universes", json={"fixture": fixture})
    assert made.status_code == 201, made.text
    u = made.json()
    try:
        assert u["slack"]["signing_secret"] == "fixture-secret"
        assert u["slack"]["app_id"].startswith("A")
        got = SlackControl(control, u).get("app")
        assert (got["request_url"], got["socket_mode"], got["delivery_mode"]) == ("http://127.0.0.1:9/events", False, "http")
    finally:
        control.delete(f"universes/{u['id']}")
    fixture["slack"]["app"]["request_url"] = "http://example.com/events"
    bad = control.post("universes", json={"fixture": fixture})
    assert bad.status_code == 400 and "loopback" in bad.text


def test_manifest_and_defaults(slack, ctl):
    info = slack.info
    assert info["app_id"].startswith("A") and len(info["signing_secret"]) == 32
    app = ctl.get("app")
    assert app["app_id"] == info["app_id"] and app["signing_secret"] == info["signing_secret"]
    assert (app["socket_mode"], app["request_url"], app["delivery_mode"]) == (True, None, "socket_mode")
    assert "message.channels" in app["event_types"] and "app_mention" in app["event_types"]
    assert app["delivery"] == {"http_timeout_ms": 3000, "retry_delays_ms": [100, 250, 500], "ack_timeout_ms": 3000}


def test_slack_control_endpoints_match_the_openapi_document(dtu, control, universe, receivers):
    document = yaml.safe_load((REPO_ROOT / "openapi" / "dtu-control.yaml").read_text())
    document["servers"] = [{"url": dtu.control_url.rstrip("/")}]
    spec = OpenAPI.from_dict(document)
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = f"Bearer {dtu.admin_token}"
    base = f"universes/{universe['id']}/slack/"

    def call(method: str, path: str, body: Any = None, expect: int = 200) -> requests.Response:
        response = session.request(method, dtu.control_url + base + path, json=body, timeout=30)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        request = RequestsOpenAPIRequest(response.request)
        if expect < 400:
            spec.validate_request(request)
        spec.validate_response(request, RequestsOpenAPIResponse(response))
        return response

    call("GET", "app")
    good = receivers()
    call("PUT", "app", {"request_url": good.url, "socket_mode": False, "event_types": ["message", "app_mention"],
                        "delivery": {"http_timeout_ms": 1000, "retry_delays_ms": [0], "ack_timeout_ms": 500}})
    call("PUT", "app", {"request_url": "http://example.com/"}, expect=400)
    said = call("POST", "simulate/message", {"user": "alice", "channel": "general", "text": "hi"}, expect=201).json()
    call("POST", "simulate/message", {"user": "alice", "channel": "engineering", "text": "hi"}, expect=400)
    call("POST", "simulate/reaction", {"user": "bob", "channel": "general", "ts": said["ts"], "name": "wave"}, expect=201)
    call("POST", "simulate/reaction", {"user": "bob", "channel": "general", "ts": said["ts"], "name": "wave", "remove": True})
    call("POST", "simulate/slash_command", {"user": "alice", "channel": "general", "command": "/go", "text": "now"},
         expect=201)
    call("POST", "simulate/slash_command", {"user": "alice", "channel": "general", "command": "go"}, expect=400)
    call("POST", "simulate/block_action", {"user": "alice", "channel": "general", "message_ts": said["ts"],
                                            "action_id": "missing"}, expect=400)
    wait_for("deliveries", lambda: all(e["status"] == "delivered" for e in session.get(dtu.control_url + base + "events").json()["events"]))
    call("GET", "events")
    call("PUT", "app", {"request_url": None, "socket_mode": False})
    call("POST", "simulate/slash_command", {"user": "alice", "channel": "general", "command": "/go"}, expect=409)
