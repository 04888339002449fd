"""Tier 1: auth.*, team.info, bots.info, users.* through slack_sdk (sync and async)."""

from __future__ import annotations

from slack_sdk import WebClient

from test_slack_support import expect_error, slack  # noqa: F401  (fixture)

PEOPLE = 15  # in fixtures/default.yaml


def test_auth_test_bot_and_user(slack):
    bot = slack.bot.auth_test()
    assert set(bot.data) == {"ok", "url", "team", "user", "team_id", "user_id", "bot_id", "is_enterprise_install"}
    assert bot["url"] == "https://acme.slack.com/"
    assert bot["team"] == "Acme Corp"
    assert bot["user"] == "dtu-bot"
    assert bot["user_id"] == slack.bot_user
    assert bot["bot_id"].startswith("B")
    assert bot["is_enterprise_install"] is False
    user = slack.user.auth_test()
    assert user["user"] == "alice" and "bot_id" not in user.data
    assert user["team_id"] == bot["team_id"] == slack.info["team_id"]


def test_auth_revoke(slack):
    assert slack.user.auth_revoke(test=True)["revoked"] is False
    assert slack.user.auth_test()["ok"]
    assert slack.user.auth_revoke()["revoked"] is True
    expect_error("token_revoked", slack.user.auth_test)
    assert slack.bot.auth_test()["ok"]  # other tokens keep working


def test_auth_revoke_follows_the_universe_state(slack, universe, control):
    """A revocation is world state: reset and restoring a snapshot from before it bring
    the token back; a snapshot after it, and forks made after it, keep it revoked (the
    universe object still names the token)."""
    uid = universe["id"]
    assert control.post(f"universes/{uid}/snapshots", json={"name": "before"}).status_code == 201
    assert slack.bot.auth_revoke()["revoked"] is True
    expect_error("token_revoked", slack.bot.auth_test)
    assert control.post(f"universes/{uid}/snapshots", json={"name": "after"}).status_code == 201

    fork = control.post("universes", json={"from": uid}).json()
    try:
        assert fork["slack"]["bot_token"], "the fork's universe object names its bot token"
        assert fork["slack"]["bot_token"] != universe["slack"]["bot_token"]
        forked = WebClient(token=fork["slack"]["bot_token"], base_url=fork["slack"]["base_url"])
        expect_error("token_revoked", forked.auth_test)
        assert WebClient(token=fork["slack"]["user_token"], base_url=fork["slack"]["base_url"]).auth_test()["ok"]
        # Resetting the fork goes back to its fork point, where the token was revoked.
        assert control.post(f"universes/{fork['id']}/reset").status_code in (200, 204)
        expect_error("token_revoked", forked.auth_test)
    finally:
        control.delete(f"universes/{fork['id']}")

    assert control.get(f"universes/{uid}").json()["slack"]["bot_token"] == universe["slack"]["bot_token"]
    assert control.post(f"universes/{uid}/snapshots/before/restore").status_code in (200, 204)
    assert slack.bot.auth_test()["ok"]
    assert control.post(f"universes/{uid}/snapshots/after/restore").status_code in (200, 204)
    expect_error("token_revoked", slack.bot.auth_test)
    assert control.post(f"universes/{uid}/reset").status_code in (200, 204)
    assert slack.bot.auth_test()["ok"]


def test_team_info(slack):
    team = slack.bot.team_info()["team"]
    assert team["id"] == slack.info["team_id"]
    assert (team["name"], team["domain"], team["email_domain"]) == ("Acme Corp", "acme", "acme.test")
    assert slack.bot.team_info(team=team["id"])["team"]["id"] == team["id"]
    expect_error("team_not_found", slack.bot.team_info, team="T0000000000")


def test_bots_info(slack):
    bot_id = slack.bot.auth_test()["bot_id"]
    bot = slack.bot.bots_info(bot=bot_id)["bot"]
    assert bot["user_id"] == slack.bot_user and bot["app_id"].startswith("A") and bot["name"] == "DTU Bot"
    assert set(bot["icons"]) == {"image_36", "image_48", "image_72"}
    expect_error("bot_not_found", slack.bot.bots_info, bot="B0NOPE")


def test_users_list_paginates_to_the_end(slack):
    seen = []
    pages = 0
    last = None
    for page in slack.bot.users_list(limit=4):
        pages += 1
        seen.extend(m["id"] for m in page["members"])
        last = page
    assert last["response_metadata"]["next_cursor"] == ""
    assert pages == -(-(PEOPLE + 2) // 4)
    assert len(seen) == len(set(seen)) == PEOPLE + 2  # people + the bot user + Slackbot
    assert slack.bot_user in seen and "USLACKBOT" in seen
    expect_error("invalid_cursor", slack.bot.users_list, cursor="garbage!")


def test_users_info_and_email_visibility(slack):
    carol = slack.user_id("carol")
    user = slack.bot.users_info(user=carol)["user"]
    assert user["name"] == "carol" and user["real_name"] == "Carol Chen"
    assert user["profile"]["email"] == "carol@acme.test"
    assert user["profile"]["title"] == "Staff Software Engineer"
    assert user["tz"] == "America/Los_Angeles" and user["tz_offset"] in (-28800, -25200)
    assert user["is_bot"] is False and user["deleted"] is False
    me = slack.bot.users_info(user=slack.bot_user)["user"]
    assert me["is_bot"] is True and me["profile"]["bot_id"].startswith("B")
    expect_error("user_not_found", slack.bot.users_info, user="U0NOPE")


def test_users_deactivated_people(slack):
    members = {m["name"]: m for page in slack.bot.users_list() for m in page["members"]}
    assert members["victor"]["deleted"] is True  # deprovisioned
    assert members["alice"]["is_primary_owner"] is True and members["kevin"]["is_admin"] is True
    expect_error("users_not_found", slack.bot.users_lookupByEmail, email="victor@acme.test")


def test_users_lookup_by_email(slack):
    assert slack.bot.users_lookupByEmail(email="BOB@acme.test")["user"]["name"] == "bob"
    expect_error("users_not_found", slack.bot.users_lookupByEmail, email="nobody@acme.test")


def test_users_conversations(slack):
    bot_channels = {c["name"] for page in slack.bot.users_conversations() for c in page["channels"]}
    assert bot_channels == {"general", "incidents", "announcements"}
    alice_private = slack.user.users_conversations(types="private_channel")["channels"]
    assert [c["name"] for c in alice_private] == ["leadership"]
    carol = slack.user_id("carol")
    carol_channels = {c["name"] for c in slack.bot.users_conversations(user=carol, limit=100)["channels"]}
    assert carol_channels == {"general", "engineering", "incidents", "random", "announcements"}
    expect_error("invalid_types", slack.bot.users_conversations, types="bogus")


def test_presence(slack):
    carol = slack.user_id("carol")
    assert slack.bot.users_getPresence(user=carol).data == {"ok": True, "presence": "active"}
    slack.user.users_setPresence(presence="away")
    mine = slack.user.users_getPresence(user=slack.alice)
    assert mine["presence"] == "away" and mine["manual_away"] is True and mine["online"] is False
    assert slack.bot.users_getPresence(user=slack.alice)["presence"] == "away"
    slack.user.users_setPresence(presence="auto")
    assert slack.user.users_getPresence(user=slack.alice)["presence"] == "active"
    expect_error("invalid_presence", slack.user.users_setPresence, presence="busy")


def test_profile_get_and_set(slack):
    profile = slack.bot.users_profile_get(user=slack.user_id("dave"))["profile"]
    assert profile["real_name"] == "Dave Diaz" and profile["email"] == "dave@acme.test"
    resp = slack.user.users_profile_set(profile={"status_text": "In a meeting", "status_emoji": ":calendar:"})
    assert resp["profile"]["status_text"] == "In a meeting"
    assert slack.bot.users_info(user=slack.alice)["user"]["profile"]["status_emoji"] == ":calendar:"
    slack.user.users_profile_set(name="title", value="CEO & Founder")
    assert slack.user.users_profile_get()["profile"]["title"] == "CEO & Founder"
    expect_error("too_long", slack.user.users_profile_set, profile={"status_text": "x" * 101})
    expect_error("invalid_profile", slack.user.users_profile_set, profile="{not json")


async def test_async_client_reads_with_get(slack):
    client = slack.async_client("bot")
    members = []
    async for page in await client.users_list(limit=5):
        members.extend(page["members"])
    assert len(members) == PEOPLE + 2
    info = await client.users_info(user=slack.bot_user)
    assert info["user"]["id"] == slack.bot_user


def test_node_style_json_string_lists(slack):
    # Node sends arrays as JSON strings inside form fields
    client = WebClient(token=slack.info["bot_token"], base_url=slack.info["base_url"])
    resp = client.api_call("users.conversations", params={"types": '["public_channel","private_channel"]'})
    assert {c["name"] for c in resp["channels"]} == {"general", "incidents", "announcements"}
