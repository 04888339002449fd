"""Quickstart: PyDrive2 (1.21) against DTU's Google twin. PyDrive2 signs in with its
own service-account settings (the manifest's key, whose token_uri is the twin's
/token); one line then points its Drive v2 service at the twin's discovery document.
Run `dtu serve` first; export DTU_ADMIN_TOKEN (the admin_token it printed) and
DTU_CONTROL_URL when it is not on the default port."""

import json
import os
import tempfile

import requests
from googleapiclient.discovery import build
from pydrive2.auth import GoogleAuth
from pydrive2.drive import GoogleDrive
from pydrive2.files import ApiRequestError

control = os.environ.get("DTU_CONTROL_URL", "http://127.0.0.1:8700/_dtu/")
admin = {"Authorization": f"Bearer {os.environ.get('DTU_ADMIN_TOKEN', '')}"}
google = requests.get(f"{control}universes/default", headers=admin, timeout=10).json()["google"]

with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as key:
    json.dump(google["service_account"], key)

gauth = GoogleAuth(settings={
    "client_config_backend": "service",
    "service_config": {"client_json_file_path": key.name, "client_user_email": "bob@acme.test"},
    "oauth_scope": ["https://www.googleapis.com/auth/drive"],
})
gauth.ServiceAuth()
gauth.service = build("drive", "v2", http=gauth.http, discoveryServiceUrl=google["discovery_urls"]["drive_v2"])
drive = GoogleDrive(gauth)
print("connected to", google["endpoint"], "as", drive.GetAbout()["user"]["emailAddress"])

f = drive.CreateFile({"title": "hello.txt"})
f.SetContentString("Hello from DTU")
f.Upload()
print("uploaded", f["title"], f["fileSize"], "bytes")
for item in drive.ListFile({"q": "'me' in owners and trashed = false"}).GetList():
    print(" ", item["title"])

try:
    drive.CreateFile({"id": "no-such-file"}).FetchMetadata()
except ApiRequestError as e:
    print("as on Google:", e.error["code"], e.GetField("reason"))
os.unlink(key.name)
