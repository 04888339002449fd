//! The HTTP surface: `/api/{method}` and `/{method}` on every verb, and the upload URL
//! of `files.getUploadURLExternal`. Check order: unknown method, credential, token type
//! and scopes, then the method's own arguments.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use axum::body::Bytes;
use axum::extract::{Extension, Path, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::json;
use twin_core::RequestCtx;

use crate::delivery::ResponseRefused;
use crate::errors::{json_response, json_text_response, SlackError};
use crate::methods::{self, Call, Method, Reply};
use crate::model::{Actor, Revocation, SlackState, TokenKind, OAUTH_CLIENT_PRINCIPAL, OAUTH_PRINCIPAL};
use crate::wire::{boundary, multipart, parse_params};

/// The journal's name for the upload URL (it is not a Web API method).
pub const UPLOAD_OPERATION: &str = "files.upload_url";
pub const UPLOAD_PREFIX: &str = "/upload/v1/";
/// The journal's name for a `response_url` (`{universe_url}/response/v1/{secret}`).
pub const RESPONSE_OPERATION: &str = "response_url";
pub const RESPONSE_PREFIX: &str = "/response/v1/";
/// The journal's name for a list export's download URL (`slackLists.download.get`).
pub const EXPORT_OPERATION: &str = "files.list_export";

pub fn router() -> Router {
    Router::new()
        .route("/upload/v1/{secret}", any(upload))
        .route("/response/v1/{secret}", any(respond))
        .route("/files-pri/lists/{job}/{file}", any(list_export))
        .route("/link", any(crate::socket::link))
        .route("/link/", any(crate::socket::link))
        .merge(methods::oauth::router())
        // Web API calls (`/api/{method}`, or `/{method}` as some clients send them) are
        // told apart by their path here, not by a route with a parameter: a routed
        // parameter costs every call an allocation and a copy of the matched route.
        .fallback(web_api)
}

async fn web_api(request: Request) -> Response {
    match web_api_method(request.uri().path()) {
        Some(method) => api_method(method, request).await,
        None => not_found().await,
    }
}

/// The method a Web API path names: the one segment after `/api/`, or the only one.
fn web_api_method(path: &str) -> Option<String> {
    let name = path.strip_prefix("/api/").or_else(|| path.strip_prefix('/'))?;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    percent_encoding::percent_decode_str(name).decode_utf8().ok().map(|name| name.into_owned())
}

/// The operation name of a request path, when the twin routes it.
pub fn operation_name(path: &str) -> Option<String> {
    if path.starts_with(UPLOAD_PREFIX) {
        return Some(UPLOAD_OPERATION.to_string());
    }
    if path.starts_with(RESPONSE_PREFIX) {
        return Some(RESPONSE_OPERATION.to_string());
    }
    if path.starts_with(methods::lists::EXPORT_PREFIX) {
        return Some(EXPORT_OPERATION.to_string());
    }
    if path == "/link" || path == "/link/" {
        return Some(crate::socket::LINK_OPERATION.to_string());
    }
    if let Some(operation) = methods::oauth::operation_name(path) {
        return Some(operation.to_string());
    }
    let name = path.strip_prefix("/api/").or_else(|| path.strip_prefix('/'))?;
    methods::find(name).map(|m| m.name.to_string())
}

async fn not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, &json!({"ok": false, "error": "unknown_method"}))
}

/// Takes the request whole rather than through extractors: the context, headers and
/// URI are borrowed or moved, not copied, on the path every Web API call takes.
async fn api_method(method: String, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let Some(ctx) = parts.extensions.remove::<RequestCtx>() else { return SlackError::Internal.into_response() };
    let Some(method) = methods::find(&method) else {
        return SlackError::UnknownMethod(method).into_response();
    };
    // The pipeline has read and bounded the body already: this is its one buffer.
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return SlackError::Internal.into_response();
    };
    let (result, actor) = run(&ctx, method, &parts.headers, parts.uri.query(), &body);
    let mut response = match result {
        Ok(reply) => json_text_response(StatusCode::OK, reply.into_body()),
        Err(e) => json_response(StatusCode::OK, &e.body()),
    };
    if let Some(actor) = actor {
        let headers = response.headers_mut();
        if let Some(v) = scopes_header(&actor.scopes) {
            headers.insert("x-oauth-scopes", v);
        }
        headers.insert("x-accepted-oauth-scopes", method.accepted_header(actor.kind));
    }
    response
}

thread_local! {
    /// The last `x-oauth-scopes` value made on this thread and the scope list it was made
    /// from: a token's scopes are one shared list, so nearly every request reuses it
    /// (joining and checking some 60 scopes was a few percent of a `chat.postMessage`).
    static SCOPES_HEADER: RefCell<Option<(Weak<Vec<String>>, HeaderValue)>> = const { RefCell::new(None) };
}

fn scopes_header(scopes: &Arc<Vec<String>>) -> Option<HeaderValue> {
    SCOPES_HEADER.with(|kept| {
        let mut kept = kept.borrow_mut();
        if let Some((list, value)) = kept.as_ref() {
            if list.upgrade().is_some_and(|l| Arc::ptr_eq(&l, scopes)) {
                return Some(value.clone());
            }
        }
        let value = HeaderValue::from_str(&scopes.join(",")).ok()?;
        *kept = Some((Arc::downgrade(scopes), value.clone()));
        Some(value)
    })
}

/// Authenticates, checks scopes, and runs the method. Returns the actor once known, for
/// the scope headers.
fn run(
    ctx: &RequestCtx,
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> (Result<Reply, SlackError>, Option<Actor>) {
    // A request routed by an OAuth client id carries no token.
    let by_client_id = crate::wire::token(headers, query, body).is_none()
        && ctx.credential.is_some()
        && crate::wire::client_id(headers, query, body) == ctx.credential;
    let now = ctx.universe.now();
    // One read for who is calling and whether scheduled work is due: every call takes
    // it, so it takes the universe's lock once, not twice.
    let Ok((authenticated, due)) = ctx.universe.read::<SlackState, _>(|s| {
        let authenticated = if by_client_id { Err(SlackError::NotAuthed) } else { authenticate_in(ctx, s) };
        (authenticated, s.has_due_scheduled(now.timestamp()))
    }) else {
        return (Err(SlackError::Internal), None);
    };
    let (actor, anonymous) = match authenticated {
        Ok(a) => (a, false),
        // api.test and the OAuth exchanges answer callers without a (valid) token too.
        Err(_) if methods::misc::NO_TOKEN.contains(&method.name) => (Actor::anonymous(), true),
        Err(e) => return (Err(e), None),
    };
    let result = (|| {
        if !anonymous {
            check_scopes(method, &actor)?;
        }
        let mut params = parse_params(headers, query, body)?;
        if methods::misc::NO_TOKEN.contains(&method.name) {
            methods::oauth::take_basic_credentials(headers, &mut params);
        }
        if due {
            materialise_due(ctx, now)?;
        }
        let call = Call { ctx, params: &params, actor: actor.clone(), now };
        (method.handler)(&call)
    })();
    (result, (!anonymous).then_some(actor))
}

/// Who the credential speaks for.
fn authenticate(ctx: &RequestCtx) -> Result<Actor, SlackError> {
    ctx.universe.read::<SlackState, _>(|s| authenticate_in(ctx, s)).map_err(|_| SlackError::Internal)?
}

/// [`authenticate`] against a state the caller holds.
fn authenticate_in(ctx: &RequestCtx, s: &SlackState) -> Result<Actor, SlackError> {
    if ctx.credential.is_none() {
        return Err(SlackError::NotAuthed);
    }
    let principal = match &ctx.principal {
        Some(p) if p.service == "slack" && !ctx.universe.is_deleted() => p,
        _ => return Err(if ctx.credential_revoked { SlackError::TokenRevoked } else { SlackError::InvalidAuth }),
    };
    if principal.kind == OAUTH_CLIENT_PRINCIPAL {
        // An OAuth client id routes a token-less exchange; it is no token.
        return Err(SlackError::NotAuthed);
    }
    if !s.revoked_tokens.is_empty()
        && s.revoked_tokens.contains_key(&Revocation::key(&principal.kind, &principal.subject))
    {
        return Err(SlackError::TokenRevoked);
    }
    // Who the token acts as, and its scopes: the seeded tokens have their kind's
    // scopes; an OAuth exchange's tokens the scopes they were granted.
    let (kind, subject, scopes) = match principal.kind.as_str() {
        "bot" => (TokenKind::Bot, principal.subject.as_str(), s.scopes(TokenKind::Bot)),
        "user" => (TokenKind::User, principal.subject.as_str(), s.scopes(TokenKind::User)),
        "app" => (TokenKind::App, principal.subject.as_str(), s.scopes(TokenKind::App)),
        OAUTH_PRINCIPAL => {
            // Gone after a reset or restore to a state from before the exchange.
            let grant = s.oauth_tokens.get(&principal.subject).ok_or(SlackError::InvalidAuth)?;
            if grant.expires_at.is_some_and(|at| at <= ctx.universe.now().timestamp()) {
                return Err(SlackError::Code("token_expired"));
            }
            let kind = if grant.kind == "bot" { TokenKind::Bot } else { TokenKind::User };
            (kind, grant.user.as_str(), grant.scopes.clone())
        }
        _ => return Err(SlackError::InvalidAuth),
    };
    match kind {
        TokenKind::App => Ok(Actor {
            kind,
            user: String::new(),
            bot_id: None,
            app_id: Some(subject.to_string()),
            scopes,
            is_admin: false,
        }),
        TokenKind::Bot | TokenKind::User => {
            let user = s.users.get(subject).ok_or(SlackError::InvalidAuth)?;
            if user.deleted {
                return Err(SlackError::Code("account_inactive"));
            }
            let bot = s.bots.values().find(|b| b.user_id == user.id);
            Ok(Actor {
                kind,
                user: user.id.clone(),
                bot_id: if kind == TokenKind::Bot { bot.map(|b| b.id.clone()) } else { None },
                app_id: if kind == TokenKind::Bot { bot.map(|b| b.app_id.clone()) } else { None },
                scopes,
                is_admin: user.is_admin,
            })
        }
    }
}

/// Token type, then scopes: any one of the method's scopes for this token type will do.
fn check_scopes(method: &Method, actor: &Actor) -> Result<(), SlackError> {
    // App-level tokens only open Socket Mode connections (and may revoke themselves).
    let accepted = method.accepted(actor.kind);
    let Some(accepted) = accepted else { return Err(SlackError::NotAllowedTokenType) };
    if accepted.is_empty() || accepted.iter().any(|s| actor.has(s)) {
        return Ok(());
    }
    Err(SlackError::MissingScope { needed: accepted.join(","), provided: actor.scopes.join(",") })
}

/// Posts the scheduled messages and fires the reminders that are due (and raises their
/// events), lazily: on the next request after their time on the universe clock.
pub(crate) fn materialise_scheduled(ctx: &RequestCtx, now: chrono::DateTime<chrono::Utc>) -> Result<(), SlackError> {
    let due = ctx
        .universe
        .read::<SlackState, _>(|s| s.has_due_scheduled(now.timestamp()))
        .map_err(|_| SlackError::Internal)?;
    if due {
        materialise_due(ctx, now)?;
    }
    Ok(())
}

/// [`materialise_scheduled`] once a read has found something due.
fn materialise_due(ctx: &RequestCtx, now: chrono::DateTime<chrono::Utc>) -> Result<(), SlackError> {
    let secs = now.timestamp();
    let written =
        crate::delivery::write_and_publish::<_, std::convert::Infallible>(&ctx.universe, None, now, |s, ids| {
            s.materialise_scheduled(secs);
            s.fire_reminders(ids, secs);
            Ok(())
        });
    written.map_err(|_| SlackError::Internal)?.map_err(|never| match never {})
}

/// A list export's CSV, for a token of the person who asked for it (as Slack's private
/// file URLs want one).
async fn list_export(ctx: Option<Extension<RequestCtx>>, Path((job, _file)): Path<(String, String)>) -> Response {
    let Some(Extension(ctx)) = ctx else { return text_response(StatusCode::INTERNAL_SERVER_ERROR, "error".into()) };
    let Ok(actor) = authenticate(&ctx) else { return text_response(StatusCode::FORBIDDEN, "not_authed".into()) };
    let csv = ctx
        .universe
        .read::<SlackState, _>(|s| s.list_exports.get(&job).filter(|e| e.user == actor.user).map(|e| e.csv.clone()));
    match csv {
        Ok(Some(csv)) => {
            let mut response = (StatusCode::OK, csv).into_response();
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            response
        }
        _ => text_response(StatusCode::NOT_FOUND, "file_not_found".into()),
    }
}

fn text_response(status: StatusCode, text: String) -> Response {
    let mut response = (status, text).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// The app's bot, as an actor with the bot token's scopes.
pub(crate) fn bot_actor(s: &SlackState) -> Option<Actor> {
    let bot = s.bot()?;
    Some(Actor {
        kind: TokenKind::Bot,
        user: bot.user_id.clone(),
        bot_id: Some(bot.id.clone()),
        app_id: Some(bot.app_id.clone()),
        scopes: s.scopes(TokenKind::Bot),
        is_admin: false,
    })
}

/// A `response_url`, where Bolt's `respond()` posts: the app answers the person who ran
/// a command or clicked, as its bot: privately (the default), in the channel, or by
/// replacing or deleting the message clicked. Answers as Slack's webhooks do: `ok`, or
/// an error word with a 4xx.
async fn respond(
    ctx: Option<Extension<RequestCtx>>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(Extension(ctx)) = ctx else { return text_response(StatusCode::INTERNAL_SERVER_ERROR, "error".into()) };
    let target = match crate::delivery::hub(&ctx.universe).respond_to(&secret) {
        Ok(target) => target,
        Err(ResponseRefused::Expired) => return text_response(StatusCode::NOT_FOUND, "expired_url".into()),
        Err(ResponseRefused::Used) => return text_response(StatusCode::NOT_FOUND, "used_url".into()),
    };
    let Ok(mut params) = parse_params(&headers, None, &body) else {
        return text_response(StatusCode::BAD_REQUEST, "invalid_payload".into());
    };
    let Ok(Some(actor)) = ctx.universe.read::<SlackState, _>(bot_actor) else {
        return text_response(StatusCode::NOT_FOUND, "no_service".into());
    };
    params.set("channel", target.channel.clone());
    let handler: methods::Handler = match &target.message_ts {
        Some(ts) if params.flag("delete_original") => {
            params.set("ts", ts.clone());
            methods::chat::chat_delete
        }
        Some(ts) if params.flag("replace_original") => {
            params.set("ts", ts.clone());
            methods::chat::chat_update
        }
        _ if params.str("response_type").as_deref() == Some("in_channel") => methods::chat::chat_post_message,
        _ => {
            params.set("user", target.user.clone());
            methods::chat::chat_post_ephemeral
        }
    };
    let now = ctx.universe.now();
    let call = Call { ctx: &ctx, params: &params, actor, now };
    match handler(&call) {
        Ok(_) => text_response(StatusCode::OK, "ok".into()),
        Err(e) => text_response(StatusCode::BAD_REQUEST, e.code()),
    }
}

/// Largest upload kept in the state (bytes); bigger ones keep their size only.
pub const MAX_STORED_CONTENT: usize = 1024 * 1024;

/// Room for multipart framing around an upload's bytes (part headers, boundaries).
const MULTIPART_SLACK: u64 = 64 * 1024;

/// The most bytes the upload URL takes: Slack's 1 GB file limit (the same bound
/// `files.getUploadURLExternal` puts on `length`) plus multipart framing. The core
/// streams this body to the handler (`Twin::streams_body`) rather than buffering it.
pub const MAX_UPLOAD_BODY: u64 = crate::methods::files::MAX_UPLOAD as u64 + MULTIPART_SLACK;

/// The upload URL: raw bytes (any content type) or multipart with a part named `body`.
/// Answers exactly 200, as the SDKs require. The body is read as a stream: its size is
/// counted whatever it is (up to [`MAX_UPLOAD_BODY`]) and its bytes kept up to
/// [`MAX_STORED_CONTENT`]. An upload counts as received only once its whole body has
/// arrived: a body cut short leaves the upload waiting for its bytes, and
/// `files.completeUploadExternal` refuses it.
async fn upload(
    ctx: Option<Extension<RequestCtx>>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let Some(Extension(ctx)) = ctx else { return text_response(StatusCode::INTERNAL_SERVER_ERROR, "error".into()) };
    let known = ctx.universe.read::<SlackState, _>(|s| s.uploads.values().any(|u| u.secret == secret));
    if !matches!(known, Ok(true)) {
        return text_response(StatusCode::NOT_FOUND, "upload not found".into());
    }
    if twin_core::dispatch::declared_length(&headers).is_some_and(|n| n > MAX_UPLOAD_BODY) {
        return too_large();
    }
    let media = twin_core::wire::media_type(&headers).unwrap_or_default();
    let boundary = (media == "multipart/form-data").then(|| boundary(&headers)).flatten();
    let mut sink = UploadSink::default();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        let Ok(chunk) = chunk else {
            return text_response(StatusCode::BAD_REQUEST, "upload interrupted: the body was cut short".into());
        };
        if !sink.push(&chunk) {
            return too_large();
        }
    }
    let (size, data) = match &boundary {
        Some(b) => match sink.multipart_file(b) {
            Some(found) => found,
            None => return text_response(StatusCode::BAD_REQUEST, "missing part 'body'".into()),
        },
        None => sink.raw(),
    };
    let stored = ctx.universe.write::<SlackState, _>(|s, _| {
        let Some(mut upload) = s.uploads.values().find(|u| u.secret == secret).cloned() else { return false };
        upload.received = Some(size);
        match &data {
            Some(bytes) => {
                s.file_contents.insert(upload.file_id.clone(), crate::wire::base64_encode(bytes));
            }
            None => {
                s.file_contents.remove(&upload.file_id);
            }
        }
        s.uploads.insert(upload.file_id.clone(), upload);
        true
    });
    match stored {
        Ok(true) => text_response(StatusCode::OK, format!("OK - {size}")),
        _ => text_response(StatusCode::NOT_FOUND, "upload not found".into()),
    }
}

fn too_large() -> Response {
    text_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("file_upload_size_restricted: uploads are limited to {} bytes", crate::methods::files::MAX_UPLOAD),
    )
}

/// An upload body as it streams in: its size, its first bytes and its last ones.
#[derive(Default)]
struct UploadSink {
    total: u64,
    /// The first `HEAD_KEEP` bytes: the whole body when it is small, else the multipart
    /// part headers and the start of the data.
    head: Vec<u8>,
    /// The last `TAIL_KEEP` bytes (a multipart body's closing boundary).
    tail: std::collections::VecDeque<u8>,
}

const HEAD_KEEP: usize = MAX_STORED_CONTENT + MULTIPART_SLACK as usize;
const TAIL_KEEP: usize = 4096;

impl UploadSink {
    /// Takes a chunk; false once the body is over [`MAX_UPLOAD_BODY`].
    fn push(&mut self, chunk: &[u8]) -> bool {
        self.total = self.total.saturating_add(chunk.len() as u64);
        if self.total > MAX_UPLOAD_BODY {
            return false;
        }
        let room = HEAD_KEEP.saturating_sub(self.head.len());
        self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
        let tail_part = &chunk[chunk.len().saturating_sub(TAIL_KEEP)..];
        self.tail.extend(tail_part);
        while self.tail.len() > TAIL_KEEP {
            self.tail.pop_front();
        }
        true
    }

    fn complete(&self) -> bool {
        self.total as usize == self.head.len()
    }

    /// A raw body: its size, and its bytes when small enough to keep.
    fn raw(&self) -> (u64, Option<Vec<u8>>) {
        let keep = self.complete() && self.head.len() <= MAX_STORED_CONTENT;
        (self.total, keep.then(|| self.head.clone()))
    }

    /// A multipart body's file (the part named `body`, else the first with a filename):
    /// its size and, when small enough, its bytes. A body too big to hold whole must
    /// end with that part (as the SDKs send it).
    fn multipart_file(&self, boundary: &str) -> Option<(u64, Option<Vec<u8>>)> {
        if self.complete() {
            let parts = multipart(&self.head, boundary);
            let part =
                parts.iter().find(|p| p.name == "body").or_else(|| parts.iter().find(|p| p.filename.is_some()))?;
            let size = part.data.len() as u64;
            return Some((size, (part.data.len() <= MAX_STORED_CONTENT).then(|| part.data.clone())));
        }
        let delimiter = format!("--{boundary}");
        let start = file_part_start(&self.head, &delimiter)?;
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        let closing = format!("\r\n{delimiter}");
        let end_in_tail = tail.windows(closing.len()).rposition(|w| w == closing.as_bytes())?;
        let end = self.total - (tail.len() - end_in_tail) as u64;
        let size = end.checked_sub(start as u64)?;
        let data = (size as usize <= MAX_STORED_CONTENT && start + size as usize <= self.head.len())
            .then(|| self.head[start..start + size as usize].to_vec());
        Some((size, data))
    }
}

/// Where the file part's data starts in a multipart body's first bytes: after the
/// headers of the part named `body`, or of the first part with a filename.
fn file_part_start(head: &[u8], delimiter: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = head[from..].windows(delimiter.len()).position(|w| w == delimiter.as_bytes()) {
        let headers_start = from + at + delimiter.len();
        let headers_end = head[headers_start..].windows(4).position(|w| w == b"\r\n\r\n")? + headers_start;
        let part_headers = String::from_utf8_lossy(&head[headers_start..headers_end]).to_ascii_lowercase();
        if part_headers.contains("name=\"body\"") || part_headers.contains("filename=") {
            return Some(headers_end + 4);
        }
        from = headers_end;
    }
    None
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::http::header::CONTENT_TYPE;
    use serde_json::{json, Value};
    use twin_core::{Config, Core, CreateUniverse, Fixture, FixtureLibrary};

    use super::*;
    use crate::SlackTwin;

    fn setup() -> (Arc<Core>, Arc<twin_core::Universe>) {
        let mut library = FixtureLibrary::default();
        library.insert("small", Fixture::generated(12));
        let core = Arc::new(Core::new(Config::default(), vec![Arc::new(SlackTwin)], library, "small"));
        let universe = core.create_universe(CreateUniverse::default()).unwrap();
        (core, universe)
    }

    fn ctx(core: &Arc<Core>, universe: &Arc<twin_core::Universe>, kind: &str) -> RequestCtx {
        let token = universe.credential_of("slack", kind);
        RequestCtx {
            universe: universe.clone(),
            principal: token.as_deref().and_then(|t| universe.principal(t)),
            credential: token,
            credential_revoked: false,
            operation: None,
            base_url: "http://127.0.0.1:1".into(),
            origin: "http://127.0.0.1:1".into(),
            core: core.clone(),
        }
    }

    #[test]
    fn web_api_paths_name_their_method() {
        assert_eq!(web_api_method("/api/chat.postMessage").as_deref(), Some("chat.postMessage"));
        assert_eq!(web_api_method("/auth.test").as_deref(), Some("auth.test"));
        assert_eq!(web_api_method("/api").as_deref(), Some("api"));
        assert_eq!(web_api_method("/api/chat%2EpostMessage").as_deref(), Some("chat.postMessage"));
        for path in ["/", "/api/", "/api/chat.postMessage/", "/api/a/b", "/a/b", "/api/%FF"] {
            assert_eq!(web_api_method(path), None, "{path}");
        }
    }

    /// Every method, every token type, argument values of every wrong shape: always a
    /// Slack answer, never a panic.
    #[test]
    fn garbage_arguments_never_panic() {
        let (core, universe) = setup();
        let general =
            universe.read::<SlackState, _>(|s| s.channel_by_name("general").map(|c| c.id.clone())).unwrap().unwrap();
        let weird = [
            json!(""),
            json!("#"),
            json!("[{"),
            json!("{}"),
            json!("-1"),
            json!("99999999999999999999"),
            json!("1e308"),
            json!("\u{0}\u{ffff}é"),
            json!(true),
            json!(-7),
            json!(1.5),
            json!([1, {"a": null}]),
            json!({"type": 5}),
            json!(null),
            json!(general),
        ];
        let keys = [
            "channel",
            "channel_id",
            "ts",
            "timestamp",
            "thread_ts",
            "message_ts",
            "latest",
            "oldest",
            "limit",
            "cursor",
            "users",
            "user",
            "name",
            "text",
            "blocks",
            "attachments",
            "metadata",
            "post_at",
            "scheduled_message_id",
            "types",
            "query",
            "count",
            "page",
            "file",
            "files",
            "filename",
            "length",
            "title",
            "type",
            "link",
            "usergroup",
            "handle",
            "profile",
            "presence",
            "emoji",
            "bookmark_id",
            "team",
            "bot",
            "email",
            "topic",
            "purpose",
            "is_private",
            "inclusive",
            "return_im",
            "channels",
            "value",
            "markdown_text",
            "sort",
        ];
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for kind in ["bot", "user", "app"] {
            let ctx = ctx(&core, &universe, kind);
            for method in methods::METHODS.iter().filter(|m| m.name != "auth.revoke") {
                for (i, value) in weird.iter().enumerate() {
                    let mut body = serde_json::Map::new();
                    for (j, key) in keys.iter().enumerate() {
                        body.insert(key.to_string(), weird[(i + j) % weird.len()].clone());
                    }
                    body.insert("channel".into(), value.clone());
                    let bytes = serde_json::to_vec(&body).unwrap();
                    let (result, _) = run(&ctx, method, &headers, None, &bytes);
                    let body = match result {
                        Ok(v) => v.into_value(),
                        Err(e) => e.body(),
                    };
                    assert!(body.get("ok").is_some_and(Value::is_boolean), "{} {kind}: {body}", method.name);
                }
            }
        }
    }

    /// Runs `method` as `kind` with a JSON body; the `error` of the answer (`""` when ok).
    fn error_of(
        core: &Arc<Core>,
        universe: &Arc<twin_core::Universe>,
        kind: &str,
        method: &str,
        body: Value,
    ) -> String {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let bytes = serde_json::to_vec(&body).unwrap();
        let (result, _) = run(&ctx(core, universe, kind), methods::find(method).unwrap(), &headers, None, &bytes);
        match result {
            Ok(_) => String::new(),
            Err(e) => e.code(),
        }
    }

    /// The argument errors of the methods added for the SDKs' own tests, as the vendor
    /// specs name them.
    #[test]
    fn argument_errors_of_the_newer_methods() {
        let (core, universe) = setup();
        let general =
            universe.read::<SlackState, _>(|s| s.channel_by_name("general").map(|c| c.id.clone())).unwrap().unwrap();
        let cases: &[(&str, &str, Value, &str)] = &[
            ("bot", "api.test", json!({"error": "my_error"}), "my_error"),
            ("bot", "api.test", json!({"foo": "bar"}), ""),
            ("bot", "files.remote.add", json!({"external_id": "x", "title": "t"}), "invalid_arguments"),
            (
                "bot",
                "files.remote.add",
                json!({"external_id": "x".repeat(300), "title": "t",
              "external_url": "https://e.com"}),
                "invalid_external_id",
            ),
            (
                "bot",
                "files.remote.add",
                json!({"external_id": "x", "title": "t".repeat(300),
              "external_url": "https://e.com"}),
                "bad_title",
            ),
            ("user", "files.remote.add", json!({}), "not_allowed_token_type"),
            ("bot", "files.remote.info", json!({}), "invalid_args"),
            ("bot", "files.remote.info", json!({"file": "F1", "external_id": "x"}), "too_many_ids"),
            ("bot", "files.remote.remove", json!({"external_id": "nope"}), "file_not_found"),
            ("bot", "files.remote.share", json!({"external_id": "nope"}), "invalid_arguments"),
            ("bot", "files.remote.update", json!({"external_id": "x", "external_url": "nope"}), "invalid_url"),
            ("bot", "files.remote.update", json!({"external_id": "x", "title": " "}), "invalid_title"),
            ("bot", "files.remote.list", json!({"cursor": "!!"}), "invalid_cursor"),
            ("bot", "bookmarks.edit", json!({"bookmark_id": "Bk1"}), "channel_not_found"),
            ("bot", "bookmarks.edit", json!({"channel_id": general}), "invalid_arguments"),
            (
                "bot",
                "bookmarks.edit",
                json!({"channel_id": general, "bookmark_id": "Bk1", "link": "x"}),
                "invalid_link",
            ),
            ("bot", "bookmarks.edit", json!({"channel_id": general, "bookmark_id": "Bk1"}), "not_found"),
            ("bot", "users.setPhoto", json!({}), "not_allowed_token_type"),
            ("user", "users.setPhoto", json!({}), "bad_image"),
            ("bot", "canvases.create", json!({"document_content": {"type": "html"}}), "invalid_arguments"),
            ("bot", "canvases.create", json!({"channel_id": "C0NOPE"}), "channel_not_found"),
            ("bot", "canvases.edit", json!({"canvas_id": "F1"}), "invalid_arguments"),
            (
                "bot",
                "canvases.edit",
                json!({"canvas_id": "F1", "changes": [{"operation": "rename"}]}),
                "canvas_not_found",
            ),
            ("bot", "canvases.delete", json!({}), "invalid_arguments"),
            ("bot", "canvases.delete", json!({"canvas_id": "F1"}), "canvas_not_found"),
            (
                "bot",
                "canvases.access.set",
                json!({"canvas_id": "F1", "access_level": "admin",
              "user_ids": "U1"}),
                "invalid_arguments",
            ),
            ("bot", "canvases.access.set", json!({"canvas_id": "F1", "access_level": "read"}), "invalid_parameters"),
            ("bot", "canvases.access.delete", json!({"canvas_id": "F1"}), "invalid_parameters"),
            ("bot", "canvases.sections.lookup", json!({"canvas_id": "F1"}), "invalid_arguments"),
            (
                "bot",
                "canvases.sections.lookup",
                json!({"canvas_id": "F1", "criteria": {"section_types": ["h9"]}}),
                "invalid_arguments",
            ),
            (
                "bot",
                "canvases.sections.lookup",
                json!({"canvas_id": "F1", "criteria": {"contains_text": "x"}}),
                "canvas_not_found",
            ),
            ("bot", "conversations.canvases.create", json!({}), "channel_not_found"),
            ("bot", "calls.add", json!({"join_url": "https://x"}), "invalid_arguments"),
            (
                "bot",
                "calls.add",
                json!({"external_unique_id": "x", "join_url": "https://x", "date_start": -5}),
                "invalid_start_time",
            ),
            (
                "bot",
                "calls.add",
                json!({"external_unique_id": "x", "join_url": "https://x", "created_by": "U0"}),
                "invalid_created_by",
            ),
            ("bot", "calls.info", json!({}), "invalid_arguments"),
            ("bot", "calls.info", json!({"id": "R0"}), "invalid_call_id"),
            ("bot", "calls.end", json!({"id": "R0"}), "invalid_call_id"),
            ("bot", "calls.update", json!({"id": "R0"}), "invalid_call_id"),
            ("bot", "calls.participants.add", json!({"id": "R0"}), "invalid_arguments"),
            ("bot", "calls.participants.add", json!({"id": "R0", "users": "nope"}), "bad_users"),
            ("bot", "calls.participants.remove", json!({"id": "R0", "users": [{"slack_id": "U1"}]}), "invalid_call_id"),
            ("bot", "slackLists.create", json!({}), "invalid_arguments"),
            ("bot", "slackLists.create", json!({"name": "x".repeat(300)}), "over_title_length_maximum"),
            ("bot", "slackLists.create", json!({"name": "x", "schema": "nope"}), "invalid_schema"),
            (
                "bot",
                "slackLists.create",
                json!({"name": "x", "include_copied_list_records": true}),
                "missing_arg_copy_from_list_id",
            ),
            (
                "bot",
                "slackLists.create",
                json!({"name": "x", "schema": [{"key": "a", "type": "warp",
              "is_primary_column": true}]}),
                "invalid_column_type",
            ),
            ("bot", "slackLists.update", json!({"id": "F1"}), "missing_arguments"),
            ("bot", "slackLists.update", json!({"id": "F1", "name": "n"}), "list_not_found"),
            ("bot", "slackLists.items.create", json!({}), "invalid_arguments"),
            ("bot", "slackLists.items.create", json!({"list_id": "F1"}), "list_not_found"),
            ("bot", "slackLists.items.list", json!({"list_id": "F1", "cursor": "!!"}), "invalid_cursor"),
            ("bot", "slackLists.items.info", json!({"list_id": "F1"}), "invalid_arguments"),
            ("bot", "slackLists.items.update", json!({"list_id": "F1"}), "invalid_arguments"),
            ("bot", "slackLists.items.delete", json!({"list_id": "F1", "id": "Rec1"}), "list_not_found"),
            ("bot", "slackLists.items.deleteMultiple", json!({"list_id": "F1"}), "invalid_arguments"),
            ("bot", "slackLists.access.set", json!({"list_id": "F1", "access_level": "read"}), "invalid_parameters"),
            ("bot", "slackLists.download.start", json!({"list_id": "F1"}), "list_not_found"),
            ("bot", "slackLists.download.get", json!({"list_id": "F1"}), "invalid_arguments"),
            (
                "bot",
                "chat.postMessage",
                json!({"channel": general, "text": "x", "metadata": {"entities": "x"}}),
                "invalid_metadata_schema",
            ),
            (
                "bot",
                "chat.postMessage",
                json!({"channel": general, "text": "x", "metadata": {"entities": [
              {"entity_type": "slack#/entities/file", "entity_payload": {}}]}}),
                "",
            ),
            ("user", "dnd.setSnooze", json!({}), "missing_duration"),
            ("user", "dnd.setSnooze", json!({"num_minutes": "soon"}), "missing_duration"),
            ("user", "dnd.setSnooze", json!({"num_minutes": 100_000}), "too_long"),
            ("user", "dnd.endSnooze", json!({}), "snooze_end_failed"),
            ("user", "dnd.endDnd", json!({}), "not_in_dnd"),
            ("bot", "dnd.setSnooze", json!({"num_minutes": 5}), "not_allowed_token_type"),
            ("bot", "dnd.teamInfo", json!({}), "no_users_provided"),
            ("user", "reminders.add", json!({"time": "in 5 minutes"}), "invalid_arguments"),
            ("user", "reminders.add", json!({"text": "x", "time": "whenever"}), "cannot_parse"),
            ("user", "reminders.add", json!({"text": "x", "time": "1000000000"}), "cannot_parse"),
            ("user", "reminders.add", json!({"text": "x", "time": "60", "user": "U0NOPE"}), "user_not_found"),
            ("user", "reminders.add", json!({"text": "x", "time": "60", "user": "USLACKBOT"}), "cannot_add_slackbot"),
            (
                "user",
                "reminders.add",
                json!({"text": "x", "time": "60", "recurrence": {"frequency": "hourly"}}),
                "invalid_arguments",
            ),
            ("user", "reminders.info", json!({}), "invalid_arguments"),
            ("user", "reminders.info", json!({"reminder": "Rm0"}), "not_found"),
            ("user", "reminders.complete", json!({"reminder": "Rm0"}), "not_found"),
            ("user", "reminders.delete", json!({"reminder": "Rm0"}), "not_found"),
            ("bot", "reminders.list", json!({}), "not_allowed_token_type"),
            ("user", "stars.add", json!({}), "no_item_specified"),
            ("user", "stars.add", json!({"channel": general, "timestamp": "soon"}), "bad_timestamp"),
            ("user", "stars.add", json!({"channel": general, "timestamp": "1.000001"}), "message_not_found"),
            ("user", "stars.add", json!({"channel": "C0NOPE"}), "channel_not_found"),
            ("user", "stars.add", json!({"file": "F0NOPE"}), "file_not_found"),
            ("user", "stars.add", json!({"file_comment": "Fc1"}), "file_comment_not_found"),
            ("user", "stars.remove", json!({"channel": general}), "not_starred"),
            ("user", "stars.list", json!({"cursor": "!!"}), "invalid_cursor"),
            ("user", "team.accessLogs", json!({"page": 101}), "over_pagination_limit"),
            ("user", "team.accessLogs", json!({"limit": 5000}), "invalid_limit"),
            ("user", "team.accessLogs", json!({"team_id": "T0NOPE"}), "invalid_team_id"),
            ("bot", "team.accessLogs", json!({}), "not_allowed_token_type"),
            ("user", "team.billableInfo", json!({"user": "U0NOPE"}), "user_not_found"),
            ("user", "team.billableInfo", json!({"cursor": "!!"}), "invalid_cursor"),
            ("user", "team.integrationLogs", json!({"change_type": "exploded"}), "invalid_arguments"),
            ("bot", "team.profile.get", json!({"visibility": "secret"}), "invalid_arguments"),
            ("bot", "team.externalTeams.disconnect", json!({}), "invalid_arguments"),
            ("bot", "team.externalTeams.disconnect", json!({"target_team": "T1"}), "invalid_target_team"),
            ("bot", "auth.teams.list", json!({"limit": 5000}), "invalid_limit"),
            ("user", "users.identity", json!({}), "missing_scope"),
            ("bot", "users.discoverableContacts.lookup", json!({}), "invalid_arguments"),
            ("bot", "users.discoverableContacts.lookup", json!({"email": "a@b.c"}), "not_an_enterprise"),
            ("bot", "files.comments.delete", json!({"file": "F0NOPE", "id": "Fc1"}), "file_not_found"),
            ("bot", "files.comments.delete", json!({"file": "F0NOPE"}), "invalid_arguments"),
            ("user", "files.sharedPublicURL", json!({"file": "F0NOPE"}), "file_not_found"),
            ("bot", "files.sharedPublicURL", json!({"file": "F0NOPE"}), "not_allowed_token_type"),
            ("bot", "files.revokePublicURL", json!({}), "invalid_arguments"),
            ("user", "search.files", json!({}), "no_query"),
            ("user", "search.all", json!({"query": "x", "cursor": "!!"}), "invalid_cursor"),
            ("bot", "search.all", json!({"query": "x"}), "not_allowed_token_type"),
            ("bot", "assistant.threads.setStatus", json!({"channel_id": general, "status": "x"}), "invalid_arguments"),
            (
                "bot",
                "assistant.threads.setStatus",
                json!({"channel_id": general, "thread_ts": "1.000001",
              "status": "x"}),
                "invalid_thread_ts",
            ),
            (
                "bot",
                "assistant.threads.setStatus",
                json!({"thread_ts": "1.000001", "status": "x"}),
                "channel_not_found",
            ),
            (
                "bot",
                "assistant.threads.setTitle",
                json!({"channel_id": general, "thread_ts": "1.1"}),
                "invalid_arguments",
            ),
            (
                "bot",
                "assistant.threads.setSuggestedPrompts",
                json!({"channel_id": general, "prompts": [{"title": "t"}]}),
                "invalid_arguments",
            ),
            ("user", "assistant.threads.setTitle", json!({}), "not_allowed_token_type"),
            ("bot", "chat.startStream", json!({}), "channel_not_found"),
            ("bot", "chat.startStream", json!({"channel": general, "chunks": [{"text": 1}]}), "invalid_chunks"),
            ("bot", "chat.appendStream", json!({"channel": general, "ts": "1.000001"}), "no_text"),
            (
                "bot",
                "chat.appendStream",
                json!({"channel": general, "ts": "1.000001", "markdown_text": "x"}),
                "message_not_found",
            ),
            ("bot", "chat.stopStream", json!({"channel": general}), "invalid_arguments"),
            ("user", "chat.startStream", json!({"channel": general}), "not_allowed_token_type"),
            ("bot", "chat.unfurl", json!({"ts": "1.1", "unfurls": {}}), "missing_channel"),
            ("bot", "chat.unfurl", json!({"channel": general, "unfurls": {}}), "missing_ts"),
            ("bot", "chat.unfurl", json!({"channel": general, "ts": "1.1"}), "missing_unfurls"),
            ("bot", "chat.unfurl", json!({"channel": general, "ts": "1.1", "unfurls": "[1"}), "invalid_unfurls_format"),
            (
                "bot",
                "chat.unfurl",
                json!({"channel": general, "ts": "1.1", "unfurls": {"https://a": {}}}),
                "cannot_find_message",
            ),
            ("bot", "chat.unfurl", json!({"unfurl_id": "U1"}), "missing_source"),
            ("bot", "conversations.inviteShared", json!({"channel": general}), "invalid_arguments"),
            ("bot", "conversations.inviteShared", json!({"channel": general, "emails": "nope"}), "invalid_email"),
            (
                "bot",
                "conversations.inviteShared",
                json!({"channel": general, "emails": "x@partner.test"}),
                "cannot_share_mandatory_channel",
            ),
            (
                "bot",
                "conversations.inviteShared",
                json!({"channel": "C0NOPE", "emails": "x@partner.test"}),
                "channel_not_found",
            ),
            ("bot", "conversations.listConnectInvites", json!({"cursor": "!!"}), "invalid_cursor"),
            (
                "bot",
                "conversations.acceptSharedInvite",
                json!({"channel_name": "shared", "invite_id": "I1"}),
                "invite_not_found",
            ),
            (
                "bot",
                "conversations.acceptSharedInvite",
                json!({"channel_name": "Bad Name", "invite_id": "I1"}),
                "invalid_name_specials",
            ),
            ("bot", "conversations.approveSharedInvite", json!({}), "invalid_arguments"),
            ("bot", "conversations.declineSharedInvite", json!({"invite_id": "I1"}), "invite_not_found"),
            ("bot", "conversations.requestSharedInvite.approve", json!({"invite_id": "I1"}), "invite_not_found"),
            ("bot", "conversations.requestSharedInvite.deny", json!({"invite_id": "I1"}), "invite_not_found"),
            ("bot", "conversations.requestSharedInvite.list", json!({"user_id": "U0NOPE"}), "user_not_found"),
            (
                "bot",
                "conversations.externalInvitePermissions.set",
                json!({"channel": general, "target_team": "T1",
              "action": "explode"}),
                "invalid_action",
            ),
            (
                "bot",
                "conversations.externalInvitePermissions.set",
                json!({"channel": general, "target_team": "T1",
              "action": "upgrade"}),
                "invalid_target_team",
            ),
            ("user", "conversations.listConnectInvites", json!({}), "not_allowed_token_type"),
            ("bot", "views.open", json!({"trigger_id": "1.2.x"}), "invalid_arguments"),
            (
                "bot",
                "views.open",
                json!({"view": {"type": "modal", "title": {"type": "plain_text", "text": "t"},
              "blocks": []}}),
                "invalid_arguments",
            ),
            (
                "bot",
                "views.open",
                json!({"trigger_id": "1.2.x", "view": {"type": "modal",
              "title": {"type": "plain_text", "text": "t"}, "blocks": []}}),
                "invalid_trigger_id",
            ),
            (
                "bot",
                "views.open",
                json!({"trigger_id": "1.2.x", "view": {"type": "modal",
              "title": {"type": "plain_text", "text": "x".repeat(30)}, "blocks": []}}),
                "invalid_arguments",
            ),
            (
                "bot",
                "views.push",
                json!({"trigger_id": "1.2.x", "view": {"type": "modal",
              "title": {"type": "plain_text", "text": "t"}, "blocks": []}}),
                "invalid_trigger_id",
            ),
            ("bot", "views.update", json!({"view": {"type": "modal"}}), "invalid_arguments"),
            (
                "bot",
                "views.update",
                json!({"view_id": "V0", "view": {"type": "modal",
              "title": {"type": "plain_text", "text": "t"}, "blocks": []}}),
                "not_found",
            ),
            ("bot", "views.publish", json!({"view": {"type": "home", "blocks": []}}), "invalid_arguments"),
            (
                "bot",
                "views.publish",
                json!({"user_id": "U0NOPE", "view": {"type": "home", "blocks": []}}),
                "user_not_found",
            ),
            ("bot", "dialog.open", json!({"trigger_id": "1.2.x"}), "missing_dialog"),
            ("bot", "dialog.open", json!({"dialog": {"title": "t"}}), "missing_trigger"),
            (
                "bot",
                "dialog.open",
                json!({"trigger_id": "1.2.x", "dialog": {"title": "t", "callback_id": "c",
              "elements": [{"type": "text", "label": "l", "name": "n"}]}}),
                "invalid_trigger",
            ),
            ("bot", "dialog.open", json!({"trigger_id": "1.2.x", "dialog": {"title": "t"}}), "validation_errors"),
            ("bot", "functions.completeSuccess", json!({"function_execution_id": "Fx1"}), "invalid_arguments"),
            (
                "bot",
                "functions.completeSuccess",
                json!({"function_execution_id": "Fx1", "outputs": "[1]"}),
                "invalid_arguments",
            ),
            (
                "bot",
                "functions.completeSuccess",
                json!({"function_execution_id": "Fx1", "outputs": {}}),
                "function_execution_not_found",
            ),
            (
                "bot",
                "functions.completeError",
                json!({"function_execution_id": "Fx1", "error": "e"}),
                "function_execution_not_found",
            ),
            ("bot", "functions.workflows.steps.list", json!({"function_id": "Fn1"}), "unknown_function_id"),
            (
                "bot",
                "functions.workflows.steps.responses.export",
                json!({"step_id": "S1", "workflow_id": "Wf1"}),
                "unknown_workflow_id",
            ),
            ("bot", "functions.distributions.permissions.list", json!({}), "not_allowed_token_type"),
            ("user", "apps.manifest.export", json!({"app_id": "A1"}), "not_allowed_token_type"),
            ("bot", "apps.datastore.get", json!({"datastore": "d", "id": "1"}), "missing_scope"),
            ("bot", "workflows.triggers.permissions.list", json!({"trigger_id": "Ft1"}), "missing_scope"),
            ("bot", "workflows.featured.list", json!({}), "invalid_arguments"),
            ("bot", "workflows.featured.list", json!({"channel_ids": "C0NOPE"}), "channel_not_found"),
            (
                "bot",
                "workflows.featured.add",
                json!({"channel_id": general, "trigger_ids": "Ft1"}),
                "error_modifying_workflows",
            ),
            ("bot", "entity.presentDetails", json!({}), "invalid_arguments"),
            ("bot", "entity.presentDetails", json!({"trigger_id": "1.2.x"}), "invalid_trigger_id"),
            ("bot", "agents.sessions.setStatus", json!({"channel_id": general, "status": "x"}), "feature_disabled"),
            ("bot", "agents.sessions.rename", json!({"title": "x"}), "channel_not_found"),
            ("app", "apps.event.authorizations.list", json!({}), "invalid_arguments"),
            ("app", "apps.event.authorizations.list", json!({"event_context": "4-!!"}), "invalid_event_context"),
            (
                "app",
                "apps.event.authorizations.list",
                json!({"event_context": format!("4-{}",
              crate::wire::base64_encode(br#"{"aid":"A0OTHER","tid":"T1"}"#))}),
                "auth_mismatch",
            ),
            ("bot", "apps.event.authorizations.list", json!({"event_context": "4-x"}), "not_allowed_token_type"),
            ("user", "openid.connect.userInfo", json!({}), "missing_scope"),
            ("bot", "assistant.search.context", json!({}), "missing_query"),
            ("bot", "assistant.search.context", json!({"query": "x".repeat(600)}), "query_too_long"),
            ("bot", "assistant.search.context", json!({"query": "x", "channel_types": "nope"}), "invalid_arguments"),
            ("bot", "assistant.search.info", json!({}), ""),
            ("bot", "oauth.v2.access", json!({"client_id": "1.2", "code": "c"}), "invalid_client_id"),
            ("bot", "oauth.v2.exchange", json!({"client_id": "1.2"}), "invalid_arguments"),
            ("bot", "apps.uninstall", json!({"client_id": "1.2"}), "invalid_arguments"),
            ("bot", "apps.uninstall", json!({"client_id": "1.2", "client_secret": "s"}), "invalid_client_id"),
            ("bot", "apps.auth.external.get", json!({"external_token_id": "Et1"}), "token_not_found"),
            ("bot", "apps.auth.external.delete", json!({"provider_key": "google"}), "providers_not_found"),
            ("bot", "apps.auth.external.delete", json!({}), "no_tokens_found"),
            (
                "user",
                "apps.user.connection.update",
                json!({"user_id": "U0NOPE", "status": "connected"}),
                "user_not_found",
            ),
            (
                "user",
                "apps.user.connection.update",
                json!({"user_id": "U0NOPE", "status": "maybe"}),
                "invalid_arguments",
            ),
            ("bot", "rtm.connect", json!({}), "not_allowed_token_type"),
            ("user", "rtm.start", json!({}), "not_allowed_token_type"),
        ];
        for (kind, method, body, expected) in cases {
            assert_eq!(error_of(&core, &universe, kind, method, body.clone()), *expected, "{method} {body}");
        }
    }

    /// The argument errors of the OAuth exchanges, apps.activities.list, apps.icon.set and
    /// blocks.validate, for a user token holding their scopes and the app's own client.
    #[test]
    fn argument_errors_of_the_oauth_and_app_methods() {
        let (core, universe) = setup();
        let user_token = ctx(&core, &universe, "user");
        let owner = user_token.principal.clone().unwrap().subject;
        let (app, secret) = universe
            .write::<SlackState, _>(|s, _| {
                let scopes = ["hosting:read", "app_configurations:write"].map(String::from).to_vec();
                s.token_scopes.insert("user".into(), Arc::new(scopes));
                if let Some(user) = s.users.get_mut(&owner) {
                    user.is_admin = true;
                }
                (s.bot().unwrap().app_id.clone(), s.app().unwrap().client_secret.clone())
            })
            .unwrap();
        let client = universe.credential_of("slack", crate::model::OAUTH_CLIENT_PRINCIPAL).unwrap();
        let bot_token = universe.credential_of("slack", "bot").unwrap();
        let exchange = |extra: Value| {
            let mut body = json!({"client_id": client, "client_secret": secret});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        let cases: Vec<(&str, &str, Value, &str)> = vec![
            ("bot", "oauth.v2.access", exchange(json!({"client_secret": "wrong", "code": "c"})), "bad_client_secret"),
            ("bot", "oauth.v2.access", exchange(json!({"code": "nope"})), "invalid_code"),
            ("bot", "oauth.v2.access", exchange(json!({})), "invalid_code"),
            ("bot", "oauth.v2.access", exchange(json!({"code": "c", "grant_type": "password"})), "invalid_grant_type"),
            ("bot", "oauth.v2.access", exchange(json!({"grant_type": "refresh_token"})), "invalid_refresh_token"),
            ("bot", "oauth.v2.user.access", exchange(json!({"code": "nope"})), "invalid_code"),
            ("bot", "oauth.access", exchange(json!({"client_secret": "x", "code": "c"})), "bad_client_secret"),
            ("bot", "openid.connect.token", exchange(json!({"grant_type": "implicit"})), "unsupported_grant_type"),
            ("bot", "openid.connect.token", exchange(json!({"code": "nope"})), "invalid_code"),
            ("bot", "oauth.v2.exchange", exchange(json!({"token": "xoxb-nope"})), "invalid_token"),
            ("bot", "oauth.v2.exchange", exchange(json!({"token": bot_token})), "token_rotation_not_enabled"),
            ("bot", "oauth.v2.exchange", exchange(json!({"client_secret": "x", "token": "t"})), "bad_client_secret"),
            ("bot", "apps.uninstall", exchange(json!({"client_secret": "x"})), "bad_client_secret"),
            ("bot", "apps.activities.list", json!({"app_id": app}), "not_allowed_token_type"),
            ("user", "apps.activities.list", json!({}), "invalid_args"),
            ("user", "apps.activities.list", json!({"app_id": "not-an-app"}), "invalid_app_id"),
            ("user", "apps.activities.list", json!({"app_id": "A0OTHER"}), "invalid_app"),
            ("user", "apps.activities.list", json!({"app_id": app, "min_log_level": "loud"}), "invalid_args"),
            ("user", "apps.activities.list", json!({"app_id": app, "source": "elsewhere"}), "invalid_args"),
            ("user", "apps.activities.list", json!({"app_id": app, "component_type": "x"}), "invalid_args"),
            ("user", "apps.activities.list", json!({"app_id": app, "sort_direction": "up"}), "invalid_args"),
            ("user", "apps.activities.list", json!({"app_id": app, "limit": "many"}), "invalid_args"),
            ("user", "apps.activities.list", json!({"app_id": app, "team_id": "T0OTHER"}), "invalid_args"),
            ("user", "apps.activities.list", json!({"app_id": app, "cursor": "bG9nOjE="}), "invalid_cursor"),
            ("user", "apps.activities.list", json!({"app_id": app, "min_log_level": "warn"}), ""),
            ("bot", "apps.icon.set", json!({"app_id": app, "url": "https://e.com/i.png"}), "not_allowed_token_type"),
            ("user", "apps.icon.set", json!({}), "invalid_arguments"),
            ("user", "apps.icon.set", json!({"app_id": "x"}), "invalid_app_id"),
            ("user", "apps.icon.set", json!({"app_id": "A0OTHER", "url": "https://e.com/i.png"}), "invalid_app"),
            ("user", "apps.icon.set", json!({"app_id": app}), "missing_arguments"),
            (
                "user",
                "apps.icon.set",
                json!({"app_id": app, "url": "https://e.com/i.png", "file": "x"}),
                "invalid_parameters",
            ),
            ("user", "apps.icon.set", json!({"app_id": app, "url": "ftp://e.com/i.png"}), "icon_not_accessible"),
            ("user", "apps.icon.set", json!({"app_id": app, "file": "not an image"}), "error_bad_format"),
            ("user", "apps.icon.set", json!({"app_id": app, "url": "https://e.com/i.png"}), ""),
            ("bot", "blocks.validate", json!({}), "invalid_arguments"),
            ("bot", "blocks.validate", json!({"blocks": "[{"}), "invalid_arguments"),
            ("bot", "blocks.validate", json!({"blocks": "[]", "view": "{}"}), "invalid_arguments"),
            ("bot", "blocks.validate", json!({"blocks": [{"type": "nope"}]}), "invalid_blocks"),
            ("bot", "blocks.validate", json!({"view": {"type": "modal", "blocks": []}}), "invalid_view"),
            ("bot", "blocks.validate", json!({"message": {}}), "invalid_message"),
            ("user", "blocks.validate", json!({"blocks": [{"type": "divider"}]}), ""),
        ];
        for (kind, method, body, expected) in &cases {
            assert_eq!(error_of(&core, &universe, kind, method, body.clone()), *expected, "{method} {body}");
        }
    }

    /// users.identity answers with what the token's `identity.*` scopes open.
    #[test]
    fn users_identity_follows_identity_scopes() {
        let (core, universe) = setup();
        let scopes = ["identity:read", "identity.email", "identity.team"].map(String::from).to_vec();
        universe
            .write::<SlackState, _>(|s, _| {
                s.token_scopes.insert("user".into(), Arc::new(scopes));
            })
            .unwrap();
        let (result, _) =
            run(&ctx(&core, &universe, "user"), methods::find("users.identity").unwrap(), &HeaderMap::new(), None, b"");
        let body = result.unwrap().into_value();
        assert!(body["user"]["email"].as_str().is_some_and(|e| e.contains('@')), "{body}");
        assert!(body["team"]["domain"].is_string() && body["user"].get("image_24").is_none(), "{body}");
    }

    #[test]
    fn api_test_needs_no_token() {
        let (core, universe) = setup();
        let mut anonymous = ctx(&core, &universe, "bot");
        anonymous.credential = None;
        anonymous.principal = None;
        let (result, actor) = run(&anonymous, methods::find("api.test").unwrap(), &HeaderMap::new(), Some("a=1"), b"");
        assert_eq!(result.unwrap().into_value(), json!({"ok": true, "args": {"a": "1"}}));
        assert!(actor.is_none());
        let (result, _) = run(&anonymous, methods::find("auth.test").unwrap(), &HeaderMap::new(), None, b"");
        assert_eq!(result.unwrap_err(), SlackError::NotAuthed);
        let (result, _) =
            run(&anonymous, methods::find("oauth.v2.access").unwrap(), &HeaderMap::new(), Some("code=x"), b"");
        assert_eq!(result.unwrap_err(), SlackError::Code("invalid_client_id"));
    }

    #[test]
    fn unknown_and_known_operations() {
        assert_eq!(operation_name("/api/chat.postMessage").as_deref(), Some("chat.postMessage"));
        assert_eq!(operation_name("/chat.postMessage").as_deref(), Some("chat.postMessage"));
        assert_eq!(operation_name("/api/chat.nope"), None);
        assert_eq!(operation_name("/upload/v1/abc").as_deref(), Some(UPLOAD_OPERATION));
        assert_eq!(operation_name("/files-pri/lists/Le1/F1.csv").as_deref(), Some(EXPORT_OPERATION));
    }

    #[test]
    fn scope_checks_by_token_type() {
        let (core, universe) = setup();
        let bot = authenticate(&ctx(&core, &universe, "bot")).unwrap();
        let user = authenticate(&ctx(&core, &universe, "user")).unwrap();
        let find = |n| methods::find(n).unwrap();
        assert_eq!(check_scopes(find("search.messages"), &bot), Err(SlackError::NotAllowedTokenType));
        assert!(check_scopes(find("search.messages"), &user).is_ok());
        assert!(matches!(check_scopes(find("users.setPresence"), &bot), Err(SlackError::MissingScope { .. })));
        let mut none = bot.clone();
        none.scopes = Default::default();
        assert!(check_scopes(find("auth.test"), &none).is_ok());
        assert!(matches!(check_scopes(find("chat.postMessage"), &none), Err(SlackError::MissingScope { .. })));
        let mut anonymous = ctx(&core, &universe, "bot");
        anonymous.credential = None;
        assert_eq!(authenticate(&anonymous), Err(SlackError::NotAuthed));
        anonymous.credential = Some("xoxb-small-nope".into());
        anonymous.principal = None;
        assert_eq!(authenticate(&anonymous), Err(SlackError::InvalidAuth));
    }
}
