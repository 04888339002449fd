"""Scripted solutions of the Google Docs and Sheets example scenarios (and the
cross-service ones that write a document or a spreadsheet), for the example agents.
Docs and Sheets are reached the way an integration would: google-api-python-client
built from the twin's discovery documents (next to GOOGLE_DRIVE_DISCOVERY_URL), and
gspread for one task, acting as people of the domain through the service account's
domain-wide delegation (GOOGLE_SERVICE_ACCOUNT_KEY). `dtu_agent` adds TASKS to its own."""

from __future__ import annotations

import json
import os
import re
from typing import Callable

from google_tasks import damage_google, drive_as, find_one

SCOPES = [
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/documents",
]
EMAIL = r"[^)@\s]+@[^)\s]+"


def credentials(email: str):
    from google.oauth2 import service_account

    info = json.loads(os.environ["GOOGLE_SERVICE_ACCOUNT_KEY"])
    return service_account.Credentials.from_service_account_info(info, scopes=SCOPES, subject=email)


def service_as(api: str, version: str, email: str):
    """Sheets or Docs: their discovery documents sit beside Drive's."""
    from googleapiclient.discovery import build

    url = os.environ["GOOGLE_DRIVE_DISCOVERY_URL"].replace("/apis/drive/v3/", f"/apis/{api}/{version}/")
    return build(api, version, credentials=credentials(email), discoveryServiceUrl=url, cache_discovery=False)


def gspread_as(email: str):
    """gspread has no endpoint setting: its HTTP client hook sends Google's hosts to the twin."""
    import gspread

    base = os.environ["GOOGLE_API_ENDPOINT"].rstrip("/")
    hosts = ("https://sheets.googleapis.com", "https://www.googleapis.com")

    class TwinHTTPClient(gspread.HTTPClient):
        def request(self, method, endpoint, *args, **kwargs):
            for host in hosts:
                if endpoint.startswith(host):
                    endpoint = base + endpoint[len(host) :]
            return super().request(method, endpoint, *args, **kwargs)

    return gspread.authorize(credentials(email), http_client=TwinHTTPClient)


def column_letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


def grid(sheets, spreadsheet_id: str, rng: str, render: str = "FORMATTED_VALUE") -> list[list]:
    return (
        sheets.spreadsheets()
        .values()
        .get(spreadsheetId=spreadsheet_id, range=rng, valueRenderOption=render)
        .execute()
        .get("values", [])
    )


def spreadsheet_id(owner: str, name: str) -> str:
    drive = drive_as(owner)
    return find_one(drive, name, "mimeType = 'application/vnd.google-apps.spreadsheet'")["id"]


def document_id(owner: str, name: str) -> str:
    drive = drive_as(owner)
    return find_one(drive, name, "mimeType = 'application/vnd.google-apps.document'")["id"]


# ------------------------------------------------------------ Sheets tasks ----


def total_row(m: re.Match, style) -> None:
    """gspread: a Total row under the data, its sum a formula."""
    gc = gspread_as(m["owner"])
    ws = gc.open(m["file"]).sheet1
    rows = ws.get_all_values()
    col = column_letter(rows[0].index(m["column"]))
    last = max(i for i, r in enumerate(rows) if any(r)) + 1  # 1-based, the last data row
    ws.update([["Total", f"=SUM({col}2:{col}{last})"]], f"A{last + 1}", value_input_option="USER_ENTERED")
    damage_google(style)


def fix_total_formula(m: re.Match, style) -> None:
    sheets = service_as("sheets", "v4", m["owner"])
    sid = spreadsheet_id(m["owner"], m["file"])
    rows = grid(sheets, sid, "A1:Z", "FORMULA")
    (at,) = [i for i, r in enumerate(rows) if r and r[0] == "Total"]
    col = next(c for c, v in enumerate(rows[at]) if isinstance(v, str) and v.startswith("="))
    letter = column_letter(col)
    last = max(i for i, r in enumerate(rows[:at]) if len(r) > col and r[col] != "") + 1
    sheets.spreadsheets().values().update(
        spreadsheetId=sid,
        range=f"{letter}{at + 1}",
        valueInputOption="USER_ENTERED",
        body={"values": [[f"=SUM({letter}2:{letter}{last})"]]},
    ).execute()
    damage_google(style)


def new_quarter_tab(m: re.Match, style) -> None:
    sheets = service_as("sheets", "v4", m["owner"])
    sid = spreadsheet_id(m["owner"], m["file"])
    book = sheets.spreadsheets().get(spreadsheetId=sid, fields="sheets(properties(sheetId,title,index))").execute()
    (first,) = [s["properties"] for s in book["sheets"] if s["properties"]["title"] == m["old"]]
    header = grid(sheets, sid, f"'{m['old']}'!1:1")[0]
    sheets.spreadsheets().batchUpdate(
        spreadsheetId=sid,
        body={
            "requests": [
                {"updateSheetProperties": {"properties": {"sheetId": first["sheetId"], "title": m["new"]}, "fields": "title"}},
                {"addSheet": {"properties": {"title": m["added"], "index": first.get("index", 0) + 1}}},
            ]
        },
    ).execute()
    sheets.spreadsheets().values().update(
        spreadsheetId=sid, range=f"'{m['added']}'!A1", valueInputOption="USER_ENTERED", body={"values": [header]}
    ).execute()
    damage_google(style)


# -------------------------------------------------------------- Docs tasks ----


def replace_text(m: re.Match, style) -> None:
    docs = service_as("docs", "v1", m["owner"])
    did = document_id(m["owner"], m["file"])
    docs.documents().batchUpdate(
        documentId=did,
        body={
            "requests": [
                {"replaceAllText": {"containsText": {"text": m["old"], "matchCase": True}, "replaceText": m["new"]}}
            ]
        },
    ).execute()
    damage_google(style)


def paragraph_text(p: dict) -> str:
    return "".join(e.get("textRun", {}).get("content", "") for e in p["paragraph"]["elements"])


def insert_section(m: re.Match, style) -> None:
    docs = service_as("docs", "v1", m["owner"])
    did = document_id(m["owner"], m["file"])
    body = docs.documents().get(documentId=did).execute()["body"]["content"]
    (before,) = [b for b in body if "paragraph" in b and paragraph_text(b).startswith(m["before"])]
    at = before["startIndex"]
    heading, text = m["heading"], m["text"]
    docs.documents().batchUpdate(
        documentId=did,
        body={
            "requests": [
                # The new paragraphs take the style of the one they are typed into (normal text);
                # then the first becomes the heading.
                {"insertText": {"location": {"index": at}, "text": f"{heading}\n{text}\n"}},
                {
                    "updateParagraphStyle": {
                        "range": {"startIndex": at, "endIndex": at + len(heading) + 1},
                        "paragraphStyle": {"namedStyleType": m["level"].upper().replace(" ", "_")},
                        "fields": "namedStyleType",
                    }
                },
            ]
        },
    ).execute()
    damage_google(style)


# ------------------------------------------------------------- cross tasks ----


async def active_group_members(style, group_name: str) -> list[str]:
    from dtu_agent import find_group, okta_call, okta_client, status_of

    okta = okta_client(style)
    group = await find_group(okta, style, group_name)
    people = await okta_call(style, okta.list_group_users, group.id, limit=200)
    return sorted(u.profile.email.lower() for u in people if status_of(u) == "ACTIVE")


async def fill_rota(m: re.Match, style) -> None:
    import datetime

    from dtu_agent import call, channels, join_if_needed, slack_client

    people = await active_group_members(style, m["group"])
    sheets = service_as("sheets", "v4", m["owner"])
    sid = spreadsheet_id(m["owner"], m["file"])
    rows = [r for r in grid(sheets, sid, "A1:D") if r]
    header, weeks = rows[0], rows[1:]
    last_week, last_start = int(weeks[-1][0]), datetime.date.fromisoformat(weeks[-1][1])
    new = []
    for i, week in enumerate(range(last_week + 1, int(m["to"]) + 1)):
        start = last_start + datetime.timedelta(days=7 * (i + 1))
        primary = people[i % len(people)]
        secondary = people[(i + 1) % len(people)]
        new.append([str(week), start.isoformat(), primary, secondary])
    sheets.spreadsheets().values().append(
        spreadsheetId=sid, range="A1:D", valueInputOption="USER_ENTERED", insertDataOption="INSERT_ROWS", body={"values": new}
    ).execute()
    slack = slack_client(style)
    chan = channels(slack)[m["chan"]]
    join_if_needed(slack, style, chan)
    lines = [f"Week {w}, from {s}: primary {p}, secondary {q}" for w, s, p, q in new]
    call(style, slack.chat_postMessage, channel=chan, text=f"On-call rota, {header[0].lower()}s {new[0][0]}-{new[-1][0]}:\n" + "\n".join(lines))
    damage_google(style)


async def reconcile_headcount(m: re.Match, style) -> None:
    from dtu_agent import okta_call, okta_client

    okta = okta_client(style)
    gone = await okta_call(style, okta.list_users, search='status eq "DEPROVISIONED"', limit=200)
    active = await okta_call(style, okta.list_users, search='status eq "ACTIVE"', limit=200)
    gone_emails = {u.profile.email.lower() for u in gone}
    sheets = service_as("sheets", "v4", m["owner"])
    sid = spreadsheet_id(m["owner"], m["file"])
    rows = grid(sheets, sid, "A1:Z")
    header = rows[0]
    col = {name: i for i, name in enumerate(header)}
    email_col, status_col, fte_col = col["Email"], col["Status"], col["FTE"]
    people = [i for i, r in enumerate(rows) if len(r) > email_col and "@" in r[email_col]]
    listed = {rows[i][email_col].lower() for i in people}
    updates = []
    for i in people:
        r = rows[i]
        if r[email_col].lower() in gone_emails and (r[status_col], r[fte_col]) != ("deprovisioned", "0"):
            rng = f"{column_letter(status_col)}{i + 1}:{column_letter(fte_col)}{i + 1}"
            values = [["deprovisioned" if c == status_col else 0 if c == fte_col else r[c] for c in range(status_col, fte_col + 1)]]
            updates.append({"range": rng, "values": values})
    if updates:
        sheets.spreadsheets().values().batchUpdate(
            spreadsheetId=sid, body={"valueInputOption": "USER_ENTERED", "data": updates}
        ).execute()
    missing = [u for u in active if u.profile.email.lower() not in listed]
    if missing:
        # Rows inserted inside the list (above its last person) widen the totals' ranges,
        # as they would for a person typing in Sheets.
        at = people[-1]
        meta = sheets.spreadsheets().get(spreadsheetId=sid, fields="sheets(properties(sheetId))").execute()
        sheet_id = meta["sheets"][0]["properties"]["sheetId"]
        sheets.spreadsheets().batchUpdate(
            spreadsheetId=sid,
            body={
                "requests": [
                    {
                        "insertDimension": {
                            "range": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": at, "endIndex": at + len(missing)},
                            "inheritFromBefore": True,
                        }
                    }
                ]
            },
        ).execute()
        new_rows = []
        for u in missing:
            p = u.profile
            row = [""] * len(header)
            row[col["Name"]] = f"{p.first_name} {p.last_name}"
            row[email_col] = p.email
            row[col["Department"]] = p.department or ""
            row[col["Title"]] = p.title or ""
            row[status_col] = "active"
            row[fte_col] = 1
            new_rows.append(row)
        sheets.spreadsheets().values().update(
            spreadsheetId=sid, range=f"A{at + 1}", valueInputOption="USER_ENTERED", body={"values": new_rows}
        ).execute()
    damage_google(style)


def find_incident_issue(style, inc: str):
    from jira_tasks import jira_client, retrying

    jira = jira_client(style)
    issues = retrying(style, jira.search_issues, f'summary ~ "{inc}" ORDER BY created DESC', maxResults=10)
    (issue,) = [i for i in issues if i.fields.summary.startswith(f"{inc}:")]
    return issue


def postmortem_from_jira_and_slack(m: re.Match, style) -> None:
    from dtu_agent import channels, history, slack_client

    inc = m["inc"]
    issue = find_incident_issue(style, inc)
    slack = slack_client(style)
    chan = channels(slack)[m["chan"]]
    root = [x for x in history(slack, chan) if f"{inc} opened" in x.get("text", "")][-1]
    thread = slack.conversations_replies(channel=chan, ts=root["ts"])["messages"]
    names: dict[str, str] = {}

    def who(uid: str | None) -> str:
        if not uid:
            return "bot"
        if uid not in names:
            names[uid] = slack.users_info(user=uid)["user"].get("real_name") or uid
        return names[uid]

    sev = re.search(r"SEV\d", issue.fields.description or "") or re.search(r"SEV\d", root["text"])
    duration = next((re.search(r"Duration: ([^.]+)", t["text"]) for t in thread if "Duration:" in t.get("text", "")), None)
    what = issue.fields.summary.split(":", 1)[1].strip()
    lines = [
        f"Postmortem: {issue.fields.summary}",
        f"Severity: {sev.group(0) if sev else 'unknown'}. Duration: {duration.group(1) if duration else 'unknown'}. Jira: {issue.key}.",
        f"Summary: {what}.",
        f"From the incident record: {' '.join((issue.fields.description or '').split())}",
        "Timeline (from the Slack thread):",
        *[f"- {who(t.get('user'))}: {t.get('text', '')}" for t in thread],
        "Root cause: " + next((t["text"] for t in thread if "cause" in t.get("text", "").lower() or "after" in t.get("text", "").lower()), "see the timeline"),
    ]
    text = "\n".join(lines) + "\n"
    docs = service_as("docs", "v1", m["owner"])
    doc = docs.documents().create(body={"title": m["title"]}).execute()
    docs.documents().batchUpdate(
        documentId=doc["documentId"], body={"requests": [{"insertText": {"location": {"index": 1}, "text": text}}]}
    ).execute()
    drive = drive_as(m["owner"])
    drive.permissions().create(
        fileId=doc["documentId"],
        body={"type": "group", "role": "reader", "emailAddress": m["group"]},
        sendNotificationEmail=False,
    ).execute()
    damage_google(style)


TASKS: list[tuple[re.Pattern, Callable]] = [
    (re.compile(rf"\((?P<owner>{EMAIL})\) wants a 'Total' row at the bottom of (?:his|her|their) spreadsheet '(?P<file>[^']+)'.*?under (?P<column>\w+)", re.S), total_row),
    (re.compile(rf"The total in .*?\((?P<owner>{EMAIL})\) spreadsheet '(?P<file>[^']+)' leaves out", re.S), fix_total_formula),
    (re.compile(rf"\((?P<owner>{EMAIL})\).*?spreadsheet '(?P<file>[^']+)': rename its worksheet '(?P<old>[^']+)' to '(?P<new>[^']+)' and add a worksheet '(?P<added>[^']+)'", re.S), new_quarter_tab),
    (re.compile(rf"\((?P<owner>{EMAIL})\) document '(?P<file>[^']+)', replace '(?P<old>[^']+)' with '(?P<new>[^']+)'", re.S), replace_text),
    (re.compile(rf"\((?P<owner>{EMAIL})\).*?add a section to (?:his|her|their) document '(?P<file>[^']+)', just before the '(?P<before>[^']+)' paragraph: a heading '(?P<heading>[^']+)' \((?P<level>Heading \d)\) followed by the paragraph '(?P<text>[^']+)'", re.S), insert_section),
    (re.compile(rf"weeks \d+ to (?P<to>\d+) of .*?\((?P<owner>{EMAIL})\) spreadsheet '(?P<file>[^']+)'.*?Okta group (?P<group>[\w -]+?),.*?in #(?P<chan>[\w-]+)", re.S), fill_rota),
    (re.compile(rf"\((?P<owner>{EMAIL})\) spreadsheet '(?P<file>[^']+)' must agree with Okta", re.S), reconcile_headcount),
    (re.compile(rf"(?P<inc>INC-\d+) is over\. Write its postmortem as a new Google Doc named '(?P<title>[^']+)' in .*?\((?P<owner>{EMAIL})\).*?#(?P<chan>[\w-]+).*?group \((?P<group>{EMAIL})\)", re.S), postmortem_from_jira_and_slack),
]
