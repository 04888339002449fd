//! twin-okta: a behaviour-faithful, in-memory twin of Okta's Management API
//! (users and their lifecycle, groups and group rules, applications, factors,
//! the System Log, policies, network zones, trusted origins and identity
//! providers), the Authentication API and the org and `default` OAuth 2.0 /
//! OIDC authorization servers, for the official SDKs (`okta` on PyPI,
//! `@okta/okta-sdk-nodejs` on npm) unchanged but for their org URL.
//!
//! Layout: `model` (state and rules), `policy` (policies and the password
//! policy that governs a user), `security` (zones, trusted origins, identity
//! providers), `api` (handlers by resource), `wire`
//! (links, cursors, the search grammar), `expr` (the Expression Language subset
//! of group rules), `errors` (Okta's error dialect), `seed` (fixture → state),
//! `keys` (the JWT signing keys). `COVERAGE.md` lists what is served.

pub mod admin;
pub mod api;
pub mod authenticators;
pub mod authz;
pub mod certs;
pub mod control;
pub mod errors;
pub mod expr;
pub mod hooks;
pub mod ids;
pub mod keys;
pub mod model;
pub mod policy;
pub mod schema;
pub mod security;
pub mod seed;
pub mod wire;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use twin_core::store::{import_store, AnyStore};
use twin_core::{Coverage, Fault, Fixture, FixtureError, RateLimit, SeedCtx, Twin, Universe};

use crate::api::routes::{self, Cov};
use crate::errors::OktaError;
use crate::model::OktaState;

/// How many operations Okta's Management API document (the one the Python SDK's
/// models are generated from, 5.1.0) has; a test checks it against the file.
pub const SPEC_OPERATIONS: usize = 535;

#[derive(Debug, Default)]
pub struct OktaTwin;

impl OktaTwin {
    pub fn new() -> Self {
        Self
    }
}

impl Twin for OktaTwin {
    fn service(&self) -> &'static str {
        "okta"
    }

    fn port_offset(&self) -> u16 {
        2
    }

    fn seed(&self, fixture: &Fixture, ctx: &mut SeedCtx<'_>) -> Result<Box<dyn AnyStore>, FixtureError> {
        Ok(Box::new(seed::seed(fixture, ctx)?))
    }

    fn import(&self, state: Value) -> Result<Box<dyn AnyStore>, serde_json::Error> {
        import_store::<OktaState>(state)
    }

    fn router(&self) -> Router {
        api::router()
    }

    fn operation(&self, method: &Method, path: &str) -> Option<String> {
        routes::find(method, path).map(|r| r.operation.to_string())
    }

    fn credential(&self, headers: &HeaderMap, _query: Option<&str>, _body: &[u8]) -> Option<String> {
        api::credential_of(headers)
    }

    fn render_fault(&self, fault: &Fault) -> Response {
        let err = match fault {
            Fault::RateLimited { retry_after_s, .. } => OktaError::RateLimited { retry_after_s: *retry_after_s },
            Fault::Error { status, error } => OktaError::for_status(*status, error.as_deref()),
        };
        let mut response = err.into_response();
        if let Ok(v) = HeaderValue::from_str(&crate::ids::alnum_from(rand_seed(), 20)) {
            response.headers_mut().insert(HeaderName::from_static("x-okta-request-id"), v);
        }
        response
    }

    /// `org_url` carries the `/u/{id}` prefix for every universe but `default`: the
    /// Authentication API and the OAuth endpoints take no credential a request
    /// could be routed by, so the path has to name the universe.
    fn manifest(&self, universe: &Universe, base_url: &str) -> Value {
        let base = match universe.id.as_str() {
            "default" => base_url.trim_end_matches('/').to_string(),
            _ => universe.url_on(base_url),
        };
        let base = base.as_str();
        let mut out = json!({
            "org_url": base,
            "api_token": universe.credential_of("okta", "api_token"),
            "issuer": format!("{base}/oauth2/default"),
        });
        let extra = universe
            .read::<OktaState, _>(|s| {
                let client =
                    s.apps.values().find(|a| a.sign_on_mode == "OPENID_CONNECT" && a.client_secret().is_some());
                (
                    s.admin_user_id.clone(),
                    client.and_then(|c| c.client_id().map(str::to_string)),
                    client.and_then(|c| c.client_secret().map(str::to_string)),
                )
            })
            .ok();
        if let Some((admin, client_id, client_secret)) = extra {
            out["admin_user_id"] = json!(admin);
            if let (Some(id), Some(secret)) = (client_id, client_secret) {
                out["client_id"] = json!(id);
                out["client_secret"] = json!(secret);
            }
        }
        out
    }

    fn rate_limit(&self, operation: &str) -> Option<RateLimit> {
        let (class, limit) = match operation {
            "okta.users.list" | "okta.users.create" => ("api/v1/users", 600),
            op if op.starts_with("okta.users.") => ("api/v1/users/{id}", 600),
            "okta.groups.list" | "okta.groups.create" => ("api/v1/groups", 500),
            op if op.starts_with("okta.groups.") => ("api/v1/groups/{id}", 1000),
            op if op.starts_with("okta.apps.") => ("api/v1/apps", 100),
            "okta.logs.list" => ("api/v1/logs", 120),
            op if op.starts_with("okta.oauth2.") => ("oauth2", 600),
            "okta.authn" => ("api/v1/authn", 600),
            _ => ("api/v1", 1200),
        };
        Some(RateLimit { class: class.into(), limit, per_seconds: 60, shared: false })
    }

    fn control_router(&self) -> Option<Router> {
        Some(control::router())
    }

    fn coverage(&self) -> Coverage {
        let table = routes::all();
        let implemented = table.iter().filter(|r| r.coverage == Cov::Implemented).count();
        let partial = table.iter().filter(|r| matches!(r.coverage, Cov::Partial(_))).count();
        Coverage { implemented, partial, missing: SPEC_OPERATIONS.saturating_sub(implemented + partial) }
    }
}

fn rand_seed() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0x000f_a017);
    N.fetch_add(0x9E37_79B9, Ordering::Relaxed)
}
