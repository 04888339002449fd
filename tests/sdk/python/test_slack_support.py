"""Shared helpers for the Slack SDK tests (imported by the other test_slack_* files),
and the tests that cut across every method: routing, auth, token types, scopes,
universe isolation, the wire formats the SDKs use.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient


@dataclass
class Slack:
    """Clients and handy ids for one universe."""

    universe: dict[str, Any]
    bot: WebClient
    user: WebClient
    app: WebClient

    @property
    def info(self) -> dict[str, Any]:
        return self.universe["slack"]

    def async_client(self, kind: str = "bot") -> AsyncWebClient:
        return AsyncWebClient(token=self.info[f"{kind}_token"], base_url=self.info["base_url"])

    def channel(self, name: str) -> str:
        """A channel id by name (the user token sees every public and its private ones)."""
        for page in self.user.conversations_list(types="public_channel,private_channel", limit=200):
            for c in page["channels"]:
                if c["name"] == name:
                    return c["id"]
        raise AssertionError(f"no channel {name}")

    def user_id(self, handle: str) -> str:
        return self.bot.users_lookupByEmail(email=f"{handle}@acme.test")["user"]["id"]

    @property
    def bot_user(self) -> str:
        return self.info["bot_user_id"]

    @property
    def alice(self) -> str:
        return self.user.auth_test()["user_id"]


def slack_for(universe: dict[str, Any]) -> Slack:
    s = universe["slack"]
    make = lambda kind: WebClient(token=s[f"{kind}_token"], base_url=s["base_url"])  # noqa: E731
    return Slack(universe=universe, bot=make("bot"), user=make("user"), app=make("app"))


@pytest.fixture
def slack(universe) -> Slack:
    return slack_for(universe)


def slack_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Runs a call that must fail; returns the SlackApiError's response."""
    with pytest.raises(SlackApiError) as excinfo:
        call(*args, **kwargs)
    return excinfo.value.response


def expect_error(code: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    response = slack_error(call, *args, **kwargs)
    assert response.status_code == 200, response.status_code
    assert response["ok"] is False
    assert response["error"] == code, response.data
    return response


def advance_clock(control, universe: dict[str, Any], seconds: int) -> None:
    resp = control.post(f"universes/{universe['id']}/clock/advance", json={"seconds": seconds})
    assert resp.status_code == 200, resp.text


def journal(control, universe: dict[str, Any]) -> list[dict[str, Any]]:
    resp = control.get(f"universes/{universe['id']}/journal", params={"service": "slack"})
    assert resp.status_code == 200, resp.text
    return [json.loads(line) for line in resp.text.splitlines() if line.strip()]


# --- tests --------------------------------------------------------------------


def test_unknown_method_is_unmatched_in_the_journal(slack, control, universe):
    response = expect_error("unknown_method", slack.bot.api_call, "chat.postMessagez")
    assert response["req_method"] == "chat.postMessagez"
    entries = journal(control, universe)
    unmatched = [e for e in entries if not e["matched"]]
    assert unmatched and unmatched[-1]["path"].endswith("chat.postMessagez")
    slack.bot.auth_test()
    assert journal(control, universe)[-1]["operation"] == "auth.test"


def test_no_token_and_bad_tokens(slack):
    base = slack.info["base_url"]
    expect_error("not_authed", WebClient(base_url=base).auth_test)
    expect_error("invalid_auth", WebClient(token="xoxb-nope", base_url=base).auth_test)
    # a real method without a token is not_authed; a dead one is unknown_method first
    expect_error("not_authed", WebClient(base_url=base).conversations_list)
    expect_error("unknown_method", WebClient(base_url=base).api_call, "nope.nope")


def test_tokens_do_not_cross_universes(control, universe):
    other = control.post("universes", json={}).json()
    try:
        # universe A's token against universe B (selected by path prefix)
        base_b = other["slack"]["base_url"].replace("/api/", f"/u/{other['id']}/api/")
        client = WebClient(token=universe["slack"]["bot_token"], base_url=base_b)
        expect_error("invalid_auth", client.auth_test)
        assert WebClient(token=other["slack"]["bot_token"], base_url=base_b).auth_test()["ok"]
    finally:
        control.delete(f"universes/{other['id']}")
    # a deleted universe's token
    expect_error("invalid_auth", WebClient(token=other["slack"]["bot_token"], base_url=other["slack"]["base_url"]).auth_test)


def test_missing_scope_and_scope_headers(slack):
    response = expect_error("missing_scope", slack.bot.users_setPresence, presence="away")
    assert response["needed"] == "users:write"
    assert "chat:write" in response["provided"].split(",")
    ok = slack.bot.conversations_list()
    granted = ok.headers["x-oauth-scopes"].split(",")
    assert "channels:read" in granted and "chat:write" in granted
    assert "channels:read" in ok.headers["x-accepted-oauth-scopes"].split(",")
    # the user token has users:write
    assert slack.user.users_setPresence(presence="away")["ok"]


def test_token_types(slack):
    expect_error("not_allowed_token_type", slack.bot.search_messages, query="hello")
    expect_error("not_allowed_token_type", slack.bot.users_profile_set, profile={"title": "x"})
    expect_error("not_allowed_token_type", slack.app.auth_test)
    expect_error("not_allowed_token_type", slack.app.conversations_list)


def test_method_routes_with_and_without_api_prefix(slack):
    root = slack.info["base_url"].removesuffix("api/")
    resp = WebClient(token=slack.info["bot_token"], base_url=root).auth_test()
    assert resp["user_id"] == slack.bot_user


def test_wire_formats_form_json_query_and_token_field(slack):
    base = slack.info["base_url"]
    token = slack.info["bot_token"]
    general = slack.channel("general")

    def call(url: str, data: bytes | None, headers: dict[str, str]) -> dict[str, Any]:
        req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200
            return json.loads(r.read())

    # token as a form field, booleans as "1", a CSV list
    body = f"token={token}&channel={general}&include_num_members=1".encode()
    r = call(base + "conversations.info", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert r["ok"] and r["channel"]["num_members"] > 1
    # query-string arguments on GET with a bearer token
    r = call(f"{base}conversations.info?channel={general}", None, {"Authorization": f"Bearer {token}"})
    assert r["ok"] and r["channel"]["id"] == general
    # JSON body with native JSON values
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    payload = json.dumps({"channel": general, "text": "hi", "blocks": blocks}).encode()
    r = call(base + "chat.postMessage", payload,
             {"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=utf-8"})
    assert r["ok"] and r["message"]["blocks"] == blocks
    # empty JSON body: no arguments
    r = call(base + "auth.test", b"", {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert r["ok"]
    r = call(base + "chat.postMessage", b"{not json", {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert r == {"ok": False, "error": "invalid_json"}


def test_state_and_diff_show_twin_records(slack, control, universe):
    general = slack.channel("general")
    ts = slack.bot.chat_postMessage(channel=general, text="diff me")["ts"]
    diff = control.get(f"universes/{universe['id']}/diff").json()["services"]["slack"]
    created = {c["id"] for c in diff["messages"]["created"]}
    assert f"{general}:{ts}" in created
    state = control.get(f"universes/{universe['id']}/state", params={"service": "slack"}).json()["slack"]
    assert state["messages"][f"{general}:{ts}"]["text"] == "diff me"
