//! OAuth 2.0 / OpenID Connect: the org authorization server (`/oauth2/v1/…`,
//! issuer = the org URL, whose access tokens call the Management API with
//! `okta.*` scopes) and the `default` custom authorization server
//! (`/oauth2/default/v1/…`, issuer `{org}/oauth2/default`, JWT access tokens for
//! `api://default`). Discovery, JWKS, token (client_credentials with secrets or
//! `private_key_jwt`, authorization_code + PKCE, refresh_token, password),
//! headless authorize (a `sessionToken` from `/api/v1/authn`), userinfo,
//! introspect, revoke, logout. Plus the Management API's scope-consent grants,
//! which `okta.*` client-credentials requests need.

use std::collections::HashMap;

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, LOCATION, PRAGMA};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use twin_core::ids::IdGen;
use twin_core::Principal;

use super::routes::{route, Cov, Route};
use super::{authn, Call};
use crate::authz::{self, AuthServerRecord};
use crate::errors::{OAuthError, OktaError};
use crate::ids::{alnum, okta_id};
use crate::keys;
use crate::model::{App, AppStatus, AuthCode, Event, IssuedToken, OktaState, ScopeGrant, Target, User, UserStatus};
use crate::wire::{self, body_object, ts};

pub const ROUTES: &[Route] = &[
    route("GET", "/.well-known/openid-configuration", "okta.oauth2.discovery", Cov::Extra),
    route("GET", "/.well-known/oauth-authorization-server", "okta.oauth2.metadata", Cov::Extra),
    route("GET", "/oauth2/v1/keys", "okta.oauth2.keys", Cov::Extra),
    route("POST", "/oauth2/v1/token", "okta.oauth2.token", Cov::Extra),
    route("GET", "/oauth2/v1/authorize", "okta.oauth2.authorize", Cov::Extra),
    route("GET", "/oauth2/v1/userinfo", "okta.oauth2.userinfo", Cov::Extra),
    route("POST", "/oauth2/v1/userinfo", "okta.oauth2.userinfo_post", Cov::Extra),
    route("POST", "/oauth2/v1/introspect", "okta.oauth2.introspect", Cov::Extra),
    route("POST", "/oauth2/v1/revoke", "okta.oauth2.revoke", Cov::Extra),
    route("GET", "/oauth2/v1/logout", "okta.oauth2.logout", Cov::Extra),
    route("GET", "/oauth2/{authServerId}/.well-known/openid-configuration", "okta.oauth2.as.discovery", Cov::Extra),
    route(
        "GET",
        "/oauth2/{authServerId}/.well-known/oauth-authorization-server",
        "okta.oauth2.as.metadata",
        Cov::Extra,
    ),
    route("GET", "/oauth2/{authServerId}/v1/keys", "okta.oauth2.as.keys", Cov::Extra),
    route("POST", "/oauth2/{authServerId}/v1/token", "okta.oauth2.as.token", Cov::Extra),
    route("GET", "/oauth2/{authServerId}/v1/authorize", "okta.oauth2.as.authorize", Cov::Extra),
    route("GET", "/oauth2/{authServerId}/v1/userinfo", "okta.oauth2.as.userinfo", Cov::Extra),
    route("POST", "/oauth2/{authServerId}/v1/userinfo", "okta.oauth2.as.userinfo_post", Cov::Extra),
    route("POST", "/oauth2/{authServerId}/v1/introspect", "okta.oauth2.as.introspect", Cov::Extra),
    route("POST", "/oauth2/{authServerId}/v1/revoke", "okta.oauth2.as.revoke", Cov::Extra),
    route("GET", "/oauth2/{authServerId}/v1/logout", "okta.oauth2.as.logout", Cov::Extra),
    route("GET", "/api/v1/apps/{appId}/grants", "okta.apps.list_grants", Cov::Implemented),
    route("POST", "/api/v1/apps/{appId}/grants", "okta.apps.grant_scope", Cov::Implemented),
    route("GET", "/api/v1/apps/{appId}/grants/{grantId}", "okta.apps.get_grant", Cov::Implemented),
    route("DELETE", "/api/v1/apps/{appId}/grants/{grantId}", "okta.apps.revoke_grant", Cov::Implemented),
];

pub fn routes(r: Router) -> Router {
    r.route("/.well-known/openid-configuration", get(|call: Call| discovery(None, call)))
        .route("/.well-known/oauth-authorization-server", get(|call: Call| discovery(None, call)))
        .route("/oauth2/v1/keys", get(|call: Call| jwks(None, call)))
        .route("/oauth2/v1/token", post(|call: Call| token(None, call)))
        .route("/oauth2/v1/authorize", get(|call: Call| authorize(None, call)))
        .route("/oauth2/v1/userinfo", get(|call: Call| userinfo(None, call)).post(|call: Call| userinfo(None, call)))
        .route("/oauth2/v1/introspect", post(|call: Call| introspect(None, call)))
        .route("/oauth2/v1/revoke", post(|call: Call| revoke(None, call)))
        .route("/oauth2/v1/logout", get(|call: Call| logout(None, call)))
        .route(
            "/oauth2/{authServerId}/.well-known/openid-configuration",
            get(|Path(a): Path<String>, call: Call| discovery(Some(a), call)),
        )
        .route(
            "/oauth2/{authServerId}/.well-known/oauth-authorization-server",
            get(|Path(a): Path<String>, call: Call| discovery(Some(a), call)),
        )
        .route("/oauth2/{authServerId}/v1/keys", get(|Path(a): Path<String>, call: Call| jwks(Some(a), call)))
        .route("/oauth2/{authServerId}/v1/token", post(|Path(a): Path<String>, call: Call| token(Some(a), call)))
        .route("/oauth2/{authServerId}/v1/authorize", get(|Path(a): Path<String>, call: Call| authorize(Some(a), call)))
        .route(
            "/oauth2/{authServerId}/v1/userinfo",
            get(|Path(a): Path<String>, call: Call| userinfo(Some(a), call))
                .post(|Path(a): Path<String>, call: Call| userinfo(Some(a), call)),
        )
        .route(
            "/oauth2/{authServerId}/v1/introspect",
            post(|Path(a): Path<String>, call: Call| introspect(Some(a), call)),
        )
        .route("/oauth2/{authServerId}/v1/revoke", post(|Path(a): Path<String>, call: Call| revoke(Some(a), call)))
        .route("/oauth2/{authServerId}/v1/logout", get(|Path(a): Path<String>, call: Call| logout(Some(a), call)))
        .route("/api/v1/apps/{appId}/grants", get(list_grants).post(grant_scope))
        .route("/api/v1/apps/{appId}/grants/{grantId}", get(get_grant).delete(revoke_grant))
}

/// An error in either dialect.
#[derive(Debug)]
pub enum Fail {
    Okta(OktaError),
    OAuth(OAuthError),
}

impl From<OktaError> for Fail {
    fn from(e: OktaError) -> Self {
        Self::Okta(e)
    }
}

impl From<OAuthError> for Fail {
    fn from(e: OAuthError) -> Self {
        Self::OAuth(e)
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        match self {
            Self::Okta(e) => e.into_response(),
            Self::OAuth(e) => e.into_response(),
        }
    }
}

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const OIDC_SCOPES: [&str; 7] = ["openid", "profile", "email", "address", "phone", "offline_access", "groups"];
/// The Management API scopes the org authorization server grants.
pub const OKTA_SCOPES: [&str; 14] = [
    "okta.users.read",
    "okta.users.manage",
    "okta.groups.read",
    "okta.groups.manage",
    "okta.apps.read",
    "okta.apps.manage",
    "okta.logs.read",
    "okta.factors.read",
    "okta.factors.manage",
    "okta.users.read.self",
    "okta.users.manage.self",
    "okta.authorizationServers.read",
    "okta.authorizationServers.manage",
    "okta.clients.read",
];

/// The org authorization server or a custom one (`crate::authz`).
#[derive(Debug, Clone)]
struct AuthServer {
    /// `None`: the org authorization server; `Some(id)`: a custom one.
    custom: Option<String>,
    issuer: String,
    endpoints: String,
    /// The custom server's record (its audiences, keys, leniency).
    record: Option<AuthServerRecord>,
}

impl AuthServer {
    fn org(base: &str) -> Self {
        Self { custom: None, issuer: base.to_string(), endpoints: format!("{base}/oauth2/v1"), record: None }
    }

    fn custom(record: AuthServerRecord, base: &str) -> Self {
        Self {
            custom: Some(record.id.clone()),
            issuer: format!("{base}/oauth2/{}", record.id),
            endpoints: format!("{base}/oauth2/{}/v1", record.id),
            record: Some(record),
        }
    }

    /// The server a path names. An unknown or inactive custom server is not found
    /// (E0000007), as at Okta.
    fn resolve(id: Option<&str>, call: &Call) -> Result<Self, Fail> {
        let Some(id) = id else { return Ok(Self::org(call.base())) };
        let record = match call.read(|s| s.auth_servers.get(id).cloned())? {
            Some(r) => r,
            None => return Err(OktaError::not_found(id, "AuthorizationServer").into()),
        };
        if !record.active() {
            return Err(OktaError::not_found(id, "AuthorizationServer").into());
        }
        Ok(Self::custom(record, call.base()))
    }

    /// Judges a token request against the custom server's access policies; the org
    /// server has none to apply (its scopes are checked by grants).
    fn evaluate(
        &self,
        s: &OktaState,
        app: &App,
        user: Option<&User>,
        grant: &str,
        scopes: &[String],
    ) -> Result<authz::Decision, OAuthError> {
        match &self.record {
            None => Ok(authz::Decision::org_server()),
            Some(r) => {
                authz::check_declared(s, r, scopes)?;
                authz::evaluate(s, &r.id, app, user, grant, scopes)
            }
        }
    }

    fn name(&self) -> &str {
        self.custom.as_deref().unwrap_or("org")
    }

    fn url(&self, endpoint: &str) -> String {
        format!("{}/{endpoint}", self.endpoints)
    }

    fn audience(&self) -> Value {
        match &self.record {
            None => json!(self.issuer),
            Some(r) => r.audience(),
        }
    }

    /// Signs with the custom server's active key, or the org key set.
    fn sign(&self, claims: &Value) -> Result<String, OktaError> {
        let signed = match &self.record {
            Some(r) => keys::sign_with(r.signing_key(), claims),
            None => keys::sign(claims),
        };
        signed.map_err(|e| {
            tracing::error!("signing a token: {e}");
            OktaError::Internal
        })
    }
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache, no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

// --- discovery and keys -----------------------------------------------------------

async fn discovery(id: Option<String>, call: Call) -> Result<Response, Fail> {
    let srv = AuthServer::resolve(id.as_deref(), &call)?;
    let mut scopes: Vec<String> = OIDC_SCOPES.iter().map(|s| s.to_string()).collect();
    match &srv.record {
        None => scopes.extend(OKTA_SCOPES.iter().map(|s| s.to_string())),
        Some(r) => {
            // Custom scopes are published when their `metadataPublish` is ALL_CLIENTS.
            let published = call.read(|s| {
                s.auth_scopes
                    .values()
                    .filter(|sc| {
                        sc.server_id == r.id && sc.metadata_publish == "ALL_CLIENTS" && !scopes.contains(&sc.name)
                    })
                    .map(|sc| sc.name.clone())
                    .collect::<Vec<_>>()
            })?;
            scopes.extend(published);
        }
    }
    let auth_methods = ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"];
    let doc = json!({
        "issuer": srv.issuer,
        "authorization_endpoint": srv.url("authorize"),
        "token_endpoint": srv.url("token"),
        "userinfo_endpoint": srv.url("userinfo"),
        "registration_endpoint": format!("{}/oauth2/v1/clients", call.base()),
        "jwks_uri": srv.url("keys"),
        "response_types_supported": ["code", "id_token", "code id_token", "code token", "id_token token", "code id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post", "okta_post_message"],
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "password", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": scopes,
        "token_endpoint_auth_methods_supported": auth_methods,
        "claims_supported": ["iss", "ver", "sub", "aud", "iat", "exp", "jti", "auth_time", "amr", "idp", "nonce", "name",
                             "nickname", "preferred_username", "given_name", "family_name", "email", "email_verified",
                             "zoneinfo", "locale", "updated_at", "at_hash"],
        "code_challenge_methods_supported": ["S256"],
        "introspection_endpoint": srv.url("introspect"),
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint": srv.url("revoke"),
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "end_session_endpoint": srv.url("logout"),
        "request_parameter_supported": true,
        "request_object_signing_alg_values_supported": ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512"],
        "dpop_signing_alg_values_supported": ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"],
    });
    Ok(wire::ok(&doc))
}

async fn jwks(id: Option<String>, call: Call) -> Result<Response, Fail> {
    let srv = AuthServer::resolve(id.as_deref(), &call)?;
    let jwks = match &srv.record {
        Some(r) => super::authservers::published_jwks(r),
        None => keys::jwks(),
    };
    let mut response = wire::ok(&jwks);
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("max-age=3832, must-revalidate"));
    Ok(response)
}

// --- client authentication ------------------------------------------------------------

fn form_of(call: &Call) -> HashMap<String, String> {
    twin_core::wire::form_pairs(&call.body).into_iter().collect()
}

/// The unverified claims of a JWT (to find whose key verifies it).
fn peek_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

fn invalid_client() -> OAuthError {
    OAuthError::invalid_client("Client authentication failed. Either the client or the client credentials are invalid.")
}

/// Verifies a `private_key_jwt` assertion against the client's registered keys.
fn verify_assertion(app: &App, assertion: &str, audiences: &[String]) -> Result<(), OAuthError> {
    let client_id = app.client_id().unwrap_or_default().to_string();
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| OAuthError::invalid_client("The client_assertion JWT is malformed."))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512) {
        return Err(OAuthError::invalid_client("The client_assertion signature algorithm is not supported."));
    }
    let keys = app.settings.pointer("/oauthClient/jwks/keys").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut validation = Validation::new(header.alg);
    validation.set_audience(audiences);
    validation.set_issuer(&[client_id.as_str()]);
    validation.sub = Some(client_id.clone());
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    validation.leeway = 60;
    let mut last = OAuthError::invalid_client("The client_assertion signature is invalid.");
    for key in
        keys.iter().filter(|k| header.kid.is_none() || k.get("kid").and_then(Value::as_str) == header.kid.as_deref())
    {
        let (Some(n), Some(e)) = (key.get("n").and_then(Value::as_str), key.get("e").and_then(Value::as_str)) else {
            continue;
        };
        let Ok(decoding) = DecodingKey::from_rsa_components(n, e) else { continue };
        match jsonwebtoken::decode::<Value>(assertion, &decoding, &validation) {
            Ok(_) => return Ok(()),
            Err(err) => {
                use jsonwebtoken::errors::ErrorKind;
                last = match err.kind() {
                    ErrorKind::ExpiredSignature => OAuthError::invalid_client("The client_assertion token is expired."),
                    ErrorKind::InvalidAudience => OAuthError::invalid_client(
                        "The audience claim for client_assertion must be the endpoint invoked for the request.",
                    ),
                    ErrorKind::InvalidIssuer | ErrorKind::InvalidSubject => OAuthError::invalid_client(
                        "The issuer and subject claim for client_assertion must be the client_id.",
                    ),
                    _ => OAuthError::invalid_client("The client_assertion signature is invalid."),
                };
            }
        }
    }
    Err(last)
}

/// Authenticates the client of a token, introspect or revoke request, as its
/// registered `token_endpoint_auth_method` asks.
fn authenticate_client(
    s: &OktaState,
    call: &Call,
    form: &HashMap<String, String>,
    srv: &AuthServer,
    endpoint: &str,
) -> Result<App, OAuthError> {
    let basic = twin_core::wire::basic_credentials(&call.headers);
    let assertion = form.get("client_assertion").filter(|a| !a.is_empty());
    let client_id = form
        .get("client_id")
        .cloned()
        .or_else(|| basic.as_ref().map(|(id, _)| id.clone()))
        .or_else(|| assertion.and_then(|a| peek_claims(a)?.get("sub")?.as_str().map(str::to_string)));
    let Some(client_id) = client_id.filter(|c| !c.is_empty()) else {
        return Err(OAuthError::invalid_client("No client credentials found."));
    };
    let app = s
        .app_by_client_id(&client_id)
        .filter(|a| a.sign_on_mode == "OPENID_CONNECT")
        .cloned()
        .ok_or_else(|| OAuthError::invalid_client("Invalid value for 'client_id' parameter."))?;
    if app.status != AppStatus::Active {
        return Err(OAuthError::invalid_client("Invalid value for 'client_id' parameter."));
    }
    match app.token_auth_method() {
        "private_key_jwt" => {
            let assertion = assertion.ok_or_else(invalid_client)?;
            if form.get("client_assertion_type").map(String::as_str) != Some(JWT_BEARER) {
                return Err(OAuthError::invalid_client("The client_assertion_type is invalid."));
            }
            let audiences = vec![srv.url(endpoint), srv.url("token")];
            verify_assertion(&app, assertion, &audiences)?;
        }
        "none" => {
            if basic.is_some() || form.contains_key("client_secret") {
                return Err(invalid_client());
            }
        }
        _ => {
            let secret =
                basic.map(|(_, s)| s).or_else(|| form.get("client_secret").cloned()).ok_or_else(invalid_client)?;
            if Some(secret.as_str()) != app.client_secret() {
                return Err(invalid_client());
            }
        }
    }
    Ok(app)
}

// --- issuing tokens ------------------------------------------------------------------

struct Issue<'a> {
    srv: &'a AuthServer,
    app: &'a App,
    user: Option<&'a User>,
    grant: &'a str,
    scopes: Vec<String>,
    now: DateTime<Utc>,
    auth_time: DateTime<Utc>,
    nonce: Option<String>,
    /// Reuse this refresh token instead of minting one.
    refresh: Option<String>,
}

fn scope_text(scopes: &[String]) -> String {
    scopes.join(" ")
}

/// Tokens decided under the universe's lock, signed after it: a custom server's
/// token hook is called in between, outside the lock.
struct Pending {
    /// The token response, without the JWTs still to be signed.
    out: Value,
    srv: AuthServer,
    /// A custom server's access token claims (the org server's token is opaque and in `out`).
    access_claims: Option<Value>,
    id_claims: Option<Value>,
    /// The token inline hook to call, and its request body.
    hook: Option<(crate::hooks::Channel, String, Value)>,
}

/// Decides the tokens of a successful grant (policy, lifetimes, claims) and records
/// them for introspection and revocation.
fn issue(call: &Call, s: &mut OktaState, ids: &mut IdGen, i: Issue<'_>) -> Result<Pending, Fail> {
    let client_id = i.app.client_id().unwrap_or_default().to_string();
    let decision = i.srv.evaluate(s, i.app, i.user, i.grant, &i.scopes)?;
    let lifetime_s = decision.access_token_minutes * 60;
    let exp = i.now + Duration::seconds(lifetime_s);
    let record = |kind: &str, expires_at: DateTime<Utc>| IssuedToken {
        kind: kind.into(),
        client_id: client_id.clone(),
        user_id: i.user.map(|u| u.id.clone()),
        auth_server: i.srv.name().into(),
        scopes: i.scopes.clone(),
        issued_at: i.now,
        expires_at,
        revoked: false,
    };
    let mut out = json!({
        "token_type": "Bearer",
        "expires_in": lifetime_s,
        "scope": scope_text(&i.scopes),
    });
    let mut access_claims = None;
    match &i.srv.custom {
        None => {
            // Org AS tokens call the Management API: a credential the core knows.
            let subject = i.user.map_or(client_id.clone(), |u| u.id.clone());
            let token = call.ctx.core.mint_credential(
                &call.ctx.universe,
                "00at.",
                Principal { service: "okta".into(), kind: "access_token".into(), subject },
            );
            s.tokens.insert(token.clone(), record("access_token", exp));
            out["access_token"] = json!(token);
        }
        Some(server_id) => {
            let jti = format!("AT.{}", alnum(ids, 43));
            let mut claims = json!({
                "ver": 1, "jti": jti, "iss": i.srv.issuer, "aud": i.srv.audience(),
                "iat": i.now.timestamp(), "exp": exp.timestamp(), "cid": client_id,
                "scp": i.scopes, "sub": i.user.map_or(client_id.clone(), |u| u.login().to_string()),
            });
            if let Some(u) = i.user {
                claims["uid"] = json!(u.id);
                claims["auth_time"] = json!(i.auth_time.timestamp());
            }
            if let Some(obj) = claims.as_object_mut() {
                obj.extend(authz::custom_claims(s, server_id, i.app, i.user, &i.scopes, "RESOURCE"));
            }
            s.tokens.insert(jti, record("access_token", exp));
            access_claims = Some(claims);
        }
    }
    let mut id_claims = None;
    if let Some(user) = i.user {
        if i.scopes.iter().any(|s| s == "offline_access") && i.app.grant_types().iter().any(|g| g == "refresh_token") {
            let refresh = match i.refresh.clone() {
                Some(r) => r,
                None => {
                    let r = alnum(ids, 43);
                    // 0 minutes: the refresh token lives until unused for its window.
                    let minutes = match decision.refresh_token_minutes {
                        0 => decision.refresh_window_minutes.max(60 * 24 * 90),
                        m => m,
                    };
                    s.tokens.insert(r.clone(), record("refresh_token", i.now + Duration::minutes(minutes)));
                    r
                }
            };
            out["refresh_token"] = json!(refresh);
        }
        if i.scopes.iter().any(|s| s == "openid") {
            let mut claims = json!({
                "sub": user.id, "ver": 1, "iss": i.srv.issuer, "aud": client_id,
                "iat": i.now.timestamp(), "exp": (i.now + Duration::hours(1)).timestamp(), "jti": format!("ID.{}", alnum(ids, 43)),
                "amr": ["pwd"], "idp": s.org_id, "auth_time": i.auth_time.timestamp(),
            });
            if let Some(n) = &i.nonce {
                claims["nonce"] = json!(n);
            }
            add_profile_claims(&mut claims, user, &i.scopes);
            if let (Some(server_id), Some(obj)) = (&i.srv.custom, claims.as_object_mut()) {
                obj.extend(authz::custom_claims(s, server_id, i.app, Some(user), &i.scopes, "IDENTITY"));
            }
            id_claims = Some(claims);
        }
    }
    let hook = match (&decision.inline_hook, &i.srv.record, &access_claims) {
        (Some(hook_id), Some(server), Some(access)) => {
            s.inline_hooks.get(hook_id).filter(|h| h.status == "ACTIVE").map(|h| {
                let event_id = alnum(ids, 20);
                let mut body = super::hooks::token_hook_request(
                    &event_id,
                    i.now,
                    call.base(),
                    server,
                    &client_id,
                    i.grant,
                    &i.scopes,
                    i.user,
                    access,
                    id_claims.as_ref(),
                );
                body["data"]["context"]["policy"] = json!({"id": decision.policy_id, "rule": {"id": decision.rule_id}});
                (h.channel.clone(), h.id.clone(), body)
            })
        }
        _ => None,
    };
    Ok(Pending { out, srv: i.srv.clone(), access_claims, id_claims, hook })
}

/// Calls the token hook if there is one (3 s; a failure leaves the tokens as they
/// were, an `error` in its answer refuses them, its commands patch claims and
/// lifetime), then signs the tokens.
async fn finish(call: &Call, p: Pending) -> Result<Value, Fail> {
    let Pending { mut out, srv, mut access_claims, mut id_claims, hook } = p;
    if let (Some((channel, hook_id, body)), Some(access)) = (hook, access_claims.as_mut()) {
        let outcome = crate::hooks::call_inline(&channel, &body).await;
        let (now, facts) = (call.now(), call.facts());
        let exp_before = access.get("exp").and_then(Value::as_i64);
        let refusal = match &outcome {
            crate::hooks::InlineOutcome::Answered(answer) => {
                crate::hooks::apply_commands(answer, access, id_claims.as_mut());
                answer.get("error").filter(|e| !e.is_null()).map(|e| {
                    e.get("errorSummary")
                        .and_then(Value::as_str)
                        .unwrap_or("The callback service returned an error")
                        .to_string()
                })
            }
            crate::hooks::InlineOutcome::Failed(why) => {
                tracing::debug!(hook = %hook_id, "token hook failed: {why}");
                None
            }
        };
        let (iat, exp) = (access.get("iat").and_then(Value::as_i64), access.get("exp").and_then(Value::as_i64));
        let changed_exp = exp.filter(|e| Some(*e) != exp_before);
        let jti = access.get("jti").and_then(Value::as_str).map(str::to_string);
        if let (Some(iat), Some(exp)) = (iat, changed_exp) {
            out["expires_in"] = json!(exp - iat);
        }
        call.write(|s, ids| {
            // A lifetime the hook changed is the one introspection answers.
            if let (Some(jti), Some(exp)) = (&jti, changed_exp) {
                if let (Some(mut record), Some(at)) = (s.tokens.get(jti).cloned(), DateTime::from_timestamp(exp, 0)) {
                    record.expires_at = at;
                    s.tokens.insert(jti.clone(), record);
                }
            }
            let actor = crate::model::Actor {
                id: hook_id.clone(),
                kind: "InlineHook".into(),
                alternate_id: hook_id.clone(),
                display_name: hook_id.clone(),
            };
            let target = Target {
                id: hook_id.clone(),
                kind: "InlineHook".into(),
                alternate_id: hook_id.clone(),
                display_name: hook_id.clone(),
            };
            let mut event = Event::new("inline_hook.executed", "Inline hook executed", vec![target]);
            if let crate::hooks::InlineOutcome::Failed(_) = outcome {
                event.outcome = "FAILURE";
                event.reason = Some("Inline hook call failed or timed out");
            }
            s.log(ids, now, &actor, &facts, event);
            Ok(())
        })?;
        // Okta answers a hook's `error` with `server_error` and the hook's summary.
        if let Some(summary) = refusal {
            return Err(OAuthError::new(400, "server_error", summary).into());
        }
    }
    if let Some(claims) = &access_claims {
        out["access_token"] = json!(srv.sign(claims)?);
    }
    if let Some(mut claims) = id_claims {
        if let Some(at) = out.get("access_token").and_then(Value::as_str) {
            claims["at_hash"] = json!(keys::half_hash(at));
        }
        out["id_token"] = json!(srv.sign(&claims)?);
    }
    Ok(out)
}

fn add_profile_claims(claims: &mut Value, user: &User, scopes: &[String]) {
    let p = |k: &str| user.profile.get(k).cloned().unwrap_or(Value::Null);
    if scopes.iter().any(|s| s == "profile") {
        claims["name"] = json!(user.display_name());
        claims["preferred_username"] = json!(user.login());
        claims["given_name"] = p("firstName");
        claims["family_name"] = p("lastName");
        claims["zoneinfo"] = p("timezone");
        claims["locale"] = json!("en_US");
        claims["updated_at"] = json!(user.last_updated.timestamp());
    }
    if scopes.iter().any(|s| s == "email") {
        claims["email"] = p("email");
        claims["email_verified"] = json!(true);
    }
}

fn requested_scopes(form: &HashMap<String, String>) -> Vec<String> {
    let mut scopes: Vec<String> =
        form.get("scope").map(|s| s.split_whitespace().map(str::to_string).collect()).unwrap_or_default();
    scopes.dedup();
    scopes
}

/// The requested scopes, or, when none were, a custom server's default scopes
/// (`"default": true`), as Okta grants them.
fn requested_or_default_scopes(s: &OktaState, srv: &AuthServer, form: &HashMap<String, String>) -> Vec<String> {
    let asked = requested_scopes(form);
    match (&srv.custom, asked.is_empty()) {
        (Some(id), true) => {
            s.auth_scopes.values().filter(|sc| sc.server_id == *id && sc.default).map(|sc| sc.name.clone()).collect()
        }
        _ => asked,
    }
}

/// Checks requested scopes against what the authorization server knows.
fn check_scopes(srv: &AuthServer, scopes: &[String], client_credentials: bool) -> Result<(), OAuthError> {
    if scopes.is_empty() {
        return Err(OAuthError::invalid_scope("No scopes were requested."));
    }
    let unknown: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| match srv.custom {
            None => !OIDC_SCOPES.contains(s) && !OKTA_SCOPES.contains(s),
            Some(_) => s.starts_with("okta."),
        })
        .collect();
    if !unknown.is_empty() {
        return Err(OAuthError::invalid_scope(format!(
            "One or more scopes are not configured for the authorization server resource: {}",
            unknown.join(" ")
        )));
    }
    if client_credentials {
        let oidc: Vec<&str> = scopes.iter().map(String::as_str).filter(|s| OIDC_SCOPES.contains(s)).collect();
        if !oidc.is_empty() {
            return Err(OAuthError::invalid_scope(format!(
                "The following scopes are not allowed for the client_credentials grant type: {}",
                oidc.join(" ")
            )));
        }
    }
    Ok(())
}

fn require_grant(app: &App, grant: &str) -> Result<(), OAuthError> {
    if app.grant_types().iter().any(|g| g == grant) {
        Ok(())
    } else {
        Err(OAuthError::new(
            400,
            "unauthorized_client",
            format!(
                "The client is not authorized to use the provided grant type. Configured grant types: {:?}.",
                app.grant_types()
            ),
        ))
    }
}

fn assigned(s: &OktaState, app: &App, user: &User) -> bool {
    s.app_assignment_scope(&app.id, &user.id).is_some()
}

async fn token(id: Option<String>, call: Call) -> Result<Response, Fail> {
    let srv = AuthServer::resolve(id.as_deref(), &call)?;
    let form = form_of(&call);
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    let now = call.now();
    let facts = call.facts();
    let out = call.write(|s, ids| -> Result<Result<Pending, Fail>, OktaError> {
        s.sweep(now);
        let result = (|| -> Result<Pending, Fail> {
            if grant.is_empty() {
                return Err(OAuthError::invalid_request("The 'grant_type' parameter is required.").into());
            }
            if !matches!(grant.as_str(), "client_credentials" | "authorization_code" | "refresh_token" | "password") {
                return Err(OAuthError::new(400, "unsupported_grant_type", format!("The authorization grant type is not supported by the authorization server. Configured grant types: [{grant}]")).into());
            }
            let app = authenticate_client(s, &call, &form, &srv, "token")?;
            require_grant(&app, &grant)?;
            match grant.as_str() {
                "client_credentials" => {
                    let scopes = requested_or_default_scopes(s, &srv, &form);
                    check_scopes(&srv, &scopes, true)?;
                    if srv.custom.is_none() {
                        let denied: Vec<&str> = scopes
                            .iter()
                            .map(String::as_str)
                            .filter(|sc| !s.grants.values().any(|g| g.app_id == app.id && g.scope_id == *sc))
                            .collect();
                        if !denied.is_empty() {
                            return Err(OAuthError::invalid_scope(format!("The following scopes are not allowed: {}", denied.join(" "))).into());
                        }
                    }
                    let out = issue(&call, s, ids, Issue { srv: &srv, app: &app, grant: &grant, user: None, scopes, now, auth_time: now, nonce: None, refresh: None })?;
                    let actor = crate::model::Actor { id: app.id.clone(), kind: "PublicClientApp".into(), alternate_id: app.id.clone(), display_name: app.label.clone() };
                    s.log(ids, now, &actor, &facts, Event::new("app.oauth2.as.token.grant.access_token", "OAuth2 access token is granted", vec![Target::app(&app)]));
                    Ok(out)
                }
                "authorization_code" => {
                    let code = form.get("code").cloned().unwrap_or_default();
                    let record = s.auth_codes.get(&code).cloned();
                    // A code is good once, whatever happens next.
                    s.auth_codes.remove(&code);
                    let invalid = || OAuthError::invalid_grant("The authorization code is invalid or has expired.");
                    let record = record.filter(|r| r.expires_at > now && r.auth_server == srv.name()).ok_or_else(invalid)?;
                    if Some(record.client_id.as_str()) != app.client_id() {
                        return Err(invalid().into());
                    }
                    if form.get("redirect_uri").map(String::as_str) != Some(record.redirect_uri.as_str()) {
                        return Err(OAuthError::invalid_grant("The 'redirect_uri' does not match the redirection URI used in the authorization request.").into());
                    }
                    if let Some(challenge) = &record.code_challenge {
                        let verifier = form.get("code_verifier").ok_or_else(|| OAuthError::invalid_grant("PKCE verification failed."))?;
                        if keys::s256(verifier.as_bytes()) != *challenge {
                            return Err(OAuthError::invalid_grant("PKCE verification failed.").into());
                        }
                    } else if form.contains_key("code_verifier") {
                        return Err(OAuthError::invalid_grant("PKCE verification failed.").into());
                    }
                    let user = s.users.get(&record.user_id).cloned().filter(|u| u.status == UserStatus::Active).ok_or_else(invalid)?;
                    issue(&call, s, ids, Issue { srv: &srv, app: &app, grant: &grant, user: Some(&user), scopes: record.scopes.clone(), now, auth_time: record.auth_time, nonce: record.nonce.clone(), refresh: None })
                }
                "refresh_token" => {
                    let presented = form.get("refresh_token").cloned().unwrap_or_default();
                    let invalid = || OAuthError::invalid_grant("The refresh token is invalid or expired.");
                    let record = s.tokens.get(&presented).cloned()
                        .filter(|t| t.kind == "refresh_token" && !t.revoked && t.expires_at > now && t.auth_server == srv.name())
                        .ok_or_else(invalid)?;
                    if Some(record.client_id.as_str()) != app.client_id() {
                        return Err(invalid().into());
                    }
                    let scopes = match form.get("scope") {
                        Some(_) => {
                            let asked = requested_scopes(&form);
                            if asked.iter().any(|a| !record.scopes.contains(a)) {
                                return Err(OAuthError::invalid_scope("The requested scope is invalid, unknown, or malformed.").into());
                            }
                            asked
                        }
                        None => record.scopes.clone(),
                    };
                    let user = record.user_id.as_deref().and_then(|u| s.users.get(u)).cloned()
                        .filter(|u| u.status == UserStatus::Active).ok_or_else(invalid)?;
                    issue(&call, s, ids, Issue { srv: &srv, app: &app, grant: &grant, user: Some(&user), scopes, now, auth_time: record.issued_at, nonce: None, refresh: Some(presented) })
                }
                _ => {
                    // password
                    let scopes = requested_or_default_scopes(s, &srv, &form);
                    check_scopes(&srv, &scopes, false)?;
                    let username = form.get("username").cloned().unwrap_or_default();
                    let password = form.get("password").cloned().unwrap_or_default();
                    match authn::check_password(s, ids, &facts, &username, &password, now) {
                        authn::Verdict::Success(uid) => {
                            let user = s.users.get(&uid).cloned().ok_or(OktaError::Internal)?;
                            if !assigned(s, &app, &user) {
                                return Err(OAuthError::new(400, "access_denied", "User is not assigned to the client application.").into());
                            }
                            issue(&call, s, ids, Issue { srv: &srv, app: &app, grant: &grant, user: Some(&user), scopes, now, auth_time: now, nonce: None, refresh: None })
                        }
                        _ => Err(OAuthError::invalid_grant("The credentials provided were invalid.").into()),
                    }
                }
            }
        })();
        Ok(result)
    })?;
    // Failed attempts (spent codes, counted passwords) stay committed.
    let body = finish(&call, out?).await?;
    Ok(no_store(wire::ok(&body)))
}

// --- authorize --------------------------------------------------------------------------

fn redirect(to: &str, params: &[(&str, &str)]) -> Response {
    let query: String = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", wire::encode_component(v)))
        .collect::<Vec<_>>()
        .join("&");
    let sep = if to.contains('?') { '&' } else { '?' };
    let location = format!("{to}{sep}{query}");
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, v);
    }
    response
}

async fn authorize(id: Option<String>, call: Call) -> Result<Response, Fail> {
    let srv = AuthServer::resolve(id.as_deref(), &call)?;
    let q = &call.query;
    let param = |k: &str| q.get(k).unwrap_or("").to_string();
    let (client_id, redirect_uri, state) = (param("client_id"), param("redirect_uri"), param("state"));
    let now = call.now();
    let facts = call.facts();
    // Until the client and redirect URI check out, errors cannot be redirected.
    let app = call
        .read(|s| {
            s.app_by_client_id(&client_id)
                .filter(|a| a.sign_on_mode == "OPENID_CONNECT" && a.status == AppStatus::Active)
                .cloned()
        })?
        .ok_or_else(|| OAuthError::invalid_request("Invalid value for 'client_id' parameter."))?;
    if redirect_uri.is_empty() || !app.redirect_uris().contains(&redirect_uri) {
        return Err(OAuthError::invalid_request(
            "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings",
        )
        .into());
    }
    let fail = |error: &str, description: &str| {
        Ok(redirect(&redirect_uri, &[("error", error), ("error_description", description), ("state", &state)]))
    };
    if param("response_type") != "code" {
        return fail(
            "unsupported_response_type",
            "The response type is not supported by the authorization server. Configured response types: [code].",
        );
    }
    if let Err(e) = require_grant(&app, "authorization_code") {
        return fail(e.error, &e.description);
    }
    let scopes: Vec<String> = param("scope").split_whitespace().map(str::to_string).collect();
    if let Err(e) = check_scopes(&srv, &scopes, false) {
        return fail(e.error, &e.description);
    }
    if let Some(record) = &srv.record {
        if let Err(e) = call.read(|s| authz::check_declared(s, record, &scopes))? {
            return fail(e.error, &e.description);
        }
    }
    let challenge = q.text("code_challenge").map(str::to_string);
    match (challenge.as_deref(), q.text("code_challenge_method")) {
        (Some(_), Some("S256")) => {}
        (Some(_), _) => return fail("invalid_request", "Only S256 is supported as code_challenge_method."),
        (None, _) if app.token_auth_method() == "none" => {
            return fail(
                "invalid_request",
                "PKCE code challenge is required when the token endpoint authentication method is 'NONE'.",
            )
        }
        (None, _) => {}
    }
    let session_token = param("sessionToken");
    let srv_name = srv.name().to_string();
    let outcome = call.write(|s, ids| {
        s.sweep(now);
        let Some(session) = s.session_tokens.get(&session_token).filter(|t| t.expires_at > now).cloned() else {
            return Ok(Err(("login_required", "The client specified not to prompt, but the user is not logged in.")));
        };
        s.session_tokens.remove(&session_token);
        let Some(user) = s.users.get(&session.user_id).filter(|u| u.status == UserStatus::Active).cloned() else {
            return Ok(Err(("login_required", "The client specified not to prompt, but the user is not logged in.")));
        };
        if !assigned(s, &app, &user) {
            return Ok(Err(("access_denied", "User is not assigned to the client application.")));
        }
        if let Err(e) = srv.evaluate(s, &app, Some(&user), "authorization_code", &scopes) {
            return Ok(Err((e.error, authz::POLICY_FAILED)));
        }
        // The headless authorize takes the session token as the user's consent.
        super::tokens::record_consent(s, ids, &srv_name, &app, &user.id, &scopes, now);
        let code = alnum(ids, 43);
        s.auth_codes.insert(
            code.clone(),
            AuthCode {
                client_id: client_id.clone(),
                user_id: user.id.clone(),
                auth_server: srv.name().to_string(),
                redirect_uri: redirect_uri.clone(),
                scopes: scopes.clone(),
                nonce: q.text("nonce").map(str::to_string),
                code_challenge: challenge.clone(),
                code_challenge_method: challenge.as_ref().map(|_| "S256".to_string()),
                expires_at: now + Duration::minutes(5),
                auth_time: now,
            },
        );
        let actor = crate::model::Actor {
            id: user.id.clone(),
            kind: "User".into(),
            alternate_id: user.login().into(),
            display_name: user.display_name(),
        };
        s.log(
            ids,
            now,
            &actor,
            &facts,
            Event::new("user.authentication.sso", "User single sign on to app", vec![Target::app(&app)]),
        );
        Ok(Ok(code))
    })?;
    match outcome {
        Ok(code) => Ok(redirect(&redirect_uri, &[("code", &code), ("state", &state)])),
        Err((error, description)) => fail(error, description),
    }
}

// --- userinfo, introspect, revoke, logout -----------------------------------------------

/// The record and claims of a presented access token of this server, if valid.
fn active_access_token(
    s: &OktaState,
    srv: &AuthServer,
    token: &str,
    now: DateTime<Utc>,
) -> Option<(IssuedToken, Value)> {
    match &srv.custom {
        None => {
            let record = s.tokens.get(token).filter(|t| t.kind == "access_token" && t.auth_server == "org")?;
            (!record.revoked && record.expires_at > now).then(|| (record.clone(), json!({})))
        }
        Some(_) => {
            let claims = keys::verify_own(token)?;
            if claims.get("iss").and_then(Value::as_str) != Some(srv.issuer.as_str()) {
                return None;
            }
            let jti = claims.get("jti").and_then(Value::as_str)?;
            let record = s.tokens.get(jti)?;
            (!record.revoked && record.expires_at > now).then(|| (record.clone(), claims))
        }
    }
}

async fn userinfo(id: Option<String>, call: Call) -> Result<Response, Fail> {
    let srv = AuthServer::resolve(id.as_deref(), &call)?;
    let token = crate::api::credential_of(&call.headers)
        .or_else(|| form_of(&call).get("access_token").cloned())
        .ok_or_else(|| OAuthError::invalid_token("The access token is missing."))?;
    let now = call.now();
    let out = call.read(|s| -> Result<Value, Fail> {
        let (record, _) = active_access_token(s, &srv, &token, now)
            .ok_or_else(|| OAuthError::invalid_token("The access token is invalid."))?;
        if !record.scopes.iter().any(|s| s == "openid") {
            return Err(OAuthError::new(403, "insufficient_scope", "The access token must provide access to at least one of these scopes - profile, email, address or phone").into());
        }
        let user = record.user_id.as_deref().and_then(|u| s.users.get(u)).ok_or_else(|| OAuthError::invalid_token("The access token is invalid."))?;
        let mut claims = json!({"sub": user.id});
        add_profile_claims(&mut claims, user, &record.scopes);
        // A custom server's identity claims, those left out of the id token too.
        if let (Some(server_id), Some(app), Some(obj)) =
            (&srv.custom, s.app_by_client_id(&record.client_id), claims.as_object_mut())
        {
            obj.extend(authz::custom_claims(s, server_id, app, Some(user), &record.scopes, "USERINFO"));
        }
        Ok(claims)
    })??;
    Ok(wire::ok(&out))
}

async fn introspect(id: Option<String>, call: Call) -> Result<Response, Fail> {
    let srv = AuthServer::resolve(id.as_deref(), &call)?;
    let form = form_of(&call);
    let token = form.get("token").cloned().unwrap_or_default();
    let now = call.now();
    let out = call.read(|s| -> Result<Value, Fail> {
        let app = authenticate_client(s, &call, &form, &srv, "introspect")?;
        let client_id = app.client_id().unwrap_or_default().to_string();
        if let Some((record, claims)) = active_access_token(s, &srv, &token, now) {
            let user = record.user_id.as_deref().and_then(|u| s.users.get(u));
            return Ok(json!({
                "active": true,
                "scope": scope_text(&record.scopes),
                "username": user.map(|u| u.login()).unwrap_or(&record.client_id),
                "exp": record.expires_at.timestamp(),
                "iat": record.issued_at.timestamp(),
                "sub": user.map(|u| u.login()).unwrap_or(&record.client_id),
                "aud": srv.audience(),
                "iss": srv.issuer,
                "jti": claims.get("jti").cloned().unwrap_or(Value::Null),
                "token_type": "Bearer",
                "client_id": record.client_id,
                "uid": record.user_id,
            }));
        }
        if let Some(record) = s.tokens.get(&token).filter(|t| {
            t.kind == "refresh_token" && !t.revoked && t.expires_at > now && t.client_id == client_id && t.auth_server == srv.name()
        }) {
            return Ok(json!({
                "active": true, "token_type": "refresh_token", "scope": scope_text(&record.scopes),
                "client_id": record.client_id, "exp": record.expires_at.timestamp(), "iat": record.issued_at.timestamp(),
                "iss": srv.issuer, "uid": record.user_id,
            }));
        }
        Ok(json!({"active": false}))
    })??;
    Ok(no_store(wire::ok(&out)))
}

async fn revoke(id: Option<String>, call: Call) -> Result<Response, Fail> {
    let srv = AuthServer::resolve(id.as_deref(), &call)?;
    let form = form_of(&call);
    let token = form.get("token").cloned().unwrap_or_default();
    if token.is_empty() {
        return Err(OAuthError::invalid_request("The 'token' parameter is required.").into());
    }
    let revoked_core = call.write(|s, _ids| -> Result<Result<bool, Fail>, OktaError> {
        let app = match authenticate_client(s, &call, &form, &srv, "revoke") {
            Ok(a) => a,
            Err(e) => return Ok(Err(e.into())),
        };
        let client_id = app.client_id().unwrap_or_default().to_string();
        let key = match &srv.custom {
            Some(_) => keys::verify_own(&token)
                .and_then(|c| c.get("jti").and_then(Value::as_str).map(str::to_string))
                .unwrap_or(token.clone()),
            None => token.clone(),
        };
        // Revoking an unknown or someone else's token is not an error (RFC 7009).
        let mut core_token = false;
        if let Some(mut record) = s.tokens.get(&key).cloned().filter(|t| t.client_id == client_id) {
            record.revoked = true;
            core_token = srv.custom.is_none() && record.kind == "access_token";
            s.tokens.insert(key, record);
        }
        Ok(Ok(core_token))
    })??;
    if revoked_core {
        call.ctx.core.revoke_credential(&call.ctx.universe, &token);
    }
    Ok(StatusCode::OK.into_response())
}

async fn logout(id: Option<String>, call: Call) -> Result<Response, Fail> {
    let srv = AuthServer::resolve(id.as_deref(), &call)?;
    let hint = call.query.text("id_token_hint").unwrap_or("").to_string();
    let target = call.query.text("post_logout_redirect_uri").map(str::to_string);
    let state = call.query.get("state").unwrap_or("").to_string();
    let claims = keys::verify_own(&hint).filter(|c| c.get("iss").and_then(Value::as_str) == Some(srv.issuer.as_str()));
    let Some(to) = target else {
        return Ok(StatusCode::OK.into_response());
    };
    let claims = claims.ok_or_else(|| OAuthError::invalid_request("The 'id_token_hint' parameter is invalid."))?;
    let client_id = claims.get("aud").and_then(Value::as_str).unwrap_or("").to_string();
    let allowed = call.read(|s| {
        s.app_by_client_id(&client_id).is_some_and(|a| {
            a.settings
                .pointer("/oauthClient/post_logout_redirect_uris")
                .and_then(Value::as_array)
                .is_some_and(|u| u.iter().any(|x| x.as_str() == Some(to.as_str())))
        })
    })?;
    if !allowed {
        return Err(OAuthError::invalid_request(
            "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings",
        )
        .into());
    }
    Ok(redirect(&to, &[("state", &state)]))
}

// --- scope-consent grants (Management API) ------------------------------------------

fn grant_json(g: &ScopeGrant, base: &str) -> Value {
    json!({
        "id": g.id,
        "status": "ACTIVE",
        "created": ts(g.created),
        "lastUpdated": ts(g.created),
        "issuer": g.issuer,
        "clientId": g.app_id,
        "scopeId": g.scope_id,
        "source": "ADMIN",
        "createdBy": {"id": g.created_by, "type": "User"},
        "_links": {
            "app": {"href": format!("{base}/api/v1/apps/{}", g.app_id)},
            "self": {"href": format!("{base}/api/v1/apps/{}/grants/{}", g.app_id, g.id)},
            "client": {"href": format!("{base}/oauth2/v1/clients/{}", g.app_id)},
        }
    })
}

async fn list_grants(Path(app_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.read")?;
    call.query.expand(|e| e == "scope")?;
    let base = call.base().to_string();
    let items = call.read(|s| -> Result<Vec<Value>, OktaError> {
        s.app(&app_id)?;
        Ok(s.grants.values().filter(|g| g.app_id == app_id).map(|g| grant_json(g, &base)).collect())
    })??;
    Ok(wire::ok(&Value::Array(items)))
}

async fn grant_scope(Path(app_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let body = body_object(&call.body)?;
    let scope_id = body.get("scopeId").and_then(Value::as_str).unwrap_or("").to_string();
    let issuer = body.get("issuer").and_then(Value::as_str).unwrap_or("").to_string();
    if !OKTA_SCOPES.contains(&scope_id.as_str()) {
        return Err(OktaError::validation("scopeId", format!("scopeId: '{scope_id}' is not an Okta API scope")));
    }
    if issuer.trim_end_matches('/') != call.base().trim_end_matches('/') {
        return Err(OktaError::validation("issuer", "issuer: The issuer must be the org authorization server"));
    }
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let app = s.app(&app_id)?.clone();
        if let Some(existing) = s.grants.values().find(|g| g.app_id == app_id && g.scope_id == scope_id) {
            return Ok(grant_json(existing, &base));
        }
        let grant = ScopeGrant {
            id: okta_id(ids, "oag"),
            app_id: app_id.clone(),
            scope_id: scope_id.clone(),
            issuer: issuer.clone(),
            created: now,
            created_by: caller.actor.id.clone(),
        };
        s.grants.insert(grant.id.clone(), grant.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("app.oauth2.as.consent.grant", "Grant scope consent", vec![Target::app(&app)]),
        );
        Ok(grant_json(&grant, &base))
    })?;
    // The one create here that answers 201, as the vendor document says.
    Ok(wire::json(StatusCode::CREATED, &out))
}

async fn get_grant(Path((app_id, grant_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.read")?;
    call.query.expand(|e| e == "scope")?;
    let base = call.base().to_string();
    let out = call.read(|s| {
        s.grants
            .get(&grant_id)
            .filter(|g| g.app_id == app_id)
            .map(|g| grant_json(g, &base))
            .ok_or_else(|| OktaError::not_found(&grant_id, "OAuth2ScopeConsentGrant"))
    })??;
    Ok(wire::ok(&out))
}

async fn revoke_grant(Path((app_id, grant_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let app = s.app(&app_id)?.clone();
        if s.grants.get(&grant_id).filter(|g| g.app_id == app_id).is_none() {
            return Err(OktaError::not_found(&grant_id, "OAuth2ScopeConsentGrant"));
        }
        s.grants.remove(&grant_id);
        caller.log(
            s,
            ids,
            now,
            Event::new("app.oauth2.as.consent.revoke", "Revoke scope consent", vec![Target::app(&app)]),
        );
        Ok(())
    })?;
    Ok(wire::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_by_server_and_grant() {
        let org = AuthServer::org("http://h");
        let now = chrono::Utc::now();
        let custom = AuthServer::custom(
            authz::new_server("default".into(), "d".into(), String::new(), vec![], 0, now),
            "http://h",
        );
        assert_eq!(custom.issuer, "http://h/oauth2/default");
        assert_eq!(org.url("token"), "http://h/oauth2/v1/token");
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_scopes(&org, &v(&["okta.users.read"]), true).is_ok());
        assert!(check_scopes(&org, &v(&["openid"]), true).is_err());
        assert!(check_scopes(&org, &v(&["custom:thing"]), false).is_err());
        assert!(check_scopes(&custom, &v(&["custom:thing"]), true).is_ok());
        assert!(check_scopes(&custom, &v(&["okta.users.read"]), true).is_err());
        assert_eq!(check_scopes(&custom, &[], true).unwrap_err().error, "invalid_scope");
    }
}
