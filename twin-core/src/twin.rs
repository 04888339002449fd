//! The one trait a twin implements to stand on twin-core. The core decides *when*
//! something happens (routing to a universe, chaos, rate limits, journal); the twin
//! decides *what it looks like* in its vendor's dialect.

use std::sync::Arc;

use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::Router;
use serde::Serialize;
use serde_json::Value;

use crate::fixture::{Fixture, FixtureError};
use crate::store::AnyStore;
use crate::universe::{Principal, SeedCtx, Universe};

/// A fault the core decided to inject, for the twin to render as its vendor would.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Too many requests: the vendor's 429 with its retry headers. `class` names the
    /// realistic limit that ran out (a twin renders its limiters apart: Jira's
    /// per-issue write limit, Sheets' read and write quotas); empty for a chaos rule.
    RateLimited { retry_after_s: u64, class: String },
    /// An error response: `status`, and the vendor's error name when one was given.
    Error { status: u16, error: Option<String> },
}

/// A rate-limit class of an operation: `limit` requests per `per_seconds`, per
/// (universe, principal, class), or per (universe, class) when `shared`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RateLimit {
    pub class: String,
    pub limit: u32,
    pub per_seconds: u32,
    /// One bucket for every caller (a limit on the thing written, not on who writes).
    pub shared: bool,
}

/// How much of the vendor's surface a twin implements.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub implemented: usize,
    pub partial: usize,
    pub missing: usize,
}

/// What a twin's handlers receive about the request, as an axum `Extension`.
#[derive(Clone)]
pub struct RequestCtx {
    pub universe: Arc<Universe>,
    /// Who the credential names, when it is a valid credential of this universe.
    pub principal: Option<Principal>,
    /// The credential as sent, valid or not.
    pub credential: Option<String>,
    /// The credential was valid here once and has been revoked.
    pub credential_revoked: bool,
    /// The vendor operation name, when the twin knows it.
    pub operation: Option<String>,
    /// `scheme://host[:port]` plus any `/u/{id}` prefix the client used: the base of
    /// every absolute URL the twin hands out.
    pub base_url: String,
    /// `scheme://host[:port]` as the client addressed this twin.
    pub origin: String,
    pub core: Arc<crate::Core>,
}

impl RequestCtx {
    /// A base URL that always names this universe (`{origin}/u/{id}`), for URLs that are
    /// fetched without a credential (upload links, redirects, callbacks).
    pub fn universe_url(&self) -> String {
        self.universe.url_on(&self.origin)
    }
}

pub trait Twin: Send + Sync + 'static {
    /// `slack`, `okta`, `jira` or `google`.
    fn service(&self) -> &'static str;

    /// Its port relative to `--port-base` (slack 1, okta 2, jira 3, google 4).
    fn port_offset(&self) -> u16;

    /// Builds the initial state from a fixture, minting the credentials it needs.
    fn seed(&self, fixture: &Fixture, ctx: &mut SeedCtx<'_>) -> Result<Box<dyn AnyStore>, FixtureError>;

    /// Loads state from an export.
    fn import(&self, state: Value) -> Result<Box<dyn AnyStore>, serde_json::Error>;

    /// The vendor's HTTP surface. Handlers take `Extension<RequestCtx>`.
    fn router(&self) -> Router;

    /// The vendor's name for the operation at `method path`, when it has one
    /// (`chat.postMessage`); None marks the request as unmatched in the journal.
    fn operation(&self, method: &Method, path: &str) -> Option<String>;

    /// The credential a request carries (from headers, query or body).
    fn credential(&self, headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Option<String>;

    /// An injected fault, in the vendor's dialect.
    fn render_fault(&self, fault: &Fault) -> Response;

    /// A fault on one operation (None when the path matched none): by default
    /// `render_fault`. A twin serving several dialects on one port (Google: Drive's
    /// `errors` list, Sheets' and Docs' `status` envelope) picks by operation.
    fn render_fault_for(&self, fault: &Fault, _operation: Option<&str>) -> Response {
        self.render_fault(fault)
    }

    /// This twin's part of the universe object (base URLs and credentials).
    fn manifest(&self, universe: &Universe, base_url: &str) -> Value;

    /// The rate-limit class of an operation, for `--realistic-limits`.
    fn rate_limit(&self, _operation: &str) -> Option<RateLimit> {
        None
    }

    /// Every limit a call counts against under `--realistic-limits`, in the order they
    /// are checked: by default the one of `rate_limit`. A twin whose limits depend on
    /// what the call targets (Jira's per-issue write limit) adds them here.
    fn rate_limits(&self, operation: &str, _path: &str) -> Vec<RateLimit> {
        self.rate_limit(operation).into_iter().collect()
    }

    fn coverage(&self) -> Coverage {
        Coverage::default()
    }

    /// Whether a call may add to the universe's stored state, so that a universe past
    /// its state budget refuses it. By default every POST, PUT and PATCH; a twin whose
    /// reads are POSTs (Slack) says which of its operations write.
    fn grows_state(&self, method: &Method, _operation: Option<&str>) -> bool {
        matches!(*method, Method::POST | Method::PUT | Method::PATCH)
    }

    /// Whether this twin's writing calls (`grows_state`) queue for the universe's
    /// write turn before they run (see `Universe::write_turn`). Off by default: a twin
    /// opts in once its figures show the queue helps (Jira, Google).
    fn writes_take_turns(&self) -> bool {
        false
    }

    /// The vendor's answer to a write refused because the universe's state is full.
    fn render_state_budget_exceeded(&self) -> Response {
        self.render_fault(&Fault::Error { status: 403, error: Some("quota_exceeded".into()) })
    }

    /// Operations whose handler reads the request body itself, as a stream (uploads
    /// larger than the core's body cap, such as Slack's upload URL): the core passes
    /// the body through unread, still refusing stalled bodies, and journals none of it.
    /// The credential then comes from headers or query only.
    fn streams_body(&self, _operation: &str) -> bool {
        false
    }

    /// Control endpoints of this twin's own (simulating a person, registering an app),
    /// served at `/_dtu/universes/{u}/{service}/…` with the prefix stripped. Handlers
    /// take `Extension<ControlCtx>` and answer errors as [`crate::ControlError`].
    fn control_router(&self) -> Option<Router> {
        None
    }
}

/// What a twin's control handlers receive.
#[derive(Clone)]
pub struct ControlCtx {
    pub universe: Arc<Universe>,
    pub core: Arc<crate::Core>,
    /// The twin's own base URL (`http://127.0.0.1:8701`), for URLs it hands out.
    pub twin_url: String,
}
