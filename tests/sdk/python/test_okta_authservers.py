"""Custom authorization servers: the `okta` SDK manages a server, its scopes, claims,
policies and rules and rotates its keys; tokens from `/oauth2/{id}/v1/token` carry the
server's issuer, audience, scopes and custom claims, obey its rules (grant types,
lifetimes) and are signed with its current key; a third-party client (authlib) gets
them unchanged; a token inline hook patches a claim."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey
from authlib.jose import jwt as authlib_jwt
from okta import models

from test_okta_oauth import client_secret_token, http, org, redirect_uri_of, session_token, verify
from test_okta_support import (  # noqa: F401  (okta is a fixture)
    SEEDED_PASSWORD,
    api_error,
    conforms,
    okta,
    raw,
    unwrap,
)


async def make_server(okta, name: str = "Orders API", audience: str = "api://orders"):  # noqa: F811
    server = unwrap(await okta.create_authorization_server(
        models.AuthorizationServer.from_dict({"name": name, "description": "orders", "audiences": [audience]})
    ))
    return server


async def allow_everything(okta, server_id: str, grants=("client_credentials", "password"), minutes: int = 60, hook=None):  # noqa: F811
    policy = unwrap(await okta.create_authorization_server_policy(server_id, models.AuthorizationServerPolicy.from_dict({
        "type": "OAUTH_AUTHORIZATION_POLICY", "name": "All clients", "description": "all",
        "priority": 1, "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
    })))
    token = {"accessTokenLifetimeMinutes": minutes, "refreshTokenLifetimeMinutes": 0, "refreshTokenWindowMinutes": 10080}
    if hook:
        token["inlineHook"] = {"id": hook}
    rule = unwrap(await okta.create_authorization_server_policy_rule(server_id, policy.id, models.AuthorizationServerPolicyRuleRequest.from_dict({
        "type": "RESOURCE_ACCESS", "name": "Everyone", "priority": 1,
        "conditions": {"people": {"groups": {"include": ["EVERYONE"]}}, "grantTypes": {"include": list(grants)},
                       "scopes": {"include": ["*"]}},
        "actions": {"token": token},
    })))
    return policy, rule


async def test_server_crud_lifecycle_and_validation(okta, universe):  # noqa: F811
    server = await make_server(okta)
    assert server.id.startswith("aus") and server.status == "ACTIVE"
    assert server.issuer == f"{org(universe)}/oauth2/{server.id}" and server.audiences == ["api://orders"]
    body = raw(universe, "GET", f"/api/v1/authorizationServers/{server.id}").json()
    conforms(body, "AuthorizationServer")
    listed = unwrap(await okta.list_authorization_servers())
    assert {"default", server.id} <= {s.id for s in listed}
    for item in raw(universe, "GET", "/api/v1/authorizationServers").json():
        conforms(item, "AuthorizationServer")

    # the seeded default server is a real record, with the default policy and rule
    default = raw(universe, "GET", "/api/v1/authorizationServers/default").json()
    assert default["audiences"] == ["api://default"] and default["issuer"].endswith("/oauth2/default")
    policies = raw(universe, "GET", "/api/v1/authorizationServers/default/policies").json()
    assert [p["name"] for p in policies] == ["Default Policy"]
    rules = raw(universe, "GET", f"/api/v1/authorizationServers/default/policies/{policies[0]['id']}/rules").json()
    assert [r["name"] for r in rules] == ["Default Policy Rule"]
    conforms(rules[0], "AuthorizationServerPolicyRule")
    scopes = {s["name"] for s in raw(universe, "GET", "/api/v1/authorizationServers/default/scopes").json()}
    assert {"openid", "profile", "email", "offline_access"} <= scopes

    # replace, deactivate (then its endpoints are gone), activate, delete
    changed = unwrap(await okta.replace_authorization_server(server.id, models.AuthorizationServer.from_dict(
        {"name": "Orders API v2", "description": "v2", "audiences": ["api://orders"]})))
    assert changed.name == "Orders API v2"
    unwrap_void = await okta.deactivate_authorization_server(server.id)
    assert unwrap_void[-1] is None
    gone = http().get(f"{org(universe)}/oauth2/{server.id}/.well-known/openid-configuration", timeout=10)
    assert gone.status_code == 404 and gone.json()["errorCode"] == "E0000007"
    assert (await okta.activate_authorization_server(server.id))[-1] is None
    doc = http().get(f"{org(universe)}/oauth2/{server.id}/.well-known/openid-configuration", timeout=10).json()
    assert doc["issuer"] == f"{org(universe)}/oauth2/{server.id}"

    bad = raw(universe, "POST", "/api/v1/authorizationServers", json={"name": "x"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "E0000001" and bad.json()["errorCauses"]
    dup = raw(universe, "POST", "/api/v1/authorizationServers", json={"name": "Orders API v2", "audiences": ["a"]})
    assert dup.status_code == 400 and dup.json()["errorCode"] == "E0000001"
    api_error(await okta.get_authorization_server("ausNOPE"), 404, "E0000007")
    assert raw(universe, "PATCH", f"/api/v1/authorizationServers/{server.id}").json()["errorCode"] == "E0000022"

    assert (await okta.delete_authorization_server(server.id))[-1] is None
    api_error(await okta.get_authorization_server(server.id), 404, "E0000007")


async def test_scopes_claims_and_rules_shape_the_tokens(okta, universe):  # noqa: F811
    server = await make_server(okta)
    scope = unwrap(await okta.create_o_auth2_scope(server.id, models.OAuth2Scope.from_dict(
        {"name": "orders:read", "description": "Read orders", "consent": "IMPLICIT", "metadataPublish": "ALL_CLIENTS"})))
    conforms(raw(universe, "GET", f"/api/v1/authorizationServers/{server.id}/scopes/{scope.id}").json(), "OAuth2Scope")
    claim = unwrap(await okta.create_o_auth2_claim(server.id, models.OAuth2Claim.from_dict({
        "name": "dept", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
        "value": "user.department", "alwaysIncludeInToken": True, "conditions": {"scopes": []}})))
    conforms(raw(universe, "GET", f"/api/v1/authorizationServers/{server.id}/claims/{claim.id}").json(), "OAuth2Claim")
    unwrap(await okta.create_o_auth2_claim(server.id, models.OAuth2Claim.from_dict({
        "name": "tier", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
        "value": '"gold"', "alwaysIncludeInToken": True, "conditions": {"scopes": ["orders:read"]}})))
    unwrap(await okta.create_o_auth2_claim(server.id, models.OAuth2Claim.from_dict({
        "name": "groups", "status": "ACTIVE", "claimType": "IDENTITY", "valueType": "GROUPS",
        "group_filter_type": "REGEX", "value": ".*", "alwaysIncludeInToken": True, "conditions": {"scopes": []}})))
    unwrap(await okta.create_o_auth2_claim(server.id, models.OAuth2Claim.from_dict({
        "name": "nick", "status": "ACTIVE", "claimType": "IDENTITY", "valueType": "EXPRESSION",
        "value": '"Nin"', "alwaysIncludeInToken": False, "conditions": {"scopes": []}})))
    bad = raw(universe, "POST", f"/api/v1/authorizationServers/{server.id}/claims",
              json={"name": "sub", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "user.login"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "E0000001"

    issuer = f"{org(universe)}/oauth2/{server.id}"
    # no policy yet: Okta's policy evaluation fails
    denied = client_secret_token(universe, issuer, grant_type="client_credentials", scope="orders:read")
    assert denied.status_code == 400 and denied.json()["error"] == "access_denied"
    assert denied.json()["error_description"].startswith("Policy evaluation failed for this request")

    policy, rule = await allow_everything(okta, server.id, grants=("password",), minutes=15)
    for token in ({"accessTokenLifetimeMinutes": 2}, {"refreshTokenLifetimeMinutes": 2**40},
                  {"refreshTokenWindowMinutes": 0}):
        bad_rule = raw(universe, "POST", f"/api/v1/authorizationServers/{server.id}/policies/{policy.id}/rules", json={
            "type": "RESOURCE_ACCESS", "name": "bad", "actions": {"token": token},
            "conditions": {"people": {"groups": {"include": ["EVERYONE"]}}, "grantTypes": {"include": ["password"]},
                           "scopes": {"include": ["*"]}}})
        assert bad_rule.status_code == 400 and bad_rule.json()["errorCode"] == "E0000001", bad_rule.text
        assert bad_rule.json()["errorCauses"]
    conforms(raw(universe, "GET", f"/api/v1/authorizationServers/{server.id}/policies/{policy.id}/rules/{rule.id}").json(),
             "AuthorizationServerPolicyRule")
    # the rule allows password only: client_credentials is still refused
    denied = client_secret_token(universe, issuer, grant_type="client_credentials", scope="orders:read")
    assert denied.status_code == 400 and denied.json()["error"] == "access_denied"
    undeclared = client_secret_token(universe, issuer, grant_type="password", username="nina@acme.test",
                                     password=SEEDED_PASSWORD, scope="openid orders:write")
    assert undeclared.status_code == 400 and undeclared.json()["error"] == "invalid_scope"

    ok = client_secret_token(universe, issuer, grant_type="password", username="nina@acme.test",
                             password=SEEDED_PASSWORD, scope="openid orders:read")
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["expires_in"] == 15 * 60
    access = verify(universe, body["access_token"], "api://orders", issuer)
    assert access["scp"] == ["openid", "orders:read"] and access["tier"] == "gold"
    assert access["exp"] - access["iat"] == 15 * 60
    nina = unwrap(await okta.get_user("nina@acme.test"))
    assert access["dept"] == nina.profile.department == "Sales"
    id_token = verify(universe, body["id_token"], universe["okta"]["client_id"], issuer)
    assert "Everyone" in id_token["groups"] and "nick" not in id_token
    info = http().get(f"{issuer}/v1/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10)
    assert info.status_code == 200 and info.json()["nick"] == "Nin" and info.json()["sub"] == nina.id

    # now allow client_credentials too, through the SDK's replace
    unwrap(await okta.replace_authorization_server_policy_rule(server.id, policy.id, rule.id,
        models.AuthorizationServerPolicyRuleRequest.from_dict({
            "type": "RESOURCE_ACCESS", "name": "Everyone", "priority": 1,
            "conditions": {"people": {"groups": {"include": ["EVERYONE"]}},
                           "grantTypes": {"include": ["password", "client_credentials"]}, "scopes": {"include": ["*"]}},
            "actions": {"token": {"accessTokenLifetimeMinutes": 15, "refreshTokenLifetimeMinutes": 0,
                                  "refreshTokenWindowMinutes": 10080}}})))
    cc = client_secret_token(universe, issuer, grant_type="client_credentials", scope="orders:read")
    assert cc.status_code == 200, cc.text
    claims = verify(universe, cc.json()["access_token"], "api://orders", issuer)
    assert claims["sub"] == universe["okta"]["client_id"] and "dept" not in claims
    # no scope asked: none is default yet, then the default scope is granted
    none = client_secret_token(universe, issuer, grant_type="client_credentials")
    assert none.json() == {"error": "invalid_scope", "error_description": "No scopes were requested."}
    unwrap(await okta.replace_o_auth2_scope(server.id, scope.id, models.OAuth2Scope.from_dict(
        {"name": "orders:read", "description": "Read orders", "default": True, "metadataPublish": "ALL_CLIENTS"})))
    defaulted = client_secret_token(universe, issuer, grant_type="client_credentials")
    assert defaulted.status_code == 200 and defaulted.json()["scope"] == "orders:read", defaulted.text

    # a deactivated rule no longer allows anything
    assert (await okta.deactivate_authorization_server_policy_rule(server.id, policy.id, rule.id))[-1] is None
    again = client_secret_token(universe, issuer, grant_type="client_credentials", scope="orders:read")
    assert again.json()["error"] == "access_denied"


async def test_authlib_client_credentials_and_key_rotation(okta, universe):  # noqa: F811
    server = await make_server(okta)
    unwrap(await okta.create_o_auth2_scope(server.id, models.OAuth2Scope.from_dict({"name": "orders:read"})))
    await allow_everything(okta, server.id)
    issuer = f"{org(universe)}/oauth2/{server.id}"
    meta = http().get(f"{issuer}/.well-known/oauth-authorization-server", timeout=10).json()
    assert meta["issuer"] == issuer and meta["jwks_uri"] == f"{issuer}/v1/keys"

    client = OAuth2Session(universe["okta"]["client_id"], universe["okta"]["client_secret"], scope="orders:read")
    client.trust_env = False
    token = client.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    first_kid = jwt.get_unverified_header(token["access_token"])["kid"]
    keys = unwrap(await okta.list_authorization_server_keys(server.id))
    assert [k.kid for k in keys if k.status == "ACTIVE"] == [first_kid]
    for k in raw(universe, "GET", f"/api/v1/authorizationServers/{server.id}/credentials/keys").json():
        conforms(k, "JsonWebKey")

    rotated = raw(universe, "POST", f"/api/v1/authorizationServers/{server.id}/credentials/lifecycle/keyRotate",
                  json={"use": "sig"})
    assert rotated.status_code == 200
    by_status = {k["status"]: k["kid"] for k in rotated.json()}
    assert by_status["EXPIRED"] == first_kid and by_status["ACTIVE"] != first_kid
    published = {k["kid"] for k in http().get(meta["jwks_uri"], timeout=10).json()["keys"]}
    assert {first_kid, by_status["ACTIVE"], by_status["NEXT"]} <= published

    fresh = client.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    assert jwt.get_unverified_header(fresh["access_token"])["kid"] == by_status["ACTIVE"]
    verify(universe, fresh["access_token"], "api://orders", issuer)
    verify(universe, token["access_token"], "api://orders", issuer)  # the old key still verifies
    intro = http().post(meta["introspection_endpoint"], data={"token": fresh["access_token"]},
                        auth=(universe["okta"]["client_id"], universe["okta"]["client_secret"]), timeout=10).json()
    assert intro["active"] is True and intro["aud"] == "api://orders"


async def test_authlib_code_flow_on_a_custom_server_gets_its_scope_and_claim(okta, universe):  # noqa: F811
    server = await make_server(okta)
    unwrap(await okta.create_o_auth2_scope(server.id, models.OAuth2Scope.from_dict({"name": "orders:read"})))
    unwrap(await okta.create_o_auth2_claim(server.id, models.OAuth2Claim.from_dict({
        "name": "login", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
        "value": "user.login", "alwaysIncludeInToken": True, "conditions": {"scopes": ["orders:read"]}})))
    issuer = f"{org(universe)}/oauth2/{server.id}"
    meta = http().get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    assert "orders:read" not in meta["scopes_supported"]  # metadataPublish defaults to NO_CLIENTS
    client_id = universe["okta"]["client_id"]
    redirect_uri = await redirect_uri_of(okta, client_id)
    client = OAuth2Session(client_id, universe["okta"]["client_secret"], scope="openid orders:read",
                           redirect_uri=redirect_uri, code_challenge_method="S256")
    client.trust_env = False
    verifier = generate_token(48)
    # no rule allows the code flow yet: the browser comes back with access_denied
    url, _ = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier,
                                             sessionToken=session_token(universe, "judy@acme.test"))
    denied = http().get(url, allow_redirects=False, timeout=10)
    assert "error=access_denied" in denied.headers["Location"]
    await allow_everything(okta, server.id, grants=("authorization_code",))
    url, _state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier,
                                                  nonce=generate_token(16),
                                                  sessionToken=session_token(universe, "judy@acme.test"))
    browser = http()
    answer = browser.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and "code=" in answer.headers["Location"], answer.headers.get("Location")
    token = client.fetch_token(meta["token_endpoint"], authorization_response=answer.headers["Location"],
                               code_verifier=verifier)
    keys = JsonWebKey.import_key_set(http().get(meta["jwks_uri"], timeout=10).json())
    access = authlib_jwt.decode(token["access_token"], keys, claims_options={
        "iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": "api://orders"}})
    access.validate()
    assert access["scp"] == ["openid", "orders:read"] and access["login"] == "judy@acme.test"

    # a scope the server does not declare comes back to the redirect URI as invalid_scope
    url, _ = client.create_authorization_url(meta["authorization_endpoint"], scope="openid orders:write",
                                             code_verifier=verifier, sessionToken=session_token(universe, "judy@acme.test"))
    refused = browser.get(url, allow_redirects=False, timeout=10)
    assert "error=invalid_scope" in refused.headers["Location"]


class _TokenHook(BaseHTTPRequestHandler):
    calls: list = []
    refuse = False

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
        answer = {"commands": [{"type": "com.okta.access.patch", "value": [
            {"op": "add", "path": "/claims/hooked", "value": "yes"},
            {"op": "replace", "path": "/claims/tier", "value": "platinum"},
            {"op": "replace", "path": "/token/lifetime/expiration", "value": 600},
        ]}]}
        if type(self).refuse:
            answer = {"error": {"errorSummary": "Orders are closed"}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


async def test_token_inline_hook_patches_claims(okta, universe):  # noqa: F811
    receiver = HTTPServer(("127.0.0.1", 0), _TokenHook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    _TokenHook.calls = []
    try:
        hook = raw(universe, "POST", "/api/v1/inlineHooks", json={
            "name": "Token patcher", "type": "com.okta.oauth2.tokens.transform", "version": "1.0.0",
            "channel": {"type": "HTTP", "version": "1.0.0", "config": {
                "uri": f"http://127.0.0.1:{receiver.server_port}/hook",
                "headers": [{"key": "X-Extra", "value": "1"}],
                "authScheme": {"type": "HEADER", "key": "Authorization", "value": "s3cret"}}}})
        assert hook.status_code == 200, hook.text
        conforms(hook.json(), "InlineHook")
        assert "value" not in hook.json()["channel"]["config"]["authScheme"]
        outside = raw(universe, "POST", "/api/v1/inlineHooks", json={
            "name": "x", "type": "com.okta.oauth2.tokens.transform",
            "channel": {"type": "HTTP", "version": "1.0.0", "config": {"uri": "https://example.com/hook"}}})
        assert outside.status_code == 400 and outside.json()["errorCode"] == "E0000001"

        server = await make_server(okta)
        unwrap(await okta.create_o_auth2_scope(server.id, models.OAuth2Scope.from_dict({"name": "orders:read"})))
        unwrap(await okta.create_o_auth2_claim(server.id, models.OAuth2Claim.from_dict({
            "name": "tier", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
            "value": '"gold"', "alwaysIncludeInToken": True, "conditions": {"scopes": []}})))
        policy, rule = await allow_everything(okta, server.id, hook=hook.json()["id"])
        issuer = f"{org(universe)}/oauth2/{server.id}"
        resp = client_secret_token(universe, issuer, grant_type="client_credentials", scope="orders:read")
        assert resp.status_code == 200, resp.text
        claims = verify(universe, resp.json()["access_token"], "api://orders", issuer)
        assert claims["hooked"] == "yes" and claims["tier"] == "platinum"
        assert claims["exp"] - claims["iat"] == 600 and resp.json()["expires_in"] == 600
        headers, body = _TokenHook.calls[0]
        assert headers["authorization"] == "s3cret" and headers["x-extra"] == "1"
        assert body["eventType"] == "com.okta.oauth2.tokens.transform"
        assert body["data"]["tokens"]["access_token"]["claims"]["tier"] == "gold"
        assert body["data"]["context"]["policy"] == {"id": policy.id, "rule": {"id": rule.id}}

        # Okta's test call: the body goes through the channel, the answer comes back
        executed = raw(universe, "POST", f"/api/v1/inlineHooks/{hook.json()['id']}/execute", json={"data": {}})
        assert executed.status_code == 200 and executed.json()["commands"][0]["type"] == "com.okta.access.patch"

        # an `error` in the answer refuses the tokens, as Okta's server_error
        _TokenHook.refuse = True
        refused = client_secret_token(universe, issuer, grant_type="client_credentials", scope="orders:read")
        assert refused.status_code == 400
        assert refused.json() == {"error": "server_error", "error_description": "Orders are closed"}
        _TokenHook.refuse = False

        # the hook is down: tokens are issued unchanged, and the call is in the System Log
        receiver.shutdown()
        receiver.server_close()
        resp = client_secret_token(universe, issuer, grant_type="client_credentials", scope="orders:read")
        assert resp.status_code == 200, resp.text
        claims = verify(universe, resp.json()["access_token"], "api://orders", issuer)
        assert claims["tier"] == "gold" and "hooked" not in claims
        logs = raw(universe, "GET", "/api/v1/logs", params={"filter": 'eventType eq "inline_hook.executed"'}).json()
        assert len(logs) >= 3 and logs[-1]["outcome"]["result"] == "FAILURE"
        down = raw(universe, "POST", f"/api/v1/inlineHooks/{hook.json()['id']}/execute", json={"data": {}})
        assert down.status_code == 400 and down.json()["errorCode"] == "E0000001"
    finally:
        receiver.server_close()

