"""Google sign-in and the client machinery against the twin: credentials three
ways (a minted bearer token; a service-account key file whose token_uri is the
twin, with domain-wide delegation; a refresh token), tokeninfo and userinfo,
401s, discovery, batch, retries on 403/429/5xx, the storage cap, and every
response validated against the schemas of Google's own discovery document."""

from __future__ import annotations

import io
import json

import google.auth
import google.auth.transport.requests
import jsonschema
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from google_helpers import drive, google_doc, http_error

SCOPES = ["https://www.googleapis.com/auth/drive"]


def test_service_account_key_file_through_application_default_credentials(universe, tmp_path, monkeypatch):
    key = tmp_path / "sa.json"
    key.write_text(json.dumps(universe["google"]["service_account"]))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    creds, project = google.auth.default(scopes=SCOPES)
    assert project == universe["google"]["service_account"]["project_id"]
    svc = drive(universe, credentials=creds)
    me = svc.about().get(fields="user(emailAddress,me)").execute()["user"]
    assert me == {"emailAddress": universe["google"]["service_account"]["client_email"], "me": True}
    assert creds.token.startswith("ya29.")
    # Domain-wide delegation: act as a person of the domain.
    as_carol = drive(universe, credentials=creds.with_subject("carol@acme.test"))
    assert as_carol.about().get(fields="user(emailAddress)").execute()["user"] == {"emailAddress": "carol@acme.test"}
    names = {f["name"] for f in as_carol.files().list(q="'me' in owners", fields="files(name)").execute()["files"]}
    assert "Search redesign.md" in names


def test_delegation_to_unknown_or_deprovisioned_people_is_invalid_grant(universe):
    info = universe["google"]["service_account"]
    for subject in ["nobody@acme.test", "victor@acme.test"]:
        creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES, subject=subject)
        with pytest.raises(RefreshError) as e:
            drive(universe, credentials=creds).about().get(fields="user").execute()
        assert "invalid_grant" in str(e.value)


def test_a_forged_assertion_is_refused(universe):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    info = {**universe["google"]["service_account"], "private_key": pem}
    creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    with pytest.raises(RefreshError) as e:
        creds.refresh(google.auth.transport.requests.Request())
    assert "invalid_grant" in str(e.value)


def test_refresh_token_credentials(universe):
    g = universe["google"]
    creds = Credentials(
        token=None,
        refresh_token=g["refresh_token"],
        client_id=g["oauth_client"]["client_id"],
        client_secret=g["oauth_client"]["client_secret"],
        token_uri=g["token_uri"],
    )
    svc = drive(universe, credentials=creds)
    assert svc.about().get(fields="user(emailAddress)").execute()["user"]["emailAddress"] == g["user"]
    bad = Credentials(
        token=None, refresh_token="1//0nope", client_id=g["oauth_client"]["client_id"],
        client_secret=g["oauth_client"]["client_secret"], token_uri=g["token_uri"],
    )
    with pytest.raises(RefreshError) as e:
        drive(universe, credentials=bad).about().get(fields="user").execute()
    assert "invalid_grant" in str(e.value)


def test_a_bad_bearer_token_is_401_and_the_client_tries_to_refresh(universe):
    svc = drive(universe, credentials=Credentials(token="ya29.forged"))
    with pytest.raises(RefreshError):
        svc.files().list().execute()
    r = requests.get(universe["google"]["drive_endpoint"] + "files", headers={"Authorization": "Bearer ya29.forged"})
    assert r.status_code == 401
    assert r.json()["error"]["status"] == "UNAUTHENTICATED"


def test_tokeninfo_and_userinfo(universe):
    g = universe["google"]
    token = g["access_tokens"]["grace@acme.test"]
    info = requests.get(g["endpoint"] + "/oauth2/v3/tokeninfo", params={"access_token": token}).json()
    assert info["email"] == "grace@acme.test" and "drive" in info["scope"] and int(info["expires_in"]) > 0
    user = requests.get(g["endpoint"] + "/oauth2/v3/userinfo", headers={"Authorization": f"Bearer {token}"}).json()
    assert user["email"] == "grace@acme.test" and user["given_name"] == "Grace" and user["hd"] == "acme.test"
    bad = requests.get(g["endpoint"] + "/oauth2/v3/tokeninfo", params={"access_token": "nope"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_token"


def test_tokens_of_one_universe_do_not_open_another(universe, control):
    other = control.post("universes", json={}).json()
    try:
        svc = drive(other, credentials=Credentials(token=universe["google"]["access_token"]))
        with pytest.raises(RefreshError):
            svc.files().list().execute()
    finally:
        control.delete(f"universes/{other['id']}")


def test_batch_requests(universe):
    svc = drive(universe)
    made = svc.files().create(body={"name": "batched"}).execute()
    results = {}

    def done(request_id, response, exception):
        results[request_id] = (response, exception)

    batch = svc.new_batch_http_request(callback=done)
    batch.add(svc.files().get(fileId=made["id"], fields="name"), request_id="get")
    batch.add(svc.files().get(fileId="missing"), request_id="missing")
    batch.add(svc.files().update(fileId=made["id"], body={"starred": True}, fields="starred"), request_id="star")
    batch.execute()
    assert results["get"] == ({"name": "batched"}, None)
    assert results["star"] == ({"starred": True}, None)
    assert isinstance(results["missing"][1], HttpError) and results["missing"][1].status_code == 404


def add_rule(control, universe, rule):
    resp = control.post(f"universes/{universe['id']}/chaos/rules", json=rule)
    assert resp.status_code in (200, 201), resp.text


@pytest.mark.parametrize("action", [
    {"kind": "error", "status": 403, "error": "userRateLimitExceeded"},
    {"kind": "error", "status": 429},
    {"kind": "error", "status": 503},
])
def test_retryable_faults_are_retried_by_the_client(universe, control, action):
    add_rule(control, universe, {"match": {"service": "google", "operation": "drive.files.list"}, "trigger": {"first_n": 1}, "action": action})
    svc = drive(universe)
    assert "files" in svc.files().list(pageSize=1).execute(num_retries=2)


def test_faults_in_googles_envelope(universe, control):
    svc = drive(universe)
    add_rule(control, universe, {"match": {"service": "google"}, "trigger": {"first_n": 1}, "action": {"kind": "rate_limit", "retry_after_s": 1}})
    with pytest.raises(HttpError) as e:
        svc.files().list().execute()
    body = http_error(e, 403, "userRateLimitExceeded")
    assert body["errors"][0]["domain"] == "usageLimits"


def test_uploads_past_the_storage_cap_are_refused(control):
    fixture = {
        "name": "tiny",
        "company": {"name": "Tiny", "domain": "tiny.test"},
        "people": [{"key": "ann", "first_name": "Ann", "last_name": "Lee", "email": "ann@tiny.test"}],
        "google": {"storage_cap_bytes": 1000},
    }
    u = control.post("universes", json={"fixture": fixture}).json()
    try:
        svc = drive(u)
        svc.files().create(body={"name": "fits"}, media_body=MediaIoBaseUpload(io.BytesIO(b"x" * 900), mimetype="text/plain")).execute()
        with pytest.raises(HttpError) as e:
            svc.files().create(body={"name": "too big"}, media_body=MediaIoBaseUpload(io.BytesIO(b"x" * 200), mimetype="text/plain")).execute()
        http_error(e, 403, "storageQuotaExceeded")
        names = [f["name"] for f in svc.files().list(fields="files(name)").execute()["files"]]
        assert names == ["fits"]
    finally:
        control.delete(f"universes/{u['id']}")


# --- Responses against the schemas of Google's own discovery document ----------

def to_json_schema(node):
    """A discovery schema fragment as JSON Schema (refs to definitions, `any` open)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return {"$ref": "#/definitions/" + node["$ref"]}
        out = {}
        for k, v in node.items():
            if k in ("id", "description", "annotations", "enumDescriptions", "readOnly", "deprecated", "format", "default", "enum"):
                continue
            if k == "type" and v == "any":
                continue
            if k == "properties":
                out[k] = {name: to_json_schema(p) for name, p in v.items()}
            elif k in ("items", "additionalProperties"):
                out[k] = to_json_schema(v)
            else:
                out[k] = v
        return out
    return node


@pytest.fixture(scope="module")
def validate():
    doc = google_doc()
    definitions = {name: to_json_schema(s) for name, s in doc["schemas"].items()}

    def check(instance, schema_name):
        schema = {"$ref": f"#/definitions/{schema_name}", "definitions": definitions}
        jsonschema.validate(instance, schema)
        # Every key the twin sends is one Google's schema names.
        props = doc["schemas"][schema_name]["properties"]
        assert set(instance) <= set(props), set(instance) - set(props)

    return check


def test_responses_validate_against_googles_schemas(universe, validate):
    svc = drive(universe, "bob@acme.test")
    f = svc.files().create(
        body={"name": "schema.txt", "properties": {"k": "v"}},
        media_body=MediaIoBaseUpload(io.BytesIO(b"abc"), mimetype="text/plain"), fields="*",
    ).execute()
    validate(f, "File")
    validate(svc.files().list(fields="*", pageSize=3).execute(), "FileList")
    validate(svc.about().get(fields="*").execute(), "About")
    p = svc.permissions().create(fileId=f["id"], body={"type": "domain", "role": "reader", "domain": "acme.test"}, fields="*").execute()
    validate(p, "Permission")
    validate(svc.permissions().list(fileId=f["id"], fields="*").execute(), "PermissionList")
    validate(svc.drives().list(fields="*").execute(), "DriveList")
    validate(svc.changes().getStartPageToken().execute(), "StartPageToken")
    validate(svc.changes().list(pageToken="1", fields="*", pageSize=5).execute(), "ChangeList")
    c = svc.comments().create(fileId=f["id"], body={"content": "hi"}, fields="*").execute()
    validate(c, "Comment")
    validate(svc.replies().create(fileId=f["id"], commentId=c["id"], body={"content": "yo"}, fields="*").execute(), "Reply")
    validate(svc.revisions().list(fileId=f["id"], fields="*").execute(), "RevisionList")
    validate(svc.files().generateIds(count=2).execute(), "GeneratedIds")


def test_the_twins_discovery_names_only_googles_methods_and_parameters(universe):
    ours = requests.get(universe["google"]["discovery_urls"]["drive"]).json()
    theirs = google_doc()

    def methods(doc):
        out = {}
        for res in doc["resources"].values():
            for m in res.get("methods", {}).values():
                out[m["id"]] = m
        return out

    mine, google_methods = methods(ours), methods(theirs)
    assert set(mine) <= set(google_methods)
    for mid, m in mine.items():
        g = google_methods[mid]
        assert (m["httpMethod"], m["path"]) == (g["httpMethod"], g["path"]), mid
        assert set(m["parameters"]) == set(g.get("parameters", {})), mid
        for name, p in m["parameters"].items():
            assert p["type"] == g["parameters"][name]["type"], (mid, name)
            assert p["location"] == g["parameters"][name]["location"], (mid, name)
        assert m.get("request", {}).get("$ref") == g.get("request", {}).get("$ref"), mid
        assert m.get("response", {}).get("$ref") == g.get("response", {}).get("$ref"), mid
        assert bool(m.get("supportsMediaUpload")) == bool(g.get("supportsMediaUpload")), mid
    assert set(ours["schemas"]) <= set(theirs["schemas"])
    for name, schema in ours["schemas"].items():
        assert set(schema["properties"]) <= set(theirs["schemas"][name]["properties"]), name


def test_minted_tokens_expire_with_the_universe_clock_and_the_client_refreshes(universe, control):
    g = universe["google"]
    creds = service_account.Credentials.from_service_account_info(g["service_account"], scopes=SCOPES, subject="nina@acme.test")
    svc = drive(universe, credentials=creds)
    assert svc.about().get(fields="user(emailAddress)").execute()["user"]["emailAddress"] == "nina@acme.test"
    first = creds.token
    r = requests.get(g["drive_endpoint"] + "about?fields=user", headers={"Authorization": f"Bearer {first}"})
    assert r.status_code == 200
    resp = control.post(f"universes/{universe['id']}/clock/advance", json={"seconds": 3700})
    assert resp.status_code in (200, 204), resp.text
    r = requests.get(g["drive_endpoint"] + "about?fields=user", headers={"Authorization": f"Bearer {first}"})
    assert r.status_code == 401
    # The client sees the 401, refreshes against the twin's /token and retries.
    creds.expiry = None  # its own clock does not know the universe's moved
    assert svc.about().get(fields="user(emailAddress)").execute()["user"]["emailAddress"] == "nina@acme.test"
    assert creds.token != first


def test_the_journal_names_googles_operations(universe, control, tmp_path):
    creds = service_account.Credentials.from_service_account_info(universe["google"]["service_account"], scopes=SCOPES)
    svc = drive(universe, credentials=creds)
    svc.files().create(body={"name": "j"}, media_body=MediaIoBaseUpload(io.BytesIO(b"x"), mimetype="text/plain")).execute()
    svc.files().list(pageSize=1).execute()
    resp = control.get(f"universes/{universe['id']}/journal", params={"service": "google"})
    assert resp.status_code == 200, resp.text
    ops = [json.loads(line)["operation"] for line in resp.text.splitlines() if line.strip()]
    assert ops == ["discovery.apis.getRest", "oauth2.token", "drive.files.create", "drive.files.list"], ops


def test_export_and_import_carry_files_and_their_bytes(universe, control):
    svc = drive(universe)
    made = svc.files().create(
        body={"name": "carried.bin"}, media_body=MediaIoBaseUpload(io.BytesIO(bytes(range(256))), mimetype="application/octet-stream")
    ).execute()
    exported = control.get(f"universes/{universe['id']}/export")
    assert exported.status_code == 200, exported.text
    other = control.post("universes", json={}).json()
    try:
        resp = control.put(f"universes/{other['id']}/import", data=exported.content, headers={"Content-Type": "application/json"})
        assert resp.status_code in (200, 204), resp.text
        again = drive(other)
        assert again.files().get_media(fileId=made["id"]).execute() == bytes(range(256))
    finally:
        control.delete(f"universes/{other['id']}")


def test_discovery_at_both_addresses(universe):
    g = universe["google"]
    by_path = requests.get(g["discovery_urls"]["drive"]).json()
    by_query = requests.get(g["endpoint"] + "/$discovery/rest", params={"version": "v3"}).json()
    assert by_path == by_query
    assert by_path["rootUrl"] == g["endpoint"] + "/" and by_path["servicePath"] == "drive/v3/"
    missing = requests.get(g["endpoint"] + "/discovery/v1/apis/nothing/v9/rest")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == 404
