"""OAuth 2.0 / OIDC: the org and `default` authorization servers. Tokens are
real RS256 JWTs verified here with PyJWT against the twin's JWKS; the SDK's
PrivateKey mode (private_key_jwt client credentials on the org server) calls
the Management API with the scopes an admin granted."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from urllib.parse import parse_qs, urlparse

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from okta import models

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    SEEDED_PASSWORD,
    api_error,
    conforms,
    okta,
    okta_client,
    raw,
    unwrap,
)


def http() -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    return s


def org(universe) -> str:
    return universe["okta"]["org_url"]


def verify(universe, token: str, audience: str, issuer: str) -> dict:
    keys = http().get(f"{issuer}/v1/keys", timeout=10).json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK([k for k in keys if k["kid"] == kid][0])
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=issuer)


def client_secret_token(universe, issuer: str, **form) -> requests.Response:
    okta = universe["okta"]
    return http().post(
        f"{issuer}/v1/token",
        data=form,
        auth=(okta["client_id"], okta["client_secret"]),
        headers={"Accept": "application/json"},
        timeout=10,
    )


def session_token(universe, username: str, password: str = SEEDED_PASSWORD) -> str:
    resp = raw(universe, "POST", "/api/v1/authn", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return resp.json()["sessionToken"]


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def redirect_uri_of(okta, client_id: str) -> str:
    app = unwrap(await okta.get_application(client_id))
    return app.settings.oauth_client.redirect_uris[0]


async def test_discovery_and_jwks_for_both_servers(universe):
    for issuer in (org(universe), f"{org(universe)}/oauth2/default"):
        path = "/.well-known/openid-configuration" if issuer == org(universe) else "/oauth2/default/.well-known/openid-configuration"
        doc = http().get(org(universe) + path, timeout=10).json()
        assert doc["issuer"] == issuer
        assert doc["jwks_uri"] == f"{issuer}/v1/keys" if issuer != org(universe) else doc["jwks_uri"].endswith("/oauth2/v1/keys")
        assert doc["token_endpoint"].startswith(org(universe)) and "S256" in doc["code_challenge_methods_supported"]
        assert "private_key_jwt" in doc["token_endpoint_auth_methods_supported"]
    keys = http().get(f"{org(universe)}/oauth2/default/v1/keys", timeout=10)
    assert "must-revalidate" in keys.headers["Cache-Control"]
    assert [(k["kty"], k["alg"], k["use"]) for k in keys.json()["keys"]] == [("RSA", "RS256", "sig")] * 2
    missing = http().get(f"{org(universe)}/oauth2/aus0000000000000000/v1/keys", timeout=10)
    assert missing.status_code == 404 and missing.json()["errorCode"] == "E0000007"


async def test_client_credentials_on_the_default_server_gives_a_verifiable_jwt(universe):
    issuer = f"{org(universe)}/oauth2/default"
    resp = client_secret_token(universe, issuer, grant_type="client_credentials", scope="orders:read")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["scope"] == "orders:read"
    assert resp.headers["Cache-Control"] == "no-cache, no-store"
    claims = verify(universe, body["access_token"], "api://default", issuer)
    assert claims["cid"] == claims["sub"] == universe["okta"]["client_id"]
    assert claims["scp"] == ["orders:read"] and claims["jti"].startswith("AT.") and claims["ver"] == 1
    assert "uid" not in claims
    bad = client_secret_token(universe, issuer, grant_type="client_credentials", scope="openid")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_scope"
    none = client_secret_token(universe, issuer, grant_type="client_credentials")
    assert none.json() == {"error": "invalid_scope", "error_description": "No scopes were requested."}
    wrong = http().post(f"{issuer}/v1/token", data={"grant_type": "client_credentials", "scope": "x"}, auth=(universe["okta"]["client_id"], "nope"), timeout=10)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client" and "WWW-Authenticate" in wrong.headers
    anonymous = http().post(f"{issuer}/v1/token", data={"grant_type": "client_credentials", "scope": "x"}, timeout=10)
    assert anonymous.json()["error_description"] == "No client credentials found."
    odd = client_secret_token(universe, issuer, grant_type="urn:ietf:params:oauth:grant-type:device_code")
    assert odd.json()["error"] == "unsupported_grant_type"


async def test_authorization_code_with_pkce_then_refresh_userinfo_introspect_revoke(okta, universe):
    issuer = f"{org(universe)}/oauth2/default"
    client_id = universe["okta"]["client_id"]
    redirect_uri = await redirect_uri_of(okta, client_id)
    verifier, challenge = pkce()
    params = {
        "client_id": client_id, "response_type": "code", "scope": "openid profile email offline_access",
        "redirect_uri": redirect_uri, "state": "st4te", "nonce": "n0nce", "code_challenge": challenge,
        "code_challenge_method": "S256", "sessionToken": session_token(universe, "grace@acme.test"),
    }
    resp = http().get(f"{issuer}/v1/authorize", params=params, allow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    location = urlparse(resp.headers["Location"])
    assert location.geturl().startswith(redirect_uri)
    query = parse_qs(location.query)
    assert query["state"] == ["st4te"]
    code = query["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    tokens = client_secret_token(universe, issuer, **form)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert set(body) >= {"access_token", "id_token", "refresh_token", "scope", "expires_in", "token_type"}
    grace = unwrap(await okta.get_user("grace@acme.test"))
    id_claims = verify(universe, body["id_token"], client_id, issuer)
    assert id_claims["sub"] == grace.id and id_claims["nonce"] == "n0nce" and id_claims["email"] == "grace@acme.test"
    assert id_claims["at_hash"] and id_claims["amr"] == ["pwd"] and id_claims["idp"].startswith("00o")
    at_claims = verify(universe, body["access_token"], "api://default", issuer)
    assert at_claims["sub"] == "grace@acme.test" and at_claims["uid"] == grace.id
    # a code works once
    again = client_secret_token(universe, issuer, **form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    info = http().get(f"{issuer}/v1/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10).json()
    assert info["sub"] == grace.id and info["preferred_username"] == "grace@acme.test" and info["given_name"] == "Grace"
    refreshed = client_secret_token(universe, issuer, grant_type="refresh_token", refresh_token=body["refresh_token"]).json()
    assert refreshed["access_token"] != body["access_token"] and refreshed["refresh_token"] == body["refresh_token"]
    okta_cfg = universe["okta"]
    introspect = http().post(f"{issuer}/v1/introspect", data={"token": body["access_token"]}, auth=(okta_cfg["client_id"], okta_cfg["client_secret"]), timeout=10).json()
    assert introspect["active"] is True and introspect["uid"] == grace.id and introspect["client_id"] == client_id
    revoked = http().post(f"{issuer}/v1/revoke", data={"token": body["access_token"]}, auth=(okta_cfg["client_id"], okta_cfg["client_secret"]), timeout=10)
    assert revoked.status_code == 200 and revoked.content == b""
    introspect = http().post(f"{issuer}/v1/introspect", data={"token": body["access_token"]}, auth=(okta_cfg["client_id"], okta_cfg["client_secret"]), timeout=10).json()
    assert introspect == {"active": False}
    after = http().get(f"{issuer}/v1/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10)
    assert after.status_code == 401 and "invalid_token" in after.headers["WWW-Authenticate"]


async def test_authorize_errors(okta, universe):
    issuer = f"{org(universe)}/oauth2/default"
    client_id = universe["okta"]["client_id"]
    redirect_uri = await redirect_uri_of(okta, client_id)
    base = {"client_id": client_id, "response_type": "code", "scope": "openid", "redirect_uri": redirect_uri, "state": "s"}

    def authorize(**extra):
        return http().get(f"{issuer}/v1/authorize", params={**base, **extra}, allow_redirects=False, timeout=10)

    def error_of(resp):
        assert resp.status_code == 302, resp.text
        return parse_qs(urlparse(resp.headers["Location"]).query)["error"][0]

    assert error_of(authorize()) == "login_required"
    assert error_of(authorize(sessionToken="bogus")) == "login_required"
    assert error_of(authorize(response_type="token", sessionToken=session_token(universe, "nina@acme.test"))) == "unsupported_response_type"
    assert error_of(authorize(code_challenge="abc", code_challenge_method="plain")) == "invalid_request"
    bad_redirect = authorize(redirect_uri="https://evil.example.com/cb")
    assert bad_redirect.status_code == 400 and bad_redirect.json()["error"] == "invalid_request"
    # Acme Portal is assigned to Everyone; Expense Tracker is not assigned to Engineering.
    expenses = [a for a in unwrap(await okta.list_applications()) if a.label == "Expense Tracker"][0]
    cb = expenses.settings.oauth_client.redirect_uris[0]
    resp = http().get(
        f"{issuer}/v1/authorize",
        params={**base, "client_id": expenses.id, "redirect_uri": cb, "sessionToken": session_token(universe, "carol@acme.test")},
        allow_redirects=False,
        timeout=10,
    )
    assert error_of(resp) == "access_denied"


async def test_password_grant_counts_failures(okta, universe):
    issuer = f"{org(universe)}/oauth2/default"
    ok = client_secret_token(universe, issuer, grant_type="password", username="nina@acme.test", password=SEEDED_PASSWORD, scope="openid")
    assert ok.status_code == 200 and "id_token" in ok.json()
    for _ in range(10):
        bad = client_secret_token(universe, issuer, grant_type="password", username="nina@acme.test", password="wrong", scope="openid")
        assert bad.json()["error"] == "invalid_grant"
    assert unwrap(await okta.get_user("nina@acme.test")).status == "LOCKED_OUT"


def new_key() -> tuple[str, dict]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "dtu-test-key", "use": "sig", "alg": "RS256"})
    return pem, jwk


async def service_app(okta, universe, jwk: dict):
    # The 3.x SDK serializes settings.oauthClient.jwks.keys as [null], so the app
    # is created over HTTP; the SDK reads it back fine.
    body = (
        {
            "label": "Automation",
            "signOnMode": "OPENID_CONNECT",
            "name": "oidc_client",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}},
            "settings": {
                "oauthClient": {
                    "grant_types": ["client_credentials"],
                    "response_types": ["token"],
                    "application_type": "service",
                    "jwks": {"keys": [jwk]},
                }
            },
        }
    )
    resp = raw(universe, "POST", "/api/v1/apps", json=body)
    assert resp.status_code == 200, resp.text
    return unwrap(await okta.get_application(resp.json()["id"]))


async def test_sdk_private_key_mode_uses_granted_scopes_only(okta, universe):
    pem, jwk = new_key()
    app = await service_app(okta, universe, jwk)
    assert app.credentials.oauth_client.client_secret is None
    config = {"authorizationMode": "PrivateKey", "clientId": app.id, "scopes": ["okta.users.read"], "privateKey": pem, "kid": "dtu-test-key"}
    service = okta_client(universe, **config)
    # no admin consent yet
    data, _resp, err = await service.list_users()
    assert data is None and err is not None and "okta.users.read" in str(err)
    grant = models.OAuth2ScopeConsentGrant.from_dict({"issuer": org(universe), "scopeId": "okta.users.read"})
    granted = unwrap(await okta.grant_consent_to_scope(app.id, grant))
    assert granted.scope_id == "okta.users.read" and granted.id.startswith("oag")
    assert [g.scope_id for g in unwrap(await okta.list_scope_consent_grants(app.id))] == ["okta.users.read"]
    service = okta_client(universe, **config)
    users = unwrap(await service.list_users(limit=200))
    assert len(users) == 14
    body = models.CreateUserRequest.from_dict({"profile": {"firstName": "No", "lastName": "Scope", "email": "ns@example.com", "login": "ns@example.com"}})
    api_error(await service.create_user(body), 403, "E0000006")
    api_error(await service.list_groups(), 403, "E0000006")
    # events name the service app as the actor
    unwrap(await okta.grant_consent_to_scope(app.id, models.OAuth2ScopeConsentGrant.from_dict({"issuer": org(universe), "scopeId": "okta.users.manage"})))
    writer = okta_client(universe, **{**config, "scopes": ["okta.users.manage"]})
    created = unwrap(await writer.create_user(body))
    events = unwrap(await okta.list_log_events(since="2000-01-01T00:00:00Z", until="2100-01-01T00:00:00Z", filter='eventType eq "user.lifecycle.create"'))
    assert [(e.actor.id, e.actor.type, e.target[0].id) for e in events] == [(app.id, "PublicClientApp", created.id)]


async def test_org_tokens_expire_with_the_universe_clock_and_can_be_revoked(okta, universe, control):
    pem, jwk = new_key()
    app = await service_app(okta, universe, jwk)
    unwrap(await okta.grant_consent_to_scope(app.id, models.OAuth2ScopeConsentGrant.from_dict({"issuer": org(universe), "scopeId": "okta.users.read"})))
    now = int(time.time())

    def assertion(aud: str) -> str:
        claims = {"iss": app.id, "sub": app.id, "aud": aud, "iat": now, "exp": now + 300, "jti": secrets.token_hex(8)}
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": "dtu-test-key"})

    def client_auth(endpoint: str) -> dict:
        return {
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion(f"{org(universe)}/oauth2/v1/{endpoint}"),
        }

    form = {"grant_type": "client_credentials", "scope": "okta.users.read", **client_auth("token")}

    def new_token() -> dict:
        resp = http().post(f"{org(universe)}/oauth2/v1/token", data={**form, **client_auth("token")}, timeout=10)
        assert resp.status_code == 200, resp.text
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}

    revoked = new_token()
    assert raw(universe, "GET", "/api/v1/users?limit=1", headers=revoked).status_code == 200
    token = revoked["Authorization"].split(" ", 1)[1]
    resp = http().post(f"{org(universe)}/oauth2/v1/revoke", data={"token": token, **client_auth("revoke")}, timeout=10)
    assert resp.status_code == 200
    gone = raw(universe, "GET", "/api/v1/users?limit=1", headers=revoked)
    assert gone.status_code == 401 and gone.json()["errorCode"] == "E0000011"
    bearer = new_token()
    assert raw(universe, "GET", "/api/v1/users?limit=1", headers=bearer).status_code == 200
    assert control.post(f"universes/{universe['id']}/clock/advance", json={"seconds": 3601}).status_code == 200
    expired = raw(universe, "GET", "/api/v1/users?limit=1", headers=bearer)
    assert expired.status_code == 401 and expired.json()["errorCode"] == "E0000011"
    # a bad assertion: wrong audience
    bad = assertion("https://elsewhere/oauth2/v1/token")
    resp = http().post(f"{org(universe)}/oauth2/v1/token", data={**form, "client_assertion": bad}, timeout=10)
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


# --- refresh tokens in the Management API --------------------------------------------


def password_grant(universe, issuer: str, username: str) -> dict:
    resp = client_secret_token(universe, issuer, grant_type="password", username=username,
                               password=SEEDED_PASSWORD, scope="openid offline_access")
    assert resp.status_code == 200 and "refresh_token" in resp.json(), resp.text
    return resp.json()


def introspect_refresh(universe, issuer: str, token: str) -> dict:
    okta_cfg = universe["okta"]
    return http().post(f"{issuer}/v1/introspect", data={"token": token, "token_type_hint": "refresh_token"},
                       auth=(okta_cfg["client_id"], okta_cfg["client_secret"]), timeout=10).json()


async def test_refresh_tokens_listed_by_user_app_and_server_and_revoked(okta, universe):
    issuer = f"{org(universe)}/oauth2/default"
    client_id = universe["okta"]["client_id"]
    first = password_grant(universe, issuer, "judy@acme.test")
    second = password_grant(universe, issuer, "judy@acme.test")
    other = password_grant(universe, issuer, "kevin@acme.test")
    judy = unwrap(await okta.get_user("judy@acme.test"))

    clients = unwrap(await okta.list_user_clients(judy.id))
    assert [c.client_id for c in clients] == [client_id]
    listed = raw(universe, "GET", f"/api/v1/users/{judy.id}/clients/{client_id}/tokens")
    assert listed.status_code == 200 and 'rel="self"' in listed.headers["link"]
    tokens = listed.json()
    assert len(tokens) == 2
    for t in tokens:
        conforms(t, "OAuth2RefreshToken")
        assert (t["userId"], t["clientId"], t["issuer"], t["status"]) == (judy.id, client_id, issuer, "ACTIVE")
        assert "offline_access" in t["scopes"] and t["id"].startswith("oar")
    sdk_tokens = unwrap(await okta.list_refresh_tokens_for_user_and_client(judy.id, client_id))
    assert sorted(t.id for t in sdk_tokens) == sorted(t["id"] for t in tokens)
    page = raw(universe, "GET", f"/api/v1/users/{judy.id}/clients/{client_id}/tokens?limit=1")
    assert len(page.json()) == 1 and 'rel="next"' in page.headers["link"]

    # The app and the authorization server see all three.
    app_tokens = unwrap(await okta.list_o_auth2_tokens_for_application(client_id))
    assert len(app_tokens) == 3
    server_clients = unwrap(await okta.list_o_auth2_clients_for_authorization_server("default"))
    assert [c.client_id for c in server_clients] == [client_id]
    by_server = raw(universe, "GET", f"/api/v1/authorizationServers/default/clients/{client_id}/tokens").json()
    assert len(by_server) == 3

    # Revoking one: it fails at the token endpoint and introspects inactive; the other still works.
    target = tokens[0]["id"]
    got = unwrap(await okta.get_refresh_token_for_user_and_client(judy.id, client_id, target))
    assert got.id == target
    resp = raw(universe, "DELETE", f"/api/v1/users/{judy.id}/clients/{client_id}/tokens/{target}")
    assert resp.status_code == 204, resp.text
    again = raw(universe, "DELETE", f"/api/v1/users/{judy.id}/clients/{client_id}/tokens/{target}")
    assert again.status_code == 404 and again.json()["errorCode"] == "E0000007"
    states = {t["refresh_token"]: introspect_refresh(universe, issuer, t["refresh_token"])["active"] for t in (first, second)}
    assert sorted(states.values()) == [False, True], states
    dead = next(tok for tok, active in states.items() if not active)
    refused = client_secret_token(universe, issuer, grant_type="refresh_token", refresh_token=dead)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    alive = next(tok for tok, active in states.items() if active)
    assert client_secret_token(universe, issuer, grant_type="refresh_token", refresh_token=alive).status_code == 200

    # Revoking the user's tokens for the client leaves Kevin's; the app-wide revoke ends his.
    assert raw(universe, "DELETE", f"/api/v1/users/{judy.id}/clients/{client_id}/tokens").status_code == 204
    assert introspect_refresh(universe, issuer, alive) == {"active": False}
    assert unwrap(await okta.list_user_clients(judy.id)) == []
    assert introspect_refresh(universe, issuer, other["refresh_token"])["active"] is True
    assert raw(universe, "DELETE", f"/api/v1/apps/{client_id}/tokens").status_code == 204
    assert introspect_refresh(universe, issuer, other["refresh_token"]) == {"active": False}
    assert raw(universe, "GET", f"/api/v1/apps/{client_id}/tokens").json() == []
    events = [e["eventType"] for e in raw(universe, "GET", "/api/v1/logs?until=2100-01-01T00:00:00.000Z").json()]
    assert events.count("app.oauth2.as.token.revoke") == 3
    missing = raw(universe, "GET", f"/api/v1/authorizationServers/ausNOPE/clients/{client_id}/tokens")
    assert missing.status_code == 404 and missing.json()["errorCode"] == "E0000007"


async def test_consent_grants_are_recorded_at_authorize_and_revoked(okta, universe):
    issuer = f"{org(universe)}/oauth2/default"
    client_id = universe["okta"]["client_id"]
    scope = raw(universe, "POST", "/api/v1/authorizationServers/default/scopes",
                json={"name": "wiki:read", "consent": "REQUIRED"})
    assert scope.status_code in (200, 201), scope.text
    scope_id = scope.json()["id"]
    redirect_uri = await redirect_uri_of(okta, client_id)

    def authorize(username: str) -> None:
        params = {"client_id": client_id, "response_type": "code", "scope": "openid wiki:read",
                  "redirect_uri": redirect_uri, "state": "s", "sessionToken": session_token(universe, username)}
        resp = http().get(f"{issuer}/v1/authorize", params=params, allow_redirects=False, timeout=10)
        assert resp.status_code == 302 and "code=" in resp.headers["Location"], resp.headers.get("Location")

    grace = unwrap(await okta.get_user("grace@acme.test"))
    # A trusted app asks for no consent: nothing is recorded.
    authorize("grace@acme.test")
    assert raw(universe, "GET", f"/api/v1/users/{grace.id}/grants").json() == []
    app = raw(universe, "GET", f"/api/v1/apps/{client_id}").json()
    app["settings"]["oauthClient"]["consent_method"] = "REQUIRED"
    assert raw(universe, "PUT", f"/api/v1/apps/{client_id}", json=app).status_code == 200
    authorize("grace@acme.test")
    authorize("grace@acme.test")
    grants = raw(universe, "GET", f"/api/v1/users/{grace.id}/grants").json()
    assert len(grants) == 1, grants
    conforms(grants[0], "OAuth2ScopeConsentGrant")
    assert (grants[0]["scopeId"], grants[0]["clientId"], grants[0]["issuer"], grants[0]["source"]) == (
        scope_id, client_id, issuer, "END_USER")
    sdk = unwrap(await okta.list_user_grants(grace.id))
    assert [g.id for g in sdk] == [grants[0]["id"]]
    assert raw(universe, "GET", f"/api/v1/users/{grace.id}/grants?scopeId=nope").json() == []
    assert [c.client_id for c in unwrap(await okta.list_user_clients(grace.id))] == [client_id]
    by_client = raw(universe, "GET", f"/api/v1/users/{grace.id}/clients/{client_id}/grants").json()
    assert [g["id"] for g in by_client] == [grants[0]["id"]]
    got = unwrap(await okta.get_user_grant(grace.id, grants[0]["id"]))
    assert got.scope_id == scope_id

    path = f"/api/v1/users/{grace.id}/grants/{grants[0]['id']}"
    assert raw(universe, "DELETE", path).status_code == 204
    gone = raw(universe, "DELETE", path)
    assert gone.status_code == 404 and gone.json()["errorCode"] == "E0000007"
    assert raw(universe, "GET", f"/api/v1/users/{grace.id}/grants").json() == []
    # Consent is asked (and recorded) again; revoking the client's grants ends it.
    authorize("grace@acme.test")
    assert len(raw(universe, "GET", f"/api/v1/users/{grace.id}/grants").json()) == 1
    assert raw(universe, "DELETE", f"/api/v1/users/{grace.id}/clients/{client_id}/grants").status_code == 204
    assert raw(universe, "GET", f"/api/v1/users/{grace.id}/clients/{client_id}/grants").json() == []
    events = [e["eventType"] for e in raw(universe, "GET", "/api/v1/logs?until=2100-01-01T00:00:00.000Z").json()]
    assert events.count("app.oauth2.as.consent.revoke") == 2
