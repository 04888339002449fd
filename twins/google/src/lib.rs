//! twin-google: a behaviour-faithful, in-memory twin of Google Workspace for the
//! official clients (`google-api-python-client` with `google-auth`, Node
//! `googleapis`) unchanged but for their endpoint: Google sign-in (the OAuth 2.0
//! token endpoint, tokeninfo, userinfo), API discovery documents generated from the
//! twin's own method table, and Drive v3. Docs and Sheets will be sibling modules
//! of `drive`, owning the content of Drive's editor files.
//!
//! Layout: `model` (the domain: people, groups, OAuth), `drive` (Drive's state,
//! access rules, `q` and `fields` grammars, handlers), `api` (routing, the route
//! table, sign-in, discovery, batch), `errors` (Google's error dialects), `seed`
//! (fixture → state), `keys` (the service account's key), `ids`. `COVERAGE.md`
//! lists what is served.

#![recursion_limit = "256"]

pub mod api;
pub mod docs;
pub mod drive;
pub mod errors;
pub mod ids;
pub mod keys;
pub mod md5;
pub mod model;
pub mod seed;
pub mod sheets;
pub mod views;

use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Map, Value};
use twin_core::store::{import_store, AnyStore};
use twin_core::{Coverage, Fault, Fixture, FixtureError, RateLimit, SeedCtx, Twin, Universe};

use crate::api::routes::{self, Cov};
use crate::errors::GoogleError;
use crate::model::GoogleState;

/// How many methods Drive v3's discovery document (google-api-python-client
/// 2.202.0) has; a test checks it against the installed file.
pub const SPEC_METHODS: usize = 64;

#[derive(Debug, Default)]
pub struct GoogleTwin;

impl GoogleTwin {
    pub fn new() -> Self {
        Self
    }
}

/// The JSON key file of the universe's service account, `token_uri` on the twin.
pub fn service_account_key(state: &GoogleState, base: &str) -> Value {
    json!({
        "type": "service_account",
        "project_id": state.service_account.project_id,
        "private_key_id": keys::PRIVATE_KEY_ID,
        "private_key": keys::PRIVATE_KEY_PEM,
        "client_email": state.service_account.email,
        "client_id": state.service_account.client_id,
        "auth_uri": format!("{base}/o/oauth2/auth"),
        "token_uri": format!("{base}/token"),
        "auth_provider_x509_cert_url": format!("{base}/oauth2/v1/certs"),
        "client_x509_cert_url": format!("{base}/robot/v1/metadata/x509/{}", state.service_account.email),
        "universe_domain": "googleapis.com",
    })
}

impl Twin for GoogleTwin {
    fn service(&self) -> &'static str {
        "google"
    }

    fn port_offset(&self) -> u16 {
        4
    }

    fn seed(&self, fixture: &Fixture, ctx: &mut SeedCtx<'_>) -> Result<Box<dyn AnyStore>, FixtureError> {
        Ok(Box::new(seed::seed(fixture, ctx)?))
    }

    fn import(&self, state: Value) -> Result<Box<dyn AnyStore>, serde_json::Error> {
        import_store::<GoogleState>(state)
    }

    fn router(&self) -> Router {
        api::router()
    }

    fn operation(&self, method: &Method, path: &str) -> Option<String> {
        routes::find(method, path).map(|r| r.operation.to_string())
    }

    fn credential(&self, headers: &HeaderMap, query: Option<&str>, _body: &[u8]) -> Option<String> {
        api::credential_of(headers, query)
    }

    fn render_fault(&self, fault: &Fault) -> Response {
        match fault {
            Fault::RateLimited { retry_after_s, class } => sheets::errors::quota_exceeded(class, *retry_after_s)
                .unwrap_or_else(|| GoogleError::for_status(403, Some("userRateLimitExceeded")).into_response()),
            Fault::Error { status, error } => GoogleError::for_status(*status, error.as_deref()).into_response(),
        }
    }

    /// Sheets and Docs answer in their own envelope (`status`, no `errors` list), and
    /// a rate limit there is the quota's RESOURCE_EXHAUSTED; Drive keeps its dialect.
    fn render_fault_for(&self, fault: &Fault, operation: Option<&str>) -> Response {
        let Some(op) = operation.filter(|op| op.starts_with("sheets.") || op.starts_with("docs.")) else {
            return self.render_fault(fault);
        };
        match fault {
            Fault::RateLimited { retry_after_s, class } => {
                let class = if class.is_empty() { self.rate_limit(op).map(|l| l.class) } else { Some(class.clone()) };
                class
                    .and_then(|c| sheets::errors::quota_exceeded(&c, *retry_after_s))
                    .unwrap_or_else(|| sheets::errors::ApiError::for_status(429).into_response())
            }
            Fault::Error { status, .. } => sheets::errors::ApiError::for_status(*status).into_response(),
        }
    }

    /// Every URL carries the `/u/{id}` prefix for universes other than `default`:
    /// the token endpoint and the discovery documents are fetched without a
    /// credential the request could be routed by.
    fn manifest(&self, universe: &Universe, base_url: &str) -> Value {
        let base = match universe.id.as_str() {
            "default" => base_url.trim_end_matches('/').to_string(),
            _ => universe.url_on(base_url),
        };
        let mut tokens = Map::new();
        for c in universe.credentials() {
            if c.principal.service == "google"
                && c.principal.kind == "access_token"
                && !tokens.contains_key(&c.principal.subject)
            {
                tokens.insert(c.principal.subject.clone(), json!(c.token));
            }
        }
        let mut out = json!({
            "endpoint": base,
            "drive_endpoint": format!("{base}/drive/v3/"),
            "token_uri": format!("{base}/token"),
            "discovery_urls": {
                "drive": format!("{base}/discovery/v1/apis/drive/v3/rest"),
                "drive_v2": format!("{base}/discovery/v1/apis/drive/v2/rest"),
                "docs": format!("{base}/discovery/v1/apis/docs/v1/rest"),
                "sheets": format!("{base}/discovery/v1/apis/sheets/v4/rest"),
            },
        });
        let facts = universe
            .read::<GoogleState, _>(|s| {
                let refresh = s.refresh_tokens.values().find(|r| r.user == s.admin).map(|r| r.token.clone());
                (s.admin.clone(), service_account_key(s, &base), s.client.clone(), refresh)
            })
            .ok();
        if let Some((admin, key, client, refresh)) = facts {
            out["user"] = json!(admin);
            out["access_token"] = tokens.get(&admin).cloned().unwrap_or(Value::Null);
            out["service_account"] = key;
            out["oauth_client"] = json!({"client_id": client.client_id, "client_secret": client.client_secret});
            out["refresh_token"] = json!(refresh);
        }
        out["access_tokens"] = Value::Object(tokens);
        out
    }

    /// Drive's per-user quota (the older projects' 12,000 queries a minute, as a
    /// per-second bucket), answered as 403 `userRateLimitExceeded`.
    /// Sheets' and Docs' per-minute quotas per user (reads and writes apart), answered
    /// as 429 RESOURCE_EXHAUSTED.
    fn rate_limit(&self, operation: &str) -> Option<RateLimit> {
        let class = match operation {
            op if op.starts_with("drive.") => "drive",
            op if op.starts_with("oauth2.") => "oauth2",
            op if op.starts_with("sheets.") => {
                let read = [".get", ".batchGet", "getByDataFilter", ".batchGetByDataFilter"];
                if read.iter().any(|r| op.ends_with(r)) {
                    "sheets-read"
                } else {
                    "sheets-write"
                }
            }
            "docs.documents.get" => "docs-read",
            op if op.starts_with("docs.") => "docs-write",
            _ => return None,
        };
        if let Some((_, _, _, per_minute)) = sheets::errors::QUOTAS.iter().find(|(c, ..)| *c == class) {
            return Some(RateLimit { class: class.into(), limit: *per_minute, per_seconds: 60, shared: false });
        }
        Some(RateLimit { class: class.into(), limit: 200, per_seconds: 1, shared: false })
    }

    /// A universe whose state is full refuses new content as Drive refuses a full
    /// quota: 403 `storageQuotaExceeded`.
    fn render_state_budget_exceeded(&self) -> Response {
        GoogleError::storage_quota().into_response()
    }

    /// Signing in (a POST that mints a token) stays possible in a full universe, so
    /// its files can still be read and deleted.
    fn grows_state(&self, method: &Method, operation: Option<&str>) -> bool {
        matches!(*method, Method::POST | Method::PUT | Method::PATCH)
            && !operation.is_some_and(|op| op.starts_with("oauth2.") || op == "drive.batch")
    }

    fn coverage(&self) -> Coverage {
        let api: Vec<_> = routes::api_methods().collect();
        let implemented = api.iter().filter(|(r, _)| r.coverage == Cov::Implemented).count();
        let partial = api.iter().filter(|(r, _)| matches!(r.coverage, Cov::Partial(_))).count();
        Coverage { implemented, partial, missing: SPEC_METHODS.saturating_sub(implemented + partial) }
    }
}
