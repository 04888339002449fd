"""Groups API through the official `okta` Python SDK: CRUD, list/search/q,
expand=stats, memberships and a user's groups."""

from __future__ import annotations

from okta import models

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    api_error,
    okta,
    paginate_all,
    raw,
    unwrap,
    void_error,
    void_ok,
)


def group_body(name: str, description: str = "") -> models.AddGroupRequest:
    return models.AddGroupRequest.from_dict({"profile": {"name": name, "description": description}})


def name_of(group) -> str:
    return group.profile.actual_instance.name


async def test_fixture_groups_and_the_built_in_everyone_group(okta):
    groups = unwrap(await okta.list_groups())
    by_name = {name_of(g): g for g in groups}
    assert set(by_name) == {"Everyone", "Executive", "Engineering", "Sales", "Operations", "Admins", "On-call"}
    assert by_name["Everyone"].type == "BUILT_IN"
    assert by_name["Engineering"].type == "OKTA_GROUP"
    assert by_name["Engineering"].object_class == ["okta:user_group"]
    everyone = [u async for u in paginate_all(lambda **kw: okta.list_group_users(by_name["Everyone"].id, **kw), limit=5)]
    assert len(everyone) == 15  # every user, deprovisioned ones included


async def test_create_get_replace_delete(okta, universe):
    created = unwrap(await okta.add_group(group_body("Finance", "Money people")))
    assert created.id.startswith("00g") and created.type == "OKTA_GROUP"
    assert name_of(created) == "Finance"
    fetched = unwrap(await okta.get_group(created.id))
    assert fetched.profile.actual_instance.description == "Money people"
    assert fetched.links.var_self.href == f"{universe['okta']['org_url']}/api/v1/groups/{created.id}"
    replaced = unwrap(await okta.replace_group(created.id, group_body("Finance & Legal")))
    assert name_of(replaced) == "Finance & Legal"
    void_ok(await okta.delete_group(created.id))
    err = api_error(await okta.get_group(created.id), 404, "E0000007")
    assert err.error_summary.endswith("(UserGroup)")


async def test_group_names_are_required_and_unique(okta):
    err = api_error(await okta.add_group(group_body("engineering")), 400, "E0000001")
    assert "already exists" in err.error_causes[0]["errorSummary"]
    err = api_error(await okta.add_group(models.AddGroupRequest.from_dict({"profile": {"description": "x"}})), 400, "E0000001")
    assert err.error_causes[0]["errorSummary"] == "name: The field cannot be left blank"


async def test_the_built_in_group_cannot_be_changed(okta):
    everyone = unwrap(await okta.list_groups(q="Everyone"))[0]
    api_error(await okta.replace_group(everyone.id, group_body("All")), 403, "E0000006")
    void_error(await okta.delete_group(everyone.id), 403, "E0000006")
    bob = unwrap(await okta.get_user("bob@acme.test"))
    void_error(await okta.assign_user_to_group(everyone.id, bob.id), 403, "E0000006")


async def test_q_search_and_filter(okta):
    assert sorted(name_of(g) for g in unwrap(await okta.list_groups(q="e"))) == ["Engineering", "Everyone", "Executive"]
    assert [name_of(g) for g in unwrap(await okta.list_groups(search='profile.name sw "On"'))] == ["On-call"]
    built_in = unwrap(await okta.list_groups(filter='type eq "BUILT_IN"'))
    assert [name_of(g) for g in built_in] == ["Everyone"]
    recent = unwrap(await okta.list_groups(search='type eq "OKTA_GROUP" and lastUpdated gt "2000-01-01T00:00:00.000Z"'))
    assert len(recent) == 6
    api_error(await okta.list_groups(filter='profile.description sw "x"'), 400, "E0000031")


async def test_expand_stats_counts_members_and_apps(okta):
    groups = unwrap(await okta.list_groups(q="Engineering", expand="stats"))
    stats = groups[0].embedded.stats
    assert stats.users_count == 4 and stats.apps_count == 0
    everyone = unwrap(await okta.list_groups(q="Everyone", expand="stats"))[0]
    assert everyone.embedded.stats.apps_count == 2


async def test_membership_add_remove_list_and_user_groups(okta, universe):
    group = unwrap(await okta.add_group(group_body("Book club")))
    users = [u async for u in paginate_all(okta.list_users, limit=200)]
    for u in users[:7]:
        void_ok(await okta.assign_user_to_group(group.id, u.id))
    void_ok(await okta.assign_user_to_group(group.id, users[0].id))  # idempotent
    members = [m async for m in paginate_all(lambda **kw: okta.list_group_users(group.id, **kw), limit=3)]
    assert sorted(m.id for m in members) == sorted(u.id for u in users[:7])
    mine = {name_of(g) for g in unwrap(await okta.list_user_groups(users[0].id))}
    assert "Book club" in mine and "Everyone" in mine
    void_ok(await okta.unassign_user_from_group(group.id, users[0].id))
    members = unwrap(await okta.list_group_users(group.id))
    assert users[0].id not in {m.id for m in members} and len(members) == 6
    stats = raw(universe, "GET", f"/api/v1/groups/{group.id}?expand=stats").json()["_embedded"]["stats"]
    assert stats["usersCount"] == 6
    void_error(await okta.assign_user_to_group(group.id, "00uNOPE0000000000000"), 404, "E0000007")
    void_error(await okta.assign_user_to_group("00gNOPE0000000000000", users[0].id), 404, "E0000007")


async def test_deleting_a_group_drops_its_memberships(okta):
    group = unwrap(await okta.add_group(group_body("Temporary")))
    carol = unwrap(await okta.get_user("carol@acme.test"))
    void_ok(await okta.assign_user_to_group(group.id, carol.id))
    void_ok(await okta.delete_group(group.id))
    names = {name_of(g) for g in unwrap(await okta.list_user_groups(carol.id))}
    assert "Temporary" not in names and "Engineering" in names


async def test_create_user_with_group_ids(okta):
    sales = unwrap(await okta.list_groups(q="Sales"))[0]
    body = models.CreateUserRequest.from_dict(
        {
            "profile": {"firstName": "Gil", "lastName": "Grp", "email": "gil@example.com", "login": "gil@example.com"},
            "groupIds": [sales.id],
        }
    )
    gil = unwrap(await okta.create_user(body))
    assert sales.id in {g.id for g in unwrap(await okta.list_user_groups(gil.id))}


def rule_body(name: str, expression: str, group_ids: list[str]) -> dict:
    return {
        "type": "group_rule",
        "name": name,
        "conditions": {"expression": {"value": expression, "type": "urn:okta:expression:1.0"}},
        "actions": {"assignUserToGroups": {"groupIds": group_ids}},
    }


async def test_group_rules_assign_matching_users_once_active(okta):
    target = unwrap(await okta.add_group(group_body("Builders")))
    body = rule_body("Engineers are builders", 'user.department == "Engineering"', [target.id])
    rule = unwrap(await okta.create_group_rule(models.CreateGroupRuleRequest.from_dict(body)))
    assert rule.id.startswith("0pr") and rule.status == "INACTIVE" and rule.type == "group_rule"
    assert unwrap(await okta.list_group_users(target.id)) == []
    void_ok(await okta.activate_group_rule(rule.id))
    assert unwrap(await okta.get_group_rule(rule.id)).status == "ACTIVE"
    members = sorted(u.profile.login for u in unwrap(await okta.list_group_users(target.id)))
    # Victor is deprovisioned: rules skip him
    assert members == ["bob@acme.test", "carol@acme.test", "dave@acme.test", "erin@acme.test"]
    # an active rule keeps applying: to new users and to profile changes
    new = models.CreateUserRequest.from_dict(
        {"profile": {"firstName": "Rui", "lastName": "Rule", "email": "rui@example.com", "login": "rui@example.com", "department": "Engineering"}}
    )
    rui = unwrap(await okta.create_user(new))
    grace = unwrap(await okta.get_user("grace@acme.test"))
    moved = models.UpdateUserRequest.from_dict({"profile": {"department": "Engineering"}})
    unwrap(await okta.update_user(grace.id, moved))
    members = {u.id for u in unwrap(await okta.list_group_users(target.id))}
    assert {rui.id, grace.id} <= members and len(members) == 6
    # an active rule cannot be changed; an inactive one can
    renamed = models.GroupRule.from_dict(rule_body("Renamed", 'user.department == "Sales"', [target.id]))
    api_error(await okta.replace_group_rule(rule.id, renamed), 400, "E0000001")
    void_ok(await okta.deactivate_group_rule(rule.id))
    assert unwrap(await okta.replace_group_rule(rule.id, renamed)).name == "Renamed"
    assert [r.id for r in unwrap(await okta.list_group_rules())] == [rule.id]
    void_ok(await okta.delete_group_rule(rule.id, remove_users=True))
    assert {u.id for u in unwrap(await okta.list_group_users(target.id))} == set()
    api_error(await okta.get_group_rule(rule.id), 404, "E0000007")


async def test_group_rule_expressions_are_validated(okta):
    target = unwrap(await okta.add_group(group_body("Rule target")))
    for bad in ['user.department ==', 'Nope.call("x")', ""]:
        body = models.CreateGroupRuleRequest.from_dict(rule_body("Bad", bad, [target.id]))
        api_error(await okta.create_group_rule(body), 400, "E0000001")
    everyone = unwrap(await okta.list_groups(q="Everyone"))[0]
    body = models.CreateGroupRuleRequest.from_dict(rule_body("Built-in", 'user.title == "x"', [everyone.id]))
    api_error(await okta.create_group_rule(body), 400, "E0000001")
    ok = rule_body("Contains", 'String.stringContains(user.email, "@acme.test") AND isMemberOfGroupName("Sales")', [target.id])
    rule = unwrap(await okta.create_group_rule(models.CreateGroupRuleRequest.from_dict(ok)))
    void_ok(await okta.activate_group_rule(rule.id))
    members = sorted(u.profile.login for u in unwrap(await okta.list_group_users(target.id)))
    assert members == ["frank@acme.test", "grace@acme.test", "ivan@acme.test", "nina@acme.test"]
