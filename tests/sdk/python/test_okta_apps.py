"""Applications API through the official `okta` Python SDK: the BOOKMARK,
BASIC_AUTH and OPENID_CONNECT apps the SDK models require, their lifecycle,
user and group assignments, and a user's app links."""

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


def bookmark(label: str, url: str = "https://docs.example.com/") -> models.Application:
    return models.Application.from_dict(
        {"label": label, "signOnMode": "BOOKMARK", "name": "bookmark", "settings": {"app": {"url": url}}}
    )


def oidc(label: str, method: str = "client_secret_basic") -> models.Application:
    return models.Application.from_dict(
        {
            "label": label,
            "signOnMode": "OPENID_CONNECT",
            "name": "oidc_client",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": method}},
            "settings": {
                "oauthClient": {
                    "redirect_uris": ["https://app.example.com/callback"],
                    "response_types": ["code"],
                    "grant_types": ["authorization_code", "refresh_token"],
                    "application_type": "web",
                }
            },
        }
    )


async def app_by_label(okta, label: str):
    return [a for a in unwrap(await okta.list_applications()) if a.label == label][0]


async def test_fixture_apps_deserialize_as_their_sdk_types(okta):
    apps = unwrap(await okta.list_applications())
    kinds = {a.label: type(a).__name__ for a in apps}
    assert kinds == {
        "Acme Wiki": "BookmarkApplication",
        "Payroll (Legacy)": "BasicAuthApplication",
        "Acme Portal": "OpenIdConnectApplication",
        "Expense Tracker": "OpenIdConnectApplication",
    }
    wiki = [a for a in apps if a.label == "Acme Wiki"][0]
    assert wiki.settings.app.url == "https://wiki.acme.test/" and wiki.status == "ACTIVE"
    portal = [a for a in apps if a.label == "Acme Portal"][0]
    assert portal.credentials.oauth_client.client_id == portal.id
    assert "authorization_code" in portal.settings.oauth_client.grant_types
    payroll = [a for a in apps if a.label == "Payroll (Legacy)"][0]
    assert payroll.settings.app.auth_url


async def test_create_get_replace_lifecycle_delete(okta, universe):
    app = unwrap(await okta.create_application(bookmark("Docs")))
    assert type(app).__name__ == "BookmarkApplication" and app.id.startswith("0oa") and app.status == "ACTIVE"
    got = unwrap(await okta.get_application(app.id))
    assert got.settings.app.url == "https://docs.example.com/"
    replaced = unwrap(await okta.replace_application(app.id, bookmark("Docs v2", "https://docs2.example.com/")))
    assert replaced.label == "Docs v2" and replaced.settings.app.url == "https://docs2.example.com/"
    void_error(await okta.delete_application(app.id), 403, "E0000056")
    void_ok(await okta.deactivate_application(app.id))
    assert unwrap(await okta.get_application(app.id)).status == "INACTIVE"
    void_ok(await okta.activate_application(app.id))
    void_ok(await okta.deactivate_application(app.id))
    void_ok(await okta.delete_application(app.id))
    api_error(await okta.get_application(app.id), 404, "E0000007")


async def test_inactive_create_and_validation(okta, universe):
    app = unwrap(await okta.create_application(bookmark("Later"), activate=False))
    assert app.status == "INACTIVE"
    no_url = {"label": "Bad", "signOnMode": "BOOKMARK", "name": "bookmark", "settings": {"app": {"url": ""}}}
    resp = raw(universe, "POST", "/api/v1/apps", json=no_url)
    assert resp.status_code == 400 and resp.json()["errorCode"] == "E0000001"
    saml = {"label": "Saml", "signOnMode": "SAML_2_0", "settings": {}}
    resp = raw(universe, "POST", "/api/v1/apps", json=saml)
    assert resp.status_code == 400 and resp.json()["errorCode"] == "E0000001"


async def test_oidc_clients_get_credentials(okta):
    app = unwrap(await okta.create_application(oidc("Web client")))
    client = app.credentials.oauth_client
    assert client.client_id == app.id and len(client.client_secret) == 40
    assert client.token_endpoint_auth_method == "client_secret_basic"
    public = unwrap(await okta.create_application(oidc("SPA", method="none")))
    assert public.credentials.oauth_client.client_secret is None


async def test_user_assignments_direct_and_through_groups(okta):
    wiki = await app_by_label(okta, "Acme Wiki")  # assigned to Everyone
    payroll = await app_by_label(okta, "Payroll (Legacy)")  # Executive and Operations
    app_users = [u async for u in paginate_all(lambda **kw: okta.list_application_users(payroll.id, **kw), limit=2)]
    assert len(app_users) == 6 and {u.scope for u in app_users} == {"GROUP"}
    carol = unwrap(await okta.get_user("carol@acme.test"))
    assigned = unwrap(
        await okta.assign_user_to_application(
            payroll.id, models.AppUserAssignRequest.from_dict({"id": carol.id, "scope": "USER", "credentials": {"userName": "ccchen"}})
        )
    )
    assert assigned.id == carol.id and assigned.scope == "USER" and assigned.credentials.user_name == "ccchen"
    fetched = unwrap(await okta.get_application_user(payroll.id, carol.id))
    assert fetched.scope == "USER"
    updated = unwrap(
        await okta.update_application_user(
            payroll.id, carol.id, models.AppUserUpdateRequest(models.AppUserCredentialsRequestPayload.from_dict({"credentials": {"userName": "carol.c"}}))
        )
    )
    assert updated.credentials.user_name == "carol.c"
    assert len(unwrap(await okta.list_application_users(payroll.id))) == 7
    void_ok(await okta.unassign_user_from_application(payroll.id, carol.id))
    api_error(await okta.get_application_user(payroll.id, carol.id), 404, "E0000007")
    # a group-derived assignment cannot be removed user by user
    alice = unwrap(await okta.get_user("alice@acme.test"))
    assert unwrap(await okta.get_application_user(wiki.id, alice.id)).scope == "GROUP"
    void_error(await okta.unassign_user_from_application(wiki.id, alice.id), 400, "E0000001")


async def test_group_assignments(okta):
    app = unwrap(await okta.create_application(bookmark("Team page")))
    eng = unwrap(await okta.list_groups(q="Engineering"))[0]
    assignment = unwrap(
        await okta.assign_group_to_application(
            app.id, eng.id, models.ApplicationGroupAssignment.from_dict({"priority": 0})
        )
    )
    assert assignment.id == eng.id and assignment.priority == 0
    assert [a.id for a in unwrap(await okta.list_application_group_assignments(app.id))] == [eng.id]
    assert unwrap(await okta.get_application_group_assignment(app.id, eng.id)).id == eng.id
    users = unwrap(await okta.list_application_users(app.id))
    assert len(users) == 4 and {u.scope for u in users} == {"GROUP"}
    group_apps = unwrap(await okta.list_assigned_applications_for_group(eng.id))
    assert [a.label for a in group_apps] == ["Team page"]
    void_ok(await okta.unassign_application_from_group(app.id, eng.id))
    assert unwrap(await okta.list_application_users(app.id)) == []
    api_error(await okta.get_application_group_assignment(app.id, eng.id), 404, "E0000007")


async def test_app_links_follow_assignments_and_app_status(okta):
    frank = unwrap(await okta.get_user("frank@acme.test"))
    links = unwrap(await okta.list_app_links(frank.id))
    assert sorted(link.label for link in links) == ["Acme Portal", "Acme Wiki", "Expense Tracker"]
    wiki = await app_by_label(okta, "Acme Wiki")
    void_ok(await okta.deactivate_application(wiki.id))
    links = unwrap(await okta.list_app_links(frank.id))
    assert sorted(link.label for link in links) == ["Acme Portal", "Expense Tracker"]


async def test_filter_and_q(okta):
    kevin = unwrap(await okta.get_user("kevin@acme.test"))
    mine = unwrap(await okta.list_applications(filter=f'user.id eq "{kevin.id}"'))
    assert sorted(a.label for a in mine) == ["Acme Portal", "Acme Wiki", "Expense Tracker", "Payroll (Legacy)"]
    assert [a.label for a in unwrap(await okta.list_applications(q="acme p"))] == ["Acme Portal"]
    inactive = unwrap(await okta.list_applications(filter='status eq "INACTIVE"'))
    assert inactive == []
