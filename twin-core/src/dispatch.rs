//! The pipeline every twin request goes through before and after the twin's handler:
//! pick the universe, resolve the credential, run chaos and rate limits, journal it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST};
use axum::http::{HeaderValue, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;

use crate::chaos::{Action, Decision, RequestFacts};
use crate::journal::{capped_body, Entry, ResponseBody};
use crate::metrics::{FaultLabels, RequestLabels, ServiceLabels};
use crate::twin::{Fault, RequestCtx, Twin};
use crate::Universe;
use crate::{ControlError, Core};

/// The header a harness uses to pick a universe.
pub const UNIVERSE_HEADER: &str = "x-dtu-universe";

/// Put in a response's extensions to have the server drop the connection instead of
/// answering (chaos `reset` and `hang`).
#[derive(Debug, Clone, Copy)]
pub struct AbortConnection;

pub struct TwinService {
    pub core: Arc<Core>,
    pub twin: Arc<dyn Twin>,
}

/// Splits a `/u/{id}/rest` path into the universe id and `/rest`.
fn universe_prefix(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/u/")?;
    match rest.find('/') {
        Some(i) => Some((&rest[..i], &rest[i..])),
        None => Some((rest, "/")),
    }
}

fn rewrite_path(uri: &Uri, new_path: &str) -> Option<Uri> {
    let path_and_query = match uri.query() {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path.to_string(),
    };
    path_and_query.parse().ok()
}

pub async fn dispatch(State(svc): State<Arc<TwinService>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let (core, twin) = (&svc.core, &svc.twin);
    let service = twin.service();
    let (mut parts, body) = req.into_parts();

    // 1. Which universe: a /u/{id}/ prefix, then the header, then the credential.
    let mut selected = None;
    let mut prefix = String::new();
    if let Some((id, rest)) = universe_prefix(parts.uri.path()) {
        let (id, rest) = (id.to_string(), rest.to_string());
        match rewrite_path(&parts.uri, &rest) {
            Some(uri) => parts.uri = uri,
            None => return ControlError::BadRequest("malformed path".into()).into_response(),
        }
        prefix = format!("/u/{id}");
        selected = Some(id);
    }
    if selected.is_none() {
        selected = parts.headers.get(UNIVERSE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
    }

    let operation = twin.operation(&parts.method, parts.uri.path());
    let streamed = operation.as_deref().is_some_and(|op| twin.streams_body(op));
    let (bytes, body) = if streamed {
        (Bytes::new(), Body::from_stream(guarded_stream(body)))
    } else {
        match read_body(&parts.headers, body, core.config.max_body_bytes).await {
            Ok(bytes) => (bytes.clone(), Body::from(bytes)),
            Err(e) => {
                return twin.render_fault_for(&Fault::Error { status: e.status(), error: None }, operation.as_deref())
            }
        }
    };
    let credential = twin.credential(&parts.headers, parts.uri.query(), &bytes);
    let universe = match &selected {
        Some(id) => core.universe(id),
        None => match credential.as_deref().and_then(|t| core.universe_of_token(t)) {
            Some(u) => Ok(u),
            None => core.universe("default"),
        },
    };
    let universe = match universe {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let principal = credential.as_deref().and_then(|t| universe.principal(t));
    let path = parts.uri.path().to_string();
    let method = parts.method.to_string();
    let query = parts.uri.query().map(str::to_string);

    // 2. Chaos: the universe's rules, then the global ones.
    let facts = RequestFacts {
        service,
        operation: operation.as_deref(),
        method: &method,
        path: &path,
        principal: principal.as_ref().map(|p| p.subject.as_str()),
    };
    let mut decision = Decision::default();
    universe.chaos.decide(&facts, &universe, &mut decision);
    core.chaos.decide(&facts, &universe, &mut decision);
    // The journal names the rule and its action; metrics count by action kind.
    let mut fault = decision.action.as_ref().map(|(id, a)| (format!("{id}:{}", a.kind()), a.kind()));

    // 3. Realistic rate limits, when no rule already decided the answer.
    let mut limited = None;
    if decision.action.is_none() && core.config.realistic_limits {
        let limits = operation.as_deref().map(|op| twin.rate_limits(op, &path)).unwrap_or_default();
        let who = principal.as_ref().map_or("anonymous", |p| p.subject.as_str());
        for limit in limits {
            let bucket_owner = if limit.shared { "" } else { who };
            if let Err(retry_after_s) = universe.buckets.take(bucket_owner, &limit, universe.now()) {
                fault = Some((format!("rate_limit:{}", limit.class), "rate_limit"));
                limited = Some(Fault::RateLimited { retry_after_s, class: limit.class });
                break;
            }
        }
    }

    // 4. The state budget: a full universe refuses what would add to it, as its vendor
    //    refuses a full quota. Deletions always pass, so a full universe can be emptied.
    let mut over_budget = false;
    if decision.action.is_none()
        && limited.is_none()
        && twin.grows_state(&parts.method, operation.as_deref())
        && universe.at_record_budget(core.config.state_budget_records)
        && !frees_state(&parts.method, operation.as_deref())
    {
        fault = Some(("state_budget".into(), "state_budget"));
        over_budget = true;
    }

    if decision.delay_ms > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(decision.delay_ms / 1000.0)).await;
    }

    let origin = match parts.headers.get(HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}"),
        None => core.endpoint(service).unwrap_or_default(),
    };
    let credential_revoked = principal.is_none() && credential.as_deref().is_some_and(|t| universe.is_revoked(t));
    parts.extensions.insert(RequestCtx {
        universe: universe.clone(),
        principal: principal.clone(),
        credential,
        credential_revoked,
        operation: operation.clone(),
        base_url: format!("{origin}{prefix}"),
        origin,
        core: core.clone(),
    });
    let request_body = capped_body(&bytes);
    // A write waits its turn in the universe's queue, not parked on the state's lock.
    let turns = (twin.writes_take_turns() && twin.grows_state(&parts.method, operation.as_deref()))
        .then_some(universe.as_ref());
    let req = Request::from_parts(parts, body);

    let response = match (limited, decision.action) {
        _ if over_budget => twin.render_state_budget_exceeded(),
        (Some(fault), _) => twin.render_fault_for(&fault, operation.as_deref()),
        (None, Some((_, action))) => apply(action, twin.as_ref(), operation.as_deref(), turns, req, next).await,
        (None, None) => run_handler(turns, req, next).await,
    };

    let aborted = response.extensions().get::<AbortConnection>().is_some();
    let status = if aborted { 0 } else { response.status().as_u16() };
    let (response, response_body) = if aborted { (response, None) } else { capture_response(response).await };
    let retry_after_s = response
        .headers()
        .get(axum::http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let elapsed = started.elapsed();
    let operation_label = operation.clone().unwrap_or_else(|| "unmatched".into());
    if let Some((_, kind)) = &fault {
        core.metrics.faults.get_or_create(&FaultLabels { service, kind }).inc();
    }
    core.metrics.requests.get_or_create(&RequestLabels { service, operation: operation_label, status }).inc();
    core.metrics.latency.get_or_create(&ServiceLabels { service }).observe(elapsed.as_secs_f64());
    universe.journal.record(Entry {
        seq: 0,
        time: universe.now(),
        service: service.to_string(),
        matched: operation.is_some(),
        operation: operation.unwrap_or_else(|| path.clone()),
        method,
        path,
        query,
        principal: principal.map(|p| p.subject),
        request_body,
        status,
        latency_ms: elapsed.as_secs_f64() * 1000.0,
        fault: fault.map(|(label, _)| label),
        retry_after_s,
        response: response_body,
    });
    response
}

/// The answer's body for the journal, without copying it: a body of known length
/// that is text is taken whole (a buffered answer is one `Bytes`, so this is a
/// reference count) and handed back as the same bytes; binary bodies are journaled
/// by size and type, streamed ones by type, and neither is read.
async fn capture_response(response: Response) -> (Response, Option<ResponseBody>) {
    use axum::body::HttpBody as _;
    let content_type = response.headers().get(CONTENT_TYPE).cloned();
    match response.body().size_hint().exact() {
        Some(0) => (response, None),
        None => (response, Some(ResponseBody::streamed(content_type))),
        Some(size) if !crate::journal::is_text(content_type.as_ref()) => {
            (response, Some(ResponseBody::binary(content_type, size)))
        }
        Some(_) => {
            let (parts, body) = response.into_parts();
            match axum::body::to_bytes(body, usize::MAX).await {
                Ok(bytes) => {
                    let kept = ResponseBody::text(content_type, &bytes);
                    (Response::from_parts(parts, Body::from(bytes)), Some(kept))
                }
                // The body failed while read: the client sees it fail the same way.
                Err(e) => {
                    tracing::debug!(error = %e, "response body failed while journaled");
                    let failed = futures_util::stream::once(async move { Err::<Bytes, _>(e) });
                    (Response::from_parts(parts, Body::from_stream(failed)), Some(ResponseBody::streamed(content_type)))
                }
            }
        }
    }
}

/// How long a request body may go without a byte arriving.
pub const BODY_STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a whole request body may take to arrive.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(300);

/// Why a request body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Announced or found larger than the cap: 413 at once, before reading it.
    #[error("request body too large")]
    TooLarge,
    /// Cut short (the client closed before `Content-Length` bytes) or badly chunked.
    #[error("malformed or truncated request body")]
    Malformed,
    /// No byte for [`BODY_STALL_TIMEOUT`], or not all of it within [`BODY_TIMEOUT`].
    #[error("request body stalled")]
    Stalled,
}

impl BodyError {
    pub fn status(self) -> u16 {
        match self {
            BodyError::TooLarge => 413,
            BodyError::Malformed => 400,
            BodyError::Stalled => 408,
        }
    }
}

/// The body's announced length, when it has a valid one.
pub fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// Reads a whole request body of at most `limit` bytes. A larger announced length is
/// refused before a byte is read, so a client announcing a huge body it never sends
/// gets its 413 at once.
pub async fn read_body(headers: &axum::http::HeaderMap, body: Body, limit: usize) -> Result<Bytes, BodyError> {
    if declared_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut frames = std::pin::pin!(guarded_stream(body));
    let mut first: Option<Bytes> = None;
    let mut rest: Option<bytes::BytesMut> = None;
    let mut len = 0usize;
    while let Some(chunk) = frames.next().await {
        let chunk = chunk?;
        len = len.saturating_add(chunk.len());
        if len > limit {
            return Err(BodyError::TooLarge);
        }
        match (&first, &mut rest) {
            (None, _) => first = Some(chunk),
            (Some(head), None) => {
                let mut buf = bytes::BytesMut::with_capacity(len);
                buf.extend_from_slice(head);
                buf.extend_from_slice(&chunk);
                rest = Some(buf);
            }
            (Some(_), Some(buf)) => buf.extend_from_slice(&chunk),
        }
    }
    Ok(match (first, rest) {
        (_, Some(buf)) => buf.freeze(),
        (Some(head), None) => head,
        (None, None) => Bytes::new(),
    })
}

/// A request body as a stream of data chunks that ends in an error when the body is
/// malformed or stalls ([`BODY_STALL_TIMEOUT`] without a byte, [`BODY_TIMEOUT`] in all).
pub fn guarded_stream(body: Body) -> impl futures_util::Stream<Item = Result<Bytes, BodyError>> + Send {
    let deadline = tokio::time::Instant::now() + BODY_TIMEOUT;
    futures_util::stream::unfold(Some(body.into_data_stream()), move |state| async move {
        let mut stream = state?;
        let wait = deadline.saturating_duration_since(tokio::time::Instant::now()).min(BODY_STALL_TIMEOUT);
        match tokio::time::timeout(wait, stream.next()).await {
            Err(_) => Some((Err(BodyError::Stalled), None)),
            Ok(None) => None,
            Ok(Some(Err(_))) => Some((Err(BodyError::Malformed), None)),
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(stream))),
        }
    })
}

/// Calls that only take state away, which a universe past its budget still accepts.
fn frees_state(method: &axum::http::Method, operation: Option<&str>) -> bool {
    if *method == axum::http::Method::DELETE {
        return true;
    }
    let op = operation.unwrap_or_default().as_bytes();
    ["delete", "remove", "revoke", "clear", "trash"]
        .iter()
        .any(|w| op.windows(w.len()).any(|part| part.eq_ignore_ascii_case(w.as_bytes())))
}

/// Runs the twin's handler, in the universe's write turn when `turns` names it (only
/// the handler: a chaos delay or hang never holds up the universe's other writers).
async fn run_handler(turns: Option<&Universe>, req: Request, next: Next) -> Response {
    let _turn = match turns {
        Some(universe) => Some(universe.write_turn().await),
        None => None,
    };
    next.run(req).await
}

/// Carries out the fault a rule chose.
async fn apply(
    action: Action,
    twin: &dyn Twin,
    operation: Option<&str>,
    turns: Option<&Universe>,
    req: Request,
    next: Next,
) -> Response {
    match action {
        Action::RateLimit { retry_after_s } => {
            twin.render_fault_for(&Fault::RateLimited { retry_after_s, class: String::new() }, operation)
        }
        Action::Error { status, error } => twin.render_fault_for(&Fault::Error { status, error }, operation),
        Action::Reset => abort(),
        Action::Hang { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            abort()
        }
        Action::Truncate => truncate(run_handler(turns, req, next).await).await,
        Action::Malformed => malformed(run_handler(turns, req, next).await),
        Action::CommitThenFail { status } => {
            // The write happens; the client never learns it did.
            let _committed = run_handler(turns, req, next).await;
            twin.render_fault_for(&Fault::Error { status, error: None }, operation)
        }
        // Latency rules only add delay; they never decide the response.
        Action::Latency { .. } => run_handler(turns, req, next).await,
    }
}

fn abort() -> Response {
    let mut response = Response::new(Body::empty());
    response.extensions_mut().insert(AbortConnection);
    response
}

/// Sends the headers (with the full Content-Length) and half the body, then fails
/// the stream, so the client sees a body cut short.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    if let Ok(len) = HeaderValue::from_str(&bytes.len().to_string()) {
        parts.headers.insert(CONTENT_LENGTH, len);
    }
    let head: Bytes = bytes.slice(..bytes.len() / 2);
    // The failure waits a moment so that hyper flushes the headers and the first half
    // before it drops the connection; failing at once would drop them unsent.
    let failure = futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "body truncated by a chaos rule"))
    });
    let body = futures_util::stream::iter([Ok::<Bytes, std::io::Error>(head)]).chain(failure);
    Response::from_parts(parts, Body::from_stream(body))
}

/// What a broken proxy sends: an HTML error page, under the JSON content type.
pub const MALFORMED_BODY: &str =
    "<html><head><title>502 Bad Gateway</title></head><body>upstream sent an invalid response</body></html>";

fn malformed(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(MALFORMED_BODY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_split() {
        assert_eq!(universe_prefix("/u/abc/api/auth.test"), Some(("abc", "/api/auth.test")));
        assert_eq!(universe_prefix("/u/abc"), Some(("abc", "/")));
        assert_eq!(universe_prefix("/api/auth.test"), None);
    }

    #[test]
    fn operations_that_free_state() {
        use axum::http::Method;
        for op in
            ["chat.delete", "files.emptyTrash", "DeleteUser", "oauth.v2.REVOKE", "reactions.remove", "dnd.clearSnooze"]
        {
            assert!(frees_state(&Method::POST, Some(op)), "{op}");
        }
        for op in ["chat.postMessage", "createUser", "files.upload"] {
            assert!(!frees_state(&Method::POST, Some(op)), "{op}");
        }
        assert!(frees_state(&Method::DELETE, None));
        assert!(!frees_state(&Method::POST, None));
    }
}
