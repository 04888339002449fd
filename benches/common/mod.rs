//! What the benchmark harnesses share: the baseline, the default fixture, requests.
// Each harness uses a part of it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

pub const DEFAULT_FIXTURE: &str = include_str!("../../fixtures/default.yaml");

/// The baseline: what peer-bench calls axum-json, a handler that parses the request
/// and serializes a Slack-sized answer with a fresh `ts`, and nothing else.
pub fn bare_router() -> Router {
    #[derive(serde::Deserialize)]
    struct PostReq {
        channel: String,
        text: String,
    }
    let counter = Arc::new(AtomicU64::new(0));
    Router::new().route(
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
