"""Shared pieces of the example agents run by `dtu eval`.

An agent gets its task on stdin (and in DTU_PROMPT) and reaches the twins through the
official SDKs, configured only from the environment the evaluator sets, named like
the SDKs' own variables:

    SLACK_BOT_TOKEN, SLACK_USER_TOKEN, SLACK_APP_TOKEN, SLACK_API_URL   (slack_sdk)
    OKTA_CLIENT_ORGURL, OKTA_CLIENT_TOKEN, OKTA_TESTING_TESTINGDISABLEHTTPSCHECK (okta)

These agents are scripted (no LLM): `solve` recognises the example scenarios' tasks
by their wording and carries them out. Options change *how* (see `Style`), which is
what the noop, collateral, ignores-rate-limits and flaky agents vary.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from dataclasses import dataclass
from typing import Callable


def prompt() -> str:
    text = os.environ.get("DTU_PROMPT")
    if text:
        return text
    return sys.stdin.read()


@dataclass
class Style:
    # Retry rate-limited Slack calls after Retry-After (slack_sdk's own handler).
    honour_rate_limits: bool = True
    # Also do something the task did not ask for.
    collateral: bool = False


# --------------------------------------------------------------------- Slack ----


def slack_client(style: Style):
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    if style.honour_rate_limits:
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=5))
    return client


def call(style: Style, fn: Callable, **kwargs):
    """A Slack call; without Retry-After handling, a rate limit is retried at once."""
    from slack_sdk.errors import SlackApiError

    for _ in range(10):
        try:
            return fn(**kwargs)
        except SlackApiError as e:
            if e.response.get("error") == "ratelimited" and not style.honour_rate_limits:
                time.sleep(0.01)
                continue
            raise
    raise RuntimeError("still rate limited")


def channels(client) -> dict[str, str]:
    out = {}
    cursor = None
    while True:
        page = client.conversations_list(types="public_channel,private_channel", limit=200, cursor=cursor)
        out.update({c["name"]: c["id"] for c in page["channels"]})
        cursor = page.get("response_metadata", {}).get("next_cursor")
        if not cursor:
            return out


def history(client, channel: str) -> list[dict]:
    msgs, cursor = [], None
    while True:
        page = client.conversations_history(channel=channel, limit=200, cursor=cursor)
        msgs.extend(page["messages"])
        cursor = page.get("response_metadata", {}).get("next_cursor")
        if not cursor:
            return msgs  # newest first


def damage_slack(client, style: Style, chans: dict[str, str]) -> None:
    if style.collateral:
        call(style, client.chat_postMessage, channel=chans["random"], text="(testing, please ignore)")


def incident_summary(m: re.Match, style: Style) -> None:
    client = slack_client(style)
    chans = channels(client)
    inc, src, dst = m["inc"], m["src"], m["dst"]
    # History is newest first: the incident's opening message is the oldest mention.
    root = [x for x in history(client, chans[src]) if inc in x.get("text", "")][-1]
    replies = client.conversations_replies(channel=chans[src], ts=root["ts"])["messages"][1:]
    texts = [root["text"]] + [r["text"] for r in replies]
    what = re.search(r"opened: (.+?)(?:\. |\.?$)", root["text"])
    cause = next((t for t in texts if "rolling back" in t.lower() or "rollback" in t.lower()), "")
    duration = next((re.search(r"Duration: ([^.]+)", t) for t in texts if "Duration:" in t), None)
    summary = f"{inc}: {what.group(1) if what else root['text']}."
    if cause:
        summary += f" {cause}"
    if duration:
        summary += f" Resolved after {duration.group(1)}."
    call(style, client.chat_postMessage, channel=chans[dst], text=summary)
    damage_slack(client, style, chans)


STOP = {"when", "what", "who", "where", "is", "the", "a", "an", "please", "answer", "in", "this", "thread", "of", "to"}


def answer_from_history(m: re.Match, style: Style) -> None:
    client = slack_client(style)
    chans = channels(client)
    msgs = history(client, chans[m["chan"]])
    question = next(x for x in msgs if x.get("text", "").rstrip().endswith("?") or "?" in x.get("text", ""))
    words = {w.lower() for w in re.findall(r"[\w-]+", question["text"])} - STOP
    best, best_score = None, 0
    for x in msgs:
        if x["ts"] == question["ts"]:
            continue
        for sentence in re.split(r"(?<=[.!?])\s+|:\s+", x.get("text", "")):
            score = len(words & {w.lower() for w in re.findall(r"[\w-]+", sentence)})
            if score > best_score:
                best, best_score = sentence.strip(), score
    if not best:
        raise RuntimeError("no answer found in the history")
    call(style, client.chat_postMessage, channel=chans[m["chan"]], thread_ts=question["ts"], text=f"From the history: {best}")
    damage_slack(client, style, chans)


def invite(m: re.Match, style: Style) -> None:
    client = slack_client(style)
    chans = channels(client)
    user = client.users_lookupByEmail(email=m["email"])["user"]["id"]
    me = client.auth_test()["user_id"]
    for name in re.findall(r"#([\w-]+)", m["chans"]):
        members = client.conversations_members(channel=chans[name])["members"]
        if user in members:
            continue
        if me not in members:
            call(style, client.conversations_join, channel=chans[name])
        call(style, client.conversations_invite, channel=chans[name], users=user)
    damage_slack(client, style, chans)


def announce(m: re.Match, style: Style) -> None:
    client = slack_client(style)
    chans = channels(client)
    call(style, client.chat_postMessage, channel=chans[m["chan"]], text=m["text"])
    damage_slack(client, style, chans)


# ---------------------------------------------------------------------- Okta ----


def okta_client():
    os.environ.setdefault("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")
    from okta.client import Client

    # OKTA_CLIENT_ORGURL and OKTA_CLIENT_TOKEN are read by the SDK itself.
    return Client()


def ok(result: tuple):
    err = result[-1]
    if err is not None:
        raise RuntimeError(f"Okta error: {err}")
    return result[0] if len(result) == 3 else None


async def damage_okta(client, style: Style) -> None:
    if style.collateral:
        bob = ok(await client.get_user("bob@acme.test"))
        ok(await client.suspend_user(bob.id))


async def deactivate(m: re.Match, style: Style) -> None:
    client = okta_client()
    user = ok(await client.get_user(m["email"]))
    ok(await client.deactivate_user(user.id))
    await damage_okta(client, style)


async def add_to_group(m: re.Match, style: Style) -> None:
    client = okta_client()
    user = ok(await client.get_user(m["email"]))
    groups = ok(await client.list_groups(q=m["group"]))
    # okta 3.x wraps a group's profile (oneOf): the fields are on actual_instance.
    group = next(g for g in groups if g.profile.actual_instance.name == m["group"])
    ok(await client.assign_user_to_group(group.id, user.id))
    await damage_okta(client, style)


# ------------------------------------------------------------------ dispatch ----

TASKS: list[tuple[re.Pattern, Callable]] = [
    (re.compile(r"summary of incident (?P<inc>INC-\d+) from #(?P<src>[\w-]+) to #(?P<dst>[\w-]+)", re.I), incident_summary),
    (re.compile(r"question in #(?P<chan>[\w-]+).*answer", re.I | re.S), answer_from_history),
    (re.compile(r"\((?P<email>[^)@\s]+@[^)\s]+)\).*?[Ii]nvite (?:her|him|them) to (?P<chans>(?:#[\w-]+(?:,| and|\s)*)+)", re.S), invite),
    (re.compile(r"[Aa]nnounce in #(?P<chan>[\w-]+): [\"'](?P<text>[^\"']+)[\"']"), announce),
    (re.compile(r"\((?P<email>[^)@\s]+@[^)\s]+)\).*[Dd]eactivate", re.S), deactivate),
    (re.compile(r"[Aa]dd .*\((?P<email>[^)@\s]+@[^)\s]+)\) to the Okta group (?P<group>[\w -]+?)\.", re.S), add_to_group),
]


def solve(text: str, style: Style) -> None:
    for pattern, handler in TASKS:
        m = pattern.search(text)
        if m:
            result = handler(m, style)
            if asyncio.iscoroutine(result):
                asyncio.run(result)
            return
    raise SystemExit(f"no scripted solution for this task: {text[:80]!r}")
