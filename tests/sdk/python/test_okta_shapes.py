"""Small shapes Okta's own answers have (from recordings of real traffic): the
lifecycle links a user carries follow its status, a group's profile always has
`description`, and deleting a group rule answers an empty object."""

from __future__ import annotations

from test_okta_support import SEEDED_PASSWORD, okta, raw, unwrap  # noqa: F401  (okta is a fixture)


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
