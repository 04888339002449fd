"""Factors through the official `okta` Python SDK (enrol, list, catalog, get,
delete) and over HTTP where the 3.x SDK's models cannot carry a passCode
(activate, verify). TOTP codes are real RFC 6238 codes."""

from __future__ import annotations

import time

from okta import models

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    api_error,
    okta,
    raw,
    totp,
    unwrap,
    void_ok,
)


def state_factor(control, universe, factor_id: str) -> dict:
    state = control.get(f"universes/{universe['id']}/state?service=okta").json()
    return state["okta"]["factors"][factor_id]


async def test_totp_enrol_activate_verify(okta, universe):
    dave = unwrap(await okta.get_user("dave@acme.test"))
    body = models.UserFactor.from_dict({"factorType": "token:software:totp", "provider": "GOOGLE"})
    factor = unwrap(await okta.enroll_factor(dave.id, body))
    assert type(factor).__name__ == "UserFactorTokenSoftwareTOTP"
    assert factor.status == "PENDING_ACTIVATION" and factor.provider == "GOOGLE"
    enrolled = raw(universe, "GET", f"/api/v1/users/{dave.id}/factors/{factor.id}").json()
    assert enrolled["_links"]["activate"]["href"].endswith("/lifecycle/activate")
    listed = raw(universe, "GET", f"/api/v1/users/{dave.id}/factors").json()
    secret = [f for f in listed if f["id"] == factor.id][0]
    # the shared secret is shown only while the factor waits for activation
    resp = raw(universe, "POST", f"/api/v1/users/{dave.id}/factors", json={"factorType": "token:software:totp", "provider": "OKTA"})
    okta_totp = resp.json()
    assert okta_totp["_embedded"]["activation"]["encoding"] == "base32"
    shared = okta_totp["_embedded"]["activation"]["sharedSecret"]
    now = time.time()
    valid = {totp(shared, now + d) for d in (-30, 0, 30)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)
    bad = raw(universe, "POST", f"/api/v1/users/{dave.id}/factors/{okta_totp['id']}/lifecycle/activate", json={"passCode": wrong})
    assert bad.status_code == 403 and bad.json()["errorCode"] == "E0000068"
    good = raw(universe, "POST", f"/api/v1/users/{dave.id}/factors/{okta_totp['id']}/lifecycle/activate", json={"passCode": totp(shared)})
    assert good.status_code == 200 and good.json()["status"] == "ACTIVE"
    assert "_embedded" not in good.json()
    ok = raw(universe, "POST", f"/api/v1/users/{dave.id}/factors/{okta_totp['id']}/verify", json={"passCode": totp(shared)})
    assert ok.json() == {"factorResult": "SUCCESS"}
    no = raw(universe, "POST", f"/api/v1/users/{dave.id}/factors/{okta_totp['id']}/verify", json={"passCode": "12345x"})
    assert no.status_code == 403 and no.json()["errorCode"] == "E0000068"
    assert secret["status"] == "PENDING_ACTIVATION"


async def test_sms_codes_come_from_the_state_like_a_phone(okta, universe, control):
    erin = unwrap(await okta.get_user("erin@acme.test"))
    body = models.UserFactor.from_dict({"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+447946000113"}})
    factor = unwrap(await okta.enroll_factor(erin.id, body))
    assert type(factor).__name__ == "UserFactorSMS" and factor.profile.phone_number == "+447946000113"
    code = state_factor(control, universe, factor.id)["secret"]
    resp = raw(universe, "POST", f"/api/v1/users/{erin.id}/factors/{factor.id}/lifecycle/activate", json={"passCode": code})
    assert resp.status_code == 200 and resp.json()["status"] == "ACTIVE"
    challenge = raw(universe, "POST", f"/api/v1/users/{erin.id}/factors/{factor.id}/verify", json={})
    assert challenge.json()["factorResult"] == "CHALLENGE"
    code = state_factor(control, universe, factor.id)["secret"]
    verified = raw(universe, "POST", f"/api/v1/users/{erin.id}/factors/{factor.id}/verify", json={"passCode": code})
    assert verified.json()["factorResult"] == "SUCCESS"
    duplicate = models.UserFactor.from_dict({"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+15550000000"}})
    api_error(await okta.enroll_factor(erin.id, duplicate), 400, "E0000001")
    # (the SDK refuses a non-E.164 number itself; the twin does too)
    invalid = raw(universe, "POST", f"/api/v1/users/{erin.id}/factors", json={"factorType": "call", "profile": {"phoneNumber": "555-0113"}})
    assert invalid.status_code == 400 and invalid.json()["errorCauses"] == [{"errorSummary": "phoneNumber: Invalid Phone Number."}]


async def test_catalog_list_get_delete_and_reset(okta):
    frank = unwrap(await okta.get_user("frank@acme.test"))
    catalog = unwrap(await okta.list_supported_factors(frank.id))
    assert {(f.factor_type, f.provider) for f in catalog} >= {("sms", "OKTA"), ("push", "OKTA"), ("token:software:totp", "GOOGLE")}
    assert {f.status for f in catalog} == {"NOT_SETUP"}
    push = unwrap(await okta.enroll_factor(frank.id, models.UserFactor.from_dict({"factorType": "push", "provider": "OKTA"})))
    question = unwrap(
        await okta.enroll_factor(
            frank.id,
            models.UserFactor.from_dict(
                {"factorType": "question", "provider": "OKTA", "profile": {"question": "disliked_food", "answer": "broccoli"}}
            ),
        )
    )
    assert question.status == "ACTIVE"
    listed = unwrap(await okta.list_factors(frank.id))
    assert {type(f).__name__ for f in listed} == {"UserFactorPush", "UserFactorSecurityQuestion"}
    assert unwrap(await okta.get_factor(frank.id, push.id)).status == "PENDING_ACTIVATION"
    statuses = {(f.factor_type, f.status) for f in unwrap(await okta.list_supported_factors(frank.id))}
    assert ("push", "PENDING_ACTIVATION") in statuses and ("question", "ACTIVE") in statuses
    void_ok(await okta.unenroll_factor(frank.id, push.id))
    api_error(await okta.get_factor(frank.id, push.id), 404, "E0000007")
    void_ok(await okta.reset_factors(frank.id))
    assert unwrap(await okta.list_factors(frank.id)) == []


async def test_push_is_approved_by_the_twins_device(okta, universe):
    judy = unwrap(await okta.get_user("judy@acme.test"))
    push = unwrap(await okta.enroll_factor(judy.id, models.UserFactor.from_dict({"factorType": "push", "provider": "OKTA"})))
    act = raw(universe, "POST", f"/api/v1/users/{judy.id}/factors/{push.id}/lifecycle/activate")
    assert act.json()["status"] == "ACTIVE"
    challenge = raw(universe, "POST", f"/api/v1/users/{judy.id}/factors/{push.id}/verify")
    assert challenge.status_code == 201 and challenge.json()["factorResult"] == "WAITING"
    poll = challenge.json()["_links"]["poll"]["href"]
    org = universe["okta"]["org_url"]
    assert raw(universe, "GET", poll[len(org) :]).json()["factorResult"] == "SUCCESS"
