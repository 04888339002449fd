"""Event hooks: the `okta` SDK creates and verifies a hook (Okta's one-time challenge
GET to a loopback receiver in this test), then a user created through the SDK reaches
the receiver as `user.lifecycle.create` in Okta's event hook body, with the configured
auth header; a failed first delivery is retried once."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from okta import models

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    api_error,
    conforms,
    okta,
    raw,
    unwrap,
)


class Receiver(BaseHTTPRequestHandler):
    gets: list = []
    posts: list = []
    fail_next = 0

    def do_GET(self):  # noqa: N802
        challenge = self.headers.get("x-okta-verification-challenge", "")
        type(self).gets.append({k.lower(): v for k, v in self.headers.items()})
        self._answer(200, {"verification": challenge})

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
        if type(self).fail_next > 0:
            type(self).fail_next -= 1
            self._answer(500, {})
        else:
            self._answer(200, {})

    def _answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def start_receiver() -> HTTPServer:
    Receiver.gets, Receiver.posts, Receiver.fail_next = [], [], 0
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wait_for(predicate, seconds: float = 5.0) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def hook_body(port: int, events=("user.lifecycle.create",)) -> dict:
    return {
        "name": "User watcher",
        "events": {"type": "EVENT_TYPE", "items": list(events)},
        "channel": {"type": "HTTP", "version": "1.0.0", "config": {
            "uri": f"http://127.0.0.1:{port}/okta-events",
            "headers": [{"key": "X-Source", "value": "twin-test"}],
            "authScheme": {"type": "HEADER", "key": "Authorization", "value": "hook-secret"},
        }},
    }


async def create_user(okta, login: str):  # noqa: F811
    return unwrap(await okta.create_user(models.CreateUserRequest.from_dict({
        "profile": {"firstName": "Hook", "lastName": "Test", "email": login, "login": login}}), activate=False))


async def test_verified_hook_receives_user_creation(okta, universe):  # noqa: F811
    receiver = start_receiver()
    try:
        hook = unwrap(await okta.create_event_hook(models.EventHook.from_dict(hook_body(receiver.server_port))))
        assert hook.status == "ACTIVE" and hook.verification_status == "UNVERIFIED"
        conforms(raw(universe, "GET", f"/api/v1/eventHooks/{hook.id}").json(), "EventHook")

        # unverified: nothing is delivered
        await create_user(okta, "early.bird@acme.test")
        time.sleep(0.5)
        assert Receiver.posts == []

        verified = unwrap(await okta.verify_event_hook(hook.id))
        assert verified.verification_status == "VERIFIED"
        assert Receiver.gets and Receiver.gets[0]["x-okta-verification-challenge"]

        user = await create_user(okta, "hooked.user@acme.test")
        assert wait_for(lambda: len(Receiver.posts) >= 1), "no delivery"
        headers, body = Receiver.posts[0]
        assert headers["authorization"] == "hook-secret" and headers["x-source"] == "twin-test"
        assert body["eventType"] == "com.okta.event_hook" and body["cloudEventsVersion"] == "0.1"
        assert body["eventTypeVersion"] == "1.0" and body["contentType"] == "application/json"
        assert body["source"].endswith(f"/api/v1/eventHooks/{hook.id}") and body["eventId"] and body["eventTime"]
        events = body["data"]["events"]
        assert [e["eventType"] for e in events] == ["user.lifecycle.create"]
        assert events[0]["target"][0]["id"] == user.id
        # the event is the System Log's own record (the vendor schema is not nullable
        # where Okta's events carry nulls, so compare with the log instead)
        logged = raw(universe, "GET", "/api/v1/logs", params={"filter": 'eventType eq "user.lifecycle.create"'}).json()
        assert events[0] in logged

        # deactivated: no more deliveries; an active hook cannot be deleted
        void = await okta.delete_event_hook(hook.id)
        assert void[-1] is not None
        assert unwrap(await okta.deactivate_event_hook(hook.id)).status == "INACTIVE"
        await create_user(okta, "after.hours@acme.test")
        time.sleep(0.5)
        assert len(Receiver.posts) == 1
        assert (await okta.delete_event_hook(hook.id))[-1] is None
        api_error(await okta.get_event_hook(hook.id), 404, "E0000007")
    finally:
        receiver.shutdown()
        receiver.server_close()


async def test_failed_delivery_is_retried_once(okta, universe):  # noqa: F811
    receiver = start_receiver()
    try:
        hook = unwrap(await okta.create_event_hook(models.EventHook.from_dict(hook_body(receiver.server_port))))
        unwrap(await okta.verify_event_hook(hook.id))
        Receiver.fail_next = 1
        await create_user(okta, "retry.me@acme.test")
        assert wait_for(lambda: len(Receiver.posts) >= 2), f"{len(Receiver.posts)} deliveries"
        first, second = Receiver.posts[0][1], Receiver.posts[1][1]
        assert first["eventId"] == second["eventId"]
        time.sleep(0.8)
        assert len(Receiver.posts) == 2  # once more only
    finally:
        receiver.shutdown()
        receiver.server_close()


async def test_hook_validation_and_failed_verification(okta, universe):  # noqa: F811
    outside = raw(universe, "POST", "/api/v1/eventHooks", json=hook_body(80) | {"channel": {
        "type": "HTTP", "version": "1.0.0", "config": {"uri": "https://hooks.example.com/okta"}}})
    assert outside.status_code == 400 and outside.json()["errorCode"] == "E0000001"
    unknown = raw(universe, "POST", "/api/v1/eventHooks", json=hook_body(80, events=("no.such.event",)))
    assert unknown.status_code == 400 and unknown.json()["errorCauses"]
    # nothing listens on the port: verification fails, the hook stays unverified
    dead = start_receiver()
    port = dead.server_port
    dead.server_close()
    hook = unwrap(await okta.create_event_hook(models.EventHook.from_dict(hook_body(port))))
    failed = await okta.verify_event_hook(hook.id)
    assert failed[-1] is not None
    assert unwrap(await okta.get_event_hook(hook.id)).verification_status == "UNVERIFIED"
    assert raw(universe, "PUT", "/api/v1/eventHooks/whoNOPE", json=hook_body(port)).json()["errorCode"] == "E0000007"
