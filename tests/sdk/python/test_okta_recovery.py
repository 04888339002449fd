"""The Authentication API's self-service recovery (no SDK in okta 3.x; raw HTTP as
`test_okta_authn.py`): forgot password by EMAIL, SMS or CALL (RECOVERY_CHALLENGE),
a trusted application's recovery token (RECOVERY), the token from a `forgot_password`
link, the recovery question, PASSWORD_RESET with the password policy enforced, and
unlock, with the shapes okta-auth-js records for each state."""

from __future__ import annotations

import pytest
import requests

from test_okta_support import SEEDED_PASSWORD, conforms, raw


def anon(universe, path: str, body: dict) -> requests.Response:
    """An end user's call: no API token."""
    http = requests.Session()
    http.trust_env = False
    try:
        return http.post(universe["okta"]["org_url"] + path, json=body, timeout=10)
    finally:
        http.close()


def user_id(universe, login: str) -> str:
    resp = raw(universe, "GET", f"/api/v1/users/{login}")
    assert resp.status_code == 200, resp.text
    return resp.json()["id"]


def state(control, universe) -> dict:
    return control.get(f"universes/{universe['id']}/state?service=okta").json()["okta"]


def link(body: dict, name: str) -> str:
    return body["_links"][name]["href"]


def post_to(universe, href: str, body: dict) -> requests.Response:
    """POSTs to a link the twin handed out (it names the org URL)."""
    assert href.startswith(universe["okta"]["org_url"]), href
    return anon(universe, href[len(universe["okta"]["org_url"]) :], body)


def phone_factor(universe, control, login: str, factor_type: str) -> str:
    """Enrols and activates an SMS or call factor for the user; its id."""
    uid = user_id(universe, login)
    enrolled = raw(
        universe,
        "POST",
        f"/api/v1/users/{uid}/factors",
        json={"factorType": factor_type, "provider": "OKTA", "profile": {"phoneNumber": "+15555550123"}},
    )
    assert enrolled.status_code == 200, enrolled.text
    fid = enrolled.json()["id"]
    code = state(control, universe)["factors"][fid]["secret"]
    active = raw(universe, "POST", f"/api/v1/users/{uid}/factors/{fid}/lifecycle/activate", json={"passCode": code})
    assert active.status_code == 200, active.text
    return fid


def set_question(universe, login: str) -> None:
    resp = raw(
        universe,
        "POST",
        f"/api/v1/users/{user_id(universe, login)}/credentials/change_recovery_question",
        json={"password": {"value": SEEDED_PASSWORD}, "recovery_question": {"question": "First pet?", "answer": "Rex the dog"}},
    )
    assert resp.status_code == 200, resp.text


def assert_error(resp: requests.Response, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.json()["errorCode"] == code, resp.text
    conforms(resp.json(), "Error")


def reset_to_success(universe, reset: dict, login: str) -> None:
    """From PASSWORD_RESET: the policy refuses a weak password, a good one signs in."""
    assert reset["status"] == "PASSWORD_RESET" and reset["recoveryType"] == "PASSWORD", reset
    assert reset["_links"]["next"]["name"] == "resetPassword"
    assert reset["_embedded"]["policy"]["complexity"]["minLength"] >= 8
    href = link(reset, "next")
    assert href.endswith("/api/v1/authn/credentials/reset_password")
    assert_error(post_to(universe, href, {"stateToken": reset["stateToken"], "newPassword": "weak"}), 400, "E0000001")
    done = post_to(universe, href, {"stateToken": reset["stateToken"], "newPassword": "Rec0vered-Pass!"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "SUCCESS" and done.json()["sessionToken"]
    # the transaction is over; the new password signs in, the old one does not
    assert_error(post_to(universe, href, {"stateToken": reset["stateToken"], "newPassword": "Again-Pass1!"}), 403, "E0000011")
    assert anon(universe, "/api/v1/authn", {"username": login, "password": "Rec0vered-Pass!"}).json()["status"] == "SUCCESS"
    assert anon(universe, "/api/v1/authn", {"username": login, "password": SEEDED_PASSWORD}).status_code == 401


def test_a_forgot_password_link_redeems_through_the_question_to_a_new_password(universe):
    set_question(universe, "carol@acme.test")
    carol = user_id(universe, "carol@acme.test")
    url = raw(universe, "POST", f"/api/v1/users/{carol}/credentials/forgot_password?sendEmail=false").json()["resetPasswordUrl"]
    token = url.rsplit("/", 1)[1]
    recovery = anon(universe, "/api/v1/authn/recovery/token", {"recoveryToken": token})
    assert recovery.status_code == 200, recovery.text
    body = recovery.json()
    assert (body["status"], body["recoveryType"]) == ("RECOVERY", "PASSWORD")
    assert body["_embedded"]["user"]["recovery_question"] == {"question": "First pet?"}
    assert body["_links"]["next"]["name"] == "answer" and set(body["_links"]) == {"next", "cancel"}
    # a token is good once
    assert_error(anon(universe, "/api/v1/authn/recovery/token", {"recoveryToken": token}), 401, "E0000011")
    answer = link(body, "next")
    assert_error(post_to(universe, answer, {"stateToken": body["stateToken"], "answer": "Felix"}), 403, "E0000087")
    reset = post_to(universe, answer, {"stateToken": body["stateToken"], "answer": "rex the dog"})
    assert reset.status_code == 200, reset.text
    reset_to_success(universe, reset.json(), "carol@acme.test")


@pytest.mark.parametrize("factor_type", ["SMS", "CALL"])
def test_a_phone_recovery_challenge_is_verified_with_the_code(universe, control, factor_type):
    fid = phone_factor(universe, control, "dave@acme.test", factor_type.lower())
    started = anon(universe, "/api/v1/authn/recovery/password", {"username": "dave@acme.test", "factorType": factor_type, "relayState": "/app"})
    assert started.status_code == 200, started.text
    body = started.json()
    assert (body["status"], body["factorType"], body["recoveryType"]) == ("RECOVERY_CHALLENGE", factor_type, "PASSWORD")
    assert body["stateToken"] and body["relayState"] == "/app"
    assert link(body, "next").endswith(f"/api/v1/authn/recovery/factors/{factor_type}/verify")
    assert body["_links"]["resend"]["name"] == factor_type.lower()
    first = state(control, universe)["factors"][fid]["secret"]
    # resend: a new code replaces the first
    again = post_to(universe, link(body, "resend"), {"stateToken": body["stateToken"]})
    assert again.status_code == 200 and again.json()["status"] == "RECOVERY_CHALLENGE", again.text
    code = state(control, universe)["factors"][fid]["secret"]
    wrong = "000000" if code != "000000" else "111111"
    assert_error(post_to(universe, link(body, "next"), {"stateToken": body["stateToken"], "passCode": wrong}), 403, "E0000068")
    if first != code:
        assert_error(post_to(universe, link(body, "next"), {"stateToken": body["stateToken"], "passCode": first}), 403, "E0000068")
    # dave has no recovery question: the code leads straight to PASSWORD_RESET
    reset = post_to(universe, link(body, "next"), {"stateToken": body["stateToken"], "passCode": code})
    assert reset.status_code == 200, reset.text
    reset_to_success(universe, reset.json(), "dave@acme.test")


def test_email_recovery_answers_alike_for_anyone_and_mails_a_token(universe, control):
    answers = [
        anon(universe, "/api/v1/authn/recovery/password", {"username": who, "factorType": "EMAIL"})
        for who in ["erin@acme.test", "nobody@acme.test"]
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json() == {
        "status": "RECOVERY_CHALLENGE",
        "factorResult": "WAITING",
        "factorType": "EMAIL",
        "recoveryType": "PASSWORD",
    }
    erin = user_id(universe, "erin@acme.test")
    mailed = [k for k, t in state(control, universe)["session_tokens"].items() if k.startswith("rtoken:PASSWORD:")]
    assert len(mailed) == 1 and state(control, universe)["session_tokens"][mailed[0]]["user_id"] == erin
    token = mailed[0].rsplit(":", 1)[1]
    reset = anon(universe, "/api/v1/authn/recovery/token", {"recoveryToken": token})
    assert reset.status_code == 200, reset.text
    reset_to_success(universe, reset.json(), "erin@acme.test")


def test_a_trusted_application_gets_the_recovery_token(universe):
    trusted = raw(universe, "POST", "/api/v1/authn/recovery/password", json={"username": "frank@acme.test"})
    assert trusted.status_code == 200, trusted.text
    body = trusted.json()
    assert (body["status"], body["recoveryType"]) == ("RECOVERY", "PASSWORD") and body["recoveryToken"]
    assert body["_links"]["next"]["name"] == "recovery"
    assert link(body, "next").endswith("/api/v1/authn/recovery/token")
    # an end user must name a factor
    assert_error(anon(universe, "/api/v1/authn/recovery/password", {"username": "frank@acme.test"}), 400, "E0000001")
    redeemed = post_to(universe, link(body, "next"), {"recoveryToken": body["recoveryToken"]})
    assert redeemed.status_code == 200 and redeemed.json()["status"] == "PASSWORD_RESET", redeemed.text


def test_unlock_by_sms_unlocks_after_the_question(universe, control):
    phone_factor(universe, control, "dave@acme.test", "sms")
    set_question(universe, "dave@acme.test")
    # not locked out: nothing to unlock
    assert_error(anon(universe, "/api/v1/authn/recovery/unlock", {"username": "dave@acme.test", "factorType": "SMS"}), 403, "E0000032")
    for i in range(10):
        anon(universe, "/api/v1/authn", {"username": "dave@acme.test", "password": f"wrong-{i}"})
    locked = anon(universe, "/api/v1/authn", {"username": "dave@acme.test", "password": SEEDED_PASSWORD}).json()
    assert locked["status"] == "LOCKED_OUT" and link(locked, "next").endswith("/api/v1/authn/recovery/unlock")
    # okta-auth-js's recorded LOCKED_OUT: an empty `_embedded`, `next` (unlock) and `cancel`
    assert locked["_embedded"] == {} and set(locked["_links"]) == {"next", "cancel"}
    assert locked["_links"]["next"]["name"] == "unlock" and link(locked, "cancel").endswith("/api/v1/authn/cancel")
    started = post_to(universe, link(locked, "next"), {"username": "dave@acme.test", "factorType": "SMS"})
    assert started.status_code == 200, started.text
    body = started.json()
    assert (body["status"], body["recoveryType"]) == ("RECOVERY_CHALLENGE", "UNLOCK")
    fid = next(iter(f for f, v in state(control, universe)["factors"].items() if v["user_id"] == user_id(universe, "dave@acme.test") and v["factor_type"] == "sms"))
    code = state(control, universe)["factors"][fid]["secret"]
    question = post_to(universe, link(body, "next"), {"stateToken": body["stateToken"], "passCode": code}).json()
    assert (question["status"], question["recoveryType"]) == ("RECOVERY", "UNLOCK"), question
    done = post_to(universe, link(question, "next"), {"stateToken": question["stateToken"], "answer": "Rex the dog"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["recoveryType"]) == ("SUCCESS", "UNLOCK")
    assert "sessionToken" not in done.json()
    assert raw(universe, "GET", "/api/v1/users/dave@acme.test").json()["status"] == "ACTIVE"
    assert anon(universe, "/api/v1/authn", {"username": "dave@acme.test", "password": SEEDED_PASSWORD}).json()["status"] == "SUCCESS"


def test_cancel_ends_a_recovery_and_bad_requests_are_refused(universe, control):
    phone_factor(universe, control, "dave@acme.test", "sms")
    body = anon(universe, "/api/v1/authn/recovery/password", {"username": "dave@acme.test", "factorType": "SMS"}).json()
    cancelled = post_to(universe, link(body, "cancel"), {"stateToken": body["stateToken"]})
    assert cancelled.status_code == 200 and cancelled.json() == {}, cancelled.text
    assert_error(post_to(universe, link(body, "next"), {"stateToken": body["stateToken"], "passCode": "123456"}), 403, "E0000011")
    for path, payload, status, code in [
        ("/api/v1/authn/recovery/password", {"username": "dave@acme.test", "factorType": "PIGEON"}, 400, "E0000001"),
        ("/api/v1/authn/recovery/password", {"factorType": "SMS"}, 400, "E0000001"),
        ("/api/v1/authn/recovery/password", {"username": "erin@acme.test", "factorType": "SMS"}, 400, "E0000001"),
        ("/api/v1/authn/recovery/password", {"username": "ivan@acme.test", "factorType": "SMS"}, 403, "E0000034"),
        ("/api/v1/authn/recovery/token", {"recoveryToken": "nope"}, 401, "E0000011"),
        ("/api/v1/authn/recovery/answer", {"stateToken": "nope", "answer": "x"}, 403, "E0000011"),
        ("/api/v1/authn/credentials/reset_password", {"stateToken": "nope", "newPassword": "Xx-123456"}, 403, "E0000011"),
        ("/api/v1/authn/recovery/factors/EMAIL/verify", {"stateToken": "nope"}, 404, "E0000007"),
    ]:
        assert_error(anon(universe, path, payload), status, code)
    malformed = requests.post(universe["okta"]["org_url"] + "/api/v1/authn/recovery/password", data=b"{no", headers={"Content-Type": "application/json"}, timeout=10)
    assert_error(malformed, 400, "E0000003")
