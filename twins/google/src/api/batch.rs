//! Batch requests (`/batch/drive/v3`): a `multipart/mixed` body of embedded HTTP
//! requests, each run through the route table as its own call (with its own
//! credential when it carries one), answered as `multipart/mixed` with
//! `Content-ID: <response-…>` parts, as both clients parse them.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::Response;
use futures_util::FutureExt;

use super::{bytes, Call};
use crate::drive::multipart;
use crate::errors::{GoogleError, Result};

/// The most calls one batch may hold (Drive's limit).
pub const MAX_CALLS: usize = 100;

struct Inner {
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn parse_inner(raw: &[u8]) -> Option<Inner> {
    let split = |hay: &[u8]| -> Option<(usize, usize)> {
        let crlf = hay.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, i + 4));
        let lf = hay.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2));
        match (crlf, lf) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        }
    };
    let (head, body) = match split(raw) {
        Some((end, start)) => (&raw[..end], raw[start..].to_vec()),
        None => (raw, Vec::new()),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty());
    let mut request_line = lines.next()?.split_whitespace();
    let method = Method::from_bytes(request_line.next()?.as_bytes()).ok()?;
    let mut target = request_line.next()?.to_string();
    if let Some(rest) = target.strip_prefix("http://").or_else(|| target.strip_prefix("https://")) {
        target = rest.find('/').map_or("/".to_string(), |i| rest[i..].to_string());
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target, None),
    };
    // A `/u/{id}` prefix names the universe the outer request already routed to.
    let path = match path.strip_prefix("/u/") {
        Some(rest) => rest.find('/').map_or("/".to_string(), |i| rest[i..].to_string()),
        None => path,
    };
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.trim().as_bytes()), HeaderValue::from_str(value.trim())) {
            headers.append(n, v);
        }
    }
    Some(Inner { method, path, query, headers, body })
}

fn reason(status: u16) -> &'static str {
    axum::http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("")
}

pub fn handle(call: &Call) -> Result<Response> {
    let parts = multipart::parse(call.content_type(), &call.body)
        .map_err(|why| GoogleError::bad_request(format!("Malformed multipart body: {why}.")))?;
    if parts.len() > MAX_CALLS {
        return Err(GoogleError::bad_request(format!("A batch may hold at most {MAX_CALLS} calls.")));
    }
    let boundary = format!("batch_{:016x}", crate::drive::fnv(&format!("{:?}", call.now())));
    let mut out: Vec<u8> = Vec::new();
    for part in parts {
        let content_id =
            part.header("content-id").unwrap_or("").trim().trim_start_matches('<').trim_end_matches('>').to_string();
        let response = match parse_inner(&part.body) {
            Some(inner) if !inner.path.starts_with("/batch") => {
                let mut ctx = call.ctx.clone();
                if let Some(token) = super::credential_of(&inner.headers, inner.query.as_deref()) {
                    ctx.principal = ctx.universe.principal(&token);
                    ctx.credential = Some(token);
                }
                let inner_call =
                    Call::new(ctx, inner.method, &inner.path, inner.query.as_deref(), inner.headers, inner.body.into());
                inner_call.run()
            }
            _ => GoogleError::bad_request("Malformed embedded request.").into_response_inner(),
        };
        let status = response.status().as_u16();
        let ct = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .now_or_never()
            .and_then(|r| r.ok())
            .unwrap_or_default();
        out.extend_from_slice(format!("--{boundary}\r\nContent-Type: application/http\r\n").as_bytes());
        if !content_id.is_empty() {
            out.extend_from_slice(format!("Content-ID: <response-{content_id}>\r\n").as_bytes());
        }
        out.extend_from_slice(format!("\r\nHTTP/1.1 {status} {}\r\n", reason(status)).as_bytes());
        if !ct.is_empty() {
            out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok(bytes(200, &format!("multipart/mixed; boundary={boundary}"), out))
}

impl GoogleError {
    fn into_response_inner(self) -> Response {
        axum::response::IntoResponse::into_response(self)
    }
}
