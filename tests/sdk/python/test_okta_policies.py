"""Policies API through the official `okta` Python SDK: a new org's default
policies, create / priority / lifecycle, rules, and the PASSWORD policy enforced
where passwords are set (complexity, history, age, lockout)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from okta import models

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    OktaAPIError,
    SEEDED_PASSWORD,
    api_error,
    conforms,
    okta,
    raw,
    unwrap,
    void_error,
    void_ok,
)

_seq = itertools.count()

POLICY_SCHEMAS = {
    "PASSWORD": ("PasswordPolicy", "PasswordPolicyRule"),
    "OKTA_SIGN_ON": ("OktaSignOnPolicy", "OktaSignOnPolicyRule"),
    "MFA_ENROLL": ("MultifactorEnrollmentPolicy", "PolicyRule"),
    "ACCESS_POLICY": ("AccessPolicy", "AccessPolicyRule"),
    "PROFILE_ENROLLMENT": ("ProfileEnrollmentPolicy", "ProfileEnrollmentPolicyRule"),
}


def new_user_body(password: str, group_ids: list[str] | None = None) -> models.CreateUserRequest:
    n = next(_seq)
    login = f"pat.policy{n}@example.com"
    body: dict[str, Any] = {
        "profile": {"firstName": "Pat", "lastName": "Policy", "email": login, "login": login},
        "credentials": {"password": {"value": password}},
    }
    if group_ids:
        body["groupIds"] = group_ids
    return models.CreateUserRequest.from_dict(body)


async def make_group(okta, name: str) -> str:
    group = unwrap(await okta.add_group(models.AddGroupRequest.from_dict({"profile": {"name": f"{name} {next(_seq)}"}})))
    return group.id


def causes(err: OktaAPIError) -> list[str]:
    return [c["errorSummary"] for c in err.error_causes]


async def default_policy(okta, kind: str):
    policies = unwrap(await okta.list_policies(type=kind))
    return next(p for p in policies if p.system)


# --- a new org ----------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(POLICY_SCHEMAS))
async def test_a_new_org_has_a_default_policy_and_rule_of_each_type(okta, universe, kind):
    policy_schema, rule_schema = POLICY_SCHEMAS[kind]
    policies = unwrap(await okta.list_policies(type=kind))
    assert [(p.name, p.system, p.status, p.priority) for p in policies] == [("Default Policy", True, "ACTIVE", 1)]
    assert policies[0].type == kind
    listed = raw(universe, "GET", f"/api/v1/policies?type={kind}")
    assert listed.status_code == 200 and 'rel="self"' in listed.headers["link"]
    for body in listed.json():
        conforms(body, policy_schema)
    got = raw(universe, "GET", f"/api/v1/policies/{policies[0].id}").json()
    conforms(got, policy_schema)
    assert got["_links"]["self"]["href"] == f"{universe['okta']['org_url']}/api/v1/policies/{policies[0].id}"
    rules = raw(universe, "GET", f"/api/v1/policies/{policies[0].id}/rules").json()
    assert len(rules) == 1 and rules[0]["system"] is True and rules[0]["priority"] == 1
    for rule in rules:
        conforms(rule, rule_schema)


async def test_the_default_password_policy_has_oktas_defaults(okta):
    policy = await default_policy(okta, "PASSWORD")
    complexity = policy.settings.password.complexity
    assert (complexity.min_length, complexity.min_lower_case, complexity.min_upper_case, complexity.min_number) == (8, 1, 1, 1)
    assert complexity.min_symbol == 0 and complexity.exclude_username is True
    assert policy.settings.password.age.history_count == 4
    assert policy.settings.password.lockout.max_attempts == 10


async def test_listing_needs_a_known_type(universe):
    missing = raw(universe, "GET", "/api/v1/policies")
    assert missing.status_code == 400 and missing.json()["errorCode"] == "E0000028", missing.text
    unknown = raw(universe, "GET", "/api/v1/policies?type=NOPE")
    assert unknown.status_code == 400 and unknown.json()["errorCode"] == "E0000002", unknown.text
    assert unknown.json()["errorSummary"] == "The request was not valid: Invalid policy type specified."


# --- create, priority, lifecycle ----------------------------------------------


def sign_on_policy(name: str, priority: int | None = None) -> models.OktaSignOnPolicy:
    body: dict[str, Any] = {"type": "OKTA_SIGN_ON", "name": name, "description": "made by a test"}
    if priority is not None:
        body["priority"] = priority
    return models.OktaSignOnPolicy.from_dict(body)


async def priorities(okta) -> list[tuple[str, int]]:
    return [(p.name, p.priority) for p in unwrap(await okta.list_policies(type="OKTA_SIGN_ON"))]


async def test_priority_inserts_shifts_and_keeps_the_default_last(okta, universe):
    first = unwrap(await okta.create_policy(sign_on_policy("First")))
    assert (first.status, first.priority, first.system) == ("ACTIVE", 1, False)
    conforms(raw(universe, "GET", f"/api/v1/policies/{first.id}").json(), "OktaSignOnPolicy")
    assert await priorities(okta) == [("First", 1), ("Default Policy", 2)]
    second = unwrap(await okta.create_policy(sign_on_policy("Second", priority=1)))
    assert second.priority == 1
    assert await priorities(okta) == [("Second", 1), ("First", 2), ("Default Policy", 3)]
    # A priority past the end lands just before the default policy.
    unwrap(await okta.create_policy(sign_on_policy("Third", priority=99)))
    assert await priorities(okta) == [("Second", 1), ("First", 2), ("Third", 3), ("Default Policy", 4)]
    moved = unwrap(await okta.replace_policy(first.id, sign_on_policy("First", priority=1)))
    assert moved.priority == 1
    assert await priorities(okta) == [("First", 1), ("Second", 2), ("Third", 3), ("Default Policy", 4)]
    void_ok(await okta.delete_policy(second.id))
    assert await priorities(okta) == [("First", 1), ("Third", 2), ("Default Policy", 3)]
    api_error(await okta.get_policy(second.id), 404, "E0000007")


async def test_the_default_policy_cannot_be_deleted_or_moved(okta, universe):
    policy = await default_policy(okta, "OKTA_SIGN_ON")
    void_error(await okta.delete_policy(policy.id), 400, "E0000001")
    assert unwrap(await okta.get_policy(policy.id)).system is True
    body = raw(universe, "GET", f"/api/v1/policies/{policy.id}").json()
    unwrap(await okta.create_policy(sign_on_policy("Before the default")))
    moved = raw(universe, "PUT", f"/api/v1/policies/{policy.id}", json={**body, "priority": 1})
    assert moved.status_code == 400 and moved.json()["errorCode"] == "E0000077", moved.text
    assert moved.json()["errorSummary"] == "Cannot modify the priority attribute because it is read-only."
    # Its own (shifted) priority is accepted.
    renamed = unwrap(await okta.replace_policy(policy.id, models.OktaSignOnPolicy.from_dict({**body, "priority": 2, "description": "Still last"})))
    assert (renamed.priority, renamed.description) == (2, "Still last")


async def test_lifecycle_and_system_log(okta, universe):
    created = unwrap(await okta.create_policy(sign_on_policy("Inactive at first"), activate=False))
    assert created.status == "INACTIVE"
    void_ok(await okta.activate_policy(created.id))
    assert unwrap(await okta.get_policy(created.id)).status == "ACTIVE"
    void_ok(await okta.deactivate_policy(created.id))
    assert unwrap(await okta.get_policy(created.id)).status == "INACTIVE"
    events = raw(universe, "GET", "/api/v1/logs?until=2100-01-01T00:00:00.000Z&filter=target.id%20eq%20%22" + created.id + "%22").json()
    types = [e["eventType"] for e in events]
    assert types == ["policy.lifecycle.create", "policy.lifecycle.activate", "policy.lifecycle.deactivate"], types
    bad = raw(universe, "POST", "/api/v1/policies", json={"type": "OKTA_SIGN_ON"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "E0000001"
    assert "name: The field cannot be left blank" in bad.json()["errorCauses"][0]["errorSummary"]
    wrong_type = raw(universe, "POST", "/api/v1/policies", json={"type": "SOMETHING", "name": "x"})
    assert wrong_type.status_code == 400 and wrong_type.json()["errorCode"] == "E0000002"
    not_json = raw(universe, "POST", "/api/v1/policies", data="{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["errorCode"] == "E0000003"
    for failed in (bad, wrong_type, not_json):
        conforms(failed.json(), "Error")


async def test_rules_crud_priority_and_lifecycle(okta, universe):
    policy = unwrap(await okta.create_policy(sign_on_policy("With rules")))
    rule_body = {
        "type": "SIGN_ON",
        "name": "Require MFA",
        "conditions": {"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"}},
        "actions": {"signon": {"access": "ALLOW", "requireFactor": True, "factorPromptMode": "ALWAYS",
                               "session": {"usePersistentCookie": False, "maxSessionIdleMinutes": 60, "maxSessionLifetimeMinutes": 0}}},
    }
    rule = unwrap(await okta.create_policy_rule(policy.id, models.OktaSignOnPolicyRule.from_dict(rule_body)))
    assert (rule.name, rule.priority, rule.status) == ("Require MFA", 1, "ACTIVE")
    conforms(raw(universe, "GET", f"/api/v1/policies/{policy.id}/rules/{rule.id}").json(), "OktaSignOnPolicyRule")
    second = unwrap(await okta.create_policy_rule(policy.id, models.OktaSignOnPolicyRule.from_dict({**rule_body, "name": "Deny", "priority": 1})))
    rules = unwrap(await okta.list_policy_rules(policy.id))
    assert [(r.name, r.priority) for r in rules] == [("Deny", 1), ("Require MFA", 2)]
    void_ok(await okta.deactivate_policy_rule(policy.id, rule.id))
    assert unwrap(await okta.get_policy_rule(policy.id, rule.id)).status == "INACTIVE"
    void_ok(await okta.activate_policy_rule(policy.id, rule.id))
    renamed = unwrap(await okta.replace_policy_rule(policy.id, rule.id, models.OktaSignOnPolicyRule.from_dict({**rule_body, "name": "Renamed", "priority": 1})))
    assert (renamed.name, renamed.priority) == ("Renamed", 1)
    void_ok(await okta.delete_policy_rule(policy.id, second.id))
    assert [r.name for r in unwrap(await okta.list_policy_rules(policy.id))] == ["Renamed"]
    api_error(await okta.get_policy_rule(policy.id, second.id), 404, "E0000007")
    # A password rule does not belong in a sign-on policy.
    wrong = raw(universe, "POST", f"/api/v1/policies/{policy.id}/rules", json={**rule_body, "type": "PASSWORD"})
    assert wrong.status_code == 400 and wrong.json()["errorCode"] == "E0000001", wrong.text
    default = await default_policy(okta, "OKTA_SIGN_ON")
    default_rule = unwrap(await okta.list_policy_rules(default.id))[0]
    void_error(await okta.delete_policy_rule(default.id, default_rule.id), 400, "E0000001")
    events = raw(universe, "GET", "/api/v1/logs?until=2100-01-01T00:00:00.000Z&filter=target.id%20eq%20%22" + rule.id + "%22").json()
    assert [e["eventType"] for e in events] == [
        "policy.rule.add", "policy.rule.deactivate", "policy.rule.activate", "policy.rule.update"
    ]


# --- the password policy, enforced ----------------------------------------------

STRICT = {
    "password": {
        "complexity": {"minLength": 12, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 1,
                       "excludeUsername": True},
        "age": {"historyCount": 2, "minAgeMinutes": 0, "maxAgeDays": 0},
        "lockout": {"maxAttempts": 3},
    }
}
STRICT_REQUIREMENTS = (
    "password: Password requirements were not met. Password requirements: at least 12 characters, "
    "a lowercase letter, an uppercase letter, a number, a symbol, no parts of your username."
)


async def strict_policy_for(okta, group_id: str):
    body = {
        "type": "PASSWORD",
        "name": f"Contractors {next(_seq)}",
        "priority": 1,
        "conditions": {"people": {"groups": {"include": [group_id]}}, "authProvider": {"provider": "OKTA"}},
        "settings": STRICT,
    }
    policy = unwrap(await okta.create_policy(models.PasswordPolicy.from_dict(body)))
    assert policy.priority == 1 and policy.settings.password.complexity.min_length == 12
    return policy


async def test_a_groups_password_policy_is_enforced_on_create(okta, universe):
    group_id = await make_group(okta, "Contractors")
    policy = await strict_policy_for(okta, group_id)
    conforms(raw(universe, "GET", f"/api/v1/policies/{policy.id}").json(), "PasswordPolicy")
    err = api_error(await okta.create_user(new_user_body("Short-Pw1", [group_id])), 400, "E0000001")
    assert err.error_summary == "Api validation failed: password"
    assert causes(err) == [STRICT_REQUIREMENTS]
    # Eleven characters and no symbol: the default policy takes it for users outside the group.
    outside = unwrap(await okta.create_user(new_user_body("Plain1Passwd")))
    assert outside.status == "ACTIVE"
    err = api_error(await okta.create_user(new_user_body("Plain1Passwd", [group_id])), 400, "E0000001")
    assert causes(err) == [STRICT_REQUIREMENTS]
    inside = unwrap(await okta.create_user(new_user_body("Long-Enough-Pw1", [group_id])))
    assert inside.status == "ACTIVE"
    # An inactive policy applies to nobody.
    void_ok(await okta.deactivate_policy(policy.id))
    unwrap(await okta.create_user(new_user_body("Plain1Passwd", [group_id])))


async def test_the_default_policy_governs_everyone_and_its_changes_apply(okta, universe):
    err = api_error(await okta.create_user(new_user_body("alllowercase1")), 400, "E0000001")
    assert causes(err) == [
        "password: Password requirements were not met. Password requirements: at least 8 characters, "
        "a lowercase letter, an uppercase letter, a number, no parts of your username."
    ]
    policy = await default_policy(okta, "PASSWORD")
    body = raw(universe, "GET", f"/api/v1/policies/{policy.id}").json()
    body["settings"]["password"]["complexity"].update({"minLength": 10, "minSymbol": 1, "excludeAttributes": ["firstName"]})
    unwrap(await okta.replace_policy(policy.id, models.PasswordPolicy.from_dict(body)))
    err = api_error(await okta.create_user(new_user_body("Plain1Passwd")), 400, "E0000001")
    assert causes(err) == [
        "password: Password requirements were not met. Password requirements: at least 10 characters, "
        "a lowercase letter, an uppercase letter, a number, a symbol, no parts of your username, "
        "does not include your first name."
    ]
    api_error(await okta.create_user(new_user_body("Pat-Passw0rd1")), 400, "E0000001")
    unwrap(await okta.create_user(new_user_body("Plain1-Passwd")))


def change(old: str, new: str) -> models.ChangePasswordRequest:
    return models.ChangePasswordRequest.from_dict({"oldPassword": {"value": old}, "newPassword": {"value": new}})


async def test_a_groups_password_policy_is_enforced_on_change_with_history(okta, universe):
    group_id = await make_group(okta, "Contractors")
    await strict_policy_for(okta, group_id)
    first, second, third = "First-Passw0rd!", "Second-Passw0rd!", "Third-Passw0rd!"
    user = unwrap(await okta.create_user(new_user_body(first, [group_id])))
    err = api_error(await okta.change_password(user.id, change(first, "Weak-Pw1")), 400, "E0000001")
    assert causes(err) == [STRICT_REQUIREMENTS]
    unwrap(await okta.change_password(user.id, change(first, second)))
    err = api_error(await okta.change_password(user.id, change(second, first)), 403, "E0000014")
    assert err.error_summary == "Update of credentials failed"
    assert causes(err) == ["password: Password has been used too recently"]
    unwrap(await okta.change_password(user.id, change(second, third)))
    # historyCount 2 counts the current password and the one before: the first is now too far back.
    err = api_error(await okta.change_password(user.id, change(third, second)), 403, "E0000014")
    unwrap(await okta.change_password(user.id, change(third, "Fourth-Passw0rd!")))
    unwrap(await okta.change_password(user.id, change("Fourth-Passw0rd!", first)))
    # An admin's set skips the history unless strict=true.
    body = models.UpdateUserRequest.from_dict({"credentials": {"password": {"value": third}}})
    unwrap(await okta.update_user(user.id, body))
    strict = raw(universe, "POST", f"/api/v1/users/{user.id}?strict=true", json={"credentials": {"password": {"value": third}}})
    assert strict.status_code == 403 and strict.json()["errorCode"] == "E0000014", strict.text
    weak = raw(universe, "POST", f"/api/v1/users/{user.id}", json={"credentials": {"password": {"value": "Weak-Pw1"}}})
    assert weak.status_code == 400 and weak.json()["errorCauses"][0]["errorSummary"] == STRICT_REQUIREMENTS


async def test_minimum_age_on_the_universe_clock(okta, universe, control):
    group_id = await make_group(okta, "Slow")
    settings = {"password": {**STRICT["password"], "age": {"historyCount": 0, "minAgeMinutes": 60, "maxAgeDays": 0}}}
    body = {"type": "PASSWORD", "name": f"Slow {next(_seq)}", "priority": 1,
            "conditions": {"people": {"groups": {"include": [group_id]}}}, "settings": settings}
    unwrap(await okta.create_policy(models.PasswordPolicy.from_dict(body)))
    user = unwrap(await okta.create_user(new_user_body("First-Passw0rd!", [group_id])))
    # The minimum age holds for a change with strict=true only.
    err = api_error(
        await okta.change_password(user.id, change("First-Passw0rd!", "Second-Passw0rd!"), strict=True), 403, "E0000014"
    )
    assert causes(err)[0].endswith("At least 1 hour(s) must have elapsed since you last changed your password.")
    assert control.post(f"universes/{universe['id']}/clock/advance", json={"seconds": 3601}).status_code == 200
    unwrap(await okta.change_password(user.id, change("First-Passw0rd!", "Second-Passw0rd!"), strict=True))
    unwrap(await okta.change_password(user.id, change("Second-Passw0rd!", "Third-Passw0rd!")))


def authn(universe, username: str, password: str):
    return raw(universe, "POST", "/api/v1/authn", json={"username": username, "password": password}, headers={})


async def test_lockout_count_comes_from_the_policy(okta, universe):
    group_id = await make_group(okta, "Lockout")
    await strict_policy_for(okta, group_id)
    user = unwrap(await okta.create_user(new_user_body("Long-Enough-Pw1", [group_id])))
    other = unwrap(await okta.create_user(new_user_body("Long-Enough-Pw1")))
    for _ in range(3):
        assert authn(universe, user.profile.login, "wrong-Passw0rd").status_code == 401
        assert authn(universe, other.profile.login, "wrong-Passw0rd").status_code == 401
    assert unwrap(await okta.get_user(user.id)).status == "LOCKED_OUT"
    # The default policy allows ten.
    assert unwrap(await okta.get_user(other.id)).status == "ACTIVE"


async def test_the_default_policys_lockout_can_be_changed(okta, universe):
    policy = await default_policy(okta, "PASSWORD")
    body = raw(universe, "GET", f"/api/v1/policies/{policy.id}").json()
    body["settings"]["password"]["lockout"]["maxAttempts"] = 2
    replaced = unwrap(await okta.replace_policy(policy.id, models.PasswordPolicy.from_dict(body)))
    assert replaced.settings.password.lockout.max_attempts == 2 and replaced.system is True
    login = "bob@acme.test"
    assert authn(universe, login, "wrong-Passw0rd").status_code == 401
    assert unwrap(await okta.get_user(login)).status == "ACTIVE"
    assert authn(universe, login, "wrong-Passw0rd").status_code == 401
    assert unwrap(await okta.get_user(login)).status == "LOCKED_OUT"
    bad = raw(universe, "PUT", f"/api/v1/policies/{policy.id}", json={**body, "settings": {"password": {"complexity": {"minLength": 2}}}})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "E0000001", bad.text


async def test_max_age_expires_passwords_on_the_universe_clock(okta, universe, control):
    policy = await default_policy(okta, "PASSWORD")
    body = raw(universe, "GET", f"/api/v1/policies/{policy.id}").json()
    body["settings"]["password"]["age"]["maxAgeDays"] = 30
    unwrap(await okta.replace_policy(policy.id, models.PasswordPolicy.from_dict(body)))
    user = unwrap(await okta.create_user(new_user_body("Fresh-Passw0rd")))
    assert authn(universe, user.profile.login, "Fresh-Passw0rd").json()["status"] == "SUCCESS"
    assert control.post(f"universes/{universe['id']}/clock/advance", json={"seconds": 31 * 86400}).status_code == 200
    expired = authn(universe, user.profile.login, "Fresh-Passw0rd")
    assert expired.status_code == 200 and expired.json()["status"] == "PASSWORD_EXPIRED", expired.text
    assert unwrap(await okta.get_user(user.id)).status == "PASSWORD_EXPIRED"
    # The seeded users' passwords are older still.
    assert authn(universe, "carol@acme.test", SEEDED_PASSWORD).json()["status"] == "PASSWORD_EXPIRED"


# --- clone, apps, mappings, expand=rules ----------------------------------------------


async def test_clone_copies_the_policy_and_its_rules(okta, universe):
    source = unwrap(await okta.create_policy(sign_on_policy("Cloned")))
    rule = raw(universe, "POST", f"/api/v1/policies/{source.id}/rules",
               json={"type": "SIGN_ON", "name": "MFA", "actions": {"signon": {"access": "ALLOW", "requireFactor": True}}})
    assert rule.status_code == 200, rule.text
    copy = unwrap(await okta.clone_policy(source.id))
    assert copy.id != source.id and copy.name == "Copy of Cloned" and copy.type == "OKTA_SIGN_ON"
    assert (copy.system, copy.status) == (False, "ACTIVE")
    conforms(raw(universe, "GET", f"/api/v1/policies/{copy.id}").json(), "OktaSignOnPolicy")
    assert await priorities(okta) == [("Cloned", 1), ("Copy of Cloned", 2), ("Default Policy", 3)]
    rules = raw(universe, "GET", f"/api/v1/policies/{copy.id}/rules").json()
    assert [(r["name"], r["actions"]["signon"]["requireFactor"]) for r in rules] == [("MFA", True)]
    assert rules[0]["id"] != rule.json()["id"]
    # The default policy clones to an ordinary one, its Default Rule with it.
    default = await default_policy(okta, "OKTA_SIGN_ON")
    copy_of_default = unwrap(await okta.clone_policy(default.id))
    assert copy_of_default.system is False
    assert [r["name"] for r in raw(universe, "GET", f"/api/v1/policies/{copy_of_default.id}/rules").json()] == ["Default Rule"]
    void_ok(await okta.delete_policy(copy_of_default.id))
    missing = raw(universe, "POST", "/api/v1/policies/00pNOPE0000000000000/clone")
    assert missing.status_code == 404 and missing.json()["errorCode"] == "E0000007"


async def test_mapping_an_app_moves_it_between_access_policies(okta, universe):
    default = await default_policy(okta, "ACCESS_POLICY")
    apps = unwrap(await okta.list_policy_apps(default.id))
    assert apps, "every app follows the default policy at first"
    app = apps[0]
    custom = raw(universe, "POST", "/api/v1/policies", json={"type": "ACCESS_POLICY", "name": "Strict apps"}).json()
    assert unwrap(await okta.list_policy_apps(custom["id"])) == []
    # okta 3.4.6 types resourceType as ACCESS_POLICY only; the document (and the twin) say APP.
    request = {"resourceType": "APP", "resourceId": app.id}
    made = raw(universe, "POST", f"/api/v1/policies/{custom['id']}/mappings", json=request)
    assert made.status_code == 200, made.text
    mapping = unwrap(await okta.get_policy_mapping(custom["id"], made.json()["id"]))
    base = universe["okta"]["org_url"]
    got = raw(universe, "GET", f"/api/v1/policies/{custom['id']}/mappings/{mapping.id}").json()
    conforms(got, "PolicyMapping")
    assert got["_links"]["application"]["href"] == f"{base}/api/v1/apps/{app.id}"
    assert [a.id for a in unwrap(await okta.list_policy_apps(custom["id"]))] == [app.id]
    assert app.id not in [a.id for a in unwrap(await okta.list_policy_apps(default.id))]
    linked = raw(universe, "GET", f"/api/v1/apps/{app.id}").json()["_links"]["accessPolicy"]["href"]
    assert linked == f"{base}/api/v1/policies/{custom['id']}"
    assert [m.id for m in unwrap(await okta.list_policy_mappings(custom["id"]))] == [mapping.id]
    # Mapping it again elsewhere moves it.
    other = raw(universe, "POST", "/api/v1/policies", json={"type": "ACCESS_POLICY", "name": "Other apps"}).json()
    assert raw(universe, "POST", f"/api/v1/policies/{other['id']}/mappings", json=request).status_code == 200
    assert unwrap(await okta.list_policy_mappings(custom["id"])) == []
    assert [a.id for a in unwrap(await okta.list_policy_apps(other["id"]))] == [app.id]
    # Unmapping returns it to the default.
    [moved] = unwrap(await okta.list_policy_mappings(other["id"]))
    void_ok(await okta.delete_policy_resource_mapping(other["id"], moved.id))
    assert app.id in [a.id for a in unwrap(await okta.list_policy_apps(default.id))]
    void_error(await okta.delete_policy_resource_mapping(other["id"], moved.id), 404, "E0000007")
    # Only app-sign-in and enrollment policies take apps, and only known ones.
    password = await default_policy(okta, "PASSWORD")
    refused = raw(universe, "POST", f"/api/v1/policies/{password.id}/mappings", json={"resourceType": "APP", "resourceId": app.id})
    assert refused.status_code == 400 and refused.json()["errorCode"] == "E0000001"
    unknown = raw(universe, "POST", f"/api/v1/policies/{other['id']}/mappings", json={"resourceType": "APP", "resourceId": "0oaNOPE"})
    assert unknown.status_code == 400
    wrong_type = raw(universe, "POST", f"/api/v1/policies/{other['id']}/mappings", json={"resourceType": "GROUP", "resourceId": app.id})
    assert wrong_type.status_code == 400


async def test_expand_rules_embeds_each_policys_rules(okta, universe):
    plain = raw(universe, "GET", "/api/v1/policies?type=PASSWORD").json()
    assert "_embedded" not in plain[0]
    expanded = raw(universe, "GET", "/api/v1/policies?type=PASSWORD&expand=rules").json()
    [rule] = expanded[0]["_embedded"]["rules"]
    assert rule["name"] == "Default Rule" and rule["system"] is True
    conforms(rule, "PasswordPolicyRule")
