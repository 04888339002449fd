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
use common::{bare_router, request, MakeRequest, DEFAULT_FIXTURE};
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
