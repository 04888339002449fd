"""Admin roles through the official `okta` Python SDK: standard role assignments to
users and groups, their group and app targets, custom roles over resource sets,
API tokens' metadata, and an API token acting with its user's roles (a read-only
admin reads and is refused writes; a targeted role reaches only its targets)."""

from __future__ import annotations

from typing import Any

from okta import models

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    OktaAPIError,
    api_error,
    conforms,
    okta,
    okta_client,
    raw,
    unwrap,
    void_error,
    void_ok,
)


def mint_token(control, universe: dict[str, Any], login: str) -> str:
    """An API token acting as `login` (the twin's control plane, as the Admin Console would)."""
    resp = control.post(f"universes/{universe['id']}/okta/api-tokens", json={"user": login, "name": f"{login} token"})
    assert resp.status_code == 201, resp.text
    return resp.json()["token"]


def as_token(universe: dict[str, Any], token: str, method: str, path: str, **kwargs: Any):
    return raw(universe, method, path, headers={"Authorization": f"SSWS {token}"}, **kwargs)


def user_id(universe, login: str) -> str:
    return raw(universe, "GET", f"/api/v1/users/{login}").json()["id"]


def group_id(universe, name: str) -> str:
    found = raw(universe, "GET", "/api/v1/groups", params={"q": name}).json()
    return [g for g in found if g["profile"]["name"] == name][0]["id"]


def role_request(role_type: str) -> models.AssignRoleToUserRequest:
    return models.AssignRoleToUserRequest.from_dict({"type": role_type})


async def test_the_seeded_admin_is_a_super_admin_and_its_token_is_listed(okta, universe):
    admin = universe["okta"]["admin_user_id"]
    roles = unwrap(await okta.list_assigned_roles_for_user(admin))
    assert [r.actual_instance.type for r in roles] == ["SUPER_ADMIN"]
    body = raw(universe, "GET", f"/api/v1/users/{admin}/roles").json()
    conforms(body[0], "Role")
    assert body[0]["label"] == "Super Administrator" and body[0]["assignmentType"] == "USER"
    assert body[0]["_links"]["assignee"]["href"].endswith(f"/api/v1/users/{admin}")
    tokens = raw(universe, "GET", "/api/v1/api-tokens").json()
    assert [t["userId"] for t in tokens] == [admin]
    conforms(tokens[0], "ApiToken")
    sdk_tokens = unwrap(await okta.list_api_tokens())
    assert sdk_tokens[0].user_id == admin


async def test_assign_list_get_and_unassign_a_role(okta, universe):
    bob = user_id(universe, "bob@acme.test")
    created = unwrap(await okta.assign_role_to_user(bob, role_request("HELP_DESK_ADMIN")))
    role = created.actual_instance
    assert role.type == "HELP_DESK_ADMIN" and role.label == "Help Desk Administrator" and role.status == "ACTIVE"
    resp = raw(universe, "GET", f"/api/v1/users/{bob}/roles/{role.id}")
    assert resp.status_code == 200
    conforms(resp.json(), "Role")
    listed = unwrap(await okta.list_assigned_roles_for_user(bob))
    assert [r.actual_instance.id for r in listed] == [role.id]
    # The same role twice is a conflict; an unknown type a validation error.
    dup = raw(universe, "POST", f"/api/v1/users/{bob}/roles", json={"type": "HELP_DESK_ADMIN"})
    assert (dup.status_code, dup.json()["errorCode"]) == (409, "E0000090")
    bad = raw(universe, "POST", f"/api/v1/users/{bob}/roles", json={"type": "KING"})
    assert (bad.status_code, bad.json()["errorCode"]) == (400, "E0000001")
    conforms(bad.json(), "Error")
    events = raw(universe, "GET", "/api/v1/logs", params={"filter": 'eventType eq "user.account.privilege.grant"', "until": "2100-01-01T00:00:00.000Z"}).json()
    assert any(t["id"] == bob for e in events for t in e["target"])
    void_ok(await okta.unassign_role_from_user(bob, role.id))
    assert unwrap(await okta.list_assigned_roles_for_user(bob)) == []
    gone = raw(universe, "GET", f"/api/v1/users/{bob}/roles/{role.id}")
    assert (gone.status_code, gone.json()["errorCode"]) == (404, "E0000007")


async def test_a_read_only_admins_token_reads_but_is_refused_writes(okta, universe, control):
    bob = user_id(universe, "bob@acme.test")
    unwrap(await okta.assign_role_to_user(bob, role_request("READ_ONLY_ADMIN")))
    reader = okta_client(universe, token=mint_token(control, universe, "bob@acme.test"))
    users = unwrap(await reader.list_users())
    assert any(u.profile.login == "carol@acme.test" for u in users)
    unwrap(await reader.list_groups())
    body = models.CreateUserRequest.from_dict(
        {"profile": {"firstName": "Pat", "lastName": "Lee", "email": "pat@acme.test", "login": "pat@acme.test"}}
    )
    err = api_error(await reader.create_user(body), 403, "E0000006")
    assert err.error_summary == "You do not have permission to perform the requested action"
    group = models.AddGroupRequest.from_dict({"profile": {"name": "Readers"}})
    api_error(await reader.add_group(group), 403, "E0000006")
    carol = user_id(universe, "carol@acme.test")
    void_error(await reader.suspend_user(carol), 403, "E0000006")
    # Nor can it hand itself more rights.
    api_error(await reader.assign_role_to_user(bob, role_request("SUPER_ADMIN")), 403, "E0000006")
    # A user with no admin role at all gets nothing.
    nobody = okta_client(universe, token=mint_token(control, universe, "carol@acme.test"))
    _, _, err = await nobody.list_users()
    assert isinstance(err, OktaAPIError) and (err.status, err.error_code) == (403, "E0000006")
    # The seeded admin's token is untouched.
    unwrap(await okta.add_group(models.AddGroupRequest.from_dict({"profile": {"name": "Writers"}})))


async def test_a_group_membership_admin_reaches_only_its_target_groups(okta, universe, control):
    frank = user_id(universe, "frank@acme.test")
    engineering, sales = group_id(universe, "Engineering"), group_id(universe, "Sales")
    role = unwrap(await okta.assign_role_to_user(frank, role_request("GROUP_MEMBERSHIP_ADMIN"))).actual_instance
    void_ok(await okta.assign_group_target_to_user_role(frank, role.id, engineering))
    targets = unwrap(await okta.list_group_targets_for_role(frank, role.id))
    assert [t.id for t in targets] == [engineering]
    expanded = raw(universe, "GET", f"/api/v1/users/{frank}/roles", params={"expand": "targets/groups"}).json()
    assert [g["id"] for g in expanded[0]["_embedded"]["targets"]["groups"]] == [engineering]
    conforms(expanded[0], "Role")
    assignees = raw(universe, "GET", "/api/v1/iam/assignees/users").json()
    conforms(assignees, "RoleAssignedUsers")
    assert frank in [a["id"] for a in assignees["value"]]
    conforms(raw(universe, "GET", f"/api/v1/users/{frank}/roles/{role.id}/targets/groups").json()[0], "Group")
    token = mint_token(control, universe, "frank@acme.test")
    laura = user_id(universe, "laura@acme.test")
    assert as_token(universe, token, "PUT", f"/api/v1/groups/{engineering}/users/{laura}").status_code == 204
    assert as_token(universe, token, "DELETE", f"/api/v1/groups/{engineering}/users/{laura}").status_code == 204
    refused = as_token(universe, token, "PUT", f"/api/v1/groups/{sales}/users/{laura}")
    assert (refused.status_code, refused.json()["errorCode"]) == (403, "E0000006")
    created = as_token(universe, token, "POST", "/api/v1/groups", json={"profile": {"name": "Frank's"}})
    assert created.status_code == 403
    # A role with targets keeps at least one; a role without target types takes none.
    last = raw(universe, "DELETE", f"/api/v1/users/{frank}/roles/{role.id}/targets/groups/{engineering}")
    assert (last.status_code, last.json()["errorCode"]) == (400, "E0000001")
    bob = user_id(universe, "bob@acme.test")
    ro = unwrap(await okta.assign_role_to_user(bob, role_request("READ_ONLY_ADMIN"))).actual_instance
    no = raw(universe, "PUT", f"/api/v1/users/{bob}/roles/{ro.id}/targets/groups/{engineering}")
    assert (no.status_code, no.json()["errorCode"]) == (400, "E0000001")


async def test_an_app_admin_reaches_only_its_target_apps(okta, universe, control):
    grace = user_id(universe, "grace@acme.test")
    apps = {a["label"]: a for a in raw(universe, "GET", "/api/v1/apps").json()}
    wiki, portal = apps["Acme Wiki"], apps["Acme Portal"]
    role = unwrap(await okta.assign_role_to_user(grace, role_request("APP_ADMIN"))).actual_instance
    void_ok(await okta.assign_app_instance_target_to_app_admin_role_for_user(grace, role.id, wiki["name"], wiki["id"]))
    listed = raw(universe, "GET", f"/api/v1/users/{grace}/roles/{role.id}/targets/catalog/apps").json()
    assert [t["id"] for t in listed] == [wiki["id"]]
    conforms(listed[0], "CatalogApplication")
    token = mint_token(control, universe, "grace@acme.test")
    ivan = user_id(universe, "ivan@acme.test")
    ok = as_token(universe, token, "POST", f"/api/v1/apps/{wiki['id']}/users", json={"id": ivan, "scope": "USER"})
    assert ok.status_code == 200, ok.text
    no = as_token(universe, token, "POST", f"/api/v1/apps/{portal['id']}/users", json={"id": ivan, "scope": "USER"})
    assert (no.status_code, no.json()["errorCode"]) == (403, "E0000006")


async def test_a_role_assigned_to_a_group_reaches_its_members(okta, universe, control):
    sales = group_id(universe, "Sales")
    request = models.AssignRoleToGroupRequest.from_dict({"type": "READ_ONLY_ADMIN"})
    assigned = unwrap(await okta.assign_role_to_group(sales, request)).actual_instance
    assert assigned.type == "READ_ONLY_ADMIN"
    listed = raw(universe, "GET", f"/api/v1/groups/{sales}/roles").json()
    assert [r["assignmentType"] for r in listed] == ["GROUP"]
    conforms(listed[0], "Role")
    token = mint_token(control, universe, "grace@acme.test")  # a member of Sales
    assert as_token(universe, token, "GET", "/api/v1/users").status_code == 200
    assert as_token(universe, token, "POST", "/api/v1/groups", json={"profile": {"name": "X"}}).status_code == 403
    void_ok(await okta.unassign_role_from_group(sales, assigned.id))
    assert as_token(universe, token, "GET", "/api/v1/users").status_code == 403


async def test_a_custom_role_over_a_resource_set(okta, universe, control):
    org = universe["okta"]["org_url"]
    engineering, sales = group_id(universe, "Engineering"), group_id(universe, "Sales")
    role = raw(
        universe,
        "POST",
        "/api/v1/iam/roles",
        json={
            "label": "Engineering membership",
            "description": "Manages who is in Engineering",
            "permissions": ["okta.groups.read", "okta.groups.members.manage", "okta.users.read"],
        },
    )
    assert role.status_code == 200, role.text
    conforms(role.json(), "IamRole")
    role_id = role.json()["id"]
    perms = raw(universe, "GET", f"/api/v1/iam/roles/{role_id}/permissions").json()["permissions"]
    assert sorted(p["label"] for p in perms) == ["okta.groups.members.manage", "okta.groups.read", "okta.users.read"]
    bad = raw(universe, "POST", "/api/v1/iam/roles", json={"label": "x", "description": "y", "permissions": ["okta.everything"]})
    assert (bad.status_code, bad.json()["errorCode"]) == (400, "E0000001")
    rs = raw(
        universe,
        "POST",
        "/api/v1/iam/resource-sets",
        json={"label": "Eng", "description": "Engineering", "resources": [f"{org}/api/v1/groups/{engineering}"]},
    )
    assert rs.status_code == 200, rs.text
    conforms(rs.json(), "ResourceSet")
    rs_id = rs.json()["id"]
    resources = raw(universe, "GET", f"/api/v1/iam/resource-sets/{rs_id}/resources").json()["resources"]
    assert len(resources) == 1
    conforms(resources[0], "ResourceSetResource")
    hannah = user_id(universe, "hannah@acme.test")
    binding = raw(
        universe,
        "POST",
        f"/api/v1/iam/resource-sets/{rs_id}/bindings",
        json={"role": role_id, "members": [f"{org}/api/v1/users/{hannah}"]},
    )
    assert binding.status_code == 200, binding.text
    conforms(binding.json(), "ResourceSetBindingResponse")
    held = raw(universe, "GET", f"/api/v1/users/{hannah}/roles").json()
    assert [(r["type"], r["role"], r["resource-set"]) for r in held] == [("CUSTOM", role_id, rs_id)]
    conforms(held[0], "Role")
    token = mint_token(control, universe, "hannah@acme.test")
    laura = user_id(universe, "laura@acme.test")
    assert as_token(universe, token, "PUT", f"/api/v1/groups/{engineering}/users/{laura}").status_code == 204
    assert as_token(universe, token, "PUT", f"/api/v1/groups/{sales}/users/{laura}").status_code == 403
    # A bound role or set is not deleted from under its members.
    assert raw(universe, "DELETE", f"/api/v1/iam/roles/{role_id}").status_code == 400
    assert raw(universe, "DELETE", f"/api/v1/iam/resource-sets/{rs_id}/bindings/{role_id}").status_code == 204
    assert raw(universe, "GET", f"/api/v1/users/{hannah}/roles").json() == []
    assert raw(universe, "DELETE", f"/api/v1/iam/roles/{role_id}").status_code == 204


async def test_binding_members_are_added_read_and_removed(okta, universe):
    org = universe["okta"]["org_url"]
    role_id = raw(universe, "POST", "/api/v1/iam/roles", json={
        "label": "Member readers", "description": "Reads users", "permissions": ["okta.users.read"]}).json()["id"]
    engineering = group_id(universe, "Engineering")
    rs_id = raw(universe, "POST", "/api/v1/iam/resource-sets", json={
        "label": "Eng members", "description": "Engineering", "resources": [f"{org}/api/v1/groups/{engineering}"]}).json()["id"]
    hannah, sales = user_id(universe, "hannah@acme.test"), group_id(universe, "Sales")
    members_path = f"/api/v1/iam/resource-sets/{rs_id}/bindings/{role_id}/members"
    # No binding yet: nothing to add members to.
    early = raw(universe, "PATCH", members_path, json={"additions": [f"{org}/api/v1/users/{hannah}"]})
    assert early.status_code == 404 and early.json()["errorCode"] == "E0000007", early.text
    made = raw(universe, "POST", f"/api/v1/iam/resource-sets/{rs_id}/bindings",
               json={"role": role_id, "members": [f"{org}/api/v1/users/{hannah}"]})
    assert made.status_code == 200, made.text
    added = raw(universe, "PATCH", members_path, json={"additions": [f"{org}/api/v1/groups/{sales}"]})
    assert added.status_code == 200, added.text
    conforms(added.json(), "ResourceSetBindingResponse")
    members = raw(universe, "GET", members_path).json()["members"]
    assert sorted(m["_links"]["self"]["href"] for m in members) == sorted(
        [f"{org}/api/v1/users/{hannah}", f"{org}/api/v1/groups/{sales}"])
    group_member = next(m for m in members if "/groups/" in m["_links"]["self"]["href"])
    got = raw(universe, "GET", f"{members_path}/{group_member['id']}").json()
    conforms(got, "ResourceSetBindingMember")
    assert got == group_member
    held = raw(universe, "GET", f"/api/v1/groups/{sales}/roles").json()
    assert [(r["type"], r["role"]) for r in held] == [("CUSTOM", role_id)]
    bad = raw(universe, "PATCH", members_path, json={"additions": [f"{org}/api/v1/users/00uNOPE"]})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "E0000001"
    assert raw(universe, "DELETE", f"{members_path}/{group_member['id']}").status_code == 204
    assert raw(universe, "GET", f"/api/v1/groups/{sales}/roles").json() == []
    gone = raw(universe, "GET", f"{members_path}/{group_member['id']}")
    assert gone.status_code == 404 and gone.json()["errorCode"] == "E0000007"
    assert [m["_links"]["self"]["href"] for m in raw(universe, "GET", members_path).json()["members"]] == [
        f"{org}/api/v1/users/{hannah}"]


async def test_permission_conditions_are_replaced_and_read(okta, universe):
    role_id = raw(universe, "POST", "/api/v1/iam/roles", json={
        "label": "Profile readers", "description": "Reads some attributes",
        "permissions": ["okta.users.read", "okta.users.userprofile.manage"]}).json()["id"]
    path = f"/api/v1/iam/roles/{role_id}/permissions"
    conditions = {"include": {"okta:ResourceAttribute/User/Profile": ["city", "state", "zipCode"]}}
    replaced = raw(universe, "PUT", f"{path}/okta.users.read", json={"conditions": conditions})
    assert replaced.status_code == 200, replaced.text
    conforms(replaced.json(), "Permission")
    assert replaced.json()["conditions"] == conditions and replaced.json()["label"] == "okta.users.read"
    assert raw(universe, "GET", f"{path}/okta.users.read").json()["conditions"] == conditions
    assert "conditions" not in raw(universe, "GET", f"{path}/okta.users.userprofile.manage").json()
    missing = raw(universe, "PUT", f"{path}/okta.groups.read", json={"conditions": conditions})
    assert missing.status_code == 404 and missing.json()["errorCode"] == "E0000007"
    for bad in [{"include": ["city"]}, {"only": {}}, "city"]:
        resp = raw(universe, "PUT", f"{path}/okta.users.read", json={"conditions": bad})
        assert resp.status_code == 400 and resp.json()["errorCode"] == "E0000001", (bad, resp.text)
    # No conditions in the body: none left (and the SDK, which types them as objects of objects, reads it).
    assert raw(universe, "PUT", f"{path}/okta.users.read", json={}).status_code == 200
    read = unwrap(await okta.get_role_permission(role_id, "okta.users.read"))
    assert read.label == "okta.users.read" and read.conditions is None
    # Adding a permission may carry conditions; removing it forgets them.
    added = raw(universe, "POST", f"{path}/okta.groups.read", json={"conditions": conditions})
    assert added.status_code == 204, added.text
    assert raw(universe, "GET", f"{path}/okta.groups.read").json()["conditions"] == conditions
    assert raw(universe, "DELETE", f"{path}/okta.groups.read").status_code == 204
    assert raw(universe, "POST", f"{path}/okta.groups.read").status_code == 204
    assert "conditions" not in raw(universe, "GET", f"{path}/okta.groups.read").json()


async def test_revoking_an_api_token(okta, universe, control):
    bob = user_id(universe, "bob@acme.test")
    unwrap(await okta.assign_role_to_user(bob, role_request("READ_ONLY_ADMIN")))
    token = mint_token(control, universe, "bob@acme.test")
    listed = raw(universe, "GET", "/api/v1/api-tokens").json()
    mine = [t for t in listed if t["userId"] == bob]
    assert len(mine) == 1
    assert as_token(universe, token, "GET", "/api/v1/users").status_code == 200
    assert raw(universe, "DELETE", f"/api/v1/api-tokens/{mine[0]['id']}").status_code == 204
    after = as_token(universe, token, "GET", "/api/v1/users")
    assert after.status_code == 401, after.text
    # The seeded token too (this universe is a fork, whose credentials were minted anew).
    seeded = [t for t in raw(universe, "GET", "/api/v1/api-tokens").json() if t["userId"] != bob]
    assert raw(universe, "DELETE", f"/api/v1/api-tokens/{seeded[0]['id']}").status_code == 204
    assert raw(universe, "GET", "/api/v1/users").status_code == 401


async def test_an_unknown_expand_is_refused(okta, universe):
    resp = raw(universe, "GET", "/api/v1/users", params={"expand": "nonsense"})
    assert (resp.status_code, resp.json()["errorCode"]) == (400, "E0000001")
    bob = user_id(universe, "bob@acme.test")
    assert raw(universe, "GET", f"/api/v1/users/{bob}", params={"expand": "nonsense"}).status_code == 400
    assert raw(universe, "GET", "/api/v1/groups", params={"expand": "stats"}).status_code == 200
    bad = raw(universe, "GET", "/api/v1/groups", params={"expand": "stats,nonsense"})
    assert (bad.status_code, bad.json()["errorCode"]) == (400, "E0000001")
    engineering = group_id(universe, "Engineering")
    assert raw(universe, "GET", f"/api/v1/groups/{engineering}", params={"expand": "members"}).status_code == 400


async def test_a_targeted_help_desk_admin_changes_lifecycles_of_its_groups_users_only(okta, universe, control):
    erin = user_id(universe, "erin@acme.test")
    engineering = group_id(universe, "Engineering")
    role = unwrap(await okta.assign_role_to_user(erin, role_request("HELP_DESK_ADMIN"))).actual_instance
    void_ok(await okta.assign_group_target_to_user_role(erin, role.id, engineering))
    desk = okta_client(universe, token=mint_token(control, universe, "erin@acme.test"))
    bob, frank = user_id(universe, "bob@acme.test"), user_id(universe, "frank@acme.test")
    unwrap(await desk.reset_password(bob, send_email=False))
    assert raw(universe, "GET", f"/api/v1/users/{bob}").json()["status"] == "RECOVERY"
    void_ok(await desk.reset_factors(bob))
    api_error(await desk.reset_password(frank, send_email=False), 403, "E0000006")
    # A help desk admin resets and unlocks; it does not suspend, edit profiles or delete people.
    void_error(await desk.suspend_user(bob), 403, "E0000006")
    token = mint_token(control, universe, "erin@acme.test")
    edit = as_token(universe, token, "POST", f"/api/v1/users/{bob}", json={"profile": {"title": "Boss"}})
    assert (edit.status_code, edit.json()["errorCode"]) == (403, "E0000006")
    gone = as_token(universe, token, "DELETE", f"/api/v1/users/{bob}")
    assert (gone.status_code, gone.json()["errorCode"]) == (403, "E0000006")


def test_the_token_endpoint_matches_the_control_plane_document(dtu, universe):
    import requests
    import yaml
    from openapi_core import OpenAPI
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    from conftest import REPO_ROOT

    document = yaml.safe_load((REPO_ROOT / "openapi" / "dtu-control.yaml").read_text())
    document["servers"] = [{"url": dtu.control_url.rstrip("/")}]
    spec = OpenAPI.from_dict(document)
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = f"Bearer {dtu.admin_token}"
    url = dtu.control_url + f"universes/{universe['id']}/okta/api-tokens"
    for body, status in [({"user": "bob@acme.test", "name": "ci"}, 201), ({"user": "nobody@acme.test"}, 400), ({"who": "bob"}, 400)]:
        response = session.post(url, json=body, timeout=10)
        assert response.status_code == status, response.text
        if status < 400:
            spec.validate_request(RequestsOpenAPIRequest(response.request))
        spec.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))


async def test_an_admin_who_gives_up_the_last_role_keeps_no_rights(okta, universe):
    admin = universe["okta"]["admin_user_id"]
    [role] = raw(universe, "GET", f"/api/v1/users/{admin}/roles").json()
    assert raw(universe, "DELETE", f"/api/v1/users/{admin}/roles/{role['id']}").status_code == 204
    refused = raw(universe, "GET", "/api/v1/users")
    assert (refused.status_code, refused.json()["errorCode"]) == (403, "E0000006")
