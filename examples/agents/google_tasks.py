"""Scripted solutions of the Google Drive example scenarios (and the cross-service
ones that touch Drive), for the example agents. Drive is reached the way an
integration would: google-api-python-client built from the twin's discovery document
(GOOGLE_DRIVE_DISCOVERY_URL), acting as people of the domain through the service
account's domain-wide delegation (GOOGLE_SERVICE_ACCOUNT_KEY, the key file's content).
`dtu_agent` adds TASKS to its own."""

from __future__ import annotations

import json
import os
import re
from typing import Callable

DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"
FOLDER = "application/vnd.google-apps.folder"


def drive_as(email: str):
    from google.oauth2 import service_account
    from googleapiclient.discovery import build

    info = json.loads(os.environ["GOOGLE_SERVICE_ACCOUNT_KEY"])
    creds = service_account.Credentials.from_service_account_info(info, scopes=[DRIVE_SCOPE], subject=email)
    return build(
        "drive", "v3", credentials=creds, discoveryServiceUrl=os.environ["GOOGLE_DRIVE_DISCOVERY_URL"], cache_discovery=False
    )


def quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def find_one(drive, name: str, extra: str = "", **kw) -> dict:
    q = f"name = '{quote(name)}' and trashed = false" + (f" and {extra}" if extra else "")
    files = drive.files().list(q=q, fields="files(id,name,parents,owners(emailAddress))", **kw).execute()["files"]
    if len(files) != 1:
        raise SystemExit(f"expected one file named {name!r}, found {len(files)}")
    return files[0]


def all_files(drive, q: str, fields: str = "id,name", **kw) -> list[dict]:
    out, token = [], None
    while True:
        resp = drive.files().list(q=q, fields=f"nextPageToken,files({fields})", pageSize=100, pageToken=token, **kw).execute()
        out.extend(resp.get("files", []))
        token = resp.get("nextPageToken")
        if not token:
            return out


def damage_google(style) -> None:
    """The collateral agent's extra: renames a file nobody asked about."""
    if style.collateral:
        alice = drive_as("alice@acme.test")
        f = find_one(alice, "2027 Strategy")
        alice.files().update(fileId=f["id"], body={"name": "2027 Strategy (old)"}).execute()


# ------------------------------------------------------------------- tasks ----


def share_with_group(m: re.Match, style) -> None:
    drive = drive_as(m["owner"])
    f = find_one(drive, m["file"], "'me' in owners")
    drive.permissions().create(
        fileId=f["id"],
        body={"type": "group", "role": m["role"].lower(), "emailAddress": m["group"]},
        sendNotificationEmail=False,
    ).execute()
    damage_google(style)


def file_into_folder(m: re.Match, style) -> None:
    drive = drive_as(m["owner"])
    f = find_one(drive, m["file"], "'me' in owners")
    folder = drive.files().create(body={"name": m["folder"], "mimeType": FOLDER}, fields="id").execute()
    drive.files().update(fileId=f["id"], addParents=folder["id"], removeParents=",".join(f.get("parents", []))).execute()
    damage_google(style)


def upload_to_shared_drive(m: re.Match, style) -> None:
    from googleapiclient.http import MediaInMemoryUpload

    drive = drive_as(m["owner"])
    drives = drive.drives().list(pageSize=100).execute()["drives"]
    target = next(d for d in drives if d["name"] == m["drive"])
    media = MediaInMemoryUpload(m["content"].encode(), mimetype="text/plain")
    drive.files().create(
        body={"name": m["file"], "parents": [target["id"]]}, media_body=media, supportsAllDrives=True, fields="id"
    ).execute()
    damage_google(style)


def trash_drafts(m: re.Match, style) -> None:
    drive = drive_as(m["owner"])
    for f in all_files(drive, "'me' in owners and trashed = false and name contains 'DRAFT'"):
        if f["name"].startswith("DRAFT"):
            drive.files().update(fileId=f["id"], body={"trashed": True}).execute()
    damage_google(style)


def restrict_to_group(m: re.Match, style) -> None:
    drive = drive_as(m["owner"])
    f = find_one(drive, m["file"], "'me' in owners")
    perms = drive.permissions().list(fileId=f["id"], fields="permissions(id,type)").execute()["permissions"]
    for p in perms:
        if p["type"] in ("domain", "anyone"):
            drive.permissions().delete(fileId=f["id"], permissionId=p["id"]).execute()
    drive.permissions().create(
        fileId=f["id"], body={"type": "group", "role": "reader", "emailAddress": m["group"]}, sendNotificationEmail=False
    ).execute()
    damage_google(style)


async def offboard_to_manager(m: re.Match, style) -> None:
    from googleapiclient.errors import HttpError

    from dtu_agent import ok, okta_client

    leaver, manager = m["email"], m["manager"]
    okta = okta_client(style)
    user = ok(await okta.get_user(leaver))
    ok(await okta.deactivate_user(user.id))
    # Their own files go to the manager.
    mine = drive_as(leaver)
    for f in all_files(mine, "'me' in owners"):
        mine.permissions().create(
            fileId=f["id"], transferOwnership=True, body={"type": "user", "role": "owner", "emailAddress": manager}
        ).execute()
    # Direct shares others gave them (and the files just handed over): the leaver drops
    # their own permission, which anyone may do; a share through a group is not theirs to drop.
    me = mine.about().get(fields="user(permissionId)").execute()["user"]["permissionId"]
    for f in all_files(mine, "sharedWithMe = true"):
        try:
            mine.permissions().delete(fileId=f["id"], permissionId=me).execute()
        except HttpError as e:
            if e.status_code not in (403, 404):
                raise
    damage_google(style)


def share_with_channel(m: re.Match, style) -> None:
    from slack_sdk import WebClient

    from dtu_agent import call

    # The channel may be private: the user token (a member) sees it, the bot may not.
    slack = WebClient(token=os.environ["SLACK_USER_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    channels = call(style, slack.conversations_list, types="public_channel,private_channel", limit=200)["channels"]
    channel = next(c for c in channels if c["name"] == m["chan"])
    members = call(style, slack.conversations_members, channel=channel["id"], limit=200)["members"]
    emails = set()
    for uid in members:
        profile = call(style, slack.users_info, user=uid)["user"].get("profile", {})
        if profile.get("email"):
            emails.add(profile["email"].lower())
    drive = drive_as(m["owner"])
    f = find_one(drive, m["file"], "'me' in owners")
    for email in sorted(emails - {m["owner"]}):
        drive.permissions().create(
            fileId=f["id"], body={"type": "user", "role": "reader", "emailAddress": email}, sendNotificationEmail=False
        ).execute()
    damage_google(style)


def post_file_link(m: re.Match, style) -> None:
    from dtu_agent import call, slack_client

    drive = drive_as(m["owner"])
    f = drive.files().list(
        q=f"name = '{quote(m['file'])}' and 'me' in owners and trashed = false", fields="files(id,name,webViewLink)"
    ).execute()["files"][0]
    slack = slack_client(style)
    channel = next(c for c in call(style, slack.conversations_list, limit=200)["channels"] if c["name"] == m["chan"])
    if not channel.get("is_member"):
        call(style, slack.conversations_join, channel=channel["id"])
    call(style, slack.chat_postMessage, channel=channel["id"], text=f"{f['name']}: {f['webViewLink']}")
    damage_google(style)


EMAIL = r"[^)@\s]+@[^)\s]+"

TASKS: list[tuple[re.Pattern, Callable]] = [
    (re.compile(rf"\((?P<email>{EMAIL})\) is leaving.*?manager .*?\((?P<manager>{EMAIL})\)", re.S), offboard_to_manager),
    (re.compile(rf"Share (?P<owner_name>[\w ]+?)'s file '(?P<file>[^']+)' \((?P<owner>{EMAIL})\) with everyone in the Slack channel #(?P<chan>[\w-]+)", re.S), share_with_channel),
    (re.compile(rf"[Pp]ost a link to .*?\((?P<owner>{EMAIL})\) spreadsheet '(?P<file>[^']+)' in #(?P<chan>[\w-]+)", re.S), post_file_link),
    (re.compile(rf"\((?P<owner>{EMAIL})\).*?share (?:his|her|their) file '(?P<file>[^']+)' with the (?:[\w ]+) group \((?P<group>{EMAIL})\) as (?:a |an )?(?P<role>reader|commenter|writer)", re.S), share_with_group),
    (re.compile(rf"\((?P<owner>{EMAIL})\).*?create a folder named '(?P<folder>[^']+)'.*?move (?:his|her|their) file '(?P<file>[^']+)' into it", re.S), file_into_folder),
    (re.compile(rf"\((?P<owner>{EMAIL})\).*?upload a text file named '(?P<file>[^']+)' containing '(?P<content>[^']*)' to the (?P<drive>[\w ]+?) shared drive", re.S), upload_to_shared_drive),
    (re.compile(rf"\((?P<owner>{EMAIL})\).*?[Mm]ove every file (?:he|she|they) owns? whose name starts with 'DRAFT' to the trash", re.S), trash_drafts),
    (re.compile(rf"\((?P<owner>{EMAIL})\).*?'(?P<file>[^']+)'.*?only with the (?:[\w ]+) group \((?P<group>{EMAIL})\)", re.S), restrict_to_group),
]
