//! The HTTP surface. One fallback handler matches the request against the route
//! table ([`routes`]), builds a [`Call`] and runs the route's handler; handlers are
//! plain functions of the call, synchronous, answering Google's dialects.

pub mod auth;
pub mod batch;
pub mod discovery;
pub mod routes;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;
use twin_core::ids::IdGen;
use twin_core::RequestCtx;

use crate::drive::fields::{self, Selection};
use crate::errors::{json_response, GoogleError, Result};
use crate::model::{GoogleState, User};

/// The twin's router: everything goes through the route table.
pub fn router() -> Router {
    Router::new().fallback(handle)
}

async fn handle(req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(ctx) = parts.extensions.get::<RequestCtx>().cloned() else {
        tracing::error!("google handler reached without the core pipeline");
        return GoogleError::internal().into_response();
    };
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => return GoogleError::bad_request("The request body could not be read.").into_response(),
    };
    let call = Call::new(ctx, parts.method, parts.uri.path(), parts.uri.query(), parts.headers, body);
    call.run()
}

/// A request as a handler sees it.
pub struct Call {
    pub ctx: RequestCtx,
    pub method: Method,
    pub headers: HeaderMap,
    /// The path as routed (without any `/u/{id}` prefix).
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Path parameters of the matched route.
    pub params: Vec<(String, String)>,
    pub body: Bytes,
}

impl Call {
    pub fn new(
        ctx: RequestCtx,
        method: Method,
        path: &str,
        query: Option<&str>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Self {
        let query = form_urlencoded::parse(query.unwrap_or("").as_bytes()).into_owned().collect();
        Call { ctx, method, headers, path: path.to_string(), query, params: Vec::new(), body }
    }

    /// Routes and runs the call.
    pub fn run(mut self) -> Response {
        let Some((route, params)) = routes::resolve(&self.method, &self.path) else {
            return match routes::path_known(&self.path) {
                true => {
                    GoogleError::bad_request(format!("Method {} is not allowed here.", self.method)).into_response()
                }
                false => GoogleError::method_not_found(&self.path).into_response(),
            };
        };
        self.params = params;
        match (route.handler)(&self) {
            Ok(r) => r,
            Err(e) => e.into_response(),
        }
    }

    pub fn q(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn q_all(&self, name: &str) -> Vec<&str> {
        self.query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// A boolean query parameter (`true`/`false`); anything else is 400 Invalid Value.
    pub fn flag(&self, name: &str) -> Result<bool> {
        match self.q(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") || v.is_empty() => Ok(false),
            Some(_) => Err(GoogleError::invalid_value(name)),
        }
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>> {
        match self.q(name) {
            None | Some("") => Ok(None),
            Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| GoogleError::invalid_value(name)),
        }
    }

    /// A path parameter of the route.
    pub fn param(&self, name: &str) -> &str {
        self.params.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.ctx.universe.now()
    }

    /// The base of URLs the twin hands out that carry no credential (upload sessions,
    /// discovery's `rootUrl`): always names the universe unless it is `default`.
    pub fn public_base(&self) -> String {
        if self.ctx.universe.id == "default" {
            self.ctx.base_url.trim_end_matches('/').to_string()
        } else {
            self.ctx.universe_url()
        }
    }

    /// The JSON body; empty means `{}`; malformed is Drive's 400 parseError.
    pub fn json(&self) -> Result<Value> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        let value: Value = serde_json::from_slice(&self.body)
            .map_err(|e| GoogleError::parse_error(format!("Invalid JSON payload received. {e}")))?;
        if !value.is_object() {
            return Err(GoogleError::parse_error("Invalid JSON payload received. Expected an object."));
        }
        Ok(value)
    }

    /// The `fields` selection, checked against `schema`; `default` when absent.
    pub fn fields(&self, schema: &str, default: &str) -> Result<Selection> {
        match self.q("fields").map(str::trim) {
            Some(f) if !f.is_empty() => fields::selection(f, schema),
            _ => fields::selection(default, schema),
        }
    }

    /// `fields` for methods that have no default (about, comments, replies).
    pub fn required_fields(&self, schema: &str) -> Result<Selection> {
        match self.q("fields").map(str::trim) {
            Some(f) if !f.is_empty() => fields::selection(f, schema),
            _ => Err(GoogleError::fields_required()),
        }
    }

    pub fn read<R>(&self, f: impl FnOnce(&GoogleState) -> R) -> Result<R> {
        self.ctx.universe.read::<GoogleState, R>(f).map_err(|e| {
            tracing::error!("{e}");
            GoogleError::internal()
        })
    }

    /// Changes the domain all or nothing: `f` works on a draft (an O(1) copy) that
    /// replaces the state only when it succeeds, so nothing is half-written.
    pub fn write<R>(&self, f: impl FnOnce(&mut GoogleState, &mut IdGen) -> Result<R>) -> Result<R> {
        self.ctx
            .universe
            .write::<GoogleState, Result<(R, GoogleState)>>(|state, ids| {
                let mut draft = state.clone();
                let mut draft_ids = *ids;
                let out = f(&mut draft, &mut draft_ids)?;
                *ids = draft_ids;
                // The state replaced is dropped after the lock is released: freeing
                // the nodes only it held is no reason for other writers to wait.
                Ok((out, std::mem::replace(state, draft)))
            })
            .map_err(|e| {
                tracing::error!("{e}");
                GoogleError::internal()
            })?
            .map(|(out, _replaced)| out)
    }

    /// The signed-in user: a token this universe minted for an active person.
    /// Anything else is 401, the one status that makes the clients refresh.
    pub fn user(&self) -> Result<User> {
        let principal = self.ctx.principal.as_ref().ok_or_else(GoogleError::unauthenticated)?;
        if principal.service != "google" {
            return Err(GoogleError::unauthenticated());
        }
        let email = principal.subject.clone();
        let token = self.ctx.credential.clone().unwrap_or_default();
        let now = self.now();
        self.read(|s| {
            // A token minted by `/token` lives an hour of universe time; the manifest's do not expire.
            if s.grants.get(&token).is_some_and(|g| g.expires_at <= now) {
                return None;
            }
            s.user(&email).filter(|u| u.active).cloned()
        })?
        .ok_or_else(GoogleError::unauthenticated)
    }
}

pub fn json(status: u16, body: &Value) -> Response {
    json_response(status, body)
}

pub fn ok(body: &Value) -> Response {
    json_response(200, body)
}

/// A 200 JSON answer serialized straight from a typed body (no `Value` tree).
pub fn ok_serialized<T: serde::Serialize>(body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => crate::errors::json_bytes_response(200, bytes),
        Err(_) => ok(&serde_json::Value::Null),
    }
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Raw bytes with a content type (downloads, exports).
pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    let ct = HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    response.headers_mut().insert(header::CONTENT_TYPE, ct);
    response
}

/// The credential of a request: `Authorization: Bearer <t>`, or `access_token` /
/// `oauth_token` in the query (the discovery document declares both).
pub fn credential_of(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let value = value.trim();
        if value.len() > 6 && value[..6].eq_ignore_ascii_case("bearer") {
            let token = value[6..].trim();
            return (!token.is_empty()).then(|| token.to_string());
        }
        return None;
    }
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "access_token" || k == "oauth_token")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}
