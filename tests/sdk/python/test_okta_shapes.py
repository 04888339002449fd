"""Small shapes Okta's own answers have (from recordings of real traffic): the
lifecycle links a user carries follow its status, a group's profile always has
`description`, and deleting a group rule answers an empty object."""

from __future__ import annotations

import pytest
from okta import models

from test_okta_support import SEEDED_PASSWORD, api_error, conforms, okta, raw, unwrap  # noqa: F401  (okta is a fixture)


ACTIVE_LINKS = {
    "suspend",
    "resetPassword",
    "expirePassword",
    "forgotPassword",
    "changeRecoveryQuestion",
    "deactivate",
    "changePassword",
    "resetFactors",
}


def links(universe, user_id: str) -> set[str]:
    resp = raw(universe, "GET", f"/api/v1/users/{user_id}")
    assert resp.status_code == 200, resp.text
    return set(resp.json()["_links"]) - {"self", "schema", "type"}


async def test_user_links_follow_the_status(okta, universe):
    body = {"profile": {"firstName": "Sam", "lastName": "Staged", "email": "sam@acme.test", "login": "sam@acme.test"}}
    staged = raw(universe, "POST", "/api/v1/users?activate=false", json=body).json()
    assert staged["status"] == "STAGED"
    assert links(universe, staged["id"]) == {"activate"}
    carol = unwrap(await okta.get_user("carol@acme.test"))
    assert links(universe, carol.id) == ACTIVE_LINKS
    expired = raw(universe, "POST", f"/api/v1/users/{carol.id}/lifecycle/expire_password")
    assert expired.status_code == 200, expired.text
    assert expired.json()["status"] == "PASSWORD_EXPIRED"
    assert links(universe, carol.id) == ACTIVE_LINKS


async def test_a_group_without_a_description_shows_it_as_null(okta, universe):
    made = raw(universe, "POST", "/api/v1/groups", json={"profile": {"name": "No description"}})
    assert made.status_code == 200, made.text
    assert made.json()["profile"] == {"name": "No description", "description": None}
    group = unwrap(await okta.get_group(made.json()["id"]))
    # GroupProfile is a oneOf: the SDK's model of an Okta group's profile is the instance.
    profile = group.profile.actual_instance
    assert (profile.name, profile.description) == ("No description", None)


def test_deleting_a_group_rule_answers_an_empty_object(universe):
    groups = raw(universe, "GET", "/api/v1/groups?q=Engineering").json()
    rule = {
        "type": "group_rule",
        "name": "Engineers by department",
        "conditions": {"expression": {"type": "urn:okta:expression:1.0", "value": 'user.department=="Engineering"'}},
        "actions": {"assignUserToGroups": {"groupIds": [groups[0]["id"]]}},
    }
    made = raw(universe, "POST", "/api/v1/groups/rules", json=rule)
    assert made.status_code == 200, made.text
    gone = raw(universe, "DELETE", f"/api/v1/groups/rules/{made.json()['id']}")
    assert gone.status_code == 202 and gone.json() == {}, gone.text


async def test_password_apps_through_the_sdk_swa_and_secure_password_store(okta, universe):
    from okta import models

    swa = models.Application.from_dict(
        {
            "label": "Expenses",
            "signOnMode": "BROWSER_PLUGIN",
            "name": "template_swa",
            "settings": {
                "app": {
                    "url": "https://expenses.example.com/login",
                    "usernameField": "#user",
                    "passwordField": "#pass",
                    "buttonField": "#go",
                }
            },
        }
    )
    made = unwrap(await okta.create_application(swa))
    assert type(made).__name__ == "BrowserPluginApplication" and made.sign_on_mode == "BROWSER_PLUGIN"
    assert made.settings.app.button_field == "#go"
    sps = models.Application.from_dict(
        {
            "label": "Vault",
            "signOnMode": "SECURE_PASSWORD_STORE",
            "name": "template_sps",
            "settings": {"app": {"url": "https://vault.example.com", "usernameField": "u", "passwordField": "p"}},
        }
    )
    made = unwrap(await okta.create_application(sps))
    assert type(made).__name__ == "SecurePasswordStoreApplication"
    assert made.credentials.scheme == "EDIT_USERNAME_AND_PASSWORD"


def test_a_template_name_alone_chooses_the_sign_on_mode(universe):
    body = {"name": "bookmark", "label": "Wiki", "settings": {"app": {"url": "https://wiki.example.com"}}}
    made = raw(universe, "POST", "/api/v1/apps", json=body)
    assert made.status_code == 200, made.text
    assert (made.json()["signOnMode"], made.json()["name"]) == ("BOOKMARK", "bookmark")
    swa = {"name": "template_swa", "label": "No fields", "settings": {"app": {"url": "https://x.example.com"}}}
    refused = raw(universe, "POST", "/api/v1/apps", json=swa)
    assert refused.status_code == 400 and refused.json()["errorCode"] == "E0000001", refused.text
    assert raw(universe, "GET", "/api/v1/apps?q=No%20fields").json() == []


async def test_forgot_password_gives_a_link_or_resets_by_recovery_question(okta, universe):
    from okta import models

    carol = unwrap(await okta.get_user("carol@acme.test"))
    link = unwrap(await okta.forgot_password(carol.id, send_email=False))
    assert link.reset_password_url and "/signin/reset-password/" in link.reset_password_url
    mailed = raw(universe, "POST", f"/api/v1/users/{carol.id}/credentials/forgot_password")
    assert mailed.status_code == 200 and mailed.json() == {}, mailed.text
    assert unwrap(await okta.get_user(carol.id)).status == "ACTIVE"

    set_question = raw(
        universe,
        "POST",
        f"/api/v1/users/{carol.id}/credentials/change_recovery_question",
        json={"password": {"value": SEEDED_PASSWORD}, "recovery_question": {"question": "First pet?", "answer": "Rex the dog"}},
    )
    assert set_question.status_code == 200, set_question.text
    wrong = raw(
        universe,
        "POST",
        f"/api/v1/users/{carol.id}/credentials/forgot_password_recovery_question",
        json={"password": {"value": "N3w-Passw0rd!x"}, "recovery_question": {"answer": "Felix the cat"}},
    )
    assert wrong.status_code == 403 and wrong.json()["errorCode"] == "E0000014", wrong.text
    creds = models.UserCredentials.from_dict(
        {"password": {"value": "N3w-Passw0rd!x"}, "recovery_question": {"answer": "rex the dog"}}
    )
    out = unwrap(await okta.forgot_password_set_new_password(carol.id, creds))
    assert out.recovery_question.question == "First pet?"
    signed_in = raw(universe, "POST", "/api/v1/authn", json={"username": "carol@acme.test", "password": "N3w-Passw0rd!x"})
    assert signed_in.status_code == 200 and signed_in.json()["status"] == "SUCCESS", signed_in.text


async def test_forgot_password_is_refused_for_a_staged_user(okta, universe):
    body = {"profile": {"firstName": "Ned", "lastName": "New", "email": "ned@acme.test", "login": "ned@acme.test"}}
    staged = raw(universe, "POST", "/api/v1/users?activate=false", json=body).json()
    refused = raw(universe, "POST", f"/api/v1/users/{staged['id']}/credentials/forgot_password?sendEmail=false")
    assert refused.status_code == 403 and refused.json()["errorCode"] == "E0000038", refused.text


def test_authn_embeds_the_users_own_locale_and_time_zone(universe):
    body = {
        "profile": {
            "firstName": "Fleur",
            "lastName": "Martin",
            "email": "fleur@acme.test",
            "login": "fleur@acme.test",
            "locale": "fr_FR",
            "timezone": "Europe/Paris",
        },
        "credentials": {"password": {"value": "Fl3ur-Passw0rd!"}},
    }
    made = raw(universe, "POST", "/api/v1/users?activate=true", json=body)
    assert made.status_code == 200, made.text
    resp = raw(universe, "POST", "/api/v1/authn", json={"username": "fleur@acme.test", "password": "Fl3ur-Passw0rd!"})
    assert resp.status_code == 200, resp.text
    profile = resp.json()["_embedded"]["user"]["profile"]
    assert (profile["locale"], profile["timeZone"]) == ("fr_FR", "Europe/Paris")


def without_nulls(body):
    """`body` without its null values: Okta sends nulls (`lastLogin`, an app's
    `accessibility.errorRedirectUrl`…) where the vendor schema types a string."""
    if isinstance(body, dict):
        return {k: without_nulls(v) for k, v in body.items() if v is not None}
    if isinstance(body, list):
        return [without_nulls(v) for v in body]
    return body


# --- paging -----------------------------------------------------------------------


def first_id(universe, path: str) -> str:
    resp = raw(universe, "GET", path)
    assert resp.status_code == 200 and resp.json(), resp.text
    return resp.json()[0]["id"]


@pytest.mark.parametrize("cursor", ["bogus", "00u", "0oa1uGLT9Ca6oVSyrHKnX", "1"])
def test_a_cursor_never_handed_out_is_an_invalid_paging_request(universe, cursor):
    group = first_id(universe, "/api/v1/groups")
    app = first_id(universe, "/api/v1/apps")
    for path in [
        "/api/v1/users",
        "/api/v1/groups",
        "/api/v1/apps",
        "/api/v1/logs",
        "/api/v1/authorizationServers",
        "/api/v1/api-tokens",
        "/api/v1/zones",
        f"/api/v1/groups/{group}/users",
        f"/api/v1/apps/{app}/groups",
    ]:
        resp = raw(universe, "GET", path, params={"after": cursor})
        assert resp.status_code == 400, (path, resp.status_code, resp.text)
        body = resp.json()
        assert (body["errorCode"], body["errorSummary"]) == ("E0000029", "Invalid paging request."), (path, body)
        assert body["errorCauses"] == [{"errorSummary": "Invalid cursor."}]
        conforms(body, "Error")


def test_api_tokens_page_with_limit_and_after(universe, control):
    minted = control.post(f"universes/{universe['id']}/okta/api-tokens", json={"user": "bob@acme.test"})
    assert minted.status_code in (200, 201), minted.text
    first = raw(universe, "GET", "/api/v1/api-tokens?limit=1")
    assert first.status_code == 200 and len(first.json()) == 1, first.text
    assert 'rel="next"' in first.headers["link"], first.headers
    nxt = first.headers["link"].split(", ")[-1].split(";")[0].strip("<>")
    second = raw(universe, "GET", nxt.split(universe["okta"]["org_url"], 1)[1])
    assert second.status_code == 200 and len(second.json()) == 1, second.text
    assert 'rel="next"' not in second.headers["link"]
    assert {t["id"] for t in first.json() + second.json()} == {t["id"] for t in raw(universe, "GET", "/api/v1/api-tokens").json()}
    assert minted.json()["id"] in {t["id"] for t in first.json() + second.json()}


async def test_the_sdk_sees_an_invalid_cursor_as_e0000029_and_walks_real_ones(okta, universe):
    api_error(await okta.list_users(after="bogus"), 400, "E0000029")
    api_error(await okta.list_groups(after="bogus"), 400, "E0000029")
    # A cursor shaped like a user id still resumes by id (the user may have gone since).
    users = raw(universe, "GET", "/api/v1/users").json()
    resumed = raw(universe, "GET", "/api/v1/users", params={"after": users[0]["id"][:-1] + "0"})
    assert resumed.status_code == 200, resumed.text
    # Authorization servers page like every other listing.
    first = raw(universe, "GET", "/api/v1/authorizationServers?limit=1")
    assert first.status_code == 200 and len(first.json()) == 1
    made = raw(universe, "POST", "/api/v1/authorizationServers", json={"name": "Paged", "audiences": ["api://paged"]})
    assert made.status_code == 201, made.text
    first = raw(universe, "GET", "/api/v1/authorizationServers?limit=1")
    assert 'rel="next"' in first.headers["link"], first.headers
    nxt = first.headers["link"].split(", ")[-1].split(";")[0].strip("<>")
    second = raw(universe, "GET", nxt.split(universe["okta"]["org_url"], 1)[1])
    assert second.status_code == 200 and [s["id"] for s in second.json()] != [s["id"] for s in first.json()]
    for server in first.json() + second.json():
        conforms(server, "AuthorizationServer")


# --- factors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factor",
    [
        {"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+15555550123"}},
        {"factorType": "call", "provider": "OKTA", "profile": {"phoneNumber": "+15555550124"}},
        {"factorType": "email", "provider": "OKTA", "profile": {"email": "carol@acme.test"}},
    ],
)
async def test_message_factors_link_resend_while_pending_and_verify_once_active(okta, universe, control, factor):
    carol = unwrap(await okta.get_user("carol@acme.test"))
    enrolled = raw(universe, "POST", f"/api/v1/users/{carol.id}/factors", json=factor)
    assert enrolled.status_code == 200, enrolled.text
    body = enrolled.json()
    conforms(body, "UserFactor")
    me = f"{universe['okta']['org_url']}/api/v1/users/{carol.id}/factors/{body['id']}"
    resend = {"name": factor["factorType"], "href": f"{me}/resend", "hints": {"allow": ["POST"]}}
    assert body["_links"]["resend"] == resend and body["_links"]["activate"]["href"] == f"{me}/lifecycle/activate"
    assert "verify" not in body["_links"]
    listed = [f for f in raw(universe, "GET", f"/api/v1/users/{carol.id}/factors").json() if f["id"] == body["id"]]
    assert listed[0]["_links"]["resend"] == resend
    # The SDK reads the link (its UserFactorLinks model has one `resend` object).
    sdk_listed = [f for f in unwrap(await okta.list_factors(carol.id)) if f.id == body["id"]]
    assert sdk_listed[0].links.resend.href == f"{me}/resend"
    # Resend through the SDK: a new code replaces the old one.
    again = unwrap(
        await okta.resend_enroll_factor(
            carol.id, body["id"], models.ResendUserFactor.from_dict({"factorType": factor["factorType"]})
        )
    )
    assert again.factor_type == factor["factorType"]
    code = control.get(f"universes/{universe['id']}/state?service=okta").json()["okta"]["factors"][body["id"]]["secret"]
    active = raw(universe, "POST", f"{me[len(universe['okta']['org_url']):]}/lifecycle/activate", json={"passCode": code})
    assert active.status_code == 200 and active.json()["status"] == "ACTIVE", active.text
    assert active.json()["_links"]["verify"]["href"] == f"{me}/verify"
    assert not {"resend", "activate"} & set(active.json()["_links"])
    late = raw(universe, "POST", f"{me[len(universe['okta']['org_url']):]}/resend", json={"factorType": factor["factorType"]})
    assert late.status_code == 400 and late.json()["errorCode"] == "E0000001", late.text


# --- users --------------------------------------------------------------------------


def test_status_changed_is_set_at_creation_except_for_staged_users(universe):
    def create(query: str, login: str, password: bool) -> dict:
        body = {"profile": {"firstName": "Stu", "lastName": "Status", "email": login, "login": login}}
        if password:
            body["credentials"] = {"password": {"value": "Status-Passw0rd!"}}
        resp = raw(universe, "POST", f"/api/v1/users?{query}", json=body)
        assert resp.status_code == 200, resp.text
        conforms(without_nulls(resp.json()), "User")
        return resp.json()

    active = create("activate=true", "stu.active@acme.test", True)
    assert active["status"] == "ACTIVE" and active["statusChanged"] == active["created"] == active["activated"]
    provisioned = create("activate=true", "stu.prov@acme.test", False)
    assert provisioned["status"] == "PROVISIONED" and provisioned["statusChanged"] == provisioned["created"]
    staged = create("activate=false", "stu.staged@acme.test", True)
    assert staged["status"] == "STAGED" and staged["statusChanged"] is None and staged["activated"] is None
    assert raw(universe, "POST", f"/api/v1/users/{staged['id']}/lifecycle/activate?sendEmail=false").status_code == 200
    now_active = raw(universe, "GET", f"/api/v1/users/{staged['id']}").json()
    assert now_active["status"] == "ACTIVE" and now_active["statusChanged"] is not None
    for user in raw(universe, "GET", "/api/v1/users?limit=200").json():
        assert user["statusChanged"] is not None or user["status"] == "STAGED", user


def test_reset_password_answers_a_link_or_nothing(universe):
    user = raw(universe, "GET", "/api/v1/users/frank@acme.test").json()
    mailed = raw(universe, "POST", f"/api/v1/users/{user['id']}/lifecycle/reset_password?sendEmail=true")
    assert mailed.status_code == 200 and mailed.json() == {}, mailed.text
    link = raw(universe, "POST", f"/api/v1/users/{user['id']}/lifecycle/reset_password?sendEmail=false")
    assert link.status_code == 200 and list(link.json()) == ["resetPasswordUrl"], link.text
    conforms(link.json(), "ResetPasswordToken")
    assert raw(universe, "GET", f"/api/v1/users/{user['id']}").json()["status"] == "RECOVERY"


# --- apps ---------------------------------------------------------------------------

APP_SCHEMAS = {
    "AUTO_LOGIN": "AutoLoginApplication",
    "BASIC_AUTH": "BasicAuthApplication",
    "BOOKMARK": "BookmarkApplication",
    "BROWSER_PLUGIN": "BrowserPluginApplication",
    "OPENID_CONNECT": "OpenIdConnectApplication",
    "SAML_2_0": "SamlApplication",
    "SECURE_PASSWORD_STORE": "SecurePasswordStoreApplication",
}


async def test_app_links_name_the_orgs_default_access_and_enrollment_policies(okta, universe):
    def system_policy(kind: str) -> str:
        policies = raw(universe, "GET", f"/api/v1/policies?type={kind}").json()
        return next(p["id"] for p in policies if p["system"])

    access, enrollment = system_policy("ACCESS_POLICY"), system_policy("PROFILE_ENROLLMENT")
    base = universe["okta"]["org_url"]
    saml = {
        "label": "Shapes SAML",
        "signOnMode": "SAML_2_0",
        "settings": {"signOn": {
            "ssoAcsUrl": "https://saml.example.com/acs", "audience": "https://saml.example.com",
            "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
            "signatureAlgorithm": "RSA_SHA256", "digestAlgorithm": "SHA256",
        }},
    }
    auto = {"label": "Shapes auto", "signOnMode": "AUTO_LOGIN", "settings": {"signOn": {"loginUrl": "https://a.example.com/in"}}}
    for body in (saml, auto):
        made = raw(universe, "POST", "/api/v1/apps", json=body)
        assert made.status_code == 200, made.text
    apps = raw(universe, "GET", "/api/v1/apps").json()
    assert {"OPENID_CONNECT", "BASIC_AUTH", "BOOKMARK", "SAML_2_0", "AUTO_LOGIN"} <= {a["signOnMode"] for a in apps}
    for app in apps:
        # Each sign-on mode against its own vendor schema (Application's discriminator).
        conforms(without_nulls(app), APP_SCHEMAS[app["signOnMode"]])
        assert app["_links"]["accessPolicy"]["href"] == f"{base}/api/v1/policies/{access}"
        assert app["_links"]["profileEnrollment"]["href"] == f"{base}/api/v1/policies/{enrollment}"
        assert app["visibility"]["autoLaunch"] is False
        # The link resolves: it names a policy that exists.
        assert raw(universe, "GET", app["_links"]["accessPolicy"]["href"][len(base):]).status_code == 200
    made = unwrap(
        await okta.create_application(
            models.BookmarkApplication.from_dict(
                {"name": "bookmark", "label": "Linked", "signOnMode": "BOOKMARK",
                 "settings": {"app": {"url": "https://linked.example.com/"}}}
            )
        )
    )
    body = raw(universe, "GET", f"/api/v1/apps/{made.id}").json()
    assert body["_links"]["accessPolicy"]["href"].endswith(access)
    assert made.visibility.auto_launch is False


# --- credentials --------------------------------------------------------------------


async def test_change_password_works_for_staged_users_who_stay_staged(okta, universe):
    login = "stan.staged@acme.test"
    body = {"profile": {"firstName": "Stan", "lastName": "Staged", "email": login, "login": login},
            "credentials": {"password": {"value": "Staged-Passw0rd!"}}}
    staged = raw(universe, "POST", "/api/v1/users?activate=false", json=body).json()
    assert staged["status"] == "STAGED"
    change = models.ChangePasswordRequest.from_dict(
        {"oldPassword": {"value": "Staged-Passw0rd!"}, "newPassword": {"value": "Staged-Passw0rd!2"}}
    )
    creds = unwrap(await okta.change_password(staged["id"], change))
    assert creds.provider.type == "OKTA"
    after = raw(universe, "GET", f"/api/v1/users/{staged['id']}").json()
    assert (after["status"], after["activated"], after["statusChanged"]) == ("STAGED", None, None)
    assert after["passwordChanged"] >= staged["passwordChanged"]
    # A suspended user's password does not change.
    ivan = unwrap(await okta.get_user("ivan@acme.test"))
    frozen = models.ChangePasswordRequest.from_dict(
        {"oldPassword": {"value": SEEDED_PASSWORD}, "newPassword": {"value": "Suspended-Passw0rd!"}}
    )
    api_error(await okta.change_password(ivan.id, frozen), 403, "E0000038")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "bookmark", "label": "BM", "settings": {"app": {"requestIntegration": False, "url": "https://example.com/bm"}}},
        {
            "name": "template_swa",
            "label": "SWA",
            "settings": {"app": {"buttonField": "b", "passwordField": "p", "usernameField": "u", "url": "https://example.com/login"}},
        },
    ],
    ids=["bookmark", "swa"],
)
def test_app_vpn_notifications_and_signing_as_okta_records_them(universe, body):
    # okta-sdk-python's recorded bookmark and SWA apps: a DISABLED VPN notification has no
    # zone lists but a null message and help URL; password and bookmark apps sign with {}.
    created = raw(universe, "POST", "/api/v1/apps", json=body)
    assert created.status_code == 200, created.text
    for app in [created.json(), raw(universe, "GET", f"/api/v1/apps/{created.json()['id']}").json()]:
        assert app["settings"]["notifications"] == {"vpn": {"network": {"connection": "DISABLED"}, "message": None, "helpUrl": None}}
        assert app["credentials"]["signing"] == {}
        assert app["settings"]["app"]["url"].startswith("https://example.com/")


@pytest.mark.parametrize(
    "body,link",
    [
        ({"name": "bookmark", "label": "BM", "settings": {"app": {"requestIntegration": False, "url": "https://example.com/bm"}}}, "login"),
        ({"name": "template_swa", "label": "SWA", "settings": {"app": {"buttonField": "b", "passwordField": "p", "usernameField": "u", "url": "https://example.com/login"}}}, "login"),
        ({"name": "oidc_client", "label": "OIDC", "signOnMode": "OPENID_CONNECT", "settings": {"oauthClient": {"redirect_uris": ["https://example.com/cb"], "grant_types": ["authorization_code"], "response_types": ["code"]}}}, "oidc_client_link"),
    ],
    ids=["bookmark", "swa", "oidc"],
)
def test_an_apps_sign_in_link_is_named_as_okta_names_it(universe, body, link):
    # Okta's recorded apps (okta-sdk-python cassettes): `login` for template apps,
    # `oidc_client_link` for an OpenID Connect client.
    created = raw(universe, "POST", "/api/v1/apps", json=body)
    assert created.status_code == 200, created.text
    app = created.json()
    assert app["visibility"]["appLinks"] == {link: True}
    assert [x["name"] for x in app["_links"]["appLinks"]] == [link]
