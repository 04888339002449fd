"""Slash commands and interactivity, end to end with slack_bolt: a simulated person runs
the app's command or clicks a button in its message (`POST universes/{u}/slack/simulate/
slash_command|block_action`); the app gets them over Socket Mode or HTTP as Slack sends
them, acks, and answers through `respond()` (the `response_url`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import requests
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from test_slack_events import _no_proxy, ctl, history, receivers, verified, wait_for  # noqa: F401  (fixtures)
from test_slack_support import slack  # noqa: F401  (fixture)

DEPLOY_BLOCKS = [
    {"type": "section", "block_id": "ask", "text": {"type": "mrkdwn", "text": "Deploy?"}},
    {"type": "actions", "block_id": "choices", "elements": [
        {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"}, "value": "yes"},
        {"type": "button", "action_id": "reject", "text": {"type": "plain_text", "text": "Reject"}, "value": "no"},
    ]},
]


def deploy_app(slack, **kwargs: Any) -> tuple[App, list[dict[str, Any]], list[dict[str, Any]]]:
    """A Bolt app with a /deploy command (acked with text, then asks in the channel with
    buttons) and an `approve` action (replaces the question with the answer)."""
    app = App(client=WebClient(token=slack.info["bot_token"], base_url=slack.info["base_url"]), **kwargs)
    commands: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []

    @app.command("/deploy")
    def deploy(ack, command, respond):
        commands.append(command)
        ack(f"Deploying {command['text']}")
        respond(response_type="in_channel", text=f"Deploy {command['text']}?", blocks=DEPLOY_BLOCKS)

    @app.action("approve")
    def approve(ack, body, respond):
        actions.append(body)
        ack()
        respond(replace_original=True, text=f"Approved by <@{body['user']['id']}>")

    return app, commands, actions


def test_bolt_socket_mode_command_and_button(slack, ctl):
    app, commands, actions = deploy_app(slack)
    handler = SocketModeHandler(app, slack.info["app_token"])
    handler.connect()
    try:
        wait_for("the socket to connect", lambda: ctl.get("app")["connections"] == 1)
        general, alice = slack.channel("general"), slack.user_id("alice")
        ran = ctl.send("POST", "simulate/slash_command",
                       {"user": "alice", "channel": "#general", "command": "/deploy", "text": "api v2"}, 201)
        assert ran["route"] == "socket_mode" and ran["trigger_id"].count(".") == 2
        assert "/response/v1/" in ran["response_url"]

        question = wait_for("the question in the channel", lambda: next(
            (m for m in history(slack.bot, general) if m.get("text") == "Deploy api v2?"), None))
        assert question["user"] == slack.bot_user and question["blocks"][1]["block_id"] == "choices"
        command = commands[0]
        assert (command["command"], command["text"], command["user_id"], command["channel_id"]) == (
            "/deploy", "api v2", alice, general)
        assert command["channel_name"] == "general" and command["team_id"] == slack.bot.auth_test()["team_id"]
        entry = wait_for("the ack", lambda: next(
            (e for e in ctl.events("slash_command") if e["status"] == "delivered"), None))
        assert entry["envelope_id"] == ran["envelope_id"] and entry["attempts"] == 1
        assert entry["deliveries"][-1]["response"] == {"text": "Deploying api v2"}

        clicked = ctl.send("POST", "simulate/block_action", {
            "user": "bob", "channel": "general", "message_ts": question["ts"], "action_id": "approve"}, 201)
        bob = slack.user_id("bob")
        answered = wait_for("the replaced question", lambda: next(
            (m for m in history(slack.bot, general) if m["ts"] == question["ts"] and m["text"].startswith("Approved")),
            None))
        assert answered["text"] == f"Approved by <@{bob}>" and "edited" in answered
        body = actions[0]
        assert body["type"] == "block_actions" and body["trigger_id"] == clicked["trigger_id"]
        assert body["container"] == {"type": "message", "message_ts": question["ts"], "channel_id": general,
                                     "is_ephemeral": False}
        action = body["actions"][0]
        assert (action["action_id"], action["block_id"], action["type"], action["value"]) == (
            "approve", "choices", "button", "yes")
        assert body["message"]["ts"] == question["ts"] and body["user"]["id"] == bob
        wait_for("the action's ack", lambda: next(
            (e for e in ctl.events("block_actions") if e["status"] == "delivered"), None))
    finally:
        handler.close()


def test_response_urls_answer_like_slack_webhooks(slack, ctl):
    # No app listening to the command: the URL still works, 5 times, as on Slack.
    ran = ctl.send("POST", "simulate/slash_command", {"user": "carol", "channel": "general", "command": "/deploy"}, 201)
    url, general = ran["response_url"], slack.channel("general")
    private = requests.post(url, json={"text": "only you can see this"}, timeout=10)
    assert (private.status_code, private.text) == (200, "ok")
    assert not any(m.get("text") == "only you can see this" for m in history(slack.bot, general))
    public = requests.post(url, json={"text": "for everyone", "response_type": "in_channel"}, timeout=10)
    assert (public.status_code, public.text) == (200, "ok")
    posted = next(m for m in history(slack.bot, general) if m.get("text") == "for everyone")
    assert posted["user"] == slack.bot_user
    empty = requests.post(url, json={"response_type": "in_channel"}, timeout=10)
    assert (empty.status_code, empty.text) == (400, "no_text")
    for _ in range(2):
        assert requests.post(url, json={"text": "again"}, timeout=10).text == "ok"
    used = requests.post(url, json={"text": "one too many"}, timeout=10)
    assert (used.status_code, used.text) == (404, "used_url")
    unknown = requests.post(url.rsplit("/", 1)[0] + "/nope", json={"text": "x"}, timeout=10)
    assert (unknown.status_code, unknown.text) == (404, "expired_url")


def test_bolt_http_app_gets_signed_forms(slack, ctl, receivers):
    secret = slack.info["signing_secret"]
    app, commands, actions = deploy_app(slack, signing_secret=secret)

    def bolt(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if request["json"] and request["json"].get("type") == "url_verification":
            return 200, {"Content-Type": "application/json"}, b'{"challenge": "%s"}' % request["json"]["challenge"].encode()
        response = app.dispatch(BoltRequest(body=request["raw"].decode(), headers=request["headers"]))
        headers = {k: v[0] for k, v in response.headers.items() if v}
        return response.status, headers, (response.body or "").encode()

    receiver = receivers(bolt)
    ctl.app(request_url=receiver.url, socket_mode=False)
    general = slack.channel("general")
    ran = ctl.send("POST", "simulate/slash_command",
                   {"user": "dave", "channel": "general", "command": "/deploy", "text": "web"}, 201)
    assert ran["route"] == "http"
    question = wait_for("the question", lambda: next(
        (m for m in history(slack.bot, general) if m.get("text") == "Deploy web?"), None))
    form = next(r for r in receiver.requests if r["json"] is None and b"command=" in r["raw"])
    assert form["headers"]["content-type"] == "application/x-www-form-urlencoded" and verified(form, secret)
    fields = {k: v[0] for k, v in parse_qs(form["raw"].decode()).items()}
    assert (fields["command"], fields["text"], fields["response_url"]) == ("/deploy", "web", ran["response_url"])
    entry = wait_for("the answer", lambda: next(
        (e for e in ctl.events("slash_command") if e["status"] == "delivered"), None))
    # Bolt answers a text ack over HTTP as text/plain; Slack shows it to the person.
    assert entry["route"] == "http" and entry["deliveries"][-1]["response"] == "Deploying web"

    ctl.send("POST", "simulate/block_action",
             {"user": "dave", "channel": "general", "message_ts": question["ts"], "action_id": "approve"}, 201)
    wait_for("the replaced question", lambda: next(
        (m for m in history(slack.bot, general) if m["ts"] == question["ts"] and m["text"].startswith("Approved")),
        None))
    click = next(r for r in receiver.requests if r["raw"].startswith(b"payload="))
    assert verified(click, secret) and commands and actions


def test_interaction_input_is_checked(slack, ctl):
    bad = [
        ({"user": "alice", "channel": "general", "command": "deploy"}, 400),
        ({"user": "alice", "channel": "general", "command": "/"}, 400),
        ({"user": "nobody", "channel": "general", "command": "/deploy"}, 400),
        ({"user": "alice", "channel": "no-such-channel", "command": "/deploy"}, 400),
        ({"user": "alice", "channel": "general", "command": "/deploy", "extra": 1}, 400),
    ]
    for body, status in bad:
        ctl.send("POST", "simulate/slash_command", body, status)
    general = slack.channel("general")
    posted = slack.bot.chat_postMessage(channel=general, text="Deploy?", blocks=DEPLOY_BLOCKS)
    ctl.send("POST", "simulate/block_action",
             {"user": "alice", "channel": "general", "message_ts": posted["ts"], "action_id": "nope"}, 400)
    ctl.send("POST", "simulate/block_action",
             {"user": "alice", "channel": "general", "message_ts": "1.000001", "action_id": "approve"}, 400)
    ctl.app(socket_mode=False, request_url=None)
    ctl.send("POST", "simulate/slash_command", {"user": "alice", "channel": "general", "command": "/deploy"}, 409)
