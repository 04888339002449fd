//! twin-jira: a behaviour-faithful, in-memory twin of Jira Cloud (REST v2 and v3,
//! JQL, workflows, the Agile API) for the clients people use (`jira` and
//! `atlassian-python-api` on PyPI, `jira.js` on npm), unchanged but for the site URL.
//!
//! Layout: `model` (state and rules), `api` (handlers by resource and the route
//! table), `jql` (the query language), `adf` (rich text), `wire` (query strings,
//! timestamps), `errors` (Jira's error dialect), `seed` (fixture → state).
//! `COVERAGE.md` lists what is served.

pub mod adf;
pub mod api;
pub mod errors;
pub mod jql;
pub mod model;
pub mod seed;
pub mod webhooks;
pub mod wire;

use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use twin_core::store::{import_store, AnyStore};
use twin_core::{Coverage, Fault, Fixture, FixtureError, RateLimit, SeedCtx, Twin, Universe};

use crate::api::routes::{self, Cov};
use crate::errors::JiraError;
use crate::model::JiraState;

/// Operations in the vendor's documents (`platform.v3.json` + `software.json`); a
/// test checks it against the files.
pub const SPEC_OPERATIONS: usize = 616 + 74;

/// The most people whose credentials the manifest lists.
const MANIFEST_USERS: usize = 50;

#[derive(Debug, Default)]
pub struct JiraTwin;

impl JiraTwin {
    pub fn new() -> Self {
        Self
    }
}

impl Twin for JiraTwin {
    fn service(&self) -> &'static str {
        "jira"
    }

    fn port_offset(&self) -> u16 {
        3
    }

    fn seed(&self, fixture: &Fixture, ctx: &mut SeedCtx<'_>) -> Result<Box<dyn AnyStore>, FixtureError> {
        Ok(Box::new(seed::seed(fixture, ctx)?))
    }

    fn import(&self, state: Value) -> Result<Box<dyn AnyStore>, serde_json::Error> {
        import_store::<JiraState>(state)
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
        match fault {
            Fault::RateLimited { retry_after_s } => JiraError::rate_limited(*retry_after_s),
            Fault::Error { status, error } => JiraError::for_status(*status, error.as_deref()),
        }
        .into_response()
    }

    /// `base_url` carries the `/u/{id}` prefix for every universe but `default`, as
    /// Okta's does: serverInfo is anonymous, so the path has to name the universe.
    fn manifest(&self, universe: &Universe, base_url: &str) -> Value {
        let base = match universe.id.as_str() {
            "default" => base_url.trim_end_matches('/').to_string(),
            _ => universe.url_on(base_url),
        };
        let credentials = universe.credentials();
        let facts = universe
            .read::<JiraState, _>(|s| {
                let email = s.user(&s.admin).map(|u| u.email.clone());
                let mut users = serde_json::Map::new();
                for c in credentials.iter().filter(|c| c.principal.service == "jira" && c.principal.kind == "api_token")
                {
                    if users.len() >= MANIFEST_USERS {
                        break;
                    }
                    if let Some(u) = s.user(&c.principal.subject) {
                        users.insert(u.email.clone(), json!({"account_id": u.account_id, "api_token": c.token}));
                    }
                }
                (email, s.admin.clone(), users)
            })
            .ok();
        let mut out = json!({
            "base_url": base,
            "api_token": universe.credential_of("jira", "api_token"),
            "bearer_token": universe.credential_of("jira", "bearer"),
        });
        if let Some((email, account_id, users)) = facts {
            out["email"] = json!(email);
            out["account_id"] = json!(account_id);
            out["users"] = Value::Object(users);
        }
        out
    }

    fn rate_limit(&self, operation: &str) -> Option<RateLimit> {
        let write = [".create", ".edit", ".delete", ".add", ".do", ".assign", ".update", ".move", ".set", ".remove"]
            .iter()
            .any(|s| operation.ends_with(s));
        let (class, limit) = if write { ("jira-write", 50) } else { ("jira-read", 100) };
        Some(RateLimit { class: class.into(), limit, per_seconds: 1 })
    }

    fn coverage(&self) -> Coverage {
        let table = routes::all();
        let implemented = table.iter().filter(|r| r.coverage == Cov::Implemented).count();
        let partial = table.iter().filter(|r| matches!(r.coverage, Cov::Partial(_))).count();
        Coverage { implemented, partial, missing: SPEC_OPERATIONS.saturating_sub(implemented + partial) }
    }
}
