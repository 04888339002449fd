//! `cargo bench --bench handlers`: the CPU cost of one call, in process, with no sockets:
//! each request goes through the same router a twin's port serves (the core pipeline,
//! then the twin), one after another on one thread. Reported as microseconds per call
//! and as a multiple of the bare axum handler measured in the same run, so the figure
//! isolates what DTU adds from the kernel's and the load generator's share, which
//! `benches/stack.rs` includes.
//!
//! Knobs: DTU_BENCH_CALLS (per target and round, default 20,000), DTU_BENCH_ONLY.
//! `cargo test --bench handlers` runs it with 200 calls as a smoke test.

mod common;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use common::{
    bare_router, counted_request, doc_inserts_body, request, sheet_rows, sheet_update_body, MakeRequest,
    DEFAULT_FIXTURE,
};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use twin_core::{Config, Core, CreateUniverse, Fixture, FixtureLibrary};

/// Mean microseconds per call over `calls` sequential calls; every answer must be 200.
async fn per_call(router: &Router, make: &MakeRequest, calls: u64) -> f64 {
    let started = Instant::now();
    for _ in 0..calls {
        let response = router.clone().oneshot(make()).await.expect("infallible");
        assert!(response.status().is_success(), "status {}", response.status());
        let body = response.into_body().collect().await.expect("body").to_bytes();
        std::hint::black_box(body);
    }
    started.elapsed().as_secs_f64() * 1e6 / calls as f64
}

/// One setup call through a router; its answer must be a success.
async fn call(
    router: &Router,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Value,
) -> Value {
    let body = if body.is_null() { String::new() } else { body.to_string() };
    let response = router.clone().oneshot(request(method, path, headers, body)()).await.expect("infallible");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    assert!(status.is_success(), "setup call: {status} {}", String::from_utf8_lossy(&bytes));
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// The path of a manifest URL (`http://host:port/path` → `/path`).
fn path_of(url: &str) -> String {
    url.splitn(4, '/').nth(3).map(|p| format!("/{}", p.trim_end_matches('/'))).unwrap_or_default()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this as a smoke test.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let calls: u64 = match std::env::var("DTU_BENCH_CALLS").ok().and_then(|v| v.parse().ok()) {
        _ if smoke => 200,
        Some(n) => n,
        None => 20_000,
    };
    let only = std::env::var("DTU_BENCH_ONLY").ok();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut fixtures = FixtureLibrary::default();
    fixtures.insert("default", Fixture::from_yaml("default", DEFAULT_FIXTURE).expect("default fixture"));
    let core = Arc::new(Core::new(Config::default(), dtu::twins::all(), fixtures, "default"));
    let universe = core.create_universe(CreateUniverse { id: Some("default".into()), ..Default::default() });
    let universe = universe.expect("default universe");
    let slack = core.twins.iter().find(|t| t.service() == "slack").cloned().expect("slack twin");
    let slack = twin_core::serve::twin_router(core.clone(), slack);
    let token = universe.credential_of("slack", "bot").expect("bot token");
    let general = runtime.block_on(async {
        let make = request(
            "POST",
            "/api/conversations.list".into(),
            vec![("authorization", format!("Bearer {token}"))],
            String::new(),
        );
        let response = slack.clone().oneshot(make()).await.expect("infallible");
        let body: Value =
            serde_json::from_slice(&response.into_body().collect().await.expect("body").to_bytes()).expect("json");
        body["channels"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["name"] == "general"))
            .map(|c| c["id"].as_str().unwrap_or_default().to_string())
            .expect("#general")
    });
    let post_body = json!({"channel": general, "text": "Here's a message for you"}).to_string();
    let json_type = ("content-type", "application/json; charset=utf-8".to_string());
    let bearer = ("authorization", format!("Bearer {token}"));
    let twin = |service: &str| {
        let t = core.twins.iter().find(|t| t.service() == service).cloned().expect("twin");
        twin_core::serve::twin_router(core.clone(), t)
    };
    let (jira, google) = (twin("jira"), twin("google"));
    // No port is bound here; the manifests need an address to name.
    core.set_endpoint("jira", "http://127.0.0.1:9".into());
    core.set_endpoint("google", "http://127.0.0.1:9".into());
    let site = core.universe_object(&universe)["jira"].clone();
    let jira_base = format!("{}/rest/api/3", path_of(site["base_url"].as_str().expect("base_url")));
    let basic = format!("{}:{}", site["email"].as_str().expect("email"), site["api_token"].as_str().expect("token"));
    let jira_auth = ("authorization", format!("Basic {}", BASE64.encode(basic)));
    let json_only = ("content-type", "application/json".to_string());
    let issue = runtime.block_on(call(
        &jira,
        "POST",
        format!("{jira_base}/issue"),
        vec![jira_auth.clone(), json_only.clone()],
        json!({"fields": {"project": {"key": "ENG"}, "issuetype": {"name": "Task"}, "summary": "Moved by the bench"}}),
    ));
    let issue = issue["key"].as_str().expect("issue key").to_string();
    // The id of the transition to `status` the issue offers now.
    let transition_to = |status: &str| {
        let listed = runtime.block_on(call(
            &jira,
            "GET",
            format!("{jira_base}/issue/{issue}/transitions"),
            vec![jira_auth.clone()],
            Value::Null,
        ));
        listed["transitions"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["to"]["name"] == status))
            .and_then(|t| t["id"].as_str())
            .expect("a transition")
            .to_string()
    };
    let to_progress = transition_to("In Progress");
    runtime.block_on(call(
        &jira,
        "POST",
        format!("{jira_base}/issue/{issue}/transitions"),
        vec![jira_auth.clone(), json_only.clone()],
        json!({"transition": {"id": to_progress}}),
    ));
    let to_do = transition_to("To Do");
    // Each call moves the issue the other way (In Progress now, so To Do first).
    let transition = counted_request(
        "POST",
        format!("{jira_base}/issue/{issue}/transitions"),
        jira_auth.1.clone(),
        move |n| json!({"transition": {"id": if n.is_multiple_of(2) { &to_do } else { &to_progress }}}),
    );
    let g = core.universe_object(&universe)["google"].clone();
    let g_prefix = path_of(g["endpoint"].as_str().expect("google endpoint"));
    let g_auth = ("authorization", format!("Bearer {}", g["access_token"].as_str().expect("access_token")));
    let created = runtime.block_on(call(
        &google,
        "POST",
        format!("{g_prefix}/v4/spreadsheets"),
        vec![g_auth.clone(), json_only.clone()],
        json!({"properties": {"title": "Bench"}}),
    ));
    let sheet = created["spreadsheetId"].as_str().expect("spreadsheetId").to_string();
    let rows = sheet_rows();
    runtime.block_on(call(
        &google,
        "PUT",
        format!("{g_prefix}/v4/spreadsheets/{sheet}/values/Sheet1!A1:E1000?valueInputOption=USER_ENTERED"),
        vec![g_auth.clone(), json_only.clone()],
        json!({"values": rows}),
    ));
    let created = runtime.block_on(call(
        &google,
        "POST",
        format!("{g_prefix}/v1/documents"),
        vec![g_auth.clone(), json_only.clone()],
        json!({"title": "Bench 50 pages"}),
    ));
    let doc = created["documentId"].as_str().expect("documentId").to_string();
    let page = "The quick brown fox jumps over the lazy dog while the twin keeps count. ab\n".repeat(40);
    let pages: Vec<Value> = (0..50)
        .flat_map(|_| {
            [
                json!({"insertText": {"endOfSegmentLocation": {}, "text": page}}),
                json!({"insertPageBreak": {"endOfSegmentLocation": {}}}),
            ]
        })
        .collect();
    runtime.block_on(call(
        &google,
        "POST",
        format!("{g_prefix}/v1/documents/{doc}:batchUpdate"),
        vec![g_auth.clone(), json_only.clone()],
        json!({"requests": pages}),
    ));
    let sheet_update = counted_request(
        "PUT",
        format!("{g_prefix}/v4/spreadsheets/{sheet}/values/Sheet1!B1:B100?valueInputOption=USER_ENTERED"),
        g_auth.1.clone(),
        sheet_update_body,
    );
    // As in the stack bench: 10 inserts at places that move on with each call.
    let doc_inserts = counted_request(
        "POST",
        format!("{g_prefix}/v1/documents/{doc}:batchUpdate"),
        g_auth.1.clone(),
        doc_inserts_body,
    );
    let bare = bare_router();
    let targets: Vec<(&str, &Router, MakeRequest)> = vec![
        (
            "bare axum",
            &bare,
            request("POST", "/api/chat.postMessage".into(), vec![json_type.clone()], post_body.clone()),
        ),
        ("slack auth.test", &slack, request("POST", "/api/auth.test".into(), vec![bearer.clone()], String::new())),
        (
            "slack chat.postMessage",
            &slack,
            request("POST", "/api/chat.postMessage".into(), vec![bearer.clone(), json_type], post_body),
        ),
        (
            "slack conversations.history",
            &slack,
            request(
                "GET",
                format!("/api/conversations.history?channel={general}&limit=20"),
                vec![bearer],
                String::new(),
            ),
        ),
        (
            "jira create issue",
            &jira,
            request("POST", format!("{jira_base}/issue"), vec![jira_auth.clone(), json_only.clone()],
                json!({"fields": {"project": {"key": "ENG"}, "issuetype": {"name": "Task"}, "summary": "A task filed by the benchmark"}}).to_string()),
        ),
        ("jira transition issue", &jira, transition),
        (
            "jira get issue",
            &jira,
            request("GET", format!("{jira_base}/issue/{issue}"), vec![jira_auth.clone()], String::new()),
        ),
        (
            "google sheets values.get A1:Z1000",
            &google,
            request("GET", format!("{g_prefix}/v4/spreadsheets/{sheet}/values/Sheet1!A1:Z1000"), vec![g_auth.clone()], String::new()),
        ),
        ("google sheets values.update 100 cells, formulas", &google, sheet_update),
        ("google docs batchUpdate 10 inserts, 50 pages", &google, doc_inserts),
    ];
    println!("| call | µs per call (round 1) | µs per call (round 2) | ÷ bare (round 2) |");
    println!("|---|---|---|---|");
    let mut rounds: Vec<Vec<f64>> = Vec::new();
    for _ in 0..2 {
        rounds.push(
            targets
                .iter()
                .map(|(name, router, make)| {
                    if *name != "bare axum" && only.as_deref().is_some_and(|o| !name.contains(o)) {
                        return f64::NAN;
                    }
                    runtime.block_on(per_call(router, make, calls))
                })
                .collect(),
        );
    }
    for (i, (name, ..)) in targets.iter().enumerate() {
        println!("| {name} | {:.1} | {:.1} | {:.1} |", rounds[0][i], rounds[1][i], rounds[1][i] / rounds[1][0]);
    }
}
