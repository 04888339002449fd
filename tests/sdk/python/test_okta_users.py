"""Users API through the official `okta` Python SDK: CRUD, list/search/filter/q,
pagination, profile validation, and the user lifecycle state machine."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from okta import models

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    OktaAPIError,
    api_error,
    okta,
    okta_client,
    paginate_all,
    raw,
    unwrap,
    void_error,
    void_ok,
)

PASSWORD = "Sup3r-Secret-Pw"
_seq = itertools.count()


def profile(first: str = "Ann", last: str = "Page", **extra: Any) -> dict[str, Any]:
    n = next(_seq)
    login = extra.pop("login", f"{first.lower()}.{last.lower()}{n}@example.com")
    return {"firstName": first, "lastName": last, "email": login, "login": login, **extra}


def create_body(password: str | None = PASSWORD, **profile_fields: Any) -> models.CreateUserRequest:
    body: dict[str, Any] = {"profile": profile(**profile_fields)}
    if password:
        body["credentials"] = {"password": {"value": password}}
    return models.CreateUserRequest.from_dict(body)


def lock_out(universe, login: str, attempts: int = 10) -> None:
    """Fails primary authentication until the password policy locks the user out."""
    for _ in range(attempts):
        resp = raw(universe, "POST", "/api/v1/authn", json={"username": login, "password": "wrong-Passw0rd"}, headers={})
        assert resp.status_code == 401 and resp.json()["errorCode"] == "E0000004", resp.text


async def make_user(client, status: str, universe=None):
    """A new user in `status` (LOCKED_OUT through failed sign-ins at /api/v1/authn)."""
    if status == "STAGED":
        return unwrap(await client.create_user(create_body(), activate=False))
    if status == "PROVISIONED":
        return unwrap(await client.create_user(create_body(password=None)))
    user = unwrap(await client.create_user(create_body()))
    assert user.status == "ACTIVE"
    if status == "RECOVERY":
        unwrap(await client.reset_password(user.id, send_email=False))
    elif status == "PASSWORD_EXPIRED":
        unwrap(await client.expire_password(user.id))
    elif status == "SUSPENDED":
        void_ok(await client.suspend_user(user.id))
    elif status == "DEPROVISIONED":
        void_ok(await client.deactivate_user(user.id))
    elif status == "LOCKED_OUT":
        lock_out(universe, user.profile.login)
    got = unwrap(await client.get_user(user.id))
    assert got.status == status
    return got


# --- listing -----------------------------------------------------------------


async def test_list_paginates_to_the_end_and_hides_deprovisioned(okta):
    users = [u async for u in paginate_all(okta.list_users, limit=4)]
    logins = [u.profile.login for u in users]
    assert len(logins) == 14 and len(set(logins)) == 14
    assert "victor@acme.test" not in logins  # DEPROVISIONED
    assert "ivan@acme.test" in logins  # SUSPENDED users are listed
    statuses = {u.profile.login: u.status for u in users}
    assert statuses["ivan@acme.test"] == "SUSPENDED"


async def test_list_pages_carry_self_then_next_links_on_the_request_host(universe):
    resp = raw(universe, "GET", "/api/v1/users?limit=5")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    links = resp.raw.headers.getlist("Link")
    assert len(links) == 2
    assert links[0].endswith('rel="self"') and links[1].endswith('rel="next"')
    org = universe["okta"]["org_url"]
    assert links[0] == f'<{org}/api/v1/users?limit=5>; rel="self"'
    assert links[1].startswith(f"<{org}/api/v1/users?after=")
    # Walk the next links by hand until there is none.
    seen, url = len(resp.json()), links[1][1 : links[1].index(">")]
    while url:
        page = raw(universe, "GET", url[len(org) :])
        seen += len(page.json())
        nxt = [l for l in page.raw.headers.getlist("Link") if l.endswith('rel="next"')]
        url = nxt[0][1 : nxt[0].index(">")] if nxt else None
    assert seen == 14
    for header in ("Date", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", "X-Okta-Request-Id"):
        assert header in resp.headers


async def test_search_covers_every_operator_and_includes_deprovisioned(okta):
    async def logins(expr: str, **kw) -> list[str]:
        return sorted(u.profile.login for u in unwrap(await okta.list_users(search=expr, **kw)))

    assert "victor@acme.test" in await logins('profile.department eq "engineering"')  # case-insensitive
    assert await logins('status eq "DEPROVISIONED"') == ["victor@acme.test"]
    assert await logins('profile.lastName sw "Ch"') == ["carol@acme.test"]
    assert await logins('profile.email co "ank@"') == ["frank@acme.test"]
    assert await logins('profile.firstName eq "Bob" or profile.firstName eq "Dave"') == ["bob@acme.test", "dave@acme.test"]
    both = await logins('(profile.department eq "Sales" or profile.department eq "Executive") and status eq "SUSPENDED"')
    assert both == ["ivan@acme.test"]
    # the documented `ne` work-around
    not_active = await logins('status lt "ACTIVE" or status gt "ACTIVE"')
    assert not_active == ["ivan@acme.test", "victor@acme.test"]
    assert len(await logins("profile.mobilePhone pr")) == 15
    assert await logins('created gt "2000-01-01T00:00:00.000Z" and profile.title sw "chief e"') == ["alice@acme.test"]
    assert await logins('created lt "2000-01-01T00:00:00.000Z"') == []
    assert len(await logins('lastUpdated ge "2000-01-01T00:00:00.000Z"')) == 15
    # sortBy/sortOrder
    ordered = unwrap(await okta.list_users(search='profile.department eq "Sales"', sort_by="profile.firstName", sort_order="desc"))
    assert [u.profile.first_name for u in ordered] == ["Nina", "Ivan", "Grace", "Frank"]


async def test_search_errors_are_invalid_search_criteria(okta):
    for bad in ['status ne "ACTIVE"', 'status eq ACTIVE', '(status eq "ACTIVE"', 'profile.title co']:
        api_error(await okta.list_users(search=bad), 400, "E0000031")


async def test_filter_is_case_sensitive_and_eq_only(okta):
    ivan = unwrap(await okta.list_users(filter='status eq "SUSPENDED"'))
    assert [u.profile.login for u in ivan] == ["ivan@acme.test"]
    assert unwrap(await okta.list_users(filter='status eq "suspended"')) == []
    victor = unwrap(await okta.list_users(filter='profile.login eq "victor@acme.test"'))
    assert [u.status for u in victor] == ["DEPROVISIONED"]
    api_error(await okta.list_users(filter='profile.login sw "v"'), 400, "E0000031")
    api_error(await okta.list_users(filter='profile.title eq "x"'), 400, "E0000031")
    recent = unwrap(await okta.list_users(filter='lastUpdated gt "2000-01-01T00:00:00.000Z"'))
    assert len(recent) == 15


async def test_q_matches_name_and_email_prefixes_without_deprovisioned(okta):
    assert [u.profile.login for u in unwrap(await okta.list_users(q="car"))] == ["carol@acme.test"]
    assert [u.profile.login for u in unwrap(await okta.list_users(q="GARC"))] == ["grace@acme.test"]
    assert unwrap(await okta.list_users(q="vic")) == []
    for first in ("Quiana", "Quincy", "Quinn"):
        unwrap(await okta.create_user(create_body(first=first, last="Zed")))
    assert len(unwrap(await okta.list_users(q="qui"))) == 3
    assert len(unwrap(await okta.list_users(q="qui", limit=2))) == 2


async def test_a_tampered_cursor_is_refused(okta):
    api_error(await okta.list_users(after="<garbage>"), 400, "E0000029")


# --- create / read / update / delete -----------------------------------------


async def test_create_statuses_follow_credentials_and_activate(okta):
    assert unwrap(await okta.create_user(create_body())).status == "ACTIVE"
    assert unwrap(await okta.create_user(create_body(password=None))).status == "PROVISIONED"
    staged = unwrap(await okta.create_user(create_body(), activate=False))
    assert staged.status == "STAGED" and staged.activated is None
    expired = unwrap(await okta.create_user(create_body(), next_login="changePassword"))
    assert expired.status == "PASSWORD_EXPIRED"
    api_error(await okta.create_user(create_body(password=None), next_login="changePassword"), 400, "E0000124")
    api_error(await okta.create_user(create_body(), activate=False, next_login="changePassword"), 400, "E0000125")


async def test_created_user_has_the_vendor_shape(okta, universe):
    user = unwrap(await okta.create_user(create_body(first="Zoe", last="Quinn", login="zoe.quinn@example.com")))
    assert user.id.startswith("00u") and len(user.id) == 20
    assert user.profile.login == "zoe.quinn@example.com"
    assert user.credentials.provider.type == "OKTA"
    assert user.created is not None and user.last_updated is not None
    org = universe["okta"]["org_url"]
    assert user.links.var_self.href == f"{org}/api/v1/users/{user.id}"
    assert user.links.suspend is not None and user.links.activate is None
    body = raw(universe, "GET", f"/api/v1/users/{user.id}").json()
    assert body["profile"]["mobilePhone"] is None and body["profile"]["secondEmail"] is None
    assert body["credentials"]["password"] == {}
    assert body["created"].endswith("Z") and "." in body["created"]


async def test_duplicate_login_is_a_validation_error_with_cause(okta):
    err = api_error(await okta.create_user(create_body(login="alice@acme.test")), 400, "E0000001")
    assert err.error_summary == "Api validation failed: login"
    assert err.error_causes == [
        {"errorSummary": "login: An object with this field already exists in the current organization"}
    ]
    # also case-insensitively, and via update
    api_error(await okta.create_user(create_body(login="ALICE@acme.test")), 400, "E0000001")
    bob = unwrap(await okta.get_user("bob@acme.test"))
    update = models.UpdateUserRequest.from_dict({"profile": {"login": "alice@acme.test"}})
    api_error(await okta.update_user(bob.id, update), 400, "E0000001")


async def test_profile_validation_lists_every_cause(okta):
    body = models.CreateUserRequest.from_dict(
        {"profile": {"login": "not-an-email", "email": "nope-at-all", "lastName": "Page"}}
    )
    err = api_error(await okta.create_user(body), 400, "E0000001")
    causes = {c["errorSummary"] for c in err.error_causes}
    assert "firstName: The field cannot be left blank" in causes
    assert "login: Username must be in the form of an email address" in causes
    assert "email: Does not match required pattern" in causes
    weak = create_body(password="short")
    err = api_error(await okta.create_user(weak), 400, "E0000001")
    assert err.error_summary == "Api validation failed: password"


async def test_get_by_id_login_short_name_and_me(okta, universe):
    carol = unwrap(await okta.get_user("carol@acme.test"))
    assert unwrap(await okta.get_user(carol.id)).profile.login == "carol@acme.test"
    assert unwrap(await okta.get_user("carol")).id == carol.id
    assert unwrap(await okta.get_user("CAROL@ACME.TEST")).id == carol.id
    me = unwrap(await okta.get_user("me"))
    assert me.id == universe["okta"]["admin_user_id"]
    err = api_error(await okta.get_user("00uDOESNOTEXIST00000"), 404, "E0000007")
    assert err.error_summary == "Not found: Resource not found: 00uDOESNOTEXIST00000 (User)"


async def test_partial_update_merges_and_replace_drops_unspecified(okta):
    user = unwrap(await okta.create_user(create_body(title="Engineer", city="Paris")))
    partial = models.UpdateUserRequest.from_dict({"profile": {"title": "Senior Engineer"}})
    updated = unwrap(await okta.update_user(user.id, partial))
    assert updated.profile.title == "Senior Engineer" and updated.profile.city == "Paris"
    full = {k: getattr(updated.profile, k) for k in ("first_name", "last_name", "email", "login")}
    replace = models.UpdateUserRequest.from_dict(
        {"profile": {"firstName": full["first_name"], "lastName": "Replaced", "email": full["email"], "login": full["login"]}}
    )
    replaced = unwrap(await okta.replace_user(user.id, replace))
    assert replaced.profile.last_name == "Replaced"
    assert replaced.profile.city is None and replaced.profile.title is None
    assert replaced.last_updated >= updated.last_updated


async def test_admin_password_change_and_user_change_password(okta):
    user = unwrap(await okta.create_user(create_body()))
    change = models.ChangePasswordRequest.from_dict(
        {"oldPassword": {"value": PASSWORD}, "newPassword": {"value": "An0ther-Secret"}}
    )
    creds = unwrap(await okta.change_password(user.id, change))
    assert creds.provider.type == "OKTA"
    wrong = models.ChangePasswordRequest.from_dict(
        {"oldPassword": {"value": PASSWORD}, "newPassword": {"value": "Th1rd-Secret"}}
    )
    err = api_error(await okta.change_password(user.id, wrong), 403, "E0000014")
    assert "oldPassword" in err.error_causes[0]["errorSummary"]


async def test_delete_deactivates_first_then_removes(okta):
    user = unwrap(await okta.create_user(create_body()))
    void_ok(await okta.delete_user(user.id))
    assert unwrap(await okta.get_user(user.id)).status == "DEPROVISIONED"
    void_ok(await okta.delete_user(user.id))
    api_error(await okta.get_user(user.id), 404, "E0000007")
    void_error(await okta.delete_user(user.id), 404, "E0000007")


# --- lifecycle ----------------------------------------------------------------


async def test_full_lifecycle_walk(okta, universe):
    user = unwrap(await okta.create_user(create_body(), activate=False))
    assert user.status == "STAGED"
    token = unwrap(await okta.activate_user(user.id, send_email=False))
    assert token.activation_token and token.activation_url.startswith(universe["okta"]["org_url"])
    assert unwrap(await okta.get_user(user.id)).status == "ACTIVE"
    void_ok(await okta.suspend_user(user.id))
    assert unwrap(await okta.get_user(user.id)).status == "SUSPENDED"
    void_ok(await okta.unsuspend_user(user.id))
    reset = unwrap(await okta.reset_password(user.id, send_email=False))
    assert "/reset_password/" in reset.reset_password_url
    assert unwrap(await okta.get_user(user.id)).status == "RECOVERY"
    expired = unwrap(await okta.expire_password(user.id))
    assert expired.status == "PASSWORD_EXPIRED"
    # The SDK types this answer as a User; Okta sends {"tempPassword": …}.
    temp = raw(universe, "POST", f"/api/v1/users/{user.id}/lifecycle/expire_password_with_temp_password")
    assert temp.status_code == 200 and len(temp.json()["tempPassword"]) >= 8
    assert unwrap(await okta.get_user(user.id)).status == "PASSWORD_EXPIRED"
    void_ok(await okta.reset_factors(user.id))
    void_ok(await okta.deactivate_user(user.id))
    deprovisioned = unwrap(await okta.get_user(user.id))
    assert deprovisioned.status == "DEPROVISIONED" and deprovisioned.status_changed is not None
    unwrap(await okta.activate_user(user.id, send_email=False))
    assert unwrap(await okta.get_user(user.id)).status == "ACTIVE"


async def test_provisioned_users_reactivate(okta):
    user = await make_user(okta, "PROVISIONED")
    token = unwrap(await okta.reactivate_user(user.id, send_email=False))
    assert token.activation_token
    assert unwrap(await okta.get_user(user.id)).status == "PROVISIONED"
    # activation without a password lands in PROVISIONED too
    staged = unwrap(await okta.create_user(create_body(password=None), activate=False))
    unwrap(await okta.activate_user(staged.id, send_email=True))
    assert unwrap(await okta.get_user(staged.id)).status == "PROVISIONED"


STATUSES = ["STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT", "SUSPENDED", "DEPROVISIONED"]

# (operation, statuses it is legal from, (HTTP status, error code) otherwise)
TRANSITIONS = {
    "activate": ({"STAGED", "DEPROVISIONED"}, (403, "E0000016")),
    "reactivate": ({"PROVISIONED"}, (403, "E0000038")),
    "deactivate": (set(STATUSES) - {"DEPROVISIONED"}, (403, "E0000038")),
    "suspend": ({"ACTIVE"}, (400, "E0000001")),
    "unsuspend": ({"SUSPENDED"}, (400, "E0000001")),
    "unlock": ({"LOCKED_OUT"}, (403, "E0000032")),
    "reset_password": ({"PROVISIONED", "ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT"}, (403, "E0000038")),
    "expire_password": ({"ACTIVE", "RECOVERY", "PASSWORD_EXPIRED"}, (403, "E0000038")),
    "reset_factors": (set(STATUSES) - {"STAGED", "DEPROVISIONED"}, (403, "E0000038")),
}


async def call_op(client, op: str, user_id: str):
    if op == "activate":
        return await client.activate_user(user_id, send_email=False)
    if op == "reactivate":
        return await client.reactivate_user(user_id, send_email=False)
    if op == "deactivate":
        return await client.deactivate_user(user_id)
    if op == "suspend":
        return await client.suspend_user(user_id)
    if op == "unsuspend":
        return await client.unsuspend_user(user_id)
    if op == "unlock":
        return await client.unlock_user(user_id)
    if op == "reset_password":
        return await client.reset_password(user_id, send_email=False)
    if op == "expire_password":
        return await client.expire_password(user_id)
    if op == "reset_factors":
        return await client.reset_factors(user_id)
    raise AssertionError(op)


@pytest.mark.parametrize("op", sorted(TRANSITIONS))
async def test_every_illegal_transition_is_refused_and_changes_nothing(okta, universe, op):
    legal, (status, code) = TRANSITIONS[op]
    illegal = [s for s in STATUSES if s not in legal]
    assert illegal, op
    for from_status in illegal:
        user = await make_user(okta, from_status, universe)
        void_error(await call_op(okta, op, user.id), status, code)
        assert unwrap(await okta.get_user(user.id)).status == from_status, f"{op} from {from_status}"
    for from_status in sorted(legal):
        user = await make_user(okta, from_status, universe)
        result = await call_op(okta, op, user.id)
        assert result[-1] is None, f"{op} from {from_status}: {result[-1]!r}"


async def test_unlock_error_names_the_cause(okta):
    alice = unwrap(await okta.get_user("alice@acme.test"))
    resp, err = await okta.unlock_user(alice.id)
    message = err["message"] if isinstance(err, dict) else err.message
    assert "E0000032" in message and "The user is not locked out." in message


async def test_deactivation_keeps_groups_and_drops_app_assignments(okta, universe):
    dave = unwrap(await okta.get_user("dave@acme.test"))
    app = [a for a in unwrap(await okta.list_applications()) if a.label == "Acme Wiki"][0]
    unwrap(await okta.assign_user_to_application(app.id, models.AppUserAssignRequest.from_dict({"id": dave.id, "scope": "USER"})))
    assert raw(universe, "GET", f"/api/v1/apps/{app.id}/users/{dave.id}").json()["scope"] == "USER"
    groups_before = {g.id for g in unwrap(await okta.list_user_groups(dave.id))}
    void_ok(await okta.deactivate_user(dave.id))
    groups_after = {g.id for g in unwrap(await okta.list_user_groups(dave.id))}
    assert groups_before == groups_after
    # still reachable through the Everyone group, but no longer directly assigned
    assert raw(universe, "GET", f"/api/v1/apps/{app.id}/users/{dave.id}").json()["scope"] == "GROUP"


# --- auth ---------------------------------------------------------------------


async def test_bad_tokens_are_invalid_token_errors(universe, control):
    bad = okta_client(universe, token="00nottherealtoken")
    api_error(await bad.list_users(), 401, "E0000011")
    other = control.post("universes", json={}).json()
    try:
        # org_url names its universe (/u/{id}); a token of universe B there is refused
        assert universe["okta"]["org_url"].endswith(f"/u/{universe['id']}")
        cross = okta_client(universe, token=other["okta"]["api_token"])
        api_error(await cross.list_users(), 401, "E0000011")
        # and works against its own org
        assert unwrap(await okta_client(other).list_users(limit=1))
        # without the path prefix a request is routed by its token
        plain = universe["okta"]["org_url"].split("/u/")[0]
        routed = okta_client({"okta": {"org_url": plain, "api_token": other["okta"]["api_token"]}})
        assert unwrap(await routed.list_users(limit=1))
    finally:
        control.delete(f"universes/{other['id']}")
    no_scheme = raw(universe, "GET", "/api/v1/users", headers={"Authorization": "Basic eDp5"})
    assert no_scheme.status_code == 403 and no_scheme.json()["errorCode"] == "E0000005"


async def test_a_deactivated_admin_token_stops_working(okta, universe):
    admin = universe["okta"]["admin_user_id"]
    other = unwrap(await okta.get_user("alice@acme.test"))
    assert other.id != admin
    void_ok(await okta.deactivate_user(admin))
    api_error(await okta.list_users(), 401, "E0000011")
