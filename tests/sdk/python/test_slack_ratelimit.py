"""The 429 path: a chaos rule makes chat.postMessage answer like Slack's rate limiter
(HTTP 429, integer Retry-After, {"ok":false,"error":"ratelimited"})."""

from __future__ import annotations

import time

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

from test_slack_support import slack, slack_error  # noqa: F401  (fixture)

RULE = {
    "match": {"service": "slack", "operation": "chat.postMessage"},
    "trigger": {"first_n": 1},
    "action": {"kind": "rate_limit", "retry_after_s": 1},
}


def install_rule(control, universe):
    resp = control.post(f"universes/{universe['id']}/chaos/rules", json=RULE)
    assert resp.status_code in (200, 201), resp.text


def test_default_client_raises_429_with_retry_after(slack, control, universe):
    install_rule(control, universe)
    general = slack.channel("general")
    response = slack_error(slack.bot.chat_postMessage, channel=general, text="first")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.data == {"ok": False, "error": "ratelimited"}
    # the rule fired once; the next call goes through
    assert slack.bot.chat_postMessage(channel=general, text="second")["ok"]
    entries = control.get(f"universes/{universe['id']}/journal", params={"operation": "chat.postMessage"}).text
    assert "rate_limit" in entries


def test_retry_handler_waits_and_succeeds(slack, control, universe):
    install_rule(control, universe)
    client = WebClient(token=slack.info["bot_token"], base_url=slack.info["base_url"],
                       retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    started = time.monotonic()
    resp = client.chat_postMessage(channel=slack.channel("general"), text="eventually")
    assert resp["ok"] and resp.status_code == 200
    assert time.monotonic() - started >= 1.0
    texts = [m["text"] for m in slack.bot.conversations_history(channel=slack.channel("general"), limit=2)["messages"]]
    assert texts.count("eventually") == 1


async def test_async_retry_handler(slack, control, universe):
    install_rule(control, universe)
    client = slack.async_client("bot")
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    resp = await client.chat_postMessage(channel=slack.channel("general"), text="async eventually")
    assert resp["ok"]
