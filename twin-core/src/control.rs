//! The control plane under `/_dtu/`, on the control port and on every twin port.
//! Described by `openapi/dtu-control.yaml`, which it also serves.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::chaos::{RuleError, RuleSet, RuleSpec};
use crate::journal::Filter;
use crate::universe::Universe;
use crate::{ControlError, Core, CreateUniverse, Export};

pub const OPENAPI_YAML: &str = include_str!("../../openapi/dtu-control.yaml");

/// The largest control-plane body (an import of a large universe).
pub const MAX_CONTROL_BODY: usize = 256 * 1024 * 1024;

type Result<T> = std::result::Result<T, ControlError>;
type CoreState = State<Arc<Core>>;

pub fn router(core: Arc<Core>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/info", get(info))
        .route("/metrics", get(metrics))
        .route("/openapi.yaml", get(openapi))
        .route("/universes", post(create_universe).get(list_universes))
        .route("/universes/{u}", get(get_universe).delete(delete_universe))
        .route("/universes/{u}/reset", post(reset))
        .route("/universes/{u}/snapshots", post(take_snapshot).get(list_snapshots))
        .route("/universes/{u}/snapshots/{name}/restore", post(restore_snapshot))
        .route("/universes/{u}/export", get(export))
        .route("/universes/{u}/import", axum::routing::put(import))
        .route("/universes/{u}/state", get(state))
        .route("/universes/{u}/diff", get(diff))
        .route("/universes/{u}/journal", get(journal))
        .route("/universes/{u}/clock", get(get_clock).put(set_clock))
        .route("/universes/{u}/clock/advance", post(advance_clock))
        .route("/chaos/rules", post(add_global_rule).get(list_global_rules).delete(clear_global_rules))
        .route("/chaos/rules/{id}", delete(delete_global_rule))
        .route("/universes/{u}/chaos/rules", post(add_rule).get(list_rules).delete(clear_rules))
        .route("/universes/{u}/chaos/rules/{id}", delete(delete_rule))
        .route("/universes/{u}/{service}/{*rest}", axum::routing::any(twin_control))
        .fallback(|| async { ControlError::NotFound("no such control-plane endpoint".into()) })
        .method_not_allowed_fallback(|| async { ControlError::MethodNotAllowed })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_CONTROL_BODY))
        .layer(axum::middleware::from_fn_with_state(core.clone(), guard))
        .with_state(core)
}

/// Control-plane paths anyone may read: liveness and the API's description.
fn open_to_all(method: &Method, path: &str) -> bool {
    matches!(*method, Method::GET | Method::HEAD) && matches!(path, "/health" | "/openapi.yaml")
}

/// The access rule of the control plane: a browser's cross-site request is refused
/// whatever it carries (a web page must not drive the harness), and with an admin
/// token set, nothing but that token opens it. A twin credential never does, on any
/// port, path prefix or universe header. Each refusal is counted, and journaled in
/// the universe the request named or whose credential it carried.
async fn guard(State(core): CoreState, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if open_to_all(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let refusal = if let Some(why) = cross_site(req.headers()) {
        Some(ControlError::Forbidden(why))
    } else {
        match &core.config.control_access {
            crate::ControlAccess::Open => None,
            crate::ControlAccess::AdminToken(token) => match presented_admin_token(req.headers()) {
                Ok(given) if constant_time_eq(given.as_bytes(), token.as_bytes()) => None,
                Ok(_) => Some(ControlError::Unauthorized("the admin token is wrong".into())),
                Err(why) => Some(ControlError::Unauthorized(why)),
            },
        }
    };
    match refusal {
        None => next.run(req).await,
        Some(err) => {
            record_refusal(&core, &req, err.status().as_u16());
            let unauthorized = err.status() == StatusCode::UNAUTHORIZED;
            let mut response = err.into_response();
            if unauthorized {
                // Beside the Bearer challenge: lets a browser ask its user for the token
                // (the Basic password) to open the dashboard.
                response.headers_mut().append(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Basic realm=\"dtu-control\", charset=\"UTF-8\""),
                );
            }
            response
        }
    }
}

/// The `Authorization` header, the only place the admin token is read from (never a
/// cookie or the query, which a browser or a log would leak): `Bearer <token>`, or
/// `Basic` with the token as the password (any user name), which is how a browser
/// sends it to the dashboard after asking its user once; a cross-site page cannot make
/// the browser attach it (`cross_site`).
fn presented_admin_token(headers: &HeaderMap) -> std::result::Result<String, String> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Err("the control plane needs the admin token: send Authorization: Bearer <admin token> \
                    (dtu serve prints it and writes it to --manifest as admin_token)"
            .into());
    };
    let value = value.to_str().map_err(|_| "the Authorization header is not readable text".to_string())?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim().to_string())
        }
        Some((scheme, encoded)) if scheme.eq_ignore_ascii_case("basic") => {
            use base64::Engine as _;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| "the Authorization header's Basic credentials are not base64 text".to_string())?;
            match decoded.split_once(':') {
                Some((_, password)) if !password.is_empty() => Ok(password.to_string()),
                _ => Err("Basic credentials must carry the admin token as the password".into()),
            }
        }
        _ => Err("the Authorization header must be Bearer <admin token>".into()),
    }
}

/// Wraps routes in the control plane's access rule (`guard`): the dashboard that
/// `dtu serve` mounts on the control port is as closed as `/_dtu/` itself.
pub fn guarded(core: Arc<Core>, routes: Router) -> Router {
    routes.layer(axum::middleware::from_fn_with_state(core, guard))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why a request looks like a browser's cross-site one: a `Sec-Fetch-Site` other than
/// same-origin or none, or an `Origin` that is not this host.
fn cross_site(headers: &HeaderMap) -> Option<String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return Some(format!("cross-site requests are refused (Sec-Fetch-Site: {site})"));
        }
    }
    if let Some(origin) = header("origin") {
        let host = header("host").unwrap_or_default();
        let same = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .is_some_and(|o| o.eq_ignore_ascii_case(host));
        if !same {
            return Some(format!("cross-site requests are refused (Origin: {origin})"));
        }
    }
    None
}

/// The universe a refused request named (`/universes/{u}/…`, `x-dtu-universe`) or
/// whose twin credential it carried.
fn universe_of_refused(core: &Core, req: &axum::extract::Request) -> Option<(Arc<Universe>, Option<String>)> {
    let headers = req.headers();
    let query = req.uri().query();
    let credential = core.twins.iter().find_map(|t| t.credential(headers, query, &[]));
    let principal_in = |u: &Universe| credential.as_deref().and_then(|c| u.principal(c)).map(|p| p.subject);
    let named = req
        .uri()
        .path()
        .strip_prefix("/universes/")
        .map(|rest| rest.split('/').next().unwrap_or_default().to_string())
        .or_else(|| headers.get(crate::dispatch::UNIVERSE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string));
    if let Some(universe) = named.and_then(|id| core.universe(&id).ok()) {
        let principal = principal_in(&universe);
        return Some((universe, principal));
    }
    let universe = credential.as_deref().and_then(|c| core.universe_of_token(c))?;
    let principal = principal_in(&universe);
    Some((universe, principal))
}

fn record_refusal(core: &Core, req: &axum::extract::Request, status: u16) {
    core.metrics.control_refused.inc();
    let path = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| req.uri().path().to_string(), |o| o.path().to_string());
    tracing::warn!(method = %req.method(), %path, status, "control-plane request refused");
    if let Some((universe, principal)) = universe_of_refused(core, req) {
        universe.journal.record(crate::journal::Entry {
            seq: 0,
            time: universe.now(),
            service: CONTROL_SERVICE.into(),
            operation: REFUSED_OPERATION.into(),
            matched: true,
            method: req.method().to_string(),
            path,
            query: req.uri().query().map(str::to_string),
            principal,
            request_body: None,
            status,
            latency_ms: 0.0,
            fault: None,
            retry_after_s: None,
            response: None,
        });
    }
}

/// The journal's service name for control-plane requests it records (refusals).
pub const CONTROL_SERVICE: &str = "control";
/// The operation name of a refused control-plane request in the journal.
pub const REFUSED_OPERATION: &str = "control.refused";

/// A control request's body, read whole; a body that cannot be read (truncated, badly
/// chunked, over the cap) is refused in the control plane's dialect, not axum's text.
pub struct ControlBody(pub Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ControlBody {
    type Rejection = ControlError;

    async fn from_request(req: axum::extract::Request, state: &S) -> std::result::Result<Self, ControlError> {
        use axum::extract::rejection::BytesRejection;
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(BytesRejection::FailedToBufferBody(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ControlError::PayloadTooLarge(format!(
                    "a control request body may be at most {MAX_CONTROL_BODY} bytes"
                )))
            }
            Err(e) => Err(ControlError::BadRequest(format!("the request body could not be read: {}", e.body_text()))),
        }
    }
}

/// Parses a JSON body into `T`, answering in the control plane's dialect when it is
/// not JSON, not the right shape, or not sent as JSON. An empty body reads as `{}`.
/// Twins' own control endpoints use it too.
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T> {
    if let Some(ct) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if !body.is_empty() && essence != "application/json" && !essence.ends_with("+json") {
            return Err(ControlError::UnsupportedMediaType(format!("send application/json, not {essence}")));
        }
    }
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    serde_json::from_slice(text).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            ControlError::InvalidJson(e.to_string())
        } else {
            ControlError::BadRequest(e.to_string())
        }
    })
}

fn query<T: DeserializeOwned + Default>(raw: Option<String>) -> Result<T> {
    match raw {
        None => Ok(T::default()),
        Some(q) => serde_urlencoded::from_str(&q).map_err(|e| ControlError::BadRequest(format!("query: {e}"))),
    }
}

async fn health(State(core): CoreState) -> Json<Value> {
    Json(json!({"status": "ok", "universes": core.universe_count()}))
}

async fn info(State(core): CoreState) -> Json<Value> {
    let twins: Vec<Value> = core
        .twins
        .iter()
        .map(|t| {
            json!({
                "service": t.service(),
                "base_url": core.endpoint(t.service()),
                "coverage": t.coverage(),
            })
        })
        .collect();
    Json(json!({
        "name": "dtu",
        "version": env!("CARGO_PKG_VERSION"),
        "twins": twins,
        "fixtures": core.fixtures.names().collect::<Vec<_>>(),
        "default_fixture": core.default_fixture,
        "realistic_limits": core.config.realistic_limits,
        "journal_cap": core.config.journal_cap,
    }))
}

async fn metrics(State(core): CoreState) -> Response {
    ([(CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], core.metrics.render())
        .into_response()
}

async fn openapi() -> Response {
    ([(CONTENT_TYPE, "application/yaml")], OPENAPI_YAML).into_response()
}

async fn create_universe(
    State(core): CoreState,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    let req: CreateUniverse = json_body(&headers, &body)?;
    // Seeding a large fixture is CPU work: keep it off the async workers.
    let worker = core.clone();
    let universe = tokio::task::spawn_blocking(move || worker.create_universe(req))
        .await
        .map_err(|e| ControlError::BadRequest(format!("universe creation failed: {e}")))??;
    Ok((StatusCode::CREATED, Json(core.universe_object(&universe))).into_response())
}

async fn list_universes(State(core): CoreState) -> Json<Value> {
    let universes: Vec<Value> =
        core.universe_ids().iter().filter_map(|id| core.universe(id).ok()).map(|u| core.universe_object(&u)).collect();
    Json(json!({ "universes": universes }))
}

async fn get_universe(State(core): CoreState, Path(u): Path<String>) -> Result<Json<Value>> {
    let universe = core.universe(&u)?;
    Ok(Json(core.universe_object(&universe)))
}

async fn delete_universe(State(core): CoreState, Path(u): Path<String>) -> Result<StatusCode> {
    core.delete_universe(&u)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset(State(core): CoreState, Path(u): Path<String>) -> Result<Json<Value>> {
    let universe = core.universe(&u)?;
    universe.reset();
    Ok(Json(core.universe_object(&universe)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotName {
    name: String,
}

fn valid_snapshot_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

async fn take_snapshot(
    State(core): CoreState,
    Path(u): Path<String>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    let universe = core.universe(&u)?;
    let SnapshotName { name } = json_body(&headers, &body)?;
    if !valid_snapshot_name(&name) {
        return Err(ControlError::BadRequest("name must be 1-64 characters of A-Z, a-z, 0-9, '.', '-' and '_'".into()));
    }
    if name == "initial" {
        return Err(ControlError::Conflict("'initial' is reserved for the state the universe was created with".into()));
    }
    let snapshot = universe.take_snapshot(&name).map_err(|e| ControlError::LimitReached(e.to_string()))?;
    Ok((StatusCode::CREATED, Json(json!({"name": name, "created_at": snapshot.created_at}))).into_response())
}

async fn list_snapshots(State(core): CoreState, Path(u): Path<String>) -> Result<Json<Value>> {
    let universe = core.universe(&u)?;
    let list: Vec<Value> = universe
        .snapshot_list()
        .into_iter()
        .map(|(name, created_at)| json!({"name": name, "created_at": created_at}))
        .collect();
    Ok(Json(json!({ "snapshots": list })))
}

async fn restore_snapshot(State(core): CoreState, Path((u, name)): Path<(String, String)>) -> Result<Json<Value>> {
    let universe = core.universe(&u)?;
    let snapshot = universe.snapshot(&name).ok_or(ControlError::UnknownSnapshot(name))?;
    universe.replace_world(snapshot.world);
    Ok(Json(core.universe_object(&universe)))
}

/// The export, streamed: written from a snapshot of the universe (an O(1) copy) on a
/// blocking thread straight from the records into 64 KiB chunks, so memory stays flat
/// however large the universe is. The document is the one `Core::export` describes.
async fn export(State(core): CoreState, Path(u): Path<String>) -> Result<Response> {
    let universe = core.universe(&u)?;
    let world = universe.world();
    // The small header fields; serializing them cannot fail.
    fn json<T: serde::Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap_or_else(|_| "null".into())
    }
    let head = format!(
        "{{\"schema_version\":{},\"id\":{},\"fixture\":{},\"exported_at\":{},\"clock\":{},\"ids\":{},\"services\":{{",
        crate::SCHEMA_VERSION,
        json(&universe.id),
        json(&universe.fixture_name),
        json(&universe.now()),
        json(&universe.clock.state()),
        json(&world.ids),
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut out = ChunkWriter { tx, buf: Vec::with_capacity(CHUNK) };
        let written = (|| -> std::io::Result<()> {
            use std::io::Write;
            out.write_all(head.as_bytes())?;
            for (i, store) in world.stores().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                write!(out, "{sep}{}:", serde_json::Value::from(store.service()))?;
                store.export_to(&mut out).map_err(std::io::Error::other)?;
            }
            out.write_all(b"}}")?;
            out.flush()
        })();
        if let Err(e) = written {
            // The status is sent already: the client sees the body cut short.
            tracing::warn!(error = %e, "export stopped");
            let _ = out.tx.blocking_send(Err(e));
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Ok(([(CONTENT_TYPE, "application/json")], axum::body::Body::from_stream(stream)).into_response())
}

/// Chunk size of a streamed export.
const CHUNK: usize = 64 * 1024;

/// An `io::Write` that hands full chunks to an async body, waiting while the client
/// is slow (the channel holds a few chunks), and stops when the client goes away.
struct ChunkWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

async fn import(
    State(core): CoreState,
    Path(u): Path<String>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Json<Value>> {
    let universe = core.universe(&u)?;
    let export: Export = json_body(&headers, &body)?;
    core.import(&universe, export)?;
    Ok(Json(core.universe_object(&universe)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StateQuery {
    service: Option<String>,
}

async fn state(State(core): CoreState, Path(u): Path<String>, RawQuery(q): RawQuery) -> Result<Json<Value>> {
    let universe = core.universe(&u)?;
    let StateQuery { service } = query(q)?;
    if let Some(s) = &service {
        if core.twin(s).is_none() {
            return Err(ControlError::BadRequest(format!("service '{s}' is not a twin here")));
        }
    }
    let world = universe.world();
    let mut out = serde_json::Map::new();
    for store in world.stores() {
        if service.as_deref().is_none_or(|s| s == store.service()) {
            let value = store
                .export()
                .map_err(|e| ControlError::BadRequest(format!("{} state cannot be shown: {e}", store.service())))?;
            out.insert(store.service().to_string(), value);
        }
    }
    Ok(Json(Value::Object(out)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DiffQuery {
    since: Option<String>,
    service: Option<String>,
}

async fn diff(State(core): CoreState, Path(u): Path<String>, RawQuery(q): RawQuery) -> Result<Json<Value>> {
    let universe = core.universe(&u)?;
    let DiffQuery { since, service } = query(q)?;
    let since = since.unwrap_or_else(|| "initial".into());
    let earlier = universe.snapshot(&since).ok_or_else(|| ControlError::UnknownSnapshot(since.clone()))?;
    let mut services = universe.world().diff_from(&earlier.world);
    if let Some(s) = service {
        services.retain(|k, _| *k == s);
    }
    Ok(Json(json!({"since": since, "services": services})))
}

async fn journal(State(core): CoreState, Path(u): Path<String>, RawQuery(q): RawQuery) -> Result<Response> {
    let universe = core.universe(&u)?;
    let filter: Filter = query(q)?;
    let mut out = String::new();
    for entry in universe.journal.query(&filter) {
        if let Ok(line) = serde_json::to_string(&entry) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    Ok(([(CONTENT_TYPE, "application/x-ndjson")], out).into_response())
}

async fn get_clock(State(core): CoreState, Path(u): Path<String>) -> Result<Json<Value>> {
    Ok(Json(json!(core.universe(&u)?.clock.view())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    now: Option<DateTime<Utc>>,
    frozen: Option<bool>,
}

async fn set_clock(
    State(core): CoreState,
    Path(u): Path<String>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Json<Value>> {
    let universe = core.universe(&u)?;
    let SetClock { now, frozen } = json_body(&headers, &body)?;
    let current = universe.clock.view();
    universe.clock.set(now.unwrap_or(current.now), frozen.unwrap_or(current.frozen));
    Ok(Json(json!(universe.clock.view())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: f64,
}

async fn advance_clock(
    State(core): CoreState,
    Path(u): Path<String>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Json<Value>> {
    let universe = core.universe(&u)?;
    let Advance { seconds } = json_body(&headers, &body)?;
    // About 300 years either way: far enough for any scenario, near enough for chrono.
    if !seconds.is_finite() || seconds.abs() > 1e10 {
        return Err(ControlError::BadRequest("seconds must be a finite number within ±1e10".into()));
    }
    universe.clock.advance(chrono::Duration::milliseconds((seconds * 1000.0) as i64));
    Ok(Json(json!(universe.clock.view())))
}

/// Hands `/universes/{u}/{service}/{rest}` to the twin's own control router.
async fn twin_control(
    State(core): CoreState,
    Path((u, service, rest)): Path<(String, String, String)>,
    req: axum::extract::Request,
) -> Result<Response> {
    let universe = core.universe(&u)?;
    let twin = core.twin(&service).ok_or_else(|| ControlError::NotFound(format!("no twin named '{service}'")))?;
    let router =
        twin.control_router().ok_or_else(|| ControlError::NotFound(format!("{service} has no control endpoints")))?;
    let (mut parts, body) = req.into_parts();
    let path_and_query = match parts.uri.query() {
        Some(q) => format!("/{rest}?{q}"),
        None => format!("/{rest}"),
    };
    parts.uri = path_and_query.parse().map_err(|_| ControlError::BadRequest("malformed path".into()))?;
    let twin_url = core.endpoint(&service).unwrap_or_default();
    parts.extensions.insert(crate::twin::ControlCtx { universe, core: core.clone(), twin_url });
    let response = tower::ServiceExt::oneshot(router, axum::extract::Request::from_parts(parts, body))
        .await
        .unwrap_or_else(|never| match never {});
    Ok(response)
}

fn add_to(set: &RuleSet, core: &Core, headers: &HeaderMap, body: &Bytes) -> Result<Response> {
    let spec: RuleSpec = json_body(headers, body).map_err(|e| match e {
        ControlError::BadRequest(m) => ControlError::InvalidRule(m),
        other => other,
    })?;
    let view = set.add(spec, &core.services()).map_err(|e| match e {
        RuleError::Invalid(m) => ControlError::InvalidRule(m),
        RuleError::Full => ControlError::LimitReached(e.to_string()),
        RuleError::Duplicate(_) => ControlError::Conflict(e.to_string()),
    })?;
    Ok((StatusCode::CREATED, Json(json!(view))).into_response())
}

fn scoped(core: &Core, u: &str) -> Result<Arc<Universe>> {
    core.universe(u)
}

async fn add_global_rule(
    State(core): CoreState,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    add_to(&core.chaos, &core, &headers, &body)
}

async fn list_global_rules(State(core): CoreState) -> Json<Value> {
    Json(json!({"rules": core.chaos.list()}))
}

async fn clear_global_rules(State(core): CoreState) -> StatusCode {
    core.chaos.clear();
    StatusCode::NO_CONTENT
}

async fn delete_global_rule(State(core): CoreState, Path(id): Path<String>) -> Result<StatusCode> {
    if core.chaos.remove(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ControlError::UnknownRule(id))
    }
}

async fn add_rule(
    State(core): CoreState,
    Path(u): Path<String>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    let universe = scoped(&core, &u)?;
    add_to(&universe.chaos, &core, &headers, &body)
}

async fn list_rules(State(core): CoreState, Path(u): Path<String>) -> Result<Json<Value>> {
    Ok(Json(json!({"rules": scoped(&core, &u)?.chaos.list()})))
}

async fn clear_rules(State(core): CoreState, Path(u): Path<String>) -> Result<StatusCode> {
    scoped(&core, &u)?.chaos.clear();
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_rule(State(core): CoreState, Path((u, id)): Path<(String, String)>) -> Result<StatusCode> {
    if scoped(&core, &u)?.chaos.remove(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ControlError::UnknownRule(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::AUTHORIZATION, value.parse().expect("header"));
        headers
    }

    #[test]
    fn the_admin_token_is_read_from_bearer_or_the_basic_password() {
        assert_eq!(presented_admin_token(&with_auth("Bearer tok")).as_deref(), Ok("tok"));
        assert_eq!(presented_admin_token(&with_auth("bearer  tok ")).as_deref(), Ok("tok"));
        // "anyone:tok:with:colons" — the password is everything after the first colon.
        assert_eq!(
            presented_admin_token(&with_auth("Basic YW55b25lOnRvazp3aXRoOmNvbG9ucw==")).as_deref(),
            Ok("tok:with:colons")
        );
        assert_eq!(presented_admin_token(&with_auth("Basic OnRvaw==")).as_deref(), Ok("tok")); // ":tok"
        assert!(presented_admin_token(&with_auth("Basic dG9rOg==")).is_err()); // "tok:" (no password)
        assert!(presented_admin_token(&with_auth("Basic dG9r")).is_err()); // "tok" (no colon)
        assert!(presented_admin_token(&with_auth("Basic !!!")).is_err());
        assert!(presented_admin_token(&with_auth("Token tok")).is_err());
        assert!(presented_admin_token(&HeaderMap::new()).is_err());
    }
}
