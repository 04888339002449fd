"""The Authentication API (`/api/v1/authn`, no SDK in okta 3.x) and its effect
on users as the Management SDK sees them: sign-in, lockout after the policy's
maximum of failed attempts, unlock, the expired-password flow, and the MFA
challenge and enrolment flows."""

from __future__ import annotations

from okta import models

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    SEEDED_PASSWORD,
    okta,
    raw,
    totp,
    unwrap,
    void_error,
    void_ok,
)


def authn(universe, username: str, password: str):
    return raw(universe, "POST", "/api/v1/authn", json={"username": username, "password": password})


async def test_success_gives_a_session_token_and_records_the_login(okta, universe):
    resp = authn(universe, "carol@acme.test", SEEDED_PASSWORD)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "SUCCESS" and body["sessionToken"]
    assert body["_embedded"]["user"]["profile"]["login"] == "carol@acme.test"
    carol = unwrap(await okta.get_user("carol@acme.test"))
    assert carol.last_login is not None
    events = unwrap(await okta.list_log_events(since="2000-01-01T00:00:00Z", until="2100-01-01T00:00:00Z"))
    assert [(e.event_type, e.outcome.result, e.actor.id) for e in events] == [("user.session.start", "SUCCESS", carol.id)]


async def test_bad_credentials_and_inactive_users_fail_alike(universe):
    for username, password in [
        ("carol@acme.test", "nope"),
        ("nobody@acme.test", SEEDED_PASSWORD),
        ("ivan@acme.test", SEEDED_PASSWORD),  # SUSPENDED
        ("victor@acme.test", SEEDED_PASSWORD),  # DEPROVISIONED
    ]:
        resp = authn(universe, username, password)
        assert resp.status_code == 401, (username, resp.text)
        assert resp.json()["errorCode"] == "E0000004" and resp.json()["errorSummary"] == "Authentication failed"
    assert authn(universe, "carol@acme.test", "").json()["errorCode"] == "E0000001"


async def test_ten_failures_lock_the_user_out_until_an_admin_unlocks(okta, universe):
    for i in range(9):
        assert authn(universe, "dave@acme.test", f"wrong-{i}").status_code == 401
    assert unwrap(await okta.get_user("dave@acme.test")).status == "ACTIVE"
    assert authn(universe, "dave@acme.test", "wrong-10").status_code == 401
    dave = unwrap(await okta.get_user("dave@acme.test"))
    assert dave.status == "LOCKED_OUT"
    locked = authn(universe, "dave@acme.test", SEEDED_PASSWORD)
    assert locked.status_code == 200 and locked.json()["status"] == "LOCKED_OUT"
    assert "sessionToken" not in locked.json()
    events = unwrap(await okta.list_log_events(since="2000-01-01T00:00:00Z", until="2100-01-01T00:00:00Z", filter='eventType eq "user.account.lock"'))
    assert [e.target[0].id for e in events] == [dave.id]
    # suspend is not allowed from LOCKED_OUT; unlock is
    void_error(await okta.suspend_user(dave.id), 400, "E0000001")
    void_ok(await okta.unlock_user(dave.id))
    assert unwrap(await okta.get_user(dave.id)).status == "ACTIVE"
    assert authn(universe, "dave@acme.test", SEEDED_PASSWORD).json()["status"] == "SUCCESS"
    # and the failure count started over
    for i in range(9):
        authn(universe, "dave@acme.test", f"wrong-{i}")
    assert unwrap(await okta.get_user(dave.id)).status == "ACTIVE"


async def test_expired_passwords_are_changed_through_the_state_token(okta, universe):
    erin = unwrap(await okta.get_user("erin@acme.test"))
    assert unwrap(await okta.expire_password(erin.id)).status == "PASSWORD_EXPIRED"
    expired = authn(universe, "erin@acme.test", SEEDED_PASSWORD).json()
    assert expired["status"] == "PASSWORD_EXPIRED" and expired["stateToken"]
    assert expired["_links"]["next"]["name"] == "changePassword"
    change = {"stateToken": expired["stateToken"], "oldPassword": SEEDED_PASSWORD, "newPassword": "Brand-New-Pw1"}
    weak = raw(universe, "POST", "/api/v1/authn/credentials/change_password", json={**change, "newPassword": "weak"})
    assert weak.status_code == 400 and weak.json()["errorCode"] == "E0000001"
    done = raw(universe, "POST", "/api/v1/authn/credentials/change_password", json=change)
    assert done.status_code == 200 and done.json()["status"] == "SUCCESS"
    assert unwrap(await okta.get_user(erin.id)).status == "ACTIVE"
    assert authn(universe, "erin@acme.test", "Brand-New-Pw1").json()["status"] == "SUCCESS"
    assert authn(universe, "erin@acme.test", SEEDED_PASSWORD).status_code == 401


async def test_users_created_through_the_sdk_can_sign_in(okta, universe):
    body = models.CreateUserRequest.from_dict(
        {
            "profile": {"firstName": "Sam", "lastName": "Signin", "email": "sam@example.com", "login": "sam@example.com"},
            "credentials": {"password": {"value": "Kx-Passw0rd9"}},
        }
    )
    unwrap(await okta.create_user(body))
    assert authn(universe, "sam@example.com", "Kx-Passw0rd9").json()["status"] == "SUCCESS"
    assert authn(universe, "SAM", "Kx-Passw0rd9").json()["status"] == "SUCCESS"  # short name


async def test_password_expired_links_next_and_cancel_and_embeds_the_policy(okta, universe):
    grace = unwrap(await okta.get_user("grace@acme.test"))
    assert unwrap(await okta.expire_password(grace.id)).status == "PASSWORD_EXPIRED"
    expired = authn(universe, "grace@acme.test", SEEDED_PASSWORD).json()
    base = universe["okta"]["org_url"]
    assert expired["_links"] == {
        "next": {"name": "changePassword", "href": f"{base}/api/v1/authn/credentials/change_password", "hints": {"allow": ["POST"]}},
        "cancel": {"href": f"{base}/api/v1/authn/cancel", "hints": {"allow": ["POST"]}},
    }
    # The rules the new password must meet: the Default Policy's.
    assert expired["_embedded"]["policy"] == {
        "complexity": {"minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 0, "excludeUsername": True},
        "age": {"minAgeMinutes": 0, "historyCount": 4},
    }
    assert expired["_embedded"]["user"]["id"] == grace.id
    # Cancelling ends the transaction: its state token no longer changes the password.
    cancelled = raw(universe, "POST", "/api/v1/authn/cancel", json={"stateToken": expired["stateToken"]}, headers={})
    assert cancelled.status_code == 200 and cancelled.json() == {}, cancelled.text
    change = {"stateToken": expired["stateToken"], "oldPassword": SEEDED_PASSWORD, "newPassword": "Brand-New-Pw1"}
    late = raw(universe, "POST", "/api/v1/authn/credentials/change_password", json=change, headers={})
    assert late.status_code == 403 and late.json()["errorCode"] == "E0000011", late.text
    again = raw(universe, "POST", "/api/v1/authn/cancel", json={"stateToken": expired["stateToken"]}, headers={})
    assert again.status_code == 403 and again.json()["errorCode"] == "E0000011"
    assert unwrap(await okta.get_user(grace.id)).status == "PASSWORD_EXPIRED"



def require_factor_at_sign_on(universe):
    """The Default Policy's Default Rule of OKTA_SIGN_ON, made to require a factor."""
    policy = raw(universe, "GET", "/api/v1/policies?type=OKTA_SIGN_ON").json()[0]
    rule = raw(universe, "GET", f"/api/v1/policies/{policy['id']}/rules").json()[0]
    rule["actions"]["signon"]["requireFactor"] = True
    resp = raw(universe, "PUT", f"/api/v1/policies/{policy['id']}/rules/{rule['id']}", json=rule)
    assert resp.status_code == 200, resp.text


async def test_mfa_required_challenge_and_verify_follow_their_links(okta, universe, control):
    base = universe["okta"]["org_url"]
    carol = unwrap(await okta.get_user("carol@acme.test"))
    made = raw(universe, "POST", f"/api/v1/users/{carol.id}/factors?activate=true",
               json={"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+15555550142"}})
    assert made.status_code == 200 and made.json()["status"] == "ACTIVE", made.text
    factor_id = made.json()["id"]
    # Without a sign-on rule that requires a factor, the password is enough.
    assert authn(universe, "carol@acme.test", SEEDED_PASSWORD).json()["status"] == "SUCCESS"
    require_factor_at_sign_on(universe)
    # A user without factors has to enrol one first.
    assert authn(universe, "dave@acme.test", SEEDED_PASSWORD).json()["status"] == "MFA_ENROLL"

    required = authn(universe, "carol@acme.test", SEEDED_PASSWORD).json()
    assert required["status"] == "MFA_REQUIRED" and "sessionToken" not in required
    cancel = {"href": f"{base}/api/v1/authn/cancel", "hints": {"allow": ["POST"]}}
    verify = f"{base}/api/v1/authn/factors/{factor_id}/verify"
    assert required["_links"] == {"cancel": cancel}
    [listed] = required["_embedded"]["factors"]
    assert (listed["id"], listed["factorType"]) == (factor_id, "sms")
    # okta-auth-js's recorded MFA_REQUIRED masks the phone number
    assert listed["profile"]["phoneNumber"] == "+1 XXX-XXX-0142"
    assert listed["_links"]["verify"] == {"href": verify, "hints": {"allow": ["POST"]}}
    state = {"stateToken": required["stateToken"]}

    def post(path, body):
        return raw(universe, "POST", path, json=body, headers={})

    challenge = post(f"/api/v1/authn/factors/{factor_id}/verify", state).json()
    assert challenge["status"] == "MFA_CHALLENGE" and challenge["stateToken"] == required["stateToken"]
    assert challenge["_links"] == {
        "next": {"name": "verify", "href": verify, "hints": {"allow": ["POST"]}},
        "prev": {"href": f"{base}/api/v1/authn/previous", "hints": {"allow": ["POST"]}},
        "resend": [{"name": "sms", "href": f"{verify}/resend", "hints": {"allow": ["POST"]}}],
        "cancel": cancel,
    }
    assert challenge["_embedded"]["factor"]["id"] == factor_id
    back = post("/api/v1/authn/previous", state).json()
    assert back["status"] == "MFA_REQUIRED" and back["_links"] == {"cancel": cancel}
    resent = post(f"/api/v1/authn/factors/{factor_id}/verify/resend", state).json()
    assert resent["status"] == "MFA_CHALLENGE"
    code = control.get(f"universes/{universe['id']}/state?service=okta").json()["okta"]["factors"][factor_id]["secret"]
    wrong = next(c for c in ("000000", "111111") if c != code)
    bad = post(f"/api/v1/authn/factors/{factor_id}/verify", {**state, "passCode": wrong})
    assert bad.status_code == 403 and bad.json()["errorCode"] == "E0000068", bad.text
    done = post(f"/api/v1/authn/factors/{factor_id}/verify", {**state, "passCode": code}).json()
    assert done["status"] == "SUCCESS" and done["sessionToken"], done
    # The transaction is over.
    spent = post(f"/api/v1/authn/factors/{factor_id}/verify", {**state, "passCode": code})
    assert spent.status_code == 403 and spent.json()["errorCode"] == "E0000011"
    # A cancelled transaction is over too.
    again = authn(universe, "carol@acme.test", SEEDED_PASSWORD).json()
    assert post("/api/v1/authn/cancel", {"stateToken": again["stateToken"]}).json() == {}
    assert post("/api/v1/authn/previous", {"stateToken": again["stateToken"]}).status_code == 403


def post_authn(universe, path, body):
    return raw(universe, "POST", path, json=body, headers={})


async def test_mfa_enroll_a_totp_factor_then_sign_in_with_it(okta, universe):
    base = universe["okta"]["org_url"]
    require_factor_at_sign_on(universe)
    enroll = authn(universe, "dave@acme.test", SEEDED_PASSWORD).json()
    assert enroll["status"] == "MFA_ENROLL" and "sessionToken" not in enroll, enroll
    assert enroll["_links"] == {"cancel": {"href": f"{base}/api/v1/authn/cancel", "hints": {"allow": ["POST"]}}}
    offered = {(f["factorType"], f["provider"]): f for f in enroll["_embedded"]["factors"]}
    # The default enrollment policy names only password and email: every factor is optional.
    totp_offer = offered[("token:software:totp", "OKTA")]
    assert totp_offer["status"] == "NOT_SETUP" and totp_offer["enrollment"] == "OPTIONAL"
    assert totp_offer["_links"]["enroll"] == {"href": f"{base}/api/v1/authn/factors", "hints": {"allow": ["POST"]}}
    assert "questions" in offered[("question", "OKTA")]["_links"]
    state = {"stateToken": enroll["stateToken"]}

    made = post_authn(universe, "/api/v1/authn/factors", {**state, "factorType": "token:software:totp", "provider": "OKTA"})
    assert made.status_code == 200, made.text
    activate = made.json()
    assert activate["status"] == "MFA_ENROLL_ACTIVATE" and activate["stateToken"] == enroll["stateToken"]
    factor = activate["_embedded"]["factor"]
    secret = factor["_embedded"]["activation"]["sharedSecret"]
    assert factor["factorType"] == "token:software:totp" and factor["_embedded"]["activation"]["encoding"] == "base32"
    next_href = f"{base}/api/v1/authn/factors/{factor['id']}/lifecycle/activate"
    assert activate["_links"]["next"] == {"name": "activate", "href": next_href, "hints": {"allow": ["POST"]}}
    assert set(activate["_links"]) == {"next", "prev", "cancel"}
    path = f"/api/v1/authn/factors/{factor['id']}/lifecycle/activate"
    wrong = next(c for c in ("000000", "111111") if c != totp(secret))
    bad = post_authn(universe, path, {**state, "passCode": wrong})
    assert bad.status_code == 403 and bad.json()["errorCode"] == "E0000068", bad.text
    done = post_authn(universe, path, {**state, "passCode": totp(secret)}).json()
    assert done["status"] == "SUCCESS" and done["sessionToken"], done
    assert post_authn(universe, path, {**state, "passCode": totp(secret)}).status_code == 403, "the transaction is over"

    dave = unwrap(await okta.get_user("dave@acme.test"))
    factors = unwrap(await okta.list_factors(dave.id))
    assert [(f.factor_type, f.status) for f in factors] == [("token:software:totp", "ACTIVE")]
    # Next time the factor is asked for, not enrolled again.
    again = authn(universe, "dave@acme.test", SEEDED_PASSWORD).json()
    assert again["status"] == "MFA_REQUIRED" and [f["id"] for f in again["_embedded"]["factors"]] == [factor["id"]]
    events = [e["eventType"] for e in raw(universe, "GET", "/api/v1/logs?until=2100-01-01T00:00:00.000Z").json()]
    assert "user.mfa.factor.activate" in events


async def test_an_enrollment_policy_requires_an_active_authenticators_factor(okta, universe, control):
    policy = raw(universe, "GET", "/api/v1/policies?type=MFA_ENROLL").json()[0]
    policy["settings"]["authenticators"].append({"key": "phone_number", "enroll": {"self": "REQUIRED"}})
    assert raw(universe, "PUT", f"/api/v1/policies/{policy['id']}", json=policy).status_code == 200
    # The org's Phone authenticator is off: nothing to enrol yet.
    assert authn(universe, "erin@acme.test", SEEDED_PASSWORD).json()["status"] == "SUCCESS"
    phone = next(a for a in unwrap(await okta.list_authenticators()) if a.key == "phone_number")
    unwrap(await okta.activate_authenticator(phone.id))

    enroll = authn(universe, "erin@acme.test", SEEDED_PASSWORD).json()
    assert enroll["status"] == "MFA_ENROLL", enroll
    erin_id = enroll["_embedded"]["user"]["id"]
    catalog = {(f["factorType"], f["provider"]): f["enrollment"]
               for f in raw(universe, "GET", f"/api/v1/users/{erin_id}/factors/catalog").json()}
    assert catalog[("sms", "OKTA")] == "REQUIRED" and catalog[("question", "OKTA")] == "OPTIONAL"
    assert sorted((f["factorType"], f["enrollment"]) for f in enroll["_embedded"]["factors"]) == [
        ("call", "REQUIRED"), ("sms", "REQUIRED")]
    state = {"stateToken": enroll["stateToken"]}
    refused = post_authn(universe, "/api/v1/authn/factors", {**state, "factorType": "question", "provider": "OKTA",
                                                             "profile": {"question": "disliked_food", "answer": "okra"}})
    assert refused.status_code == 400 and refused.json()["errorCode"] == "E0000001", refused.text
    bad_phone = post_authn(universe, "/api/v1/authn/factors", {**state, "factorType": "sms", "profile": {"phoneNumber": "12"}})
    assert bad_phone.status_code == 400

    sms = {**state, "factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+15555550199"}}
    first = post_authn(universe, "/api/v1/authn/factors", sms).json()
    assert first["status"] == "MFA_ENROLL_ACTIVATE" and "resend" in first["_links"]
    # Back to the list, and a second try replaces the pending enrolment.
    assert post_authn(universe, "/api/v1/authn/previous", state).json()["status"] == "MFA_ENROLL"
    second = post_authn(universe, "/api/v1/authn/factors", sms).json()
    factor_id = second["_embedded"]["factor"]["id"]
    assert factor_id != first["_embedded"]["factor"]["id"]
    resent = post_authn(universe, f"/api/v1/authn/factors/{factor_id}/lifecycle/resend", state).json()
    assert resent["status"] == "MFA_ENROLL_ACTIVATE"
    code = control.get(f"universes/{universe['id']}/state?service=okta").json()["okta"]["factors"][factor_id]["secret"]
    done = post_authn(universe, f"/api/v1/authn/factors/{factor_id}/lifecycle/activate", {**state, "passCode": code}).json()
    assert done["status"] == "SUCCESS", done
    erin = unwrap(await okta.get_user("erin@acme.test"))
    assert [(f.factor_type, f.status) for f in unwrap(await okta.list_factors(erin.id))] == [("sms", "ACTIVE")]
    # The requirement is met: the password is enough again (the sign-on rule asks for no factor).
    assert authn(universe, "erin@acme.test", SEEDED_PASSWORD).json()["status"] == "SUCCESS"


async def test_optional_factors_left_after_the_required_ones_may_be_skipped(okta, universe, control):
    base = universe["okta"]["org_url"]
    policy = raw(universe, "GET", "/api/v1/policies?type=MFA_ENROLL").json()[0]
    policy["settings"]["authenticators"] += [
        {"key": "phone_number", "enroll": {"self": "REQUIRED"}},
        {"key": "security_question", "enroll": {"self": "OPTIONAL"}},
    ]
    assert raw(universe, "PUT", f"/api/v1/policies/{policy['id']}", json=policy).status_code == 200
    for key in ("phone_number", "security_question"):
        found = next(a for a in unwrap(await okta.list_authenticators()) if a.key == key)
        unwrap(await okta.activate_authenticator(found.id))

    enroll = authn(universe, "erin@acme.test", SEEDED_PASSWORD).json()
    assert enroll["status"] == "MFA_ENROLL" and "skip" not in enroll["_links"], enroll
    state = {"stateToken": enroll["stateToken"]}
    # A required factor is missing: nothing to skip to.
    early = post_authn(universe, "/api/v1/authn/skip", state)
    assert early.status_code == 403 and early.json()["errorCode"] == "E0000079", early.text

    sms = {**state, "factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+15555550199"}}
    factor_id = post_authn(universe, "/api/v1/authn/factors", sms).json()["_embedded"]["factor"]["id"]
    code = control.get(f"universes/{universe['id']}/state?service=okta").json()["okta"]["factors"][factor_id]["secret"]
    optional = post_authn(universe, f"/api/v1/authn/factors/{factor_id}/lifecycle/activate", {**state, "passCode": code}).json()
    # The required factor is in: the optional question is offered, with `skip`.
    assert optional["status"] == "MFA_ENROLL" and optional["stateToken"] == enroll["stateToken"], optional
    assert optional["_links"]["skip"] == {"href": f"{base}/api/v1/authn/skip", "hints": {"allow": ["POST"]}}
    offered = {(f["factorType"], f["enrollment"], f["status"]) for f in optional["_embedded"]["factors"]}
    assert ("question", "OPTIONAL", "NOT_SETUP") in offered and ("sms", "REQUIRED", "ACTIVE") in offered
    skipped = post_authn(universe, "/api/v1/authn/skip", state)
    assert skipped.status_code == 200, skipped.text
    assert skipped.json()["status"] == "SUCCESS" and skipped.json()["sessionToken"]
    # The transaction is over.
    assert post_authn(universe, "/api/v1/authn/skip", state).status_code == 403
    erin = unwrap(await okta.get_user("erin@acme.test"))
    assert [f.factor_type for f in unwrap(await okta.list_factors(erin.id))] == ["sms"]


def test_the_relay_state_comes_back_with_the_transaction(universe):
    # okta-auth-js's recorded transactions carry the relayState the sign-in sent.
    body = {"username": "carol@acme.test", "password": SEEDED_PASSWORD, "relayState": "/myapp/deep/link"}
    done = raw(universe, "POST", "/api/v1/authn", json=body, headers={})
    assert done.status_code == 200 and done.json()["status"] == "SUCCESS", done.text
    assert done.json()["relayState"] == "/myapp/deep/link"
    plain = raw(universe, "POST", "/api/v1/authn", json={**body, "relayState": None}, headers={})
    assert "relayState" not in plain.json()
