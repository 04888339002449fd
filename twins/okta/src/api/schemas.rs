//! Universal Directory: the user schemas (one per user type), the group schema and
//! the app user schemas with their custom attributes, user types, linked objects
//! (definitions and values) and group owners. The rules are in `crate::schema`.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, put};
use axum::Router;
use serde_json::{json, Map, Value};

use super::routes::{route, Cov, Route};
use super::{Call, Caller};
use crate::errors::OktaError;
use crate::ids::okta_id;
use crate::model::{pair_key, Event, GroupType, OktaState, Target};
use crate::schema::{
    app_schema_key, check_definition, is_user_base, GroupOwner, LinkedObject, ProfileSchema, SchemaOf, UserLink,
    UserType, GROUP_SCHEMA_KEY, MAX_CUSTOM_ATTRIBUTES, MAX_LINKED_OBJECTS, MAX_USER_TYPES, USER_BASE,
};
use crate::wire::{self, body_object, ts};

/// Owners a group may have.
const MAX_OWNERS: usize = 100;

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/meta/schemas/user/{schemaId}", "okta.schemas.get_user", Cov::Implemented),
    route(
        "POST",
        "/api/v1/meta/schemas/user/{schemaId}",
        "okta.schemas.update_user",
        Cov::Partial("custom attributes; base attributes' permissions are not changed"),
    ),
    route("GET", "/api/v1/meta/schemas/group/default", "okta.schemas.get_group", Cov::Implemented),
    route(
        "POST",
        "/api/v1/meta/schemas/group/default",
        "okta.schemas.update_group",
        Cov::Partial("custom attributes; base attributes' permissions are not changed"),
    ),
    route("GET", "/api/v1/meta/schemas/apps/{appId}/default", "okta.schemas.get_app_user", Cov::Implemented),
    route(
        "POST",
        "/api/v1/meta/schemas/apps/{appId}/default",
        "okta.schemas.update_app_user",
        Cov::Partial("custom attributes; no attribute mappings"),
    ),
    route("GET", "/api/v1/meta/types/user", "okta.user_types.list", Cov::Implemented),
    route("POST", "/api/v1/meta/types/user", "okta.user_types.create", Cov::Implemented),
    route("GET", "/api/v1/meta/types/user/{typeId}", "okta.user_types.get", Cov::Implemented),
    route("POST", "/api/v1/meta/types/user/{typeId}", "okta.user_types.update", Cov::Implemented),
    route("PUT", "/api/v1/meta/types/user/{typeId}", "okta.user_types.replace", Cov::Implemented),
    route("DELETE", "/api/v1/meta/types/user/{typeId}", "okta.user_types.delete", Cov::Implemented),
    route("GET", "/api/v1/meta/schemas/user/linkedObjects", "okta.linked_objects.list", Cov::Implemented),
    route("POST", "/api/v1/meta/schemas/user/linkedObjects", "okta.linked_objects.create", Cov::Implemented),
    route(
        "GET",
        "/api/v1/meta/schemas/user/linkedObjects/{linkedObjectName}",
        "okta.linked_objects.get",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/meta/schemas/user/linkedObjects/{linkedObjectName}",
        "okta.linked_objects.delete",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/users/{userId}/linkedObjects/{primaryRelationshipName}/{primaryUserId}",
        "okta.users.set_linked_object",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/users/{userId}/linkedObjects/{relationshipName}",
        "okta.users.list_linked_objects",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/users/{userId}/linkedObjects/{relationshipName}",
        "okta.users.delete_linked_object",
        Cov::Implemented,
    ),
    route("GET", "/api/v1/groups/{groupId}/owners", "okta.groups.list_owners", Cov::Implemented),
    route("POST", "/api/v1/groups/{groupId}/owners", "okta.groups.assign_owner", Cov::Implemented),
    route("DELETE", "/api/v1/groups/{groupId}/owners/{ownerId}", "okta.groups.delete_owner", Cov::Implemented),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/meta/schemas/user/{schemaId}", get(get_user_schema).post(update_user_schema))
        .route("/api/v1/meta/schemas/group/default", get(get_group_schema).post(update_group_schema))
        .route("/api/v1/meta/schemas/apps/{appId}/default", get(get_app_schema).post(update_app_schema))
        .route("/api/v1/meta/types/user", get(list_types).post(create_type))
        .route(
            "/api/v1/meta/types/user/{typeId}",
            get(get_type).post(update_type).put(replace_type).delete(delete_type),
        )
        .route("/api/v1/meta/schemas/user/linkedObjects", get(list_linked).post(create_linked))
        .route("/api/v1/meta/schemas/user/linkedObjects/{linkedObjectName}", get(get_linked).delete(delete_linked))
        // One parameter name per segment position (the router's rule); the table spells Okta's.
        .route("/api/v1/users/{userId}/linkedObjects/{relationshipName}", get(list_user_links).delete(delete_user_link))
        .route("/api/v1/users/{userId}/linkedObjects/{relationshipName}/{primaryUserId}", put(set_user_link))
        .route("/api/v1/groups/{groupId}/owners", get(list_owners).post(assign_owner))
        .route("/api/v1/groups/{groupId}/owners/{ownerId}", delete(delete_owner))
}

fn href(url: String) -> Value {
    json!({ "href": url })
}

// ---------------------------------------------------------------------------
// Schemas

fn base_attribute(title: &str, required: bool, lengths: Option<(u64, u64)>) -> Value {
    let mut a = json!({
        "title": title, "type": "string", "mutability": "READ_WRITE", "scope": "NONE",
        "permissions": [{"principal": "SELF", "action": "READ_WRITE"}],
        "master": {"type": "PROFILE_MASTER"},
    });
    if required {
        a["required"] = json!(true);
    }
    if let Some((min, max)) = lengths {
        if min > 0 {
            a["minLength"] = json!(min);
        }
        a["maxLength"] = json!(max);
    }
    a
}

fn user_base() -> Value {
    let mut props = Map::new();
    for (name, title, required, lengths) in USER_BASE {
        let mut a = base_attribute(title, *required, *lengths);
        match *name {
            "login" => a["pattern"] = json!(".+"),
            "email" | "secondEmail" => a["format"] = json!("email"),
            _ => {}
        }
        props.insert(name.to_string(), a);
    }
    json!({"id": "#base", "type": "object", "properties": props,
           "required": ["login", "firstName", "lastName", "email"]})
}

fn group_base() -> Value {
    json!({"id": "#base", "type": "object", "required": ["name"], "properties": {
        "name": base_attribute("Name", true, Some((1, 255))),
        "description": base_attribute("Description", false, Some((0, 1024))),
    }})
}

fn app_user_base() -> Value {
    json!({"id": "#base", "type": "object", "required": [], "properties": {
        "userName": base_attribute("Username", false, Some((1, 100))),
    }})
}

fn custom_definition(custom: &Map<String, Value>) -> Value {
    let required: Vec<&String> = custom
        .iter()
        .filter(|(_, d)| d.get("required").and_then(Value::as_bool) == Some(true))
        .map(|(k, _)| k)
        .collect();
    json!({"id": "#custom", "type": "object", "properties": custom, "required": required})
}

struct SchemaView<'a> {
    url: String,
    name: String,
    title: String,
    description: Option<String>,
    base: Value,
    record: Option<&'a ProfileSchema>,
    links: Value,
}

fn render_schema(v: SchemaView<'_>, created: &str) -> Value {
    let empty = Map::new();
    let custom = v.record.map(|r| &r.custom).unwrap_or(&empty);
    let last_updated = v.record.map(|r| ts(r.last_updated)).unwrap_or_else(|| created.to_string());
    let created = v.record.map(|r| ts(r.created)).unwrap_or_else(|| created.to_string());
    let mut out = json!({
        "id": v.url,
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": v.name,
        "title": v.title,
        "created": created,
        "lastUpdated": last_updated,
        "definitions": {"custom": custom_definition(custom), "base": v.base},
        "type": "object",
        "properties": {"profile": {"allOf": [{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}]}},
        "_links": v.links,
    });
    if let Some(d) = v.description {
        out["description"] = json!(d);
    }
    out
}

/// The user schema key (its id) for a path's `default` or id.
fn user_schema_id(s: &OktaState, key: &str) -> Result<(String, String), OktaError> {
    if key == "default" || key == s.user_schema_id {
        return Ok((s.user_schema_id.clone(), s.user_type_id.clone()));
    }
    s.user_types
        .values()
        .find(|t| t.schema_id == key)
        .map(|t| (t.schema_id.clone(), t.id.clone()))
        .ok_or_else(|| OktaError::not_found(key, "UserSchema"))
}

fn org_created(s: &OktaState) -> String {
    s.users.values().map(|u| u.created).min().map(ts).unwrap_or_else(|| "2020-01-01T00:00:00.000Z".into())
}

fn user_schema_json(s: &OktaState, schema_id: &str, type_id: &str, base: &str) -> Value {
    let url = format!("{base}/api/v1/meta/schemas/user/{schema_id}");
    let title = s.user_types.get(type_id).map(|t| t.display_name.clone()).unwrap_or_else(|| "User".into());
    render_schema(
        SchemaView {
            url: url.clone(),
            name: "user".into(),
            title,
            description: None,
            base: user_base(),
            record: s.profile_schemas.get(schema_id),
            links: json!({"self": href(url), "type": href(format!("{base}/api/v1/meta/types/user/{type_id}"))}),
        },
        &org_created(s),
    )
}

fn group_schema_json(s: &OktaState, base: &str) -> Value {
    let url = format!("{base}/api/v1/meta/schemas/group/default");
    render_schema(
        SchemaView {
            url: url.clone(),
            name: "group".into(),
            title: "Okta group".into(),
            description: Some("Okta group profile template".into()),
            base: group_base(),
            record: s.profile_schemas.get(GROUP_SCHEMA_KEY),
            links: json!({"self": href(url)}),
        },
        &org_created(s),
    )
}

fn app_schema_json(s: &OktaState, app_id: &str, base: &str) -> Result<Value, OktaError> {
    let app = s.app(app_id)?;
    let url = format!("{base}/api/v1/meta/schemas/apps/{app_id}/default");
    Ok(render_schema(
        SchemaView {
            url: url.clone(),
            name: app.name.clone(),
            title: format!("{} User", app.label),
            description: None,
            base: app_user_base(),
            record: s.profile_schemas.get(&app_schema_key(app_id)),
            links: json!({"self": href(url)}),
        },
        &ts(app.created),
    ))
}

/// Applies `definitions.custom.properties` of an update body: an object adds or
/// replaces an attribute, `null` removes it. Returns the removed names.
fn apply_custom(
    s: &mut OktaState,
    key: &str,
    of: SchemaOf,
    body: &Map<String, Value>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>, OktaError> {
    let changes = match body.pointer_map("definitions/custom/properties") {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Null) | None => Map::new(),
        Some(_) => return Err(OktaError::validation("properties", "properties: Does not match required type: object")),
    };
    let mut record = s.profile_schemas.get(key).cloned().unwrap_or_else(|| ProfileSchema {
        id: key.to_string(),
        of: of.clone(),
        created: now,
        last_updated: now,
        custom: Map::new(),
    });
    let mut removed = Vec::new();
    for (name, def) in changes {
        if def.is_null() {
            if record.custom.remove(&name).is_some() {
                removed.push(name);
            }
            continue;
        }
        let clashes = match &of {
            SchemaOf::User { .. } => is_user_base(&name),
            SchemaOf::Group => name == "name" || name == "description",
            SchemaOf::AppUser { .. } => name == "userName",
        };
        if clashes {
            return Err(OktaError::validation(
                name.clone(),
                format!("{name}: An object with this field already exists in the current schema"),
            ));
        }
        let stored = check_definition(&name, &def)?;
        record.custom.insert(name, stored);
        if record.custom.len() > MAX_CUSTOM_ATTRIBUTES {
            return Err(OktaError::validation("properties", "properties: Too many custom attributes"));
        }
    }
    record.last_updated = now;
    s.profile_schemas.insert(key.to_string(), record);
    Ok(removed)
}

/// A JSON pointer over a body map (`a/b/c`).
trait PointerMap {
    fn pointer_map(&self, path: &str) -> Option<&Value>;
}

impl PointerMap for Map<String, Value> {
    fn pointer_map(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('/');
        let first = self.get(parts.next()?)?;
        parts.try_fold(first, |v, p| v.get(p))
    }
}

fn require_schema_read(caller: &Caller) -> Result<(), OktaError> {
    caller.require_scope("okta.schemas.read")
}

fn require_schema_manage(caller: &Caller) -> Result<(), OktaError> {
    caller.require_scope("okta.schemas.manage")
}

fn schema_event(
    caller: &Caller,
    s: &mut OktaState,
    ids: &mut twin_core::ids::IdGen,
    now: chrono::DateTime<chrono::Utc>,
    removed: &[String],
) {
    let message = if removed.is_empty() { "Update schema" } else { "Remove attributes from schema" };
    caller.log(s, ids, now, Event::new("system.schema.update", message, vec![]));
}

async fn get_user_schema(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    require_schema_read(&caller)?;
    let base = call.base().to_string();
    let out = call.read(|s| user_schema_id(s, &key).map(|(id, t)| user_schema_json(s, &id, &t, &base)))??;
    Ok(wire::ok(&out))
}

async fn update_user_schema(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    require_schema_manage(&caller)?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let (schema_id, type_id) = user_schema_id(s, &key)?;
        let removed = apply_custom(s, &schema_id, SchemaOf::User { type_id: type_id.clone() }, &body, now)?;
        // Removing an attribute removes its values from the type's users.
        if !removed.is_empty() {
            let holders: Vec<String> = s
                .users
                .values()
                .filter(|u| u.type_id == type_id && removed.iter().any(|r| u.profile.contains_key(r)))
                .map(|u| u.id.clone())
                .collect();
            for id in holders {
                if let Some(mut u) = s.users.get_mut(&id) {
                    for r in &removed {
                        u.profile.remove(r);
                    }
                }
            }
        }
        schema_event(&caller, s, ids, now, &removed);
        Ok(user_schema_json(s, &schema_id, &type_id, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn get_group_schema(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    require_schema_read(&caller)?;
    let base = call.base().to_string();
    let out = call.read(|s| group_schema_json(s, &base))?;
    Ok(wire::ok(&out))
}

async fn update_group_schema(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    require_schema_manage(&caller)?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let removed = apply_custom(s, GROUP_SCHEMA_KEY, SchemaOf::Group, &body, now)?;
        for r in &removed {
            let holders: Vec<String> =
                s.groups.values().filter(|g| g.profile.contains_key(r)).map(|g| g.id.clone()).collect();
            for id in holders {
                if let Some(g) = s.groups.get_mut(&id) {
                    g.profile.remove(r);
                }
            }
        }
        schema_event(&caller, s, ids, now, &removed);
        Ok(group_schema_json(s, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn get_app_schema(Path(app_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    require_schema_read(&caller)?;
    let base = call.base().to_string();
    let out = call.read(|s| app_schema_json(s, &app_id, &base))??;
    Ok(wire::ok(&out))
}

async fn update_app_schema(Path(app_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    require_schema_manage(&caller)?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        s.app(&app_id)?;
        let key = app_schema_key(&app_id);
        apply_custom(s, &key, SchemaOf::AppUser { app_id: app_id.clone() }, &body, now)?;
        schema_event(&caller, s, ids, now, &[]);
        app_schema_json(s, &app_id, &base)
    })?;
    Ok(wire::ok(&out))
}

// ---------------------------------------------------------------------------
// User types

fn default_type(s: &OktaState) -> UserType {
    let created = s.users.values().map(|u| u.created).min().unwrap_or_default();
    UserType {
        id: s.user_type_id.clone(),
        name: "user".into(),
        display_name: "User".into(),
        description: "Okta User Profile".into(),
        schema_id: s.user_schema_id.clone(),
        created,
        created_by: s.admin_user_id.clone(),
        last_updated: created,
        last_updated_by: s.admin_user_id.clone(),
    }
}

fn user_type(s: &OktaState, id: &str) -> Result<UserType, OktaError> {
    if id == s.user_type_id || id == "default" {
        return Ok(s.user_types.get(&s.user_type_id).cloned().unwrap_or_else(|| default_type(s)));
    }
    s.user_types.get(id).cloned().ok_or_else(|| OktaError::not_found(id, "UserType"))
}

fn render_type(s: &OktaState, t: &UserType, base: &str) -> Value {
    json!({
        "id": t.id, "name": t.name, "displayName": t.display_name, "description": t.description,
        "createdBy": t.created_by, "lastUpdatedBy": t.last_updated_by,
        "created": ts(t.created), "lastUpdated": ts(t.last_updated),
        "default": t.id == s.user_type_id,
        "_links": {
            "self": href(format!("{base}/api/v1/meta/types/user/{}", t.id)),
            "schema": href(format!("{base}/api/v1/meta/schemas/user/{}", t.schema_id)),
        }
    })
}

fn type_text(body: &Map<String, Value>, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::trim).map(str::to_string)
}

async fn list_types(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.userTypes.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| {
        let mut all = vec![user_type(s, &s.user_type_id).unwrap_or_else(|_| default_type(s))];
        all.extend(s.user_types.values().filter(|t| t.id != s.user_type_id).cloned());
        all.iter().map(|t| render_type(s, t, &base)).collect::<Vec<_>>()
    })?;
    Ok(wire::ok(&Value::Array(out)))
}

async fn create_type(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.userTypes.manage")?;
    let body = body_object(&call.body)?;
    let name = type_text(&body, "name").unwrap_or_default();
    let display_name = type_text(&body, "displayName").unwrap_or_default();
    let description = type_text(&body, "description").unwrap_or_default();
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        if name.is_empty() {
            return Err(OktaError::validation("name", "name: The field cannot be left blank"));
        }
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name.len() <= 50;
        if !valid {
            return Err(OktaError::validation("name", "name: The name is not a valid variable name"));
        }
        if display_name.is_empty() {
            return Err(OktaError::validation("displayName", "displayName: The field cannot be left blank"));
        }
        if name == "user" || s.user_types.values().any(|t| t.name == name) {
            return Err(OktaError::validation(
                "name",
                "name: An object with this field already exists in the current organization",
            ));
        }
        if s.user_types.len() >= MAX_USER_TYPES {
            return Err(OktaError::validation("name", "name: The maximum number of user types has been reached"));
        }
        let t = UserType {
            id: okta_id(ids, "oty"),
            name,
            display_name,
            description,
            schema_id: okta_id(ids, "osc"),
            created: now,
            created_by: caller.actor.id.clone(),
            last_updated: now,
            last_updated_by: caller.actor.id.clone(),
        };
        let out = render_type(s, &t, &base);
        s.user_types.insert(t.id.clone(), t);
        caller.log(s, ids, now, Event::new("system.user_type.create", "Create user type", vec![]));
        Ok(out)
    })?;
    Ok(wire::ok(&out))
}

async fn get_type(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.userTypes.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| user_type(s, &id).map(|t| render_type(s, &t, &base)))??;
    Ok(wire::ok(&out))
}

async fn change_type(id: String, call: Call, full: bool) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.userTypes.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let mut t = user_type(s, &id)?;
        if let Some(name) = type_text(&body, "name") {
            if name != t.name {
                return Err(OktaError::validation("name", "name: The name of a user type cannot be changed"));
            }
        } else if full {
            return Err(OktaError::validation("name", "name: The field cannot be left blank"));
        }
        match type_text(&body, "displayName") {
            Some(d) if !d.is_empty() => t.display_name = d,
            Some(_) => return Err(OktaError::validation("displayName", "displayName: The field cannot be left blank")),
            None if full => {
                return Err(OktaError::validation("displayName", "displayName: The field cannot be left blank"))
            }
            None => {}
        }
        if let Some(d) = type_text(&body, "description") {
            t.description = d;
        } else if full {
            t.description = String::new();
        }
        t.last_updated = now;
        t.last_updated_by = caller.actor.id.clone();
        let out = render_type(s, &t, &base);
        s.user_types.insert(t.id.clone(), t);
        caller.log(s, ids, now, Event::new("system.user_type.update", "Update user type", vec![]));
        Ok(out)
    })?;
    Ok(wire::ok(&out))
}

async fn update_type(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    change_type(id, call, false).await
}

async fn replace_type(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    change_type(id, call, true).await
}

async fn delete_type(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.userTypes.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let t = user_type(s, &id)?;
        if t.id == s.user_type_id {
            return Err(OktaError::validation("id", "id: The default user type cannot be deleted"));
        }
        if s.users.values().any(|u| u.type_id == t.id) {
            return Err(OktaError::validation("id", "id: A user type with users cannot be deleted"));
        }
        s.user_types.remove(&t.id);
        s.profile_schemas.remove(&t.schema_id);
        caller.log(s, ids, now, Event::new("system.user_type.delete", "Delete user type", vec![]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

// ---------------------------------------------------------------------------
// Linked objects

fn render_linked(l: &LinkedObject, base: &str) -> Value {
    json!({
        "primary": {"name": l.primary_name, "title": l.primary_title, "description": l.primary_description, "type": "USER"},
        "associated": {"name": l.associated_name, "title": l.associated_title, "description": l.associated_description, "type": "USER"},
        "_links": {"self": href(format!("{base}/api/v1/meta/schemas/user/linkedObjects/{}", l.primary_name))}
    })
}

/// The definition a relationship name belongs to, and whether it is the primary name.
fn linked_by_name<'a>(s: &'a OktaState, name: &str) -> Option<(&'a LinkedObject, bool)> {
    if let Some(l) = s.linked_objects.get(name) {
        return Some((l, true));
    }
    s.linked_objects.values().find(|l| l.associated_name == name).map(|l| (l, false))
}

fn side(body: &Map<String, Value>, key: &str) -> Result<(String, String, String), OktaError> {
    let part = body
        .get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| OktaError::validation(key, format!("{key}: The field cannot be left blank")))?;
    let text = |k: &str| part.get(k).and_then(Value::as_str).map(str::trim).unwrap_or("").to_string();
    let (name, title) = (text("name"), text("title"));
    if name.is_empty() {
        return Err(OktaError::validation(key, format!("{key}.name: The field cannot be left blank")));
    }
    if title.is_empty() {
        return Err(OktaError::validation(key, format!("{key}.title: The field cannot be left blank")));
    }
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64;
    if !valid {
        return Err(OktaError::validation(key, format!("{key}.name: The name is not a valid variable name")));
    }
    if let Some(t) = part.get("type").and_then(Value::as_str) {
        if t != "USER" {
            return Err(OktaError::validation(key, format!("{key}.type: Does not match required enum value")));
        }
    }
    Ok((name, title, text("description")))
}

async fn list_linked(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.linkedObjects.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| s.linked_objects.values().map(|l| render_linked(l, &base)).collect::<Vec<_>>())?;
    Ok(wire::ok(&Value::Array(out)))
}

async fn create_linked(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.linkedObjects.manage")?;
    let body = body_object(&call.body)?;
    let (primary_name, primary_title, primary_description) = side(&body, "primary")?;
    let (associated_name, associated_title, associated_description) = side(&body, "associated")?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let taken = |n: &str| linked_by_name(s, n).is_some();
        if primary_name == associated_name || taken(&primary_name) || taken(&associated_name) {
            return Err(OktaError::validation(
                "name",
                "name: An object with this field already exists in the current organization",
            ));
        }
        if s.linked_objects.len() >= MAX_LINKED_OBJECTS {
            return Err(OktaError::validation("name", "name: Too many linked object definitions"));
        }
        let l = LinkedObject {
            primary_name,
            primary_title,
            primary_description,
            associated_name,
            associated_title,
            associated_description,
        };
        let out = render_linked(&l, &base);
        s.linked_objects.insert(l.primary_name.clone(), l);
        caller.log(s, ids, now, Event::new("system.schema.update", "Create linked object definition", vec![]));
        Ok(out)
    })?;
    Ok(wire::json(StatusCode::CREATED, &out))
}

async fn get_linked(Path(name): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.linkedObjects.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| {
        linked_by_name(s, &name)
            .map(|(l, _)| render_linked(l, &base))
            .ok_or_else(|| OktaError::not_found(&name, "LinkedObject"))
    })??;
    Ok(wire::ok(&out))
}

async fn delete_linked(Path(name): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.linkedObjects.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let primary = linked_by_name(s, &name)
            .map(|(l, _)| l.primary_name.clone())
            .ok_or_else(|| OktaError::not_found(&name, "LinkedObject"))?;
        s.linked_objects.remove(&primary);
        let prefix = format!("{primary}:");
        let values: Vec<String> = s.user_links.keys().filter(|k| k.starts_with(&prefix)).cloned().collect();
        for k in values {
            s.user_links.remove(&k);
        }
        caller.log(s, ids, now, Event::new("system.schema.update", "Delete linked object definition", vec![]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

/// `PUT /users/{associated}/linkedObjects/{primaryName}/{primaryUser}`: the
/// associated user's primary (a report's manager), replacing any before.
async fn set_user_link(
    Path((associated, name, primary)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    call.write(|s, _ids| {
        let associated = s.user(&associated)?.id.clone();
        let primary = s.user(&primary)?.id.clone();
        caller.require(s, "okta.users.userprofile.manage", crate::admin::On::User(&associated))?;
        match linked_by_name(s, &name) {
            Some((_, true)) => {}
            _ => return Err(OktaError::not_found(&name, "LinkedObject")),
        }
        if associated == primary {
            return Err(OktaError::validation("primaryUserId", "primaryUserId: A user cannot be linked to itself"));
        }
        let link = UserLink { primary_name: name.clone(), primary_user: primary, associated_user: associated.clone() };
        s.user_links.insert(format!("{name}:{associated}"), link);
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn list_user_links(Path((user, name)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Vec<Value>, OktaError> {
        let uid = s.user(&user)?.id.clone();
        let (l, is_primary) = linked_by_name(s, &name).ok_or_else(|| OktaError::not_found(&name, "LinkedObject"))?;
        let link = |id: &str| json!({"_links": {"self": href(format!("{base}/api/v1/users/{id}"))}});
        Ok(if is_primary {
            // The user's primary (one at most).
            s.user_links.get(&format!("{}:{uid}", l.primary_name)).map(|x| link(&x.primary_user)).into_iter().collect()
        } else {
            // Everyone whose primary the user is.
            let prefix = format!("{}:", l.primary_name);
            s.user_links
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .filter(|(_, x)| x.primary_user == uid)
                .map(|(_, x)| link(&x.associated_user))
                .collect()
        })
    })??;
    Ok(wire::ok(&Value::Array(out)))
}

async fn delete_user_link(Path((user, name)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    call.write(|s, _ids| {
        let uid = s.user(&user)?.id.clone();
        caller.require(s, "okta.users.userprofile.manage", crate::admin::On::User(&uid))?;
        let primary = match linked_by_name(s, &name) {
            Some((l, true)) => l.primary_name.clone(),
            _ => return Err(OktaError::not_found(&name, "LinkedObject")),
        };
        s.user_links.remove(&format!("{primary}:{uid}"));
        Ok(())
    })?;
    Ok(wire::no_content())
}

// ---------------------------------------------------------------------------
// Group owners

fn render_owner(s: &OktaState, o: &GroupOwner) -> Value {
    let display = if o.owner_type == "USER" {
        s.users.get(&o.owner_id).map(|u| u.display_name()).unwrap_or_default()
    } else {
        s.groups.get(&o.owner_id).map(|g| g.name().to_string()).unwrap_or_default()
    };
    json!({
        "id": o.owner_id, "type": o.owner_type, "displayName": display,
        "originType": "OKTA_DIRECTORY", "resolved": true, "lastUpdated": ts(o.last_updated)
    })
}

async fn list_owners(Path(gid): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.read")?;
    let out = call.read(|s| -> Result<Vec<Value>, OktaError> {
        if !s.groups.contains_key(&gid) {
            return Err(OktaError::not_found(&gid, "UserGroup"));
        }
        let prefix = format!("{gid}:");
        Ok(s.group_owners
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, o)| render_owner(s, o))
            .collect())
    })??;
    Ok(wire::ok(&Value::Array(out)))
}

async fn assign_owner(Path(gid): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.manage")?;
    let body = body_object(&call.body)?;
    let owner_id = body.get("id").and_then(Value::as_str).unwrap_or("").to_string();
    let owner_type = body.get("type").and_then(Value::as_str).unwrap_or("USER").to_string();
    let now = call.now();
    let out = call.write(|s, ids| {
        let group = s.groups.get(&gid).cloned().ok_or_else(|| OktaError::not_found(&gid, "UserGroup"))?;
        caller.require(s, "okta.groups.manage", crate::admin::On::Group(&gid))?;
        if group.kind != GroupType::OktaGroup {
            return Err(OktaError::validation("groupId", "groupId: Only Okta groups can have owners"));
        }
        if owner_id.is_empty() {
            return Err(OktaError::validation("id", "id: The field cannot be left blank"));
        }
        let owner_target = match owner_type.as_str() {
            "USER" => Target::user(s.users.get(&owner_id).ok_or_else(|| OktaError::not_found(&owner_id, "User"))?),
            "GROUP" => {
                Target::group(s.groups.get(&owner_id).ok_or_else(|| OktaError::not_found(&owner_id, "UserGroup"))?)
            }
            _ => return Err(OktaError::validation("type", "type: Does not match required enum value")),
        };
        let key = pair_key(&gid, &owner_id);
        if s.group_owners.contains_key(&key) {
            return Err(OktaError::validation(
                "id",
                "id: An object with this field already exists in the current organization",
            ));
        }
        let prefix = format!("{gid}:");
        if s.group_owners.keys().filter(|k| k.starts_with(&prefix)).count() >= MAX_OWNERS {
            return Err(OktaError::validation("id", "id: Too many group owners"));
        }
        let owner = GroupOwner { group_id: gid.clone(), owner_id: owner_id.clone(), owner_type, last_updated: now };
        let out = render_owner(s, &owner);
        s.group_owners.insert(key, owner);
        caller.log(
            s,
            ids,
            now,
            Event::new("group.owner.add", "Add owner to group", vec![owner_target, Target::group(&group)]),
        );
        Ok(out)
    })?;
    Ok(wire::json(StatusCode::CREATED, &out))
}

async fn delete_owner(Path((gid, owner)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let group = s.groups.get(&gid).cloned().ok_or_else(|| OktaError::not_found(&gid, "UserGroup"))?;
        caller.require(s, "okta.groups.manage", crate::admin::On::Group(&gid))?;
        if s.group_owners.remove(&pair_key(&gid, &owner)).is_none() {
            return Err(OktaError::not_found(&owner, "GroupOwner"));
        }
        caller.log(
            s,
            ids,
            now,
            Event::new("group.owner.remove", "Remove owner from group", vec![Target::group(&group)]),
        );
        Ok(())
    })?;
    Ok(wire::no_content())
}
