"""Tier 3: chat.* through slack_sdk (sync and async), scheduled messages on the universe clock."""

from __future__ import annotations

import time

import pytest

from test_slack_support import advance_clock, expect_error, slack  # noqa: F401  (fixture)


# The SDK warns (client-side) about messages without top-level text; some tests mean to send them.
pytestmark = pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")


def latest(client, channel, n=1):
    return client.conversations_history(channel=channel, limit=n)["messages"]


def test_post_message_to_a_channel(slack):
    general = slack.channel("general")
    resp = slack.bot.chat_postMessage(channel=general, text="Deploy finished :rocket:")
    assert resp["channel"] == general
    m = resp["message"]
    assert (m["type"], m["user"], m["text"], m["ts"]) == ("message", slack.bot_user, "Deploy finished :rocket:", resp["ts"])
    assert m["bot_id"].startswith("B") and m["app_id"].startswith("A") and m["bot_profile"]["name"] == "DTU Bot"
    assert latest(slack.bot, general)[0]["ts"] == resp["ts"]
    # ts strings are unique and increasing, even within one clock tick
    stamps = [slack.bot.chat_postMessage(channel=general, text=f"n{i}")["ts"] for i in range(5)]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 5
    assert all(len(s.split(".")[1]) == 6 for s in stamps)


def test_ts_follow_a_clock_set_back(slack, control, universe):
    """ts follow the universe clock back: at once in a channel holding nothing later,
    after the latest message in one that holds a message from the far future (so the
    channel's order stays true), and back on the clock once that message is gone."""
    general, random = slack.channel("general"), slack.channel("random")
    slack.bot.conversations_join(channel=random)
    clock = f"universes/{universe['id']}/clock"
    assert control.put(clock, json={"now": "2030-01-01T00:00:00Z", "frozen": True}).status_code == 200
    far = slack.bot.chat_postMessage(channel=general, text="from the future")["ts"]
    assert far == "1893456000.000000"
    slack.bot.chat_postMessage(channel=random, text="also from the future")
    assert control.put(clock, json={"now": "2029-01-01T00:00:00Z"}).status_code == 200
    back = 1861920000  # 2029-01-01, after every seeded message
    # general still holds the 2030 message: the next ts comes after it, not before.
    after_far = slack.bot.chat_postMessage(channel=general, text="after")["ts"]
    assert after_far == "1893456000.000001"
    slack.bot.chat_delete(channel=random, ts=latest(slack.bot, random)[0]["ts"])
    on_clock = [slack.bot.chat_postMessage(channel=random, text=f"r{i}")["ts"] for i in range(3)]
    assert on_clock == [f"{back}.000000", f"{back}.000001", f"{back}.000002"]
    slack.bot.chat_delete(channel=general, ts=after_far)
    slack.bot.chat_delete(channel=general, ts=far)
    again = slack.bot.chat_postMessage(channel=general, text="on the clock again")["ts"]
    assert again == f"{back}.000000", again
    stamps = [m["ts"] for m in latest(slack.bot, general, 50)]
    assert stamps == sorted(stamps, key=float, reverse=True) and len(set(stamps)) == len(stamps)


def test_post_by_name_and_to_a_user(slack):
    assert slack.bot.chat_postMessage(channel="#general", text="by name")["channel"] == slack.channel("general")
    carol = slack.user_id("carol")
    dm = slack.bot.chat_postMessage(channel=carol, text="Hi Carol")
    assert dm["channel"].startswith("D")
    assert dm["channel"] == slack.bot.conversations_open(users=carol)["channel"]["id"]
    assert latest(slack.bot, dm["channel"])[0]["text"] == "Hi Carol"


def test_post_blocks_and_attachments(slack):
    general = slack.channel("general")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Build* passed"}}, {"type": "divider"}]
    resp = slack.bot.chat_postMessage(channel=general, text="Build passed", blocks=blocks,
                                      attachments=[{"color": "good", "text": "all green"}])
    assert resp["message"]["blocks"] == blocks
    assert resp["message"]["attachments"][0]["text"] == "all green"
    stored = latest(slack.bot, general)[0]
    assert stored["blocks"] == blocks
    # blocks alone are enough
    assert slack.bot.chat_postMessage(channel=general, blocks=blocks)["ok"]


def test_post_errors(slack):
    general = slack.channel("general")
    expect_error("no_text", slack.bot.chat_postMessage, channel=general, text="")
    expect_error("msg_too_long", slack.bot.chat_postMessage, channel=general, text="x" * 40_001)
    assert slack.bot.chat_postMessage(channel=general, text="x" * 40_000)["ok"]
    expect_error("channel_not_found", slack.bot.chat_postMessage, channel="C0NOPE", text="hi")
    expect_error("channel_not_found", slack.bot.chat_postMessage, channel=slack.channel("leadership"), text="hi")
    expect_error("invalid_blocks_format", slack.bot.chat_postMessage, channel=general, text="t", blocks="[{")
    expect_error("invalid_blocks", slack.bot.chat_postMessage, channel=general, text="t", blocks=[{"text": "no type"}])
    # a user token must join a public channel before posting; the bot has chat:write.public
    engineering = slack.channel("engineering")
    expect_error("not_in_channel", slack.user.chat_postMessage, channel=engineering, text="hi")
    assert slack.bot.chat_postMessage(channel=engineering, text="from outside")["ok"]


def test_threads(slack):
    general = slack.channel("general")
    parent = slack.bot.chat_postMessage(channel=general, text="Incident retro thread")["ts"]
    r1 = slack.user.chat_postMessage(channel=general, text="I'll write it up", thread_ts=parent)
    assert r1["message"]["thread_ts"] == parent and r1["message"]["parent_user_id"] == slack.bot_user
    r2 = slack.bot.chat_postMessage(channel=general, text="thanks", thread_ts=parent)
    top = latest(slack.bot, general)[0]
    assert top["ts"] == parent  # replies stay out of history
    assert top["reply_count"] == 2 and top["reply_users_count"] == 2
    assert top["reply_users"] == [slack.alice, slack.bot_user] and top["latest_reply"] == r2["ts"]
    b = slack.bot.chat_postMessage(channel=general, text="FYI all", thread_ts=parent, reply_broadcast=True)
    top = latest(slack.bot, general)[0]
    assert top["ts"] == b["ts"] and top["subtype"] == "thread_broadcast" and top["root"]["ts"] == parent
    thread = slack.bot.conversations_replies(channel=general, ts=parent)["messages"]
    assert [m["ts"] for m in thread] == [parent, r1["ts"], r2["ts"], b["ts"]]


def test_update(slack):
    general = slack.channel("general")
    ts = slack.bot.chat_postMessage(channel=general, text="draft")["ts"]
    resp = slack.bot.chat_update(channel=general, ts=ts, text="final")
    assert resp["text"] == "final" and resp["ts"] == ts
    m = latest(slack.bot, general)[0]
    assert m["text"] == "final" and m["edited"]["user"] == slack.bot_user
    assert float(m["edited"]["ts"]) >= float(ts)
    alice_ts = slack.user.chat_postMessage(channel=general, text="mine")["ts"]
    expect_error("cant_update_message", slack.bot.chat_update, channel=general, ts=alice_ts, text="hijack")
    expect_error("message_not_found", slack.bot.chat_update, channel=general, ts="1000000000.000001", text="x")
    expect_error("msg_too_long", slack.bot.chat_update, channel=general, ts=ts, text="x" * 40_001)
    expect_error("no_text", slack.bot.chat_update, channel=general, ts=ts)


def test_delete(slack):
    general = slack.channel("general")
    ts = slack.bot.chat_postMessage(channel=general, text="oops")["ts"]
    assert slack.bot.chat_delete(channel=general, ts=ts).data == {"ok": True, "channel": general, "ts": ts}
    assert latest(slack.bot, general)[0]["ts"] != ts
    expect_error("message_not_found", slack.bot.chat_delete, channel=general, ts=ts)
    alice_ts = slack.user.chat_postMessage(channel=general, text="keep")["ts"]
    expect_error("cant_delete_message", slack.bot.chat_delete, channel=general, ts=alice_ts)


def test_delete_reply_updates_parent(slack):
    general = slack.channel("general")
    parent = slack.bot.chat_postMessage(channel=general, text="parent")["ts"]
    reply = slack.bot.chat_postMessage(channel=general, text="reply", thread_ts=parent)["ts"]
    slack.bot.chat_delete(channel=general, ts=reply)
    top = latest(slack.bot, general)[0]
    assert top["ts"] == parent and "reply_count" not in top


def test_post_ephemeral(slack):
    general = slack.channel("general")
    carol = slack.user_id("carol")
    before = latest(slack.bot, general)[0]["ts"]
    resp = slack.bot.chat_postEphemeral(channel=general, user=carol, text="only you can see this")
    assert float(resp["message_ts"]) > 0
    assert latest(slack.bot, general)[0]["ts"] == before  # not in history
    expect_error("user_not_in_channel", slack.bot.chat_postEphemeral, channel=slack.channel("incidents"),
                 user=slack.user_id("frank"), text="x")
    expect_error("no_text", slack.bot.chat_postEphemeral, channel=general, user=carol, text="")


def test_get_permalink(slack):
    general = slack.channel("general")
    ts = slack.bot.chat_postMessage(channel=general, text="link me")["ts"]
    link = slack.bot.chat_getPermalink(channel=general, message_ts=ts)["permalink"]
    assert link == f"https://acme.slack.com/archives/{general}/p{ts.replace('.', '')}"
    reply = slack.bot.chat_postMessage(channel=general, text="r", thread_ts=ts)["ts"]
    link = slack.bot.chat_getPermalink(channel=general, message_ts=reply)["permalink"]
    assert link.endswith(f"?thread_ts={ts}&cid={general}")
    expect_error("message_not_found", slack.bot.chat_getPermalink, channel=general, message_ts="1000000000.000001")


def test_me_message(slack):
    general = slack.channel("general")
    resp = slack.bot.chat_meMessage(channel=general, text="waves")
    m = latest(slack.bot, general)[0]
    assert m["ts"] == resp["ts"] and m["subtype"] == "me_message" and m["text"] == "waves"
    expect_error("no_text", slack.bot.chat_meMessage, channel=general, text="")


def test_scheduled_messages_post_when_the_clock_gets_there(slack, control, universe):
    general = slack.channel("general")
    now = int(time.time())
    resp = slack.bot.chat_scheduleMessage(channel=general, text="Standup in 5", post_at=now + 3600)
    sid = resp["scheduled_message_id"]
    assert sid.startswith("Q") and resp["post_at"] == now + 3600 and resp["message"]["text"] == "Standup in 5"
    later = slack.bot.chat_scheduleMessage(channel=general, text="Later", post_at=now + 7200)["scheduled_message_id"]
    listed = slack.bot.chat_scheduledMessages_list(channel=general)["scheduled_messages"]
    assert [m["id"] for m in listed] == [sid, later]
    assert listed[0]["channel_id"] == general and listed[0]["text"] == "Standup in 5"
    slack.bot.chat_deleteScheduledMessage(channel=general, scheduled_message_id=later)
    expect_error("invalid_scheduled_message_id", slack.bot.chat_deleteScheduledMessage,
                 channel=general, scheduled_message_id=later)
    assert latest(slack.bot, general)[0]["text"] != "Standup in 5"
    advance_clock(control, universe, 3601)
    top = latest(slack.bot, general)[0]
    assert top["text"] == "Standup in 5" and top["user"] == slack.bot_user
    assert abs(float(top["ts"]) - (now + 3600)) < 5
    assert slack.bot.chat_scheduledMessages_list()["scheduled_messages"] == []
    expect_error("time_in_past", slack.bot.chat_scheduleMessage, channel=general, text="x", post_at=now - 10)
    expect_error("time_too_far", slack.bot.chat_scheduleMessage, channel=general, text="x", post_at=now + 200 * 86400)
    expect_error("invalid_channel", slack.bot.chat_scheduledMessages_list, channel="C0NOPE")


def test_scheduled_messages_paginate(slack):
    general = slack.channel("general")
    now = int(time.time())
    ids = [slack.bot.chat_scheduleMessage(channel=general, text=f"m{i}", post_at=now + 600 + i)["scheduled_message_id"]
           for i in range(5)]
    seen = [m["id"] for page in slack.bot.chat_scheduledMessages_list(limit=2) for m in page["scheduled_messages"]]
    assert seen == ids


async def test_async_post_update_delete(slack):
    client = slack.async_client("bot")
    general = slack.channel("general")
    posted = await client.chat_postMessage(channel=general, text="async hello",
                                           blocks=[{"type": "section", "text": {"type": "plain_text", "text": "hi"}}])
    await client.chat_update(channel=general, ts=posted["ts"], text="async edited")
    history = await client.conversations_history(channel=general, limit=1)
    assert history["messages"][0]["text"] == "async edited"
    deleted = await client.chat_delete(channel=general, ts=posted["ts"])
    assert deleted["ts"] == posted["ts"]
