//! The HTTP surface, by resource. Every handler takes a [`Call`] (the request as
//! the core pipeline hands it over) and answers JSON in Okta's dialect.

pub mod apps;
pub mod authenticators;
pub mod authn;
pub mod authservers;
pub mod factors;
pub mod groups;
pub mod hooks;
pub mod idps;
pub mod logs;
pub mod mappings;
pub mod oauth;
pub mod policies;
pub mod recovery;
pub mod render;
pub mod roles;
pub mod routes;
pub mod rules;
pub mod schemas;
pub mod sessions;
pub mod tokens;
pub mod users;
pub mod zones;

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_TYPE, USER_AGENT};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use twin_core::ids::IdGen;
use twin_core::{Principal, RequestCtx};

use crate::errors::OktaError;
use crate::model::{Actor, Event, OktaState, RequestFacts, UserStatus};
use crate::wire::{rate_limit_headers, Query};

/// The id of the request being handled, as `X-Okta-Request-Id` reports it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static REQUESTS: AtomicU64 = AtomicU64::new(1);

fn next_request_id() -> String {
    crate::ids::alnum_from(REQUESTS.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x51_7cc1_b727_220a), 20)
}

/// The twin's router: every resource's routes plus Okta's answers for unknown
/// paths and methods, and the headers every response carries.
pub fn router() -> Router {
    use tower::Layer;
    let inner = routes::router().fallback(fallback).layer(axum::middleware::from_fn(okta_headers));
    // Okta reads `//api/v1/users` as `/api/v1/users`: repeated slashes collapse before
    // routing, so this layer wraps the whole router rather than its routes.
    Router::new().fallback_service(axum::middleware::map_request(collapse_slashes).layer(inner))
}

async fn collapse_slashes(mut req: Request) -> Request {
    if req.uri().path().contains("//") {
        let path = routes::collapse_slashes(req.uri().path()).into_owned();
        let rewritten = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        if let Ok(uri) = rewritten.parse() {
            *req.uri_mut() = uri;
        }
    }
    req
}

async fn fallback(method: Method, uri: axum::http::Uri) -> Response {
    let path = uri.path().to_string();
    if routes::path_known(&path) {
        tracing::debug!(%method, %path, "method not supported");
        return OktaError::MethodNotAllowed.into_response();
    }
    OktaError::not_found(path, "Resource").into_response()
}

/// Adds `X-Okta-Request-Id` and the rate-limit headers, and turns any error
/// answered outside Okta's dialect (an extractor's plain-text rejection, axum's
/// bare 405) into an Okta error body.
async fn okta_headers(mut req: Request, next: Next) -> Response {
    let id = next_request_id();
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let err = match status {
            StatusCode::METHOD_NOT_ALLOWED => OktaError::MethodNotAllowed,
            StatusCode::NOT_FOUND => OktaError::not_found("resource", "Resource"),
            StatusCode::PAYLOAD_TOO_LARGE => OktaError::for_status(413, None),
            s if s.is_client_error() => OktaError::MalformedBody,
            _ => OktaError::Internal,
        };
        response = err.into_response();
    }
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(HeaderName::from_static("x-okta-request-id"), v);
    }
    if !headers.contains_key("x-rate-limit-limit") {
        for (name, value) in rate_limit_headers(600, 599, 60) {
            headers.insert(name, value);
        }
    }
    response
}

/// A request as a handler sees it.
pub struct Call {
    pub ctx: RequestCtx,
    pub method: Method,
    pub headers: HeaderMap,
    pub query: Query,
    /// The path as the twin routes it (without any `/u/{id}` prefix).
    pub path: String,
    pub raw_query: Option<String>,
    pub body: Bytes,
    pub request_id: String,
}

impl<S: Send + Sync> FromRequest<S> for Call {
    type Rejection = OktaError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let ctx = parts.extensions.get::<RequestCtx>().cloned().ok_or_else(|| {
            tracing::error!("okta handler reached without the core pipeline");
            OktaError::Internal
        })?;
        let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
        let body = axum::body::to_bytes(body, usize::MAX).await.map_err(|_| OktaError::MalformedBody)?;
        Ok(Self {
            ctx,
            method: parts.method,
            query: Query::parse(parts.uri.query()),
            path: parts.uri.path().to_string(),
            raw_query: parts.uri.query().map(str::to_string),
            headers: parts.headers,
            body,
            request_id,
        })
    }
}

/// Who is calling, resolved against the org.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub actor: Actor,
    pub facts: RequestFacts,
    /// OAuth scopes of an access token; `None` for an API token (all of the admin's rights).
    pub scopes: Option<Vec<String>>,
    /// An API token's admin roles; `None` reaches everything (access tokens, old exports).
    pub rights: Option<std::sync::Arc<crate::admin::Rights>>,
}

impl Caller {
    /// Appends a System Log event for this caller's request (its actor and client facts).
    pub fn log(&self, s: &mut OktaState, ids: &mut IdGen, now: DateTime<Utc>, event: Event<'_>) {
        s.log(ids, now, &self.actor, &self.facts, event);
    }

    /// Refuses an access token without `scope` (403 E0000006).
    pub fn require_scope(&self, scope: &str) -> Result<(), OktaError> {
        let scoped = match &self.scopes {
            None => true,
            Some(s) if s.iter().any(|x| x == scope) => true,
            // `manage` implies `read`.
            Some(s) => scope.ends_with(".read") && s.iter().any(|x| *x == scope.replace(".read", ".manage")),
        };
        // An API token also needs a role that admits the scope at all.
        let admitted = self.rights.as_ref().is_none_or(|r| r.admits_scope(scope));
        if scoped && admitted {
            Ok(())
        } else {
            Err(OktaError::Forbidden)
        }
    }

    /// Refuses what the API token's roles do not give on `on` (403 E0000006).
    pub fn require(&self, s: &OktaState, permission: &str, on: crate::admin::On<'_>) -> Result<(), OktaError> {
        crate::admin::require(self.rights.as_deref(), s, permission, on)
    }
}

impl Call {
    pub fn now(&self) -> DateTime<Utc> {
        self.ctx.universe.now()
    }

    pub fn base(&self) -> &str {
        &self.ctx.base_url
    }

    pub fn read<R>(&self, f: impl FnOnce(&OktaState) -> R) -> Result<R, OktaError> {
        self.ctx.universe.read::<OktaState, R>(f).map_err(|e| {
            tracing::error!("{e}");
            OktaError::Internal
        })
    }

    /// Changes the org all or nothing: `f` works on a draft (an O(1) copy) that
    /// replaces the state only when it succeeds.
    pub fn write<R>(&self, f: impl FnOnce(&mut OktaState, &mut IdGen) -> Result<R, OktaError>) -> Result<R, OktaError> {
        let (now, base) = (self.now(), self.base().to_string());
        let mut deliveries = Vec::new();
        let out = self
            .ctx
            .universe
            .write::<OktaState, Result<R, OktaError>>(|state, ids| {
                let mut draft = state.clone();
                let mut draft_ids = *ids;
                let out = f(&mut draft, &mut draft_ids)?;
                // Event hooks get the System Log events this write appended.
                deliveries = crate::hooks::derive(state.log_seq, &draft, &base, now);
                *state = draft;
                *ids = draft_ids;
                Ok(out)
            })
            .map_err(|e| {
                tracing::error!("{e}");
                OktaError::Internal
            })?;
        crate::hooks::send(deliveries);
        out
    }

    pub fn facts(&self) -> RequestFacts {
        let user_agent = self.headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let request_uri = match &self.raw_query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        };
        RequestFacts { user_agent, ip: "127.0.0.1".into(), request_id: self.request_id.clone(), request_uri }
    }

    /// Authenticates the caller: an API token (`SSWS`) of an active admin, or an
    /// OAuth access token issued by the org authorization server.
    pub fn caller(&self) -> Result<Caller, OktaError> {
        if self.ctx.credential.is_none() {
            return Err(OktaError::InvalidSession);
        }
        let principal = self.ctx.principal.clone().ok_or(OktaError::InvalidToken)?;
        if principal.service != "okta" {
            return Err(OktaError::InvalidToken);
        }
        let token = self.ctx.credential.clone().unwrap_or_default();
        let now = self.now();
        let facts = self.facts();
        self.read(|s| -> Result<Caller, OktaError> {
            let mut scopes = None;
            if principal.kind == "access_token" {
                let record = s.tokens.get(&token).ok_or(OktaError::InvalidToken)?;
                if record.revoked || record.expires_at <= now {
                    return Err(OktaError::InvalidToken);
                }
                scopes = Some(record.scopes.clone());
            }
            let actor = match s.users.get(&principal.subject) {
                Some(u) => {
                    if matches!(u.status, UserStatus::Deprovisioned | UserStatus::Suspended) {
                        return Err(OktaError::InvalidToken);
                    }
                    Actor {
                        id: u.id.clone(),
                        kind: "User".into(),
                        alternate_id: u.login().to_string(),
                        display_name: u.display_name(),
                    }
                }
                None => match s.app_by_client_id(&principal.subject) {
                    Some(app) => Actor {
                        id: principal.subject.clone(),
                        kind: "PublicClientApp".into(),
                        alternate_id: principal.subject.clone(),
                        display_name: app.label.clone(),
                    },
                    None if principal.kind == "api_token" && principal.subject.is_empty() => Actor {
                        id: "unknown".into(),
                        kind: "User".into(),
                        alternate_id: "unknown".into(),
                        display_name: "API token".into(),
                    },
                    None => return Err(OktaError::InvalidToken),
                },
            };
            let rights = match principal.kind.as_str() {
                "api_token" if s.users.contains_key(&principal.subject) => {
                    crate::admin::Rights::of_user(s, &principal.subject).map(std::sync::Arc::new)
                }
                _ => None,
            };
            Ok(Caller { principal: principal.clone(), actor, facts: facts.clone(), scopes, rights })
        })?
    }
}

/// The status a `lifecycle/{op}` call moves a record to; any other `op` is a path Okta
/// does not serve.
fn lifecycle_status(op: &str, path: &str) -> Result<&'static str, OktaError> {
    match op {
        "activate" => Ok("ACTIVE"),
        "deactivate" => Ok("INACTIVE"),
        _ => Err(OktaError::not_found(path, "Resource")),
    }
}

/// The credential of a request: `SSWS <t>`, `SSWS<t>` (the Python SDK drops the
/// space), `Bearer <t>`, `Bearer<t>` or `DPoP <t>`.
pub fn credential_of(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.trim();
    for scheme in ["SSWS", "Bearer", "DPoP"] {
        if value.len() >= scheme.len() && value[..scheme.len()].eq_ignore_ascii_case(scheme) {
            let token = value[scheme.len()..].trim();
            return (!token.is_empty()).then(|| token.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_with_and_without_the_space() {
        let mut h = HeaderMap::new();
        for (header, want) in [
            ("SSWS 00abc", Some("00abc")),
            ("SSWS00abc", Some("00abc")),
            ("ssws  00abc ", Some("00abc")),
            ("Bearer tok", Some("tok")),
            ("Bearertok", Some("tok")),
            ("DPoP tok", Some("tok")),
            ("Basic dXNlcjpwYXNz", None),
            ("SSWS", None),
            ("SSWS   ", None),
        ] {
            h.insert(axum::http::header::AUTHORIZATION, header.parse().unwrap());
            assert_eq!(credential_of(&h).as_deref(), want, "{header}");
        }
        assert_eq!(credential_of(&HeaderMap::new()), None);
    }
}
