"""Webhooks registered through `/rest/webhooks/1.0/webhook` and delivered to a small
loopback server: issue created, updated (with the request's changelog), commented,
deleted; JQL filters; `X-Hub-Signature` with a secret; admin-only management."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from test_jira_support import jira, raw, user_of  # noqa: F401  (jira is a fixture)


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, json.loads(body), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, n: int, timeout: float = 5.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.received) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def register(universe, receiver, **extra) -> dict:
    body = {"name": "tests", "url": receiver.url, "events": ["jira:issue_created", "jira:issue_updated",
                                                             "jira:issue_deleted", "comment_created"], **extra}
    resp = raw(universe, "POST", "/rest/webhooks/1.0/webhook", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_issue_lifecycle_events(universe, jira, receiver):
    hook = register(universe, receiver)
    assert hook["enabled"] and hook["url"] == receiver.url
    issue = jira.create_issue(project="ENG", summary="Hooked", issuetype={"name": "Task"})
    jira.transition_issue(issue, "In Progress")
    jira.add_comment(issue, "a comment")
    issue.delete()
    got = receiver.wait(5)
    events = [(b["webhookEvent"], b.get("issue_event_type_name")) for _, b, _ in got]
    # Each delivery travels on its own, so arrival order is not guaranteed.
    assert sorted(events, key=str) == sorted([
        ("jira:issue_created", "issue_created"),
        ("jira:issue_updated", "issue_generic"),
        ("jira:issue_updated", "issue_commented"),
        ("comment_created", None),
        ("jira:issue_deleted", "issue_deleted"),
    ], key=str)
    created = next(b for _, b, _ in got if b["webhookEvent"] == "jira:issue_created")
    assert created["issue"]["key"] == issue.key and created["user"]["emailAddress"] == "judy@acme.test"
    assert created["issue"]["fields"]["summary"] == "Hooked"
    updated = next(b for _, b, _ in got if b.get("issue_event_type_name") == "issue_generic")
    assert [(i["field"], i["fromString"], i["toString"]) for i in updated["changelog"]["items"]] == [
        ("status", "To Do", "In Progress")]
    comment = next(b for _, b, _ in got if b["webhookEvent"] == "comment_created")
    assert comment["comment"]["body"] == "a comment" and comment["issue"]["key"] == issue.key
    headers = got[0][0]
    assert headers["x-atlassian-webhook-retry"] == "0" and "x-hub-signature" not in headers


def test_jql_filter_and_signature(universe, jira, receiver):
    register(universe, receiver, events=["jira:issue_created"], secret="s3cret",
             filters={"issue-related-events-section": "project = OPS"})
    jira.create_issue(project="ENG", summary="Not for the hook", issuetype={"name": "Task"})
    ops = jira.create_issue(project="OPS", summary="For the hook", issuetype={"name": "Task"})
    got = receiver.wait(1)
    time.sleep(0.3)
    assert [b["issue"]["key"] for _, b, _ in got] == [ops.key]
    headers, _, raw_body = got[0]
    expected = "sha256=" + hmac.new(b"s3cret", raw_body, hashlib.sha256).hexdigest()
    assert headers["x-hub-signature"] == expected


def test_management_is_admin_only_and_validated(universe, receiver):
    hook = register(universe, receiver)
    listed = raw(universe, "GET", "/rest/webhooks/1.0/webhook").json()
    assert [h["name"] for h in listed] == ["tests"]
    hook_id = hook["self"].rsplit("/", 1)[1]
    updated = raw(universe, "PUT", f"/rest/webhooks/1.0/webhook/{hook_id}", json={"enabled": False}).json()
    assert updated["enabled"] is False
    carol = user_of(universe, "carol@acme.test")
    resp = raw(universe, "GET", "/rest/webhooks/1.0/webhook", auth=("carol@acme.test", carol["api_token"]))
    assert resp.status_code == 403
    bad = raw(universe, "POST", "/rest/webhooks/1.0/webhook", json={"name": "x", "url": "ftp://x", "events": []})
    assert bad.status_code == 400 and "url" in bad.json()["errors"]
    # The twin never sends beyond this machine.
    off_machine = {"name": "x", "url": "http://example.com/hook", "events": []}
    bad = raw(universe, "POST", "/rest/webhooks/1.0/webhook", json=off_machine)
    assert bad.status_code == 400 and "loopback" in bad.json()["errors"]["url"]
    bad = raw(universe, "POST", "/rest/webhooks/1.0/webhook",
              json={"name": "x", "url": receiver.url, "events": ["jira:issue_exploded"]})
    assert bad.status_code == 400 and "events" in bad.json()["errors"]
    assert raw(universe, "DELETE", f"/rest/webhooks/1.0/webhook/{hook_id}").status_code == 204
    assert raw(universe, "GET", f"/rest/webhooks/1.0/webhook/{hook_id}").status_code == 404


def test_sprint_and_link_events(universe, jira, receiver):
    register(universe, receiver, events=["sprint_created", "sprint_started", "sprint_closed", "issuelink_created"])
    board = next(b for b in jira.boards() if b.name == "ENG board")
    active = next(s for s in jira.sprints(board.id) if s.state == "active")
    created = raw(universe, "POST", "/rest/agile/1.0/sprint", json={"name": "Hooked sprint", "originBoardId": board.id,
                                                                    "endDate": "2027-01-01T00:00:00.000Z"}).json()
    assert raw(universe, "POST", f"/rest/agile/1.0/sprint/{active.id}", json={"state": "closed"}).status_code == 200
    assert raw(universe, "POST", f"/rest/agile/1.0/sprint/{created['id']}", json={"state": "active"}).status_code == 200
    jira.create_issue_link("Relates", "ENG-5", "ENG-6")
    got = receiver.wait(4)
    events = sorted((b["webhookEvent"], b.get("sprint", {}).get("name")) for _, b, _ in got)
    assert events == sorted([("sprint_created", "Hooked sprint"), ("sprint_closed", "ENG Sprint 2"),
                             ("sprint_started", "Hooked sprint"), ("issuelink_created", None)])
    link = next(b for _, b, _ in got if b["webhookEvent"] == "issuelink_created")
    assert link["issueLink"]["issueLinkType"]["name"] == "Relates"
