//! The Slack twin: the Web API as the official SDKs (`slack_sdk`, `@slack/web-api`) use
//! it, over an in-memory workspace seeded from a fixture; and the app's side of Slack:
//! Events API deliveries over HTTP and Socket Mode, so Bolt apps run against it.

pub mod api;
pub mod app;
pub mod control;
pub mod coverage;
pub mod delivery;
pub mod errors;
pub mod events;
pub mod methods;
pub mod model;
pub mod paging;
pub mod seed;
pub mod socket;
pub mod surfaces;
pub mod views;
pub mod wire;

use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};
use twin_core::store::AnyStore;
use twin_core::{Coverage, Fault, Fixture, FixtureError, RateLimit, SeedCtx, Twin, Universe};

pub use errors::SlackError;
pub use model::SlackState;

#[derive(Debug, Clone, Copy, Default)]
pub struct SlackTwin;

impl SlackTwin {
    pub fn new() -> Self {
        SlackTwin
    }
}

impl Twin for SlackTwin {
    fn service(&self) -> &'static str {
        "slack"
    }

    fn port_offset(&self) -> u16 {
        1
    }

    fn seed(&self, fixture: &Fixture, ctx: &mut SeedCtx<'_>) -> Result<Box<dyn AnyStore>, FixtureError> {
        Ok(Box::new(seed::seed(fixture, ctx)?))
    }

    fn import(&self, state: Value) -> Result<Box<dyn AnyStore>, serde_json::Error> {
        let mut state: SlackState = serde_json::from_value(state)?;
        state.catch_up_channel_ts();
        Ok(Box::new(state))
    }

    fn router(&self) -> Router {
        api::router()
    }

    fn operation(&self, _method: &Method, path: &str) -> Option<String> {
        api::operation_name(path)
    }

    fn credential(&self, headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Option<String> {
        wire::credential(headers, query, body)
    }

    fn render_fault(&self, fault: &Fault) -> Response {
        errors::render_fault(fault)
    }

    /// The upload URL takes files up to Slack's 1 GB, past the core's body cap: its
    /// handler counts the bytes as they stream in and keeps only the first MiB.
    fn streams_body(&self, operation: &str) -> bool {
        operation == api::UPLOAD_OPERATION
    }

    /// Slack's reads are POSTs too: a method writes when a scope it takes does.
    fn grows_state(&self, _method: &Method, operation: Option<&str>) -> bool {
        operation
            .and_then(methods::find)
            .is_some_and(|m| [m.bot, m.user].into_iter().flatten().flatten().any(|scope| scope.ends_with(":write")))
    }

    /// A full workspace answers as Slack does when a team sends too much.
    fn render_state_budget_exceeded(&self) -> Response {
        errors::render_fault(&Fault::Error { status: 200, error: Some("message_limit_exceeded".into()) })
    }

    fn manifest(&self, universe: &Universe, base_url: &str) -> Value {
        let (team_id, bot_user_id, app_id, signing_secret, client_secret) = universe
            .read::<SlackState, _>(|s| {
                (
                    s.team_id(),
                    s.bot().map(|b| b.user_id.clone()).unwrap_or_default(),
                    s.bot().map(|b| b.app_id.clone()).unwrap_or_default(),
                    s.app().map(|a| a.signing_secret.clone()).unwrap_or_default(),
                    s.app().map(|a| a.client_secret.clone()).unwrap_or_default(),
                )
            })
            .unwrap_or_default();
        // The authorize pages are fetched by a browser with no token: they name the universe.
        let universe_url = universe.url_on(base_url);
        json!({
            "base_url": format!("{}/api/", base_url.trim_end_matches('/')),
            "bot_token": universe.credential_of("slack", "bot"),
            "user_token": universe.credential_of("slack", "user"),
            "app_token": universe.credential_of("slack", "app"),
            "team_id": team_id,
            "bot_user_id": bot_user_id,
            "app_id": app_id,
            "signing_secret": signing_secret,
            "client_id": universe.credential_of("slack", model::OAUTH_CLIENT_PRINCIPAL),
            "client_secret": client_secret,
            "oauth_authorize_url": format!("{universe_url}/oauth/v2/authorize"),
            "openid_authorize_url": format!("{universe_url}/openid/connect/authorize"),
        })
    }

    fn rate_limit(&self, operation: &str) -> Option<RateLimit> {
        methods::rate_limit(operation)
    }

    fn coverage(&self) -> Coverage {
        coverage::counts()
    }

    fn control_router(&self) -> Option<Router> {
        Some(control::router())
    }
}
