"""A third-party OIDC client, authlib, signs a person in through the twin's `default`
authorization server: discovery, authorization code with PKCE (S256), ID-token
validation against the JWKS, userinfo, refresh and revocation — no Okta code involved."""

from __future__ import annotations

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.jose.errors import InvalidClaimError

from test_okta_oauth import org, redirect_uri_of, session_token
from test_okta_support import okta  # noqa: F401  (a fixture)


def discover(issuer: str) -> dict:
    http = requests.Session()
    http.trust_env = False
    doc = http.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    assert doc["issuer"] == issuer
    doc["jwks"] = http.get(doc["jwks_uri"], timeout=10).json()
    return doc


async def test_authlib_signs_a_person_in_with_pkce(okta, universe):  # noqa: F811
    issuer = f"{org(universe)}/oauth2/default"
    meta = discover(issuer)
    client_id = universe["okta"]["client_id"]
    redirect_uri = await redirect_uri_of(okta, client_id)
    client = OAuth2Session(
        client_id,
        universe["okta"]["client_secret"],
        scope="openid profile email offline_access",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    client.trust_env = False
    verifier, nonce = generate_token(48), generate_token(16)
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"],
        code_verifier=verifier,
        nonce=nonce,
        sessionToken=session_token(universe, "judy@acme.test"),
    )
    browser = requests.Session()  # the authorize step is the user's browser, not the client
    browser.trust_env = False
    answer = browser.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    callback = answer.headers["Location"]
    assert callback.startswith(redirect_uri) and f"state={state}" in callback

    token = client.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert {"access_token", "id_token", "refresh_token"} <= set(token)

    keys = JsonWebKey.import_key_set(meta["jwks"])
    options = {"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": client_id},
               "nonce": {"essential": True, "value": nonce}}
    claims = jwt.decode(token["id_token"], keys, claims_options=options)
    claims.validate()
    assert claims["email"] == "judy@acme.test"
    wrong = jwt.decode(token["id_token"], keys, claims_options={**options, "nonce": {"essential": True, "value": "x"}})
    try:
        wrong.validate()
        raise AssertionError("a wrong nonce must not validate")
    except InvalidClaimError:
        pass

    info = client.get(meta["userinfo_endpoint"], timeout=10).json()
    assert info["sub"] == claims["sub"] and info["preferred_username"] == "judy@acme.test"

    refreshed = client.refresh_token(meta["token_endpoint"])
    assert refreshed["access_token"] != token["access_token"]
    revoked = client.revoke_token(meta["revocation_endpoint"], token=refreshed["access_token"])
    assert revoked.status_code == 200
    after = client.get(meta["userinfo_endpoint"], timeout=10)
    assert after.status_code == 401

    # PKCE is enforced: a code redeemed with a verifier that does not match its challenge
    url, _ = client.create_authorization_url(
        meta["authorization_endpoint"],
        code_verifier=generate_token(48),
        nonce=generate_token(16),
        sessionToken=session_token(universe, "judy@acme.test"),
    )
    callback = browser.get(url, allow_redirects=False, timeout=10).headers["Location"]
    try:
        client.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=generate_token(48))
        raise AssertionError("a code with the wrong PKCE verifier must be refused")
    except OAuthError as e:
        assert e.error == "invalid_grant", e
