"""The dtu-testing package (clients/python), used as a user would: its pytest fixtures
with the official SDK, its helpers (snapshot, diff, journal, clock, chaos), and the
plugin itself in a pytest run of its own (a server it starts, or one at DTU_URL)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from dtu_testing import (
    DtuError,
    DtuServer,
    GoogleSettings,
    JiraSettings,
    OktaSettings,
    SlackSettings,
    Universe,
    UniverseSettings,
)
from dtu_testing.plugin import UniverseFactory


def slack(u: Universe) -> WebClient:
    return WebClient(token=u.slack.bot_token, base_url=u.slack.base_url)


def channel_id(client: WebClient, name: str) -> str:
    channels = client.conversations_list(types="public_channel")["channels"]
    return next(c["id"] for c in channels if c["name"] == name)


def test_a_universe_of_its_own_with_typed_settings(dtu_universe: Universe, dtu_base_universe: Universe) -> None:
    u = dtu_universe
    assert isinstance(u.settings, UniverseSettings)
    assert isinstance(u.slack, SlackSettings) and u.slack.bot_token.startswith(f"xoxb-{u.id}-")
    assert isinstance(u.okta, OktaSettings) and u.okta.org_url.startswith("http://127.0.0.1:")
    assert isinstance(u.jira, JiraSettings) and u.jira.users[u.jira.email].api_token == u.jira.api_token
    assert isinstance(u.google, GoogleSettings) and u.google.token_for("bob@acme.test").startswith("ya29.")
    assert u.google.discovery_urls["drive"].endswith("/discovery/v1/apis/drive/v3/rest")
    assert u.services() == ["slack", "okta", "jira", "google"]
    # A fork of the session's base: the same world, credentials of its own.
    assert u.id != dtu_base_universe.id
    assert u.slack.bot_token != dtu_base_universe.slack.bot_token
    assert u.settings.fixture == "default"
    assert u["slack"]["bot_token"] == u.slack.bot_token  # the manifest, as given


def test_the_official_sdk_and_the_diff_and_journal(dtu_universe: Universe) -> None:
    client = slack(dtu_universe)
    general = channel_id(client, "general")
    dtu_universe.snapshot("before")
    posted = client.chat_postMessage(channel=general, text="Hello from dtu-testing")
    assert posted["ok"]
    changes = dtu_universe.changes(since="before")
    assert f"slack.messages created {posted['ts']}" in changes or any(
        c.startswith("slack.messages created") for c in changes
    ), changes
    created = dtu_universe.diff(since="before")["slack"]["messages"]["created"]
    assert [m["record"]["text"] for m in created] == ["Hello from dtu-testing"]
    assert dtu_universe.operations("slack")[-1] == "chat.postMessage"
    entries = dtu_universe.journal(service="slack", operation="chat.postMessage")
    assert len(entries) == 1 and entries[0]["status"] == 200
    assert posted["ts"] in entries[0]["response"]["body"], "the entry has the answer the SDK got"
    bare = dtu_universe.journal(service="slack", response_bodies=False)
    assert bare and all("response" not in e for e in bare)
    # Back to the snapshot: the message is gone.
    dtu_universe.restore("before")
    assert dtu_universe.changes(since="before") == []
    assert [s["name"] for s in dtu_universe.snapshots()] == ["before"]


def test_clock_set_freeze_advance(dtu_universe: Universe) -> None:
    frozen = dtu_universe.freeze_clock("2030-01-01T09:00:00Z")
    assert frozen.frozen and frozen.now.startswith("2030-01-01T09:00:00")
    assert dtu_universe.clock() == frozen
    later = dtu_universe.advance_clock(3600)
    assert later.now.startswith("2030-01-01T10:00:00") and later.frozen
    # The twins read that clock: a message posted now is stamped 10:00 UTC.
    client = slack(dtu_universe)
    ts = client.chat_postMessage(channel=channel_id(client, "general"), text="tick")["ts"]
    assert int(float(ts)) == 1893492000  # 2030-01-01T10:00:00Z
    thawed = dtu_universe.thaw_clock()
    assert not thawed.frozen
    moved = dtu_universe.set_clock(now="2031-06-01T00:00:00Z")
    assert moved.now.startswith("2031-06-01") and not moved.frozen


def test_chaos_rules(dtu_universe: Universe) -> None:
    rule = dtu_universe.add_chaos(
        match={"service": "slack", "operation": "chat.postMessage"},
        trigger={"first_n": 1},
        action={"kind": "error", "error": "fatal_error", "status": 500},
    )
    assert rule["id"] and [r["id"] for r in dtu_universe.chaos_rules()] == [rule["id"]]
    client = slack(dtu_universe)
    general = channel_id(client, "general")
    with pytest.raises(SlackApiError) as failed:
        client.chat_postMessage(channel=general, text="first")
    assert failed.value.response["error"] == "fatal_error"
    assert client.chat_postMessage(channel=general, text="second")["ok"]
    assert dtu_universe.chaos_rules()[0]["hits"] == 1
    dtu_universe.remove_chaos(rule["id"])
    assert dtu_universe.chaos_rules() == []
    dtu_universe.add_chaos({"match": {"service": "slack"}, "trigger": {"first_n": 1},
                            "action": {"kind": "rate_limit", "retry_after_s": 1}})
    dtu_universe.remove_chaos()
    assert dtu_universe.chaos_rules() == []
    with pytest.raises(DtuError) as refused:
        dtu_universe.add_chaos(action={"kind": "no-such-kind"})
    assert refused.value.status == 400 and refused.value.code == "invalid_rule"


def test_more_universes_and_their_isolation(dtu_universes: UniverseFactory, dtu_universe: Universe) -> None:
    a = dtu_universes.fork()
    slack(a).chat_postMessage(channel=channel_id(slack(a), "general"), text="only in a")
    a.snapshot("posted")
    b = dtu_universes.fork(a, snapshot="posted")
    assert len(b.changes()) == 0  # a fork's diff starts at the fork
    assert any("messages" in c for c in a.changes())
    fresh = dtu_universes.new(fixture="default")
    assert fresh.settings.fixture == "default" and fresh.changes() == []
    # The test's own universe saw none of it.
    assert dtu_universe.changes() == []
    # A's token is no credential in the test's universe.
    with pytest.raises(SlackApiError) as wrong:
        WebClient(token=a.slack.bot_token, base_url=dtu_universe.slack.base_url,
                  headers={"x-dtu-universe": dtu_universe.id}).auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    made = [u.id for u in dtu_universes.made]
    dtu_universes.close()
    for uid in made:
        with pytest.raises(DtuError) as gone:
            dtu_universe.control.get_universe(uid)
        assert gone.value.status == 404


USER_TEST = '''
from slack_sdk import WebClient

def test_post(dtu_universe):
    client = WebClient(token=dtu_universe.slack.bot_token, base_url=dtu_universe.slack.base_url)
    general = next(c["id"] for c in client.conversations_list()["channels"] if c["name"] == "general")
    client.chat_postMessage(channel=general, text="from a user's suite")
    assert [e["operation"] for e in dtu_universe.journal(service="slack")][-1] == "chat.postMessage"
    print("UNIVERSE", dtu_universe.id)

def test_fails(dtu_universe):
    assert dtu_universe.changes() == ["nothing"]
'''


def run_user_suite(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """pytest on a user's test file: no conftest, only the installed plugin."""
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TEST))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "test_user.py", "-q", "-s", "-p", "no:cacheprovider"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )


def test_the_plugin_starts_a_server_from_dtu_bin(tmp_path: Path, dtu_bin: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DTU_URL", "DTU_ADMIN_TOKEN")}
    env["DTU_BIN"] = dtu_bin
    run = run_user_suite(tmp_path, env)
    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    assert "assert [] == ['nothing']" in run.stdout, run.stdout
    # Without a binary, the session says where one comes from.
    env["DTU_BIN"] = str(tmp_path / "no-such-dtu")
    run = run_user_suite(tmp_path, env)
    assert "no dtu binary at" in run.stdout and "2 errors" in run.stdout, run.stdout + run.stderr


def test_the_plugin_uses_a_running_server_at_dtu_url(tmp_path: Path, dtu_bin: str) -> None:
    token = "dtu-admin-" + "ab" * 32
    with DtuServer.start(dtu_bin, env={"DTU_ADMIN_TOKEN": token}, workdir=tmp_path / "server") as server:
        before = len(server.control.json("GET", "universes")["universes"])
        env = dict(os.environ, DTU_URL=server.control_url.removesuffix("/_dtu/"), DTU_ADMIN_TOKEN=token)
        env.pop("DTU_BIN", None)
        run = run_user_suite(tmp_path, env)
        assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
        # The test's universe was on that server, and every universe the plugin made is gone.
        used = run.stdout.split("UNIVERSE ")[1].split()[0]
        assert used.startswith("u-")
        assert len(server.control.json("GET", "universes")["universes"]) == before
        # A wrong admin token is refused up front.
        run = run_user_suite(tmp_path, dict(env, DTU_ADMIN_TOKEN="wrong"))
        assert "401" in run.stdout and "DTU_ADMIN_TOKEN" in run.stdout, run.stdout + run.stderr
