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
            Fault::RateLimited { retry_after_s, class } => {
                let per_issue = class.starts_with(errors::PER_ISSUE_REASON);
                JiraError::rate_limited(*retry_after_s).per_issue(per_issue)
            }
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
        let (class, limit) = if is_write(operation) { ("jira-write", 50) } else { ("jira-read", 100) };
        Some(RateLimit { class: class.into(), limit, per_seconds: 1, shared: false })
    }

    /// Searches and parses are POSTs that only read: a full site still answers them.
    fn grows_state(&self, method: &Method, operation: Option<&str>) -> bool {
        matches!(*method, Method::POST | Method::PUT | Method::PATCH)
            && !operation.is_some_and(|op| READS_BY_POST.contains(&op))
    }

    fn writes_take_turns(&self) -> bool {
        true
    }

    /// The burst limit of `rate_limit`, and for a write to one issue Jira's per-issue
    /// write limits, which count every caller's writes to that issue: 20 in 2 seconds
    /// and 100 in 30 (Atlassian's rate-limiting page; the issue is named as the path
    /// names it, so its key and its id count apart).
    fn rate_limits(&self, operation: &str, path: &str) -> Vec<RateLimit> {
        let mut out: Vec<RateLimit> = self.rate_limit(operation).into_iter().collect();
        if let Some(issue) = is_write(operation).then(|| issue_in_path(path)).flatten() {
            for (limit, per_seconds) in [(20, 2), (100, 30)] {
                out.push(RateLimit {
                    class: format!("{}:{per_seconds}s:{issue}", errors::PER_ISSUE_REASON),
                    limit,
                    per_seconds,
                    shared: true,
                });
            }
        }
        out
    }

    fn coverage(&self) -> Coverage {
        let table = routes::all();
        let implemented = table.iter().filter(|r| r.coverage == Cov::Implemented).count();
        let partial = table.iter().filter(|r| matches!(r.coverage, Cov::Partial(_))).count();
        Coverage { implemented, partial, missing: SPEC_OPERATIONS.saturating_sub(implemented + partial) }
    }
}

/// Operations sent as POST that only read.
const READS_BY_POST: &[&str] = &[
    "jira.changelog.bulkfetch",
    "jira.search.jql.post",
    "jira.search.legacy.post",
    "jira.search.count",
    "jira.jql.parse",
];

fn is_write(operation: &str) -> bool {
    [".create", ".edit", ".delete", ".add", ".do", ".assign", ".update", ".move", ".set", ".remove"]
        .iter()
        .any(|s| operation.ends_with(s))
}

/// The issue a `/rest/api/{v}/issue/{idOrKey}/…` path names, upper-cased (not the
/// collection paths `issue/bulk`, `issue/picker`, `issue/createmeta`, …).
fn issue_in_path(path: &str) -> Option<String> {
    let rest = path.split("/rest/api/").nth(1)?;
    let mut parts = rest.split('/');
    let (_version, kind, issue) = (parts.next()?, parts.next()?, parts.next()?);
    let looks_like_issue = issue.chars().all(|c| c.is_ascii_digit())
        || issue
            .split_once('-')
            .is_some_and(|(p, n)| !p.is_empty() && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    (kind == "issue" && looks_like_issue).then(|| issue.to_ascii_uppercase())
}
