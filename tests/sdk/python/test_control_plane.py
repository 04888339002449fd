"""Smoke tests of the control plane and Slack auth, over HTTP and the official SDK."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient


def web_client(slack: dict, token_kind: str = "bot") -> WebClient:
    return WebClient(token=slack[f"{token_kind}_token"], base_url=slack["base_url"])


def test_health(control):
    resp = control.get("health")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "ok"
    assert isinstance(body["universes"], int) and body["universes"] >= 1


def test_control_plane_on_twin_port(dtu):
    # Every port answers the control plane under /_dtu/, the Slack port included.
    base = urlsplit(dtu.slack["base_url"])
    resp = dtu.control.session.get(f"{base.scheme}://{base.netloc}/_dtu/health", timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "ok"


def test_manifest_is_default_universe(dtu, control):
    manifest = dtu.manifest
    assert manifest["id"] == "default"
    assert manifest["fixture"] == "default"
    for key in ("base_url", "bot_token", "user_token", "app_token", "team_id", "bot_user_id"):
        assert manifest["slack"][key], key
    assert manifest["slack"]["bot_token"].startswith("xoxb-")
    assert manifest["slack"]["user_token"].startswith("xoxp-")
    assert manifest["slack"]["app_token"].startswith("xapp-")

    resp = control.get("universes/default")
    assert resp.status_code == 200, resp.text
    # The manifest file is the universe object plus what only the harness gets.
    harness_only = {"admin_token", "bind"}
    assert resp.json() == {k: v for k, v in manifest.items() if k not in harness_only}
    assert not harness_only & resp.json().keys()


def test_unknown_universe_error_envelope(control):
    resp = control.get("universes/no-such-universe")
    assert resp.status_code == 404, resp.text
    error = resp.json()["error"]
    assert error["code"] == "unknown_universe"
    assert isinstance(error["message"], str) and error["message"]


def test_create_and_delete_universe(control):
    resp = control.post("universes", json={})
    assert resp.status_code == 201, resp.text
    created = resp.json()
    try:
        assert created["id"] != "default"
        assert created["fixture"] == "default"
        assert created["slack"]["bot_token"].startswith("xoxb-")

        resp = control.get(f"universes/{created['id']}")
        assert resp.status_code == 200, resp.text
        assert resp.json() == created

        listed = control.get("universes").json()["universes"]
        assert created["id"] in {u["id"] for u in listed}

        auth = web_client(created["slack"]).auth_test()
        assert auth["ok"] is True
        assert auth["team_id"] == created["slack"]["team_id"]
        assert auth["user_id"] == created["slack"]["bot_user_id"]
    finally:
        resp = control.delete(f"universes/{created['id']}")
    assert resp.status_code == 204, resp.text

    resp = control.get(f"universes/{created['id']}")
    assert resp.status_code == 404, resp.text

    with pytest.raises(SlackApiError) as excinfo:
        web_client(created["slack"]).auth_test()
    assert excinfo.value.response.status_code == 200
    assert excinfo.value.response["ok"] is False
    assert excinfo.value.response["error"] == "invalid_auth"


def test_auth_test_default_bot_token(dtu):
    slack = dtu.slack
    resp = web_client(slack).auth_test()
    assert resp.status_code == 200
    assert resp["ok"] is True
    assert resp["team_id"] == slack["team_id"]
    assert resp["user_id"] == slack["bot_user_id"]
    assert resp["bot_id"].startswith("B")
    assert resp["url"].startswith("https://")


def test_auth_test_default_user_token(dtu):
    slack = dtu.slack
    resp = web_client(slack, "user").auth_test()
    assert resp["ok"] is True
    assert resp["team_id"] == slack["team_id"]
    assert resp["user_id"] != slack["bot_user_id"]
    assert "bot_id" not in resp.data


async def test_auth_test_async_client(universe):
    slack = universe["slack"]
    client = AsyncWebClient(token=slack["bot_token"], base_url=slack["base_url"])
    resp = await client.auth_test()
    assert resp["ok"] is True
    assert resp["team_id"] == slack["team_id"]
    assert resp["user_id"] == slack["bot_user_id"]
