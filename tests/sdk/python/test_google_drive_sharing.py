"""Sharing as Drive computes it: owners, user and group permissions (the fixture's
groups), the domain, anyone with the link, inheritance through folders and shared
drives; ownership transfer; changes, comments and replies."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from google_helpers import drive, http_error, list_all

FOLDER = "application/vnd.google-apps.folder"


def make(svc, name, parents=None, mime=None):
    body = {"name": name}
    if parents:
        body["parents"] = parents
    if mime:
        body["mimeType"] = mime
    return svc.files().create(body=body, fields="id", supportsAllDrives=True).execute()["id"]


def test_strangers_get_404_readers_get_403(universe):
    alice, bob, carol = (drive(universe, f"{p}@acme.test") for p in ("alice", "bob", "carol"))
    f = make(alice, "secret.txt")
    with pytest.raises(HttpError) as e:
        bob.files().get(fileId=f).execute()
    http_error(e, 404, "notFound")
    p = alice.permissions().create(
        fileId=f, body={"type": "user", "role": "reader", "emailAddress": "bob@acme.test"}, sendNotificationEmail=False
    ).execute()
    assert p["kind"] == "drive#permission" and p["role"] == "reader" and p["type"] == "user"
    assert bob.files().get(fileId=f, fields="name,capabilities(canEdit)").execute() == {
        "name": "secret.txt",
        "capabilities": {"canEdit": False},
    }
    with pytest.raises(HttpError) as e:
        bob.files().update(fileId=f, body={"name": "mine now"}).execute()
    http_error(e, 403, "insufficientFilePermissions")
    with pytest.raises(HttpError) as e:
        bob.files().delete(fileId=f).execute()
    http_error(e, 403, "insufficientFilePermissions")
    with pytest.raises(HttpError) as e:
        carol.files().get(fileId=f).execute()
    http_error(e, 404)
    assert bob.files().list(q="sharedWithMe = true and name = 'secret.txt'", fields="files(id)").execute()["files"] == [{"id": f}]


def test_group_shares_reach_members_and_folders_pass_access_down(universe):
    alice = drive(universe, "alice@acme.test")
    dave, frank = drive(universe, "dave@acme.test"), drive(universe, "frank@acme.test")
    folder = make(alice, "Eng share", mime=FOLDER)
    child = make(alice, "spec.txt", parents=[folder])
    alice.permissions().create(fileId=folder, body={"type": "group", "role": "writer", "emailAddress": "engineering@acme.test"}).execute()
    # dave is in engineering: writer through the folder; frank (sales) is not.
    renamed = dave.files().update(fileId=child, body={"name": "spec v2.txt"}, fields="name,lastModifyingUser(emailAddress)").execute()
    assert renamed == {"name": "spec v2.txt", "lastModifyingUser": {"emailAddress": "dave@acme.test"}}
    with pytest.raises(HttpError) as e:
        frank.files().get(fileId=child).execute()
    http_error(e, 404)
    found = dave.files().list(q=f"'{folder}' in parents", fields="files(id)").execute()["files"]
    assert found == [{"id": child}]
    perms = alice.permissions().list(fileId=folder, fields="permissions(type,role,emailAddress)").execute()["permissions"]
    assert {"type": "group", "role": "writer", "emailAddress": "engineering@acme.test"} in perms
    assert {"type": "user", "role": "owner", "emailAddress": "alice@acme.test"} in perms


def test_domain_and_anyone_shares(universe):
    alice, bob = drive(universe, "alice@acme.test"), drive(universe, "bob@acme.test")
    linked = make(alice, "link only.txt")
    found = make(alice, "findable.txt")
    alice.permissions().create(fileId=linked, body={"type": "domain", "role": "reader", "domain": "acme.test"}).execute()
    alice.permissions().create(
        fileId=found, body={"type": "anyone", "role": "commenter", "allowFileDiscovery": True}
    ).execute()
    assert bob.files().get(fileId=linked, fields="id").execute() == {"id": linked}
    q = "name contains 'findable' or name contains 'link'"
    assert bob.files().list(q=q, fields="files(name)").execute()["files"] == [], "neither is shared with bob directly"
    names = {f["name"] for f in bob.files().list(q=q, corpora="domain", fields="files(name)").execute()["files"]}
    assert names == {"findable.txt"}, "a link-only share is opened by id, not found by search"
    vis = alice.files().list(q="visibility = 'anyoneCanFind'", fields="files(name)").execute()["files"]
    assert vis == [{"name": "findable.txt"}]


def test_permission_errors_and_updates(universe):
    alice, bob = drive(universe, "alice@acme.test"), drive(universe, "bob@acme.test")
    f = make(alice, "perm.txt")
    with pytest.raises(HttpError) as e:
        alice.permissions().create(fileId=f, body={"type": "user", "role": "owner", "emailAddress": "bob@acme.test"}).execute()
    http_error(e, 403, "forbidden")
    with pytest.raises(HttpError) as e:
        alice.permissions().create(fileId=f, body={"type": "user", "role": "boss", "emailAddress": "bob@acme.test"}).execute()
    http_error(e, 400)
    with pytest.raises(HttpError) as e:
        alice.permissions().create(fileId=f, body={"role": "reader"}).execute()
    http_error(e, 400, "required")
    p = alice.permissions().create(fileId=f, body={"type": "user", "role": "commenter", "emailAddress": "bob@acme.test"}).execute()
    up = alice.permissions().update(fileId=f, permissionId=p["id"], body={"role": "writer"}).execute()
    assert up["role"] == "writer"
    assert alice.permissions().get(fileId=f, permissionId=p["id"], fields="role,emailAddress").execute() == {
        "role": "writer",
        "emailAddress": "bob@acme.test",
    }
    bob.files().update(fileId=f, body={"description": "edited by bob"}).execute()
    alice.permissions().delete(fileId=f, permissionId=p["id"]).execute()
    with pytest.raises(HttpError) as e:
        bob.files().get(fileId=f).execute()
    http_error(e, 404)
    with pytest.raises(HttpError) as e:
        alice.permissions().get(fileId=f, permissionId=p["id"]).execute()
    http_error(e, 404)


def test_transfer_ownership(universe):
    alice, bob = drive(universe, "alice@acme.test"), drive(universe, "bob@acme.test")
    f = make(alice, "handover.txt")
    alice.permissions().create(
        fileId=f, transferOwnership=True, body={"type": "user", "role": "owner", "emailAddress": "bob@acme.test"}
    ).execute()
    got = bob.files().get(fileId=f, fields="owners(emailAddress),ownedByMe").execute()
    assert got == {"owners": [{"emailAddress": "bob@acme.test"}], "ownedByMe": True}
    roles = {p["emailAddress"]: p["role"] for p in bob.permissions().list(fileId=f, fields="permissions(emailAddress,role)").execute()["permissions"]}
    assert roles == {"bob@acme.test": "owner", "alice@acme.test": "writer"}
    assert [x["id"] for x in bob.files().list(q="'bob@acme.test' in owners and name = 'handover.txt'", fields="files(id)").execute()["files"]] == [f]


def test_shared_drives(universe):
    bob, carol, frank = (drive(universe, f"{p}@acme.test") for p in ("bob", "carol", "frank"))
    d = bob.drives().create(requestId="req-1", body={"name": "Platform"}).execute()
    assert d["kind"] == "drive#drive" and d["name"] == "Platform" and len(d["id"]) == 19
    with pytest.raises(HttpError) as e:
        bob.drives().create(requestId="req-1", body={"name": "Again"}).execute()
    http_error(e, 409)
    root = bob.files().get(fileId=d["id"], supportsAllDrives=True, fields="id,name,mimeType,driveId").execute()
    assert root == {"id": d["id"], "name": "Platform", "mimeType": FOLDER, "driveId": d["id"]}
    with pytest.raises(HttpError) as e:
        frank.files().get(fileId=d["id"], supportsAllDrives=True).execute()
    http_error(e, 404)
    folder = make(bob, "Designs", parents=[d["id"]], mime=FOLDER)
    doc = make(bob, "api.md", parents=[folder])
    got = bob.files().get(fileId=doc, supportsAllDrives=True, fields="driveId,owners").execute()
    assert got == {"driveId": d["id"]}, "shared drive files have no owner"
    with pytest.raises(HttpError) as e:
        bob.files().get(fileId=doc).execute()
    http_error(e, 404)
    with pytest.raises(HttpError) as e:
        carol.files().get(fileId=doc, supportsAllDrives=True).execute()
    http_error(e, 404)
    bob.permissions().create(
        fileId=d["id"], supportsAllDrives=True, body={"type": "group", "role": "fileOrganizer", "emailAddress": "oncall@acme.test"}
    ).execute()
    assert carol.files().get(fileId=doc, supportsAllDrives=True, fields="id").execute() == {"id": doc}
    listed = carol.files().list(
        corpora="drive", driveId=d["id"], includeItemsFromAllDrives=True, supportsAllDrives=True, fields="files(name)"
    ).execute()["files"]
    assert sorted(f["name"] for f in listed) == ["Designs", "api.md"]
    with pytest.raises(HttpError) as e:
        carol.files().list(corpora="drive", driveId=d["id"]).execute()
    http_error(e, 403)
    assert "Platform" in [x["name"] for x in carol.drives().list().execute()["drives"]]
    with pytest.raises(HttpError) as e:
        frank.drives().get(driveId=d["id"]).execute()
    http_error(e, 404)
    with pytest.raises(HttpError) as e:
        bob.drives().delete(driveId=d["id"]).execute()
    http_error(e, 403)
    bob.files().delete(fileId=folder, supportsAllDrives=True).execute()
    bob.drives().update(driveId=d["id"], body={"name": "Platform team"}).execute()
    assert bob.drives().get(driveId=d["id"], fields="name").execute() == {"name": "Platform team"}
    bob.drives().delete(driveId=d["id"]).execute()
    with pytest.raises(HttpError) as e:
        bob.drives().get(driveId=d["id"]).execute()
    http_error(e, 404)


def test_department_drives_from_the_fixture(universe):
    frank = drive(universe, "frank@acme.test")
    drives = {d["name"] for d in frank.drives().list(pageSize=100).execute()["drives"]}
    assert drives == {"Sales", "Company Handbook"}
    def names(**kw):
        resp = frank.files().list(q="name contains 'policy'", fields="files(name,driveId)", **kw).execute()
        return {f["name"]: f.get("driveId") for f in resp["files"]}

    # The handbook's document is in a shared drive frank belongs to; olivia's expense
    # policy is only findable by the domain: the user corpus has neither.
    assert names() == {}
    found = names(corpora="allDrives", includeItemsFromAllDrives=True, supportsAllDrives=True)
    assert list(found) == ["Travel policy"] and found["Travel policy"]
    assert names(corpora="domain") == {"Expense policy.txt": None}


def test_changes_feed(universe):
    alice, bob = drive(universe, "alice@acme.test"), drive(universe, "bob@acme.test")
    start = alice.changes().getStartPageToken().execute()["startPageToken"]
    f = make(alice, "changing.txt")
    alice.files().update(fileId=f, body={"name": "changed.txt"}).execute()
    private = make(bob, "bob only.txt")
    findable = make(bob, "bob findable.txt")
    bob.permissions().create(fileId=findable, body={"type": "domain", "role": "reader", "domain": "acme.test", "allowFileDiscovery": True}).execute()
    changes = list_all((alice.changes(), "list"), collection="changes", pageToken=start, pageSize=1, fields="nextPageToken,newStartPageToken,changes(fileId,removed,file(name))")
    assert [c["fileId"] for c in changes] == [f, f]
    assert changes[-1]["file"]["name"] == "changed.txt"
    assert private not in [c["fileId"] for c in changes]
    assert findable not in [c["fileId"] for c in changes], "findable by the domain is not alice's corpus"
    last = alice.changes().list(pageToken=start).execute()
    assert "newStartPageToken" in last and "nextPageToken" not in last
    alice.files().delete(fileId=f).execute()
    gone = alice.changes().list(pageToken=last["newStartPageToken"], fields="changes(fileId,removed)").execute()["changes"]
    assert gone == [{"fileId": f, "removed": True}]


def test_comments_and_replies(universe):
    alice, bob = drive(universe, "alice@acme.test"), drive(universe, "bob@acme.test")
    f = make(alice, "review.txt")
    alice.permissions().create(fileId=f, body={"type": "user", "role": "commenter", "emailAddress": "bob@acme.test"}).execute()
    with pytest.raises(HttpError) as e:
        bob.comments().create(fileId=f, body={"content": "x"}).execute()
    http_error(e, 400, "required")
    c = bob.comments().create(fileId=f, body={"content": "Looks good"}, fields="id,content,author(displayName),resolved").execute()
    assert c["content"] == "Looks good" and c["author"]["displayName"] == "Bob Baker" and c["resolved"] is False
    r = alice.replies().create(fileId=f, commentId=c["id"], body={"content": "Thanks", "action": "resolve"}, fields="id,action").execute()
    assert r["action"] == "resolve"
    got = alice.comments().get(fileId=f, commentId=c["id"], fields="resolved,replies(content)").execute()
    assert got == {"resolved": True, "replies": [{"content": "Thanks"}]}
    listed = alice.comments().list(fileId=f, fields="comments(id)").execute()["comments"]
    assert listed == [{"id": c["id"]}]
    with pytest.raises(HttpError) as e:
        alice.comments().update(fileId=f, commentId=c["id"], body={"content": "hijack"}, fields="id").execute()
    http_error(e, 403)
    bob.comments().delete(fileId=f, commentId=c["id"]).execute()
    assert alice.comments().list(fileId=f, fields="comments(id)").execute()["comments"] == []


def test_deprecated_teamdrives_answer_the_same_drives(universe):
    judy = drive(universe, "judy@acme.test")
    td = judy.teamdrives().create(requestId="td-1", body={"name": "Legacy team"}).execute()
    assert td["kind"] == "drive#teamDrive" and td["name"] == "Legacy team"
    assert judy.drives().get(driveId=td["id"], fields="name").execute() == {"name": "Legacy team"}
    listed = judy.teamdrives().list(pageSize=100).execute()
    assert listed["kind"] == "drive#teamDriveList" and td["id"] in [t["id"] for t in listed["teamDrives"]]
    judy.teamdrives().update(teamDriveId=td["id"], body={"name": "Legacy"}).execute()
    assert judy.teamdrives().get(teamDriveId=td["id"], fields="name,capabilities(canRenameTeamDrive)").execute() == {
        "name": "Legacy",
        "capabilities": {"canRenameTeamDrive": True},
    }
    judy.teamdrives().delete(teamDriveId=td["id"]).execute()
    with pytest.raises(HttpError) as e:
        judy.teamdrives().get(teamDriveId=td["id"]).execute()
    http_error(e, 404)


def test_domain_admin_access_to_shared_drives(universe):
    admin = drive(universe, universe["google"]["user"])
    frank = drive(universe, "frank@acme.test")
    mine = {d["name"] for d in admin.drives().list(pageSize=100).execute()["drives"]}
    every = {d["name"] for d in admin.drives().list(pageSize=100, useDomainAdminAccess=True).execute()["drives"]}
    assert "Sales" not in mine and {"Sales", "Engineering", "Executive", "Operations", "Company Handbook"} <= every
    sales = next(d for d in frank.drives().list().execute()["drives"] if d["name"] == "Sales")
    assert admin.drives().get(driveId=sales["id"], useDomainAdminAccess=True, fields="name").execute() == {"name": "Sales"}
    with pytest.raises(HttpError) as e:
        admin.drives().get(driveId=sales["id"]).execute()
    http_error(e, 404)
    found = admin.drives().list(q="name contains 'eng' or name = 'Sales'", useDomainAdminAccess=True).execute()["drives"]
    assert sorted(d["name"] for d in found) == ["Engineering", "Sales"]
    with pytest.raises(HttpError) as e:
        admin.drives().list(q="name = ").execute()
    http_error(e, 400, "invalid")
    not_admin = {d["name"] for d in frank.drives().list(pageSize=100, useDomainAdminAccess=True).execute()["drives"]}
    assert not_admin == {"Sales", "Company Handbook"}, "the flag grants nothing to others"
    made = frank.files().create(body={"name": "deal.txt", "parents": [sales["id"]]}, supportsAllDrives=True).execute()
    with pytest.raises(HttpError) as e:
        admin.drives().delete(driveId=sales["id"], useDomainAdminAccess=True).execute()
    http_error(e, 403)
    admin.drives().delete(driveId=sales["id"], useDomainAdminAccess=True, allowItemDeletion=True).execute()
    with pytest.raises(HttpError) as e:
        frank.files().get(fileId=made["id"], supportsAllDrives=True).execute()
    http_error(e, 404)
