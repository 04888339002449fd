"""Universal Directory through the official `okta` Python SDK: the user, group and
app user schemas with custom attributes enforced on every profile write (type,
required, enum, pattern, length, unique), user types, linked objects and group owners."""

from __future__ import annotations

from okta import models

from test_okta_support import (  # noqa: F401  (okta is a fixture)
    api_error,
    conforms,
    okta,
    raw,
    unwrap,
    void_ok,
)

ATTRIBUTES = {
    "employeeLevel": {"title": "Level", "type": "integer"},
    "costCode": {"title": "Cost code", "type": "string", "pattern": "[A-Z]{2}-[0-9]{3}", "maxLength": 6},
    "tier": {"title": "Tier", "type": "string", "enum": ["gold", "silver"], "required": True},
    "badge": {"title": "Badge", "type": "string", "unique": "UNIQUE_VALIDATED"},
    "skills": {"title": "Skills", "type": "array", "items": {"type": "string"}},
}


def schema_update(properties: dict) -> models.UserSchema:
    return models.UserSchema.from_dict({"definitions": {"custom": {"id": "#custom", "type": "object", "properties": properties}}})


def new_user(login: str, **extra) -> models.CreateUserRequest:
    profile = {"firstName": "Pat", "lastName": "Lee", "email": login, "login": login, **extra}
    return models.CreateUserRequest.from_dict({"profile": profile})


def app_user_shape(body: dict) -> dict:
    """An app user as the vendor schema can judge it: its `AppUserProfile` types every
    attribute as an object, and draft 4 reads no `nullable` (Okta sends `externalId`
    and `passwordChanged` as null for SSO apps)."""
    return {k: v for k, v in body.items() if v is not None and k != "profile"}


def causes(err) -> str:
    return " | ".join(c["errorSummary"] for c in err.error_causes)


async def test_the_default_user_schema(okta, universe):
    body = raw(universe, "GET", "/api/v1/meta/schemas/user/default").json()
    conforms(body, "UserSchema")
    assert body["definitions"]["base"]["required"] == ["login", "firstName", "lastName", "email"]
    assert body["definitions"]["custom"]["properties"] == {}
    schema = unwrap(await okta.get_user_schema("default"))
    assert schema.definitions.base.properties.login.required is True


async def test_custom_user_attributes_are_added_enforced_and_removed(okta, universe):
    # okta 3.4.6 types `unique` as a boolean where Okta (and its document) say
    # "UNIQUE_VALIDATED", so the SDK cannot read a schema holding a unique attribute:
    # that one goes in over plain HTTP, after the SDK has added the others.
    plain = {k: v for k, v in ATTRIBUTES.items() if k != "badge"}
    updated = unwrap(await okta.update_user_profile("default", schema_update(plain)))
    assert set(updated.definitions.custom.properties) == set(plain)
    unique = raw(universe, "POST", "/api/v1/meta/schemas/user/default", json={"definitions": {"custom": {"properties": {"badge": ATTRIBUTES["badge"]}}}})
    assert unique.status_code == 200, unique.text
    body = raw(universe, "GET", "/api/v1/meta/schemas/user/default").json()
    conforms(body, "UserSchema")
    assert body["definitions"]["custom"]["required"] == ["tier"]
    assert body["definitions"]["custom"]["properties"]["badge"]["unique"] == "UNIQUE_VALIDATED"

    ok = unwrap(await okta.create_user(new_user("pat@acme.test", tier="gold", employeeLevel=3, costCode="AB-123", badge="B1", skills=["go"])))
    fetched = raw(universe, "GET", f"/api/v1/users/{ok.id}").json()
    assert fetched["profile"]["tier"] == "gold" and fetched["profile"]["employeeLevel"] == 3

    err = api_error(await okta.create_user(new_user("kim@acme.test")), 400, "E0000001")
    assert "tier: The field cannot be left blank" in causes(err)
    for extra, expected in [
        ({"tier": "bronze"}, "tier: Does not match required enum value"),
        ({"tier": "gold", "employeeLevel": "three"}, "employeeLevel: Does not match required type: integer"),
        ({"tier": "gold", "costCode": "ab-12"}, "costCode: Does not match required pattern"),
        ({"tier": "gold", "badge": "b1"}, "badge: An object with this field already exists"),
        ({"tier": "gold", "skills": "go"}, "skills: Does not match required type: array"),
    ]:
        resp = raw(universe, "POST", "/api/v1/users", json={"profile": {"firstName": "K", "lastName": "L", "email": "kim@acme.test", "login": "kim@acme.test", **extra}})
        assert resp.status_code == 400, (extra, resp.text)
        conforms(resp.json(), "Error")
        assert resp.json()["errorCode"] == "E0000001"
        assert expected in " | ".join(c["errorSummary"] for c in resp.json()["errorCauses"]), resp.text

    # Updates are held to the same rules; the user's own value is not a duplicate of itself.
    same = raw(universe, "POST", f"/api/v1/users/{ok.id}", json={"profile": {"badge": "B1", "employeeLevel": 4}})
    assert same.status_code == 200, same.text
    bad = raw(universe, "POST", f"/api/v1/users/{ok.id}", json={"profile": {"employeeLevel": 4.5}})
    assert bad.status_code == 400
    # Seeded users lack the required attribute: a profile write must now give it.
    bob = raw(universe, "GET", "/api/v1/users/bob@acme.test").json()
    blocked = raw(universe, "POST", f"/api/v1/users/{bob['id']}", json={"profile": {"title": "Staff"}})
    assert (blocked.status_code, blocked.json()["errorCode"]) == (400, "E0000001")

    # Removing with null drops the attribute and its values.
    removed = raw(universe, "POST", "/api/v1/meta/schemas/user/default", json={"definitions": {"custom": {"properties": {"tier": None, "badge": None}}}})
    assert removed.status_code == 200
    assert set(removed.json()["definitions"]["custom"]["properties"]) == {"employeeLevel", "costCode", "skills"}
    after = raw(universe, "GET", f"/api/v1/users/{ok.id}").json()
    assert "tier" not in after["profile"] and "badge" not in after["profile"]
    assert raw(universe, "POST", f"/api/v1/users/{bob['id']}", json={"profile": {"title": "Staff"}}).status_code == 200


async def test_bad_attribute_definitions_are_refused(okta, universe):
    for definition in [
        {"title": "X", "type": "date"},
        {"type": "string"},
        {"title": "X", "type": "string", "pattern": "("},
        {"title": "X", "type": "string", "enum": [1, 2]},
    ]:
        resp = raw(universe, "POST", "/api/v1/meta/schemas/user/default", json={"definitions": {"custom": {"properties": {"thing": definition}}}})
        assert (resp.status_code, resp.json()["errorCode"]) == (400, "E0000001"), definition
    clash = raw(universe, "POST", "/api/v1/meta/schemas/user/default", json={"definitions": {"custom": {"properties": {"email": {"title": "E", "type": "string"}}}}})
    assert clash.status_code == 400


async def test_group_schema_attributes_are_enforced(okta, universe):
    schema = unwrap(await okta.get_group_schema())
    assert schema.definitions.base.required == ["name"]
    conforms(raw(universe, "GET", "/api/v1/meta/schemas/group/default").json(), "GroupSchema")
    update = models.GroupSchema.from_dict({"definitions": {"custom": {"id": "#custom", "type": "object", "properties": {"costCenter": {"title": "Cost center", "type": "integer", "required": True}}}}})
    updated = unwrap(await okta.update_group_schema(update))
    assert "costCenter" in updated.definitions.custom.properties
    missing = raw(universe, "POST", "/api/v1/groups", json={"profile": {"name": "Finance"}})
    assert (missing.status_code, missing.json()["errorCode"]) == (400, "E0000001")
    assert missing.json()["errorCauses"][0]["errorSummary"] == "costCenter: The field cannot be left blank"
    wrong = raw(universe, "POST", "/api/v1/groups", json={"profile": {"name": "Finance", "costCenter": "ten"}})
    assert wrong.status_code == 400
    ok = raw(universe, "POST", "/api/v1/groups", json={"profile": {"name": "Finance", "costCenter": 10}})
    assert ok.status_code == 200 and ok.json()["profile"]["costCenter"] == 10


async def test_app_user_schema_and_assignments_with_profiles(okta, universe):
    apps = {a["label"]: a for a in raw(universe, "GET", "/api/v1/apps").json()}
    wiki = apps["Acme Wiki"]
    schema = raw(universe, "GET", f"/api/v1/meta/schemas/apps/{wiki['id']}/default").json()
    conforms(schema, "UserSchema")
    assert schema["name"] == wiki["name"]
    body = models.UserSchema.from_dict({"definitions": {"custom": {"id": "#custom", "type": "object", "properties": {"wikiRole": {"title": "Wiki role", "type": "string", "enum": ["reader", "editor"], "required": True}}}}})
    updated = unwrap(await okta.update_application_user_profile(wiki["id"], body))
    assert "wikiRole" in updated.definitions.custom.properties
    laura = raw(universe, "GET", "/api/v1/users/laura@acme.test").json()["id"]
    missing = raw(universe, "POST", f"/api/v1/apps/{wiki['id']}/users", json={"id": laura, "scope": "USER"})
    assert (missing.status_code, missing.json()["errorCode"]) == (400, "E0000001")
    wrong = raw(universe, "POST", f"/api/v1/apps/{wiki['id']}/users", json={"id": laura, "scope": "USER", "profile": {"wikiRole": "owner"}})
    assert wrong.status_code == 400
    assigned = raw(universe, "POST", f"/api/v1/apps/{wiki['id']}/users", json={"id": laura, "scope": "USER", "profile": {"wikiRole": "editor"}})
    assert assigned.status_code == 200, assigned.text
    conforms(app_user_shape(assigned.json()), "AppUser")
    assert assigned.json()["profile"] == {"wikiRole": "editor"}
    changed = raw(universe, "POST", f"/api/v1/apps/{wiki['id']}/users/{laura}", json={"profile": {"wikiRole": "reader"}})
    assert changed.status_code == 200 and changed.json()["profile"]["wikiRole"] == "reader"
    assert raw(universe, "POST", f"/api/v1/apps/{wiki['id']}/users/{laura}", json={"profile": {"wikiRole": 1}}).status_code == 400
    # A group assignment's profile is held to types, not to `required`.
    sales = [g for g in raw(universe, "GET", "/api/v1/groups", params={"q": "Sales"}).json()][0]["id"]
    assert raw(universe, "PUT", f"/api/v1/apps/{wiki['id']}/groups/{sales}", json={}).status_code == 200
    assert raw(universe, "PUT", f"/api/v1/apps/{wiki['id']}/groups/{sales}", json={"profile": {"wikiRole": "boss"}}).status_code == 400


async def test_user_types(okta, universe):
    types = unwrap(await okta.list_user_types())
    assert [(t.name, t.default) for t in types] == [("user", True)]
    created = unwrap(await okta.create_user_type(models.UserType.from_dict({"name": "contractor", "displayName": "Contractor", "description": "Temporary staff"})))
    assert created.id.startswith("oty") and created.default is False
    body = raw(universe, "GET", f"/api/v1/meta/types/user/{created.id}").json()
    conforms(body, "UserType")
    schema_url = body["_links"]["schema"]["href"]
    schema = raw(universe, "GET", schema_url.split(universe["okta"]["org_url"])[1]).json()
    conforms(schema, "UserSchema")
    assert schema["title"] == "Contractor"
    dup = raw(universe, "POST", "/api/v1/meta/types/user", json={"name": "contractor", "displayName": "Again"})
    assert (dup.status_code, dup.json()["errorCode"]) == (400, "E0000001")
    user = raw(universe, "POST", "/api/v1/users", json={"profile": {"firstName": "C", "lastName": "T", "email": "ct@acme.test", "login": "ct@acme.test"}, "type": {"id": created.id}})
    assert user.status_code == 200, user.text
    assert user.json()["type"]["id"] == created.id
    assert user.json()["_links"]["schema"]["href"] == schema_url
    unknown = raw(universe, "POST", "/api/v1/users", json={"profile": {"firstName": "C", "lastName": "T", "email": "cu@acme.test", "login": "cu@acme.test"}, "type": {"id": "otyNOPE"}})
    assert unknown.status_code == 400
    renamed = raw(universe, "POST", f"/api/v1/meta/types/user/{created.id}", json={"displayName": "Contract staff"})
    assert renamed.status_code == 200 and renamed.json()["displayName"] == "Contract staff"
    in_use = raw(universe, "DELETE", f"/api/v1/meta/types/user/{created.id}")
    assert (in_use.status_code, in_use.json()["errorCode"]) == (400, "E0000001")
    default = raw(universe, "DELETE", f"/api/v1/meta/types/user/{types[0].id}")
    assert default.status_code == 400
    # Attributes of the custom type do not bind default-type users.
    raw(universe, "POST", schema_url.split(universe["okta"]["org_url"])[1], json={"definitions": {"custom": {"properties": {"agency": {"title": "Agency", "type": "string", "required": True}}}}})
    plain = raw(universe, "POST", "/api/v1/users", json={"profile": {"firstName": "D", "lastName": "T", "email": "dt@acme.test", "login": "dt@acme.test"}})
    assert plain.status_code == 200
    typed = raw(universe, "POST", "/api/v1/users", json={"profile": {"firstName": "E", "lastName": "T", "email": "et@acme.test", "login": "et@acme.test"}, "type": {"id": created.id}})
    assert typed.status_code == 400


async def test_linked_objects(okta, universe):
    definition = models.LinkedObject.from_dict({
        "primary": {"name": "manager", "title": "Manager", "description": "Manager of a person", "type": "USER"},
        "associated": {"name": "subordinate", "title": "Subordinate", "description": "Reports", "type": "USER"},
    })
    created = unwrap(await okta.create_linked_object_definition(definition))
    assert created.primary.name == "manager"
    listed = raw(universe, "GET", "/api/v1/meta/schemas/user/linkedObjects").json()
    assert len(listed) == 1
    conforms(listed[0], "LinkedObject")
    assert raw(universe, "GET", "/api/v1/meta/schemas/user/linkedObjects/subordinate").json()["primary"]["name"] == "manager"
    again = raw(universe, "POST", "/api/v1/meta/schemas/user/linkedObjects", json=definition.to_dict())
    assert again.status_code == 400
    alice = raw(universe, "GET", "/api/v1/users/alice@acme.test").json()["id"]
    bob = raw(universe, "GET", "/api/v1/users/bob@acme.test").json()["id"]
    carol = raw(universe, "GET", "/api/v1/users/carol@acme.test").json()["id"]
    void_ok(await okta.assign_linked_object_value_for_primary(bob, "manager", alice))
    void_ok(await okta.assign_linked_object_value_for_primary(carol, "manager", alice))
    mine = raw(universe, "GET", f"/api/v1/users/{bob}/linkedObjects/manager").json()
    assert [m["_links"]["self"]["href"].rsplit("/", 1)[1] for m in mine] == [alice]
    reports = raw(universe, "GET", f"/api/v1/users/{alice}/linkedObjects/subordinate").json()
    assert sorted(r["_links"]["self"]["href"].rsplit("/", 1)[1] for r in reports) == sorted([bob, carol])
    sdk = unwrap(await okta.list_linked_objects_for_user(bob, "manager"))
    assert len(sdk) == 1
    assert raw(universe, "DELETE", f"/api/v1/users/{bob}/linkedObjects/manager").status_code == 204
    assert raw(universe, "GET", f"/api/v1/users/{bob}/linkedObjects/manager").json() == []
    nope = raw(universe, "GET", f"/api/v1/users/{bob}/linkedObjects/mentor")
    assert (nope.status_code, nope.json()["errorCode"]) == (404, "E0000007")
    assert raw(universe, "DELETE", "/api/v1/meta/schemas/user/linkedObjects/manager").status_code == 204
    assert raw(universe, "GET", "/api/v1/meta/schemas/user/linkedObjects").json() == []


async def test_group_owners(okta, universe):
    engineering = [g for g in raw(universe, "GET", "/api/v1/groups", params={"q": "Engineering"}).json()][0]["id"]
    bob = raw(universe, "GET", "/api/v1/users/bob@acme.test").json()["id"]
    owner = unwrap(await okta.assign_group_owner(engineering, models.AssignGroupOwnerRequestBody.from_dict({"id": bob, "type": "USER"})))
    assert owner.id == bob and owner.type == "USER"
    listed = raw(universe, "GET", f"/api/v1/groups/{engineering}/owners").json()
    assert [o["id"] for o in listed] == [bob]
    conforms(listed[0], "GroupOwner")
    assert listed[0]["displayName"] == raw(universe, "GET", f"/api/v1/users/{bob}").json()["profile"]["displayName"]
    sdk = unwrap(await okta.list_group_owners(engineering))
    assert [o.id for o in sdk] == [bob]
    dup = raw(universe, "POST", f"/api/v1/groups/{engineering}/owners", json={"id": bob, "type": "USER"})
    assert dup.status_code == 400
    missing = raw(universe, "POST", f"/api/v1/groups/{engineering}/owners", json={"id": "00uNOPE", "type": "USER"})
    assert (missing.status_code, missing.json()["errorCode"]) == (404, "E0000007")
    void_ok(await okta.delete_group_owner(engineering, bob))
    assert raw(universe, "GET", f"/api/v1/groups/{engineering}/owners").json() == []


def without_nulls(value):
    """Okta sends unset optional strings as null (`accessibility.errorRedirectUrl`,
    `settings.notes.admin`); the document types them as plain strings."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def saml_app(label: str, **sign_on) -> dict:
    settings = {"signOn": {"ssoAcsUrl": "https://sp.example.com/acs", "audience": "https://sp.example.com", **sign_on}}
    return {"label": label, "signOnMode": "SAML_2_0", "settings": settings}


async def test_saml_apps(okta, universe):
    created = unwrap(await okta.create_application(models.SamlApplication.from_dict(saml_app("Expenses SAML"))))
    assert type(created).__name__ == "SamlApplication"
    assert created.settings.sign_on.sso_acs_url == "https://sp.example.com/acs"
    body = raw(universe, "GET", f"/api/v1/apps/{created.id}").json()
    conforms(without_nulls(body), "SamlApplication")
    sign_on = body["settings"]["signOn"]
    assert (sign_on["recipient"], sign_on["destination"]) == ("https://sp.example.com/acs",) * 2
    assert sign_on["subjectNameIdFormat"].startswith("urn:oasis:names:tc:SAML:")
    assert body["name"] == "expenses_saml_1"
    assert body["credentials"]["signing"]["kid"]
    assert body["settings"]["notifications"]["vpn"]["network"]["connection"] == "DISABLED"
    links = body["_links"]
    for name in ("accessPolicy", "profileEnrollment", "policies", "uploadLogo", "users", "groups"):
        assert links[name]["href"].startswith(universe["okta"]["org_url"]), name
    assert links["uploadLogo"]["hints"]["allow"] == ["POST"]
    for bad, field in [
        ({"ssoAcsUrl": ""}, "ssoAcsUrl"),
        ({"audience": ""}, "audience"),
        ({"ssoAcsUrl": "not a url"}, "ssoAcsUrl"),
        ({"signatureAlgorithm": "MD5"}, "signatureAlgorithm"),
    ]:
        resp = raw(universe, "POST", "/api/v1/apps", json=saml_app("Bad", **bad))
        assert (resp.status_code, resp.json()["errorCode"]) == (400, "E0000001"), bad
        assert resp.json()["errorCauses"][0]["errorSummary"].startswith(f"{field}: "), resp.text
    # A replace keeps the generated name and the mode.
    replaced = raw(universe, "PUT", f"/api/v1/apps/{created.id}", json=saml_app("Expenses", audience="urn:expenses"))
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["name"] == "expenses_saml_1" and replaced.json()["settings"]["signOn"]["audience"] == "urn:expenses"


async def test_auto_login_apps(okta, universe):
    app = {"label": "Intranet", "signOnMode": "AUTO_LOGIN", "settings": {"signOn": {"loginUrl": "https://intranet.example.com/login"}}}
    created = unwrap(await okta.create_application(models.AutoLoginApplication.from_dict(app)))
    assert type(created).__name__ == "AutoLoginApplication"
    assert created.settings.sign_on.login_url == "https://intranet.example.com/login"
    body = raw(universe, "GET", f"/api/v1/apps/{created.id}").json()
    conforms(without_nulls(body), "AutoLoginApplication")
    assert body["credentials"]["scheme"] == "EDIT_USERNAME_AND_PASSWORD"
    missing = raw(universe, "POST", "/api/v1/apps", json={"label": "Intranet", "signOnMode": "AUTO_LOGIN", "settings": {"signOn": {}}})
    assert (missing.status_code, missing.json()["errorCode"]) == (400, "E0000001")
    assert missing.json()["errorCauses"][0]["errorSummary"] == "loginUrl: The field cannot be left blank"
    # Every app carries the VPN notification settings and Okta's policy links.
    for listed in raw(universe, "GET", "/api/v1/apps").json():
        assert "vpn" in listed["settings"]["notifications"], listed["label"]
        assert "accessPolicy" in listed["_links"], listed["label"]


async def test_profile_mappings_one_per_app_listed_and_updated(okta, universe):
    apps = raw(universe, "GET", "/api/v1/apps").json()
    mappings = unwrap(await okta.list_profile_mappings())
    assert len(mappings) == len(apps)
    listed = raw(universe, "GET", "/api/v1/mappings")
    assert 'rel="self"' in listed.headers["link"]
    for body in listed.json():
        conforms(body, "ListProfileMappings")
        assert body["id"].startswith("prm") and "properties" not in body
        assert (body["source"]["type"], body["target"]["type"]) == ("user", "appuser")
    wiki = next(a for a in apps if a["label"] == "Acme Wiki")
    [mapping] = unwrap(await okta.list_profile_mappings(target_id=wiki["id"]))
    assert mapping.target.id == wiki["id"] and mapping.target.name == wiki["name"]
    source_type = mapping.source.id
    assert len(unwrap(await okta.list_profile_mappings(source_id=source_type))) == len(apps)
    assert unwrap(await okta.list_profile_mappings(source_id=wiki["id"])) == []
    page = raw(universe, "GET", "/api/v1/mappings?limit=1")
    assert len(page.json()) == 1 and 'rel="next"' in page.headers["link"]

    got = raw(universe, "GET", f"/api/v1/mappings/{mapping.id}").json()
    conforms(got, "ProfileMapping")
    assert got["properties"] == {}
    schema = models.UserSchema.from_dict({"definitions": {"custom": {"id": "#custom", "type": "object", "properties": {
        "team": {"title": "Team", "type": "string"}}}}})
    unwrap(await okta.update_application_user_profile(wiki["id"], schema))
    request = models.ProfileMappingRequest.from_dict({"properties": {
        "userName": {"expression": "user.email", "pushStatus": "PUSH"},
        "team": {"expression": "user.department", "pushStatus": "DONT_PUSH"}}})
    updated = unwrap(await okta.update_profile_mapping(mapping.id, request))
    assert updated.properties["team"].expression == "user.department"
    got = raw(universe, "GET", f"/api/v1/mappings/{mapping.id}").json()
    conforms(got, "ProfileMapping")
    assert got["properties"] == {"userName": {"expression": "user.email", "pushStatus": "PUSH"},
                                 "team": {"expression": "user.department", "pushStatus": "DONT_PUSH"}}
    removed = raw(universe, "POST", f"/api/v1/mappings/{mapping.id}", json={"properties": {"team": None}})
    assert removed.status_code == 200 and set(removed.json()["properties"]) == {"userName"}, removed.text
    for bad in [{"nickname": {"expression": "user.nickName"}}, {"userName": {"expression": ""}},
                {"userName": {"expression": "user.login", "pushStatus": "SOMETIMES"}}]:
        resp = raw(universe, "POST", f"/api/v1/mappings/{mapping.id}", json={"properties": bad})
        assert resp.status_code == 400 and resp.json()["errorCode"] == "E0000001", (bad, resp.text)
    api_error(await okta.get_profile_mapping("prmNOPE00000000000000"), 404, "E0000007")
