"""Tier 5: usergroups.*, search.messages, emoji.list, dnd.info through slack_sdk."""

from __future__ import annotations

from test_slack_support import expect_error, slack  # noqa: F401  (fixture)


def groups(client, **kwargs):
    return {g["handle"]: g for g in client.usergroups_list(**kwargs)["usergroups"]}


def test_seeded_usergroups(slack):
    seeded = groups(slack.bot, include_users=True, include_count=True)
    assert set(seeded) == {"everyone", "executive", "engineering", "sales", "operations", "admins", "oncall"}
    oncall = seeded["oncall"]
    assert oncall["id"].startswith("S") and oncall["name"] == "On-call" and oncall["user_count"] == 3
    assert set(oncall["users"]) == {slack.user_id(h) for h in ("carol", "dave", "erin")}
    assert "users" not in groups(slack.bot)["oncall"]
    users = slack.bot.usergroups_users_list(usergroup=oncall["id"])["users"]
    assert set(users) == set(oncall["users"])


def test_usergroup_lifecycle(slack):
    created = slack.bot.usergroups_create(name="Release Managers", handle="release-mgrs",
                                          description="Ship it", channels=slack.channel("engineering"))["usergroup"]
    gid = created["id"]
    assert (created["name"], created["handle"], created["description"]) == ("Release Managers", "release-mgrs", "Ship it")
    assert created["prefs"]["channels"] == [slack.channel("engineering")] and created["created_by"] == slack.bot_user
    carol, dave = slack.user_id("carol"), slack.user_id("dave")
    updated = slack.bot.usergroups_users_update(usergroup=gid, users=[carol, dave])["usergroup"]
    assert updated["users"] == [carol, dave]
    renamed = slack.bot.usergroups_update(usergroup=gid, name="Release Captains", include_count=True)["usergroup"]
    assert renamed["name"] == "Release Captains" and renamed["user_count"] == 2
    disabled = slack.bot.usergroups_disable(usergroup=gid)["usergroup"]
    assert disabled["date_delete"] > 0 and disabled["deleted_by"] == slack.bot_user
    assert "release-mgrs" not in groups(slack.bot)
    assert "release-mgrs" in groups(slack.bot, include_disabled=True)
    expect_error("no_such_subteam", slack.bot.usergroups_users_list, usergroup=gid)
    assert slack.bot.usergroups_users_list(usergroup=gid, include_disabled=True)["users"] == [carol, dave]
    assert slack.bot.usergroups_enable(usergroup=gid)["usergroup"]["date_delete"] == 0
    assert "release-mgrs" in groups(slack.bot)


def test_usergroup_errors(slack):
    expect_error("name_already_exists", slack.bot.usergroups_create, name="Engineering", handle="eng2")
    expect_error("handle_already_exists", slack.bot.usergroups_create, name="Eng Two", handle="engineering")
    expect_error("bad_handle", slack.bot.usergroups_create, name="Bad", handle="Has Spaces")
    expect_error("missing_subteam_name", slack.bot.usergroups_create, name="")
    expect_error("no_such_subteam", slack.bot.usergroups_update, usergroup="S0NOPE", name="x")
    gid = groups(slack.bot)["oncall"]["id"]
    expect_error("invalid_users", slack.bot.usergroups_users_update, usergroup=gid, users="U0NOPE")
    expect_error("no_users_provided", slack.bot.usergroups_users_update, usergroup=gid, users="")
    expect_error("invalid_channel_provided", slack.bot.usergroups_update, usergroup=gid, channels="C0NOPE")


def test_search_messages(slack):
    found = slack.user.search_messages(query="INC-101")
    matches = found["messages"]["matches"]
    assert found["query"] == "INC-101" and found["messages"]["total"] == len(matches) == 3
    assert all("INC-101" in m["text"] for m in matches)
    assert matches[0]["channel"]["name"] == "incidents" and matches[0]["permalink"].startswith("https://acme.slack.com/")
    stamps = [float(m["ts"]) for m in matches]
    assert stamps == sorted(stamps, reverse=True)
    scoped = slack.user.search_messages(query="in:#incidents from:@dave")["messages"]["matches"]
    assert scoped and all(m["username"] == "dave" for m in scoped)
    # private channels only for members: alice sees #leadership
    assert slack.user.search_messages(query="budget")["messages"]["total"] == 1
    phrase = slack.user.search_messages(query='"security questionnaire"')["messages"]
    assert phrase["total"] == 1 and phrase["matches"][0]["channel"]["name"] == "sales"
    paged = slack.user.search_messages(query="the", count=2, page=2)["messages"]
    assert paged["paging"]["page"] == 2 and len(paged["matches"]) == 2 and paged["paging"]["pages"] >= 2
    expect_error("no_query", slack.user.search_messages, query="")
    expect_error("not_allowed_token_type", slack.bot.search_messages, query="INC-101")


def test_search_cursor_paging_with_the_sdk(slack):
    total = slack.user.search_messages(query="the")["messages"]["total"]
    seen = [m["iid"] for page in slack.user.search_messages(query="the", count=3, cursor="*")
            for m in page["messages"]["matches"]]
    assert len(seen) == len(set(seen)) == total


def test_emoji_and_dnd(slack):
    emoji = slack.bot.emoji_list()
    assert emoji["emoji"] == {} and "cache_ts" in emoji.data
    dnd = slack.bot.dnd_info(user=slack.user_id("carol"))
    assert dnd["dnd_enabled"] is False and "snooze_enabled" not in dnd.data
    assert slack.user.dnd_info()["snooze_enabled"] is False
    expect_error("user_not_found", slack.bot.dnd_info, user="U0NOPE")
