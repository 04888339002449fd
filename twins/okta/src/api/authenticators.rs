//! `/api/v1/authenticators`: the org's authenticators and their methods. A new org
//! has Email, Password, Okta Verify, Phone, Security Question and Security Key or
//! Biometric (`crate::authenticators`); an admin adds Google Authenticator or YubiKey,
//! renames and configures them, and switches them and their methods on and off within
//! Okta's rules (never the password; never one an active enrollment policy names).

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use super::routes::{route, Cov, Route};
use super::Call;
use crate::authenticators::{build, deactivation_blocker, spec, AuthMethod, Authenticator, KEYS};
use crate::errors::OktaError;
use crate::ids::okta_id;
use crate::model::{Event, OktaState, Target};
use crate::wire::{self, body_object, link_headers, ts};

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/authenticators", "okta.authenticators.list", Cov::Implemented),
    route(
        "POST",
        "/api/v1/authenticators",
        "okta.authenticators.create",
        Cov::Partial("google_otp and yubikey_token only (the other keys a new org has are seeded)"),
    ),
    route("GET", "/api/v1/authenticators/{authenticatorId}", "okta.authenticators.get", Cov::Implemented),
    route(
        "PUT",
        "/api/v1/authenticators/{authenticatorId}",
        "okta.authenticators.replace",
        Cov::Partial("name and settings; provider configuration is not kept"),
    ),
    route(
        "POST",
        "/api/v1/authenticators/{authenticatorId}/lifecycle/activate",
        "okta.authenticators.activate",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/authenticators/{authenticatorId}/lifecycle/deactivate",
        "okta.authenticators.deactivate",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/authenticators/{authenticatorId}/methods",
        "okta.authenticators.list_methods",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/authenticators/{authenticatorId}/methods/{methodType}",
        "okta.authenticators.get_method",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/authenticators/{authenticatorId}/methods/{methodType}",
        "okta.authenticators.replace_method",
        Cov::Partial("settings are stored; enums of push, signed_nonce, totp and webauthn are checked"),
    ),
    route(
        "POST",
        "/api/v1/authenticators/{authenticatorId}/methods/{methodType}/lifecycle/activate",
        "okta.authenticators.activate_method",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/authenticators/{authenticatorId}/methods/{methodType}/lifecycle/deactivate",
        "okta.authenticators.deactivate_method",
        Cov::Implemented,
    ),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/authenticators", get(list).post(create))
        .route("/api/v1/authenticators/{authenticatorId}", get(get_one).put(replace))
        .route("/api/v1/authenticators/{authenticatorId}/lifecycle/{op}", post(lifecycle))
        .route("/api/v1/authenticators/{authenticatorId}/methods", get(list_methods))
        .route("/api/v1/authenticators/{authenticatorId}/methods/{methodType}", get(get_method).put(replace_method))
        .route("/api/v1/authenticators/{authenticatorId}/methods/{methodType}/lifecycle/{op}", post(method_lifecycle))
}

fn link(href: String, allow: &[&str]) -> Value {
    json!({"href": href, "hints": {"allow": allow}})
}

/// `activate` or `deactivate`, whichever the status allows.
fn lifecycle_link(links: &mut Value, me: &str, status: &str) {
    let op = if status == "ACTIVE" { "deactivate" } else { "activate" };
    links[op] = link(format!("{me}/lifecycle/{op}"), &["POST"]);
}

pub fn render(a: &Authenticator, base: &str) -> Value {
    let me = format!("{base}/api/v1/authenticators/{}", a.id);
    let mut links = json!({
        "self": link(me.clone(), &["GET", "PUT"]),
        "methods": link(format!("{me}/methods"), &["GET"]),
    });
    // The password is always on: Okta links no lifecycle for it.
    if a.key != "okta_password" {
        lifecycle_link(&mut links, &me, &a.status);
    }
    let mut out = json!({
        "type": a.kind, "id": a.id, "key": a.key, "status": a.status, "name": a.name,
        "created": ts(a.created), "lastUpdated": ts(a.last_updated), "_links": links,
    });
    if !a.settings.is_null() {
        out["settings"] = a.settings.clone();
    }
    out
}

fn render_method(a: &Authenticator, m: &AuthMethod, base: &str) -> Value {
    let me = format!("{base}/api/v1/authenticators/{}/methods/{}", a.id, m.kind);
    let mut links = json!({"self": link(me.clone(), &["GET", "PUT"])});
    lifecycle_link(&mut links, &me, &m.status);
    let mut out = json!({"type": m.kind, "status": m.status, "_links": links});
    if !m.settings.is_null() {
        out["settings"] = m.settings.clone();
    }
    out
}

fn authenticator_of(s: &OktaState, id: &str) -> Result<Authenticator, OktaError> {
    s.authenticators.get(id).cloned().ok_or_else(|| OktaError::not_found(id, "Authenticator"))
}

fn method_of<'a>(a: &'a Authenticator, kind: &str) -> Result<&'a AuthMethod, OktaError> {
    a.method(kind).ok_or_else(|| OktaError::not_found(kind, "AuthenticatorMethod"))
}

fn target(a: &Authenticator) -> Target {
    Target { id: a.id.clone(), kind: "Authenticator".into(), alternate_id: a.key.clone(), display_name: a.name.clone() }
}

/// A settings value must be one of `allowed`.
fn one_of(settings: &Value, field: &str, allowed: &[&str], prefix: &str) -> Result<(), OktaError> {
    match settings.get(field) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(v)) if allowed.contains(&v.as_str()) => Ok(()),
        Some(_) => Err(OktaError::validation(
            format!("{prefix}.{field}"),
            format!("{prefix}.{field}: Must be one of: {}", allowed.join(", ")),
        )),
    }
}

/// The settings of an authenticator as given, checked (`Value::Null` when absent).
fn checked_settings(body: &Map<String, Value>) -> Result<Option<Value>, OktaError> {
    let settings = match body.get("settings") {
        None | Some(Value::Null) => return Ok(None),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err(OktaError::validation("settings", "settings: Does not match required type: object")),
    };
    one_of(&settings, "allowedFor", &["any", "none", "recovery", "sso"], "settings")?;
    one_of(&settings, "userVerification", &["DISCOURAGED", "PREFERRED", "REQUIRED"], "settings")?;
    if let Some(v) = settings.get("tokenLifetimeInMinutes").filter(|v| !v.is_null()) {
        if !v.as_i64().is_some_and(|n| (1..=1440).contains(&n)) {
            return Err(OktaError::validation(
                "settings.tokenLifetimeInMinutes",
                "settings.tokenLifetimeInMinutes: The value must be between 1 and 1440",
            ));
        }
    }
    Ok(Some(settings))
}

fn name_of(body: &Map<String, Value>) -> Result<Option<String>, OktaError> {
    match body.get("name") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(n)) if !n.trim().is_empty() && n.chars().count() <= 255 => Ok(Some(n.trim().to_string())),
        Some(_) => {
            Err(OktaError::validation("name", "name: The field must be a non-blank string of at most 255 characters"))
        }
    }
}

/// Authenticators one org may hold (each key once).
const MAX_AUTHENTICATORS: usize = 64;

async fn list(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authenticators.read")?;
    let base = call.base().to_string();
    let items = call.read(|s| {
        let mut all: Vec<&Authenticator> = s.authenticators.values().collect();
        // A new org's order (the table's), then added ones by creation.
        let rank = |a: &Authenticator| KEYS.iter().position(|k| k.key == a.key).unwrap_or(KEYS.len());
        all.sort_by_key(|a| (rank(a), a.created, a.id.clone()));
        all.into_iter().take(MAX_AUTHENTICATORS).map(|a| render(a, &base)).collect::<Vec<_>>()
    })?;
    Ok(wire::page(items, link_headers(&base, "/api/v1/authenticators", &call.query, None)))
}

async fn create(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authenticators.manage")?;
    let body = body_object(&call.body)?;
    let activate = call.query.bool("activate", false)?;
    let key = body.get("key").and_then(Value::as_str).unwrap_or("").trim().to_string();
    if key.is_empty() {
        return Err(OktaError::validation("key", "key: The field cannot be left blank"));
    }
    let spec =
        spec(&key).ok_or_else(|| OktaError::validation("key", format!("key: Invalid authenticator key: {key}")))?;
    let name = name_of(&body)?;
    let settings = checked_settings(&body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        if s.authenticators.values().any(|a| a.key == key) {
            return Err(OktaError::validation("key", format!("key: An authenticator with key {key} already exists.")));
        }
        if s.authenticators.len() >= MAX_AUTHENTICATORS {
            return Err(OktaError::validation(
                "authenticator",
                "authenticator: The maximum number of authenticators has been reached",
            ));
        }
        let mut a = build(spec, okta_id(ids, "aut"), name, activate, now);
        if let Some(settings) = settings {
            a.settings = settings;
        }
        s.authenticators.insert(a.id.clone(), a.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("security.authenticator.lifecycle.create", "Create authenticator", vec![target(&a)]),
        );
        if activate {
            caller.log(
                s,
                ids,
                now,
                Event::new("security.authenticator.lifecycle.activate", "Activate authenticator", vec![target(&a)]),
            );
        }
        Ok(render(&a, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn get_one(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authenticators.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| authenticator_of(s, &id).map(|a| render(&a, &base)))??;
    Ok(wire::ok(&out))
}

async fn replace(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authenticators.manage")?;
    let body = body_object(&call.body)?;
    let name = name_of(&body)?.ok_or_else(|| OktaError::validation("name", "name: The field cannot be left blank"))?;
    let settings = checked_settings(&body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let mut a = authenticator_of(s, &id)?;
        for (field, current) in [("key", a.key.as_str()), ("type", a.kind.as_str())] {
            if body.get(field).and_then(Value::as_str).is_some_and(|v| v != current) {
                return Err(OktaError::validation(
                    field,
                    format!("{field}: The authenticator {field} cannot be changed"),
                ));
            }
        }
        a.name = name;
        if let Some(settings) = settings {
            a.settings = settings;
        }
        a.last_updated = now;
        s.authenticators.insert(id.clone(), a.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("security.authenticator.lifecycle.update", "Update authenticator", vec![target(&a)]),
        );
        Ok(render(&a, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn lifecycle(Path((id, op)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authenticators.manage")?;
    let status = super::lifecycle_status(&op, &call.path)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let mut a = authenticator_of(s, &id)?;
        if status == "INACTIVE" {
            if let Some(why) = deactivation_blocker(s, &a.key) {
                return Err(OktaError::validation("authenticator", why));
            }
        }
        if a.status != status {
            a.status = status.into();
            a.last_updated = now;
            s.authenticators.insert(id.clone(), a.clone());
            let (event, message) = if status == "ACTIVE" {
                ("security.authenticator.lifecycle.activate", "Activate authenticator")
            } else {
                ("security.authenticator.lifecycle.deactivate", "Deactivate authenticator")
            };
            caller.log(s, ids, now, Event::new(event, message, vec![target(&a)]));
        }
        Ok(render(&a, &base))
    })?;
    Ok(wire::ok(&out))
}

// --- methods -------------------------------------------------------------------

async fn list_methods(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authenticators.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        let a = authenticator_of(s, &id)?;
        Ok(Value::Array(a.methods.iter().map(|m| render_method(&a, m, &base)).collect()))
    })??;
    Ok(wire::ok(&out))
}

async fn get_method(Path((id, kind)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authenticators.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        let a = authenticator_of(s, &id)?;
        Ok(render_method(&a, method_of(&a, &kind)?, &base))
    })??;
    Ok(wire::ok(&out))
}

/// A method's settings as given, with the enums the vendor declares checked.
fn method_settings(kind: &str, body: &Map<String, Value>) -> Result<Option<Value>, OktaError> {
    let settings = match body.get("settings") {
        None | Some(Value::Null) => return Ok(None),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err(OktaError::validation("settings", "settings: Does not match required type: object")),
    };
    match kind {
        "push" | "signed_nonce" => one_of(&settings, "keyProtection", &["ANY", "HARDWARE"], "settings")?,
        "webauthn" => {
            one_of(&settings, "userVerification", &["DISCOURAGED", "PREFERRED", "REQUIRED"], "settings")?;
            one_of(&settings, "attachment", &["ANY", "BUILT_IN", "ROAMING"], "settings")?;
        }
        "totp" => {
            one_of(&settings, "algorithm", &["HMACSHA1", "HMACSHA256", "HMACSHA512"], "settings")?;
            one_of(&settings, "encoding", &["base32", "base64", "hexadecimal"], "settings")?;
            if let Some(v) = settings.get("passCodeLength").filter(|v| !v.is_null()) {
                if !v.as_i64().is_some_and(|n| matches!(n, 6 | 8 | 10)) {
                    return Err(OktaError::validation(
                        "settings.passCodeLength",
                        "settings.passCodeLength: The value must be 6, 8 or 10",
                    ));
                }
            }
        }
        _ => {
            return Err(OktaError::validation("settings", format!("settings: The {kind} method has no settings")));
        }
    }
    Ok(Some(settings))
}

async fn replace_method(Path((id, kind)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authenticators.manage")?;
    let body = body_object(&call.body)?;
    if body.get("type").and_then(Value::as_str).is_some_and(|t| t != kind) {
        return Err(OktaError::validation("type", "type: The method type cannot be changed"));
    }
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let mut a = authenticator_of(s, &id)?;
        method_of(&a, &kind)?;
        let settings = method_settings(&kind, &body)?;
        if let Some(m) = a.methods.iter_mut().find(|m| m.kind == kind) {
            if let Some(settings) = settings {
                m.settings = settings;
            }
        }
        a.last_updated = now;
        s.authenticators.insert(id.clone(), a.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("security.authenticator.lifecycle.update", "Update authenticator", vec![target(&a)]),
        );
        Ok(render_method(&a, method_of(&a, &kind)?, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn method_lifecycle(
    Path((id, kind, op)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authenticators.manage")?;
    let status = super::lifecycle_status(&op, &call.path)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let mut a = authenticator_of(s, &id)?;
        let current = method_of(&a, &kind)?.status.clone();
        if status == "INACTIVE" && current == "ACTIVE" {
            if matches!(kind.as_str(), "password" | "email") {
                return Err(OktaError::validation(
                    "methodType",
                    format!("methodType: The {kind} method cannot be deactivated."),
                ));
            }
            let others = a.methods.iter().filter(|m| m.kind != kind && m.status == "ACTIVE").count();
            if others == 0 && a.status == "ACTIVE" {
                return Err(OktaError::validation(
                    "methodType",
                    "methodType: An active authenticator needs at least one active method.",
                ));
            }
        }
        if current != status {
            if let Some(m) = a.methods.iter_mut().find(|m| m.kind == kind) {
                m.status = status.into();
            }
            a.last_updated = now;
            s.authenticators.insert(id.clone(), a.clone());
            caller.log(
                s,
                ids,
                now,
                Event::new("security.authenticator.lifecycle.update", "Update authenticator", vec![target(&a)]),
            );
        }
        Ok(render_method(&a, method_of(&a, &kind)?, &base))
    })?;
    Ok(wire::ok(&out))
}
