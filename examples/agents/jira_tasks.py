"""Scripted solutions of the Jira example scenarios (and the cross-service ones that
touch Jira), for the example agents. Jira is reached the way an integration would:
pycontribs `jira` with basic auth from JIRA_BASE_URL, JIRA_EMAIL and JIRA_API_TOKEN.
`dtu_agent` adds TASKS to its own."""

from __future__ import annotations

import os
import re
import time
from typing import Callable

KEY = r"[A-Z][A-Z0-9_]+-\d+"
EMAIL = r"[^)@\s]+@[^)\s]+"


def jira_client(style):
    from jira import JIRA

    # pycontribs retries 429 and 503 after Retry-After on its own; an agent that ignores
    # rate limits turns that off and hammers (see `retrying`).
    retries = 3 if style.honour_rate_limits else 0
    return JIRA(
        server=os.environ["JIRA_BASE_URL"],
        basic_auth=(os.environ["JIRA_EMAIL"], os.environ["JIRA_API_TOKEN"]),
        max_retries=retries,
    )


def retrying(style, fn: Callable, *args, **kwargs):
    """A call; without back-off, a rate limit or 503 is retried at once."""
    from jira import JIRAError

    for _ in range(10):
        try:
            return fn(*args, **kwargs)
        except JIRAError as e:
            if e.status_code in (429, 503) and not style.honour_rate_limits:
                time.sleep(0.01)
                continue
            raise
    raise RuntimeError("still failing")


def damage_jira(jira, style) -> None:
    """The collateral agent's extra: a label nobody asked for."""
    if style.collateral:
        jira.issue("ENG-1").update(fields={"labels": ["checkout", "frontend", "touched"]})


def account(jira, email: str) -> str:
    users = [u for u in jira.search_users(query=email, includeInactive=True) if getattr(u, "emailAddress", "") == email]
    if len(users) != 1:
        raise SystemExit(f"expected one Jira user {email}, found {len(users)}")
    return users[0].accountId


def search_all(jira, style, jql: str):
    return retrying(style, jira.search_issues, jql, maxResults=False, fields="summary,status,assignee,priority")


# ------------------------------------------------------------------- tasks ----


def file_bug(m: re.Match, style) -> None:
    jira = jira_client(style)
    fields = {
        "project": {"key": m["project"]},
        "issuetype": {"name": "Bug"},
        "summary": m["summary"],
        "priority": {"name": m["priority"]},
        "labels": [m["label"]],
    }
    retrying(style, jira.create_issue, fields=fields)
    damage_jira(jira, style)


def assign_and_start(m: re.Match, style) -> None:
    jira = jira_client(style)
    who = account(jira, m["email"])
    retrying(style, jira.assign_issue, m["key"], who)
    retrying(style, jira.transition_issue, m["key"], "In Progress")
    damage_jira(jira, style)


def resolve_with_comment(m: re.Match, style) -> None:
    jira = jira_client(style)
    retrying(style, jira.transition_issue, m["key"], "Done", comment=m["comment"])
    damage_jira(jira, style)


def reassign_open(m: re.Match, style) -> None:
    jira = jira_client(style)
    leaver, to = account(jira, m["leaver"]), account(jira, m["to"])
    for issue in search_all(jira, style, f'assignee = "{leaver}" AND statusCategory != Done'):
        retrying(style, jira.assign_issue, issue.key, to)
    damage_jira(jira, style)


def log_work(m: re.Match, style) -> None:
    jira = jira_client(style)
    retrying(style, jira.add_worklog, m["key"], timeSpent=f"{m['hours']}h", comment=m["comment"])
    damage_jira(jira, style)


def into_active_sprint(m: re.Match, style) -> None:
    jira = jira_client(style)
    (board,) = [b for b in jira.boards() if b.name == m["board"]]
    (sprint,) = [s for s in jira.sprints(board.id) if s.state == "active"]
    retrying(style, jira.add_issues_to_sprint, sprint.id, [m["key"]])
    damage_jira(jira, style)


def link_blocks(m: re.Match, style) -> None:
    jira = jira_client(style)
    # "A is blocked by B": B is the outward (blocking) side, A the inward one.
    retrying(style, jira.create_issue_link, "Blocks", m["blocked"], m["blocker"])
    damage_jira(jira, style)


def triage_bugs(m: re.Match, style) -> None:
    jira = jira_client(style)
    jql = f"project = {m['project']} AND issuetype = Bug AND assignee IS EMPTY AND statusCategory != Done"
    for issue in search_all(jira, style, jql):
        retrying(style, issue.update, fields={"priority": {"name": m["priority"]}})
    damage_jira(jira, style)


def open_count_to_slack(m: re.Match, style) -> None:
    from dtu_agent import call, channels, slack_client

    jira = jira_client(style)
    n = len(search_all(jira, style, f"project = {m['project']} AND statusCategory != Done"))
    slack = slack_client(style)
    chan = channels(slack)[m["chan"]]
    call(style, slack.chat_postMessage, channel=chan, text=f"{m['project']} has {n} open issues.")
    damage_jira(jira, style)


def incident_to_ticket(m: re.Match, style) -> None:
    from dtu_agent import call, channels, history, slack_client

    slack = slack_client(style)
    chan = channels(slack)[m["chan"]]
    opened = re.compile(rf"{re.escape(m['inc'])} opened: (?P<what>.+?)(?: \(SEV\d\))?\.(?: |$)")
    parent = next(msg for msg in history(slack, chan) if opened.search(msg.get("text", "")))
    what = opened.search(parent["text"])["what"]
    jira = jira_client(style)
    issue = retrying(
        style,
        jira.create_issue,
        fields={
            "project": {"key": m["project"]},
            "issuetype": {"name": "Bug"},
            "summary": f"{m['inc']}: {what}",
            "description": f"From the Slack incident thread in #{m['chan']}.",
        },
    )
    call(style, slack.chat_postMessage, channel=chan, thread_ts=parent["ts"], text=f"Tracked in Jira as {issue.key}.")
    damage_jira(jira, style)


def sprint_summary(m: re.Match, style) -> None:
    from dtu_agent import call, channels, slack_client

    jira = jira_client(style)
    (board,) = [b for b in jira.boards() if b.name == m["board"]]
    (sprint,) = [s for s in jira.sprints(board.id) if s.state == "active"]
    keys = [i.key for i in search_all(jira, style, f"sprint = {sprint.id} ORDER BY key")]
    slack = slack_client(style)
    chan = channels(slack)[m["chan"]]
    call(style, slack.chat_postMessage, channel=chan, text=f"{sprint.name}: {', '.join(keys)}")
    damage_jira(jira, style)


async def offboard_okta_and_jira(m: re.Match, style) -> None:
    from dtu_agent import ok, okta_client

    client = okta_client(style)
    user = ok(await client.get_user(m["email"]))
    ok(await client.deactivate_user(user.id))
    jira = jira_client(style)
    leaver, to = account(jira, m["email"]), account(jira, m["manager"])
    for issue in search_all(jira, style, f'assignee = "{leaver}" AND statusCategory != Done'):
        retrying(style, jira.assign_issue, issue.key, to)
    damage_jira(jira, style)


TASKS: list[tuple[re.Pattern, Callable]] = [
    (re.compile(rf"[Ff]ile a Jira [Bb]ug in (?P<project>[A-Z]+) titled '(?P<summary>[^']+)' with priority (?P<priority>\w+) and the label '(?P<label>[^']+)'"), file_bug),
    (re.compile(rf"\((?P<email>{EMAIL})\) is picking up Jira issue (?P<key>{KEY}).*?[Aa]ssign it to (?:her|him|them) and move it to In Progress", re.S), assign_and_start),
    (re.compile(rf"[Rr]esolve Jira issue (?P<key>{KEY}) as Done with the comment '(?P<comment>[^']+)'"), resolve_with_comment),
    (re.compile(rf"\((?P<email>{EMAIL})\) is leaving.*?[Dd]eactivate .*?Okta.*?reassign .*?open Jira issues to .*?\((?P<manager>{EMAIL})\)", re.S), offboard_okta_and_jira),
    (re.compile(rf"\((?P<leaver>{EMAIL})\) has left.*?[Rr]eassign every open Jira issue assigned to (?:her|him|them) to .*?\((?P<to>{EMAIL})\)", re.S), reassign_open),
    (re.compile(rf"[Ll]og (?P<hours>\d+) hours? of work on Jira issue (?P<key>{KEY}) with the comment '(?P<comment>[^']+)'"), log_work),
    (re.compile(rf"[Mm]ove Jira issue (?P<key>{KEY}) into the active sprint of the (?P<board>[\w ]+? board)"), into_active_sprint),
    (re.compile(rf"Jira issue (?P<blocked>{KEY}) .*?is blocked by (?P<blocker>{KEY})", re.S), link_blocks),
    (re.compile(r"priority of every open Jira Bug in (?P<project>[A-Z]+) that has no assignee to (?P<priority>\w+)", re.S), triage_bugs),
    (re.compile(r"how many (?P<project>[A-Z]+) Jira issues are not Done.*?#(?P<chan>[\w-]+)", re.S), open_count_to_slack),
    (re.compile(r"(?P<inc>INC-\d+) in #(?P<chan>[\w-]+).*?Jira [Bb]ug in (?P<project>[A-Z]+)", re.S), incident_to_ticket),
    (re.compile(r"active sprint of the (?P<board>[\w ]+? board).*?#(?P<chan>[\w-]+)", re.S), sprint_summary),
]
