"""PyDrive2 against the Drive twin's v2 surface: a service account signs in with
PyDrive2's own settings (oauth2client's JWT-bearer exchange against the twin's
/token, `client_user_email` acting as a person), then one line points PyDrive2's
service at the twin's v2 discovery document. Files, uploads (simple and chunked
resumable), metadata, search with paging, trash, copy, sharing, export, errors and
access. v2 responses are checked against Google's own drive.v2.json schemas."""

from __future__ import annotations

import hashlib
import io
import json
import os

import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload
from pydrive2.auth import GoogleAuth
from pydrive2.drive import GoogleDrive
from pydrive2.files import ApiRequestError

from google_helpers import drive, google_doc

DOC = "application/vnd.google-apps.document"
V2 = google_doc("drive.v2.json")


def check(value, schema: str, path: str = "") -> None:
    """`value` fits drive.v2.json's `schema`: every field is declared there, with its JSON type."""
    props = V2["schemas"][schema]["properties"]
    for key, v in value.items():
        assert key in props, f"{path}{key} is not a field of v2's {schema}"
        _check_type(v, props[key], f"{path}{key}")


def _check_type(v, spec: dict, path: str) -> None:
    if "$ref" in spec:
        assert isinstance(v, dict), path
        check(v, spec["$ref"], path + ".")
        return
    kind = spec.get("type")
    if kind == "array":
        assert isinstance(v, list), path
        for i, item in enumerate(v):
            _check_type(item, spec["items"], f"{path}[{i}]")
    elif kind == "object":
        assert isinstance(v, dict), path
        for key, sub in v.items():
            inner = spec.get("properties", {}).get(key) or spec.get("additionalProperties")
            assert inner is not None, f"{path}.{key} is not declared"
            _check_type(sub, inner, f"{path}.{key}")
    elif kind == "string":
        assert isinstance(v, str), (path, v)
    elif kind == "boolean":
        assert isinstance(v, bool), (path, v)
    elif kind == "integer":
        assert isinstance(v, int), (path, v)


def sign_in(universe, tmp_path, email: str = "alice@acme.test") -> GoogleDrive:
    """PyDrive2 as its users configure a service account, plus the one line that
    points the service at the twin."""
    key = tmp_path / f"sa-{email}.json"
    key.write_text(json.dumps(universe["google"]["service_account"]))
    gauth = GoogleAuth(settings={
        "client_config_backend": "service",
        "service_config": {"client_json_file_path": str(key), "client_user_email": email},
        "oauth_scope": ["https://www.googleapis.com/auth/drive"],
    })
    gauth.ServiceAuth()
    gauth.service = build("drive", "v2", http=gauth.http,
                          discoveryServiceUrl=universe["google"]["discovery_urls"]["drive_v2"])
    return GoogleDrive(gauth)


@pytest.fixture
def gd(universe, tmp_path):
    return sign_in(universe, tmp_path)


def test_service_account_signs_in_as_the_delegated_person(gd, universe):
    about = gd.GetAbout()
    check(about, "About")
    assert about["user"]["emailAddress"] == "alice@acme.test"
    assert about["user"]["isAuthenticatedUser"] is True
    assert about["kind"] == "drive#about" and about["rootFolderId"]
    # The token came from the twin's /token, not from the manifest.
    assert gd.auth.credentials.access_token not in universe["google"]["access_tokens"].values()


def test_upload_text_both_ways_and_read_it_back(gd, tmp_path):
    f = gd.CreateFile({"title": "notes.txt", "mimeType": "text/plain"})
    f.SetContentString("hello from pydrive2")
    f.Upload()
    check(dict(f), "File")
    assert f["title"] == "notes.txt" and f["kind"] == "drive#file"
    assert f["fileSize"] == str(len("hello from pydrive2"))
    assert f["md5Checksum"] == hashlib.md5(b"hello from pydrive2").hexdigest()
    assert f["parents"][0]["isRoot"] is True and f["parents"][0]["kind"] == "drive#parentReference"
    assert f["labels"]["trashed"] is False and f["userPermission"]["role"] == "owner"
    assert f["ownerNames"] == [f["owners"][0]["displayName"]]

    fresh = gd.CreateFile({"id": f["id"]})
    assert fresh.GetContentString() == "hello from pydrive2"  # FetchContent through downloadUrl
    out = tmp_path / "out.txt"
    fresh.GetContentFile(str(out))  # files.get_media
    assert out.read_text() == "hello from pydrive2"

    src = tmp_path / "from-disk.txt"
    src.write_text("line one\nline two\n")
    g = gd.CreateFile({"title": "from-disk.txt"})
    g.SetContentFile(str(src))
    g.Upload()
    assert g["mimeType"] == "text/plain" and g["originalFilename"] == "from-disk.txt"
    assert gd.CreateFile({"id": g["id"]}).GetContentString() == "line one\nline two\n"

    # New content (files.update, PUT with media) and a rename (files.patch).
    g.SetContentString("replaced")
    g.Upload()
    g["title"] = "renamed.txt"
    g.Upload()
    again = gd.CreateFile({"id": g["id"]})
    again.FetchMetadata()
    assert again["title"] == "renamed.txt" and again["fileSize"] == "8"
    assert again.GetContentString() == "replaced"


def test_large_resumable_upload_and_a_chunked_one(gd):
    data = os.urandom(600 * 1024)
    f = gd.CreateFile({"title": "big.bin", "mimeType": "application/octet-stream"})
    f.content = io.BytesIO(data)
    f.dirty["content"] = True
    f.Upload()
    assert f["fileSize"] == str(len(data))
    assert f["md5Checksum"] == hashlib.md5(data).hexdigest()
    # The same service PyDrive2 holds, with chunks small enough that the session takes three PUTs.
    media = MediaIoBaseUpload(io.BytesIO(data), mimetype="application/octet-stream", chunksize=256 * 1024, resumable=True)
    req = gd.auth.service.files().insert(body={"title": "chunked.bin"}, media_body=media)
    resp, puts = None, 0
    while resp is None:
        _, resp = req.next_chunk()
        puts += 1
    assert puts == 3
    check(resp, "File")
    assert resp["title"] == "chunked.bin" and resp["md5Checksum"] == hashlib.md5(data).hexdigest()
    assert gd.CreateFile({"id": resp["id"]}).GetContentString(encoding="latin-1").encode("latin-1") == data


def test_list_with_q_pages_to_the_end(gd):
    folder = gd.CreateFile({"title": "Reports", "mimeType": "application/vnd.google-apps.folder"})
    folder.Upload()
    for i in range(7):
        f = gd.CreateFile({"title": f"report {i}.txt", "parents": [{"id": folder["id"]}]})
        f.SetContentString(str(i))
        f.Upload()
    gd.CreateFile({"title": "elsewhere.txt"}).Upload()
    q = f"'{folder['id']}' in parents and title contains 'report' and trashed = false"
    pages = list(gd.ListFile({"q": q, "maxResults": 3, "orderBy": "title"}))
    assert [len(p) for p in pages] == [3, 3, 1]
    titles = [f["title"] for page in pages for f in page]
    assert titles == [f"report {i}.txt" for i in range(7)]
    for f in pages[0]:
        check(dict(f), "File")
    everything = gd.ListFile({"q": "title = 'elsewhere.txt'"}).GetList()
    assert [f["title"] for f in everything] == ["elsewhere.txt"]
    with pytest.raises(ApiRequestError) as e:
        gd.ListFile({"q": "name = 'x'"}).GetList()  # v3's field name is not v2's
    assert e.value.error["code"] == 400


def test_trash_untrash_delete(gd):
    f = gd.CreateFile({"title": "doomed.txt"})
    f.SetContentString("x")
    f.Upload()
    f.Trash()
    assert f["labels"]["trashed"] is True
    found = gd.ListFile({"q": "title = 'doomed.txt' and trashed = true"}).GetList()
    assert [x["id"] for x in found] == [f["id"]]
    assert found[0]["labels"]["trashed"] is True and found[0]["explicitlyTrashed"] is True
    f.UnTrash()
    f.FetchMetadata()
    assert f["labels"]["trashed"] is False
    assert gd.ListFile({"q": "title = 'doomed.txt' and trashed = false"}).GetList()
    f.Delete()
    with pytest.raises(ApiRequestError) as e:
        gd.CreateFile({"id": f["id"]}).FetchMetadata()
    assert e.value.error["code"] == 404


def test_copy(gd):
    f = gd.CreateFile({"title": "original.txt"})
    f.SetContentString("copy me")
    f.Upload()
    c = f.Copy(new_title="the copy.txt")
    assert c["id"] != f["id"] and c["title"] == "the copy.txt"
    assert c.GetContentString() == "copy me"


def test_permissions_insert_list_delete(gd, universe, tmp_path):
    f = gd.CreateFile({"title": "shared.txt"})
    f.SetContentString("for bob")
    f.Upload()
    bob = sign_in(universe, tmp_path, "bob@acme.test")
    with pytest.raises(ApiRequestError):
        bob.CreateFile({"id": f["id"]}).FetchMetadata()
    p = f.InsertPermission({"type": "user", "value": "bob@acme.test", "role": "reader"})
    check(p, "Permission")
    assert (p["type"], p["role"], p["emailAddress"]) == ("user", "reader", "bob@acme.test")
    perms = f.GetPermissions()
    for perm in perms:
        check(perm, "Permission")
    assert {(x["role"], x.get("emailAddress")) for x in perms} == {("owner", "alice@acme.test"), ("reader", "bob@acme.test")}
    seen = bob.CreateFile({"id": f["id"]})
    seen.FetchMetadata()
    assert seen["userPermission"]["role"] == "reader" and seen["editable"] is False
    assert seen.GetContentString() == "for bob"
    link = f.InsertPermission({"type": "anyone", "role": "reader", "withLink": True})
    assert link["id"] == "anyoneWithLink" and link["withLink"] is True
    f.DeletePermission(p["id"])
    assert {x["role"] for x in f.GetPermissions()} == {"owner", "reader"}
    assert "bob@acme.test" not in {x.get("emailAddress") for x in f.GetPermissions()}


def test_google_doc_exports_as_text(gd, universe, tmp_path):
    doc = drive(universe, "alice@acme.test").files().create(
        body={"name": "Plan", "mimeType": DOC},
        media_body=MediaIoBaseUpload(io.BytesIO(b"Ship the twin."), mimetype="text/plain"),
    ).execute()
    f = gd.CreateFile({"id": doc["id"]})
    out = tmp_path / "plan.txt"
    f.GetContentFile(str(out), mimetype="text/plain")  # get_media refuses, export answers
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Drive's text export starts with a BOM
    f.GetContentFile(str(out), mimetype="text/plain", remove_bom=True)
    assert out.read_text().strip() == "Ship the twin."
    f.FetchMetadata()
    assert "downloadUrl" not in f and f["exportLinks"]["text/plain"].startswith(universe["google"]["endpoint"])
    assert f.GetContentString(mimetype="text/plain", remove_bom=True).strip() == "Ship the twin."  # via exportLinks


def test_unknown_file_is_a_404_inside_api_request_error(gd):
    with pytest.raises(ApiRequestError) as e:
        gd.CreateFile({"id": "1nosuchfileXXXXXXXXXXXXXXXXX"}).FetchMetadata()
    assert isinstance(e.value.args[0], HttpError)
    assert e.value.error["code"] == 404
    assert e.value.GetField("reason") == "notFound"


def test_another_persons_file_is_not_visible(gd, universe, tmp_path):
    bob = sign_in(universe, tmp_path, "bob@acme.test")
    mine = bob.CreateFile({"title": "bob private.txt"})
    mine.SetContentString("private")
    mine.Upload()
    assert gd.ListFile({"q": "title contains 'private'"}).GetList() == []
    with pytest.raises(ApiRequestError) as e:
        gd.CreateFile({"id": mine["id"]}).FetchMetadata()
    assert e.value.error["code"] == 404
    with pytest.raises(ApiRequestError) as e:
        gd.CreateFile({"id": mine["id"]}).Trash()
    assert e.value.error["code"] == 404


def test_revisions_of_each_upload(gd):
    f = gd.CreateFile({"title": "versions.txt"})
    f.SetContentString("first")
    f.Upload()
    f.SetContentString("second, longer")
    f.Upload()
    revisions = f.GetRevisions()
    assert [r["md5Checksum"] for r in revisions] == [
        hashlib.md5(b"first").hexdigest(),
        hashlib.md5(b"second, longer").hexdigest(),
    ]
    for r in revisions:
        check(r, "Revision")
        assert r["kind"] == "drive#revision" and r["lastModifyingUser"]["emailAddress"] == "alice@acme.test"
    head = gd.auth.service.revisions().get(fileId=f["id"], revisionId="head").execute()
    assert head["id"] == revisions[-1]["id"] and head["fileSize"] == str(len("second, longer"))
    # v2 has no media method for revisions: clients follow downloadUrl, signed in.
    resp, first = gd.auth.http.request(revisions[0]["downloadUrl"])
    assert resp.status == 200 and first == b"first"
    with pytest.raises(HttpError) as missing:
        gd.auth.service.revisions().get(fileId=f["id"], revisionId="nope").execute()
    assert missing.value.resp.status == 404


def test_v2_discovery_methods_are_googles(universe):
    import requests

    ours = requests.get(universe["google"]["discovery_urls"]["drive_v2"]).json()
    assert ours["rootUrl"].startswith(universe["google"]["endpoint"]) and ours["servicePath"] == "drive/v2/"
    served = {m["id"]: m for r in ours["resources"].values() for m in r["methods"].values()}
    google = {m["id"]: m for r in V2["resources"].values() for m in r.get("methods", {}).values()}
    assert {"drive.files.insert", "drive.files.list", "drive.files.trash", "drive.permissions.insert"} <= set(served)
    for mid, m in served.items():
        assert (m["httpMethod"], m["path"]) == (google[mid]["httpMethod"], google[mid]["path"]), mid
        assert set(m["parameters"]) <= set(google[mid]["parameters"]), mid


def test_bad_input_is_a_400(gd):
    files = gd.auth.service.files()
    for req in (
        files.list(q="title = "),
        files.list(maxResults=0),
        files.list(fields="items(bogus)"),
        files.insert(body={"title": "x", "parents": [{"kind": "no id"}]}),
        files.insert(body={"labels": "starred"}),
    ):
        with pytest.raises(HttpError) as e:
            req.execute()
        assert e.value.status_code == 400, req.uri
