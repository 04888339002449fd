//! A miniature Slack-like twin for testing the evaluator without depending on the
//! real Slack twin's progress: channels and messages, bearer tokens, Slack's
//! `{"ok": …}` envelope and its 429 + Retry-After. It registers as service `slack`,
//! so the runner hands agents the real SDK variables (`SLACK_API_URL`, …).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Extension, Path as UrlPath};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post as post_route;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use twin_core::store::{import_store, AnyStore};
use twin_core::{
    AnyCollection, Collection, Fault, Fixture, FixtureError, Principal, RequestCtx, SeedCtx, Store, Twin, Universe,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chan {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Msg {
    pub id: String,
    pub channel: String,
    pub text: String,
    pub user: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MiniState {
    pub channels: Collection<Chan>,
    pub messages: Collection<Msg>,
}

impl Store for MiniState {
    const SERVICE: &'static str = "slack";
    fn collections(&self) -> Vec<(&'static str, &dyn AnyCollection)> {
        vec![("channels", &self.channels), ("messages", &self.messages)]
    }
}

pub struct MiniSlack;

fn reply(v: Value) -> Response {
    Json(v).into_response()
}

fn params(headers: &HeaderMap, body: &[u8]) -> serde_json::Map<String, Value> {
    let json = headers.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|c| c.contains("json"));
    if json {
        serde_json::from_slice::<Value>(body).ok().and_then(|v| v.as_object().cloned()).unwrap_or_default()
    } else {
        form_pairs(body).into_iter().map(|(k, v)| (k, Value::String(v))).collect()
    }
}

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

async fn method(
    Extension(ctx): Extension<RequestCtx>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(principal) = ctx.principal.clone() else { return reply(json!({"ok": false, "error": "invalid_auth"})) };
    let p = params(&headers, &body);
    let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let u = &ctx.universe;
    match name.as_str() {
        "auth.test" => reply(json!({"ok": true, "user_id": principal.subject})),
        "conversations.list" => {
            let chans = u.read(|st: &MiniState| {
                st.channels.values().map(|c| json!({"id": c.id, "name": c.name})).collect::<Vec<_>>()
            });
            reply(json!({"ok": true, "channels": chans.unwrap_or_default()}))
        }
        "chat.postMessage" => {
            let (channel, text) = (s("channel"), s("text"));
            if text.is_empty() {
                return reply(json!({"ok": false, "error": "no_text"}));
            }
            let r = u.write(|st: &mut MiniState, _ids| {
                let chan = st
                    .channels
                    .values()
                    .find(|c| c.id == channel || c.name == channel.trim_start_matches('#'))
                    .cloned()?;
                let id = format!("M{:04}", st.messages.len() + 1);
                st.messages.insert(
                    id.clone(),
                    Msg { id: id.clone(), channel: chan.id.clone(), text, user: principal.subject.clone() },
                );
                Some((id, chan.id))
            });
            match r {
                Ok(Some((ts, channel))) => reply(json!({"ok": true, "ts": ts, "channel": channel})),
                _ => reply(json!({"ok": false, "error": "channel_not_found"})),
            }
        }
        "chat.delete" => {
            let ts = s("ts");
            let r = u.write(|st: &mut MiniState, _| st.messages.remove(&ts).is_some());
            match r {
                Ok(true) => reply(json!({"ok": true})),
                _ => reply(json!({"ok": false, "error": "message_not_found"})),
            }
        }
        _ => (StatusCode::NOT_FOUND, Json(json!({"ok": false, "error": "unknown_method"}))).into_response(),
    }
}

const METHODS: [&str; 4] = ["auth.test", "conversations.list", "chat.postMessage", "chat.delete"];

impl Twin for MiniSlack {
    fn service(&self) -> &'static str {
        "slack"
    }

    fn port_offset(&self) -> u16 {
        1
    }

    fn seed(&self, fixture: &Fixture, ctx: &mut SeedCtx<'_>) -> Result<Box<dyn AnyStore>, FixtureError> {
        let mut st = MiniState::default();
        let channels = fixture
            .section("slack")
            .and_then(|s| s.get("channels"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, c) in channels.iter().enumerate() {
            let id = format!("C{:03}", i + 1);
            let name = c.get("name").and_then(Value::as_str).unwrap_or("unnamed").to_string();
            st.channels.insert(id.clone(), Chan { id, name });
        }
        for (prefix, kind, subject) in [("xoxb-", "bot", "B1"), ("xoxp-", "user", "U1"), ("xapp-", "app", "A1")] {
            ctx.mint(prefix, Principal { service: "slack".into(), kind: kind.into(), subject: subject.into() });
        }
        Ok(Box::new(st))
    }

    fn import(&self, state: Value) -> Result<Box<dyn AnyStore>, serde_json::Error> {
        import_store::<MiniState>(state)
    }

    fn router(&self) -> Router {
        Router::new().route("/api/{method}", post_route(method).get(method))
    }

    fn operation(&self, _method: &Method, path: &str) -> Option<String> {
        let name = path.strip_prefix("/api/")?;
        METHODS.contains(&name).then(|| name.to_string())
    }

    fn credential(&self, headers: &HeaderMap, _query: Option<&str>, body: &[u8]) -> Option<String> {
        if let Some(t) = twin_core::wire::authorization(headers, "Bearer") {
            return Some(t.to_string());
        }
        form_pairs(body).into_iter().find(|(k, _)| k == "token").map(|(_, v)| v)
    }

    fn render_fault(&self, fault: &Fault) -> Response {
        match fault {
            Fault::RateLimited { retry_after_s, .. } => {
                let mut r =
                    (StatusCode::TOO_MANY_REQUESTS, Json(json!({"ok": false, "error": "ratelimited"}))).into_response();
                if let Ok(v) = retry_after_s.to_string().parse() {
                    r.headers_mut().insert("retry-after", v);
                }
                r
            }
            Fault::Error { status, error } => {
                let code = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                (code, Json(json!({"ok": false, "error": error.clone().unwrap_or_else(|| "fatal_error".into())})))
                    .into_response()
            }
        }
    }

    fn manifest(&self, universe: &Universe, base_url: &str) -> Value {
        json!({
            "base_url": format!("{}/api/", base_url.trim_end_matches('/')),
            "bot_token": universe.credential_of("slack", "bot"),
            "user_token": universe.credential_of("slack", "user"),
            "app_token": universe.credential_of("slack", "app"),
        })
    }
}

pub fn twins() -> Vec<Arc<dyn Twin>> {
    vec![Arc::new(MiniSlack)]
}

/// Writes a scenario file into `dir`.
pub fn scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A shell agent that posts `text` to channel `chan` with the bot token.
pub fn post(chan: &str, text: &str) -> String {
    format!(
        "curl -sf -H \"Authorization: Bearer $SLACK_BOT_TOKEN\" --data-urlencode channel={chan} --data-urlencode 'text={text}' \"${{SLACK_API_URL}}chat.postMessage\" >/dev/null"
    )
}

pub const POST_HELLO: &str = r#"
id: post-hello
title: Post hello in general
tags: [mini, write]
intent: "Say hello in #general."
bindings:
  general: "slack.channels.* | [?name=='general'] | [0].id"
checks:
  - id: posted
    state:
      query: "length(slack.messages.* | [?channel == {{general}} && contains(text, 'hello')])"
      equals: 1
  - id: nothing-else
    collateral:
      allow:
        - {service: slack, collection: messages, change: created, max: 1}
  - id: used-post
    trajectory: {called: chat.postMessage, max: 3}
repetitions: 3
timeout_s: 20
"#;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

/// The repository's Python (`.venv/bin/python`) with the pinned SDKs, made from
/// `tests/sdk/python/requirements.lock` when missing (as `scripts/test` does later).
pub fn python() -> PathBuf {
    let root = root();
    let python = root.join(".venv/bin/python");
    let ready = |p: &Path| {
        std::process::Command::new(p)
            .args(["-c", "import slack_sdk, okta, jsonschema, yaml"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready(&python) {
        return python;
    }
    // One test binary at a time creates it (test binaries run one after another; the
    // lock guards against a parallel `cargo test` of this crate).
    let lock = root.join(".venv-dtu-evaluator.lock");
    let started = std::time::Instant::now();
    while std::fs::create_dir(&lock).is_err() {
        assert!(started.elapsed().as_secs() < 600, "{} is held; remove it if stale", lock.display());
        std::thread::sleep(std::time::Duration::from_millis(500));
        if ready(&python) {
            return python;
        }
    }
    let run = |cmd: &mut std::process::Command| {
        let out = cmd.current_dir(&root).output().expect("python3 runs");
        assert!(out.status.success(), "{:?} failed:\n{}", cmd, String::from_utf8_lossy(&out.stderr));
    };
    if !python.exists() {
        run(std::process::Command::new("python3").args(["-m", "venv", ".venv"]));
    }
    run(std::process::Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-r",
        "tests/sdk/python/requirements.lock",
    ]));
    let _ = std::fs::remove_dir(&lock);
    assert!(ready(&python), "{} still lacks the SDKs", python.display());
    python
}

/// A scenario whose first two `chat.postMessage` calls are rate limited: a polite agent
/// waits out `Retry-After` and posts once.
pub fn storm(tags: &str, repetitions: u32) -> String {
    format!(
        r#"
id: post-in-a-storm
title: Post during a rate-limit storm
tags: {tags}
intent: "Say hello in #general."
chaos:
  - match: {{service: slack, operation: chat.postMessage}}
    trigger: {{first_n: 2}}
    action: {{kind: rate_limit, retry_after_s: 1}}
checks:
  - state: {{source: diff, query: "services.slack.messages.created", count: 1}}
  - id: waited
    trajectory: {{retry_after_honoured: true, operation: chat.postMessage}}
repetitions: {repetitions}
timeout_s: 30
"#
    )
}
