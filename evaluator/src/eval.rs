//! `dtu eval`: load scenarios, start (or reach) the twins, run, score, report.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use twin_core::Twin;

use crate::agent::AgentCommand;
use crate::control::Control;
use crate::error::{EvalError, Result};
use crate::judge::{Judge, JudgeConfig};
use crate::report;
use crate::results::{aggregate, Outcome, Results, RunRecord};
use crate::runner::{self, Planned, RunContext, Sink};
use crate::scenario::{self, Loaded, Split, MAX_REPETITIONS, MAX_TIMEOUT_S};
use crate::shard::{Measured, Plan, RunKey, ShardResult, ShardSpec};

pub const MAX_JOBS: usize = 256;

/// Where the twins are.
pub enum ServerSource {
    /// Serve these twins in this process (fixtures: built-in plus a directory).
    InProcess { twins: Vec<Arc<dyn Twin>>, fixtures_dir: Option<PathBuf> },
    /// A running `dtu serve`: its control URL and admin token.
    Remote { url: String, admin_token: Option<String> },
}

#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub scenarios: Vec<PathBuf>,
    /// Scenarios that are holdouts whatever their files say.
    pub holdout_scenarios: Vec<PathBuf>,
    /// The agent command (`sh -c`); None with `use_gold`.
    pub agent: Option<String>,
    /// Run each scenario's own gold agent instead.
    pub use_gold: bool,
    pub jobs: usize,
    pub repetitions: Option<u32>,
    pub out: PathBuf,
    /// Full details of holdout scenarios (never give the agent's builder this).
    pub private_out: Option<PathBuf>,
    /// Treat every scenario as a holdout.
    pub holdout: bool,
    pub timeout_s: Option<f64>,
    pub agent_cwd: Option<PathBuf>,
    pub pass_env: Vec<String>,
    pub passthrough: bool,
    pub judge: Option<JudgeConfig>,
    pub progress: bool,
    pub infra_retries: u32,
    /// Forget earlier runs in the output directories.
    pub fresh: bool,
    /// Run only this shard's share of the plan and write a shard result (merged by
    /// `dtu eval merge`).
    pub shard: Option<ShardSpec>,
    /// An earlier `runs.jsonl` (or its directory) whose measured durations balance the
    /// shards instead of the timeouts.
    pub shard_costs: Option<PathBuf>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            scenarios: vec![],
            holdout_scenarios: vec![],
            agent: None,
            use_gold: false,
            jobs: 4,
            repetitions: None,
            out: PathBuf::from("dtu-eval-out"),
            private_out: None,
            holdout: false,
            timeout_s: None,
            agent_cwd: None,
            pass_env: vec![],
            passthrough: false,
            judge: None,
            progress: false,
            infra_retries: 2,
            fresh: false,
            shard: None,
            shard_costs: None,
        }
    }
}

/// What an evaluation produced.
pub struct EvalOutcome {
    /// Everything, holdouts included (for humans and the private output).
    pub full: Results,
    /// What may be shown to whoever builds the agent.
    pub public: Results,
    pub records: Vec<RunRecord>,
    /// Runs made now (the rest were resumed).
    pub new_runs: usize,
    /// The shard run, when sharded (`full` and `public` then cover its share only).
    pub shard: Option<ShardSpec>,
}

/// Written in the output directory so a resume with another agent is refused.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Meta {
    agent: String,
    evaluator_version: String,
}

/// Loads dev and holdout scenarios with their effective splits.
pub fn load_scenarios(opts: &EvalOptions) -> Result<Vec<(Loaded, Split)>> {
    let mut paths = opts.scenarios.clone();
    paths.extend(opts.holdout_scenarios.iter().cloned());
    if paths.is_empty() {
        return Err(EvalError::Usage("give at least one --scenarios DIR".into()));
    }
    let loaded = scenario::load(&paths)?;
    let holdout_roots: Vec<PathBuf> = opts.holdout_scenarios.clone();
    Ok(loaded
        .into_iter()
        .map(|l| {
            let forced = opts.holdout || holdout_roots.iter().any(|root| l.path.starts_with(root));
            let split = if forced { Split::Holdout } else { l.scenario.split };
            (l, split)
        })
        .collect())
}

fn agent_label(opts: &EvalOptions) -> String {
    if opts.use_gold {
        "gold (each scenario's own)".into()
    } else {
        opts.agent.clone().unwrap_or_default()
    }
}

/// Writes `eval.json` (the agent of the runs in `dir`), as an evaluation does.
pub(crate) fn write_meta(dir: &Path, agent: &str) -> Result<()> {
    let meta = Meta { agent: agent.to_string(), evaluator_version: crate::results::EVALUATOR_VERSION.into() };
    let path = dir.join("eval.json");
    let text = serde_json::to_string_pretty(&meta)
        .map_err(|e| EvalError::BadFile { path: path.clone(), message: e.to_string() })?;
    crate::report::write_atomic(&path, &text)
}

/// The plan of an evaluation: its scenarios, repetitions, agent and the costs that
/// balance shards.
pub fn plan(opts: &EvalOptions, scenarios: &[(Loaded, Split)]) -> Result<Plan> {
    let measured = opts.shard_costs.as_deref().map(Measured::read).transpose()?;
    Ok(Plan::new(scenarios, opts.repetitions, opts.timeout_s, &agent_label(opts), measured.as_ref()))
}

fn check_meta(dir: &Path, meta: &Meta, fresh: bool) -> Result<()> {
    let path = dir.join("eval.json");
    if !fresh {
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Ok(old) = serde_json::from_str::<Meta>(&text) {
                if old.agent != meta.agent {
                    return Err(EvalError::Usage(format!(
                        "{} holds runs of another agent ({:?}); use another --out or --fresh",
                        dir.display(),
                        old.agent
                    )));
                }
            }
        }
    }
    let text = serde_json::to_string_pretty(meta)
        .map_err(|e| EvalError::BadFile { path: path.clone(), message: e.to_string() })?;
    std::fs::write(&path, text).map_err(|e| EvalError::io(&path, e))
}

fn prepare_dir(dir: &Path, meta: &Meta, fresh: bool) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| EvalError::io(dir, e))?;
    check_meta(dir, meta, fresh)?;
    let runs = dir.join("runs.jsonl");
    if fresh {
        match std::fs::remove_file(&runs) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(EvalError::io(&runs, e)),
        }
    }
    Ok(runs)
}

/// Runs an evaluation.
pub async fn evaluate(opts: &EvalOptions, server: ServerSource) -> Result<EvalOutcome> {
    let scenarios = load_scenarios(opts)?;
    if opts.jobs == 0 || opts.jobs > MAX_JOBS {
        return Err(EvalError::Usage(format!("--jobs must be 1-{MAX_JOBS}")));
    }
    if let Some(k) = opts.repetitions {
        if k == 0 || k > MAX_REPETITIONS {
            return Err(EvalError::Usage(format!("--repetitions must be 1-{MAX_REPETITIONS}")));
        }
    }
    if let Some(t) = opts.timeout_s {
        if !(t > 0.0 && t <= MAX_TIMEOUT_S) {
            return Err(EvalError::Usage(format!("--timeout must be above 0 and at most {MAX_TIMEOUT_S}")));
        }
    }
    match (&opts.agent, opts.use_gold) {
        (Some(_), true) => return Err(EvalError::Usage("give --agent or --gold, not both".into())),
        (None, false) => return Err(EvalError::Usage("give --agent CMD (or --gold)".into())),
        _ => {}
    }
    if opts.use_gold {
        let missing: Vec<&str> =
            scenarios.iter().filter(|(l, _)| l.scenario.gold.is_none()).map(|(l, _)| l.scenario.id.as_str()).collect();
        if !missing.is_empty() {
            return Err(EvalError::Usage(format!("--gold: no gold agent in {}", missing.join(", "))));
        }
    }
    let any_holdout = scenarios.iter().any(|(_, s)| *s == Split::Holdout);
    if opts.passthrough && any_holdout {
        return Err(EvalError::Usage(
            "--passthrough would show holdout runs' output; not with holdout scenarios".into(),
        ));
    }

    if opts.shard.is_some() && any_holdout && opts.private_out.is_none() {
        return Err(EvalError::Usage(
            "--shard with holdout scenarios needs --private-out: the merge reads the holdout runs from there".into(),
        ));
    }
    if opts.shard.is_none() && opts.shard_costs.is_some() {
        return Err(EvalError::Usage("--shard-costs balances shards: give it with --shard".into()));
    }
    let plan = plan(opts, &scenarios)?;
    let share: Option<BTreeSet<(String, u32)>> = opts.shard.map(|spec| {
        plan.assign(spec.count)
            .swap_remove(spec.index as usize)
            .into_iter()
            .map(|k: RunKey| (k.scenario_hash, k.repetition))
            .collect()
    });
    if let Some(private) = &opts.private_out {
        let same = match (std::fs::canonicalize(&opts.out), std::fs::canonicalize(private)) {
            (Ok(a), Ok(b)) => a == b,
            _ => opts.out == *private,
        };
        if same {
            return Err(EvalError::Usage("--private-out must not be the --out directory".into()));
        }
    }
    let meta = Meta { agent: agent_label(opts), evaluator_version: crate::results::EVALUATOR_VERSION.into() };
    let mut sink = Sink { files: BTreeMap::new() };
    sink.files.insert(Split::Dev, prepare_dir(&opts.out, &meta, opts.fresh)?);
    if let Some(private) = &opts.private_out {
        sink.files.insert(Split::Holdout, prepare_dir(private, &meta, opts.fresh)?);
    }
    let mut previous = Vec::new();
    for path in sink.files.values() {
        previous.extend(runner::read_records(path)?);
    }

    let planned: Vec<Planned> = scenarios
        .iter()
        .map(|(l, split)| Planned {
            loaded: l.clone(),
            split: *split,
            repetitions: opts.repetitions.unwrap_or(l.scenario.repetitions),
            timeout: Duration::from_secs_f64(opts.timeout_s.unwrap_or(l.scenario.timeout_s)),
            command: AgentCommand {
                command: if opts.use_gold {
                    l.scenario.gold.clone().unwrap_or_default()
                } else {
                    opts.agent.clone().unwrap_or_default()
                },
                cwd: opts.agent_cwd.clone(),
                pass_env: opts.pass_env.clone(),
                inherit_env: false,
            },
        })
        .collect();
    let reps: BTreeMap<&str, u32> = planned.iter().map(|p| (p.loaded.hash.as_str(), p.repetitions)).collect();
    // The latest record of each (scenario version, repetition) that is still wanted.
    let mut latest: BTreeMap<(String, u32), RunRecord> = BTreeMap::new();
    for r in previous {
        let mine = share.as_ref().is_none_or(|s| s.contains(&(r.scenario_hash.clone(), r.repetition)));
        if mine && reps.get(r.scenario_hash.as_str()).is_some_and(|n| r.repetition < *n) {
            latest.insert((r.scenario_hash.clone(), r.repetition), r);
        }
    }
    let done: BTreeSet<(String, u32)> =
        latest.iter().filter(|(_, r)| r.outcome != Outcome::InfraError).map(|(k, _)| k.clone()).collect();

    let (control_url, admin_token, in_process) = match server {
        ServerSource::Remote { url, admin_token } => (url, admin_token, None),
        ServerSource::InProcess { twins, fixtures_dir } => {
            let library = crate::server::fixture_library(fixtures_dir.as_deref())?;
            let max = opts.jobs * 2 + scenarios.len() + 16;
            let server = crate::server::InProcess::start(twins, library, max).await?;
            (server.control_url.clone(), Some(server.admin_token.clone()), Some(server))
        }
    };
    let control = Control::new(&control_url, admin_token.as_deref())?;
    let result = async {
        control.health().await?;
        // Health is open to all; `info` needs the admin token, so a missing or wrong
        // token stops the evaluation here instead of failing every run.
        control.info().await?;
        let judge = opts.judge.clone().map(Judge::new).transpose()?;
        let ctx = Arc::new(RunContext {
            control: control.clone(),
            judge,
            infra_retries: opts.infra_retries,
            echo: opts.passthrough,
        });
        runner::run_all(ctx, planned, &done, share.as_ref(), opts.jobs, &sink, opts.progress).await
    }
    .await;
    if let Some(server) = in_process {
        server.stop().await;
    }
    let new = result?;
    let new_runs = new.len();
    for r in new {
        latest.insert((r.scenario_hash.clone(), r.repetition), r);
    }
    let records: Vec<RunRecord> = latest.into_values().collect();
    let label = agent_label(opts);
    let full = aggregate(&scenarios, &records, &label, false);
    // Without holdouts the public results are the full ones (and the bootstrap is not free).
    let public = if any_holdout { aggregate(&scenarios, &records, &label, true) } else { full.clone() };
    if let Some(spec) = opts.shard {
        // A shard's outputs are its share's records for `dtu eval merge`; the figures
        // only mean something merged.
        ShardResult::new(&plan, spec, &records, true).write(&opts.out)?;
        if let Some(private) = &opts.private_out {
            ShardResult::new(&plan, spec, &records, false).write(private)?;
        }
    } else {
        report::write_all(&opts.out, &public, &records)?;
        if let Some(private) = &opts.private_out {
            report::write_all(private, &full, &records)?;
        }
    }
    Ok(EvalOutcome { full, public, records, new_runs, shard: opts.shard })
}

/// What the terminal shows after an evaluation: the summary of the public results, then
/// the most common cause of the agent and infra errors among the runs it may show
/// (dev-split runs only: a holdout run's output never reaches the terminal).
pub fn console_summary(results: &Results, records: &[RunRecord]) -> String {
    let shown: Vec<RunRecord> = records.iter().filter(|r| r.split == Split::Dev).cloned().collect();
    summary_text(results) + &crate::diagnose::console_text(&shown)
}

/// A plain-text summary of (public) results for the terminal.
pub fn summary_text(results: &Results) -> String {
    let s = &results.summary;
    let mut out = format!(
        "satisfaction {:.1}% (95% CI {:.1}–{:.1}%) over {} scenario(s), {} run(s): {} satisfied, {} agent error(s), {} infra error(s) excluded\n",
        s.satisfaction * 100.0,
        s.ci95[0] * 100.0,
        s.ci95[1] * 100.0,
        s.scenarios,
        s.runs,
        s.satisfied,
        s.agent_errors,
        s.infra_errors
    );
    if let Some(kv) = s.pass_hat_k.last() {
        out += &format!("pass^{} {:.1}%\n", kv.k, kv.value * 100.0);
    }
    for sc in &results.scenarios {
        let failing: Vec<String> = sc.failed_checks.iter().map(|(k, v)| format!("{k}×{v}")).collect();
        out += &format!(
            "  {:<40} {:>3}/{:<3} {:>6.1}%  {}\n",
            sc.id,
            sc.satisfied,
            sc.runs,
            sc.rate * 100.0,
            failing.join(" ")
        );
    }
    if let Some(h) = &results.holdout {
        out += &format!(
            "holdout: {} scenario(s), satisfaction {:.1}% (95% CI {:.1}–{:.1}%); failing tags: {}\n",
            h.scenarios,
            h.satisfaction * 100.0,
            h.ci95[0] * 100.0,
            h.ci95[1] * 100.0,
            if h.failing_tags.is_empty() { "none".into() } else { h.failing_tags.join(", ") }
        );
    }
    out
}
