"""Authenticators through the official `okta` Python SDK: the ones a new org has,
lifecycle within Okta's rules (never the password, never one an enrollment policy
names), adding and configuring them, and their methods."""

from __future__ import annotations

from okta import models

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    api_error,
    conforms,
    okta,
    raw,
    unwrap,
)

NEW_ORG = [
    ("okta_email", "email", "Email", "ACTIVE"),
    ("okta_password", "password", "Password", "ACTIVE"),
    ("okta_verify", "app", "Okta Verify", "ACTIVE"),
    ("phone_number", "phone", "Phone", "INACTIVE"),
    ("security_question", "security_question", "Security Question", "INACTIVE"),
    ("webauthn", "security_key", "Security Key or Biometric", "INACTIVE"),
]


async def by_key(okta, key: str):
    return next(a for a in unwrap(await okta.list_authenticators()) if a.key == key)


def log_types(universe, target_id: str) -> list[str]:
    query = f"/api/v1/logs?until=2100-01-01T00:00:00.000Z&filter=target.id%20eq%20%22{target_id}%22"
    return [e["eventType"] for e in raw(universe, "GET", query).json()]


async def test_a_new_org_has_oktas_authenticators(okta, universe):
    listed = unwrap(await okta.list_authenticators())
    assert [(a.key, a.type, a.name, a.status) for a in listed] == NEW_ORG
    email = listed[0]
    assert type(email).__name__ == "AuthenticatorKeyEmail", "the SDK picks the model by key"
    assert email.settings.allowed_for == "any" and email.settings.token_lifetime_in_minutes == 5
    base = universe["okta"]["org_url"]
    for body in raw(universe, "GET", "/api/v1/authenticators").json():
        conforms(body, "Authenticator")
        assert body["id"].startswith("aut") and len(body["id"]) == 20
        me = f"{base}/api/v1/authenticators/{body['id']}"
        assert body["_links"]["self"]["href"] == me and body["_links"]["methods"]["href"] == f"{me}/methods"
        assert ("deactivate" in body["_links"]) == (body["status"] == "ACTIVE" and body["key"] != "okta_password")
        assert ("activate" in body["_links"]) == (body["status"] == "INACTIVE")
        for method in raw(universe, "GET", f"/api/v1/authenticators/{body['id']}/methods").json():
            conforms(method, "AuthenticatorMethodBase")
    got = unwrap(await okta.get_authenticator(email.id))
    assert (got.id, got.key) == (email.id, "okta_email")
    api_error(await okta.get_authenticator("autNOPE0000000000000"), 404, "E0000007")


async def test_activate_and_deactivate_are_logged(okta, universe):
    phone = await by_key(okta, "phone_number")
    active = unwrap(await okta.activate_authenticator(phone.id))
    assert active.status == "ACTIVE"
    conforms(raw(universe, "GET", f"/api/v1/authenticators/{phone.id}").json(), "Authenticator")
    assert (await by_key(okta, "phone_number")).status == "ACTIVE"
    inactive = unwrap(await okta.deactivate_authenticator(phone.id))
    assert inactive.status == "INACTIVE"
    assert log_types(universe, phone.id) == [
        "security.authenticator.lifecycle.activate",
        "security.authenticator.lifecycle.deactivate",
    ]
    missing = raw(universe, "POST", "/api/v1/authenticators/autNOPE0000000000000/lifecycle/activate")
    assert missing.status_code == 404 and missing.json()["errorCode"] == "E0000007"


async def test_the_password_and_enrolled_authenticators_stay_on(okta, universe):
    password = await by_key(okta, "okta_password")
    err = api_error(await okta.deactivate_authenticator(password.id), 400, "E0000001")
    assert "password" in err.error_causes[0]["errorSummary"]
    email = await by_key(okta, "okta_email")
    api_error(await okta.deactivate_authenticator(email.id), 400, "E0000001")
    assert (await by_key(okta, "okta_email")).status == "ACTIVE"
    # Once the enrollment policy no longer names it, email can go.
    policy = raw(universe, "GET", "/api/v1/policies?type=MFA_ENROLL").json()[0]
    policy["settings"]["authenticators"] = [
        a for a in policy["settings"]["authenticators"] if a["key"] != "okta_email"
    ]
    resp = raw(universe, "PUT", f"/api/v1/policies/{policy['id']}", json=policy)
    assert resp.status_code == 200, resp.text
    assert unwrap(await okta.deactivate_authenticator(email.id)).status == "INACTIVE"
    assert log_types(universe, email.id) == ["security.authenticator.lifecycle.deactivate"]


async def test_create_adds_a_key_once(okta, universe):
    made = unwrap(await okta.create_authenticator(models.AuthenticatorBase.from_dict({"key": "google_otp", "name": "Google Authenticator"})))
    assert (made.key, made.type, made.status) == ("google_otp", "app", "INACTIVE")
    conforms(raw(universe, "GET", f"/api/v1/authenticators/{made.id}").json(), "Authenticator")
    assert [a.key for a in unwrap(await okta.list_authenticators())][-1] == "google_otp"
    again = raw(universe, "POST", "/api/v1/authenticators", json={"key": "google_otp", "name": "Again"})
    assert again.status_code == 400 and again.json()["errorCode"] == "E0000001", again.text
    seeded = raw(universe, "POST", "/api/v1/authenticators", json={"key": "okta_email", "name": "Email"})
    assert seeded.status_code == 400
    unknown = raw(universe, "POST", "/api/v1/authenticators", json={"key": "carrier_pigeon", "name": "Coo"})
    assert unknown.status_code == 400 and unknown.json()["errorCode"] == "E0000001"
    active = raw(universe, "POST", "/api/v1/authenticators?activate=true", json={"key": "yubikey_token", "name": "YubiKey"})
    assert active.status_code == 200 and active.json()["status"] == "ACTIVE", active.text
    assert log_types(universe, active.json()["id"]) == [
        "security.authenticator.lifecycle.create",
        "security.authenticator.lifecycle.activate",
    ]


async def test_replace_renames_and_configures_within_the_rules(okta, universe):
    email = await by_key(okta, "okta_email")
    body = {"key": "okta_email", "type": "email", "name": "Work email",
            "settings": {"allowedFor": "recovery", "tokenLifetimeInMinutes": 30}}
    replaced = unwrap(await okta.replace_authenticator(email.id, models.AuthenticatorBase.from_dict(body)))
    assert replaced.name == "Work email" and replaced.settings.token_lifetime_in_minutes == 30
    got = raw(universe, "GET", f"/api/v1/authenticators/{email.id}").json()
    conforms(got, "Authenticator")
    assert got["settings"] == {"allowedFor": "recovery", "tokenLifetimeInMinutes": 30}
    for bad in [
        {**body, "settings": {"allowedFor": "everyone"}},
        {**body, "settings": {"tokenLifetimeInMinutes": 0}},
        {**body, "key": "okta_password"},
        {**body, "name": "  "},
    ]:
        resp = raw(universe, "PUT", f"/api/v1/authenticators/{email.id}", json=bad)
        assert resp.status_code == 400 and resp.json()["errorCode"] == "E0000001", (bad, resp.text)
    assert log_types(universe, email.id) == ["security.authenticator.lifecycle.update"]


async def test_methods_list_get_replace_and_lifecycle(okta, universe):
    verify = await by_key(okta, "okta_verify")
    methods = unwrap(await okta.list_authenticator_methods(verify.id))
    assert [(m.type, m.status) for m in methods] == [("push", "ACTIVE"), ("signed_nonce", "ACTIVE"), ("totp", "ACTIVE")]
    totp = unwrap(await okta.get_authenticator_method(verify.id, "totp"))
    assert totp.settings.pass_code_length == 6 and totp.settings.time_interval_in_seconds == 30
    webauthn = await by_key(okta, "webauthn")
    method = models.AuthenticatorMethodBase.from_dict(
        {"type": "webauthn", "settings": {"userVerification": "REQUIRED", "attachment": "ROAMING"}})
    changed = unwrap(await okta.replace_authenticator_method(webauthn.id, "webauthn", method))
    assert changed.settings.user_verification == "REQUIRED"
    got = raw(universe, "GET", f"/api/v1/authenticators/{webauthn.id}/methods/webauthn").json()
    conforms(got, "AuthenticatorMethodBase")
    # (the SDK also sends its default enableAutofillUI)
    assert (got["settings"]["userVerification"], got["settings"]["attachment"]) == ("REQUIRED", "ROAMING")
    bad = raw(universe, "PUT", f"/api/v1/authenticators/{webauthn.id}/methods/webauthn",
              json={"type": "webauthn", "settings": {"attachment": "POCKET"}})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "E0000001", bad.text

    phone = await by_key(okta, "phone_number")
    unwrap(await okta.activate_authenticator(phone.id))
    # The only active method of an active authenticator stays on …
    api_error(await okta.deactivate_authenticator_method(phone.id, "sms"), 400, "E0000001")
    voice = unwrap(await okta.activate_authenticator_method(phone.id, "voice"))
    assert voice.status == "ACTIVE"
    # … until another is on.
    assert unwrap(await okta.deactivate_authenticator_method(phone.id, "sms")).status == "INACTIVE"
    listed = raw(universe, "GET", f"/api/v1/authenticators/{phone.id}/methods").json()
    assert [(m["type"], m["status"]) for m in listed] == [("sms", "INACTIVE"), ("voice", "ACTIVE")]
    assert "activate" in listed[0]["_links"] and "deactivate" in listed[1]["_links"]

    password = await by_key(okta, "okta_password")
    api_error(await okta.deactivate_authenticator_method(password.id, "password"), 400, "E0000001")
    missing = raw(universe, "GET", f"/api/v1/authenticators/{password.id}/methods/totp")
    assert missing.status_code == 404 and missing.json()["errorCode"] == "E0000007"
