//! The HTTP surface. Every handler takes a [`Call`] (the request as the core
//! pipeline hands it over) and answers JSON in Jira's dialect. The route table
//! (`routes`) is the one place paths, methods, operation names and coverage live.

pub mod agile;
pub mod extra;
pub mod hooks;
pub mod issues;
pub mod meta;
pub mod more;
pub mod render;
pub mod routes;
pub mod search;

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use twin_core::ids::IdGen;
use twin_core::RequestCtx;

use crate::errors::JiraError;
use crate::model::{JiraState, User};
use crate::wire::Query;

/// The twin's router: the route table plus Jira's answers for unknown paths and
/// methods, and Jira's error dialect for anything answered outside it.
pub fn router() -> Router {
    routes::router().fallback(fallback).layer(axum::middleware::from_fn(jira_errors))
}

async fn fallback(method: Method, uri: axum::http::Uri) -> Response {
    if routes::path_known(uri.path()) {
        tracing::debug!(%method, path = uri.path(), "method not supported");
        return JiraError::method_not_allowed().into_response();
    }
    JiraError::not_found("The requested resource could not be found.").into_response()
}

async fn jira_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        return match status {
            StatusCode::METHOD_NOT_ALLOWED => JiraError::method_not_allowed(),
            StatusCode::NOT_FOUND => JiraError::not_found("The requested resource could not be found."),
            StatusCode::PAYLOAD_TOO_LARGE => JiraError::for_status(413, None),
            s if s.is_client_error() => JiraError::bad_request("Bad Request"),
            _ => JiraError::internal(),
        }
        .into_response();
    }
    response
}

/// A request as a handler sees it.
pub struct Call {
    pub ctx: RequestCtx,
    pub method: Method,
    pub headers: HeaderMap,
    pub query: Query,
    pub path: String,
    pub params: HashMap<String, String>,
    pub body: Bytes,
    /// Answering on `/rest/api/3` (ADF rich text); v2 and `latest` use wiki strings.
    pub v3: bool,
}

impl<S: Send + Sync> FromRequest<S> for Call {
    type Rejection = JiraError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx = parts.extensions.get::<RequestCtx>().cloned().ok_or_else(|| {
            tracing::error!("jira handler reached without the core pipeline");
            JiraError::internal()
        })?;
        let params = RawPathParams::from_request_parts(&mut parts, state)
            .await
            .map(|p| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<HashMap<_, _>>())
            .unwrap_or_default();
        let path = parts.uri.path().to_string();
        let mut v3 = false;
        if let Some(version) = params.get("apiVersion") {
            match version.as_str() {
                "3" => v3 = true,
                "2" | "latest" => {}
                _ => return Err(JiraError::not_found("The requested resource could not be found.")),
            }
        }
        let body = axum::body::to_bytes(body, usize::MAX).await.map_err(|_| JiraError::malformed())?;
        Ok(Self {
            ctx,
            method: parts.method,
            query: Query::parse(parts.uri.query()),
            path,
            headers: parts.headers,
            params,
            body,
            v3,
        })
    }
}

/// The credential of a request: the token of `Basic base64(email:token)` or of
/// `Bearer token` (any case of the scheme).
pub fn credential_of(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return (!rest.is_empty()).then(|| rest.to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_, token) = text.split_once(':')?;
        return (!token.is_empty()).then(|| token.to_string());
    }
    None
}

/// The email of a `Basic` credential.
fn basic_email(headers: &HeaderMap) -> Option<String> {
    twin_core::wire::basic_pair(headers).map(|(email, _)| email)
}

impl Call {
    pub fn now(&self) -> DateTime<Utc> {
        self.ctx.universe.now()
    }

    pub fn base(&self) -> &str {
        &self.ctx.base_url
    }

    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn read<R>(&self, f: impl FnOnce(&JiraState) -> R) -> Result<R, JiraError> {
        self.ctx.universe.read::<JiraState, R>(f).map_err(|e| {
            tracing::error!("{e}");
            JiraError::internal()
        })
    }

    /// Changes the site all or nothing: `f` works on a draft (an O(1) copy) that
    /// replaces the state only when it succeeds.
    ///
    /// Webhook events are derived from the states before and after (see `webhooks`).
    pub fn write<R>(&self, f: impl FnOnce(&mut JiraState, &mut IdGen) -> Result<R, JiraError>) -> Result<R, JiraError> {
        let (out, before, after) = self
            .ctx
            .universe
            .write::<JiraState, Result<(R, JiraState, Option<JiraState>), JiraError>>(|state, ids| {
                let mut draft = state.clone();
                let mut draft_ids = *ids;
                let out = f(&mut draft, &mut draft_ids)?;
                // The states around the write are kept only for a site with webhooks.
                let hooked = !draft.webhooks.is_empty();
                let before = std::mem::replace(state, draft);
                *ids = draft_ids;
                // The replaced state leaves the lock with the answer, to be dropped after it.
                Ok((out, before, hooked.then(|| state.clone())))
            })
            .map_err(|e| {
                tracing::error!("{e}");
                JiraError::internal()
            })??;
        if let Some(after) = after {
            let actor = self.ctx.principal.as_ref().map(|p| p.subject.as_str());
            let deliveries = crate::webhooks::derive(&before, &after, &self.ctx.base_url, actor, self.now());
            crate::webhooks::send(deliveries);
        }
        Ok(out)
    }

    /// The authenticated user: a live API token (with the email it belongs to, for
    /// Basic) or a bearer token, of an active account.
    pub fn user(&self) -> Result<User, JiraError> {
        if self.ctx.credential.is_none() {
            return Err(JiraError::unauthorized());
        }
        let principal = self.ctx.principal.clone().ok_or_else(JiraError::unauthorized)?;
        if principal.service != "jira" {
            return Err(JiraError::unauthorized());
        }
        let email = basic_email(&self.headers);
        let user = self.read(|s| s.user(&principal.subject).cloned())?.ok_or_else(JiraError::unauthorized)?;
        if let Some(e) = email {
            if !e.eq_ignore_ascii_case(&user.email) {
                return Err(JiraError::unauthorized());
            }
        }
        if !user.active {
            return Err(JiraError::unauthorized());
        }
        Ok(user)
    }

    pub fn expand(&self) -> Vec<String> {
        self.query.list("expand")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_from_basic_and_bearer() {
        let mut h = HeaderMap::new();
        let basic = base64::engine::general_purpose::STANDARD.encode("ann@acme.test:ATATTtok");
        for (header, want) in [
            (format!("Basic {basic}"), Some("ATATTtok")),
            ("Bearer tok".to_string(), Some("tok")),
            ("bearer tok".to_string(), Some("tok")),
            ("Basic !!!".to_string(), None),
            ("Token x".to_string(), None),
        ] {
            h.insert(AUTHORIZATION, header.parse().unwrap());
            assert_eq!(credential_of(&h).as_deref(), want, "{header}");
        }
        h.insert(AUTHORIZATION, format!("Basic {basic}").parse().unwrap());
        assert_eq!(basic_email(&h).as_deref(), Some("ann@acme.test"));
    }
}
