//! `cargo bench --bench memory`: resident memory under sustained load, phase by phase.
//!
//! One process serves the twins' routers in process (no sockets, so the figures are
//! DTU's own memory, not the kernel's buffers), and:
//! 1. posts 1,000,000 `chat.postMessage` to `#general` of one universe;
//! 2. reads `conversations.history` (newest 20) 1,000,000 times;
//! 3. creates and deletes 1,000 universes from the default fixture;
//! 4. exports the big universe through the control plane (streamed), counting bytes.
//!
//! After each phase it prints resident memory (VmRSS) and the peak of the phase (VmHWM,
//! reset between phases). What must hold: transient structures (journal rings, event
//! queues, rate buckets, deleted universes) level off, so reads and universe cycles
//! leave memory flat; stored state grows by what it stores; an export costs chunks,
//! not a copy of the universe.
//!
//! Knobs: DTU_MEMORY_CALLS (per phase, default 1,000,000), DTU_MEMORY_UNIVERSES
//! (default 1,000). `cargo test --bench memory` runs it small as a smoke test.

mod common;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use common::{request, DEFAULT_FIXTURE};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use twin_core::{Config, Core, CreateUniverse, Fixture, FixtureLibrary};

/// (resident, peak since the last reset) in MiB, from /proc/self/status.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak (VmHWM) to the current resident size, so each phase shows its own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn call(router: &Router, make: &common::MakeRequest) -> Value {
    let response = router.clone().oneshot(make()).await.expect("infallible");
    assert!(response.status().is_success(), "status {}", response.status());
    let body = response.into_body().collect().await.expect("body").to_bytes();
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}

struct Phase {
    name: String,
    seconds: f64,
    rss: f64,
    peak: f64,
}

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let knob = |name: &str, full: u64, small: u64| match std::env::var(name).ok().and_then(|v| v.parse().ok()) {
        _ if smoke => small,
        Some(n) => n,
        None => full,
    };
    let calls = knob("DTU_MEMORY_CALLS", 1_000_000, 2_000);
    let universes = knob("DTU_MEMORY_UNIVERSES", 1_000, 20);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut fixtures = FixtureLibrary::default();
    fixtures.insert("default", Fixture::from_yaml("default", DEFAULT_FIXTURE).expect("default fixture"));
    let core = Arc::new(Core::new(Config::default(), dtu::twins::all(), fixtures, "default"));
    let universe = core
        .create_universe(CreateUniverse { id: Some("default".into()), ..Default::default() })
        .expect("default universe");
    let slack = core.twins.iter().find(|t| t.service() == "slack").cloned().expect("slack twin");
    let slack = twin_core::serve::twin_router(core.clone(), slack);
    let control = twin_core::serve::control_router(core.clone());
    let token = universe.credential_of("slack", "bot").expect("bot token");
    let bearer = ("authorization", format!("Bearer {token}"));
    let mut phases = Vec::new();
    let mut record = |name: String, started: Instant| {
        let (rss, peak) = memory_mib();
        phases.push(Phase { name, seconds: started.elapsed().as_secs_f64(), rss, peak });
        reset_peak();
    };
    record("start (default universe)".into(), Instant::now());

    let list = request("POST", "/api/conversations.list".into(), vec![bearer.clone()], String::new());
    let channels = runtime.block_on(call(&slack, &list));
    let general = channels["channels"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == "general"))
        .and_then(|c| c["id"].as_str())
        .expect("#general")
        .to_string();

    let started = Instant::now();
    let post = request(
        "POST",
        "/api/chat.postMessage".into(),
        vec![bearer.clone(), ("content-type", "application/json; charset=utf-8".into())],
        json!({"channel": general, "text": "Here's a message for you, stored like any other"}).to_string(),
    );
    runtime.block_on(async {
        for _ in 0..calls {
            call(&slack, &post).await;
        }
    });
    record(format!("{calls} chat.postMessage"), started);

    let started = Instant::now();
    let history =
        request("GET", format!("/api/conversations.history?channel={general}&limit=20"), vec![bearer], String::new());
    runtime.block_on(async {
        for _ in 0..calls {
            call(&slack, &history).await;
        }
    });
    record(format!("{calls} conversations.history"), started);

    let started = Instant::now();
    for _ in 0..universes {
        let u = core.create_universe(CreateUniverse::default()).expect("a universe");
        core.delete_universe(&u.id).expect("deleted");
    }
    record(format!("{universes} universes created and deleted"), started);

    let started = Instant::now();
    let export = request("GET", "/_dtu/universes/default/export".into(), vec![], String::new());
    let bytes = runtime.block_on(async {
        let response = control.clone().oneshot(export()).await.expect("infallible");
        assert!(response.status().is_success());
        let mut body = response.into_body();
        let mut bytes = 0usize;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.expect("export body").into_data() {
                bytes += data.len();
            }
        }
        bytes
    });
    record(format!("export streamed ({:.0} MiB of JSON)", bytes as f64 / 1048576.0), started);

    let messages = calls as f64;
    println!("| phase | seconds | resident MiB after | peak MiB during |");
    println!("|---|---|---|---|");
    for p in &phases {
        println!("| {} | {:.1} | {:.0} | {:.0} |", p.name, p.seconds, p.rss, p.peak);
    }
    let grown = (phases[1].rss - phases[0].rss) * 1048576.0;
    println!("\nstored: about {:.0} bytes of resident memory per posted message", grown / messages);
    println!(
        "reads: {:+.0} MiB; universe cycles: {:+.0} MiB; export: {:+.0} MiB after, peak {:+.0} MiB over the resident size before it",
        phases[2].rss - phases[1].rss,
        phases[3].rss - phases[2].rss,
        phases[4].rss - phases[3].rss,
        phases[4].peak - phases[3].rss,
    );
    if smoke {
        // The smoke run checks the harness works end to end; the figures need the full run.
        assert!(bytes > 0 && phases.iter().all(|p| p.rss.is_finite()));
    }
}
