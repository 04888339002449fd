//! `/api/v1/mappings`: profile mappings from the Okta user profile to each app's user
//! profile. Every app has one (its id derived from the app's, so apps created later
//! have theirs too); its property expressions start empty and are kept as updated.
//! Expressions are stored, not applied to app user profiles.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::routes::{route, Cov, Route};
use super::Call;
use crate::errors::OktaError;
use crate::model::{App, OktaState};
use crate::schema::{app_schema_key, user_schema_key};
use crate::wire::{self, body_object, link_headers, paginate, Order};

pub const ROUTES: &[Route] = &[
    route(
        "GET",
        "/api/v1/mappings",
        "okta.mappings.list",
        Cov::Partial("Okta user → app user mappings only (no app → Okta)"),
    ),
    route("GET", "/api/v1/mappings/{mappingId}", "okta.mappings.get", Cov::Implemented),
    route(
        "POST",
        "/api/v1/mappings/{mappingId}",
        "okta.mappings.update",
        Cov::Partial("expressions are stored, not applied to app user profiles"),
    ),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/mappings", get(list)).route("/api/v1/mappings/{mappingId}", get(get_one).post(update))
}

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 200;
/// Property mappings one profile mapping holds at most.
const MAX_PROPERTIES: usize = 500;

/// The id of the mapping from the Okta user profile to `app_id`'s user profile.
pub fn mapping_id(app_id: &str) -> String {
    format!("prm{}", crate::ids::alnum_from(twin_core::ids::seed_from_str(&format!("prm:{app_id}")), 17))
}

fn app_of_mapping<'a>(s: &'a OktaState, id: &str) -> Result<&'a App, OktaError> {
    s.apps.values().find(|a| mapping_id(&a.id) == id).ok_or_else(|| OktaError::not_found(id, "ProfileMapping"))
}

fn ends(s: &OktaState, app: &App, base: &str) -> (Value, Value) {
    let type_id = &s.user_type_id;
    let source = json!({
        "id": type_id, "name": "user", "type": "user",
        "_links": {
            "self": {"href": format!("{base}/api/v1/meta/types/user/{type_id}")},
            "schema": {"href": format!("{base}/api/v1/meta/schemas/user/{}", user_schema_key(s, type_id))},
        }
    });
    let target = json!({
        "id": app.id, "name": app.name, "type": "appuser",
        "_links": {
            "self": {"href": format!("{base}/api/v1/apps/{}", app.id)},
            "schema": {"href": format!("{base}/api/v1/meta/schemas/apps/{}/default", app.id)},
        }
    });
    (source, target)
}

/// A mapping as the listing shows it (no properties) or whole.
fn render(s: &OktaState, app: &App, base: &str, whole: bool) -> Value {
    let id = mapping_id(&app.id);
    let (source, target) = ends(s, app, base);
    let mut out = json!({
        "id": id, "source": source, "target": target,
        "_links": {"self": {"href": format!("{base}/api/v1/mappings/{id}")}},
    });
    if whole {
        out["properties"] = Value::Object(s.profile_mappings.get(&id).cloned().unwrap_or_default());
    }
    out
}

async fn list(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.profileMappings.read")?;
    let limit = call.query.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let after = call.query.after()?;
    let source = call.query.text("sourceId").map(str::to_string);
    let target = call.query.text("targetId").map(str::to_string);
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        // Every mapping's source is the Okta user type; a source that is an app has none.
        let source_ok = source.as_ref().is_none_or(|id| *id == s.user_type_id);
        let mut apps: Vec<&App> = s
            .apps
            .values()
            .filter(|a| source_ok && target.as_ref().is_none_or(|t| *t == a.id || *t == s.user_type_id))
            .collect();
        apps.sort_by_key(|a| (a.created, a.id.clone()));
        let keyed = apps.into_iter().map(|a| (mapping_id(&a.id), a)).collect();
        let (page, next) = paginate(keyed, after, limit, Order::Other)?;
        Ok((page.into_iter().map(|a| render(s, a, &base, false)).collect::<Vec<_>>(), next))
    })??;
    Ok(wire::page(items, link_headers(&base, "/api/v1/mappings", &call.query, next.as_deref())))
}

async fn get_one(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.profileMappings.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| app_of_mapping(s, &id).map(|a| render(s, a, &base, true)))??;
    Ok(wire::ok(&out))
}

/// Adds, replaces (an object) or removes (`null`) property mappings. A target property
/// must be an attribute of the app user schema (its base `userName` or a custom one).
async fn update(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.profileMappings.manage")?;
    let body = body_object(&call.body)?;
    let changes = match body.get("properties") {
        Some(Value::Object(m)) => m.clone(),
        _ => return Err(OktaError::validation("properties", "properties: The field cannot be left blank")),
    };
    let base = call.base().to_string();
    let out = call.write(|s, _ids| {
        let app = app_of_mapping(s, &id)?.clone();
        let custom = s.profile_schemas.get(&app_schema_key(&app.id)).map(|p| p.custom.clone()).unwrap_or_default();
        let mut properties: Map<String, Value> = s.profile_mappings.get(&id).cloned().unwrap_or_default();
        for (name, mapping) in changes {
            if name != "userName" && !custom.contains_key(&name) {
                return Err(OktaError::validation(
                    "properties",
                    format!("properties: The target property {name} is not in the {} user schema", app.label),
                ));
            }
            if mapping.is_null() {
                properties.remove(&name);
                continue;
            }
            let expression = mapping.get("expression").and_then(Value::as_str).map(str::trim).unwrap_or("");
            if expression.is_empty() || expression.len() > 1024 {
                return Err(OktaError::validation(
                    "properties",
                    format!("properties.{name}.expression: The field cannot be left blank"),
                ));
            }
            let push = mapping.get("pushStatus").and_then(Value::as_str).unwrap_or("PUSH");
            if push != "PUSH" && push != "DONT_PUSH" {
                return Err(OktaError::validation(
                    "properties",
                    format!("properties.{name}.pushStatus: Must be one of: PUSH, DONT_PUSH"),
                ));
            }
            properties.insert(name, json!({"expression": expression, "pushStatus": push}));
        }
        if properties.len() > MAX_PROPERTIES {
            return Err(OktaError::validation("properties", "properties: Too many property mappings"));
        }
        s.profile_mappings.insert(id.clone(), properties);
        Ok(render(s, &app, &base, true))
    })?;
    Ok(wire::ok(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_ids_are_okta_shaped_and_per_app() {
        let a = mapping_id("0oa1");
        assert!(a.starts_with("prm") && a.len() == 20, "{a}");
        assert_eq!(a, mapping_id("0oa1"));
        assert_ne!(a, mapping_id("0oa2"));
    }
}
