"""Installing the app with OAuth, and Sign in with Slack, through slack_sdk (and Bolt's
OAuth flow): the authorize pages answer headless, as if the installing person approved;
the exchanges issue tokens with exactly the scopes asked for. Also apps.activities.list,
apps.icon.set and blocks.validate.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import urllib.parse
from typing import Any

import jwt
import pytest
import requests
import yaml
from slack_sdk import WebClient
from slack_sdk.oauth import AuthorizeUrlGenerator, OpenIDConnectAuthorizeUrlGenerator

from conftest import REPO_ROOT
from test_slack_methods_more import conforms
from test_slack_support import advance_clock, expect_error, slack  # noqa: F401  (fixture)

REDIRECT = "http://localhost:3000/slack/oauth_redirect"


def oauth(universe: dict[str, Any]) -> dict[str, Any]:
    return universe["slack"]


def anonymous(universe: dict[str, Any]) -> WebClient:
    """A client with no token, on the plain base URL: the client id routes the exchange."""
    return WebClient(base_url=oauth(universe)["base_url"])


def follow(url: str) -> dict[str, str]:
    """Opens an authorize URL as a browser would; returns the redirect's query."""
    resp = requests.get(url, allow_redirects=False, timeout=10)
    assert resp.status_code == 302, (resp.status_code, resp.text)
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT), location
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlparse(location).query).items()}


def authorize_url(universe: dict[str, Any], scopes=("chat:write",), user_scopes=(), state="s1", **extra: str) -> str:
    s = oauth(universe)
    url = AuthorizeUrlGenerator(
        client_id=s["client_id"],
        scopes=list(scopes),
        user_scopes=list(user_scopes),
        redirect_uri=REDIRECT,
        authorization_url=s["oauth_authorize_url"],
    ).generate(state=state)
    return url + "".join(f"&{k}={urllib.parse.quote(v)}" for k, v in extra.items())


def code_for(universe: dict[str, Any], **kwargs: Any) -> str:
    return follow(authorize_url(universe, **kwargs))["code"]


def exchange(universe: dict[str, Any], code: str, **overrides: Any) -> Any:
    s = oauth(universe)
    args = dict(client_id=s["client_id"], client_secret=s["client_secret"], code=code, redirect_uri=REDIRECT)
    args.update(overrides)
    return anonymous(universe).oauth_v2_access(**args)


def install(universe: dict[str, Any], **kwargs: Any) -> Any:
    return exchange(universe, code_for(universe, **kwargs))


def client(universe: dict[str, Any], token: str) -> WebClient:
    return WebClient(token=token, base_url=oauth(universe)["base_url"])


# --- the manifest --------------------------------------------------------------------


def test_manifest_names_the_oauth_client(universe, control):
    s = oauth(universe)
    assert s["client_id"] and s["client_secret"]
    assert s["oauth_authorize_url"].endswith(f"/u/{universe['id']}/oauth/v2/authorize")
    assert s["openid_authorize_url"].endswith(f"/u/{universe['id']}/openid/connect/authorize")
    # each universe has a client of its own
    default = control.get("universes/default").json()["slack"]
    assert default["client_id"] != s["client_id"]


# --- the v2 install flow ----------------------------------------------------------------


def test_install_issues_tokens_with_exactly_the_granted_scopes(slack, universe):
    query = follow(authorize_url(universe, scopes=("chat:write", "channels:read"), user_scopes=("search:read",)))
    assert query["state"] == "s1"
    resp = exchange(universe, query["code"])
    conforms("oauth.v2.access", resp)
    assert resp["token_type"] == "bot" and resp["access_token"].startswith("xoxb-")
    assert resp["scope"] == "chat:write,channels:read"
    assert resp["bot_user_id"] == slack.bot_user and resp["app_id"] == oauth(universe)["app_id"]
    assert resp["team"]["id"] == oauth(universe)["team_id"] and resp["enterprise"] is None
    assert resp["is_enterprise_install"] is False
    authed = resp["authed_user"]
    # the installing person: the workspace's first admin (the primary owner)
    installer = slack.user.users_info(user=authed["id"])["user"]
    assert installer["is_primary_owner"] is True
    assert authed["token_type"] == "user" and authed["scope"] == "search:read"

    bot = client(universe, resp["access_token"])
    assert bot.auth_test()["user_id"] == slack.bot_user
    listed = bot.conversations_list(limit=5)
    assert listed.headers["x-oauth-scopes"] == "chat:write,channels:read"
    general = slack.channel("general")
    slack.bot.conversations_join(channel=general)  # the seeded bot token may join; the new one may not
    assert bot.chat_postMessage(channel=general, text="installed")["ok"]
    denied = expect_error("missing_scope", bot.users_list)
    assert denied["needed"] == "users:read" and denied["provided"] == "chat:write,channels:read"
    expect_error("missing_scope", bot.conversations_join, channel=general)

    user = client(universe, authed["access_token"])
    assert user.auth_test()["user_id"] == authed["id"]
    assert user.search_messages(query="installed")["ok"]
    expect_error("missing_scope", user.conversations_list)


def test_a_bot_only_install_has_no_user_token(universe):
    resp = install(universe, scopes=("channels:read",))
    assert "access_token" not in resp["authed_user"] and resp["authed_user"]["id"]


def test_a_user_only_install_has_no_bot_token(universe):
    resp = install(universe, scopes=(), user_scopes=("users:read",))
    assert "access_token" not in resp.data and "bot_user_id" not in resp.data
    user = client(universe, resp["authed_user"]["access_token"])
    assert user.users_list(limit=1)["ok"]


def test_http_basic_client_credentials(universe):
    s = oauth(universe)
    code = code_for(universe)
    resp = requests.post(
        s["base_url"] + "oauth.v2.access",
        data={"code": code, "redirect_uri": REDIRECT},
        auth=(s["client_id"], s["client_secret"]),
        timeout=10,
    ).json()
    assert resp["ok"] is True and resp["access_token"].startswith("xoxb-"), resp
    resp = requests.post(
        s["base_url"] + "oauth.v2.access",
        data={"code": code_for(universe), "redirect_uri": REDIRECT},
        auth=(s["client_id"], "wrong"),
        timeout=10,
    ).json()
    assert resp == {"ok": False, "error": "bad_client_secret"}


def test_codes_are_single_use_and_expire_after_ten_minutes(universe, control):
    code = code_for(universe)
    assert exchange(universe, code)["ok"]
    expect_error("invalid_code", lambda: exchange(universe, code))

    late = code_for(universe)
    advance_clock(control, universe, 601)
    expect_error("invalid_code", lambda: exchange(universe, late))

    in_time = code_for(universe)
    advance_clock(control, universe, 590)
    assert exchange(universe, in_time)["ok"]


def test_exchange_errors(universe, control):
    s = oauth(universe)
    code = code_for(universe)
    expect_error("invalid_client_id", lambda: exchange(universe, code, client_id="1234.5678"))
    # another universe's client id routes the exchange to that universe, which never issued this code
    other = control.get("universes/default").json()["slack"]
    expect_error("invalid_code", lambda: exchange(universe, code, client_id=other["client_id"], client_secret=other["client_secret"]))
    expect_error("bad_client_secret", lambda: exchange(universe, code, client_secret="not-the-secret"))
    expect_error("bad_redirect_uri", lambda: exchange(universe, code, redirect_uri="http://localhost:3000/other"))
    expect_error("invalid_code", lambda: exchange(universe, "1.2.nope"))
    expect_error("invalid_grant_type", lambda: exchange(universe, code, grant_type="password"))
    expect_error(
        "invalid_refresh_token",
        lambda: anonymous(universe).oauth_v2_access(
            client_id=s["client_id"], client_secret=s["client_secret"], grant_type="refresh_token", refresh_token="xoxe-1-x"
        ),
    )
    # none of the refusals used the code up
    assert exchange(universe, code)["ok"]
    expect_error("no_scopes", lambda: exchange(universe, code_for(universe, scopes=())))
    openid = follow(openid_url(universe))["code"]
    expect_error("oauth_authorization_url_mismatch", lambda: exchange(universe, openid))


def test_authorize_page_refusals_and_hints(slack, universe):
    s = oauth(universe)
    bad = requests.get(s["oauth_authorize_url"], params={"client_id": "nope", "redirect_uri": REDIRECT}, allow_redirects=False)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client_id"
    bad = requests.get(s["oauth_authorize_url"], params={"client_id": s["client_id"], "scope": "chat:write"}, allow_redirects=False)
    assert bad.status_code == 400 and bad.json()["error"] == "bad_redirect_uri"
    assert follow(authorize_url(universe, scopes=("Not A Scope!",))) == {"error": "invalid_scope", "state": "s1"}
    assert follow(authorize_url(universe, dtu_decision="deny")) == {"error": "access_denied", "state": "s1"}
    bob = slack.user_id("bob")
    resp = install(universe, user_scopes=("users:read",), dtu_user="bob@acme.test")
    assert resp["authed_user"]["id"] == bob
    assert client(universe, resp["authed_user"]["access_token"]).auth_test()["user_id"] == bob
    bad = requests.get(authorize_url(universe, dtu_user="nobody"), allow_redirects=False)
    assert bad.status_code == 400 and bad.json()["error"] == "user_not_found"


def test_pkce_lets_a_public_client_leave_out_its_secret(universe):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    s = oauth(universe)
    code = follow(authorize_url(universe, code_challenge=challenge, code_challenge_method="S256"))["code"]

    def public(code: str, **extra: str) -> dict[str, Any]:
        # slack_sdk's oauth_v2_access always sends a secret: a public client posts the form itself.
        form = {"client_id": s["client_id"], "code": code, "redirect_uri": REDIRECT, **extra}
        return requests.post(s["base_url"] + "oauth.v2.access", data=form, timeout=10).json()

    assert public(code, code_verifier="w" * 50)["error"] == "invalid_code_verifier"
    assert public(code)["error"] == "invalid_code_verifier"
    resp = public(code, code_verifier=verifier)
    assert resp["ok"] and resp["access_token"].startswith("xoxb-"), resp
    # without PKCE the secret is required
    assert public(code_for(universe))["error"] == "bad_client_secret"


def test_issued_tokens_go_with_a_reset_and_an_uninstall(universe, control):
    token = install(universe, scopes=("channels:read",))["access_token"]
    assert client(universe, token).auth_test()["ok"]
    assert control.post(f"universes/{universe['id']}/reset").status_code == 200
    expect_error("invalid_auth", client(universe, token).auth_test)

    s = oauth(universe)
    token = install(universe, scopes=("channels:read",))["access_token"]
    bot = client(universe, s["bot_token"])
    expect_error("bad_client_secret", bot.apps_uninstall, client_id=s["client_id"], client_secret="x")
    assert bot.apps_uninstall(client_id=s["client_id"], client_secret=s["client_secret"])["ok"]
    expect_error("token_revoked", client(universe, token).auth_test)
    expect_error("token_revoked", bot.auth_test)
    expect_error("token_revoked", client(universe, s["user_token"]).auth_test)


def test_oauth_v2_exchange_without_token_rotation(universe):
    s = oauth(universe)
    expect_error("token_rotation_not_enabled", anonymous(universe).oauth_v2_exchange,
                 client_id=s["client_id"], client_secret=s["client_secret"], token=s["bot_token"])
    # an unknown token routes nowhere: name the universe in the path
    pinned = WebClient(base_url=s["oauth_authorize_url"].replace("/oauth/v2/authorize", "/api/"))
    expect_error("invalid_token", pinned.oauth_v2_exchange,
                 client_id=s["client_id"], client_secret=s["client_secret"], token="xoxb-nope")


# --- token rotation -----------------------------------------------------------------------


@pytest.fixture
def rotating(control):
    """A universe whose app has token rotation on (the default fixture, `slack.app.token_rotation`)."""
    fixture = yaml.safe_load((REPO_ROOT / "fixtures" / "default.yaml").read_text())
    fixture["slack"]["app"] = {"token_rotation": True}
    resp = control.post("universes", json={"fixture": fixture})
    assert resp.status_code in (200, 201), resp.text
    universe = resp.json()
    yield universe
    control.delete(f"universes/{universe['id']}")


def test_rotating_tokens_expire_and_refresh(rotating, control):
    universe = rotating
    s = oauth(universe)
    resp = install(universe, scopes=("chat:write", "channels:read"), user_scopes=("users:read",))
    conforms("oauth.v2.access", resp)
    assert resp["access_token"].startswith("xoxe.xoxb-1-") and resp["refresh_token"].startswith("xoxe-1-")
    assert resp["expires_in"] == 43200 and resp["authed_user"]["expires_in"] == 43200
    assert resp["authed_user"]["access_token"].startswith("xoxe.xoxp-1-")
    bot = client(universe, resp["access_token"])
    assert bot.auth_test()["ok"]
    advance_clock(control, universe, 43201)
    expect_error("token_expired", bot.auth_test)

    def refresh(token: str) -> Any:
        return anonymous(universe).oauth_v2_access(
            client_id=s["client_id"], client_secret=s["client_secret"], grant_type="refresh_token", refresh_token=token)

    fresh = refresh(resp["refresh_token"])
    conforms("oauth.v2.access", fresh)
    assert fresh["token_type"] == "bot" and fresh["scope"] == "chat:write,channels:read"
    assert fresh["bot_user_id"] == s["bot_user_id"] and fresh["refresh_token"] != resp["refresh_token"]
    assert client(universe, fresh["access_token"]).conversations_list(limit=1)["ok"]
    expect_error("invalid_refresh_token", refresh, resp["refresh_token"])  # each refresh token works once
    person = refresh(resp["authed_user"]["refresh_token"])
    assert person["token_type"] == "user" and person["user_id"] == resp["authed_user"]["id"]
    assert person["scope"] == "users:read"


def test_exchanging_a_long_lived_token_once(rotating):
    universe = rotating
    s = oauth(universe)

    def exchange_token(token: str) -> Any:
        return anonymous(universe).oauth_v2_exchange(client_id=s["client_id"], client_secret=s["client_secret"], token=token)

    resp = exchange_token(s["bot_token"])
    conforms("oauth.v2.exchange", resp)
    assert resp["token_type"] == "bot" and resp["access_token"].startswith("xoxe.xoxb-1-")
    assert resp["expires_in"] == 43200 and resp["bot_user_id"] == s["bot_user_id"]
    assert client(universe, resp["access_token"]).users_list(limit=1)["ok"]  # the bot token's scopes
    expect_error("token_already_exchanged", exchange_token, s["bot_token"])
    expect_error("token_already_exchanged", exchange_token, resp["access_token"])
    person = exchange_token(s["user_token"])
    assert person["token_type"] == "user" and person["user_id"]


# --- the v2 user flow and classic apps ----------------------------------------------------


def test_v2_user_flow(universe):
    s = oauth(universe)
    url = s["oauth_authorize_url"].replace("/oauth/v2/", "/oauth/v2_user/")
    url += "?" + urllib.parse.urlencode({"client_id": s["client_id"], "scope": "users:read", "redirect_uri": REDIRECT})
    code = follow(url)["code"]
    expect_error("oauth_authorization_url_mismatch", lambda: exchange(universe, code))
    # slack_sdk 3.47 has no oauth_v2_user_access: the generic call, credentials as HTTP Basic
    auth = {"client_id": s["client_id"], "client_secret": s["client_secret"]}

    def user_access(code: str) -> Any:
        return anonymous(universe).api_call("oauth.v2.user.access", data={"code": code, "redirect_uri": REDIRECT}, auth=auth)

    resp = user_access(code)
    conforms("oauth.v2.user.access", resp)
    assert resp["token_type"] == "user" and resp["scope"] == "users:read"
    assert client(universe, resp["access_token"]).auth_test()["user_id"] == resp["user_id"]
    url = url.replace("scope=users%3Aread", "scope=")
    expect_error("no_user_scopes", user_access, follow(url)["code"])


def test_classic_oauth_access(slack, universe):
    s = oauth(universe)
    url = s["oauth_authorize_url"].replace("/oauth/v2/authorize", "/oauth/authorize")
    url += "?" + urllib.parse.urlencode({"client_id": s["client_id"], "scope": "bot,channels:read", "redirect_uri": REDIRECT})
    code = follow(url)["code"]

    def access():
        return anonymous(universe).oauth_access(
            client_id=s["client_id"], client_secret=s["client_secret"], code=code, redirect_uri=REDIRECT)

    resp = access()
    conforms("oauth.access", resp)
    assert resp["scope"] == "bot,channels:read" and resp["team_id"] == s["team_id"]
    assert client(universe, resp["access_token"]).conversations_list(limit=1)["ok"]
    assert resp["bot"]["bot_user_id"] == slack.bot_user
    assert client(universe, resp["bot"]["bot_access_token"]).auth_test()["user_id"] == slack.bot_user
    expect_error("code_already_used", access)


# --- Sign in with Slack ---------------------------------------------------------------


def openid_url(universe: dict[str, Any], nonce: str = "n-0S6") -> str:
    s = oauth(universe)
    return OpenIDConnectAuthorizeUrlGenerator(
        client_id=s["client_id"],
        scopes=["openid", "email", "profile"],
        redirect_uri=REDIRECT,
        authorization_url=s["openid_authorize_url"],
    ).generate(state="st", nonce=nonce)


def test_sign_in_with_slack(slack, universe):
    s = oauth(universe)
    query = follow(openid_url(universe))
    assert query["state"] == "st"
    resp = anonymous(universe).openid_connect_token(
        client_id=s["client_id"], client_secret=s["client_secret"], code=query["code"], redirect_uri=REDIRECT)
    conforms("openid.connect.token", resp)
    assert resp["token_type"] == "Bearer"
    # the id token verifies against the keys the twin publishes
    keys_url = s["openid_authorize_url"].replace("/openid/connect/authorize", "/openid/connect/keys")
    key = jwt.PyJWKClient(keys_url).get_signing_key_from_jwt(resp["id_token"]).key
    claims = jwt.decode(resp["id_token"], key, algorithms=["RS256"], audience=s["client_id"], issuer="https://slack.com")
    assert claims["nonce"] == "n-0S6" and claims["email"].endswith("@acme.test")
    assert claims["https://slack.com/team_id"] == s["team_id"]

    info = client(universe, resp["access_token"]).openid_connect_userInfo()
    conforms("openid.connect.userInfo", info)
    assert info["sub"] == claims["sub"] and info["email"] == claims["email"]
    # the token has the OpenID scopes only
    expect_error("missing_scope", client(universe, resp["access_token"]).users_list)
    expect_error("invalid_grant", lambda: anonymous(universe).openid_connect_token(
        client_id=s["client_id"], client_secret=s["client_secret"], code=query["code"], redirect_uri=REDIRECT))

    discovery = requests.get(keys_url.replace("/openid/connect/keys", "/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == "https://slack.com" and discovery["jwks_uri"] == keys_url


def test_sign_in_refusals(universe):
    s = oauth(universe)
    url = openid_url(universe).replace("openid%2Cemail%2Cprofile", "openid%2Cchat%3Awrite").replace(
        "openid,email,profile", "openid,chat:write")
    assert follow(url)["error"] == "invalid_scope"
    expect_error("unsupported_grant_type", lambda: anonymous(universe).openid_connect_token(
        client_id=s["client_id"], client_secret=s["client_secret"], code="x", grant_type="implicit"))


# --- Bolt's OAuth flow -------------------------------------------------------------------


def test_bolt_oauth_flow_installs_and_authorizes(universe, tmp_path):
    from slack_bolt.oauth.oauth_flow import OAuthFlow
    from slack_bolt.oauth.oauth_settings import OAuthSettings
    from slack_bolt.request import BoltRequest
    from slack_sdk.oauth.installation_store import FileInstallationStore
    from slack_sdk.oauth.state_store import FileOAuthStateStore

    s = oauth(universe)
    store = FileInstallationStore(base_dir=str(tmp_path / "installations"))
    flow = OAuthFlow(
        client=WebClient(base_url=s["base_url"]),
        settings=OAuthSettings(
            client_id=s["client_id"],
            client_secret=s["client_secret"],
            scopes=["chat:write", "channels:read"],
            user_scopes=["search:read"],
            redirect_uri=REDIRECT,
            authorization_url=s["oauth_authorize_url"],
            install_page_rendering_enabled=False,
            installation_store=store,
            state_store=FileOAuthStateStore(expiration_seconds=600, base_dir=str(tmp_path / "states")),
        ),
    )
    started = flow.handle_installation(BoltRequest(body="", query={}, headers={}))
    assert started.status == 302, started.body
    cookie = started.headers["set-cookie"][0].split(";")[0]
    query = follow(started.headers["location"][0])
    done = flow.handle_callback(BoltRequest(body="", query=urllib.parse.urlencode(query), headers={"cookie": [cookie]}))
    assert done.status == 200, done.body
    installation = store.find_installation(enterprise_id=None, team_id=s["team_id"])
    assert installation is not None and installation.bot_scopes == ["chat:write", "channels:read"]
    assert installation.bot_user_id == s["bot_user_id"] and installation.user_scopes == ["search:read"]
    assert client(universe, installation.bot_token).conversations_list(limit=1)["ok"]


# --- apps.activities.list, apps.icon.set, blocks.validate ------------------------------------


def png(width: int, height: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I4sII", 13, b"IHDR", width, height) + b"\x08\x06\x00\x00\x00" + b"\x00" * 16


def test_apps_activities_list(slack, universe):
    s = oauth(universe)
    # slack_sdk 3.47 has no apps_activities_list: the generic call
    def activities(web: WebClient, **args: str) -> Any:
        return web.api_call("apps.activities.list", params=args)

    expect_error("missing_scope", activities, slack.user, app_id=s["app_id"])
    expect_error("not_allowed_token_type", activities, slack.bot, app_id=s["app_id"])
    user = client(universe, install(universe, scopes=(), user_scopes=("hosting:read",))["authed_user"]["access_token"])
    resp = activities(user, app_id=s["app_id"], min_log_level="info", sort_direction="desc")
    conforms("apps.activities.list", resp)
    assert resp["activities"] == [] and resp["response_metadata"]["next_cursor"] == ""
    expect_error("invalid_app_id", activities, user, app_id="not-an-app")
    expect_error("invalid_app", activities, user, app_id="A0OTHER")
    expect_error("invalid_args", activities, user, app_id=s["app_id"], min_log_level="loud")
    expect_error("invalid_args", activities, user, app_id=s["app_id"], component_type="cron")
    expect_error("invalid_cursor", activities, user, app_id=s["app_id"], cursor="bG9nOjE=")


def test_apps_icon_set(slack, universe):
    s = oauth(universe)
    expect_error("missing_scope", slack.user.api_call, "apps.icon.set", params={"app_id": s["app_id"]})
    admin = client(universe, install(universe, scopes=(), user_scopes=("app_configurations:write",))["authed_user"]["access_token"])
    assert admin.api_call("apps.icon.set", data={"app_id": s["app_id"]}, files={"file": png(600, 600)})["ok"]
    assert admin.api_call("apps.icon.set", params={"app_id": s["app_id"], "url": "https://example.com/icon.png"})["ok"]
    expect_error("invalid_icon_size", admin.api_call, "apps.icon.set", data={"app_id": s["app_id"]}, files={"file": png(64, 64)})
    expect_error("error_bad_format", admin.api_call, "apps.icon.set", data={"app_id": s["app_id"]}, files={"file": b"GIF? no"})
    expect_error("missing_arguments", admin.api_call, "apps.icon.set", params={"app_id": s["app_id"]})
    expect_error("invalid_parameters", admin.api_call, "apps.icon.set",
                 data={"app_id": s["app_id"], "url": "https://example.com/i.png"}, files={"file": png(600, 600)})
    expect_error("icon_not_accessible", admin.api_call, "apps.icon.set", params={"app_id": s["app_id"], "url": "file:///etc/x"})
    expect_error("invalid_app_id", admin.api_call, "apps.icon.set", params={"app_id": "nope", "url": "https://e.com/i.png"})
    # only a workspace admin may change the app
    member = client(universe, install(universe, scopes=(), user_scopes=("app_configurations:write",), dtu_user="bob")[
        "authed_user"]["access_token"])
    expect_error("no_permission", member.api_call, "apps.icon.set", params={"app_id": s["app_id"], "url": "https://e.com/i.png"})


def test_blocks_validate(slack):
    good = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}, {"type": "divider"}]
    resp = slack.bot.api_call("blocks.validate", json={"blocks": good})
    assert resp.data == {"ok": True}
    bad = expect_error("invalid_blocks", slack.bot.api_call, "blocks.validate",
                       json={"blocks": [{"type": "section", "text": {"type": "invalid", "text": "x"}}]})
    assert bad["errors"] == [{"code": "failed_constraint", "message": "`invalid` is not an allowed type here", "pointer": "/0/text/type",
                              "constraint": {"type": "enum", "expected": ["plain_text", "mrkdwn"]}}]
    bad = expect_error("invalid_view", slack.user.api_call, "blocks.validate",
                       params={"view": '{"type": "modal", "blocks": [{"type": "header"}]}'})
    assert [e["pointer"] for e in bad["errors"]] == ["/title", "/blocks/0/text"]
    expect_error("invalid_message", slack.bot.api_call, "blocks.validate", json={"message": {"blocks": [{"type": 3}]}})
    assert slack.bot.api_call("blocks.validate", json={"message": {"text": "hi"}})["ok"]
    resp = expect_error("invalid_arguments", slack.bot.api_call, "blocks.validate", json={"blocks": good, "view": {}})
    assert resp["response_metadata"]["messages"]
    expect_error("invalid_arguments", slack.bot.api_call, "blocks.validate", params={"blocks": "[{"})
    expect_error("invalid_arguments", slack.bot.api_call, "blocks.validate")


@pytest.mark.parametrize("method", ["rtm.connect", "rtm.start"])
def test_rtm_stays_closed_to_installed_tokens(universe, method):
    token = install(universe, scopes=("channels:read",), user_scopes=("users:read",))
    expect_error("not_allowed_token_type", client(universe, token["access_token"]).api_call, method)
    expect_error("not_allowed_token_type", client(universe, token["authed_user"]["access_token"]).api_call, method)
