//! `/api/v1/authorizationServers`: custom authorization servers, their lifecycle,
//! scopes, claims, access policies and rules, and signing keys (list, rotate). The
//! records and the rules they imply live in `crate::authz`; the OAuth endpoints
//! (`/oauth2/{id}/v1/…`) that obey them are in `api::oauth`.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use twin_core::ids::IdGen;

use super::routes::{route, Cov, Route};
use super::{Call, Caller};
use crate::authz::{self, AuthServerRecord, OAuthClaim, OAuthScope, ServerPolicy, ServerRule};
use crate::errors::OktaError;
use crate::ids::okta_id;
use crate::keys;
use crate::model::{Event, OktaState, Target};
use crate::wire::{self, body_object, ts};

const AS: &str = "/api/v1/authorizationServers";

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/authorizationServers", "okta.authservers.list", Cov::Implemented),
    route("POST", "/api/v1/authorizationServers", "okta.authservers.create", Cov::Implemented),
    route("GET", "/api/v1/authorizationServers/{authServerId}", "okta.authservers.get", Cov::Implemented),
    route("PUT", "/api/v1/authorizationServers/{authServerId}", "okta.authservers.replace", Cov::Implemented),
    route("DELETE", "/api/v1/authorizationServers/{authServerId}", "okta.authservers.delete", Cov::Implemented),
    route(
        "POST",
        "/api/v1/authorizationServers/{authServerId}/lifecycle/activate",
        "okta.authservers.activate",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/authorizationServers/{authServerId}/lifecycle/deactivate",
        "okta.authservers.deactivate",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/authorizationServers/{authServerId}/credentials/keys",
        "okta.authservers.list_keys",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/authorizationServers/{authServerId}/credentials/lifecycle/keyRotate",
        "okta.authservers.rotate_keys",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/authorizationServers/{authServerId}/scopes",
        "okta.authservers.list_scopes",
        Cov::Partial("q only; no cursor"),
    ),
    route(
        "POST",
        "/api/v1/authorizationServers/{authServerId}/scopes",
        "okta.authservers.create_scope",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/authorizationServers/{authServerId}/scopes/{scopeId}",
        "okta.authservers.get_scope",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/authorizationServers/{authServerId}/scopes/{scopeId}",
        "okta.authservers.replace_scope",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/authorizationServers/{authServerId}/scopes/{scopeId}",
        "okta.authservers.delete_scope",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/authorizationServers/{authServerId}/claims",
        "okta.authservers.list_claims",
        Cov::Partial("custom claims only; Okta also lists system claims"),
    ),
    route(
        "POST",
        "/api/v1/authorizationServers/{authServerId}/claims",
        "okta.authservers.create_claim",
        Cov::Partial("EXPRESSION values: user.*, appuser.*, app.clientId, literals"),
    ),
    route(
        "GET",
        "/api/v1/authorizationServers/{authServerId}/claims/{claimId}",
        "okta.authservers.get_claim",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/authorizationServers/{authServerId}/claims/{claimId}",
        "okta.authservers.replace_claim",
        Cov::Partial("EXPRESSION values: user.*, appuser.*, app.clientId, literals"),
    ),
    route(
        "DELETE",
        "/api/v1/authorizationServers/{authServerId}/claims/{claimId}",
        "okta.authservers.delete_claim",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/authorizationServers/{authServerId}/policies",
        "okta.authservers.list_policies",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/authorizationServers/{authServerId}/policies",
        "okta.authservers.create_policy",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/authorizationServers/{authServerId}/policies/{policyId}",
        "okta.authservers.get_policy",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/authorizationServers/{authServerId}/policies/{policyId}",
        "okta.authservers.replace_policy",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/authorizationServers/{authServerId}/policies/{policyId}",
        "okta.authservers.delete_policy",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/lifecycle/activate",
        "okta.authservers.activate_policy",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/lifecycle/deactivate",
        "okta.authservers.deactivate_policy",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules",
        "okta.authservers.list_rules",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules",
        "okta.authservers.create_rule",
        Cov::Partial("people exclusions are not evaluated"),
    ),
    route(
        "GET",
        "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}",
        "okta.authservers.get_rule",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}",
        "okta.authservers.replace_rule",
        Cov::Partial("people exclusions are not evaluated"),
    ),
    route(
        "DELETE",
        "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}",
        "okta.authservers.delete_rule",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}/lifecycle/activate",
        "okta.authservers.activate_rule",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}/lifecycle/deactivate",
        "okta.authservers.deactivate_rule",
        Cov::Implemented,
    ),
];

pub fn routes(r: Router) -> Router {
    r.route(AS, get(list_servers).post(create_server))
        .route("/api/v1/authorizationServers/{authServerId}", get(get_server).put(replace_server).delete(delete_server))
        .route(
            "/api/v1/authorizationServers/{authServerId}/lifecycle/activate",
            post(|p: Path<String>, c: Call| server_lifecycle(p, c, true)),
        )
        .route(
            "/api/v1/authorizationServers/{authServerId}/lifecycle/deactivate",
            post(|p: Path<String>, c: Call| server_lifecycle(p, c, false)),
        )
        .route("/api/v1/authorizationServers/{authServerId}/credentials/keys", get(list_keys))
        .route("/api/v1/authorizationServers/{authServerId}/credentials/lifecycle/keyRotate", post(rotate_keys))
        .route("/api/v1/authorizationServers/{authServerId}/scopes", get(list_scopes).post(create_scope))
        .route(
            "/api/v1/authorizationServers/{authServerId}/scopes/{scopeId}",
            get(get_scope).put(replace_scope).delete(delete_scope),
        )
        .route("/api/v1/authorizationServers/{authServerId}/claims", get(list_claims).post(create_claim))
        .route(
            "/api/v1/authorizationServers/{authServerId}/claims/{claimId}",
            get(get_claim).put(replace_claim).delete(delete_claim),
        )
        .route("/api/v1/authorizationServers/{authServerId}/policies", get(list_policies).post(create_policy))
        .route(
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}",
            get(get_policy).put(replace_policy).delete(delete_policy),
        )
        .route(
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/lifecycle/activate",
            post(|p: Path<(String, String)>, c: Call| policy_lifecycle(p, c, true)),
        )
        .route(
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/lifecycle/deactivate",
            post(|p: Path<(String, String)>, c: Call| policy_lifecycle(p, c, false)),
        )
        .route(
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules",
            get(list_rules).post(create_rule),
        )
        .route(
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}",
            get(get_rule).put(replace_rule).delete(delete_rule),
        )
        .route(
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}/lifecycle/activate",
            post(|p: Path<(String, String, String)>, c: Call| rule_lifecycle(p, c, true)),
        )
        .route(
            "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}/lifecycle/deactivate",
            post(|p: Path<(String, String, String)>, c: Call| rule_lifecycle(p, c, false)),
        )
}

/// The `default` server a new org has: `api://default`, the system scopes, the
/// `Default Policy` for all clients and its `Default Policy Rule`.
pub fn seed_default_server(s: &mut OktaState, ids: &mut IdGen, now: DateTime<Utc>) {
    let mut server = authz::new_server(
        "default".into(),
        "default".into(),
        "Default Authorization Server for your Applications".into(),
        vec!["api://default".into()],
        0,
        now,
    );
    server.accepts_undeclared_scopes = true;
    for scope in authz::system_scopes(ids, "default") {
        s.auth_scopes.insert(scope.id.clone(), scope);
    }
    let (policy, rule) = authz::default_policy(ids, "default", now);
    s.auth_policies.insert(policy.id.clone(), policy);
    s.auth_rules.insert(rule.id.clone(), rule);
    s.auth_servers.insert(server.id.clone(), server);
}

// --- parsing helpers ----------------------------------------------------------------

fn text(body: &Map<String, Value>, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
}

fn required(body: &Map<String, Value>, key: &str) -> Result<String, OktaError> {
    text(body, key).ok_or_else(|| OktaError::validation(key, format!("{key}: The field cannot be left blank")))
}

/// Strings at a JSON pointer of the body (`/conditions/clients/include`).
fn strings_at(body: &Map<String, Value>, pointer: &str) -> Vec<String> {
    Value::Object(body.clone())
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

fn int_at(body: &Map<String, Value>, pointer: &str) -> Option<i64> {
    Value::Object(body.clone()).pointer(pointer).and_then(Value::as_i64)
}

fn status_of(body: &Map<String, Value>, default: &str) -> Result<String, OktaError> {
    match text(body, "status").as_deref() {
        None => Ok(default.into()),
        Some(s @ ("ACTIVE" | "INACTIVE")) => Ok(s.into()),
        Some(other) => Err(OktaError::validation("status", format!("status: '{other}' is not a valid status"))),
    }
}

fn one_of(body: &Map<String, Value>, key: &str, allowed: &[&str], default: Option<&str>) -> Result<String, OktaError> {
    match (text(body, key), default) {
        (None, Some(d)) => Ok(d.into()),
        (None, None) => Err(OktaError::validation(key, format!("{key}: The field cannot be left blank"))),
        (Some(v), _) if allowed.contains(&v.as_str()) => Ok(v),
        (Some(v), _) => Err(OktaError::validation(
            key,
            format!("{key}: '{v}' is not one of the allowed values: {}", allowed.join(", ")),
        )),
    }
}

/// Keeps the records of `c` that `keep` accepts.
fn retain<T: Clone>(c: &mut twin_core::Collection<T>, keep: impl Fn(&T) -> bool) {
    let gone: Vec<String> = c.iter().filter(|(_, v)| !keep(v)).map(|(k, _)| k.clone()).collect();
    for k in gone {
        c.remove(&k);
    }
}

fn server_target(srv: &AuthServerRecord) -> Target {
    Target {
        id: srv.id.clone(),
        kind: "AuthorizationServer".into(),
        alternate_id: srv.name.clone(),
        display_name: srv.name.clone(),
    }
}

fn server<'a>(s: &'a OktaState, id: &str) -> Result<&'a AuthServerRecord, OktaError> {
    s.auth_servers.get(id).ok_or_else(|| OktaError::not_found(id, "AuthorizationServer"))
}

fn read_caller(call: &Call) -> Result<Caller, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authorizationServers.read")?;
    Ok(caller)
}

fn manage_caller(call: &Call) -> Result<Caller, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authorizationServers.manage")?;
    Ok(caller)
}

// --- servers --------------------------------------------------------------------------

pub fn server_json(srv: &AuthServerRecord, base: &str) -> Value {
    let self_href = format!("{base}{AS}/{}", srv.id);
    let kid = keys::pool_kid(srv.signing_key());
    let lifecycle = if srv.active() { "deactivate" } else { "activate" };
    json!({
        "id": srv.id,
        "name": srv.name,
        "description": srv.description,
        "audiences": srv.audiences,
        "issuer": format!("{base}/oauth2/{}", srv.id),
        "issuerMode": srv.issuer_mode,
        "status": srv.status,
        "created": ts(srv.created),
        "lastUpdated": ts(srv.last_updated),
        "credentials": {"signing": {
            "rotationMode": srv.rotation_mode,
            "lastRotated": ts(srv.last_rotated),
            "nextRotation": ts(srv.last_rotated + chrono::Duration::days(90)),
            "kid": kid,
            "use": "sig",
        }},
        "_links": {
            "self": {"href": self_href, "hints": {"allow": ["GET", "DELETE", "PUT"]}},
            "scopes": {"href": format!("{self_href}/scopes"), "hints": {"allow": ["GET"]}},
            "claims": {"href": format!("{self_href}/claims"), "hints": {"allow": ["GET"]}},
            "policies": {"href": format!("{self_href}/policies"), "hints": {"allow": ["GET"]}},
            "rotateKey": {"href": format!("{self_href}/credentials/lifecycle/keyRotate"), "hints": {"allow": ["POST"]}},
            lifecycle: {"href": format!("{self_href}/lifecycle/{lifecycle}"), "hints": {"allow": ["POST"]}},
            "metadata": [
                {"name": "oauth-authorization-server", "href": format!("{base}/oauth2/{}/.well-known/oauth-authorization-server", srv.id), "hints": {"allow": ["GET"]}},
                {"name": "openid-configuration", "href": format!("{base}/oauth2/{}/.well-known/openid-configuration", srv.id), "hints": {"allow": ["GET"]}},
            ],
        },
    })
}

struct ServerInput {
    name: String,
    description: String,
    audiences: Vec<String>,
    /// CUSTOM_URL needs a custom domain, which the twin's org has not.
    issuer_mode: String,
}

fn server_input(body: &Map<String, Value>) -> Result<ServerInput, OktaError> {
    let mut causes = Vec::new();
    let name = text(body, "name");
    if name.is_none() {
        causes.push("name: The field cannot be left blank".to_string());
    }
    let audiences = strings_at(body, "/audiences");
    if audiences.is_empty() {
        causes.push("audiences: The field cannot be left blank".to_string());
    }
    if audiences.len() > 1 {
        causes.push("audiences: Only one audience is supported".to_string());
    }
    let issuer_mode = text(body, "issuerMode").unwrap_or_else(|| "ORG_URL".into());
    if !matches!(issuer_mode.as_str(), "ORG_URL" | "DYNAMIC") {
        causes.push(format!("issuerMode: '{issuer_mode}' is not valid without a custom domain"));
    }
    if !causes.is_empty() {
        return Err(OktaError::Validation { field: "AuthorizationServer".into(), causes });
    }
    Ok(ServerInput {
        name: name.unwrap_or_default(),
        description: text(body, "description").unwrap_or_default(),
        audiences,
        issuer_mode,
    })
}

async fn list_servers(call: Call) -> Result<Response, OktaError> {
    read_caller(&call)?;
    let q = call.query.text("q").map(str::to_lowercase);
    let limit = call.query.limit(200, 200)?;
    let after = call.query.after()?;
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let keyed: Vec<(String, &crate::authz::AuthServerRecord)> = s
            .auth_servers
            .values()
            .filter(|srv| q.as_deref().is_none_or(|q| srv.name.to_lowercase().starts_with(q)))
            .map(|srv| (srv.id.clone(), srv))
            .collect();
        let (page, next) = wire::paginate(keyed, after, limit, wire::Order::KeyAscending)?;
        Ok((page.into_iter().map(|srv| server_json(srv, &base)).collect::<Vec<_>>(), next))
    })??;
    Ok(wire::page(items, wire::link_headers(&base, AS, &call.query, next.as_deref())))
}

async fn create_server(call: Call) -> Result<Response, OktaError> {
    let caller = manage_caller(&call)?;
    let input = server_input(&body_object(&call.body)?)?;
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, ids| {
        if s.auth_servers.len() >= authz::MAX_SERVERS {
            return Err(OktaError::validation(
                "AuthorizationServer",
                "You have reached the maximum number of authorization servers.",
            ));
        }
        if s.auth_servers.values().any(|x| x.name.eq_ignore_ascii_case(&input.name)) {
            return Err(OktaError::validation(
                "name",
                "name: An object with this field already exists in the current organization",
            ));
        }
        let id = okta_id(ids, "aus");
        // Each new server starts at a different pool key, so servers do not share keys.
        let first_key = (s.auth_servers.len() * 2) % keys::pool_len();
        let mut srv = authz::new_server(
            id.clone(),
            input.name.clone(),
            input.description.clone(),
            input.audiences.clone(),
            first_key,
            now,
        );
        srv.issuer_mode = input.issuer_mode.clone();
        for scope in authz::system_scopes(ids, &id) {
            s.auth_scopes.insert(scope.id.clone(), scope);
        }
        s.auth_servers.insert(id, srv.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("app.oauth2.as.lifecycle.create", "Create authorization server", vec![server_target(&srv)]),
        );
        Ok(server_json(&srv, &base))
    })?;
    Ok(wire::json(StatusCode::CREATED, &out))
}

async fn get_server(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    read_caller(&call)?;
    let base = call.base().to_string();
    let out = call.read(|s| server(s, &id).map(|srv| server_json(srv, &base)))??;
    Ok(wire::ok(&out))
}

async fn replace_server(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = manage_caller(&call)?;
    let body = body_object(&call.body)?;
    let input = server_input(&body)?;
    let rotation_mode = one_of(
        &Value::Object(body.clone())
            .pointer("/credentials/signing")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        "rotationMode",
        &["AUTO", "MANUAL"],
        None,
    )
    .ok();
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, ids| {
        let mut srv = server(s, &id)?.clone();
        if s.auth_servers.values().any(|x| x.id != id && x.name.eq_ignore_ascii_case(&input.name)) {
            return Err(OktaError::validation(
                "name",
                "name: An object with this field already exists in the current organization",
            ));
        }
        srv.name = input.name.clone();
        srv.description = input.description.clone();
        srv.audiences = input.audiences.clone();
        srv.issuer_mode = input.issuer_mode.clone();
        if let Some(mode) = &rotation_mode {
            srv.rotation_mode = mode.clone();
        }
        srv.last_updated = now;
        s.auth_servers.insert(id.clone(), srv.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("app.oauth2.as.lifecycle.update", "Update authorization server", vec![server_target(&srv)]),
        );
        Ok(server_json(&srv, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_server(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = manage_caller(&call)?;
    let now = call.now();
    call.write(|s, ids| {
        let srv = server(s, &id)?.clone();
        s.auth_servers.remove(&id);
        retain(&mut s.auth_scopes, |x| x.server_id != id);
        retain(&mut s.auth_claims, |x| x.server_id != id);
        retain(&mut s.auth_policies, |x| x.server_id != id);
        retain(&mut s.auth_rules, |x| x.server_id != id);
        caller.log(
            s,
            ids,
            now,
            Event::new("app.oauth2.as.lifecycle.delete", "Delete authorization server", vec![server_target(&srv)]),
        );
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn server_lifecycle(Path(id): Path<String>, call: Call, activate: bool) -> Result<Response, OktaError> {
    let caller = manage_caller(&call)?;
    let now = call.now();
    call.write(|s, ids| {
        let mut srv = server(s, &id)?.clone();
        srv.status = if activate { "ACTIVE" } else { "INACTIVE" }.into();
        srv.last_updated = now;
        s.auth_servers.insert(id.clone(), srv.clone());
        let (event, message) = if activate {
            ("app.oauth2.as.lifecycle.activate", "Activate authorization server")
        } else {
            ("app.oauth2.as.lifecycle.deactivate", "Deactivate authorization server")
        };
        caller.log(s, ids, now, Event::new(event, message, vec![server_target(&srv)]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

// --- keys ----------------------------------------------------------------------------

fn keys_json(srv: &AuthServerRecord, base: &str) -> Value {
    let items: Vec<Value> = srv
        .keys
        .iter()
        .filter_map(|k| {
            let mut jwk = keys::pool_jwk(k.pool)?;
            jwk["status"] = json!(k.status);
            jwk["_links"] = json!({"self": {"href": format!("{base}{AS}/{}/credentials/keys/{}", srv.id, jwk["kid"].as_str().unwrap_or("")), "hints": {"allow": ["GET"]}}});
            Some(jwk)
        })
        .collect();
    Value::Array(items)
}

/// The JWKS a server publishes at `/oauth2/{id}/v1/keys`: its active, next and
/// previous keys.
pub fn published_jwks(srv: &AuthServerRecord) -> Value {
    let keys: Vec<Value> = srv.keys.iter().filter_map(|k| keys::pool_jwk(k.pool)).collect();
    json!({ "keys": keys })
}

async fn list_keys(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    read_caller(&call)?;
    let base = call.base().to_string();
    let out = call.read(|s| server(s, &id).map(|srv| keys_json(srv, &base)))??;
    Ok(wire::ok(&out))
}

async fn rotate_keys(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = manage_caller(&call)?;
    let body = body_object(&call.body)?;
    if text(&body, "use").is_some_and(|u| u != "sig") {
        return Err(OktaError::validation("use", "use: The only supported value is 'sig'"));
    }
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, ids| {
        let mut srv = server(s, &id)?.clone();
        srv.rotate(now);
        s.auth_servers.insert(id.clone(), srv.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("app.oauth2.as.key.rollover", "Authorization server key rollover", vec![server_target(&srv)]),
        );
        Ok(keys_json(&srv, &base))
    })?;
    Ok(wire::ok(&out))
}

// --- scopes ----------------------------------------------------------------------------

fn scope_json(sc: &OAuthScope) -> Value {
    let mut out = json!({
        "id": sc.id,
        "name": sc.name,
        "description": sc.description,
        "system": sc.system,
        "metadataPublish": sc.metadata_publish,
        "consent": sc.consent,
        "default": sc.default,
    });
    if let Some(d) = &sc.display_name {
        out["displayName"] = json!(d);
    }
    out
}

fn scope_of<'a>(s: &'a OktaState, server_id: &str, scope_id: &str) -> Result<&'a OAuthScope, OktaError> {
    s.auth_scopes
        .get(scope_id)
        .filter(|x| x.server_id == server_id)
        .ok_or_else(|| OktaError::not_found(scope_id, "OAuth2Scope"))
}

fn scope_input(body: &Map<String, Value>, id: String, server_id: &str) -> Result<OAuthScope, OktaError> {
    let name = required(body, "name")?;
    if name.starts_with("okta.") {
        return Err(OktaError::validation("name", "name: Scope names cannot start with 'okta.'"));
    }
    if name.len() > 1024 || name.chars().any(char::is_whitespace) {
        return Err(OktaError::validation("name", "name: Scope names cannot contain whitespace"));
    }
    Ok(OAuthScope {
        id,
        server_id: server_id.into(),
        name,
        description: text(body, "description"),
        display_name: text(body, "displayName"),
        consent: one_of(body, "consent", &["ADMIN", "IMPLICIT", "REQUIRED"], Some("IMPLICIT"))?,
        default: body.get("default").and_then(Value::as_bool).unwrap_or(false),
        metadata_publish: one_of(body, "metadataPublish", &["ALL_CLIENTS", "NO_CLIENTS"], Some("NO_CLIENTS"))?,
        system: false,
    })
}

async fn list_scopes(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    read_caller(&call)?;
    let q = call.query.text("q").map(str::to_lowercase);
    let out = call.read(|s| -> Result<Value, OktaError> {
        server(s, &id)?;
        Ok(Value::Array(
            s.auth_scopes
                .values()
                .filter(|x| x.server_id == id)
                .filter(|x| q.as_deref().is_none_or(|q| x.name.to_lowercase().starts_with(q)))
                .map(scope_json)
                .collect(),
        ))
    })??;
    Ok(wire::ok(&out))
}

async fn create_scope(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    let body = body_object(&call.body)?;
    let out = call.write(|s, ids| {
        server(s, &id)?;
        let scope = scope_input(&body, okta_id(ids, "scp"), &id)?;
        let existing = s.auth_scopes.values().filter(|x| x.server_id == id).collect::<Vec<_>>();
        if existing.len() >= authz::MAX_SCOPES {
            return Err(OktaError::validation("name", "name: The maximum number of scopes has been reached"));
        }
        if existing.iter().any(|x| x.name == scope.name) {
            return Err(OktaError::validation(
                "name",
                "name: An object with this field already exists in the current authorization server",
            ));
        }
        s.auth_scopes.insert(scope.id.clone(), scope.clone());
        Ok(scope_json(&scope))
    })?;
    Ok(wire::json(StatusCode::CREATED, &out))
}

async fn get_scope(Path((id, scope_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    read_caller(&call)?;
    let out = call.read(|s| -> Result<Value, OktaError> {
        server(s, &id)?;
        Ok(scope_json(scope_of(s, &id, &scope_id)?))
    })??;
    Ok(wire::ok(&out))
}

async fn replace_scope(Path((id, scope_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    let body = body_object(&call.body)?;
    let out = call.write(|s, _ids| {
        server(s, &id)?;
        let old = scope_of(s, &id, &scope_id)?.clone();
        let mut scope = scope_input(&body, scope_id.clone(), &id)?;
        if old.system && scope.name != old.name {
            return Err(OktaError::validation("name", "name: System scopes cannot be renamed"));
        }
        if s.auth_scopes.values().any(|x| x.server_id == id && x.id != scope_id && x.name == scope.name) {
            return Err(OktaError::validation(
                "name",
                "name: An object with this field already exists in the current authorization server",
            ));
        }
        scope.system = old.system;
        s.auth_scopes.insert(scope_id.clone(), scope.clone());
        Ok(scope_json(&scope))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_scope(Path((id, scope_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    call.write(|s, _ids| {
        server(s, &id)?;
        if scope_of(s, &id, &scope_id)?.system {
            return Err(OktaError::validation("scope", "System scopes cannot be deleted"));
        }
        s.auth_scopes.remove(&scope_id);
        Ok(())
    })?;
    Ok(wire::no_content())
}

// --- claims ----------------------------------------------------------------------------

fn claim_json(c: &OAuthClaim, base: &str) -> Value {
    let mut out = json!({
        "id": c.id,
        "name": c.name,
        "status": c.status,
        "claimType": c.claim_type,
        "valueType": c.value_type,
        "value": c.value,
        "alwaysIncludeInToken": c.always_include,
        "conditions": {"scopes": c.scopes},
        "system": c.system,
        "_links": {"self": {"href": format!("{base}{AS}/{}/claims/{}", c.server_id, c.id), "hints": {"allow": ["GET", "PUT", "DELETE"]}}},
    });
    if let Some(f) = &c.group_filter_type {
        out["group_filter_type"] = json!(f);
    }
    out
}

fn claim_of<'a>(s: &'a OktaState, server_id: &str, claim_id: &str) -> Result<&'a OAuthClaim, OktaError> {
    s.auth_claims
        .get(claim_id)
        .filter(|x| x.server_id == server_id)
        .ok_or_else(|| OktaError::not_found(claim_id, "OAuth2Claim"))
}

fn claim_input(body: &Map<String, Value>, id: String, server_id: &str) -> Result<OAuthClaim, OktaError> {
    let name = required(body, "name")?;
    if authz::RESERVED_CLAIMS.contains(&name.as_str()) {
        return Err(OktaError::validation(
            "name",
            format!("name: '{name}' is a reserved claim name and cannot be used"),
        ));
    }
    let claim_type = one_of(body, "claimType", &["RESOURCE", "IDENTITY"], None)?;
    let value_type = one_of(body, "valueType", &["EXPRESSION", "GROUPS"], Some("EXPRESSION"))?;
    let value = required(body, "value")?;
    let group_filter_type = match value_type.as_str() {
        "GROUPS" => Some(one_of(body, "group_filter_type", &["STARTS_WITH", "EQUALS", "CONTAINS", "REGEX"], None)?),
        _ => None,
    };
    if group_filter_type.as_deref() == Some("REGEX") && regex::Regex::new(&value).is_err() {
        return Err(OktaError::validation("value", "value: The regular expression is not valid"));
    }
    Ok(OAuthClaim {
        id,
        server_id: server_id.into(),
        name,
        status: status_of(body, "ACTIVE")?,
        claim_type,
        value_type,
        value,
        group_filter_type,
        always_include: body.get("alwaysIncludeInToken").and_then(Value::as_bool).unwrap_or(true),
        scopes: strings_at(body, "/conditions/scopes"),
        system: false,
    })
}

async fn list_claims(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    read_caller(&call)?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        server(s, &id)?;
        Ok(Value::Array(s.auth_claims.values().filter(|x| x.server_id == id).map(|c| claim_json(c, &base)).collect()))
    })??;
    Ok(wire::ok(&out))
}

async fn create_claim(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    let body = body_object(&call.body)?;
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        server(s, &id)?;
        let claim = claim_input(&body, okta_id(ids, "ocl"), &id)?;
        let existing = s.auth_claims.values().filter(|x| x.server_id == id).collect::<Vec<_>>();
        if existing.len() >= authz::MAX_CLAIMS {
            return Err(OktaError::validation("name", "name: The maximum number of claims has been reached"));
        }
        if existing.iter().any(|x| x.name == claim.name && x.claim_type == claim.claim_type) {
            return Err(OktaError::validation("name", "name: A claim with this name and type already exists"));
        }
        s.auth_claims.insert(claim.id.clone(), claim.clone());
        Ok(claim_json(&claim, &base))
    })?;
    Ok(wire::json(StatusCode::CREATED, &out))
}

async fn get_claim(Path((id, claim_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    read_caller(&call)?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        server(s, &id)?;
        Ok(claim_json(claim_of(s, &id, &claim_id)?, &base))
    })??;
    Ok(wire::ok(&out))
}

async fn replace_claim(Path((id, claim_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    let body = body_object(&call.body)?;
    let base = call.base().to_string();
    let out = call.write(|s, _ids| {
        server(s, &id)?;
        claim_of(s, &id, &claim_id)?;
        let claim = claim_input(&body, claim_id.clone(), &id)?;
        if s.auth_claims
            .values()
            .any(|x| x.server_id == id && x.id != claim_id && x.name == claim.name && x.claim_type == claim.claim_type)
        {
            return Err(OktaError::validation("name", "name: A claim with this name and type already exists"));
        }
        s.auth_claims.insert(claim_id.clone(), claim.clone());
        Ok(claim_json(&claim, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_claim(Path((id, claim_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    call.write(|s, _ids| {
        server(s, &id)?;
        claim_of(s, &id, &claim_id)?;
        s.auth_claims.remove(&claim_id);
        Ok(())
    })?;
    Ok(wire::no_content())
}

// --- policies ----------------------------------------------------------------------------

fn policy_json(p: &ServerPolicy, base: &str) -> Value {
    let self_href = format!("{base}{AS}/{}/policies/{}", p.server_id, p.id);
    let lifecycle = if p.status == "ACTIVE" { "deactivate" } else { "activate" };
    json!({
        "type": "OAUTH_AUTHORIZATION_POLICY",
        "id": p.id,
        "status": p.status,
        "name": p.name,
        "description": p.description,
        "priority": p.priority,
        "system": p.system,
        "conditions": {"clients": {"include": p.clients}},
        "created": ts(p.created),
        "lastUpdated": ts(p.last_updated),
        "_links": {
            "self": {"href": self_href, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
            lifecycle: {"href": format!("{self_href}/lifecycle/{lifecycle}"), "hints": {"allow": ["POST"]}},
            "rules": {"href": format!("{self_href}/rules"), "hints": {"allow": ["GET"]}},
        },
    })
}

fn policy_of<'a>(s: &'a OktaState, server_id: &str, policy_id: &str) -> Result<&'a ServerPolicy, OktaError> {
    server(s, server_id)?;
    s.auth_policies
        .get(policy_id)
        .filter(|x| x.server_id == server_id)
        .ok_or_else(|| OktaError::not_found(policy_id, "Policy"))
}

/// A policy request: name, description, status, priority, clients.
type PolicyInput = (String, String, String, Option<i64>, Vec<String>);

fn policy_input(s: &OktaState, body: &Map<String, Value>) -> Result<PolicyInput, OktaError> {
    if let Some(t) = text(body, "type").filter(|t| t != "OAUTH_AUTHORIZATION_POLICY") {
        return Err(OktaError::validation(
            "type",
            format!("type: '{t}' is not a valid policy type for an authorization server"),
        ));
    }
    let name = required(body, "name")?;
    let clients = strings_at(body, "/conditions/clients/include");
    if clients.is_empty() {
        return Err(OktaError::validation("conditions", "conditions.clients: The field cannot be left blank"));
    }
    if let Some(bad) = clients.iter().find(|c| *c != "ALL_CLIENTS" && s.app_by_client_id(c).is_none()) {
        return Err(OktaError::validation(
            "conditions",
            format!("conditions.clients.include: Invalid client id: {bad}"),
        ));
    }
    let priority = body.get("priority").and_then(Value::as_i64);
    Ok((name, text(body, "description").unwrap_or_default(), status_of(body, "ACTIVE")?, priority, clients))
}

/// Puts `id` at `priority` (1-based) among `ids` ordered by priority; returns new priorities.
fn reorder(mut ordered: Vec<String>, id: &str, priority: Option<i64>) -> Vec<(String, i64)> {
    ordered.retain(|x| x != id);
    let at = priority.map_or(ordered.len(), |p| (p.max(1) as usize - 1).min(ordered.len()));
    ordered.insert(at, id.to_string());
    ordered.into_iter().enumerate().map(|(i, x)| (x, i as i64 + 1)).collect()
}

fn renumber_policies(s: &mut OktaState, server_id: &str, id: &str, priority: Option<i64>) {
    let mut current: Vec<&ServerPolicy> = s.auth_policies.values().filter(|p| p.server_id == server_id).collect();
    current.sort_by_key(|p| (p.priority, p.id.clone()));
    let ordered = current.iter().map(|p| p.id.clone()).collect();
    for (pid, prio) in reorder(ordered, id, priority) {
        if let Some(mut p) = s.auth_policies.get(&pid).cloned() {
            p.priority = prio;
            s.auth_policies.insert(pid, p);
        }
    }
}

async fn list_policies(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    read_caller(&call)?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        server(s, &id)?;
        let mut items: Vec<&ServerPolicy> = s.auth_policies.values().filter(|x| x.server_id == id).collect();
        items.sort_by_key(|p| (p.priority, p.id.clone()));
        Ok(Value::Array(items.into_iter().map(|p| policy_json(p, &base)).collect()))
    })??;
    Ok(wire::ok(&out))
}

async fn create_policy(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    let body = body_object(&call.body)?;
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, ids| {
        server(s, &id)?;
        let (name, description, status, priority, clients) = policy_input(s, &body)?;
        if s.auth_policies.values().filter(|x| x.server_id == id).count() >= authz::MAX_POLICIES {
            return Err(OktaError::validation("name", "name: The maximum number of policies has been reached"));
        }
        let policy = ServerPolicy {
            id: okta_id(ids, "00p"),
            server_id: id.clone(),
            name,
            description,
            status,
            priority: 0,
            system: false,
            clients,
            created: now,
            last_updated: now,
        };
        s.auth_policies.insert(policy.id.clone(), policy.clone());
        renumber_policies(s, &id, &policy.id, priority);
        let stored = s.auth_policies.get(&policy.id).cloned().unwrap_or(policy);
        Ok(policy_json(&stored, &base))
    })?;
    Ok(wire::json(StatusCode::CREATED, &out))
}

async fn get_policy(Path((id, policy_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    read_caller(&call)?;
    let base = call.base().to_string();
    let out = call.read(|s| policy_of(s, &id, &policy_id).map(|p| policy_json(p, &base)))??;
    Ok(wire::ok(&out))
}

async fn replace_policy(Path((id, policy_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    let body = body_object(&call.body)?;
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, _ids| {
        let mut policy = policy_of(s, &id, &policy_id)?.clone();
        let (name, description, status, priority, clients) = policy_input(s, &body)?;
        policy.name = name;
        policy.description = description;
        policy.status = status;
        policy.clients = clients;
        policy.last_updated = now;
        s.auth_policies.insert(policy_id.clone(), policy);
        if priority.is_some() {
            renumber_policies(s, &id, &policy_id, priority);
        }
        let stored = policy_of(s, &id, &policy_id)?;
        Ok(policy_json(stored, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_policy(Path((id, policy_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    call.write(|s, _ids| {
        policy_of(s, &id, &policy_id)?;
        s.auth_policies.remove(&policy_id);
        retain(&mut s.auth_rules, |r| r.policy_id != policy_id);
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn policy_lifecycle(
    Path((id, policy_id)): Path<(String, String)>,
    call: Call,
    activate: bool,
) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    let now = call.now();
    call.write(|s, _ids| {
        let mut policy = policy_of(s, &id, &policy_id)?.clone();
        policy.status = if activate { "ACTIVE" } else { "INACTIVE" }.into();
        policy.last_updated = now;
        s.auth_policies.insert(policy_id.clone(), policy);
        Ok(())
    })?;
    Ok(wire::no_content())
}

// --- rules ---------------------------------------------------------------------------------

fn rule_json(r: &ServerRule, base: &str) -> Value {
    let self_href = format!("{base}{AS}/{}/policies/{}/rules/{}", r.server_id, r.policy_id, r.id);
    let lifecycle = if r.status == "ACTIVE" { "deactivate" } else { "activate" };
    let mut token = json!({
        "accessTokenLifetimeMinutes": r.access_token_minutes,
        "refreshTokenLifetimeMinutes": r.refresh_token_minutes,
        "refreshTokenWindowMinutes": r.refresh_window_minutes,
    });
    if let Some(hook) = &r.inline_hook {
        token["inlineHook"] = json!({"id": hook});
    }
    json!({
        "type": "RESOURCE_ACCESS",
        "id": r.id,
        "status": r.status,
        "name": r.name,
        "priority": r.priority,
        "system": r.system,
        "created": ts(r.created),
        "lastUpdated": ts(r.last_updated),
        "conditions": {
            "people": {"users": {"include": r.users, "exclude": []}, "groups": {"include": r.groups, "exclude": []}},
            "grantTypes": {"include": r.grant_types},
            "scopes": {"include": r.scopes},
        },
        "actions": {"token": token},
        "_links": {
            "self": {"href": self_href, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
            lifecycle: {"href": format!("{self_href}/lifecycle/{lifecycle}"), "hints": {"allow": ["POST"]}},
        },
    })
}

fn rule_of<'a>(s: &'a OktaState, server_id: &str, policy_id: &str, rule_id: &str) -> Result<&'a ServerRule, OktaError> {
    policy_of(s, server_id, policy_id)?;
    s.auth_rules
        .get(rule_id)
        .filter(|r| r.policy_id == policy_id)
        .ok_or_else(|| OktaError::not_found(rule_id, "PolicyRule"))
}

const RULE_GRANTS: [&str; 7] = [
    "authorization_code",
    "implicit",
    "password",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:ietf:params:oauth:grant-type:saml2-bearer",
];

#[allow(clippy::too_many_arguments)]
fn rule_input(
    s: &OktaState,
    body: &Map<String, Value>,
    id: String,
    server_id: &str,
    policy_id: &str,
    created: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ServerRule, OktaError> {
    if let Some(t) = text(body, "type").filter(|t| t != "RESOURCE_ACCESS") {
        return Err(OktaError::validation(
            "type",
            format!("type: '{t}' is not a valid rule type for an authorization server policy"),
        ));
    }
    let name = required(body, "name")?;
    let mut causes = Vec::new();
    let grant_types = strings_at(body, "/conditions/grantTypes/include");
    if grant_types.is_empty() {
        causes.push("conditions.grantTypes.include: The field cannot be left blank".to_string());
    }
    if let Some(bad) = grant_types.iter().find(|g| !RULE_GRANTS.contains(&g.as_str())) {
        causes.push(format!("conditions.grantTypes.include: '{bad}' is not a valid grant type"));
    }
    let scopes = strings_at(body, "/conditions/scopes/include");
    if scopes.is_empty() {
        causes.push("conditions.scopes.include: The field cannot be left blank".to_string());
    }
    let groups = strings_at(body, "/conditions/people/groups/include");
    let users = strings_at(body, "/conditions/people/users/include");
    if groups.is_empty() && users.is_empty() {
        causes.push("conditions.people: Either groups or users must be specified".to_string());
    }
    if let Some(bad) = groups.iter().find(|g| *g != "EVERYONE" && !s.groups.contains_key(*g)) {
        causes.push(format!("conditions.people.groups.include: Invalid group id: {bad}"));
    }
    if let Some(bad) = users.iter().find(|u| !s.users.contains_key(*u)) {
        causes.push(format!("conditions.people.users.include: Invalid user id: {bad}"));
    }
    let access = int_at(body, "/actions/token/accessTokenLifetimeMinutes").unwrap_or(60);
    if !(5..=1440).contains(&access) {
        causes.push("actions.token.accessTokenLifetimeMinutes: The value must be between 5 and 1440".to_string());
    }
    let refresh = int_at(body, "/actions/token/refreshTokenLifetimeMinutes").unwrap_or(0);
    // 0 is unlimited; else from the access token's lifetime to five years.
    if refresh < 0 || (refresh > 0 && refresh < access) || refresh > 2_628_000 {
        causes.push(
            "actions.token.refreshTokenLifetimeMinutes: The value must be 0 (unlimited), or between the access token lifetime and 2628000"
                .to_string(),
        );
    }
    let window = int_at(body, "/actions/token/refreshTokenWindowMinutes").unwrap_or(10080);
    if !(5..=2_628_000).contains(&window) {
        causes.push("actions.token.refreshTokenWindowMinutes: The value must be between 5 and 2628000".to_string());
    }
    let inline_hook =
        Value::Object(body.clone()).pointer("/actions/token/inlineHook/id").and_then(Value::as_str).map(str::to_string);
    if let Some(hook) = &inline_hook {
        match s.inline_hooks.get(hook) {
            Some(h) if h.kind == "com.okta.oauth2.tokens.transform" => {}
            _ => causes.push(format!("actions.token.inlineHook.id: Invalid token inline hook id: {hook}")),
        }
    }
    if !causes.is_empty() {
        return Err(OktaError::Validation { field: "PolicyRule".into(), causes });
    }
    Ok(ServerRule {
        id,
        server_id: server_id.into(),
        policy_id: policy_id.into(),
        name,
        status: status_of(body, "ACTIVE")?,
        priority: body.get("priority").and_then(Value::as_i64).unwrap_or(0),
        system: false,
        grant_types,
        scopes,
        groups,
        users,
        access_token_minutes: access,
        refresh_token_minutes: refresh,
        refresh_window_minutes: window,
        inline_hook,
        created,
        last_updated: now,
    })
}

fn renumber_rules(s: &mut OktaState, policy_id: &str, id: &str, priority: Option<i64>) {
    let mut current: Vec<&ServerRule> = s.auth_rules.values().filter(|r| r.policy_id == policy_id).collect();
    current.sort_by_key(|r| (r.priority, r.created, r.id.clone()));
    let ordered = current.iter().map(|r| r.id.clone()).collect();
    for (rid, prio) in reorder(ordered, id, priority) {
        if let Some(mut r) = s.auth_rules.get(&rid).cloned() {
            r.priority = prio;
            s.auth_rules.insert(rid, r);
        }
    }
}

async fn list_rules(Path((id, policy_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    read_caller(&call)?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        policy_of(s, &id, &policy_id)?;
        let mut items: Vec<&ServerRule> = s.auth_rules.values().filter(|r| r.policy_id == policy_id).collect();
        items.sort_by_key(|r| (r.priority, r.id.clone()));
        Ok(Value::Array(items.into_iter().map(|r| rule_json(r, &base)).collect()))
    })??;
    Ok(wire::ok(&out))
}

async fn create_rule(Path((id, policy_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    let body = body_object(&call.body)?;
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, ids| {
        policy_of(s, &id, &policy_id)?;
        if s.auth_rules.values().filter(|r| r.policy_id == policy_id).count() >= authz::MAX_RULES {
            return Err(OktaError::validation("name", "name: The maximum number of rules has been reached"));
        }
        let rule = rule_input(s, &body, okta_id(ids, "0pr"), &id, &policy_id, now, now)?;
        let priority = body.get("priority").and_then(Value::as_i64);
        s.auth_rules.insert(rule.id.clone(), rule.clone());
        renumber_rules(s, &policy_id, &rule.id, priority);
        Ok(rule_json(rule_of(s, &id, &policy_id, &rule.id)?, &base))
    })?;
    Ok(wire::json(StatusCode::CREATED, &out))
}

async fn get_rule(
    Path((id, policy_id, rule_id)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    read_caller(&call)?;
    let base = call.base().to_string();
    let out = call.read(|s| rule_of(s, &id, &policy_id, &rule_id).map(|r| rule_json(r, &base)))??;
    Ok(wire::ok(&out))
}

async fn replace_rule(
    Path((id, policy_id, rule_id)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    let body = body_object(&call.body)?;
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, _ids| {
        let old = rule_of(s, &id, &policy_id, &rule_id)?.clone();
        let mut rule = rule_input(s, &body, rule_id.clone(), &id, &policy_id, old.created, now)?;
        rule.priority = old.priority;
        s.auth_rules.insert(rule_id.clone(), rule);
        if let Some(p) = body.get("priority").and_then(Value::as_i64) {
            renumber_rules(s, &policy_id, &rule_id, Some(p));
        }
        Ok(rule_json(rule_of(s, &id, &policy_id, &rule_id)?, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_rule(
    Path((id, policy_id, rule_id)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    call.write(|s, _ids| {
        rule_of(s, &id, &policy_id, &rule_id)?;
        s.auth_rules.remove(&rule_id);
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn rule_lifecycle(
    Path((id, policy_id, rule_id)): Path<(String, String, String)>,
    call: Call,
    activate: bool,
) -> Result<Response, OktaError> {
    manage_caller(&call)?;
    let now = call.now();
    call.write(|s, _ids| {
        let mut rule = rule_of(s, &id, &policy_id, &rule_id)?.clone();
        rule.status = if activate { "ACTIVE" } else { "INACTIVE" }.into();
        rule.last_updated = now;
        s.auth_rules.insert(rule_id.clone(), rule);
        Ok(())
    })?;
    Ok(wire::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reorder_places_at_priority() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(reorder(v(&["a", "b"]), "c", Some(1)), vec![("c".into(), 1), ("a".into(), 2), ("b".into(), 3)]);
        assert_eq!(reorder(v(&["a", "b"]), "c", None), vec![("a".into(), 1), ("b".into(), 2), ("c".into(), 3)]);
        assert_eq!(reorder(v(&["a", "b", "c"]), "a", Some(9)), vec![("b".into(), 1), ("c".into(), 2), ("a".into(), 3)]);
    }
}
