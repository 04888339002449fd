"""Modals and App Home, end to end with slack_bolt: a simulated person runs the app's
shortcuts, submits or closes its modals, types in an external select and opens its App
Home (`POST universes/{u}/slack/simulate/shortcut|view_submission|view_closed|
block_suggestion|app_home_opened`). The app gets the payloads over Socket Mode or HTTP as
Slack sends them; its ack's `response_action` decides what the person sees next, which
the simulation answers."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from test_slack_events import _no_proxy, ctl, receivers, verified, wait_for  # noqa: F401  (fixtures)
from test_slack_support import advance_clock, expect_error, slack  # noqa: F401  (fixture)


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


TICKET = {
    "type": "modal",
    "callback_id": "ticket",
    "title": plain("New ticket"),
    "submit": plain("File"),
    "close": plain("Cancel"),
    "private_metadata": "from-test",
    "notify_on_close": True,
    "blocks": [
        {"type": "input", "block_id": "title", "label": plain("Title"),
         "element": {"type": "plain_text_input", "action_id": "t"}},
        {"type": "input", "block_id": "prio", "label": plain("Priority"),
         "element": {"type": "static_select", "action_id": "p",
                     "options": [option("High", "high"), option("Low", "low")]}},
        {"type": "input", "block_id": "owner", "label": plain("Owner"), "optional": True,
         "element": {"type": "users_select", "action_id": "u"}},
        {"type": "input", "block_id": "tags", "label": plain("Tags"), "optional": True,
         "element": {"type": "checkboxes", "action_id": "c", "options": [option("Bug", "bug"), option("UI", "ui")]}},
        {"type": "input", "block_id": "due", "label": plain("Due"), "optional": True,
         "element": {"type": "datepicker", "action_id": "d"}},
        {"type": "input", "block_id": "team", "label": plain("Team"), "optional": True,
         "element": {"type": "external_select", "action_id": "team_pick", "min_query_length": 2}},
        {"type": "input", "block_id": "announce", "label": plain("Announce in"), "optional": True,
         "element": {"type": "conversations_select", "action_id": "where", "response_url_enabled": True}},
    ],
}

DETAILS = {"type": "modal", "callback_id": "details", "title": plain("Details"), "submit": plain("Save"),
           "notify_on_close": True,
           "blocks": [{"type": "input", "block_id": "note", "label": plain("Note"),
                       "element": {"type": "plain_text_input", "action_id": "n", "multiline": True}}]}

DONE = {"type": "modal", "callback_id": "done", "title": plain("Saved"), "close": plain("OK"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "All set"}}]}

HOME = {"type": "home", "callback_id": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}]}


def modal_app(slack, **kwargs: Any) -> tuple[App, dict[str, list[Any]]]:
    """A Bolt app whose shortcuts open the ticket modal, whose submissions answer with a
    `response_action` chosen by the title typed, and which lists teams on demand."""
    app = App(client=WebClient(token=slack.info["bot_token"], base_url=slack.info["base_url"]), **kwargs)
    seen: dict[str, list[Any]] = {k: [] for k in ("shortcuts", "opened", "submitted", "closed", "suggest", "home")}

    def open_ticket(ack, body, client, metadata: str = "from-test"):
        ack()
        seen["shortcuts"].append(body)
        opened = client.views_open(trigger_id=body["trigger_id"], view={**TICKET, "private_metadata": metadata})
        seen["opened"].append(opened["view"])

    @app.shortcut("new_ticket")
    def global_shortcut(ack, body, client):
        open_ticket(ack, body, client)

    @app.shortcut("file_message")
    def message_shortcut(ack, body, client):
        open_ticket(ack, body, client, metadata=f"{body['channel']['id']}:{body['message_ts']}")

    @app.view("ticket")
    def ticket_submitted(ack, body, view, respond):
        seen["submitted"].append(body)
        title = view["state"]["values"]["title"]["t"]["value"]
        if title == "vague":
            ack(response_action="errors", errors={"title": "Say what broke"})
        elif title == "more":
            ack(response_action="push", view=DETAILS)
        elif title == "all":
            ack(response_action="clear")
        elif title == "swap":
            ack(response_action="update", view=DONE)
        else:
            ack()
            if body["response_urls"]:
                respond(text=f"Filed: {title}", response_type="in_channel")

    @app.view("details")
    def details_submitted(ack, body):
        seen["submitted"].append(body)
        ack(response_action="update", view={**DONE, "notify_on_close": True})

    @app.view_closed("done")
    def done_closed(ack, body):
        seen["closed"].append(body)
        ack()

    @app.view_closed("ticket")
    def ticket_closed(ack, body):
        seen["closed"].append(body)
        ack()

    @app.options("team_pick")
    def teams(ack, body):
        seen["suggest"].append(body)
        typed = body["value"]
        ack(options=[option(name, name.lower()) for name in ("Platform", "Payments", "Web") if typed.lower() in name.lower()])

    @app.event("app_home_opened")
    def home_opened(event, client):
        seen["home"].append(event)
        if event["tab"] == "home" and "view" not in event:
            client.views_publish(user_id=event["user"], view=HOME)

    return app, seen


def submit(ctl, view_id: str, values: dict[str, Any] | None = None, user: str = "alice", expect: int = 200) -> Any:
    return ctl.send("POST", "simulate/view_submission", {"view_id": view_id, "user": user, "values": values or {}}, expect)


def test_bolt_socket_mode_modal_flow(slack, ctl):
    app, seen = modal_app(slack)
    handler = SocketModeHandler(app, slack.info["app_token"])
    handler.connect()
    try:
        wait_for("the socket to connect", lambda: ctl.get("app")["connections"] == 1)
        alice, bob = slack.user_id("alice"), slack.user_id("bob")

        ran = ctl.send("POST", "simulate/shortcut", {"user": "alice", "callback_id": "new_ticket"}, 201)
        assert ran["type"] == "shortcut" and ran["route"] == "socket_mode" and ran["response_url"] is None
        opened = wait_for("the modal", lambda: seen["opened"])[0]
        shortcut = seen["shortcuts"][0]
        assert (shortcut["type"], shortcut["callback_id"], shortcut["trigger_id"]) == ("shortcut", "new_ticket", ran["trigger_id"])
        assert shortcut["user"]["id"] == alice and shortcut["team"]["id"] == slack.bot.auth_test()["team_id"]
        view_id = opened["id"]

        # errors: the modal stays, with what was entered, and the messages show.
        answer = submit(ctl, view_id, {"title": {"t": "vague"}, "prio": {"p": "high"}, "owner": {"u": "bob"},
                                       "tags": {"c": ["bug", "ui"]}, "due": {"d": "2026-03-01"}})
        assert answer["acknowledged"] is True and answer["response_action"] == "errors"
        assert answer["errors"] == {"title": "Say what broke"} and answer["app_error"] is None
        assert [v["id"] for v in answer["stack"]] == [view_id] and answer["closed"] == []
        body = seen["submitted"][0]
        assert body["type"] == "view_submission" and body["user"]["id"] == alice
        assert body["api_app_id"] == slack.info["app_id"] and body["trigger_id"].count(".") == 2
        assert body["is_enterprise_install"] is False and body["response_urls"] == []
        view = body["view"]
        assert (view["id"], view["callback_id"], view["private_metadata"]) == (view_id, "ticket", "from-test")
        assert view["root_view_id"] == view_id and view["previous_view_id"] is None and view["hash"]
        values = view["state"]["values"]
        assert values["title"]["t"] == {"type": "plain_text_input", "value": "vague"}
        assert values["prio"]["p"]["selected_option"] == option("High", "high")
        assert values["owner"]["u"] == {"type": "users_select", "selected_user": bob}
        assert [o["value"] for o in values["tags"]["c"]["selected_options"]] == ["bug", "ui"]
        assert values["due"]["d"] == {"type": "datepicker", "selected_date": "2026-03-01"}
        assert values["team"]["team_pick"] == {"type": "external_select", "selected_option": None}

        # The person types in the external select: the app's options come back.
        suggested = ctl.send("POST", "simulate/block_suggestion",
                             {"user": "alice", "view_id": view_id, "action_id": "team_pick", "value": "pa"}, 200)
        assert suggested["acknowledged"] is True and suggested["app_error"] is None
        assert suggested["options"] == [option("Payments", "payments")]
        asked = seen["suggest"][0]
        assert (asked["type"], asked["block_id"], asked["value"]) == ("block_suggestion", "team", "pa")
        assert asked["container"] == {"type": "view", "view_id": view_id} and asked["view"]["id"] == view_id
        ctl.send("POST", "simulate/block_suggestion",
                 {"user": "alice", "view_id": view_id, "action_id": "team_pick", "value": "p"}, 400)

        # push: a second view on the stack; only the first title changed, the rest kept.
        answer = submit(ctl, view_id, {"title": {"t": "more"}, "team": {"team_pick": "payments"}})
        assert answer["response_action"] == "push" and len(answer["stack"]) == 2
        pushed = answer["view"]
        assert pushed["callback_id"] == "details" and pushed["previous_view_id"] == view_id
        assert pushed["root_view_id"] == view_id
        values = seen["submitted"][1]["view"]["state"]["values"]
        assert values["owner"]["u"]["selected_user"] == bob and values["team"]["team_pick"]["selected_option"]["value"] == "payments"
        submit(ctl, view_id, {"title": {"t": "again"}}, expect=409)  # not the top view any more

        # update: the pushed view is replaced in place (same id, new hash).
        answer = submit(ctl, pushed["id"], {"note": {"n": "the login page"}})
        assert answer["response_action"] == "update" and len(answer["stack"]) == 2
        assert answer["view"]["id"] == pushed["id"] and answer["view"]["callback_id"] == "done"
        assert answer["view"]["hash"] != pushed["hash"]

        # Closing the top view goes back to the one under it; the app hears of it.
        closed = ctl.send("POST", "simulate/view_closed", {"view_id": pushed["id"], "user": "alice"}, 200)
        assert closed["notified"] is True and closed["is_cleared"] is False and closed["closed"] == [pushed["id"]]
        assert [v["id"] for v in closed["stack"]] == [view_id]
        note = wait_for("view_closed", lambda: seen["closed"])[0]
        assert (note["type"], note["view"]["id"], note["is_cleared"]) == ("view_closed", pushed["id"], False)
        assert note["user"]["id"] == alice

        # No response_action: the view closes. The conversation picked for announcements
        # comes with a response_url, where the app answers.
        answer = submit(ctl, view_id, {"title": {"t": "Login broken"}, "announce": {"where": "#general"}})
        assert answer["response_action"] is None and answer["closed"] == [view_id]
        general = slack.channel("general")
        urls = seen["submitted"][-1]["response_urls"]
        assert [(u["block_id"], u["action_id"], u["channel_id"]) for u in urls] == [("announce", "where", general)]
        assert "/response/v1/" in urls[0]["response_url"]
        wait_for("the announcement", lambda: any(
            m.get("text") == "Filed: Login broken" for m in slack.bot.conversations_history(channel=general)["messages"]))
        assert answer["stack"] == [] and answer["view"] is None
        ctl.send("POST", "simulate/view_submission", {"view_id": view_id, "values": {}}, 400)
        expect_error("not_found", slack.bot.views_update, view_id=view_id, view=DONE)

        # A message shortcut opens the modal too; clear closes the whole stack.
        posted = slack.bot.chat_postMessage(channel=general, text="the build is red")
        ran = ctl.send("POST", "simulate/shortcut", {"user": "bob", "callback_id": "file_message",
                                                     "channel": "general", "message_ts": posted["ts"]}, 201)
        assert ran["type"] == "message_action" and "/response/v1/" in ran["response_url"]
        opened = wait_for("the second modal", lambda: seen["opened"][1:])[0]
        action = seen["shortcuts"][1]
        assert action["type"] == "message_action" and action["callback_id"] == "file_message"
        assert action["channel"] == {"id": general, "name": "general"} and action["message_ts"] == posted["ts"]
        assert action["message"]["text"] == "the build is red" and action["response_url"] == ran["response_url"]
        assert opened["private_metadata"] == f"{general}:{posted['ts']}"
        submit(ctl, opened["id"], {"title": {"t": "x"}}, user="alice", expect=400)  # not alice's modal
        answer = submit(ctl, opened["id"], {"title": {"t": "more"}, "prio": {"p": "low"}}, user="bob")
        top = answer["view"]["id"]
        answer = submit(ctl, top, {"note": {"n": "n"}}, user="bob")
        assert answer["response_action"] == "update"
        closed = ctl.send("POST", "simulate/view_closed", {"view_id": top, "user": "bob"}, 200)
        assert [v["id"] for v in closed["stack"]] == [opened["id"]]
        answer = submit(ctl, opened["id"], {"title": {"t": "all"}}, user="bob")
        assert answer["response_action"] == "clear" and answer["closed"] == [opened["id"]] and answer["stack"] == []
    finally:
        handler.close()


def test_bolt_socket_mode_push_limit_and_clear(slack, ctl):
    app, seen = modal_app(slack)
    handler = SocketModeHandler(app, slack.info["app_token"])
    handler.connect()
    try:
        wait_for("the socket to connect", lambda: ctl.get("app")["connections"] == 1)
        ctl.send("POST", "simulate/shortcut", {"user": "carol", "callback_id": "new_ticket"}, 201)
        root = wait_for("the modal", lambda: seen["opened"])[0]["id"]
        # The app fills the stack (3 views): a push by views.push, one by response_action.
        slack_push = {**TICKET, "notify_on_close": False}
        trigger = ctl.send("POST", "simulate/shortcut", {"user": "carol", "callback_id": "nothing"}, 201)["trigger_id"]
        second = slack.bot.views_push(trigger_id=trigger, view=slack_push)["view"]["id"]
        answer = submit(ctl, second, {"title": {"t": "more"}, "prio": {"p": "low"}}, user="carol")
        assert len(answer["stack"]) == 3 and answer["app_error"] is None
        third = answer["view"]["id"]
        ctl.send("POST", "simulate/view_closed", {"view_id": third, "user": "carol"}, 200)
        answer = submit(ctl, second, {"title": {"t": "more"}}, user="carol")
        assert len(answer["stack"]) == 3
        details = answer["view"]["id"]
        answer = submit(ctl, details, {"note": {"n": "x"}}, user="carol")
        assert answer["response_action"] == "update"
        assert answer["stack"][0]["id"] == root
        trigger = ctl.send("POST", "simulate/shortcut", {"user": "carol", "callback_id": "nothing"}, 201)["trigger_id"]
        expect_error("push_limit_reached", slack.bot.views_push, trigger_id=trigger, view=DETAILS)
        # A clear_on_close view closes the whole stack when the person closes it.
        slack.bot.views_update(view_id=details, view={**DONE, "clear_on_close": True, "notify_on_close": True})
        closed = ctl.send("POST", "simulate/view_closed", {"view_id": details, "user": "carol"}, 200)
        assert closed["is_cleared"] is True and sorted(closed["closed"]) == sorted([root, second, details])
        assert closed["stack"] == []
        note = wait_for("view_closed", lambda: [b for b in seen["closed"] if b["view"]["id"] == details])[0]
        assert note["is_cleared"] is True
    finally:
        handler.close()


def test_app_home_opened_and_views_publish(slack, ctl):
    app, seen = modal_app(slack)
    handler = SocketModeHandler(app, slack.info["app_token"])
    handler.connect()
    try:
        wait_for("the socket to connect", lambda: ctl.get("app")["connections"] == 1)
        dave = slack.user_id("dave")
        first = ctl.send("POST", "simulate/app_home_opened", {"user": "dave"}, 201)
        assert first["tab"] == "home" and first["view"] is None and len(first["event_ids"]) == 1
        event = wait_for("app_home_opened", lambda: seen["home"])[0]
        assert (event["type"], event["user"], event["tab"], event["channel"]) == ("app_home_opened", dave, "home", first["channel"])
        assert "view" not in event and event["channel"].startswith("D")
        entry = wait_for("the delivery", lambda: [e for e in ctl.events("app_home_opened") if e["status"] == "delivered"])[0]
        assert entry["payload"]["type"] == "event_callback" and entry["payload"]["event"]["tab"] == "home"

        # The app published the Home tab in its handler: the next open carries it.
        second = wait_for("the published home", lambda: (lambda r: r if r["view"] else None)(
            ctl.send("POST", "simulate/app_home_opened", {"user": "dave"}, 201)))
        home = wait_for("the second event", lambda: [e for e in seen["home"] if "view" in e])[0]
        assert home["view"]["id"] == second["view"]["id"] and home["view"]["type"] == "home"
        assert home["view"]["callback_id"] == "home" and home["channel"] == first["channel"]
        messages = ctl.send("POST", "simulate/app_home_opened", {"user": "dave", "tab": "messages"}, 201)
        assert messages["view"] is None and messages["tab"] == "messages"
        wait_for("the messages tab", lambda: [e for e in seen["home"] if e["tab"] == "messages"])

        # Not subscribed: nothing goes out.
        ctl.app(event_types=["message"])
        quiet = ctl.send("POST", "simulate/app_home_opened", {"user": "dave"}, 201)
        assert quiet["event_ids"] == []
        ctl.send("POST", "simulate/app_home_opened", {"user": "dave", "tab": "about"}, 400)
        ctl.send("POST", "simulate/app_home_opened", {"user": "nobody"}, 400)
    finally:
        handler.close()


def test_bolt_http_modal_submission(slack, ctl, receivers):
    secret = slack.info["signing_secret"]
    app, seen = modal_app(slack, signing_secret=secret)

    def bolt(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if request["json"] and request["json"].get("type") == "url_verification":
            return 200, {"Content-Type": "application/json"}, json.dumps({"challenge": request["json"]["challenge"]}).encode()
        response = app.dispatch(BoltRequest(body=request["raw"].decode(), headers=request["headers"]))
        headers = {k: v[0] for k, v in response.headers.items() if v}
        return response.status, headers, (response.body or "").encode()

    receiver = receivers(bolt)
    ctl.app(request_url=receiver.url, socket_mode=False)
    ran = ctl.send("POST", "simulate/shortcut", {"user": "erin", "callback_id": "new_ticket"}, 201)
    assert ran["route"] == "http"
    view_id = wait_for("the modal", lambda: seen["opened"])[0]["id"]
    answer = submit(ctl, view_id, {"title": {"t": "vague"}, "prio": {"p": "low"}}, user="erin")
    assert answer["route"] == "http" and answer["response_action"] == "errors"
    assert answer["errors"] == {"title": "Say what broke"}
    form = next(r for r in receiver.requests if b"view_submission" in r["raw"])
    assert form["headers"]["content-type"] == "application/x-www-form-urlencoded" and verified(form, secret)
    payload = json.loads(parse_qs(form["raw"].decode())["payload"][0])
    assert payload["type"] == "view_submission" and payload["view"]["state"]["values"]["prio"]["p"]["selected_option"]["value"] == "low"

    suggested = ctl.send("POST", "simulate/block_suggestion",
                         {"user": "erin", "view_id": view_id, "action_id": "team_pick", "value": "web"}, 200)
    assert suggested["route"] == "http" and suggested["options"] == [option("Web", "web")]

    answer = submit(ctl, view_id, {"title": {"t": "Fixed"}}, user="erin")
    assert answer["response_action"] is None and answer["stack"] == [] and answer["closed"] == [view_id]


def test_unanswered_submissions_leave_the_modal_open(slack, ctl, receivers):
    # An app that answers an interaction with an error: the person sees the modal still.
    receiver = receivers(lambda r: receivers_challenge(r) or (500, {}, b"boom"))
    ctl.app(request_url=receiver.url, socket_mode=False)
    trigger = ctl.send("POST", "simulate/slash_command", {"user": "alice", "channel": "general", "command": "/t"}, 201)["trigger_id"]
    view_id = slack.bot.views_open(trigger_id=trigger, view=TICKET)["view"]["id"]
    answer = submit(ctl, view_id, {"title": {"t": "x"}, "prio": {"p": "high"}})
    assert answer["acknowledged"] is False and answer["app_error"] and answer["stack"][0]["id"] == view_id

    # Socket Mode with no connection: nobody acks; the submission is never sent later.
    ctl.app(socket_mode=True, delivery={"ack_timeout_ms": 300, "http_timeout_ms": 300})
    answer = submit(ctl, view_id, {})
    assert answer["acknowledged"] is False and answer["stack"][0]["id"] == view_id
    assert answer["stack"][0]["state"]["values"]["title"]["t"]["value"] == "x", "what was entered stays"
    entry = next(e for e in ctl.events("view_submission") if e["envelope_id"] == answer["envelope_id"])
    assert entry["status"] == "failed"


def receivers_challenge(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes] | None:
    if request["json"] and request["json"].get("type") == "url_verification":
        return 200, {"Content-Type": "application/json"}, json.dumps({"challenge": request["json"]["challenge"]}).encode()
    return None


def test_modal_simulation_input_is_checked(slack, ctl, control, universe):
    trigger = ctl.send("POST", "simulate/slash_command", {"user": "alice", "channel": "general", "command": "/t"}, 201)["trigger_id"]
    view_id = slack.bot.views_open(trigger_id=trigger, view=TICKET)["view"]["id"]
    bad = [
        {"view_id": "V0NOPE", "values": {}},
        {"view_id": view_id, "user": "bob", "values": {"title": {"t": "x"}, "prio": {"p": "high"}}},
        {"view_id": view_id, "values": {"prio": {"p": "high"}}},  # title is required
        {"view_id": view_id, "values": {"title": {"t": "x"}, "prio": {"p": "urgent"}}},
        {"view_id": view_id, "values": {"title": {"t": "x"}, "prio": {"p": "high"}, "due": {"d": "tomorrow"}}},
        {"view_id": view_id, "values": {"title": {"t": "x"}, "prio": {"p": "high"}, "owner": {"u": "nobody"}}},
        {"view_id": view_id, "values": {"title": {"nope": "x"}}},
        {"view_id": view_id, "values": {"title": "x"}},
        {"view_id": view_id, "values": {}, "extra": 1},
    ]
    for body in bad:
        resp = control.post(f"universes/{universe['id']}/slack/simulate/view_submission", json=body)
        assert resp.status_code == 400, (body, resp.text)
        assert resp.json()["error"]["code"] and resp.json()["error"]["message"]
    ctl.send("POST", "simulate/view_closed", {"view_id": "V0NOPE"}, 400)
    ctl.send("POST", "simulate/view_closed", {"view_id": view_id, "user": "bob"}, 400)
    ctl.send("POST", "simulate/shortcut", {"user": "alice", "callback_id": ""}, 400)
    ctl.send("POST", "simulate/shortcut", {"user": "alice", "callback_id": "x", "channel": "general"}, 400)
    ctl.send("POST", "simulate/shortcut", {"user": "alice", "callback_id": "x", "channel": "general", "message_ts": "1.000001"}, 400)
    ctl.send("POST", "simulate/block_suggestion", {"user": "alice", "view_id": view_id, "action_id": "t", "value": "abc"}, 400)
    ctl.send("POST", "simulate/block_suggestion", {"user": "alice", "action_id": "team_pick", "value": "abc"}, 400)
    # A modal without a submit button cannot be submitted.
    trigger = ctl.send("POST", "simulate/slash_command", {"user": "alice", "channel": "general", "command": "/t"}, 201)["trigger_id"]
    info = slack.bot.views_open(trigger_id=trigger, view=DONE)["view"]["id"]
    ctl.send("POST", "simulate/view_submission", {"view_id": info, "values": {}}, 400)
    ctl.send("POST", "simulate/view_closed", {"view_id": info}, 200)
    # A closed modal without notify_on_close tells the app nothing.
    trigger = ctl.send("POST", "simulate/slash_command", {"user": "alice", "channel": "general", "command": "/t"}, 201)["trigger_id"]
    quiet = slack.bot.views_open(trigger_id=trigger, view={**TICKET, "notify_on_close": False})["view"]["id"]
    closed = ctl.send("POST", "simulate/view_closed", {"view_id": quiet}, 200)
    assert closed["notified"] is False and closed["envelope_id"] is None and closed["stack"] == []

    # Trigger ids expire 3 s after the interaction, on the universe clock.
    ran = ctl.send("POST", "simulate/shortcut", {"user": "alice", "callback_id": "new_ticket"}, 201)
    advance_clock(control, universe, 4)
    expect_error("expired_trigger_id", slack.bot.views_open, trigger_id=ran["trigger_id"], view=TICKET)

    ctl.app(socket_mode=False, request_url=None)
    ctl.send("POST", "simulate/shortcut", {"user": "alice", "callback_id": "new_ticket"}, 409)
    ctl.send("POST", "simulate/view_submission", {"view_id": view_id, "values": {"title": {"t": "x"}, "prio": {"p": "high"}}}, 409)


def test_modal_endpoints_match_the_openapi_document(dtu, slack, ctl, universe):
    import requests
    import yaml
    from openapi_core import OpenAPI
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    from conftest import REPO_ROOT

    document = yaml.safe_load((REPO_ROOT / "openapi" / "dtu-control.yaml").read_text())
    document["servers"] = [{"url": dtu.control_url.rstrip("/")}]
    spec = OpenAPI.from_dict(document)
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = f"Bearer {dtu.admin_token}"
    base = f"universes/{universe['id']}/slack/"

    def call(path: str, body: Any, expect: int) -> dict[str, Any]:
        response = session.post(dtu.control_url + base + path, json=body, timeout=30)
        assert response.status_code == expect, f"{path}: {response.status_code} {response.text}"
        request = RequestsOpenAPIRequest(response.request)
        if expect < 400:
            spec.validate_request(request)
        spec.validate_response(request, RequestsOpenAPIResponse(response))
        return response.json()

    app, seen = modal_app(slack)
    handler = SocketModeHandler(app, slack.info["app_token"])
    handler.connect()
    try:
        wait_for("the socket to connect", lambda: ctl.get("app")["connections"] == 1)
        call("simulate/shortcut", {"user": "alice", "callback_id": "new_ticket"}, 201)
        view_id = wait_for("the modal", lambda: seen["opened"])[0]["id"]
        call("simulate/block_suggestion", {"user": "alice", "view_id": view_id, "action_id": "team_pick", "value": "web"}, 200)
        call("simulate/view_submission", {"view_id": view_id, "values": {"title": {"t": "vague"}, "prio": {"p": "high"}}}, 200)
        pushed = call("simulate/view_submission", {"view_id": view_id, "values": {"title": {"t": "more"}}}, 200)["view"]
        call("simulate/view_submission", {"view_id": view_id, "values": {}}, 409)
        call("simulate/view_closed", {"view_id": pushed["id"]}, 200)
        call("simulate/view_submission", {"view_id": view_id, "values": {"title": {"t": "done"}}}, 200)
        call("simulate/view_submission", {"view_id": view_id}, 400)
        posted = slack.bot.chat_postMessage(channel=slack.channel("general"), text="hi")
        call("simulate/shortcut", {"user": "bob", "callback_id": "file_message", "channel": "general",
                                   "message_ts": posted["ts"]}, 201)
        call("simulate/app_home_opened", {"user": "bob", "tab": "messages"}, 201)
        trigger = call("simulate/shortcut", {"user": "carol", "callback_id": "unhandled"}, 201)["trigger_id"]
        tools = slack.bot.views_open(trigger_id=trigger, view=TOOLS)["view"]["id"]
        call("simulate/block_action", {"user": "carol", "view_id": tools, "action_id": "kind", "value": "task"}, 201)
        call("simulate/block_action", {"user": "carol", "view_id": tools, "action_id": "kind"}, 400)
        call("simulate/app_home_opened", {"user": "bob", "tab": "nope"}, 400)
    finally:
        handler.close()


def test_bolt_actions_inside_a_modal(slack, ctl):
    app = App(client=WebClient(token=slack.info["bot_token"], base_url=slack.info["base_url"]))
    seen: list[dict[str, Any]] = []

    @app.action("kind")
    def kind_picked(ack, body):
        ack()
        seen.append(body)

    @app.action("add_row")
    def add_row(ack, body, client):
        ack()
        seen.append(body)
        view = body["view"]
        seen.append(client.views_update(view_id=view["id"], hash=view["hash"],
                                        view={**TOOLS, "title": plain("Two rows")})["view"])

    handler = SocketModeHandler(app, slack.info["app_token"])
    handler.connect()
    try:
        wait_for("the socket to connect", lambda: ctl.get("app")["connections"] == 1)
        trigger = ctl.send("POST", "simulate/slash_command", {"user": "alice", "channel": "general", "command": "/t"}, 201)["trigger_id"]
        view = slack.bot.views_open(trigger_id=trigger, view=TOOLS)["view"]
        picked = ctl.send("POST", "simulate/block_action",
                          {"user": "alice", "view_id": view["id"], "action_id": "kind", "value": "bug"}, 201)
        assert picked["response_url"] is None
        body = wait_for("the pick", lambda: seen)[0]
        assert body["type"] == "block_actions" and body["container"] == {"type": "view", "view_id": view["id"]}
        assert "channel" not in body and "response_url" not in body and body["trigger_id"] == picked["trigger_id"]
        action = body["actions"][0]
        assert (action["action_id"], action["block_id"], action["type"]) == ("kind", "tools", "static_select")
        assert action["selected_option"] == option("Bug", "bug")
        assert body["view"]["state"]["values"]["tools"]["kind"]["selected_option"]["value"] == "bug"

        ctl.send("POST", "simulate/block_action", {"user": "alice", "view_id": view["id"], "action_id": "add_row"}, 201)
        updated = wait_for("the app's update", lambda: seen[2:])[0]
        assert updated["id"] == view["id"] and updated["title"]["text"] == "Two rows"
        assert seen[1]["actions"][0]["value"] == "more"
        # The person's pick is kept across the update (same block and action ids).
        assert updated["state"]["values"]["tools"]["kind"]["selected_option"]["value"] == "bug"
        expect_error("hash_conflict", slack.bot.views_update, view_id=view["id"], hash=view["hash"], view=TOOLS)

        bad = [
            {"user": "alice", "view_id": view["id"], "action_id": "nope"},
            {"user": "alice", "view_id": view["id"], "action_id": "kind"},  # a select needs the value picked
            {"user": "alice", "view_id": view["id"], "action_id": "kind", "value": "feature"},
            {"user": "bob", "view_id": view["id"], "action_id": "add_row"},
            {"user": "alice", "view_id": view["id"], "channel": "general", "action_id": "add_row"},
            {"user": "alice", "channel": "general", "action_id": "add_row"},
        ]
        for body in bad:
            ctl.send("POST", "simulate/block_action", body, 400)
    finally:
        handler.close()


TOOLS = {
    "type": "modal", "callback_id": "tools", "title": plain("One row"), "submit": plain("Go"),
    "blocks": [
        {"type": "input", "block_id": "title", "label": plain("Title"),
         "element": {"type": "plain_text_input", "action_id": "t"}},
        {"type": "actions", "block_id": "tools", "elements": [
            {"type": "static_select", "action_id": "kind", "options": [option("Bug", "bug"), option("Task", "task")]},
            {"type": "button", "action_id": "add_row", "text": plain("Add a row"), "value": "more"},
        ]},
    ],
}


def test_unnamed_inputs_are_named_when_the_modal_opens(slack, ctl, receivers):
    receiver = receivers()  # acks everything with an empty 200
    ctl.app(request_url=receiver.url, socket_mode=False)
    trigger = ctl.send("POST", "simulate/slash_command", {"user": "alice", "channel": "general", "command": "/t"}, 201)["trigger_id"]
    quick = {"type": "modal", "title": plain("Quick"), "submit": plain("Go"),
             "blocks": [{"type": "input", "label": plain("Name"), "element": {"type": "plain_text_input"}}]}
    view = slack.bot.views_open(trigger_id=trigger, view=quick)["view"]
    block_id, action_id = view["blocks"][0]["block_id"], view["blocks"][0]["element"]["action_id"]
    assert block_id and action_id
    answer = submit(ctl, view["id"], {block_id: {action_id: "Ada"}})
    assert answer["acknowledged"] is True and answer["closed"] == [view["id"]]
    form = next(r for r in receiver.requests if b"view_submission" in r["raw"])
    payload = json.loads(parse_qs(form["raw"].decode())["payload"][0])
    assert payload["view"]["state"]["values"] == {block_id: {action_id: {"type": "plain_text_input", "value": "Ada"}}}
