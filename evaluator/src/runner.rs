//! The scenario runner: prepares one universe per scenario, forks it for every run,
//! runs the agent, checks what it left behind, and records the run.
//!
//! Per scenario: create a universe from the fixture, set the clock, apply `setup`,
//! snapshot it as `prepared`, evaluate bindings. Per run: fork
//! `{"from": <prepared>, "snapshot": "prepared"}`, install the chaos rules in the fork
//! (forks start without rules, so every run sees fresh trigger counts), run the agent,
//! read diff, state and journal, check, judge, delete the fork.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Semaphore};

use crate::agent::{self, AgentCommand, Echo};
use crate::checks::{self, CheckResult, Evidence, Status};
use crate::control::{Control, Journal};
use crate::error::{EvalError, Result};
use crate::judge::Judge;
use crate::query::Query;
use crate::results::{AgentSummary, Outcome, RunDetail, RunRecord};
use crate::scenario::{CheckKind, FixtureSpec, Loaded, SetupStep, Source, Split, TwinCall};

/// The most runs one evaluation may hold.
pub const MAX_RUNS: usize = 1_000_000;
/// Journal lines kept in a run's detail (first half and last half).
pub const DETAIL_JOURNAL_LINES: usize = 120;
/// A diff larger than this (as JSON text) is kept as a summary.
pub const DETAIL_DIFF_BYTES: usize = 32 * 1024;

/// A scenario as the runner sees it: the loaded file plus its effective split.
#[derive(Clone)]
pub struct Planned {
    pub loaded: Loaded,
    pub split: Split,
    pub repetitions: u32,
    pub timeout: Duration,
    /// The command to run (the agent, or the scenario's gold agent).
    pub command: AgentCommand,
}

/// A prepared scenario: its universe and bindings.
struct Prepared {
    universe: String,
    bindings: BTreeMap<String, Value>,
}

/// Everything a run needs that is shared.
pub struct RunContext {
    pub control: Control,
    pub judge: Option<Judge>,
    pub infra_retries: u32,
    pub echo: bool,
}

/// Where finished runs go as they finish.
pub struct Sink {
    /// `runs.jsonl` per split (absent: memory only).
    pub files: BTreeMap<Split, PathBuf>,
}

impl Sink {
    fn append(&self, record: &RunRecord) -> Result<()> {
        let Some(path) = self.files.get(&record.split) else { return Ok(()) };
        let mut line = serde_json::to_string(record)
            .map_err(|e| EvalError::BadFile { path: path.clone(), message: e.to_string() })?;
        line.push('\n');
        let mut f =
            std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| EvalError::io(path, e))?;
        f.write_all(line.as_bytes()).map_err(|e| EvalError::io(path, e))
    }
}

/// Reads earlier records of `runs.jsonl` (a torn last line is skipped).
pub fn read_records(path: &Path) -> Result<Vec<RunRecord>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(EvalError::io(path, e)),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        match serde_json::from_str::<RunRecord>(line) {
            Ok(r) => out.push(r),
            Err(e) => {
                tracing::warn!(file = %path.display(), line = i + 1, error = %e, "skipping an unreadable run record")
            }
        }
    }
    Ok(out)
}

fn infra(msg: impl std::fmt::Display) -> String {
    msg.to_string()
}

/// Fills `{{name}}` in the strings of a JSON value: a string that is exactly one
/// placeholder becomes the binding's value, otherwise its text is spliced in.
fn fill(value: &Value, bindings: &BTreeMap<String, Value>) -> std::result::Result<Value, String> {
    Ok(match value {
        Value::String(s) if s.contains("{{") => {
            let names = crate::query::placeholders(s);
            let trimmed = s.trim();
            if names.len() == 1 && trimmed.starts_with("{{") && trimmed.ends_with("}}") {
                bindings.get(&names[0]).cloned().ok_or_else(|| format!("no binding named '{}'", names[0]))?
            } else {
                let mut out = s.clone();
                for n in names {
                    let v = bindings.get(&n).ok_or_else(|| format!("no binding named '{n}'"))?;
                    let text = match v {
                        Value::String(t) => t.clone(),
                        other => other.to_string(),
                    };
                    out = out.replace(&format!("{{{{{n}}}}}"), &text);
                }
                Value::String(out)
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| fill(v, bindings)).collect::<std::result::Result<_, _>>()?),
        Value::Object(o) => Value::Object(
            o.iter().map(|(k, v)| Ok((k.clone(), fill(v, bindings)?))).collect::<std::result::Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn eval_bindings(
    bindings: &BTreeMap<String, Query>,
    state: &Value,
) -> std::result::Result<BTreeMap<String, Value>, String> {
    bindings
        .iter()
        .map(|(name, q)| {
            q.eval(state, &BTreeMap::new()).map(|v| (name.clone(), v)).map_err(|e| format!("binding {name}: {e}"))
        })
        .collect()
}

fn join_url(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

/// The base URL and the Authorization header of a twin call, from the manifest.
fn twin_target(manifest: &Value, call: &TwinCall) -> std::result::Result<(String, String), String> {
    let m = manifest.get(&call.service).ok_or_else(|| format!("the server has no {} twin", call.service))?;
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let missing = |k: &str| format!("the {} manifest has no {k}", call.service);
    match call.service.as_str() {
        "slack" => {
            let key = match call.as_.as_deref().unwrap_or("bot") {
                "bot" => "bot_token",
                "user" => "user_token",
                "app" => "app_token",
                other => return Err(format!("slack calls are made as bot, user or app, not {other}")),
            };
            Ok((
                s("base_url").ok_or_else(|| missing("base_url"))?,
                format!("Bearer {}", s(key).ok_or_else(|| missing(key))?),
            ))
        }
        "okta" => Ok((
            s("org_url").ok_or_else(|| missing("org_url"))?,
            format!("SSWS {}", s("api_token").ok_or_else(|| missing("api_token"))?),
        )),
        "jira" => {
            let (email, token) =
                (s("email").ok_or_else(|| missing("email"))?, s("api_token").ok_or_else(|| missing("api_token"))?);
            Ok((
                s("base_url").ok_or_else(|| missing("base_url"))?,
                format!("Basic {}", base64(&format!("{email}:{token}"))),
            ))
        }
        "google" => Ok((
            s("endpoint").ok_or_else(|| missing("endpoint"))?,
            format!("Bearer {}", s("access_token").ok_or_else(|| missing("access_token"))?),
        )),
        other => Err(format!("unknown service {other}")),
    }
}

fn base64(input: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = input.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n =
            (chunk[0] as u32) << 16 | (*chunk.get(1).unwrap_or(&0) as u32) << 8 | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn twin_call(
    control: &Control,
    universe: &str,
    manifest: &Value,
    call: &TwinCall,
    bindings: &BTreeMap<String, Value>,
) -> std::result::Result<(), String> {
    let (base, auth) = twin_target(manifest, call)?;
    let url = join_url(&base, &call.path);
    let mut req = control
        .http()
        .request(call.method.as_reqwest(), &url)
        .header("authorization", auth)
        .header("x-dtu-universe", universe);
    if let Some(body) = &call.body {
        req = req.json(&fill(body, bindings)?);
    }
    if let Some(form) = &call.form {
        let mut filled = BTreeMap::new();
        for (k, v) in form {
            let v = match fill(&Value::String(v.clone()), bindings)? {
                Value::String(s) => s,
                other => other.to_string(),
            };
            filled.insert(k.clone(), v);
        }
        req = req.form(&filled);
    }
    let what = format!("{} {} {}", call.service, call.method.as_reqwest(), call.path);
    let resp = req.send().await.map_err(|e| format!("{what}: {e}"))?;
    let status = resp.status();
    let bytes = crate::control::read_capped(resp, 1024 * 1024).await.map_err(|e| format!("{what}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{what}: HTTP {status}: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)])));
    }
    if call.service == "slack" {
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if v.get("ok") != Some(&Value::Bool(true)) {
            return Err(format!("{what}: {}", crate::checks::quote(&v)));
        }
    }
    Ok(())
}

/// Creates and prepares the universe of a scenario.
async fn prepare(control: &Control, loaded: &Loaded) -> std::result::Result<Prepared, String> {
    let s = &loaded.scenario;
    let mut body = json!({});
    match &s.fixture {
        Some(FixtureSpec::Name(n)) => body["fixture"] = json!(n),
        Some(FixtureSpec::Inline(m)) => body["fixture"] = Value::Object(m.clone()),
        None => {}
    }
    if let Some(seed) = s.seed {
        body["seed"] = json!(seed);
    }
    let manifest = control.create_universe(&body).await.map_err(infra)?;
    let universe = manifest["id"].as_str().ok_or("the new universe has no id")?.to_string();
    let result = async {
        if let Some(clock) = &s.clock {
            control.set_clock(&universe, clock.start, clock.frozen).await.map_err(infra)?;
        }
        if !s.setup.is_empty() {
            let needs_bindings = serde_json::to_string(&s.setup).map(|t| t.contains("{{")).unwrap_or(false);
            let early = if needs_bindings {
                let state = control.state(&universe).await.map_err(infra)?;
                eval_bindings(&s.bindings, &state)?
            } else {
                BTreeMap::new()
            };
            for (i, step) in s.setup.iter().enumerate() {
                let r = match step {
                    SetupStep::Control(c) => {
                        let body = c.body.as_ref().map(|b| fill(b, &early)).transpose()?;
                        let path = format!("universes/{universe}/{}", c.path.trim_start_matches('/'));
                        control.json(c.method.as_reqwest(), &path, body.as_ref()).await.map(|_| ()).map_err(infra)
                    }
                    SetupStep::Call(t) => twin_call(control, &universe, &manifest, t, &early).await,
                };
                r.map_err(|e| format!("setup[{i}]: {e}"))?;
            }
        }
        control.snapshot(&universe, "prepared").await.map_err(infra)?;
        let bindings = if s.bindings.is_empty() {
            BTreeMap::new()
        } else {
            let state = control.state(&universe).await.map_err(infra)?;
            let b = eval_bindings(&s.bindings, &state)?;
            if let Some((name, _)) = b.iter().find(|(_, v)| v.is_null()) {
                return Err(format!("binding {name} is null on the prepared state"));
            }
            b
        };
        Ok(bindings)
    }
    .await;
    match result {
        Ok(bindings) => Ok(Prepared { universe, bindings }),
        Err(e) => {
            let _ = control.delete_universe(&universe).await;
            Err(e)
        }
    }
}

/// The environment of the agent: named like the SDKs' own variables. Never the control
/// plane's URL or token: an agent under evaluation acts only through the services' APIs.
pub fn agent_env(manifest: &Value, prompt: &str) -> Vec<(String, String)> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let mut env = vec![
        ("DTU_PROMPT".to_string(), prompt.to_string()),
        ("DTU_UNIVERSE".to_string(), s(manifest, "id").unwrap_or_default()),
    ];
    if let Some(slack) = manifest.get("slack") {
        for (var, key) in [
            ("SLACK_BOT_TOKEN", "bot_token"),
            ("SLACK_USER_TOKEN", "user_token"),
            ("SLACK_APP_TOKEN", "app_token"),
            ("SLACK_API_URL", "base_url"),
        ] {
            if let Some(v) = s(slack, key) {
                env.push((var.to_string(), v));
            }
        }
    }
    if let Some(okta) = manifest.get("okta") {
        for (var, key) in [("OKTA_CLIENT_ORGURL", "org_url"), ("OKTA_CLIENT_TOKEN", "api_token")] {
            if let Some(v) = s(okta, key) {
                env.push((var.to_string(), v));
            }
        }
        env.push(("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK".to_string(), "true".to_string()));
    }
    if let Some(jira) = manifest.get("jira") {
        for (var, key) in [
            ("JIRA_BASE_URL", "base_url"),
            ("JIRA_EMAIL", "email"),
            ("JIRA_API_TOKEN", "api_token"),
            ("JIRA_BEARER_TOKEN", "bearer_token"),
        ] {
            if let Some(v) = s(jira, key) {
                env.push((var.to_string(), v));
            }
        }
    }
    if let Some(google) = manifest.get("google") {
        // The service account's key file content (GOOGLE_APPLICATION_CREDENTIALS names a
        // file; an agent writes it out or uses from_service_account_info).
        for (var, value) in [
            ("GOOGLE_API_ENDPOINT", s(google, "endpoint")),
            ("GOOGLE_DRIVE_DISCOVERY_URL", google.get("discovery_urls").and_then(|d| s(d, "drive"))),
            ("GOOGLE_ACCESS_TOKEN", s(google, "access_token")),
            ("GOOGLE_SERVICE_ACCOUNT_KEY", google.get("service_account").map(Value::to_string)),
        ] {
            if let Some(v) = value {
                env.push((var.to_string(), v));
            }
        }
    }
    env
}

fn journal_line(e: &crate::control::JournalEntry) -> String {
    let op = e.operation.as_str();
    let fault = e.fault.as_deref().map(|f| format!(" fault={f}")).unwrap_or_default();
    let unmatched = if e.matched { "" } else { " (unmatched)" };
    format!(
        "#{} {} {} {} {}{unmatched} → {}{fault} ({:.0} ms)",
        e.seq,
        e.time.format("%H:%M:%S%.3f"),
        e.service,
        e.method,
        op,
        e.status,
        e.latency_ms
    )
}

fn journal_excerpt(journal: &Journal) -> Vec<String> {
    let n = journal.entries.len();
    if n <= DETAIL_JOURNAL_LINES {
        return journal.entries.iter().map(journal_line).collect();
    }
    let half = DETAIL_JOURNAL_LINES / 2;
    let mut out: Vec<String> = journal.entries[..half].iter().map(journal_line).collect();
    out.push(format!("[… {} entries omitted …]", n - 2 * half));
    out.extend(journal.entries[n - half..].iter().map(journal_line));
    out
}

/// The diff as is, or (when large) its change counts and first ids per collection.
pub fn diff_excerpt(diff: &Value) -> Value {
    let text_len = serde_json::to_string(diff).map(|t| t.len()).unwrap_or(0);
    if text_len <= DETAIL_DIFF_BYTES {
        return diff.clone();
    }
    let mut summary = serde_json::Map::new();
    if let Some(services) = diff.get("services").and_then(Value::as_object) {
        for (svc, colls) in services {
            for (coll, d) in colls.as_object().into_iter().flatten() {
                let mut entry = serde_json::Map::new();
                for kind in ["created", "updated", "deleted"] {
                    if let Some(items) = d.get(kind).and_then(Value::as_array) {
                        let ids: Vec<Value> = items.iter().take(10).map(|i| i["id"].clone()).collect();
                        entry.insert(kind.into(), json!({"count": items.len(), "first_ids": ids}));
                    }
                }
                summary.insert(format!("{svc}.{coll}"), Value::Object(entry));
            }
        }
    }
    json!({"summary_of_large_diff": summary, "bytes": text_len})
}

fn needs_state(loaded: &Loaded) -> bool {
    loaded.scenario.checks.iter().any(|c| matches!(&c.kind, CheckKind::State(s) if s.source == Source::State))
}

/// One attempt at one run. `Err` is an infrastructure failure (to retry).
async fn attempt(
    ctx: &RunContext,
    planned: &Planned,
    prepared: &Prepared,
    repetition: u32,
    echo: Option<Echo>,
) -> std::result::Result<RunRecord, String> {
    let loaded = &planned.loaded;
    let s = &loaded.scenario;
    let control = &ctx.control;
    let started_at = Utc::now();
    let started = Instant::now();
    let fork = json!({"from": prepared.universe, "snapshot": "prepared", "seed": repetition});
    let manifest = control.create_universe(&fork).await.map_err(|e| format!("fork: {e}"))?;
    let universe = manifest["id"].as_str().ok_or("the fork has no id")?.to_string();
    let outcome = async {
        let mut installed = Vec::new();
        for (i, rule) in s.chaos.iter().enumerate() {
            let rule = serde_json::to_value(rule).map_err(|e| format!("chaos[{i}]: {e}"))?;
            let view = control.add_rule(&universe, &rule).await.map_err(|e| format!("chaos[{i}]: {e}"))?;
            installed.push(view["id"].as_str().unwrap_or_default().to_string());
        }
        let clock_before = clock_offset(control, &universe).await?;
        let env = agent_env(&manifest, &s.intent);
        let out = agent::run(&planned.command, &env, &s.intent, planned.timeout, echo).await;
        let clock_after = clock_offset(control, &universe).await?;
        let rules = if installed.is_empty() {
            Vec::new()
        } else {
            control.rules(&universe).await.map_err(|e| format!("rules: {e}"))?
        };
        let diff = control.diff(&universe, "initial").await.map_err(|e| format!("diff: {e}"))?;
        let state = if needs_state(loaded) {
            Some(control.state(&universe).await.map_err(|e| format!("state: {e}"))?)
        } else {
            None
        };
        let journal = control.journal(&universe).await.map_err(|e| format!("journal: {e}"))?;
        let integrity = integrity(&installed, &rules, clock_before, clock_after, &journal);
        let retry_after = checks::retry_after_of(&rules);
        let ev = Evidence {
            state: state.as_ref(),
            diff: &diff,
            journal: &journal,
            retry_after: &retry_after,
            bindings: &prepared.bindings,
        };
        let mut results: Vec<CheckResult> = s.checks.iter().map(|c| checks::evaluate(c, &ev)).collect();
        results.push(integrity);
        let deterministic_ok = results.iter().filter(|r| r.kind != "rubric").all(|r| r.status == Status::Pass);
        let mut judge_model = None;
        if let Some(judge) = &ctx.judge {
            judge_model = Some(judge.model().to_string());
            for (check, result) in s.checks.iter().zip(results.iter_mut()) {
                let CheckKind::Rubric(rubric) = &check.kind else { continue };
                if !deterministic_ok || !out.succeeded() {
                    result.message = "not judged: the run already failed".into();
                    continue;
                }
                let verdict = judge.judge(&s.intent, rubric, &diff, &journal).await;
                result.status = if verdict.pass { Status::Pass } else { Status::Fail };
                result.message = verdict.message;
            }
        }
        let satisfied = out.succeeded()
            && results.iter().all(|r| r.status == Status::Pass || (r.status == Status::Skipped && ctx.judge.is_none()));
        let outcome = if !out.succeeded() {
            Outcome::AgentError
        } else if satisfied {
            Outcome::Satisfied
        } else {
            Outcome::Unsatisfied
        };
        let detail = (outcome != Outcome::Satisfied).then(|| RunDetail {
            stdout: out.stdout.clone(),
            stderr: out.stderr.clone(),
            diff: diff_excerpt(&diff),
            journal: journal_excerpt(&journal),
        });
        Ok(RunRecord {
            scenario: s.id.clone(),
            scenario_hash: loaded.hash.clone(),
            split: planned.split,
            tags: s.tags.clone(),
            repetition,
            outcome,
            agent: Some(AgentSummary {
                exit_code: out.exit_code,
                signal: out.signal,
                timed_out: out.timed_out,
                duration_ms: out.duration_ms,
                description: out.describe(),
            }),
            checks: results,
            error: None,
            judge_model,
            started_at,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            detail,
        })
    }
    .await;
    if let Err(e) = control.delete_universe(&universe).await {
        tracing::warn!(universe = %universe, error = %e, "could not delete a run's universe");
    }
    outcome
}

/// How far the universe clock is from real time (ms), and whether it is frozen.
async fn clock_offset(control: &Control, universe: &str) -> std::result::Result<(i64, bool), String> {
    let (now, frozen) = control.clock(universe).await.map_err(|e| format!("clock: {e}"))?;
    if frozen {
        return Ok((now.timestamp_millis(), true));
    }
    Ok(((now - Utc::now()).num_milliseconds(), false))
}

/// The id of the check that the run left the harness alone.
pub const INTEGRITY_CHECK: &str = "integrity";
/// Clock drift between two readings that is not tampering (request latency).
const CLOCK_SLACK_MS: i64 = 1_000;

/// The run left the harness alone: no control-plane request was attempted in its
/// universe's name or with its credentials (the server refuses them all, and journals
/// each in the universe it named), and, as a second line of defence, its chaos rules
/// and clock are as installed (a moved clock would fake a Retry-After wait).
fn integrity(
    installed: &[String],
    rules: &[Value],
    before: (i64, bool),
    after: (i64, bool),
    journal: &Journal,
) -> CheckResult {
    let present: BTreeSet<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    let missing: Vec<&str> = installed.iter().map(String::as_str).filter(|id| !present.contains(id)).collect();
    let mut problems = Vec::new();
    let attempts: Vec<String> = journal
        .entries
        .iter()
        .filter(|e| e.service == twin_core::control::CONTROL_SERVICE)
        .map(|e| format!("{} /_dtu{}", e.method, e.path.strip_prefix("/_dtu").unwrap_or(&e.path)))
        .collect();
    if !attempts.is_empty() {
        let shown: Vec<&str> = attempts.iter().take(5).map(String::as_str).collect();
        let more = if attempts.len() > 5 { format!(" and {} more", attempts.len() - 5) } else { String::new() };
        problems.push(format!(
            "the agent tried the control plane {} time(s), all refused: {}{more}",
            attempts.len(),
            shown.join(", ")
        ));
    }
    if !missing.is_empty() {
        problems.push(format!("chaos rules removed during the run: {}", missing.join(", ")));
    }
    if before.1 != after.1 || (before.0 - after.0).abs() > CLOCK_SLACK_MS {
        problems.push(format!("the universe clock was moved during the run ({} ms)", after.0 - before.0));
    }
    CheckResult {
        id: INTEGRITY_CHECK.into(),
        kind: "integrity".into(),
        status: if problems.is_empty() { Status::Pass } else { Status::Fail },
        message: if problems.is_empty() {
            "no control-plane attempts; chaos rules and clock untouched".into()
        } else {
            problems.join("; ")
        },
    }
}

fn infra_record(planned: &Planned, repetition: u32, error: String) -> RunRecord {
    RunRecord {
        scenario: planned.loaded.scenario.id.clone(),
        scenario_hash: planned.loaded.hash.clone(),
        split: planned.split,
        tags: planned.loaded.scenario.tags.clone(),
        repetition,
        outcome: Outcome::InfraError,
        agent: None,
        checks: vec![],
        error: Some(error),
        judge_model: None,
        started_at: Utc::now(),
        duration_ms: 0.0,
        detail: None,
    }
}

/// Runs every pending (scenario, repetition) pair; returns the new records. `only`
/// (a shard's share, keyed by scenario hash and repetition) limits the runs considered.
pub async fn run_all(
    ctx: Arc<RunContext>,
    planned: Vec<Planned>,
    done: &BTreeSet<(String, u32)>,
    only: Option<&BTreeSet<(String, u32)>>,
    jobs: usize,
    sink: &Sink,
    progress: bool,
) -> Result<Vec<RunRecord>> {
    let planned_runs: usize = planned.iter().map(|p| p.repetitions as usize).sum();
    if planned_runs > MAX_RUNS {
        return Err(EvalError::Usage(format!("{planned_runs} runs asked for; at most {MAX_RUNS} in one evaluation")));
    }
    let wanted: Vec<(usize, u32)> = planned
        .iter()
        .enumerate()
        .flat_map(|(i, p)| (0..p.repetitions).map(move |r| (i, r)))
        .filter(|(i, r)| only.is_none_or(|o| o.contains(&(planned[*i].loaded.hash.clone(), *r))))
        .collect();
    let total = wanted.len();
    let pending: Vec<(usize, u32)> =
        wanted.into_iter().filter(|(i, r)| !done.contains(&(planned[*i].loaded.hash.clone(), *r))).collect();
    let skipped = total - pending.len();
    let bar = if progress { ProgressBar::new(total as u64) } else { ProgressBar::hidden() };
    if progress {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
    let style =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} runs {msg} (eta {eta})")
            .map_err(|e| EvalError::Usage(e.to_string()))?;
    bar.set_style(style);
    bar.set_position(skipped as u64);
    if skipped > 0 {
        bar.println(format!("resuming: {skipped} of {total} runs already finished"));
    }

    // Prepare the scenarios that have pending runs.
    let mut prepared: BTreeMap<usize, std::result::Result<Arc<Prepared>, String>> = BTreeMap::new();
    for &(i, _) in &pending {
        if prepared.contains_key(&i) {
            continue;
        }
        let p = prepare(&ctx.control, &planned[i].loaded).await.map(Arc::new);
        if let Err(e) = &p {
            // Holdout details stay out of the terminal too.
            match planned[i].split {
                Split::Holdout => bar.println("preparing a holdout scenario failed (see --private-out)"),
                Split::Dev => bar.println(format!("preparing {} failed: {e}", planned[i].loaded.scenario.id)),
            }
        }
        prepared.insert(i, p);
    }

    let planned = Arc::new(planned);
    let semaphore = Arc::new(Semaphore::new(jobs.max(1)));
    let (tx, mut rx) = mpsc::channel::<RunRecord>(jobs.max(1) * 2);
    let mut handles = Vec::with_capacity(pending.len());
    for (i, rep) in pending {
        let ctx = ctx.clone();
        let planned = planned.clone();
        let prep = prepared.get(&i).cloned();
        let tx = tx.clone();
        let sem = semaphore.clone();
        let bar = bar.clone();
        handles.push(tokio::spawn(async move {
            let Ok(_permit) = sem.acquire_owned().await else { return };
            let p = &planned[i];
            let echo: Option<Echo> = (ctx.echo && p.split == Split::Dev).then(|| {
                let tag = format!("[{}#{rep}]", p.loaded.scenario.id);
                let bar = bar.clone();
                Arc::new(move |line: &str| bar.println(format!("{tag}{line}"))) as Echo
            });
            let record = match prep {
                Some(Ok(prep)) => {
                    let mut last = String::new();
                    let mut record = None;
                    for attempt_no in 0..=ctx.infra_retries {
                        match attempt(&ctx, p, &prep, rep, echo.clone()).await {
                            Ok(r) => {
                                record = Some(r);
                                break;
                            }
                            Err(e) => {
                                if p.split == Split::Dev {
                                    tracing::warn!(scenario = %p.loaded.scenario.id, attempt = attempt_no, error = %e, "run failed in the harness");
                                } else {
                                    tracing::warn!(attempt = attempt_no, "a holdout run failed in the harness");
                                }
                                last = e;
                            }
                        }
                    }
                    record.unwrap_or_else(|| infra_record(p, rep, last))
                }
                Some(Err(e)) => infra_record(p, rep, format!("prepare: {e}")),
                None => infra_record(p, rep, "not prepared".into()),
            };
            let _ = tx.send(record).await;
        }));
    }
    drop(tx);
    let mut records = Vec::new();
    let (mut ok, mut bad, mut infra_n) = (0u64, 0u64, 0u64);
    while let Some(record) = rx.recv().await {
        match record.outcome {
            Outcome::Satisfied => ok += 1,
            Outcome::InfraError => infra_n += 1,
            _ => bad += 1,
        }
        sink.append(&record)?;
        bar.inc(1);
        bar.set_message(format!("✓ {ok} ✗ {bad} ⚠ {infra_n}"));
        records.push(record);
    }
    for h in handles {
        let _ = h.await;
    }
    bar.finish_and_clear();
    for p in prepared.into_values().flatten() {
        if let Err(e) = ctx.control.delete_universe(&p.universe).await {
            tracing::warn!(error = %e, "could not delete a prepared universe");
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_whole_and_spliced_placeholders() {
        let b: BTreeMap<String, Value> = [("c".to_string(), json!("C1")), ("n".to_string(), json!(3))].into();
        let v = fill(&json!({"channel": "{{c}}", "text": "in {{c}} x{{n}}", "k": ["{{n}}", 1]}), &b).unwrap();
        assert_eq!(v, json!({"channel": "C1", "text": "in C1 x3", "k": [3, 1]}));
        assert!(fill(&json!("{{zz}}"), &b).is_err());
    }

    #[test]
    fn env_follows_the_manifest() {
        let m = json!({"id": "u-1", "control_url": "http://c/_dtu/",
            "slack": {"base_url": "http://s/api/", "bot_token": "xoxb", "user_token": "xoxp", "app_token": "xapp"}});
        let env: BTreeMap<String, String> = agent_env(&m, "do it").into_iter().collect();
        assert_eq!(env["SLACK_API_URL"], "http://s/api/");
        assert_eq!(env["SLACK_BOT_TOKEN"], "xoxb");
        assert_eq!(env["DTU_UNIVERSE"], "u-1");
        assert!(!env.contains_key("DTU_CONTROL_URL"), "agents never get the control plane");
        assert!(!env.contains_key("OKTA_CLIENT_ORGURL"));
        let m = json!({"id": "u-2", "okta": {"org_url": "http://o", "api_token": "t"}});
        let env: BTreeMap<String, String> = agent_env(&m, "p").into_iter().collect();
        assert_eq!(env["OKTA_CLIENT_ORGURL"], "http://o");
        assert_eq!(env["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"], "true");
        assert!(!env.values().any(|v| v.contains("_dtu")));
        assert!(!env.contains_key("SLACK_BOT_TOKEN"));
    }

    #[test]
    fn integrity_sees_removed_rules_and_moved_clocks() {
        let rules = vec![json!({"id": "r1"}), json!({"id": "r2"})];
        let quiet = Journal::default();
        let ok = integrity(&["r1".into(), "r2".into()], &rules, (10, false), (300, false), &quiet);
        assert_eq!(ok.status, Status::Pass, "{}", ok.message);
        let gone = integrity(&["r1".into(), "r3".into()], &rules, (10, false), (10, false), &quiet);
        assert_eq!(gone.status, Status::Fail);
        assert!(gone.message.contains("removed during the run: r3"), "{}", gone.message);
        let moved = integrity(&[], &[], (0, false), (5_000, false), &quiet);
        assert!(moved.message.contains("clock was moved"), "{}", moved.message);
        let thawed = integrity(&[], &[], (1_000, true), (1_000, false), &quiet);
        assert_eq!(thawed.status, Status::Fail);
        let refused = crate::control::JournalEntry {
            seq: 1,
            time: chrono::Utc::now(),
            service: "control".into(),
            operation: "control.refused".into(),
            matched: true,
            method: "PUT".into(),
            path: "/_dtu/universes/u-1/import".into(),
            query: None,
            principal: None,
            request_body: None,
            status: 401,
            latency_ms: 0.0,
            fault: None,
            retry_after_s: None,
            response: None,
        };
        let tried = Journal { entries: vec![refused], complete: true };
        let caught = integrity(&[], &[], (0, false), (0, false), &tried);
        assert_eq!(caught.status, Status::Fail);
        assert!(caught.message.contains("PUT /_dtu/universes/u-1/import"), "{}", caught.message);
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(""), "");
        assert_eq!(base64("f"), "Zg==");
        assert_eq!(base64("fo"), "Zm8=");
        assert_eq!(base64("foo"), "Zm9v");
        assert_eq!(base64("foobar"), "Zm9vYmFy");
    }

    #[test]
    fn large_diffs_are_summarised() {
        let items: Vec<Value> =
            (0..2000).map(|i| json!({"id": format!("m{i}"), "record": {"text": "x".repeat(20)}})).collect();
        let diff = json!({"services": {"slack": {"messages": {"created": items}}}});
        let e = diff_excerpt(&diff);
        assert_eq!(e["summary_of_large_diff"]["slack.messages"]["created"]["count"], 2000);
        let small = json!({"services": {}});
        assert_eq!(diff_excerpt(&small), small);
    }
}
