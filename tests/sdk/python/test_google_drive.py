"""google-api-python-client against the Drive twin: files, uploads in all three
protocols, downloads with Range, search with `q`, ordering, paging, `fields`,
trash, copy, export and Drive's errors."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload, MediaIoBaseDownload, MediaIoBaseUpload

from google_helpers import drive, http_error, list_all

FOLDER = "application/vnd.google-apps.folder"


@pytest.fixture
def svc(universe):
    return drive(universe)


def upload(svc, name, data: bytes, mime="text/plain", parents=None, resumable=False, chunksize=256 * 1024, **extra):
    body = {"name": name, **extra}
    if parents:
        body["parents"] = parents
    media = MediaIoBaseUpload(io.BytesIO(data), mimetype=mime, resumable=resumable, chunksize=chunksize)
    req = svc.files().create(body=body, media_body=media, fields="id,name,size,md5Checksum,mimeType,parents")
    if not resumable:
        return req.execute()
    resp = None
    while resp is None:
        _, resp = req.next_chunk()
    return resp


def download(svc, file_id, chunksize=100 * 1024) -> bytes:
    buf = io.BytesIO()
    downloader = MediaIoBaseDownload(buf, svc.files().get_media(fileId=file_id), chunksize=chunksize)
    done = False
    while not done:
        _, done = downloader.next_chunk()
    return buf.getvalue()


def test_discovery_points_every_call_at_the_twin(universe):
    svc = drive(universe)
    assert svc._rootDesc["rootUrl"] == universe["google"]["endpoint"] + "/"
    assert svc._baseUrl == universe["google"]["drive_endpoint"]
    assert svc._rootDesc["batchPath"] == "batch/drive/v3"
    assert universe["google"]["drive_endpoint"].endswith("/drive/v3/")


def test_api_endpoint_works_for_calls_without_media(universe):
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build

    svc = build(
        "drive",
        "v3",
        credentials=Credentials(token=universe["google"]["access_token"]),
        client_options={"api_endpoint": universe["google"]["drive_endpoint"]},
        cache_discovery=False,
    )
    folder = svc.files().create(body={"name": "Static", "mimeType": FOLDER}).execute()
    assert folder["mimeType"] == FOLDER
    assert svc.files().get(fileId=folder["id"], fields="name").execute() == {"name": "Static"}


def test_metadata_only_create_and_default_fields(svc):
    folder = svc.files().create(body={"name": "Reports", "mimeType": FOLDER}).execute()
    assert set(folder) == {"kind", "id", "name", "mimeType"}
    assert folder["kind"] == "drive#file" and len(folder["id"]) == 33
    full = svc.files().get(fileId=folder["id"], fields="*").execute()
    assert full["parents"] and "size" not in full and "md5Checksum" not in full
    assert full["version"].isdigit(), "int64 fields are strings"
    assert full["ownedByMe"] is True and full["capabilities"]["canAddChildren"] is True


def test_multipart_upload_and_download(svc):
    f = upload(svc, "notes.txt", b"line one\nline two\n")
    assert f["size"] == "18"

    assert f["md5Checksum"] == hashlib.md5(b"line one\nline two\n").hexdigest()
    assert svc.files().get_media(fileId=f["id"]).execute() == b"line one\nline two\n"
    assert download(svc, f["id"], chunksize=5) == b"line one\nline two\n"


def test_simple_upload_without_metadata_is_untitled(svc):
    media = MediaInMemoryUpload(b"raw bytes", mimetype="application/octet-stream")
    f = svc.files().create(media_body=media, fields="id,name,mimeType,size").execute()
    assert f == {"id": f["id"], "name": "Untitled", "mimeType": "application/octet-stream", "size": "9"}


def test_resumable_upload_in_chunks_and_ranged_download(svc):
    data = os.urandom(512 * 1024 + 10)
    f = upload(svc, "blob.bin", data, mime="application/octet-stream", resumable=True)
    assert f["size"] == str(len(data))
    assert download(svc, f["id"], chunksize=200 * 1024) == data


def test_zero_byte_files_upload_and_download(svc):
    f = upload(svc, "empty.txt", b"", resumable=True)
    assert f["size"] == "0"
    assert download(svc, f["id"]) == b""
    g = upload(svc, "empty2.txt", b"")
    assert g["md5Checksum"] == "d41d8cd98f00b204e9800998ecf8427e"


def test_update_media_makes_a_revision_and_bumps_version(svc):
    f = upload(svc, "doc.txt", b"v1")
    before = svc.files().get(fileId=f["id"], fields="version,headRevisionId").execute()
    media = MediaIoBaseUpload(io.BytesIO(b"version two"), mimetype="text/plain", resumable=True)
    updated = svc.files().update(fileId=f["id"], media_body=media, fields="size,version,headRevisionId").execute()
    assert updated["size"] == "11"
    assert int(updated["version"]) > int(before["version"])
    assert updated["headRevisionId"] != before["headRevisionId"]
    assert svc.files().get_media(fileId=f["id"]).execute() == b"version two"
    revs = svc.revisions().list(fileId=f["id"]).execute()["revisions"]
    assert len(revs) == 2
    old = svc.revisions().get_media(fileId=f["id"], revisionId=revs[0]["id"]).execute()
    assert old == b"v1"


def test_search_language(svc):
    a = svc.files().create(body={"name": "Alpha", "mimeType": FOLDER}).execute()
    upload(svc, "Quarterly Report.txt", b"revenue grew in the north", parents=[a["id"]])
    upload(svc, "quarterly-plan.md", b"plan", mime="text/markdown", properties={"team": "eng"})
    upload(svc, "Zeta.csv", b"a,b", mime="text/csv", starred=True)

    def names(q, **kw):
        return sorted(f["name"] for f in svc.files().list(q=q, fields="files(name)", **kw).execute()["files"])

    assert names(f"'{a['id']}' in parents") == ["Quarterly Report.txt"]
    assert names("name contains 'quarterly' and trashed = false") == ["Quarterly Report.txt", "quarterly-plan.md"]
    assert names("name contains 'Report' and 'me' in owners") == ["Quarterly Report.txt"]
    assert names("mimeType = 'text/csv'") == ["Zeta.csv"]
    assert names("starred = true and mimeType != 'application/vnd.google-apps.folder'") == ["Zeta.csv"]
    assert names("properties has { key='team' and value='eng' }") == ["quarterly-plan.md"]
    assert names("fullText contains 'north'") == ["Quarterly Report.txt"]
    assert names("(name = 'Zeta.csv' or name = 'Alpha') and not starred = true") == ["Alpha"]
    assert names("modifiedTime > '2000-01-01T00:00:00' and name = 'Alpha'") == ["Alpha"]
    assert names("modifiedTime < '2000-01-01T00:00:00'") == []


def test_bad_queries_and_selectors_are_400(svc):
    for q in ["name = ", "bogus = 'x'", "trashed = 'maybe'", "(name = 'x'"]:
        with pytest.raises(HttpError) as e:
            svc.files().list(q=q).execute()
        body = http_error(e, 400, "invalid")
        assert body["errors"][0]["location"] == "q"
    with pytest.raises(HttpError) as e:
        svc.files().list(fields="files(id,bogus)").execute()
    http_error(e, 400, "invalidParameter")
    with pytest.raises(HttpError) as e:
        svc.files().list(orderBy="sideways").execute()
    http_error(e, 400, "invalid")
    with pytest.raises(HttpError) as e:
        svc.files().list(q="fullText contains 'x'", orderBy="name").execute()
    http_error(e, 400, "badRequest")
    with pytest.raises(HttpError) as e:
        svc.about().get().execute()
    http_error(e, 400, "required")


def test_order_and_paging_to_the_end(svc):
    parent = svc.files().create(body={"name": "Many", "mimeType": FOLDER}).execute()["id"]
    for n in [1, 12, 2, 30, 3]:
        svc.files().create(body={"name": f"file {n}", "parents": [parent]}).execute()
    q = f"'{parent}' in parents"
    lexical = [f["name"] for f in svc.files().list(q=q, orderBy="name", fields="files(name)").execute()["files"]]
    assert lexical == ["file 1", "file 12", "file 2", "file 3", "file 30"]
    natural = list_all((svc.files(), "list"), q=q, orderBy="name_natural desc", pageSize=2, fields="nextPageToken,files(name)")
    assert [f["name"] for f in natural] == ["file 30", "file 12", "file 3", "file 2", "file 1"]
    # Without nextPageToken in `fields`, there is none: paging stops after one page, as on Drive.
    first = svc.files().list(q=q, pageSize=2, fields="files(id)").execute()
    assert "nextPageToken" not in first and len(first["files"]) == 2
    with pytest.raises(HttpError) as e:
        svc.files().list(q=q, pageToken="not-a-token").execute()
    http_error(e, 400, "invalid")
    with pytest.raises(HttpError) as e:
        svc.files().list(pageSize=0).execute()
    http_error(e, 400)


def test_move_with_add_and_remove_parents(svc):
    a = svc.files().create(body={"name": "A", "mimeType": FOLDER}).execute()["id"]
    b = svc.files().create(body={"name": "B", "mimeType": FOLDER}).execute()["id"]
    f = svc.files().create(body={"name": "moved.txt", "parents": [a]}).execute()["id"]
    moved = svc.files().update(fileId=f, addParents=b, removeParents=a, fields="parents").execute()
    assert moved["parents"] == [b]
    with pytest.raises(HttpError) as e:
        svc.files().update(fileId=f, addParents=a, fields="parents").execute()
    http_error(e, 403, "cannotAddParent")
    with pytest.raises(HttpError) as e:
        svc.files().update(fileId=f, body={"parents": [a]}).execute()
    http_error(e, 403, "fieldNotWritable")
    with pytest.raises(HttpError) as e:
        svc.files().update(fileId=b, addParents=f, removeParents="root").execute()
    http_error(e, 400)


def test_trash_untrash_empty_trash_and_delete(svc):
    folder = svc.files().create(body={"name": "Old", "mimeType": FOLDER}).execute()["id"]
    child = svc.files().create(body={"name": "inside.txt", "parents": [folder]}).execute()["id"]
    svc.files().update(fileId=folder, body={"trashed": True}).execute()
    got = svc.files().get(fileId=child, fields="trashed,explicitlyTrashed").execute()
    assert got == {"trashed": True, "explicitlyTrashed": False}
    assert svc.files().list(q="name = 'inside.txt'", fields="files(id)").execute()["files"], "lists include the trash"
    assert not svc.files().list(q="name = 'inside.txt' and trashed = false", fields="files(id)").execute()["files"]
    svc.files().update(fileId=folder, body={"trashed": False}).execute()
    assert svc.files().get(fileId=child, fields="trashed").execute() == {"trashed": False}
    svc.files().update(fileId=child, body={"trashed": True}).execute()
    assert svc.files().emptyTrash().execute() == ""
    with pytest.raises(HttpError) as e:
        svc.files().get(fileId=child).execute()
    http_error(e, 404, "notFound")
    assert svc.files().delete(fileId=folder).execute() == ""
    with pytest.raises(HttpError) as e:
        svc.files().delete(fileId=folder).execute()
    body = http_error(e, 404, "notFound")
    assert body["message"] == f"File not found: {folder}."


def test_copy_generate_ids_and_root_alias(svc):
    f = upload(svc, "orig.txt", b"copy me")
    c = svc.files().copy(fileId=f["id"], body={}, fields="id,name,size").execute()
    assert c["name"] == "Copy of orig.txt" and c["size"] == "7" and c["id"] != f["id"]
    assert svc.files().get_media(fileId=c["id"]).execute() == b"copy me"
    ids = svc.files().generateIds(count=3).execute()
    assert ids["kind"] == "drive#generatedIds" and len(ids["ids"]) == 3
    made = svc.files().create(body={"id": ids["ids"][0], "name": "pre-id"}).execute()
    assert made["id"] == ids["ids"][0]
    with pytest.raises(HttpError) as e:
        svc.files().create(body={"id": ids["ids"][0], "name": "again"}).execute()
    http_error(e, 409)
    root = svc.files().get(fileId="root", fields="id,name").execute()
    assert root["name"] == "My Drive"
    assert made["id"] in [x["id"] for x in svc.files().list(q="'root' in parents", fields="files(id)", pageSize=1000).execute()["files"]]


def test_google_docs_export_and_conversion(svc):
    media = MediaInMemoryUpload(b"Hello\nfrom the twin", mimetype="text/plain")
    doc = svc.files().create(
        body={"name": "Converted", "mimeType": "application/vnd.google-apps.document"}, media_body=media, fields="id,mimeType,size"
    ).execute()
    assert doc["mimeType"] == "application/vnd.google-apps.document" and "size" not in doc
    assert len(doc["id"]) == 44
    text = svc.files().export(fileId=doc["id"], mimeType="text/plain").execute()
    assert text.decode("utf-8-sig") == "Hello\nfrom the twin"
    html = svc.files().export(fileId=doc["id"], mimeType="text/html").execute()
    assert b"<p>from the twin</p>" in html
    with pytest.raises(HttpError) as e:
        svc.files().get_media(fileId=doc["id"]).execute()
    http_error(e, 403, "fileNotDownloadable")
    with pytest.raises(HttpError) as e:
        svc.files().export(fileId=doc["id"], mimeType="image/gif").execute()
    http_error(e, 400, "badRequest")
    sheet = svc.files().create(
        body={"name": "Numbers", "mimeType": "application/vnd.google-apps.spreadsheet"},
        media_body=MediaInMemoryUpload(b"a,b\n1,2\n", mimetype="text/csv"),
    ).execute()
    assert svc.files().export(fileId=sheet["id"], mimeType="text/csv").execute() == b"a,b\n1,2\n"
    blob = upload(svc, "plain.txt", b"x")
    with pytest.raises(HttpError) as e:
        svc.files().export(fileId=blob["id"], mimeType="text/plain").execute()
    http_error(e, 403, "fileNotExportable")


def test_seeded_drive_of_the_fixture(universe):
    bob = drive(universe, "bob@acme.test")
    mine = list_all((bob.files(), "list"), q="'me' in owners and trashed = false", fields="nextPageToken,files(name)", pageSize=2)
    assert {"Architecture.md", "On-call runbook", "1-1 notes.txt", "Engineering", "Personal"} <= {f["name"] for f in mine}
    runbook = bob.files().list(q="name = 'On-call runbook'", fields="files(id)").execute()["files"][0]
    assert b"Acknowledge the page" in bob.files().export(fileId=runbook["id"], mimeType="text/plain").execute()


def test_malformed_bodies_are_400_and_nothing_is_written(universe, svc):
    import requests

    g = universe["google"]
    headers = {"Authorization": f"Bearer {g['access_token']}"}
    before = len(list_all((svc.files(), "list"), fields="nextPageToken,files(id)", pageSize=1000))
    r = requests.post(g["drive_endpoint"] + "files", data=b"{not json", headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["errors"][0]["reason"] == "parseError"
    r = requests.post(
        g["endpoint"] + "/upload/drive/v3/files?uploadType=multipart",
        data=b"--x\nContent-Type: application/json\n\n{}\n",
        headers={**headers, "Content-Type": "multipart/related; boundary=x"},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == 400
    r = requests.put(g["endpoint"] + "/upload/drive/v3/files?upload_id=nope", data=b"x", headers=headers)
    assert r.status_code == 404
    after = len(list_all((svc.files(), "list"), fields="nextPageToken,files(id)", pageSize=1000))
    assert before == after


def test_media_file_upload_resumable_update(svc, tmp_path):
    from googleapiclient.http import MediaFileUpload

    path = tmp_path / "report.csv"
    data = b"id,value\n" + b"".join(b"%d,%d\n" % (i, i * i) for i in range(40000))
    path.write_bytes(data)
    made = svc.files().create(
        body={"name": "report.csv"}, media_body=MediaFileUpload(str(path), mimetype="text/csv"), fields="id,size,originalFilename"
    ).execute()
    assert made["size"] == str(len(data)) and made["originalFilename"] == "report.csv"
    bigger = data + b"40000,1600000000\n"
    path.write_bytes(bigger)
    req = svc.files().update(
        fileId=made["id"],
        body={"description": "refreshed"},
        media_body=MediaFileUpload(str(path), mimetype="text/csv", resumable=True, chunksize=256 * 1024),
        fields="size,description",
    )
    resp = None
    while resp is None:
        _, resp = req.next_chunk()
    assert resp == {"size": str(len(bigger)), "description": "refreshed"}
    assert download(svc, made["id"], chunksize=300 * 1024) == bigger
