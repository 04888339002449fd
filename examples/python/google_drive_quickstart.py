"""Quickstart: google-api-python-client (2.x) against DTU's Google twin, unchanged but
for the discovery URL (which points every call, uploads and batch included, at the
twin). Run `dtu serve` first; export DTU_ADMIN_TOKEN (the admin_token it printed) and
DTU_CONTROL_URL when it is not on the default port."""

import io
import os

import requests
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

control = os.environ.get("DTU_CONTROL_URL", "http://127.0.0.1:8700/_dtu/")
admin = {"Authorization": f"Bearer {os.environ.get('DTU_ADMIN_TOKEN', '')}"}
google = requests.get(f"{control}universes/default", headers=admin, timeout=10).json()["google"]

creds = Credentials(token=google["access_tokens"]["bob@acme.test"])
drive = build("drive", "v3", credentials=creds, discoveryServiceUrl=google["discovery_urls"]["drive"])
me = drive.about().get(fields="user(emailAddress)").execute()["user"]["emailAddress"]
print("connected to", google["endpoint"], "as", me)

media = MediaIoBaseUpload(io.BytesIO(b"Hello from DTU"), mimetype="text/plain")
made = drive.files().create(body={"name": "hello.txt"}, media_body=media, fields="id,name,size").execute()
print("uploaded", made["name"], made["size"], "bytes")
for f in drive.files().list(q="'me' in owners and trashed = false", fields="files(name)").execute()["files"]:
    print(" ", f["name"])

try:
    drive.files().get(fileId="no-such-file").execute()
except HttpError as e:
    print("as on Google:", e.status_code, e.reason)
