"""Tier 4: reactions.*, pins.*, bookmarks.* through slack_sdk."""

from __future__ import annotations

from test_slack_support import expect_error, slack  # noqa: F401  (fixture)


def test_reactions_add_get_remove(slack):
    general = slack.channel("general")
    ts = slack.bot.chat_postMessage(channel=general, text="react to me")["ts"]
    assert slack.bot.reactions_add(channel=general, timestamp=ts, name="eyes").data == {"ok": True}
    slack.user.reactions_add(channel=general, timestamp=ts, name=":eyes:")
    slack.user.reactions_add(channel=general, timestamp=ts, name="+1")
    got = slack.bot.reactions_get(channel=general, timestamp=ts)
    assert got["type"] == "message" and got["channel"] == general
    assert got["message"]["reactions"] == [
        {"name": "eyes", "users": [slack.bot_user, slack.alice], "count": 2},
        {"name": "+1", "users": [slack.alice], "count": 1},
    ]
    assert got["message"]["permalink"].startswith("https://acme.slack.com/archives/")
    expect_error("already_reacted", slack.bot.reactions_add, channel=general, timestamp=ts, name="eyes")
    slack.user.reactions_remove(channel=general, timestamp=ts, name="+1")
    expect_error("no_reaction", slack.user.reactions_remove, channel=general, timestamp=ts, name="+1")
    reactions = slack.bot.reactions_get(channel=general, timestamp=ts)["message"]["reactions"]
    assert [r["name"] for r in reactions] == ["eyes"]
    expect_error("invalid_name", slack.bot.reactions_add, channel=general, timestamp=ts, name="two words")
    expect_error("message_not_found", slack.bot.reactions_add, channel=general, timestamp="1000000000.000001", name="x")
    expect_error("bad_timestamp", slack.bot.reactions_add, channel=general, timestamp="yesterday", name="x")
    expect_error("no_item_specified", slack.bot.reactions_get)
    expect_error("channel_not_found", slack.bot.reactions_add, channel=slack.channel("leadership"), timestamp=ts, name="x")


def test_reactions_on_seeded_messages_and_list(slack):
    general = slack.channel("general")
    welcome = slack.bot.conversations_history(channel=general)["messages"][-1]
    assert welcome["reactions"][0]["name"] == "wave" and welcome["reactions"][0]["count"] == 4
    bob = slack.user_id("bob")
    # bob reacted to messages in #general, #engineering, #incidents, #announcements
    items = [i for page in slack.bot.reactions_list(user=bob, limit=2) for i in page["items"]]
    assert len(items) == 6 and all(i["type"] == "message" for i in items)
    stamps = [float(i["message"]["ts"]) for i in items]
    assert stamps == sorted(stamps, reverse=True)
    ts = slack.bot.chat_postMessage(channel=general, text="new")["ts"]
    slack.user.reactions_add(channel=general, timestamp=ts, name="tada")
    mine = slack.user.reactions_list()["items"]
    assert mine[0]["message"]["ts"] == ts and mine[0]["channel"] == general
    expect_error("user_not_found", slack.bot.reactions_list, user="U0NOPE")


def test_pins(slack):
    general = slack.channel("general")
    first = slack.bot.chat_postMessage(channel=general, text="pin one")["ts"]
    second = slack.bot.chat_postMessage(channel=general, text="pin two")["ts"]
    assert slack.bot.pins_add(channel=general, timestamp=first)["ok"]
    slack.user.pins_add(channel=general, timestamp=second)
    items = slack.bot.pins_list(channel=general)["items"]
    assert [i["message"]["ts"] for i in items] == [second, first]
    assert items[0]["created_by"] == slack.alice and items[0]["type"] == "message"
    assert items[0]["message"]["pinned_to"] == [general]
    assert slack.bot.conversations_history(channel=general, limit=1)["pin_count"] == 2
    expect_error("already_pinned", slack.bot.pins_add, channel=general, timestamp=first)
    slack.bot.pins_remove(channel=general, timestamp=first)
    expect_error("not_pinned", slack.bot.pins_remove, channel=general, timestamp=first)
    assert [i["message"]["ts"] for i in slack.bot.pins_list(channel=general)["items"]] == [second]
    expect_error("no_item_specified", slack.bot.pins_add, channel=general)
    engineering = slack.channel("engineering")
    seeded = slack.user.conversations_history(channel=engineering, limit=1)["messages"][0]["ts"]
    expect_error("not_in_channel", slack.bot.pins_add, channel=engineering, timestamp=seeded)
    expect_error("channel_not_found", slack.bot.pins_list, channel=slack.channel("leadership"))


def test_pins_go_with_deleted_messages(slack):
    general = slack.channel("general")
    ts = slack.bot.chat_postMessage(channel=general, text="temporary")["ts"]
    slack.bot.pins_add(channel=general, timestamp=ts)
    slack.bot.chat_delete(channel=general, ts=ts)
    assert slack.bot.pins_list(channel=general)["items"] == []


def test_bookmarks(slack):
    general = slack.channel("general")
    a = slack.bot.bookmarks_add(channel_id=general, title="Handbook", type="link",
                                link="https://wiki.acme.test/handbook", emoji=":book:")["bookmark"]
    assert a["id"].startswith("Bk") and a["channel_id"] == general and a["type"] == "link"
    assert (a["title"], a["link"], a["emoji"]) == ("Handbook", "https://wiki.acme.test/handbook", ":book:")
    b = slack.user.bookmarks_add(channel_id=general, title="Status", type="link", link="https://status.acme.test")["bookmark"]
    listed = slack.bot.bookmarks_list(channel_id=general)["bookmarks"]
    assert [x["id"] for x in listed] == [a["id"], b["id"]]
    slack.bot.bookmarks_remove(channel_id=general, bookmark_id=a["id"])
    assert [x["id"] for x in slack.bot.bookmarks_list(channel_id=general)["bookmarks"]] == [b["id"]]
    expect_error("not_found", slack.bot.bookmarks_remove, channel_id=general, bookmark_id=a["id"])
    expect_error("invalid_link", slack.bot.bookmarks_add, channel_id=general, title="x", type="link", link="not a url")
    expect_error("invalid_bookmark_type", slack.bot.bookmarks_add, channel_id=general, title="x", type="folder")
    expect_error("channel_not_found", slack.bot.bookmarks_list, channel_id=slack.channel("leadership"))
