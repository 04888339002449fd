//! Refresh tokens as the Management API shows them: by user and client
//! (`/api/v1/users/{userId}/clients…`), by app (`/api/v1/apps/{appId}/tokens`) and
//! by custom authorization server and client
//! (`/api/v1/authorizationServers/{authServerId}/clients…`). They are the refresh
//! tokens the twin's token endpoints issued (`OktaState::tokens`); revoking one here
//! makes it fail at `/v1/token` (`invalid_grant`) and introspect inactive. Also the
//! end users' consent grants (`/api/v1/users/{userId}/grants`), recorded at
//! `/authorize` when an app asks for consent (`consent_method: REQUIRED`) to a custom
//! server's scope that requires it.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::routes::{route, Cov, Route};
use super::{Call, Caller};
use crate::errors::OktaError;
use crate::model::{App, Event, IssuedToken, OktaState, Target, UserGrant};
use crate::wire::{self, link_headers, paginate, ts, Order};

const NO_EXPAND: Cov = Cov::Partial("no `expand=scope`");

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/users/{userId}/grants", "okta.users.list_grants", NO_EXPAND),
    route("DELETE", "/api/v1/users/{userId}/grants", "okta.users.revoke_grants", Cov::Implemented),
    route("GET", "/api/v1/users/{userId}/grants/{grantId}", "okta.users.get_grant", NO_EXPAND),
    route("DELETE", "/api/v1/users/{userId}/grants/{grantId}", "okta.users.revoke_grant", Cov::Implemented),
    route("GET", "/api/v1/users/{userId}/clients/{clientId}/grants", "okta.users.list_client_grants", NO_EXPAND),
    route(
        "DELETE",
        "/api/v1/users/{userId}/clients/{clientId}/grants",
        "okta.users.revoke_client_grants",
        Cov::Implemented,
    ),
    route("GET", "/api/v1/users/{userId}/clients", "okta.users.list_clients", Cov::Implemented),
    route("GET", "/api/v1/users/{userId}/clients/{clientId}/tokens", "okta.users.list_client_tokens", NO_EXPAND),
    route(
        "DELETE",
        "/api/v1/users/{userId}/clients/{clientId}/tokens",
        "okta.users.revoke_client_tokens",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/users/{userId}/clients/{clientId}/tokens/{tokenId}",
        "okta.users.get_client_token",
        NO_EXPAND,
    ),
    route(
        "DELETE",
        "/api/v1/users/{userId}/clients/{clientId}/tokens/{tokenId}",
        "okta.users.revoke_client_token",
        Cov::Implemented,
    ),
    route("GET", "/api/v1/apps/{appId}/tokens", "okta.apps.list_tokens", NO_EXPAND),
    route("DELETE", "/api/v1/apps/{appId}/tokens", "okta.apps.revoke_tokens", Cov::Implemented),
    route("GET", "/api/v1/apps/{appId}/tokens/{tokenId}", "okta.apps.get_token", NO_EXPAND),
    route("DELETE", "/api/v1/apps/{appId}/tokens/{tokenId}", "okta.apps.revoke_token", Cov::Implemented),
    route(
        "GET",
        "/api/v1/authorizationServers/{authServerId}/clients",
        "okta.authservers.list_clients",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/authorizationServers/{authServerId}/clients/{clientId}/tokens",
        "okta.authservers.list_client_tokens",
        NO_EXPAND,
    ),
    route(
        "DELETE",
        "/api/v1/authorizationServers/{authServerId}/clients/{clientId}/tokens",
        "okta.authservers.revoke_client_tokens",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/authorizationServers/{authServerId}/clients/{clientId}/tokens/{tokenId}",
        "okta.authservers.get_client_token",
        NO_EXPAND,
    ),
    route(
        "DELETE",
        "/api/v1/authorizationServers/{authServerId}/clients/{clientId}/tokens/{tokenId}",
        "okta.authservers.revoke_client_token",
        Cov::Implemented,
    ),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/users/{userId}/grants", get(user_grants).delete(revoke_user_grants))
        .route("/api/v1/users/{userId}/grants/{grantId}", get(user_grant).delete(revoke_user_grant))
        .route("/api/v1/users/{userId}/clients/{clientId}/grants", get(client_grants).delete(revoke_client_grants))
        .route("/api/v1/users/{userId}/clients", get(user_clients))
        .route("/api/v1/users/{userId}/clients/{clientId}/tokens", get(user_tokens).delete(revoke_user_tokens))
        .route("/api/v1/users/{userId}/clients/{clientId}/tokens/{tokenId}", get(user_token).delete(revoke_user_token))
        .route("/api/v1/apps/{appId}/tokens", get(app_tokens).delete(revoke_app_tokens))
        .route("/api/v1/apps/{appId}/tokens/{tokenId}", get(app_token).delete(revoke_app_token))
        .route("/api/v1/authorizationServers/{authServerId}/clients", get(server_clients))
        .route(
            "/api/v1/authorizationServers/{authServerId}/clients/{clientId}/tokens",
            get(server_tokens).delete(revoke_server_tokens),
        )
        .route(
            "/api/v1/authorizationServers/{authServerId}/clients/{clientId}/tokens/{tokenId}",
            get(server_token).delete(revoke_server_token),
        )
}

/// Page size of the token listings (Okta's default 20, at most 200).
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 200;
/// Clients one listing names at most.
const MAX_CLIENTS: usize = 200;

/// The id the Management API gives a refresh token: `oar` and 17 characters derived
/// from the token itself (the token is the record's key and is never shown).
pub fn token_id(token: &str) -> String {
    format!("oar{}", crate::ids::alnum_from(twin_core::ids::seed_from_str(token), 17))
}

/// The refresh tokens still usable at `now` that `keep` selects, oldest first, each
/// with its id and its key.
fn live(s: &OktaState, now: DateTime<Utc>, keep: impl Fn(&IssuedToken) -> bool) -> Vec<(String, String, &IssuedToken)> {
    let mut out: Vec<(String, String, &IssuedToken)> = s
        .tokens
        .iter()
        .filter(|(_, t)| t.kind == "refresh_token" && !t.revoked && t.expires_at > now && keep(t))
        .map(|(k, t)| (token_id(k), k.clone(), t))
        .collect();
    out.sort_by(|a, b| (a.2.issued_at, &a.0).cmp(&(b.2.issued_at, &b.0)));
    out
}

fn issuer(base: &str, auth_server: &str) -> String {
    if auth_server == "org" {
        base.to_string()
    } else {
        format!("{base}/oauth2/{auth_server}")
    }
}

/// A refresh token as `OAuth2RefreshToken`; `me` is its URL under the listing asked.
fn render(s: &OktaState, id: &str, t: &IssuedToken, base: &str, me: &str) -> Value {
    let app = s.app_by_client_id(&t.client_id);
    let mut links = json!({
        "self": {"href": me},
        "revoke": {"href": me, "hints": {"allow": ["DELETE"]}},
        "client": {"href": format!("{base}/oauth2/v1/clients/{}", t.client_id),
                   "title": app.map_or(t.client_id.as_str(), |a| a.label.as_str())},
    });
    if let Some(a) = app {
        links["app"] = json!({"href": format!("{base}/api/v1/apps/{}", a.id), "title": a.label});
    }
    if let Some(u) = t.user_id.as_ref().and_then(|u| s.users.get(u)) {
        links["user"] = json!({"href": format!("{base}/api/v1/users/{}", u.id), "title": u.display_name()});
    }
    if t.auth_server != "org" {
        let title = s.auth_servers.get(&t.auth_server).map_or(t.auth_server.clone(), |a| a.name.clone());
        links["authorizationServer"] =
            json!({"href": format!("{base}/api/v1/authorizationServers/{}", t.auth_server), "title": title});
    }
    let mut out = json!({
        "id": id,
        "status": "ACTIVE",
        "created": ts(t.issued_at),
        "lastUpdated": ts(t.issued_at),
        "expiresAt": ts(t.expires_at),
        "issuer": issuer(base, &t.auth_server),
        "clientId": t.client_id,
        "scopes": t.scopes,
        "_links": links,
    });
    if let Some(u) = &t.user_id {
        out["userId"] = json!(u);
    }
    out
}

/// One page of the live tokens `keep` selects, each rendered under `prefix/{id}`.
fn list_page(
    call: &Call,
    keep: impl Fn(&IssuedToken) -> bool,
    prefix: &str,
    check: impl FnOnce(&OktaState) -> Result<(), OktaError>,
) -> Result<Response, OktaError> {
    let limit = call.query.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let after = call.query.after()?;
    let base = call.base().to_string();
    let now = call.now();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        check(s)?;
        let keyed = live(s, now, keep).into_iter().map(|(id, _, t)| (id.clone(), (id, t))).collect();
        let (page, next) = paginate(keyed, after, limit, Order::Other)?;
        let items: Vec<Value> =
            page.into_iter().map(|(id, t)| render(s, &id, t, &base, &format!("{base}{prefix}/{id}"))).collect();
        Ok((items, next))
    })??;
    Ok(wire::page(items, link_headers(&base, &call.path, &call.query, next.as_deref())))
}

fn get_one(
    call: &Call,
    keep: impl Fn(&IssuedToken) -> bool,
    prefix: &str,
    token_id: &str,
    check: impl FnOnce(&OktaState) -> Result<(), OktaError>,
) -> Result<Response, OktaError> {
    let base = call.base().to_string();
    let now = call.now();
    let out = call.read(|s| -> Result<Value, OktaError> {
        check(s)?;
        live(s, now, keep)
            .into_iter()
            .find(|(id, _, _)| id == token_id)
            .map(|(id, _, t)| render(s, &id, t, &base, &format!("{base}{prefix}/{id}")))
            .ok_or_else(|| OktaError::not_found(token_id, "OAuth2RefreshToken"))
    })??;
    Ok(wire::ok(&out))
}

/// Revokes the live tokens `keep` selects (only `only`, when named: 404 if it is not
/// among them), logging each.
fn revoke(
    call: &Call,
    caller: &Caller,
    keep: impl Fn(&IssuedToken) -> bool,
    only: Option<&str>,
    check: impl FnOnce(&OktaState) -> Result<(), OktaError>,
) -> Result<Response, OktaError> {
    let now = call.now();
    call.write(|s, ids| {
        check(s)?;
        let chosen: Vec<(String, String, Option<String>)> = live(s, now, keep)
            .into_iter()
            .filter(|(id, _, _)| only.is_none_or(|o| o == id))
            .map(|(id, key, t)| (id, key, s.app_by_client_id(&t.client_id).map(|a| a.id.clone())))
            .collect();
        if let Some(o) = only {
            if chosen.is_empty() {
                return Err(OktaError::not_found(o, "OAuth2RefreshToken"));
            }
        }
        for (id, key, app_id) in chosen {
            let custom = s.tokens.get(&key).is_some_and(|t| t.auth_server != "org");
            if let Some(t) = s.tokens.get_mut(&key) {
                t.revoked = true;
            }
            let mut targets = vec![Target {
                id,
                kind: "RefreshToken".into(),
                alternate_id: "unknown".into(),
                display_name: "Refresh Token".into(),
            }];
            if let Some(app) = app_id.as_deref().and_then(|a| s.apps.get(a)) {
                targets.push(Target::app(app));
            }
            let event = if custom { "app.oauth2.as.token.revoke" } else { "app.oauth2.token.revoke" };
            caller.log(s, ids, now, Event::new(event, "OAuth2 token revocation request", targets));
        }
        Ok(())
    })?;
    Ok(wire::no_content())
}

fn user_id_of(call: &Call, key: &str) -> Result<String, OktaError> {
    call.read(|s| s.user(key).map(|u| u.id.clone()))?
}

/// An OAuth 2.0 client (an app with a client id) as `OAuth2Client`.
fn client_json(s: &OktaState, client_id: &str, base: &str, tokens: &str, grants: Option<&str>) -> Value {
    let app = s.app_by_client_id(client_id);
    let mut links = json!({
        "self": {"href": format!("{base}/oauth2/v1/clients/{client_id}")},
        "tokens": {"href": tokens},
    });
    if let Some(g) = grants {
        links["grants"] = json!({"href": g});
    }
    let mut out = json!({
        "client_id": client_id,
        "client_name": app.map_or(client_id, |a| a.label.as_str()),
        "_links": links,
    });
    if let Some(uri) = app.and_then(|a| a.settings.pointer("/oauthClient/client_uri")).filter(|v| v.is_string()) {
        out["client_uri"] = uri.clone();
    }
    if let Some(uri) = app.and_then(|a| a.settings.pointer("/oauthClient/logo_uri")).filter(|v| v.is_string()) {
        out["logo_uri"] = uri.clone();
    }
    out
}

/// The distinct client ids among `tokens`, in first-issued order.
fn clients_of(tokens: &[(String, String, &IssuedToken)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, _, t) in tokens {
        if !out.contains(&t.client_id) && out.len() < MAX_CLIENTS {
            out.push(t.client_id.clone());
        }
    }
    out
}

// --- by user and client -----------------------------------------------------------

async fn user_clients(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    let uid = user_id_of(&call, &key)?;
    let base = call.base().to_string();
    let now = call.now();
    let items = call.read(|s| {
        let tokens = live(s, now, |t| t.user_id.as_deref() == Some(uid.as_str()));
        let mut clients = clients_of(&tokens);
        for g in grants_of(s, |g| g.user_id == uid) {
            if !clients.contains(&g.client_id) && clients.len() < MAX_CLIENTS {
                clients.push(g.client_id.clone());
            }
        }
        clients
            .iter()
            .map(|c| {
                let me = format!("{base}/api/v1/users/{uid}/clients/{c}");
                client_json(s, c, &base, &format!("{me}/tokens"), Some(&format!("{me}/grants")))
            })
            .collect::<Vec<_>>()
    })?;
    Ok(wire::ok(&Value::Array(items)))
}

fn of_user_and_client<'a>(uid: &'a str, client_id: &'a str) -> impl Fn(&IssuedToken) -> bool + 'a {
    move |t| t.user_id.as_deref() == Some(uid) && t.client_id == client_id
}

async fn user_tokens(Path((key, client_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    call.query.expand(|e| e == "scope")?;
    let uid = user_id_of(&call, &key)?;
    let prefix = format!("/api/v1/users/{uid}/clients/{client_id}/tokens");
    list_page(&call, of_user_and_client(&uid, &client_id), &prefix, |_| Ok(()))
}

async fn user_token(
    Path((key, client_id, token_id)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    call.query.expand(|e| e == "scope")?;
    let uid = user_id_of(&call, &key)?;
    let prefix = format!("/api/v1/users/{uid}/clients/{client_id}/tokens");
    get_one(&call, of_user_and_client(&uid, &client_id), &prefix, &token_id, |_| Ok(()))
}

async fn revoke_user_tokens(Path((key, client_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let uid = user_id_of(&call, &key)?;
    revoke(&call, &caller, of_user_and_client(&uid, &client_id), None, |_| Ok(()))
}

async fn revoke_user_token(
    Path((key, client_id, token_id)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let uid = user_id_of(&call, &key)?;
    revoke(&call, &caller, of_user_and_client(&uid, &client_id), Some(&token_id), |_| Ok(()))
}

// --- by app -------------------------------------------------------------------------

/// The client id of an app (an app without one has no tokens).
fn client_of_app(call: &Call, app_id: &str) -> Result<String, OktaError> {
    call.read(|s| s.app(app_id).map(|a| a.client_id().unwrap_or_default().to_string()))?
}

fn of_client(client_id: &str) -> impl Fn(&IssuedToken) -> bool + '_ {
    move |t| !client_id.is_empty() && t.client_id == client_id
}

async fn app_tokens(Path(app_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.read")?;
    call.query.expand(|e| e == "scope")?;
    let client_id = client_of_app(&call, &app_id)?;
    list_page(&call, of_client(&client_id), &format!("/api/v1/apps/{app_id}/tokens"), |_| Ok(()))
}

async fn app_token(Path((app_id, token_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.read")?;
    call.query.expand(|e| e == "scope")?;
    let client_id = client_of_app(&call, &app_id)?;
    get_one(&call, of_client(&client_id), &format!("/api/v1/apps/{app_id}/tokens"), &token_id, |_| Ok(()))
}

async fn revoke_app_tokens(Path(app_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let client_id = client_of_app(&call, &app_id)?;
    revoke(&call, &caller, of_client(&client_id), None, |_| Ok(()))
}

async fn revoke_app_token(Path((app_id, token_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let client_id = client_of_app(&call, &app_id)?;
    revoke(&call, &caller, of_client(&client_id), Some(&token_id), |_| Ok(()))
}

// --- by authorization server and client ----------------------------------------------

fn server_exists(server: &str) -> impl FnOnce(&OktaState) -> Result<(), OktaError> + '_ {
    move |s| {
        if s.auth_servers.contains_key(server) {
            Ok(())
        } else {
            Err(OktaError::not_found(server, "AuthorizationServer"))
        }
    }
}

fn of_server_and_client<'a>(server: &'a str, client_id: &'a str) -> impl Fn(&IssuedToken) -> bool + 'a {
    move |t| t.auth_server == server && t.client_id == client_id
}

async fn server_clients(Path(server): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authorizationServers.read")?;
    let base = call.base().to_string();
    let now = call.now();
    let items = call.read(|s| -> Result<Vec<Value>, OktaError> {
        server_exists(&server)(s)?;
        let tokens = live(s, now, |t| t.auth_server == server);
        Ok(clients_of(&tokens)
            .iter()
            .map(|c| {
                let tokens = format!("{base}/api/v1/authorizationServers/{server}/clients/{c}/tokens");
                client_json(s, c, &base, &tokens, None)
            })
            .collect())
    })??;
    Ok(wire::ok(&Value::Array(items)))
}

async fn server_tokens(Path((server, client_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authorizationServers.read")?;
    call.query.expand(|e| e == "scope")?;
    let prefix = format!("/api/v1/authorizationServers/{server}/clients/{client_id}/tokens");
    list_page(&call, of_server_and_client(&server, &client_id), &prefix, server_exists(&server))
}

async fn server_token(
    Path((server, client_id, token_id)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authorizationServers.read")?;
    call.query.expand(|e| e == "scope")?;
    let prefix = format!("/api/v1/authorizationServers/{server}/clients/{client_id}/tokens");
    get_one(&call, of_server_and_client(&server, &client_id), &prefix, &token_id, server_exists(&server))
}

async fn revoke_server_tokens(
    Path((server, client_id)): Path<(String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authorizationServers.manage")?;
    revoke(&call, &caller, of_server_and_client(&server, &client_id), None, server_exists(&server))
}

async fn revoke_server_token(
    Path((server, client_id, token_id)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.authorizationServers.manage")?;
    revoke(&call, &caller, of_server_and_client(&server, &client_id), Some(&token_id), server_exists(&server))
}

// --- end users' consent grants ----------------------------------------------------------

/// Records the user's consent to each of `scopes` that needs it: the app asks for
/// consent and the custom server's scope requires it (once per user, client and scope).
pub fn record_consent(
    s: &mut OktaState,
    ids: &mut twin_core::ids::IdGen,
    server: &str,
    app: &App,
    user_id: &str,
    scopes: &[String],
    now: DateTime<Utc>,
) {
    let asks = app.settings.pointer("/oauthClient/consent_method").and_then(Value::as_str) == Some("REQUIRED");
    let Some(client_id) = app.client_id().filter(|_| asks && server != "org") else { return };
    let needing: Vec<(String, String)> = s
        .auth_scopes
        .values()
        .filter(|sc| sc.server_id == server && sc.consent == "REQUIRED" && scopes.contains(&sc.name))
        .map(|sc| (sc.id.clone(), sc.name.clone()))
        .collect();
    for (scope_id, scope) in needing {
        let held = s.user_grants.values().any(|g| {
            g.user_id == user_id && g.client_id == client_id && g.auth_server == server && g.scope_id == scope_id
        });
        if !held {
            let grant = UserGrant {
                id: crate::ids::okta_id(ids, "oag"),
                user_id: user_id.to_string(),
                client_id: client_id.to_string(),
                auth_server: server.to_string(),
                scope_id,
                scope,
                created: now,
            };
            s.user_grants.insert(grant.id.clone(), grant);
        }
    }
}

/// The grants `keep` selects, oldest first.
fn grants_of(s: &OktaState, keep: impl Fn(&UserGrant) -> bool) -> Vec<&UserGrant> {
    let mut out: Vec<&UserGrant> = s.user_grants.values().filter(|g| keep(g)).collect();
    out.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    out
}

/// A grant as `OAuth2ScopeConsentGrant`.
fn render_grant(s: &OktaState, g: &UserGrant, base: &str) -> Value {
    let app = s.app_by_client_id(&g.client_id);
    let server = format!("{base}/api/v1/authorizationServers/{}", g.auth_server);
    let mut links = json!({
        "self": {"href": format!("{base}/api/v1/users/{}/grants/{}", g.user_id, g.id), "hints": {"allow": ["GET", "DELETE"]}},
        "client": {"href": format!("{base}/oauth2/v1/clients/{}", g.client_id),
                   "title": app.map_or(g.client_id.as_str(), |a| a.label.as_str())},
        "authorizationServer": {"href": server.clone()},
        "scope": {"href": format!("{server}/scopes/{}", g.scope_id), "title": g.scope},
        "user": {"href": format!("{base}/api/v1/users/{}", g.user_id)},
    });
    if let Some(a) = app {
        links["app"] = json!({"href": format!("{base}/api/v1/apps/{}", a.id), "title": a.label});
    }
    json!({
        "id": g.id,
        "status": "ACTIVE",
        "created": ts(g.created),
        "lastUpdated": ts(g.created),
        "issuer": issuer(base, &g.auth_server),
        "clientId": g.client_id,
        "userId": g.user_id,
        "scopeId": g.scope_id,
        "source": "END_USER",
        "createdBy": {"id": g.user_id, "type": "User"},
        "_links": links,
    })
}

fn grant_page(call: &Call, keep: impl Fn(&UserGrant) -> bool) -> Result<Response, OktaError> {
    let limit = call.query.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let after = call.query.after()?;
    let scope_id = call.query.text("scopeId").map(str::to_string);
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let keyed = grants_of(s, |g| keep(g) && scope_id.as_ref().is_none_or(|id| *id == g.scope_id))
            .into_iter()
            .map(|g| (g.id.clone(), g))
            .collect();
        let (page, next) = paginate(keyed, after, limit, Order::Other)?;
        Ok((page.into_iter().map(|g| render_grant(s, g, &base)).collect::<Vec<_>>(), next))
    })??;
    Ok(wire::page(items, link_headers(&base, &call.path, &call.query, next.as_deref())))
}

/// Removes the grants `keep` selects (only `only`, when named: 404 if it is not among them).
fn revoke_grants(
    call: &Call,
    caller: &Caller,
    keep: impl Fn(&UserGrant) -> bool,
    only: Option<&str>,
) -> Result<Response, OktaError> {
    let now = call.now();
    call.write(|s, ids| {
        let chosen: Vec<UserGrant> =
            grants_of(s, |g| keep(g) && only.is_none_or(|o| o == g.id)).into_iter().cloned().collect();
        if let (Some(o), true) = (only, chosen.is_empty()) {
            return Err(OktaError::not_found(o, "OAuth2ScopeConsentGrant"));
        }
        for g in chosen {
            s.user_grants.remove(&g.id);
            let targets = s.app_by_client_id(&g.client_id).map(Target::app).into_iter().collect();
            caller.log(s, ids, now, Event::new("app.oauth2.as.consent.revoke", "Revoke scope consent", targets));
        }
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn user_grants(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    call.query.expand(|e| e == "scope")?;
    let uid = user_id_of(&call, &key)?;
    grant_page(&call, |g| g.user_id == uid)
}

async fn user_grant(Path((key, grant_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    call.query.expand(|e| e == "scope")?;
    let uid = user_id_of(&call, &key)?;
    let base = call.base().to_string();
    let out = call.read(|s| {
        s.user_grants
            .get(&grant_id)
            .filter(|g| g.user_id == uid)
            .map(|g| render_grant(s, g, &base))
            .ok_or_else(|| OktaError::not_found(&grant_id, "OAuth2ScopeConsentGrant"))
    })??;
    Ok(wire::ok(&out))
}

async fn revoke_user_grants(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let uid = user_id_of(&call, &key)?;
    revoke_grants(&call, &caller, |g| g.user_id == uid, None)
}

async fn revoke_user_grant(Path((key, grant_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let uid = user_id_of(&call, &key)?;
    revoke_grants(&call, &caller, |g| g.user_id == uid, Some(&grant_id))
}

async fn client_grants(Path((key, client_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    call.query.expand(|e| e == "scope")?;
    let uid = user_id_of(&call, &key)?;
    grant_page(&call, |g| g.user_id == uid && g.client_id == client_id)
}

async fn revoke_client_grants(
    Path((key, client_id)): Path<(String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let uid = user_id_of(&call, &key)?;
    revoke_grants(&call, &caller, |g| g.user_id == uid && g.client_id == client_id, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_ids_are_stable_and_okta_shaped() {
        let a = token_id("abc");
        assert_eq!(a, token_id("abc"));
        assert_ne!(a, token_id("abd"));
        assert!(a.starts_with("oar") && a.len() == 20 && a.bytes().all(|b| b.is_ascii_alphanumeric()), "{a}");
    }
}
