"""Tier 2: conversations.* through slack_sdk."""

from __future__ import annotations

import pytest

from test_slack_support import expect_error, slack  # noqa: F401  (fixture)

PUBLIC = {"general", "engineering", "sales", "incidents", "random", "announcements"}


def history(client, channel, **kwargs):
    return [m for page in client.conversations_history(channel=channel, **kwargs) for m in page["messages"]]


def test_list_public_by_default_and_private_for_members(slack):
    bot = {c["name"]: c for page in slack.bot.conversations_list() for c in page["channels"]}
    assert set(bot) == PUBLIC
    assert bot["general"]["is_member"] is True and bot["engineering"]["is_member"] is False
    assert bot["general"]["is_general"] is True and bot["general"]["num_members"] == 16
    assert bot["engineering"]["topic"]["value"] == "Sprint 42 | Release train: Tuesdays"
    # the bot is in no private channel; alice is in #leadership
    private = slack.bot.conversations_list(types="private_channel")["channels"]
    assert private == []
    alice = slack.user.conversations_list(types="private_channel")["channels"]
    assert [c["name"] for c in alice] == ["leadership"] and alice[0]["is_private"] is True


def test_list_paginates_with_the_sdk_iterator(slack):
    # the SDK's iterator reuses one response object, so read each page as it comes
    pages = [(p["channels"], p["response_metadata"]["next_cursor"]) for p in slack.bot.conversations_list(limit=2)]
    assert [len(channels) for channels, _ in pages] == [2, 2, 2]
    assert [bool(cursor) for _, cursor in pages] == [True, True, False]
    names = [c["name"] for channels, _ in pages for c in channels]
    assert sorted(names) == sorted(PUBLIC)
    expect_error("invalid_cursor", slack.bot.conversations_list, cursor="bm9wZQ==")
    expect_error("invalid_limit", slack.bot.conversations_list, limit=5000)
    expect_error("invalid_types", slack.bot.conversations_list, types="public_channel,nope")


def test_list_exclude_archived(slack):
    c = slack.bot.conversations_create(name="old-project")["channel"]["id"]
    slack.bot.conversations_archive(channel=c)
    names = {ch["name"] for page in slack.bot.conversations_list() for ch in page["channels"]}
    assert "old-project" in names
    names = {ch["name"] for page in slack.bot.conversations_list(exclude_archived=True) for ch in page["channels"]}
    assert "old-project" not in names


def test_info_and_visibility(slack):
    engineering = slack.channel("engineering")
    info = slack.bot.conversations_info(channel=engineering, include_num_members=True)["channel"]
    assert info["name"] == "engineering" and info["is_member"] is False and info["num_members"] == 4
    leadership = slack.channel("leadership")
    expect_error("channel_not_found", slack.bot.conversations_info, channel=leadership)
    assert slack.user.conversations_info(channel=leadership)["channel"]["is_private"] is True
    expect_error("channel_not_found", slack.bot.conversations_info, channel="C0NOPE")


def test_history_newest_first_with_threads_folded(slack):
    general = slack.channel("general")
    messages = history(slack.bot, general)
    texts = [m["text"] for m in messages]
    assert texts[0].startswith("Lunch is on us") and texts[-1].startswith("Welcome to Acme Corp")
    assert len(messages) == 6  # replies stay in their threads
    ts = [float(m["ts"]) for m in messages]
    assert ts == sorted(ts, reverse=True)
    q3 = next(m for m in messages if m["text"].startswith("Q3 results"))
    assert q3["reply_count"] == 2 and q3["thread_ts"] == q3["ts"] and len(q3["reply_users"]) == 2
    assert {r["name"]: r["count"] for r in q3["reactions"]} == {"tada": 5, "rocket": 2}


def test_history_paging_and_time_window(slack):
    general = slack.channel("general")
    everything = history(slack.bot, general)
    first = slack.bot.conversations_history(channel=general, limit=4)
    assert first["has_more"] is True and len(first["messages"]) == 4
    rest = slack.bot.conversations_history(channel=general, limit=4, cursor=first["response_metadata"]["next_cursor"])
    assert rest["has_more"] is False and rest["response_metadata"]["next_cursor"] == ""
    assert first["messages"] + rest["messages"] == everything
    assert sum(1 for _ in slack.bot.conversations_history(channel=general, limit=2)) == 3
    # oldest/latest are exclusive unless inclusive
    newest, second, third = everything[0]["ts"], everything[1]["ts"], everything[2]["ts"]
    window = slack.bot.conversations_history(channel=general, oldest=third, latest=newest)["messages"]
    assert [m["ts"] for m in window] == [second]
    window = slack.bot.conversations_history(channel=general, oldest=third, latest=newest, inclusive=True)["messages"]
    assert [m["ts"] for m in window] == [newest, second, third]
    expect_error("invalid_ts_oldest", slack.bot.conversations_history, channel=general, oldest="yesterday")
    expect_error("invalid_ts_latest", slack.bot.conversations_history, channel=general, latest="x")


def test_history_membership_rules(slack):
    engineering = slack.channel("engineering")
    expect_error("not_in_channel", slack.bot.conversations_history, channel=engineering)
    # a user token reads public channels it has not joined
    assert len(history(slack.user, engineering)) == 4
    expect_error("channel_not_found", slack.bot.conversations_history, channel=slack.channel("leadership"))


def test_replies(slack):
    incidents = slack.channel("incidents")
    parent = next(m for m in history(slack.bot, incidents) if m.get("reply_count"))
    thread = slack.bot.conversations_replies(channel=incidents, ts=parent["ts"])["messages"]
    assert thread[0]["ts"] == parent["ts"] and len(thread) == 5
    assert all(m["thread_ts"] == parent["ts"] for m in thread)
    assert [float(m["ts"]) for m in thread] == sorted(float(m["ts"]) for m in thread)
    assert thread[1]["parent_user_id"] == slack.bot_user
    # a reply's ts gives the same thread; paging works
    again = [m for page in slack.bot.conversations_replies(channel=incidents, ts=thread[2]["ts"], limit=2)
             for m in page["messages"]]
    assert [m["ts"] for m in again] == [m["ts"] for m in thread]
    expect_error("thread_not_found", slack.bot.conversations_replies, channel=incidents, ts="1000000000.000001")


@pytest.mark.parametrize(
    "name, error",
    [
        ("", "invalid_name_required"),
        ("---", "invalid_name_punctuation"),
        ("x" * 81, "invalid_name_maxlength"),
        ("Has Caps", "invalid_name_specials"),
        ("dots.are.bad", "invalid_name_specials"),
        ("general", "name_taken"),
    ],
)
def test_create_name_rules(slack, name, error):
    expect_error(error, slack.bot.conversations_create, name=name)


def test_create_public_and_private(slack):
    public = slack.bot.conversations_create(name="launch-2026")["channel"]
    assert public["name"] == "launch-2026" and public["is_member"] is True and public["is_private"] is False
    assert public["creator"] == slack.bot_user
    private = slack.user.conversations_create(name="exec-offsite", is_private=True)["channel"]
    assert private["is_private"] is True
    expect_error("channel_not_found", slack.bot.conversations_info, channel=private["id"])
    # archived names stay taken
    slack.bot.conversations_archive(channel=public["id"])
    expect_error("name_taken", slack.user.conversations_create, name="launch-2026")


def test_join_and_leave(slack):
    engineering = slack.channel("engineering")
    joined = slack.bot.conversations_join(channel=engineering)
    assert joined["channel"]["is_member"] is True and "warning" not in joined.data
    top = history(slack.bot, engineering, limit=1)[0]
    assert top["subtype"] == "channel_join" and top["user"] == slack.bot_user
    again = slack.bot.conversations_join(channel=engineering)
    assert again["warning"] == "already_in_channel"
    assert again["response_metadata"]["warnings"] == ["already_in_channel"]
    left = slack.bot.conversations_leave(channel=engineering)
    assert left["ok"] is True
    assert history(slack.user, engineering, limit=1)[0]["subtype"] == "channel_leave"
    assert slack.bot.conversations_leave(channel=engineering)["not_in_channel"] is True
    expect_error("cant_leave_general", slack.bot.conversations_leave, channel=slack.channel("general"))
    expect_error("channel_not_found", slack.bot.conversations_join, channel=slack.channel("leadership"))


def test_leave_last_member_of_private(slack):
    solo = slack.user.conversations_create(name="solo", is_private=True)["channel"]["id"]
    expect_error("last_member", slack.user.conversations_leave, channel=solo)


def test_invite_and_kick(slack):
    c = slack.bot.conversations_create(name="war-room")["channel"]["id"]
    carol, dave = slack.user_id("carol"), slack.user_id("dave")
    invited = slack.bot.conversations_invite(channel=c, users=[carol, dave])
    assert invited["channel"]["id"] == c
    assert set(slack.bot.conversations_members(channel=c)["members"]) == {slack.bot_user, carol, dave}
    join = history(slack.bot, c, limit=1)[0]
    assert join["subtype"] == "channel_join" and join["inviter"] == slack.bot_user
    resp = expect_error("already_in_channel", slack.bot.conversations_invite, channel=c, users=carol)
    assert resp["errors"] == [{"user": carol, "ok": False, "error": "already_in_channel"}]
    resp = expect_error("user_not_found", slack.bot.conversations_invite, channel=c, users=["U0NOPE", slack.bot_user])
    assert [e["error"] for e in resp["errors"]] == ["user_not_found", "cant_invite_self"]
    # not a member of the public channel: not_in_channel
    expect_error("not_in_channel", slack.bot.conversations_invite, channel=slack.channel("engineering"), users=carol)
    slack.bot.conversations_kick(channel=c, user=dave)
    assert dave not in slack.bot.conversations_members(channel=c)["members"]
    expect_error("not_in_channel", slack.bot.conversations_kick, channel=c, user=dave)
    expect_error("cant_kick_self", slack.bot.conversations_kick, channel=c, user=slack.bot_user)
    expect_error("cant_kick_from_general", slack.bot.conversations_kick, channel=slack.channel("general"), user=carol)


def test_archive_and_unarchive(slack):
    c = slack.bot.conversations_create(name="temp")["channel"]["id"]
    slack.bot.conversations_archive(channel=c)
    assert slack.bot.conversations_info(channel=c)["channel"]["is_archived"] is True
    expect_error("already_archived", slack.bot.conversations_archive, channel=c)
    expect_error("is_archived", slack.bot.chat_postMessage, channel=c, text="hello?")
    expect_error("is_archived", slack.bot.conversations_join, channel=c)
    expect_error("is_archived", slack.bot.conversations_setTopic, channel=c, topic="x")
    slack.bot.conversations_unarchive(channel=c)
    assert slack.bot.conversations_info(channel=c)["channel"]["is_archived"] is False
    expect_error("not_archived", slack.bot.conversations_unarchive, channel=c)
    expect_error("cant_archive_general", slack.bot.conversations_archive, channel=slack.channel("general"))
    expect_error("not_in_channel", slack.bot.conversations_archive, channel=slack.channel("sales"))
    subtypes = [m.get("subtype") for m in history(slack.bot, c)]
    assert subtypes[:2] == ["channel_unarchive", "channel_archive"]


def test_rename(slack):
    c = slack.bot.conversations_create(name="draft")["channel"]["id"]
    renamed = slack.bot.conversations_rename(channel=c, name="final")["channel"]
    assert renamed["name"] == "final" and renamed["previous_names"] == ["draft"]
    top = history(slack.bot, c, limit=1)[0]
    assert (top["subtype"], top["old_name"], top["name"]) == ("channel_name", "draft", "final")
    expect_error("name_taken", slack.bot.conversations_rename, channel=c, name="random")
    expect_error("invalid_name_specials", slack.bot.conversations_rename, channel=c, name="Final!")
    expect_error("not_in_channel", slack.bot.conversations_rename, channel=slack.channel("sales"), name="x")


def test_topic_and_purpose(slack):
    incidents = slack.channel("incidents")
    channel = slack.bot.conversations_setTopic(channel=incidents, topic="INC-102 open")["channel"]
    assert channel["topic"]["value"] == "INC-102 open" and channel["topic"]["creator"] == slack.bot_user
    top = history(slack.bot, incidents, limit=1)[0]
    assert top["subtype"] == "channel_topic" and top["topic"] == "INC-102 open"
    slack.bot.conversations_setPurpose(channel=incidents, purpose="Prod incidents only")
    assert slack.bot.conversations_info(channel=incidents)["channel"]["purpose"]["value"] == "Prod incidents only"
    assert history(slack.bot, incidents, limit=1)[0]["subtype"] == "channel_purpose"
    expect_error("too_long", slack.bot.conversations_setTopic, channel=incidents, topic="x" * 251)
    expect_error("not_in_channel", slack.bot.conversations_setPurpose, channel=slack.channel("sales"), purpose="x")


def test_open_and_close_dms(slack):
    carol, dave = slack.user_id("carol"), slack.user_id("dave")
    dm = slack.bot.conversations_open(users=carol)
    assert dm["channel"]["id"].startswith("D") and "no_op" not in dm.data
    again = slack.bot.conversations_open(users=[carol], return_im=True)
    assert again["channel"]["id"] == dm["channel"]["id"] and again["already_open"] is True
    assert again["channel"]["is_im"] is True and again["channel"]["user"] == carol
    mpim = slack.bot.conversations_open(users=[carol, dave])["channel"]
    assert mpim["is_mpim"] is True and mpim["name"] == "mpdm-carol--dave--dtu-bot-1"
    assert slack.bot.conversations_open(users=[dave, carol])["channel"]["id"] == mpim["id"]
    ims = slack.bot.conversations_list(types="im,mpim")["channels"]
    assert {c["id"] for c in ims} == {dm["channel"]["id"], mpim["id"]}
    assert slack.bot.conversations_close(channel=dm["channel"]["id"]).data == {"ok": True}
    assert slack.bot.conversations_close(channel=dm["channel"]["id"])["already_closed"] is True
    expect_error("method_not_supported_for_channel_type", slack.bot.conversations_close, channel=slack.channel("general"))
    expect_error("users_list_not_supplied", slack.bot.conversations_open, users="")
    everyone = [m["id"] for m in slack.bot.users_list()["members"] if not m["deleted"] and not m["is_bot"]]
    expect_error("too_many_users", slack.bot.conversations_open, users=everyone[:9])
    expect_error("user_not_found", slack.bot.conversations_open, users="U0NOPE")
    victor = next(m["id"] for m in slack.bot.users_list()["members"] if m["name"] == "victor")
    expect_error("user_disabled", slack.bot.conversations_open, users=victor)


def test_members_paginate(slack):
    general = slack.channel("general")
    members = [m for page in slack.bot.conversations_members(channel=general, limit=5) for m in page["members"]]
    assert len(members) == len(set(members)) == 16 and slack.bot_user in members
    expect_error("channel_not_found", slack.bot.conversations_members, channel=slack.channel("leadership"))
    expect_error("invalid_cursor", slack.bot.conversations_members, channel=general, cursor="xyz")


def test_mark(slack):
    general = slack.channel("general")
    ts = history(slack.bot, general, limit=1)[0]["ts"]
    assert slack.bot.conversations_mark(channel=general, ts=ts)["ok"]
    assert slack.bot.conversations_info(channel=general)["channel"]["last_read"] == ts
    expect_error("invalid_timestamp", slack.bot.conversations_mark, channel=general, ts="soon")
    expect_error("not_in_channel", slack.bot.conversations_mark, channel=slack.channel("sales"), ts=ts)


async def test_async_history_and_replies(slack):
    client = slack.async_client("bot")
    incidents = slack.channel("incidents")
    pages = [(p["messages"], p["has_more"]) async for p in await client.conversations_history(channel=incidents, limit=1)]
    assert [has_more for _, has_more in pages] == [True, True, False]
    parent = pages[-1][0][0]
    assert parent["reply_count"] == 4
    replies = await client.conversations_replies(channel=incidents, ts=parent["ts"])
    assert len(replies["messages"]) == 5
