"""Hostile and malformed input across the whole Okta route table: junk ids (very
long, unicode, encoded separators, dot segments), junk bodies and every verb on
every path answer Okta's status and error envelope, never a 5xx; an `expand`
value Okta does not know is refused wherever the document takes `expand`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from test_okta_support import conforms, raw

COVERAGE = Path(__file__).resolve().parents[3] / "twins" / "okta" / "COVERAGE.md"
ENVELOPE = {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}


def routes() -> list[tuple[str, str]]:
    """Every (method, path) of the twin's route table, as the coverage table lists it."""
    found = re.findall(r"^\| (GET|POST|PUT|DELETE|PATCH) \| `([^`]+)`", COVERAGE.read_text(), re.M)
    assert len(found) > 250, "the coverage table was not found"
    return sorted(set(found))


def first_id(universe, path: str) -> str:
    resp = raw(universe, "GET", path)
    assert resp.status_code == 200 and resp.json(), resp.text
    return resp.json()[0]["id"]


# --- expand -----------------------------------------------------------------------


def expand_paths(universe) -> list[str]:
    app = first_id(universe, "/api/v1/apps")
    group = first_id(universe, "/api/v1/groups")
    user = first_id(universe, "/api/v1/users")
    return [
        "/api/v1/users",
        f"/api/v1/users/{user}",
        "/api/v1/groups",
        f"/api/v1/groups/{group}",
        "/api/v1/apps",
        f"/api/v1/apps/{app}",
        f"/api/v1/apps/{app}/users",
        f"/api/v1/apps/{app}/groups",
        f"/api/v1/apps/{app}/grants",
        f"/api/v1/apps/{app}/tokens",
        "/api/v1/groups/rules",
        "/api/v1/policies?type=PASSWORD",
        f"/api/v1/users/{user}/grants",
        f"/api/v1/users/{user}/roles",
        f"/api/v1/groups/{group}/roles",
        f"/api/v1/users/{user}/clients/{app}/tokens",
        f"/api/v1/users/{user}/clients/{app}/grants",
        "/api/v1/authorizationServers/default/clients/nobody/tokens",
    ]


def test_an_unknown_expand_is_refused_wherever_expand_is_taken(universe):
    for path in expand_paths(universe):
        sep = "&" if "?" in path else "?"
        resp = raw(universe, "GET", f"{path}{sep}expand=bogus")
        assert resp.status_code == 400, (path, resp.status_code, resp.text[:200])
        body = resp.json()
        assert body["errorCode"] == "E0000001", (path, body)
        assert body["errorCauses"] == [{"errorSummary": "expand: Invalid expand value: bogus"}], (path, body)
        conforms(body, "Error")


def test_the_expand_values_okta_knows_still_answer(universe):
    app = first_id(universe, "/api/v1/apps")
    group = first_id(universe, "/api/v1/groups")
    user = first_id(universe, "/api/v1/users")
    for path in [
        f"/api/v1/apps?filter=user.id+eq+%22{user}%22&expand=user/{user}",
        f"/api/v1/apps/{app}/users?expand=user",
        f"/api/v1/apps/{app}/groups?expand=group",
        f"/api/v1/apps/{app}/grants?expand=scope",
        f"/api/v1/apps/{app}/tokens?expand=scope",
        "/api/v1/groups/rules?expand=groupIdToGroupNameMap",
        "/api/v1/policies?type=PASSWORD&expand=rules",
        f"/api/v1/groups/{group}?expand=stats",
        f"/api/v1/users/{user}/grants?expand=scope",
    ]:
        resp = raw(universe, "GET", path)
        assert resp.status_code == 200, (path, resp.status_code, resp.text[:200])


# --- the sweep --------------------------------------------------------------------

JUNK_IDS = ["nope", "x" * 10_000, "00u%2F..%2Fgroups", "ünï💥"]
MALFORMED = b"{not json"
MISTYPED = b'{"profile": 5, "name": [], "type": {}, "status": 7, "credentials": "x"}'
SENDS = [("GET", [None]), ("DELETE", [None]), ("POST", [MALFORMED, MISTYPED]), ("PUT", [MISTYPED])]


def check(http: requests.Session, method: str, url: str, body: bytes | None, bad: list) -> None:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    resp = http.request(method, url, data=body, headers=headers, timeout=10)
    shown = re.sub(r"x{50,}", "x…", url)
    if resp.status_code >= 500:
        bad.append((method, shown, resp.status_code, resp.text[:150]))
    elif resp.status_code >= 400 and "/oauth2/" not in url:
        try:
            err = resp.json()
        except ValueError:
            bad.append((method, shown, resp.status_code, "not JSON: " + resp.text[:100]))
            return
        if not (isinstance(err, dict) and ENVELOPE <= set(err)):
            bad.append((method, shown, resp.status_code, resp.text[:150]))


def test_junk_on_every_route_gets_okta_errors_and_never_a_5xx(universe):
    okta = universe["okta"]
    base = okta["org_url"].rstrip("/")
    http = requests.Session()
    http.trust_env = False
    http.headers.update({"Authorization": f"SSWS {okta['api_token']}", "Accept": "application/json"})
    bad: list = []
    # The token revoking itself would turn the rest of the sweep into 401s.
    paths = sorted({p for _, p in routes() if not p.endswith("/api-tokens/current")})
    try:
        for path in paths:
            for junk in JUNK_IDS if "{" in path else [""]:
                url = base + re.sub(r"\{[^}]+\}", junk, path)
                for method, bodies in SENDS if junk != "nope" else SENDS + [("PATCH", [None])]:
                    for body in bodies:
                        check(http, method, url, body, bad)
        for path in [
            "//api/v1/users",
            "/api/v1//groups",
            "/api/v1/users/",
            "/api/v1/users%2Fme",
            "/api/v1/users?limit=abc",
            "/api/v1/users?search=((",
            "/api/v1/users?filter=status%20eq",
            "/api/v1/groups?search=%22",
            "/api/v1/apps?filter=bogus",
            "/api/v1/logs?since=notadate",
            "/api/v1/users?limit=99999999999999999999",
        ]:
            check(http, "GET", base + path, None, bad)
        # and the token survived: the sweep reached the twin's handlers throughout
        assert http.get(base + "/api/v1/users/me").status_code == 200
    finally:
        http.close()
    assert not bad, "\n".join(map(str, bad[:20]))


@pytest.mark.parametrize(
    "method,path,body,status,code",
    [
        ("POST", "/api/v1/users", b"{not json", 400, "E0000003"),
        ("POST", "/api/v1/groups", b"[1, 2]", 400, "E0000003"),
        ("PATCH", "/api/v1/sessions/abc", None, 405, "E0000022"),
        ("GET", "/api/v1/users/" + "x" * 10_000, None, 404, "E0000007"),
        ("GET", "/api/v1/users/00u%2F..%2Fgroups", None, 404, "E0000007"),
        ("GET", "/api/v1/users?after=zzz", None, 400, "E0000029"),
        ("GET", "/api/v1/users?search=profile.x%20eq", None, 400, "E0000031"),
    ],
    ids=["malformed-json", "array-body", "wrong-verb", "10k-id", "encoded-separators", "bad-cursor", "bad-search"],
)
def test_malformed_requests_get_the_vendor_status_and_code(universe, method, path, body, status, code):
    resp = raw(universe, method, path, data=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == status, resp.text[:200]
    assert resp.json()["errorCode"] == code
    conforms(resp.json(), "Error")


@pytest.mark.parametrize(
    "patch",
    [
        {"settings": {"oauthClient": 7}},
        {"settings": {"app": "x"}},
        {"settings": {"signOn": []}},
        {"credentials": {"oauthClient": "x"}},
        {"credentials": {"userNameTemplate": 5}},
    ],
    ids=["oauthClient", "app", "signOn", "credentials-oauthClient", "userNameTemplate"],
)
def test_an_app_body_with_a_mistyped_nested_object_is_refused_and_changes_nothing(universe, patch):
    apps = raw(universe, "GET", "/api/v1/apps").json()
    app = next(a for a in apps if a["signOnMode"] == "OPENID_CONNECT")
    for key, value in patch.items():
        app = {**app, key: {**app[key], **value}}
    resp = raw(universe, "PUT", f"/api/v1/apps/{app['id']}", json=app)
    assert resp.status_code == 400, resp.text[:300]
    assert resp.json()["errorCode"] == "E0000001"
    conforms(resp.json(), "Error")
    created = raw(universe, "POST", "/api/v1/apps", json={"name": "oidc_client", "label": "Typed", "signOnMode": "OPENID_CONNECT", **patch})
    assert created.status_code == 400 and created.json()["errorCode"] == "E0000001", created.text[:300]
    # nothing changed, and the twin still answers
    assert raw(universe, "GET", f"/api/v1/apps/{app['id']}").json()["settings"] == next(a for a in apps if a["id"] == app["id"])["settings"]
    assert [a["id"] for a in raw(universe, "GET", "/api/v1/apps").json()] == [a["id"] for a in apps]


@pytest.mark.parametrize("attribute", ["title", "displayName", "secondEmail", "mobilePhone", "timezone", "manager"])
@pytest.mark.parametrize("junk", [7, [], {"a": 1}], ids=["number", "array", "object"])
def test_a_base_profile_attribute_of_the_wrong_type_is_refused_and_changes_nothing(universe, attribute, junk):
    user = raw(universe, "GET", "/api/v1/users?limit=1").json()[0]
    for method in ["POST", "PUT"]:
        body = {"profile": {**user["profile"], attribute: junk}}
        resp = raw(universe, method, f"/api/v1/users/{user['id']}", json=body)
        assert resp.status_code == 400, (method, resp.text[:300])
        err = resp.json()
        assert err["errorCode"] == "E0000001" and err["errorCauses"] == [
            {"errorSummary": f"{attribute}: Does not match required type: string"}
        ], err
    created = raw(universe, "POST", "/api/v1/users?activate=false", json={"profile": {
        "firstName": "Ty", "lastName": "Ped", "email": "typed@acme.test", "login": "typed@acme.test", attribute: junk}})
    assert created.status_code == 400 and created.json()["errorCode"] == "E0000001", created.text[:300]
    assert raw(universe, "GET", f"/api/v1/users/{user['id']}").json()["profile"] == user["profile"]
    assert raw(universe, "GET", "/api/v1/users/typed@acme.test").status_code == 404


@pytest.mark.parametrize(
    "token,status,code",
    [(5, 401, "E0000004"), (True, 401, "E0000004"), ([], 400, "E0000003"), ({"a": 1}, 400, "E0000003"), ("", 400, "E0000001")],
    ids=["number", "bool", "array", "object", "blank"],
)
def test_a_session_token_of_the_wrong_type(universe, token, status, code):
    resp = raw(universe, "POST", "/api/v1/sessions", json={"sessionToken": token})
    assert resp.status_code == status, resp.text
    assert resp.json()["errorCode"] == code
    conforms(resp.json(), "Error")
