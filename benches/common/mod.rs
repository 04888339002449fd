//! What the benchmark harnesses share: the baseline, the default fixture, requests.
// Each harness uses a part of it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use dashmap::DashMap;
use serde_json::{json, Value};

pub const DEFAULT_FIXTURE: &str = include_str!("../../fixtures/default.yaml");

/// The baseline: what peer-bench calls axum-json, a handler that parses the request
/// and serializes a Slack-sized answer with a fresh `ts`, and nothing else.
///
/// It also takes Drive's multipart upload (`/upload/drive/v3/files`), the baseline of
/// the upload figures: the same 64 KiB body read and split by the twin's own multipart
/// parser, the metadata parsed, the bytes kept in a `DashMap` (`BARE_UPLOADS`, which
/// the bench clears before each run, as it resets the twin's upload universe) and a
/// Drive-sized answer. It keeps every upload, as Drive and the twin do: fresh memory
/// for each is part of an upload's cost. Against the small JSON baseline, an upload
/// figure mostly measures moving 64 KiB through loopback.
pub fn bare_router() -> Router {
    #[derive(serde::Deserialize)]
    struct PostReq {
        channel: String,
        text: String,
    }
    let counter = Arc::new(AtomicU64::new(0));
    let upload_counter = Arc::new(AtomicU64::new(0));
    Router::new()
        .route(
            "/api/chat.postMessage",
            post(move |Json(req): Json<PostReq>| {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                async move {
                    let ts = format!("1503435956.{n:06}");
                    Json(json!({"ok": true, "channel": req.channel, "ts": ts,
                        "message": {"type": "message", "subtype": "bot_message", "text": req.text, "ts": ts,
                                    "username": "ecto1", "bot_id": "B19LU7CSY"}}))
                }
            }),
        )
        .route(
            "/upload/drive/v3/files",
            post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let n = upload_counter.fetch_add(1, Ordering::Relaxed);
                async move {
                    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
                    let Ok(mut parts) = twin_google::drive::multipart::parse(content_type, &body) else {
                        return Err(StatusCode::BAD_REQUEST);
                    };
                    if parts.len() != 2 {
                        return Err(StatusCode::BAD_REQUEST);
                    }
                    let media = parts.pop().map(|p| p.body).unwrap_or_default();
                    let metadata: Value =
                        serde_json::from_slice(&parts[0].body).map_err(|_| StatusCode::BAD_REQUEST)?;
                    let id = format!("1bare{n:028}");
                    let answer = json!({"kind": "drive#file", "id": id, "name": metadata["name"],
                                        "mimeType": "application/octet-stream"});
                    BARE_UPLOADS.insert(n, (metadata, media));
                    Ok(Json(answer))
                }
            }),
        )
}

/// The uploads the bare baseline holds.
pub static BARE_UPLOADS: LazyLock<DashMap<u64, (Value, Vec<u8>)>> = LazyLock::new(DashMap::new);

/// A 64 KiB multipart upload body (metadata, then the bytes) with boundary `bench`.
pub fn upload_body() -> Vec<u8> {
    let mut body = b"--bench\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n".to_vec();
    body.extend_from_slice(br#"{"name": "bench upload.bin"}"#);
    body.extend_from_slice(b"\r\n--bench\r\ncontent-type: application/octet-stream\r\n\r\n");
    body.extend((0..64 * 1024).map(|i| (i % 251) as u8));
    body.extend_from_slice(b"\r\n--bench--\r\n");
    body
}

pub type MakeRequest = Box<dyn Fn() -> hyper::Request<axum::body::Body>>;

/// A request made afresh for each call (a router consumes it), as a client on loopback
/// would send it.
pub fn request(method: &'static str, path: String, headers: Vec<(&'static str, String)>, body: String) -> MakeRequest {
    Box::new(move || {
        let mut builder = hyper::Request::builder().method(method).uri(path.as_str()).header("host", "127.0.0.1:9");
        for (name, value) in &headers {
            builder = builder.header(*name, value.as_str());
        }
        builder.body(axum::body::Body::from(body.clone())).expect("request")
    })
}

/// A JSON POST or PUT made afresh for each call, its body from the call's number
/// (for figures whose requests must differ call to call).
pub fn counted_request(
    method: &'static str,
    path: String,
    authorization: String,
    body_of: impl Fn(u64) -> serde_json::Value + 'static,
) -> MakeRequest {
    let calls = std::cell::Cell::new(0u64);
    Box::new(move || {
        let n = calls.get();
        calls.set(n + 1);
        hyper::Request::builder()
            .method(method)
            .uri(path.as_str())
            .header("host", "127.0.0.1:9")
            .header("authorization", authorization.as_str())
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body_of(n).to_string()))
            .expect("request")
    })
}

/// The bench spreadsheet's 1,000 rows: A text, B–D numbers, E1:E100 `=SUM(B:D)` of
/// their row.
pub fn sheet_rows() -> Vec<serde_json::Value> {
    (1..=1000)
        .map(|r| {
            let sum = if r <= 100 { json!(format!("=SUM(B{r}:D{r})")) } else { json!("") };
            json!([format!("Item {r}"), r, r * 2, r * 3, sum])
        })
        .collect()
}

/// values.update call `n`: 100 fresh numbers for B1:B100.
pub fn sheet_update_body(n: u64) -> serde_json::Value {
    let values: Vec<serde_json::Value> = (0..100).map(|r| json!([n as f64 + r as f64])).collect();
    json!({ "values": values })
}

/// Docs batchUpdate call `n`: 10 words inserted at spread-out places of the 50-page
/// document, places that move on with each call (at fixed places ten paragraphs would
/// grow to tens of kilobytes within a round, no longer the document the row names).
pub fn doc_inserts_body(n: u64) -> serde_json::Value {
    let requests: Vec<serde_json::Value> = (0..10)
        .map(
            |i| json!({"insertText": {"location": {"index": 1 + (i * 15_000 + n * 7_919) % 149_000}, "text": "edit "}}),
        )
        .collect();
    json!({ "requests": requests })
}
