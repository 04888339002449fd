//! A tiny twin ("notes") for testing twin-core's promises without any real vendor:
//! a note list per universe, bearer tokens, and its own fault dialect.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Extension, Path};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use twin_core::store::{import_store, AnyStore};
use twin_core::{
    AnyCollection, Collection, Config, Core, CreateUniverse, Fault, Fixture, FixtureError, FixtureLibrary, Principal,
    RateLimit, RequestCtx, SeedCtx, Store, Twin, Universe,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
    pub author: String,
    pub created: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NotesState {
    pub notes: Collection<Note>,
}

impl Store for NotesState {
    const SERVICE: &'static str = "notes";
    fn collections(&self) -> Vec<(&'static str, &dyn AnyCollection)> {
        vec![("notes", &self.notes)]
    }
}

pub struct NotesTwin;

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_auth"}))).into_response()
}

async fn list(Extension(ctx): Extension<RequestCtx>) -> Response {
    if ctx.principal.is_none() {
        return unauthorized();
    }
    let notes = ctx.universe.read(|s: &NotesState| {
        s.notes.iter().map(|(id, n)| json!({"id": id, "text": n.text, "created": n.created})).collect::<Vec<_>>()
    });
    match notes {
        Ok(notes) => Json(json!({ "notes": notes })).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn create(Extension(ctx): Extension<RequestCtx>, body: axum::body::Bytes) -> Response {
    let Some(principal) = ctx.principal.clone() else { return unauthorized() };
    let Ok(input) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "bad_json"}))).into_response();
    };
    let text = input["text"].as_str().unwrap_or_default().to_string();
    let created = ctx.universe.now().to_rfc3339();
    let id = ctx.universe.write(|s: &mut NotesState, ids| {
        let id = ids.upper_id("N", 8);
        s.notes.insert(id.clone(), Note { text, author: principal.subject, created: created.clone() });
        id
    });
    match id {
        Ok(id) => Json(json!({"id": id, "created": created})).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn remove(Extension(ctx): Extension<RequestCtx>, Path(id): Path<String>) -> Response {
    if ctx.principal.is_none() {
        return unauthorized();
    }
    match ctx.universe.write(|s: &mut NotesState, _| s.notes.remove(&id).is_some()) {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => (StatusCode::NOT_FOUND, Json(json!({"error": "not_found"}))).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn note_text(ctx: &RequestCtx, id: &str) -> Option<String> {
    ctx.universe.read(|s: &NotesState| s.notes.get(id).map(|n| n.text.clone())).ok().flatten()
}

/// A note's text as a file: a binary answer.
async fn download(Extension(ctx): Extension<RequestCtx>, Path(id): Path<String>) -> Response {
    match note_text(&ctx, &id) {
        Some(text) => ([(axum::http::header::CONTENT_TYPE, "application/octet-stream")], text).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "not_found"}))).into_response(),
    }
}

/// A note's text in two chunks of a stream: an answer whose length is not known ahead.
async fn stream(Extension(ctx): Extension<RequestCtx>, Path(id): Path<String>) -> Response {
    let Some(text) = note_text(&ctx, &id) else { return StatusCode::NOT_FOUND.into_response() };
    let half = text.len() / 2;
    let (a, b) = (axum::body::Bytes::from(text[..half].to_string()), axum::body::Bytes::from(text[half..].to_string()));
    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(a), Ok(b)]);
    ([(axum::http::header::CONTENT_TYPE, "text/plain")], axum::body::Body::from_stream(chunks)).into_response()
}

/// A control endpoint: a note written by "someone else", as a scenario would stage it.
async fn simulate_note(Extension(ctx): Extension<twin_core::ControlCtx>, body: axum::body::Bytes) -> Response {
    let text = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["text"].as_str().map(str::to_string));
    let Some(text) = text else {
        return twin_core::ControlError::BadRequest("text is required".into()).into_response();
    };
    let created = ctx.universe.now().to_rfc3339();
    let id = ctx.universe.write(|s: &mut NotesState, ids| {
        let id = ids.upper_id("N", 8);
        s.notes.insert(id.clone(), Note { text, author: "simulated".into(), created });
        id
    });
    match id {
        Ok(id) => (StatusCode::CREATED, Json(json!({"id": id, "twin_url": ctx.twin_url}))).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

impl Twin for NotesTwin {
    fn service(&self) -> &'static str {
        "notes"
    }

    fn port_offset(&self) -> u16 {
        1
    }

    fn seed(&self, fixture: &Fixture, ctx: &mut SeedCtx<'_>) -> Result<Box<dyn AnyStore>, FixtureError> {
        let mut state = NotesState::default();
        for p in &fixture.people {
            let id = ctx.ids.upper_id("N", 8);
            state.notes.insert(
                id,
                Note { text: format!("hello from {}", p.key), author: p.key.clone(), created: String::new() },
            );
        }
        ctx.mint("nt-", Principal { service: "notes".into(), kind: "writer".into(), subject: "W1".into() });
        Ok(Box::new(state))
    }

    fn import(&self, state: Value) -> Result<Box<dyn AnyStore>, serde_json::Error> {
        import_store::<NotesState>(state)
    }

    fn router(&self) -> Router {
        Router::new()
            .route("/notes", get(list).post(create))
            .route("/notes/{id}", delete(remove))
            .route("/notes/{id}/download", get(download))
            .route("/notes/{id}/stream", get(stream))
            .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"error": "unknown_endpoint"}))) })
    }

    fn operation(&self, method: &Method, path: &str) -> Option<String> {
        match (method.as_str(), path) {
            ("GET", "/notes") => Some("notes.list".into()),
            ("POST", "/notes") => Some("notes.create".into()),
            ("DELETE", p) if p.starts_with("/notes/") => Some("notes.delete".into()),
            _ => None,
        }
    }

    fn credential(&self, headers: &HeaderMap, _query: Option<&str>, _body: &[u8]) -> Option<String> {
        twin_core::wire::authorization(headers, "Bearer").map(str::to_string)
    }

    fn render_fault(&self, fault: &Fault) -> Response {
        match fault {
            Fault::RateLimited { retry_after_s, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", retry_after_s.to_string())],
                Json(json!({"error": "slow_down"})),
            )
                .into_response(),
            Fault::Error { status, error } => (
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                Json(json!({"error": error.clone().unwrap_or_else(|| "server_error".into())})),
            )
                .into_response(),
        }
    }

    fn manifest(&self, universe: &Universe, base_url: &str) -> Value {
        json!({"base_url": base_url, "token": universe.credential_of("notes", "writer")})
    }

    fn control_router(&self) -> Option<Router> {
        Some(Router::new().route("/simulate/note", axum::routing::post(simulate_note)))
    }

    fn rate_limit(&self, operation: &str) -> Option<RateLimit> {
        (operation == "notes.create").then(|| RateLimit {
            class: "writes".into(),
            limit: 2,
            per_seconds: 60,
            shared: false,
        })
    }
}

pub const FIXTURE: &str = r#"
name: tiny
company: {name: Tiny, domain: tiny.test}
people:
  - {key: alice, first_name: Alice, last_name: A, email: alice@tiny.test}
  - {key: bob, first_name: Bob, last_name: B, email: bob@tiny.test, manager: alice}
groups:
  - {key: all, name: All, members: [alice, bob]}
"#;

/// A running server with the notes twin and a `default` universe.
pub struct Server {
    pub control: String,
    pub notes: String,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(Config { journal_cap: 50, ..Config::default() }).await
    }

    pub async fn start_with(config: Config) -> Self {
        let mut fixtures = FixtureLibrary::default();
        fixtures.insert("tiny", Fixture::from_yaml("tiny", FIXTURE).expect("fixture"));
        fixtures.insert("big", Fixture::generated(2_000));
        let core = Arc::new(Core::new(config, vec![Arc::new(NotesTwin)], fixtures, "tiny"));
        core.create_universe(CreateUniverse { id: Some("default".into()), ..Default::default() }).expect("default");
        let bound = twin_core::serve::bind_all(&core, IpAddr::from([127, 0, 0, 1]), 0).await.expect("bind");
        let control = format!("{}/_dtu/", core.endpoint("control").expect("control"));
        let notes = core.endpoint("notes").expect("notes");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(twin_core::serve::run(bound, async move {
            let _ = rx.await;
        }));
        let http = reqwest::Client::builder().no_proxy().build().expect("client");
        Server { control, notes, http, stop: Some(tx) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.control, path.trim_start_matches('/'))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).send().await.expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.post(self.url(path)).json(&body).send().await.expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.put(self.url(path)).json(&body).send().await.expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn delete(&self, path: &str) -> u16 {
        self.http.delete(self.url(path)).send().await.expect("send").status().as_u16()
    }

    /// A fresh universe (201) and its object.
    pub async fn universe(&self, body: Value) -> Value {
        let (status, u) = self.post("universes", body).await;
        assert_eq!(status, 201, "{u}");
        u
    }

    pub async fn notes_list(&self, token: &str) -> (u16, Value) {
        let r = self.http.get(format!("{}/notes", self.notes)).bearer_auth(token).send().await.expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn note_create(&self, token: &str, text: &str) -> reqwest::Result<reqwest::Response> {
        self.http.post(format!("{}/notes", self.notes)).bearer_auth(token).json(&json!({"text": text})).send().await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

pub fn token(universe: &Value) -> String {
    universe["notes"]["token"].as_str().expect("token").to_string()
}

pub fn note_count(list: &Value) -> usize {
    list["notes"].as_array().map_or(0, Vec::len)
}
