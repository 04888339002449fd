//! `cargo bench --bench external`: Slack throughput seen from outside, the way users
//! load the twin: `wrk` (2 threads, 32 connections) in its own process against
//! `dtu serve` in another, and against a bare axum server in a third that parses the
//! same form body, keeps each message in a `DashMap` and answers JSON. The two are
//! loaded alternately, round after round, so a noisy neighbour moves single rounds
//! and the median ratio stays honest.
//!
//! Targets: `chat.postMessage` (a form POST, as `slack_sdk` and `@slack/web-api` send
//! it) and `conversations.history` of #general with `limit=20`, on the default
//! fixture. Figures: requests per second and p99 latency, each as a ratio to the bare
//! server's in the same round.
//!
//! Needs `wrk` on PATH (Debian: `apt-get install wrk`). Knobs: DTU_BENCH_SECONDS (per
//! load run, default 5), DTU_BENCH_ROUNDS (default 5), DTU_BENCH_CONNECTIONS
//! (default 32), DTU_BENCH_THREADS (wrk threads, default 2), DTU_BENCH_ONLY (run only
//! the targets whose name contains it).
//!
//! The bench binary is also the bare server: started again with DTU_EXTERNAL_BARE=1 it
//! serves the baseline and prints its address.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use axum::{Form, Json, Router};
use dashmap::DashMap;
use serde_json::{json, Value};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TEXT: &str = "Here's a message for you";

fn main() {
    if std::env::var_os("DTU_EXTERNAL_BARE").is_some() {
        serve_bare();
        return;
    }
    check_report_reader();
    let knob = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let seconds = knob("DTU_BENCH_SECONDS", 5);
    let rounds = knob("DTU_BENCH_ROUNDS", 5) as usize;
    let connections = knob("DTU_BENCH_CONNECTIONS", 32);
    let threads = knob("DTU_BENCH_THREADS", 2);
    if Command::new("wrk").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        eprintln!("external bench: `wrk` is not on PATH (Debian: apt-get install wrk)");
        std::process::exit(2);
    }

    let work = std::env::temp_dir().join(format!("dtu-external-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("work dir");
    let (dtu, manifest) = start_dtu(&work);
    let (bare, bare_addr) = start_bare();
    let _guards = (dtu, bare);

    let slack = &manifest["slack"];
    let base = slack["base_url"].as_str().expect("slack.base_url").trim_end_matches('/').to_string();
    let token = slack["bot_token"].as_str().expect("slack.bot_token").to_string();
    let general = general_channel(&base, &token);
    let bare_base = format!("http://{bare_addr}/api");

    let post_body = form(&[("channel", &general), ("text", TEXT)]);
    let history_body = form(&[("channel", &general), ("limit", "20")]);
    let post_script = lua_script(&work, "post", &token, &post_body);
    let history_script = lua_script(&work, "history", &token, &history_body);
    // Each target beside its baseline: (name, twin URL, bare URL, script).
    let only = std::env::var("DTU_BENCH_ONLY").unwrap_or_default();
    let pairs: Vec<_> = [
        ("chat.postMessage", format!("{base}/chat.postMessage"), format!("{bare_base}/chat.postMessage"), post_script),
        (
            "conversations.history",
            format!("{base}/conversations.history"),
            format!("{bare_base}/conversations.history"),
            history_script,
        ),
    ]
    .into_iter()
    .filter(|(name, ..)| name.contains(only.as_str()))
    .collect();

    println!(
        "external load: wrk -t{threads} -c{connections} -d{seconds}s, {rounds} rounds, dtu serve and the bare server alternately\n"
    );
    let mut results: Vec<Vec<(Run, Run)>> = vec![Vec::new(); pairs.len()];
    for round in 0..rounds {
        for (i, (name, twin_url, bare_url, script)) in pairs.iter().enumerate() {
            let wrk = |url: &str| wrk_run(threads, connections, seconds, script, url);
            // Alternate which goes first, so neither always follows the other's writes.
            let (bare_run, twin_run) = if round % 2 == 0 {
                let b = wrk(bare_url);
                (b, wrk(twin_url))
            } else {
                let t = wrk(twin_url);
                (wrk(bare_url), t)
            };
            println!(
                "round {} {name}: bare {:.0} req/s p99 {:.2} ms; dtu {:.0} req/s p99 {:.2} ms ({:.2} × bare, {} non-2xx)",
                round + 1,
                bare_run.per_second,
                bare_run.p99_ms,
                twin_run.per_second,
                twin_run.p99_ms,
                twin_run.per_second / bare_run.per_second.max(1.0),
                twin_run.non_2xx,
            );
            results[i].push((bare_run, twin_run));
        }
    }

    println!(
        "\n| target | bare req/s | dtu req/s | req/s ÷ bare: median | lowest | highest | bare p99 ms | dtu p99 ms | p99 dtu ÷ bare: median |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for ((name, ..), runs) in pairs.iter().zip(&results) {
        let ratios: Vec<f64> = runs.iter().map(|(b, t)| t.per_second / b.per_second.max(1.0)).collect();
        let p99_ratios: Vec<f64> = runs.iter().map(|(b, t)| t.p99_ms / b.p99_ms.max(0.001)).collect();
        let med = |f: &dyn Fn(&(Run, Run)) -> f64| median(runs.iter().map(f).collect());
        println!(
            "| `{name}` | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            med(&|(b, _)| b.per_second),
            med(&|(_, t)| t.per_second),
            median(ratios.clone()),
            ratios.iter().copied().fold(f64::INFINITY, f64::min),
            ratios.iter().copied().fold(0.0, f64::max),
            med(&|(b, _)| b.p99_ms),
            med(&|(_, t)| t.p99_ms),
            median(p99_ratios),
        );
        let failed: u64 = runs.iter().map(|(_, t)| t.non_2xx + t.socket_errors).sum();
        if failed > 0 {
            println!("  ({name}: {failed} non-2xx answers or socket errors from dtu over all rounds)");
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// One wrk run: rate, p99, and what went wrong.
#[derive(Clone, Debug, Default)]
struct Run {
    per_second: f64,
    p99_ms: f64,
    non_2xx: u64,
    socket_errors: u64,
}

fn wrk_run(threads: u64, connections: u64, seconds: u64, script: &Path, url: &str) -> Run {
    let out = Command::new("wrk")
        .args([
            format!("-t{threads}"),
            format!("-c{connections}"),
            format!("-d{seconds}s"),
            "--latency".into(),
            "-s".into(),
            script.display().to_string(),
            url.into(),
        ])
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    parse_wrk(&text).unwrap_or_else(|| panic!("could not read wrk's output:\n{text}"))
}

/// Reads `Requests/sec:`, the `99%` latency line, `Non-2xx or 3xx responses:` and
/// `Socket errors:` from wrk's report.
fn parse_wrk(text: &str) -> Option<Run> {
    let mut run = Run::default();
    let mut seen_rate = false;
    let mut seen_p99 = false;
    for line in text.lines().map(str::trim) {
        if let Some(rate) = line.strip_prefix("Requests/sec:") {
            run.per_second = rate.trim().parse().ok()?;
            seen_rate = true;
        } else if let Some(latency) = line.strip_prefix("99%") {
            run.p99_ms = duration_ms(latency.trim())?;
            seen_p99 = true;
        } else if let Some(n) = line.strip_prefix("Non-2xx or 3xx responses:") {
            run.non_2xx = n.trim().parse().ok()?;
        } else if let Some(errors) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            run.socket_errors = errors
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1))
                .filter_map(|n| n.parse::<u64>().ok())
                .sum();
        }
    }
    (seen_rate && seen_p99).then_some(run)
}

/// wrk's durations: `812.00us`, `1.23ms`, `2.01s`.
fn duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(value / 1000.0),
        "ms" => Some(value),
        "s" => Some(value * 1000.0),
        "m" => Some(value * 60_000.0),
        _ => None,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// A wrk script that POSTs this form body with the bot token, as the SDKs do.
fn lua_script(dir: &Path, name: &str, token: &str, body: &str) -> PathBuf {
    let path = dir.join(format!("{name}.lua"));
    let lua = format!(
        "wrk.method = \"POST\"\nwrk.body = \"{body}\"\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\nwrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"
    );
    std::fs::write(&path, lua).expect("write script");
    path
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `dtu serve --port-base 0` (the release binary cargo built beside this bench) and
/// its manifest once every port listens.
fn start_dtu(work: &Path) -> (KillOnDrop, Value) {
    let manifest_path = work.join("manifest.json");
    let child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_dtu"))
            .args(["serve", "--port-base", "0", "--manifest"])
            .arg(&manifest_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dtu serve"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(manifest) = std::fs::read(&manifest_path).ok().and_then(|b| serde_json::from_slice(&b).ok()) {
            return (child, manifest);
        }
        assert!(Instant::now() < deadline, "dtu serve wrote no manifest in 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// This binary again, as the bare server; its first line of output is its address.
fn start_bare() -> (KillOnDrop, String) {
    let mut child = KillOnDrop(
        Command::new(std::env::current_exe().expect("own path"))
            .env("DTU_EXTERNAL_BARE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the bare server"),
    );
    let mut line = String::new();
    let stdout = child.0.stdout.take().expect("stdout");
    BufReader::new(stdout).read_line(&mut line).expect("bare server address");
    (child, line.trim().to_string())
}

fn general_channel(base: &str, token: &str) -> String {
    let client = reqwest::blocking::Client::builder().no_proxy().build().expect("client");
    let listing: Value = client
        .post(format!("{base}/conversations.list"))
        .bearer_auth(token)
        .form(&[("limit", "200")])
        .send()
        .and_then(|r| r.json())
        .expect("conversations.list");
    listing["channels"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == "general"))
        .and_then(|c| c["id"].as_str())
        .expect("#general")
        .to_string()
}

/// The baseline's state: each channel's messages, newest last.
#[derive(Default)]
struct BareState {
    channels: DashMap<String, Vec<Value>>,
    counter: AtomicU64,
}

#[derive(serde::Deserialize)]
struct PostForm {
    channel: String,
    text: String,
}

#[derive(serde::Deserialize)]
struct HistoryForm {
    channel: String,
    limit: Option<usize>,
}

async fn bare_post(State(state): State<Arc<BareState>>, Form(req): Form<PostForm>) -> Json<Value> {
    let n = state.counter.fetch_add(1, Ordering::Relaxed);
    let ts = format!("1503435956.{n:06}");
    let message = json!({"type": "message", "subtype": "bot_message", "text": req.text, "ts": ts,
                         "username": "ecto1", "bot_id": "B19LU7CSY"});
    state.channels.entry(req.channel.clone()).or_default().push(message.clone());
    Json(json!({"ok": true, "channel": req.channel, "ts": ts, "message": message}))
}

async fn bare_history(State(state): State<Arc<BareState>>, Form(req): Form<HistoryForm>) -> Json<Value> {
    let limit = req.limit.unwrap_or(100).clamp(1, 1000);
    let messages: Vec<Value> =
        state.channels.get(&req.channel).map(|ms| ms.iter().rev().take(limit).cloned().collect()).unwrap_or_default();
    let has_more = state.channels.get(&req.channel).is_some_and(|ms| ms.len() > limit);
    Json(json!({"ok": true, "messages": messages, "has_more": has_more, "pin_count": 0,
                "response_metadata": {"next_cursor": ""}}))
}

fn serve_bare() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut stdout = std::io::stdout();
        writeln!(stdout, "{addr}").and_then(|_| stdout.flush()).expect("print address");
        let app = Router::new()
            .route("/api/chat.postMessage", post(bare_post))
            .route("/api/conversations.history", post(bare_history))
            .with_state(Arc::new(BareState::default()));
        axum::serve(listener, app).await.expect("serve");
    });
}

/// A bench harness runs no tests, so the report reader checks itself on a sample of
/// wrk's report before its figures are trusted.
fn check_report_reader() {
    let report = "Running 5s test @ http://127.0.0.1:1/api/x\n  2 threads and 32 connections\n  Latency Distribution\n     50%  402.00us\n     75%  610.00us\n     90%    1.01ms\n     99%    4.25ms\n  250000 requests in 5.00s, 80.00MB read\n  Socket errors: connect 0, read 2, write 0, timeout 1\n  Non-2xx or 3xx responses: 3\nRequests/sec:  49999.87\nTransfer/sec:     16.00MB\n";
    let run = parse_wrk(report).expect("a sample wrk report is read");
    assert!((run.per_second - 49999.87).abs() < 1e-6 && (run.p99_ms - 4.25).abs() < 1e-9);
    assert_eq!((run.non_2xx, run.socket_errors), (3, 3));
    assert_eq!((duration_ms("812.00us"), duration_ms("2.5s")), (Some(0.812), Some(2500.0)));
    assert!(parse_wrk("no numbers here").is_none());
}
