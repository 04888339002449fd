"""Shared pieces of the example agents run by `dtu eval`.

An agent gets its task on stdin (and in DTU_PROMPT) and reaches the twins through the
official SDKs, configured only from the environment the evaluator sets, named like
the SDKs' own variables:

    SLACK_BOT_TOKEN, SLACK_USER_TOKEN, SLACK_APP_TOKEN, SLACK_API_URL   (slack_sdk)
    OKTA_CLIENT_ORGURL, OKTA_CLIENT_TOKEN, OKTA_TESTING_TESTINGDISABLEHTTPSCHECK (okta)
    GOOGLE_API_ENDPOINT, GOOGLE_DRIVE_DISCOVERY_URL, GOOGLE_ACCESS_TOKEN,
    GOOGLE_SERVICE_ACCOUNT_KEY (the key file's JSON)          (google-api-python-client)
    JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN, JIRA_BEARER_TOKEN          (jira, atlassian-python-api)

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
    # Retry rate-limited calls after Retry-After: slack_sdk's RateLimitErrorRetryHandler,
    # the okta SDK's own back-off (X-Rate-Limit-Reset). Else retry at once.
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


def okta_client(style: Style | None = None):
    os.environ.setdefault("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")
    from okta.client import Client

    # OKTA_CLIENT_ORGURL and OKTA_CLIENT_TOKEN are read by the SDK itself. The SDK
    # backs off on 429 by X-Rate-Limit-Reset (maxRetries); without that, `okta_call`
    # retries at once.
    honour = style is None or style.honour_rate_limits
    return Client({"rateLimit": {"maxRetries": 5 if honour else 0}})


def ok(result: tuple):
    err = result[-1]
    if err is not None:
        raise RuntimeError(f"Okta error: {err}")
    return result[0] if len(result) == 3 else None


async def okta_call(style: Style, fn: Callable, *args, **kwargs):
    """An Okta call; without Retry-After handling, a rate limit is retried at once."""
    for _ in range(10):
        result = await fn(*args, **kwargs)
        err = result[-1]
        if err is not None and getattr(err, "status", None) == 429 and not style.honour_rate_limits:
            await asyncio.sleep(0.01)
            continue
        return ok(result)
    raise RuntimeError("still rate limited")


def group_name(group) -> str:
    # okta 3.x wraps a group's profile (oneOf): the fields are on actual_instance.
    profile = group.profile
    return getattr(profile, "actual_instance", profile).name


async def find_group(client, style: Style, name: str):
    groups = await okta_call(style, client.list_groups, q=name)
    return next(g for g in groups if group_name(g) == name)


def status_of(user) -> str:
    return getattr(user.status, "value", user.status)


async def damage_okta(client, style: Style) -> None:
    if style.collateral:
        bob = ok(await client.get_user("bob@acme.test"))
        ok(await client.suspend_user(bob.id))


async def deactivate(m: re.Match, style: Style) -> None:
    client = okta_client(style)
    user = ok(await client.get_user(m["email"]))
    ok(await client.deactivate_user(user.id))
    await damage_okta(client, style)


async def add_to_group(m: re.Match, style: Style) -> None:
    client = okta_client(style)
    user = ok(await client.get_user(m["email"]))
    group = await find_group(client, style, m["group"])
    ok(await client.assign_user_to_group(group.id, user.id))
    await damage_okta(client, style)


# ------------------------------------------------------------- Slack helpers ----


def members(client, channel: str) -> list[str]:
    out, cursor = [], None
    while True:
        page = client.conversations_members(channel=channel, limit=200, cursor=cursor)
        out.extend(page["members"])
        cursor = page.get("response_metadata", {}).get("next_cursor")
        if not cursor:
            return out


def user_channels(client, user: str) -> list[dict]:
    out, cursor = [], None
    while True:
        page = client.users_conversations(user=user, types="public_channel,private_channel", limit=200, cursor=cursor)
        out.extend(page["channels"])
        cursor = page.get("response_metadata", {}).get("next_cursor")
        if not cursor:
            return out


def join_if_needed(client, style: Style, channel: str) -> None:
    me = client.auth_test()["user_id"]
    if me not in members(client, channel):
        call(style, client.conversations_join, channel=channel)


def direct_message(client, style: Style, email: str, text: str) -> None:
    user = client.users_lookupByEmail(email=email)["user"]["id"]
    dm = call(style, client.conversations_open, users=user)["channel"]["id"]
    call(style, client.chat_postMessage, channel=dm, text=text)


# ------------------------------------------------------ Slack and Okta tasks ----


async def offboard(m: re.Match, style: Style) -> None:
    okta = okta_client(style)
    user = await okta_call(style, okta.get_user, m["email"])
    await okta_call(style, okta.deactivate_user, user.id)
    client = slack_client(style)
    uid = client.users_lookupByEmail(email=m["email"])["user"]["id"]
    for ch in user_channels(client, uid):
        if ch.get("is_general"):
            continue  # Slack: cant_kick_from_general
        join_if_needed(client, style, ch["id"])
        call(style, client.conversations_kick, channel=ch["id"], user=uid)
    damage_slack(client, style, channels(client))
    await damage_okta(okta, style)


async def onboard(m: re.Match, style: Style) -> None:
    from okta.models import CreateUserRequest

    okta = okta_client(style)
    dept = m["dept"]
    group = await find_group(okta, style, dept)
    profile = {
        "firstName": m["first"],
        "lastName": m["last"],
        "email": m["email"],
        "login": m["email"],
        "title": m["title"],
        "department": dept,
    }
    user = await okta_call(style, okta.create_user, CreateUserRequest.from_dict({"profile": profile}), activate=True)
    await okta_call(style, okta.assign_user_to_group, group.id, user.id)
    client = slack_client(style)
    chans = channels(client)
    channel = chans[dept.lower()]
    uid = client.users_lookupByEmail(email=m["email"])["user"]["id"]
    if uid not in members(client, channel):
        join_if_needed(client, style, channel)
        call(style, client.conversations_invite, channel=channel, users=uid)
    damage_slack(client, style, chans)
    await damage_okta(okta, style)


async def app_access(m: re.Match, style: Style) -> None:
    okta = okta_client(style)
    apps = await okta_call(style, okta.list_applications, q=m["app"])
    app = next(getattr(a, "actual_instance", a) for a in apps if getattr(a, "actual_instance", a).label == m["app"])
    # Application users include those assigned through groups (scope GROUP) and
    # directly (scope USER).
    assigned = await okta_call(style, okta.list_application_users, app.id, limit=500)
    names = []
    for a in assigned:
        user = await okta_call(style, okta.get_user, a.id)
        names.append(f"{user.profile.first_name} {user.profile.last_name}")
    names.sort()
    text = f"{len(names)} people are assigned to {app.label} in Okta (directly or through a group): " + ", ".join(names) + "."
    client = slack_client(style)
    direct_message(client, style, m["email"], text)
    damage_slack(client, style, channels(client))
    await damage_okta(okta, style)


async def mfa_reset(m: re.Match, style: Style) -> None:
    okta = okta_client(style)
    user = await okta_call(style, okta.get_user, m["email"])
    await okta_call(style, okta.reset_factors, user.id)
    client = slack_client(style)
    first = user.profile.first_name
    direct_message(
        client,
        style,
        m["email"],
        f"Hi {first}, your Okta MFA factors have been reset. Next time you sign in you will be asked to enroll your new phone.",
    )
    damage_slack(client, style, channels(client))
    await damage_okta(okta, style)


async def oncall_sync(m: re.Match, style: Style) -> None:
    okta = okta_client(style)
    group = await find_group(okta, style, m["group"])
    people = await okta_call(style, okta.list_group_users, group.id, limit=200)
    emails = [u.profile.email for u in people if status_of(u) == "ACTIVE"]
    client = slack_client(style)
    ids = [client.users_lookupByEmail(email=e)["user"]["id"] for e in emails]
    groups = client.usergroups_list(include_users=True)["usergroups"]
    ug = next(g for g in groups if g["handle"] == m["handle"])
    if sorted(ug.get("users", [])) != sorted(ids):
        call(style, client.usergroups_users_update, usergroup=ug["id"], users=",".join(ids))
    damage_slack(client, style, channels(client))
    await damage_okta(okta, style)


# ----------------------------------------------------------- Slack-only tasks ----


def archive_stale(m: re.Match, style: Style) -> None:
    from slack_sdk import WebClient

    client = slack_client(style)
    # Reading needs membership for a bot; the user token reads public history without joining.
    reader = WebClient(token=os.environ["SLACK_USER_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    cutoff = time.time() - int(m["days"]) * 86400
    stale = []
    cursor = None
    public = []
    while True:
        page = client.conversations_list(types="public_channel", exclude_archived=True, limit=200, cursor=cursor)
        public.extend(page["channels"])
        cursor = page.get("response_metadata", {}).get("next_cursor")
        if not cursor:
            break
    for ch in public:
        if ch.get("is_general"):
            continue
        msgs = history(reader, ch["id"])
        last = max((max(float(x["ts"]), float(x.get("latest_reply") or 0)) for x in msgs), default=0.0)
        if last < cutoff:
            stale.append(ch)
    for ch in stale:
        join_if_needed(client, style, ch["id"])
        call(style, client.conversations_archive, channel=ch["id"])
    chans = channels(client)
    if stale:
        names = ", ".join(f"#{c['name']}" for c in stale)
        text = f"Housekeeping: archived {names}: no activity in the last {m['days']} days."
    else:
        text = f"Housekeeping: every channel had activity in the last {m['days']} days, nothing archived."
    call(style, client.chat_postMessage, channel=chans[m["chan"]], text=text)
    damage_slack(client, style, chans)


OPENED = re.compile(r"(?P<inc>INC-\d+) opened: (?P<what>.+?)(?: \(SEV\d\))?\.(?: |$)")


def incident_topic_pin(m: re.Match, style: Style) -> None:
    client = slack_client(style)
    chans = channels(client)
    channel = chans[m["chan"]]
    for msg in history(client, channel):  # newest first
        opened = OPENED.search(msg.get("text", ""))
        if not opened:
            continue
        thread = client.conversations_replies(channel=channel, ts=msg["ts"])["messages"]
        if any(f"{opened['inc']} resolved" in r.get("text", "") for r in thread):
            continue
        call(style, client.conversations_setTopic, channel=channel, topic=f"{opened['inc']}: {opened['what']}")
        call(style, client.pins_add, channel=channel, timestamp=msg["ts"])
        break
    else:
        raise RuntimeError("no ongoing incident found")
    damage_slack(client, style, chans)


# ------------------------------------------------------------ Okta-only tasks ----


async def suspend(m: re.Match, style: Style) -> None:
    okta = okta_client(style)
    user = await okta_call(style, okta.get_user, m["email"])
    await okta_call(style, okta.suspend_user, user.id)
    await damage_okta(okta, style)


async def group_cleanup(m: re.Match, style: Style) -> None:
    okta = okta_client(style)
    group = await find_group(okta, style, m["group"])
    for user in await okta_call(style, okta.list_group_users, group.id, limit=200):
        if status_of(user) != "ACTIVE":
            await okta_call(style, okta.unassign_user_from_group, group.id, user.id)
    await damage_okta(okta, style)


# ------------------------------------------------------------------ dispatch ----

TASKS: list[tuple[re.Pattern, Callable]] = [
    (re.compile(r"\((?P<email>[^)@\s]+@[^)\s]+)\).*?[Oo]ffboard", re.S), offboard),
    (re.compile(r"(?P<first>\w+) (?P<last>\w+) starts .*? as an? (?P<title>[\w ]+?) in the (?P<dept>[\w ]+?) department.*?\((?P<email>[^)@\s]+@[^)\s]+)\)", re.S), onboard),
    (re.compile(r"\((?P<email>[^)@\s]+@[^)\s]+)\) is reviewing who has access to the (?P<app>.+?) app", re.S), app_access),
    (re.compile(r"\((?P<email>[^)@\s]+@[^)\s]+)\).*?[Rr]eset all of (?:her|his|their) Okta MFA factors", re.S), mfa_reset),
    (re.compile(r"Okta group (?P<group>[\w -]+?)\. The Slack user group @(?P<handle>[\w-]+)", re.S), oncall_sync),
    (re.compile(r"archive every channel that has had no activity.*?last (?P<days>\d+) days.*?note in #(?P<chan>[\w-]+)", re.S | re.I), archive_stale),
    (re.compile(r"ongoing incident in #(?P<chan>[\w-]+)", re.I), incident_topic_pin),
    (re.compile(r"\((?P<email>[^)@\s]+@[^)\s]+)\).*?[Ss]uspend (?:her|his|their) Okta account", re.S), suspend),
    (re.compile(r"Okta group (?P<group>[\w -]+?): remove every member whose account is not active", re.S), group_cleanup),
    (re.compile(r"summary of incident (?P<inc>INC-\d+) from #(?P<src>[\w-]+) to #(?P<dst>[\w-]+)", re.I), incident_summary),
    (re.compile(r"question in #(?P<chan>[\w-]+).*answer", re.I | re.S), answer_from_history),
    (re.compile(r"\((?P<email>[^)@\s]+@[^)\s]+)\).*?[Ii]nvite (?:her|him|them) to (?P<chans>(?:#[\w-]+(?:,| and|\s)*)+)", re.S), invite),
    (re.compile(r"[Aa]nnounce in #(?P<chan>[\w-]+): [\"'](?P<text>[^\"']+)[\"']"), announce),
    (re.compile(r"\((?P<email>[^)@\s]+@[^)\s]+)\).*[Dd]eactivate", re.S), deactivate),
    (re.compile(r"[Aa]dd .*\((?P<email>[^)@\s]+@[^)\s]+)\) to the Okta group (?P<group>[\w -]+?)\.", re.S), add_to_group),
]

from google_tasks import TASKS as GOOGLE_TASKS  # noqa: E402  (Drive and Drive-crossing tasks, matched first)

TASKS[:0] = GOOGLE_TASKS
from jira_tasks import TASKS as JIRA_TASKS  # noqa: E402  (Jira and Jira-crossing tasks, matched first)
TASKS[:0] = JIRA_TASKS
from docs_sheets_tasks import TASKS as DOCS_SHEETS_TASKS  # noqa: E402  (Docs, Sheets and crossing tasks, matched first)
TASKS[:0] = DOCS_SHEETS_TASKS


def solve(text: str, style: Style) -> None:
    for pattern, handler in TASKS:
        m = pattern.search(text)
        if m:
            result = handler(m, style)
            if asyncio.iscoroutine(result):
                asyncio.run(result)
            return
    raise SystemExit(f"no scripted solution for this task: {text[:80]!r}")
