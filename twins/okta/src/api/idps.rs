//! `/api/v1/idps`: identity providers (SAML 2.0, OpenID Connect and the social ones)
//! and the users linked to them. No sign-in goes through them: the twin has no
//! outside provider to send a user to.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use super::routes::{route, Cov, Route};
use super::Call;
use crate::errors::OktaError;
use crate::ids::okta_id;
use crate::model::{pair_key, Event, OktaState, Target};
use crate::security::{IdentityProvider, IdpKey, IdpLink};
use crate::wire::{self, body_object, link_headers, paginate, ts, Order};

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/idps", "okta.idps.list", Cov::Implemented),
    route(
        "POST",
        "/api/v1/idps",
        "okta.idps.create",
        Cov::Partial(
            "protocol, policy and properties are kept as given (with Okta's defaults); no sign-in through them",
        ),
    ),
    route("GET", "/api/v1/idps/{idpId}", "okta.idps.get", Cov::Implemented),
    route("PUT", "/api/v1/idps/{idpId}", "okta.idps.replace", Cov::Partial("as create")),
    route("DELETE", "/api/v1/idps/{idpId}", "okta.idps.delete", Cov::Implemented),
    route("POST", "/api/v1/idps/{idpId}/lifecycle/activate", "okta.idps.activate", Cov::Implemented),
    route("POST", "/api/v1/idps/{idpId}/lifecycle/deactivate", "okta.idps.deactivate", Cov::Implemented),
    route("GET", "/api/v1/idps/{idpId}/users", "okta.idps.list_users", Cov::Implemented),
    route("GET", "/api/v1/idps/{idpId}/users/{userId}", "okta.idps.get_user", Cov::Implemented),
    route("POST", "/api/v1/idps/{idpId}/users/{userId}", "okta.idps.link_user", Cov::Implemented),
    route("DELETE", "/api/v1/idps/{idpId}/users/{userId}", "okta.idps.unlink_user", Cov::Implemented),
    route("GET", "/api/v1/users/{userId}/idps", "okta.users.list_idps", Cov::Implemented),
    route("GET", "/api/v1/idps/credentials/keys", "okta.idps.list_keys", Cov::Implemented),
    route("POST", "/api/v1/idps/credentials/keys", "okta.idps.create_key", Cov::Partial("RSA certificates only")),
    route("GET", "/api/v1/idps/credentials/keys/{idpKeyId}", "okta.idps.get_key", Cov::Implemented),
    route("DELETE", "/api/v1/idps/credentials/keys/{idpKeyId}", "okta.idps.delete_key", Cov::Implemented),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/idps", get(list).post(create))
        .route("/api/v1/idps/{idpId}", get(get_idp).put(replace).delete(delete_idp))
        .route("/api/v1/idps/{idpId}/lifecycle/{op}", post(lifecycle))
        .route("/api/v1/idps/{idpId}/users", get(list_users))
        .route("/api/v1/idps/{idpId}/users/{userId}", get(get_user).post(link_user).delete(unlink_user))
        .route("/api/v1/users/{userId}/idps", get(user_idps))
        .route("/api/v1/idps/credentials/keys", get(list_keys).post(create_key))
        .route("/api/v1/idps/credentials/keys/{idpKeyId}", get(get_key).delete(delete_key))
}

/// Identity providers, and signing certificates, one org may hold.
const MAX_IDPS: usize = 200;
const MAX_IDP_KEYS: usize = 200;

/// The protocol types each identity provider type accepts.
fn protocols_for(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "SAML2" => &["SAML2"],
        "OIDC" => &["OIDC"],
        "GOOGLE" | "MICROSOFT" | "LINKEDIN" | "OKTA" => &["OIDC", "OAUTH2"],
        "FACEBOOK" => &["OAUTH2"],
        "X509" => &["MTLS"],
        "IWA" | "AgentlessDSSO" => &["OIDC", "OAUTH2", "SAML2", "MTLS"],
        _ => return None,
    })
}

/// The policy Okta fills in for what a create leaves out.
fn default_policy() -> Value {
    json!({
        "provisioning": {
            "action": "AUTO", "profileMaster": false, "groups": {"action": "NONE"},
            "conditions": {"deprovisioned": {"action": "NONE"}, "suspended": {"action": "NONE"}}
        },
        "accountLink": {"action": "AUTO"},
        "subject": {"userNameTemplate": {"template": "idpuser.email"}, "matchType": "USERNAME"},
        "maxClockSkew": 0
    })
}

/// `base` with `over`'s keys laid on top, objects merged key by key.
fn merge(base: Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Object(mut b), Value::Object(o)) => {
            for (k, v) in o {
                let merged = match b.remove(k) {
                    Some(old) => merge(old, v),
                    None => v.clone(),
                };
                b.insert(k.clone(), merged);
            }
            Value::Object(b)
        }
        (_, over) => over.clone(),
    }
}

pub fn render_idp(i: &IdentityProvider, base: &str) -> Value {
    let path = format!("{base}/api/v1/idps/{}", i.id);
    let mut links = json!({
        "self": {"href": path, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
        "users": {"href": format!("{path}/users"), "hints": {"allow": ["GET"]}},
    });
    let (op, name) = if i.status == "ACTIVE" { ("deactivate", "deactivate") } else { ("activate", "activate") };
    links[name] = json!({"href": format!("{path}/lifecycle/{op}"), "hints": {"allow": ["POST"]}});
    if i.kind != "SAML2" {
        links["authorize"] = json!({
            "href": format!("{base}/oauth2/v1/authorize?idp={}&client_id={{clientId}}&response_type={{responseType}}&response_mode={{responseMode}}&scope={{scopes}}&redirect_uri={{redirectUri}}&state={{state}}&nonce={{nonce}}", i.id),
            "templated": true, "hints": {"allow": ["GET"]}
        });
        links["clientRedirectUri"] =
            json!({"href": format!("{base}/oauth2/v1/authorize/callback"), "hints": {"allow": ["POST"]}});
    }
    let mut out = json!({
        "id": i.id,
        "type": i.kind,
        "issuerMode": i.issuer_mode,
        "name": i.name,
        "status": i.status,
        "created": ts(i.created),
        "lastUpdated": ts(i.last_updated),
        "protocol": i.protocol,
        "policy": i.policy,
        "_links": links,
    });
    if !i.properties.is_null() {
        out["properties"] = i.properties.clone();
    }
    out
}

fn idp_target(i: &IdentityProvider) -> Target {
    Target {
        id: i.id.clone(),
        kind: "IdentityProvider".into(),
        alternate_id: "unknown".into(),
        display_name: i.name.clone(),
    }
}

fn idp_of(s: &OktaState, id: &str) -> Result<IdentityProvider, OktaError> {
    s.idps.get(id).cloned().ok_or_else(|| OktaError::not_found(id, "IdentityProvider"))
}

/// An identity provider from a create or replace body (id and dates left to the caller).
fn idp_input(s: &OktaState, body: &Map<String, Value>, except: Option<&str>) -> Result<IdentityProvider, OktaError> {
    let kind = body.get("type").and_then(Value::as_str).unwrap_or("").to_string();
    if kind.is_empty() {
        return Err(OktaError::validation("type", "type: The field cannot be left blank"));
    }
    let allowed = protocols_for(&kind).ok_or_else(|| {
        OktaError::validation("type", format!("type: '{kind}' is not a valid identity provider type"))
    })?;
    let name = body.get("name").and_then(Value::as_str).map(str::trim).unwrap_or("").to_string();
    if name.is_empty() {
        return Err(OktaError::validation("name", "name: The field cannot be left blank"));
    }
    if name.chars().count() > 100 {
        return Err(OktaError::validation("name", "name: The field is too long (maximum 100 characters)"));
    }
    if s.idps.values().any(|i| Some(i.id.as_str()) != except && i.name.eq_ignore_ascii_case(&name)) {
        return Err(OktaError::validation(
            "name",
            "name: An object with this field already exists in the current organization",
        ));
    }
    let protocol = match body.get("protocol") {
        Some(p @ Value::Object(_)) => p.clone(),
        None | Some(Value::Null) => {
            return Err(OktaError::validation("protocol", "protocol: The field cannot be left blank"))
        }
        Some(_) => return Err(OktaError::validation("protocol", "protocol: Does not match required type: object")),
    };
    let protocol_type = protocol.get("type").and_then(Value::as_str).unwrap_or("");
    if !allowed.contains(&protocol_type) {
        return Err(OktaError::validation(
            "protocol",
            format!(
                "protocol.type: The protocol type '{protocol_type}' is not supported for {kind} identity providers"
            ),
        ));
    }
    if matches!(protocol_type, "OIDC" | "OAUTH2") {
        let client_id = protocol.pointer("/credentials/client/client_id").and_then(Value::as_str).unwrap_or("");
        if client_id.trim().is_empty() {
            return Err(OktaError::validation(
                "protocol",
                "protocol.credentials.client.client_id: The field cannot be left blank",
            ));
        }
    }
    if protocol_type == "SAML2" {
        let sso = protocol.pointer("/endpoints/sso/url").and_then(Value::as_str).unwrap_or("");
        if !(sso.starts_with("https://") || sso.starts_with("http://")) {
            return Err(OktaError::validation("protocol", "protocol.endpoints.sso.url: The field must be a valid URL"));
        }
    }
    let policy = match body.get("policy") {
        None | Some(Value::Null) => default_policy(),
        Some(p @ Value::Object(_)) => merge(default_policy(), p),
        Some(_) => return Err(OktaError::validation("policy", "policy: Does not match required type: object")),
    };
    let issuer_mode = body.get("issuerMode").and_then(Value::as_str).unwrap_or("ORG_URL").to_string();
    if !matches!(issuer_mode.as_str(), "ORG_URL" | "CUSTOM_URL" | "DYNAMIC") {
        return Err(OktaError::validation("issuerMode", format!("issuerMode: '{issuer_mode}' is not a valid value")));
    }
    let properties = body.get("properties").filter(|v| v.is_object()).cloned().unwrap_or(Value::Null);
    let now = chrono::DateTime::<chrono::Utc>::MIN_UTC;
    Ok(IdentityProvider {
        id: String::new(),
        kind,
        name,
        status: "ACTIVE".into(),
        issuer_mode,
        created: now,
        last_updated: now,
        protocol,
        policy,
        properties,
    })
}

async fn list(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.read")?;
    let limit = call.query.limit(20, 200)?;
    let after = call.query.after()?;
    let keyword = call.query.text("q").map(str::to_lowercase);
    let kind = call.query.text("type").map(str::to_string);
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let keyed: Vec<(String, &IdentityProvider)> = s
            .idps
            .values()
            .filter(|i| kind.as_ref().is_none_or(|k| i.kind == *k))
            .filter(|i| keyword.as_ref().is_none_or(|k| i.name.to_lowercase().starts_with(k.as_str())))
            .map(|i| (i.id.clone(), i))
            .collect();
        let (page, next) = paginate(keyed, after, limit, Order::KeyAscending)?;
        Ok((page.into_iter().map(|i| render_idp(i, &base)).collect::<Vec<_>>(), next))
    })??;
    Ok(wire::page(items, link_headers(&base, "/api/v1/idps", &call.query, next.as_deref())))
}

async fn create(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        if s.idps.len() >= MAX_IDPS {
            return Err(OktaError::validation("idp", "The maximum number of identity providers has been reached"));
        }
        let mut idp = idp_input(s, &body, None)?;
        idp.id = okta_id(ids, "0oa");
        idp.created = now;
        idp.last_updated = now;
        s.idps.insert(idp.id.clone(), idp.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("system.idp.lifecycle.create", "Create Identity Provider", vec![idp_target(&idp)]),
        );
        Ok(render_idp(&idp, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn get_idp(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| idp_of(s, &id).map(|i| render_idp(&i, &base)))??;
    Ok(wire::ok(&out))
}

async fn replace(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let old = idp_of(s, &id)?;
        let mut idp = idp_input(s, &body, Some(&id))?;
        if idp.kind != old.kind {
            return Err(OktaError::validation("type", "type: The type of an identity provider cannot be changed"));
        }
        idp.id = old.id.clone();
        idp.status = old.status.clone();
        idp.created = old.created;
        idp.last_updated = now;
        s.idps.insert(id.clone(), idp.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("system.idp.lifecycle.update", "Update Identity Provider", vec![idp_target(&idp)]),
        );
        Ok(render_idp(&idp, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_idp(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let idp = idp_of(s, &id)?;
        s.idps.remove(&id);
        // Every user linked to it is unlinked.
        let prefix = format!("{id}:");
        let links: Vec<String> = s.idp_links.keys().filter(|k| k.starts_with(&prefix)).cloned().collect();
        for k in links {
            s.idp_links.remove(&k);
        }
        caller.log(
            s,
            ids,
            now,
            Event::new("system.idp.lifecycle.delete", "Delete Identity Provider", vec![idp_target(&idp)]),
        );
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn lifecycle(Path((id, op)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.manage")?;
    let status = match op.as_str() {
        "activate" => "ACTIVE",
        "deactivate" => "INACTIVE",
        _ => return Err(OktaError::not_found(call.path.clone(), "Resource")),
    };
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let mut idp = idp_of(s, &id)?;
        if idp.status != status {
            idp.status = status.into();
            idp.last_updated = now;
            s.idps.insert(id.clone(), idp.clone());
        }
        let (event, message) = if status == "ACTIVE" {
            ("system.idp.lifecycle.activate", "Activate Identity Provider")
        } else {
            ("system.idp.lifecycle.deactivate", "Deactivate Identity Provider")
        };
        caller.log(s, ids, now, Event::new(event, message, vec![idp_target(&idp)]));
        Ok(render_idp(&idp, &base))
    })?;
    Ok(wire::ok(&out))
}

// --- linked users ----------------------------------------------------------------

fn render_link(l: &IdpLink, base: &str) -> Value {
    json!({
        "id": l.user_id,
        "externalId": l.external_id,
        "created": ts(l.created),
        "lastUpdated": ts(l.last_updated),
        "profile": {},
        "_links": {
            "self": {"href": format!("{base}/api/v1/idps/{}/users/{}", l.idp_id, l.user_id)},
            "idp": {"href": format!("{base}/api/v1/idps/{}", l.idp_id)},
            "user": {"href": format!("{base}/api/v1/users/{}", l.user_id)}
        }
    })
}

async fn list_users(Path(idp_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.read")?;
    let limit = call.query.limit(200, 200)?;
    let after = call.query.after()?;
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        idp_of(s, &idp_id)?;
        let prefix = format!("{idp_id}:");
        let keyed: Vec<(String, &IdpLink)> = s
            .idp_links
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, l)| (l.user_id.clone(), l))
            .collect();
        let (page, next) = paginate(keyed, after, limit, Order::KeyAscending)?;
        Ok((page.into_iter().map(|l| render_link(l, &base)).collect::<Vec<_>>(), next))
    })??;
    let path = call.path.clone();
    Ok(wire::page(items, link_headers(&base, &path, &call.query, next.as_deref())))
}

fn link_of(s: &OktaState, idp_id: &str, user_key: &str) -> Result<IdpLink, OktaError> {
    idp_of(s, idp_id)?;
    let user = s.user(user_key)?;
    s.idp_links
        .get(&pair_key(idp_id, &user.id))
        .cloned()
        .ok_or_else(|| OktaError::not_found(user_key, "IdentityProviderUser"))
}

async fn get_user(Path((idp_id, user_key)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| link_of(s, &idp_id, &user_key).map(|l| render_link(&l, &base)))??;
    Ok(wire::ok(&out))
}

async fn link_user(Path((idp_id, user_key)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.manage")?;
    let body = body_object(&call.body)?;
    let external_id = body.get("externalId").and_then(Value::as_str).map(str::trim).unwrap_or("").to_string();
    if external_id.is_empty() {
        return Err(OktaError::validation("externalId", "externalId: The field cannot be left blank"));
    }
    if external_id.chars().count() > 512 {
        return Err(OktaError::validation("externalId", "externalId: The field is too long (maximum 512 characters)"));
    }
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, _ids| {
        idp_of(s, &idp_id)?;
        let user = s.user(&user_key)?.clone();
        let prefix = format!("{idp_id}:");
        let taken = s
            .idp_links
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .any(|(_, l)| l.external_id == external_id && l.user_id != user.id);
        if taken {
            return Err(OktaError::validation(
                "externalId",
                "externalId: This external id is already linked to another user of this identity provider",
            ));
        }
        let key = pair_key(&idp_id, &user.id);
        let created = s.idp_links.get(&key).map_or(now, |l| l.created);
        let link = IdpLink {
            idp_id: idp_id.clone(),
            user_id: user.id.clone(),
            external_id: external_id.clone(),
            created,
            last_updated: now,
        };
        s.idp_links.insert(key, link.clone());
        Ok(render_link(&link, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn unlink_user(Path((idp_id, user_key)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.manage")?;
    call.write(|s, _ids| {
        let link = link_of(s, &idp_id, &user_key)?;
        s.idp_links.remove(&pair_key(&idp_id, &link.user_id));
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn user_idps(Path(user_key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    let base = call.base().to_string();
    let items = call.read(|s| -> Result<Vec<Value>, OktaError> {
        let user = s.user(&user_key)?;
        Ok(s.idp_links
            .values()
            .filter(|l| l.user_id == user.id)
            .filter_map(|l| s.idps.get(&l.idp_id))
            .map(|i| render_idp(i, &base))
            .collect())
    })??;
    let path = call.path.clone();
    Ok(wire::page(items, link_headers(&base, &path, &call.query, None)))
}

// --- signing certificates ------------------------------------------------------------

fn render_key(k: &IdpKey) -> Value {
    json!({
        "kid": k.kid,
        "created": ts(k.created),
        "lastUpdated": ts(k.last_updated),
        "e": k.e,
        "n": k.n,
        "kty": "RSA",
        "use": "sig",
        "x5c": k.x5c,
        "x5t#S256": k.x5t_s256,
        "expiresAt": ts(k.expires_at),
    })
}

fn key_of(s: &OktaState, kid: &str) -> Result<IdpKey, OktaError> {
    s.idp_keys.get(kid).cloned().ok_or_else(|| OktaError::not_found(kid, "IdpKey"))
}

async fn list_keys(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.read")?;
    let limit = call.query.limit(20, 200)?;
    let after = call.query.after()?;
    let base = call.base().to_string();
    let (items, next) = call.read(|s| {
        let keyed: Vec<(String, &IdpKey)> = s.idp_keys.values().map(|k| (k.kid.clone(), k)).collect();
        paginate(keyed, after, limit, Order::KeyAscending)
            .map(|(page, next)| (page.into_iter().map(render_key).collect::<Vec<_>>(), next))
    })??;
    Ok(wire::page(items, link_headers(&base, "/api/v1/idps/credentials/keys", &call.query, next.as_deref())))
}

async fn create_key(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.manage")?;
    let body = body_object(&call.body)?;
    let chain: Vec<String> = match body.get("x5c") {
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= 10 && a.iter().all(Value::is_string) => {
            a.iter().filter_map(Value::as_str).map(str::to_string).collect()
        }
        None | Some(Value::Null) => return Err(OktaError::validation("x5c", "x5c: The field cannot be left blank")),
        Some(_) => return Err(OktaError::validation("x5c", "x5c: Does not match required type: array of strings")),
    };
    let leaf = chain.first().map(String::as_str).unwrap_or("");
    let cert = crate::certs::read_certificate(leaf)
        .map_err(|e| OktaError::validation("x5c", format!("x5c: The certificate is invalid: {e}")))?;
    let now = call.now();
    let out = call.write(|s, ids| {
        if s.idp_keys.len() >= MAX_IDP_KEYS {
            return Err(OktaError::validation("x5c", "The maximum number of identity provider keys has been reached"));
        }
        if let Some(existing) = s.idp_keys.values().find(|k| k.x5t_s256 == cert.x5t_s256) {
            return Err(OktaError::validation(
                "x5c",
                format!("x5c: This certificate has already been uploaded with kid={}.", existing.kid),
            ));
        }
        let key = IdpKey {
            kid: crate::ids::uuid(ids),
            created: now,
            last_updated: now,
            x5c: chain.clone(),
            n: cert.n.clone(),
            e: cert.e.clone(),
            x5t_s256: cert.x5t_s256.clone(),
            expires_at: cert.not_after,
        };
        s.idp_keys.insert(key.kid.clone(), key.clone());
        Ok(render_key(&key))
    })?;
    Ok(wire::ok(&out))
}

async fn get_key(Path(kid): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.read")?;
    let out = call.read(|s| key_of(s, &kid).map(|k| render_key(&k)))??;
    Ok(wire::ok(&out))
}

/// A key an identity provider trusts stays until no identity provider names it.
async fn delete_key(Path(kid): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.idps.manage")?;
    call.write(|s, _ids| {
        key_of(s, &kid)?;
        let in_use = s
            .idps
            .values()
            .any(|i| i.protocol.pointer("/credentials/trust/kid").and_then(Value::as_str) == Some(kid.as_str()));
        if in_use {
            return Err(OktaError::validation("kid", "kid: The key is in use by an identity provider"));
        }
        s.idp_keys.remove(&kid);
        Ok(())
    })?;
    Ok(wire::no_content())
}
