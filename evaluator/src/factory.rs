//! `dtu factory`: the software-factory loop. Each iteration runs the coder (given
//! the spec and the last feedback), builds, evaluates the built agent on the
//! scenarios, and turns the results into feedback, until satisfaction's lower 95%
//! bound reaches the threshold or the iteration budget is spent.
//!
//! Feedback carries aggregate figures, and details only for dev scenarios: of a
//! holdout scenario the coder learns nothing but the holdout satisfaction and the
//! tags that fail, so holdouts never become training data.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::Args;
use serde::{Deserialize, Serialize};
use twin_core::Twin;

use crate::agent::{self, AgentCommand, AgentOutcome, Echo};
use crate::checks::Status;
use crate::error::{EvalError, Result};
use crate::eval::{self, EvalOptions};
use crate::results::{Outcome, Results, RunRecord};
use crate::scenario::Split;

/// Feedback text given to the coder is capped at this many bytes.
pub const MAX_FEEDBACK_BYTES: usize = 64 * 1024;
/// Failed checks listed per dev scenario in feedback.
const CHECKS_PER_SCENARIO: usize = 10;
pub const MAX_ITERATIONS: u32 = 1_000;

#[derive(Args, Debug, Clone)]
pub struct FactoryArgs {
    /// The product specification given to the coder.
    #[arg(long, value_name = "FILE")]
    pub spec: PathBuf,
    /// The coding agent (sh -c), run once per iteration with the spec and the last feedback on stdin.
    #[arg(long, value_name = "CMD")]
    pub coder: String,
    /// The build (sh -c); a failure skips the evaluation of that iteration.
    #[arg(long, value_name = "CMD")]
    pub build: String,
    /// The built agent to evaluate (sh -c), as for `dtu eval --agent`.
    #[arg(long, value_name = "CMD")]
    pub agent: String,
    /// Dev scenarios: their failures are fed back in detail. Repeat for more.
    #[arg(long = "scenarios", value_name = "DIR")]
    pub scenarios: Vec<PathBuf>,
    /// Holdout scenarios: only aggregate satisfaction and failing tags are fed back.
    #[arg(long = "holdout-scenarios", value_name = "DIR")]
    pub holdout_scenarios: Vec<PathBuf>,
    /// Stop when the lower 95% bound of satisfaction reaches this (0-1).
    #[arg(long)]
    pub threshold: f64,
    /// Also require every scenario's satisfaction to reach this (0-1).
    #[arg(long)]
    pub floor: Option<f64>,
    #[arg(long, default_value_t = 10)]
    pub max_iterations: u32,
    /// Where the coder, build and agent run (default: here).
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    /// iterations.jsonl, satisfaction.svg, feedback and each evaluation's public outputs.
    #[arg(long, default_value = "dtu-factory-out")]
    pub out: PathBuf,
    /// Full holdout details of each evaluation (keep it away from the coder).
    #[arg(long, value_name = "DIR")]
    pub private_out: Option<PathBuf>,
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    #[arg(long)]
    pub repetitions: Option<u32>,
    /// Per-run timeout of the agent in seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    #[arg(long, value_name = "SECONDS", default_value_t = 3600.0)]
    pub coder_timeout: f64,
    #[arg(long, value_name = "SECONDS", default_value_t = 900.0)]
    pub build_timeout: f64,
    /// A host environment variable to pass to the agent under test; repeat for more.
    #[arg(long = "agent-env", value_name = "NAME")]
    pub agent_env: Vec<String>,
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The admin token of the `--server`. Never given to the agent or the coder.
    #[arg(long, env = "DTU_ADMIN_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub admin_token: Option<String>,
    #[arg(long, value_name = "DIR")]
    pub fixtures_dir: Option<PathBuf>,
    #[arg(long, value_name = "URL", requires = "judge_model")]
    pub judge_url: Option<String>,
    #[arg(long, value_name = "MODEL", requires = "judge_url")]
    pub judge_model: Option<String>,
    #[arg(long)]
    pub no_progress: bool,
    /// Do not echo the coder's and build's output.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IterationStatus {
    Evaluated,
    CoderFailed,
    BuildFailed,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepLog {
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub duration_ms: f64,
}

impl From<&AgentOutcome> for StepLog {
    fn from(o: &AgentOutcome) -> Self {
        StepLog { exit_code: o.exit_code, timed_out: o.timed_out, duration_ms: o.duration_ms }
    }
}

/// One line of `iterations.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Iteration {
    pub iteration: u32,
    pub started_at: DateTime<Utc>,
    pub status: IterationStatus,
    pub coder: StepLog,
    #[serde(default)]
    pub build: Option<StepLog>,
    #[serde(default)]
    pub satisfaction: Option<f64>,
    #[serde(default)]
    pub ci95: Option<[f64; 2]>,
    #[serde(default)]
    pub holdout_satisfaction: Option<f64>,
    #[serde(default)]
    pub runs: u64,
    pub converged: bool,
}

/// What the coder is told about an evaluation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Feedback {
    pub iteration: u32,
    pub status: IterationStatus,
    pub threshold: f64,
    #[serde(default)]
    pub satisfaction: Option<f64>,
    #[serde(default)]
    pub ci95: Option<[f64; 2]>,
    /// Dev scenarios only.
    #[serde(default)]
    pub scenarios: Vec<ScenarioFeedback>,
    #[serde(default)]
    pub holdout: Option<HoldoutFeedback>,
    /// The tail of the coder's or build's output when that step failed.
    #[serde(default)]
    pub step_output: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioFeedback {
    pub id: String,
    pub title: String,
    pub satisfied: u64,
    pub runs: u64,
    /// `check id: message` of the first unsatisfied run.
    pub failed_checks: Vec<String>,
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub stderr_tail: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HoldoutFeedback {
    pub scenarios: usize,
    pub satisfaction: f64,
    pub failing_tags: Vec<String>,
}

fn tail(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &s[start..])
}

/// Builds feedback from public (redacted) results and the dev runs' records.
pub fn feedback(iteration: u32, threshold: f64, public: &Results, records: &[RunRecord]) -> Feedback {
    let scenarios = public
        .scenarios
        .iter()
        .filter(|s| s.split == Split::Dev)
        .map(|s| {
            let first_bad = records
                .iter()
                .filter(|r| r.split == Split::Dev && r.scenario_hash == s.hash && r.outcome != Outcome::Satisfied)
                .min_by_key(|r| r.repetition);
            let failed_checks = first_bad
                .map(|r| {
                    r.checks
                        .iter()
                        .filter(|c| c.status == Status::Fail)
                        .take(CHECKS_PER_SCENARIO)
                        .map(|c| format!("{}: {}", c.id, c.message))
                        .collect()
                })
                .unwrap_or_default();
            ScenarioFeedback {
                id: s.id.clone(),
                title: s.title.clone(),
                satisfied: s.satisfied,
                runs: s.runs,
                failed_checks,
                agent: first_bad.and_then(|r| r.agent.as_ref()).map(|a| a.description.clone()),
                stderr_tail: first_bad
                    .and_then(|r| r.detail.as_ref())
                    .map(|d| tail(&d.stderr, 2000))
                    .filter(|t| !t.trim().is_empty()),
            }
        })
        .collect();
    Feedback {
        iteration,
        status: IterationStatus::Evaluated,
        threshold,
        satisfaction: Some(public.summary.satisfaction),
        ci95: Some(public.summary.ci95),
        scenarios,
        holdout: public.holdout.as_ref().map(|h| HoldoutFeedback {
            scenarios: h.scenarios,
            satisfaction: h.satisfaction,
            failing_tags: h.failing_tags.clone(),
        }),
        step_output: None,
    }
}

/// Feedback as text for the coder's stdin (capped).
pub fn feedback_text(f: &Feedback) -> String {
    let mut out = format!("Evaluation of iteration {}: ", f.iteration);
    match f.status {
        IterationStatus::CoderFailed => out += "the coder failed; nothing was evaluated.\n",
        IterationStatus::BuildFailed => out += "the build failed; nothing was evaluated.\n",
        IterationStatus::Evaluated => {
            if let (Some(s), Some([lo, hi])) = (f.satisfaction, f.ci95) {
                out += &format!(
                    "satisfaction {:.1}% (95% CI {:.1}–{:.1}%); the goal is a lower bound of at least {:.1}%.\n",
                    s * 100.0,
                    lo * 100.0,
                    hi * 100.0,
                    f.threshold * 100.0
                );
            }
        }
    }
    if let Some(o) = &f.step_output {
        out += &format!("Output:\n{o}\n");
    }
    for s in &f.scenarios {
        out += &format!("- {} ({}): {}/{} runs satisfied\n", s.id, s.title, s.satisfied, s.runs);
        if let Some(a) = &s.agent {
            if a != "exited 0" {
                out += &format!("    agent {a}\n");
            }
        }
        for c in &s.failed_checks {
            out += &format!("    failed {c}\n");
        }
        if let Some(t) = &s.stderr_tail {
            out += &format!("    stderr: {}\n", t.replace('\n', "\n      "));
        }
    }
    if let Some(h) = &f.holdout {
        out += &format!(
            "Holdout ({} scenario(s), details withheld): satisfaction {:.1}%; failing tags: {}\n",
            h.scenarios,
            h.satisfaction * 100.0,
            if h.failing_tags.is_empty() { "none".into() } else { h.failing_tags.join(", ") }
        );
    }
    tail_cap(out)
}

fn tail_cap(mut s: String) -> String {
    if s.len() > MAX_FEEDBACK_BYTES {
        let mut cut = MAX_FEEDBACK_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("\n[feedback truncated]\n");
    }
    s
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(v)
        .map_err(|e| EvalError::BadFile { path: path.into(), message: e.to_string() })?;
    std::fs::write(path, text).map_err(|e| EvalError::io(path, e))
}

fn append_line<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    use std::io::Write;
    let mut line =
        serde_json::to_string(v).map_err(|e| EvalError::BadFile { path: path.into(), message: e.to_string() })?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| EvalError::io(path, e))?;
    f.write_all(line.as_bytes()).map_err(|e| EvalError::io(path, e))
}

fn plot(out: &Path, log: &[Iteration], threshold: f64) -> Result<()> {
    let points: Vec<crate::report::LinePoint> = log.iter().map(|i| (i.iteration, i.satisfaction, i.ci95)).collect();
    let svg = crate::report::svg_line("Satisfaction per iteration (95% CI band)", &points, Some(threshold));
    std::fs::write(out.join("satisfaction.svg"), svg).map_err(|e| EvalError::io(out.join("satisfaction.svg"), e))
}

/// How the loop ended.
#[derive(Debug, Clone, PartialEq)]
pub struct FactoryOutcome {
    pub converged: bool,
    pub iterations: Vec<Iteration>,
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf())
    }
}

/// Runs the loop. `twins` serve in-process unless `args.server` is set.
pub async fn run(args: &FactoryArgs, twins: Vec<Arc<dyn Twin>>) -> Result<FactoryOutcome> {
    if !(0.0..=1.0).contains(&args.threshold) {
        return Err(EvalError::Usage("--threshold takes a share between 0 and 1".into()));
    }
    if args.floor.is_some_and(|f| !(0.0..=1.0).contains(&f)) {
        return Err(EvalError::Usage("--floor takes a share between 0 and 1".into()));
    }
    if args.max_iterations == 0 || args.max_iterations > MAX_ITERATIONS {
        return Err(EvalError::Usage(format!("--max-iterations must be 1-{MAX_ITERATIONS}")));
    }
    let spec_path = absolute(&args.spec);
    let spec = std::fs::read_to_string(&spec_path).map_err(|e| EvalError::io(&spec_path, e))?;
    let out = absolute(&args.out);
    std::fs::create_dir_all(&out).map_err(|e| EvalError::io(&out, e))?;
    let log_path = out.join("iterations.jsonl");
    if log_path.exists() {
        std::fs::remove_file(&log_path).map_err(|e| EvalError::io(&log_path, e))?;
    }
    // The scenarios must load before anything runs.
    let base = EvalOptions {
        scenarios: args.scenarios.clone(),
        holdout_scenarios: args.holdout_scenarios.clone(),
        agent: Some(args.agent.clone()),
        jobs: args.jobs,
        repetitions: args.repetitions,
        timeout_s: args.timeout,
        agent_cwd: args.workdir.clone(),
        pass_env: args.agent_env.clone(),
        judge: crate::cli::judge_config(args.judge_url.as_deref(), args.judge_model.as_deref()),
        progress: !args.no_progress,
        fresh: true,
        ..EvalOptions::default()
    };
    eval::load_scenarios(&base)?;

    let echo = |label: &'static str| -> Option<Echo> {
        (!args.quiet).then(|| Arc::new(move |line: &str| eprintln!("{label}{line}")) as Echo)
    };
    let step = |command: &str| AgentCommand {
        command: command.to_string(),
        cwd: args.workdir.clone(),
        pass_env: vec![],
        inherit_env: true,
    };
    let mut log: Vec<Iteration> = Vec::new();
    let mut last: Option<Feedback> = None;
    let mut converged = false;
    for i in 1..=args.max_iterations {
        let started_at = Utc::now();
        let feedback_path = out.join("feedback.json");
        let mut env = vec![
            ("DTU_FACTORY_ITERATION".to_string(), i.to_string()),
            ("DTU_FACTORY_SPEC".to_string(), spec_path.display().to_string()),
            ("DTU_FACTORY_OUT".to_string(), out.display().to_string()),
        ];
        let mut stdin = spec.clone();
        if let Some(f) = &last {
            env.push(("DTU_FACTORY_FEEDBACK".to_string(), feedback_path.display().to_string()));
            stdin += "\n\n--- feedback from the last evaluation ---\n";
            stdin += &feedback_text(f);
        }
        eprintln!("factory: iteration {i}: coder");
        let coder = agent::run(
            &step(&args.coder),
            &env,
            &stdin,
            Duration::from_secs_f64(args.coder_timeout.max(1.0)),
            echo("  coder│ "),
        )
        .await;
        let mut it = Iteration {
            iteration: i,
            started_at,
            status: IterationStatus::CoderFailed,
            coder: StepLog::from(&coder),
            build: None,
            satisfaction: None,
            ci95: None,
            holdout_satisfaction: None,
            runs: 0,
            converged: false,
        };
        let mut fb = Feedback {
            iteration: i,
            status: IterationStatus::CoderFailed,
            threshold: args.threshold,
            satisfaction: None,
            ci95: None,
            scenarios: vec![],
            holdout: None,
            step_output: Some(tail(&format!("{}\n{}", coder.stdout, coder.stderr), 4000)),
        };
        if coder.succeeded() {
            eprintln!("factory: iteration {i}: build");
            let build = agent::run(
                &step(&args.build),
                &env,
                "",
                Duration::from_secs_f64(args.build_timeout.max(1.0)),
                echo("  build│ "),
            )
            .await;
            it.build = Some(StepLog::from(&build));
            if build.succeeded() {
                eprintln!("factory: iteration {i}: evaluate");
                let opts = EvalOptions {
                    out: out.join(format!("iter-{i:03}")),
                    private_out: args.private_out.as_ref().map(|p| absolute(p).join(format!("iter-{i:03}"))),
                    ..base.clone()
                };
                let source = crate::cli::server_source(
                    args.server.as_deref(),
                    args.admin_token.as_deref(),
                    args.fixtures_dir.clone(),
                    twins.clone(),
                );
                let result = eval::evaluate(&opts, source).await?;
                let public = &result.public;
                it.status = IterationStatus::Evaluated;
                it.satisfaction = Some(public.summary.satisfaction);
                it.ci95 = Some(public.summary.ci95);
                it.holdout_satisfaction = public.holdout.as_ref().map(|h| h.satisfaction);
                it.runs = public.summary.runs;
                let floor_ok =
                    args.floor.is_none_or(|f| result.full.scenarios.iter().all(|s| s.runs > 0 && s.rate >= f));
                it.converged = public.summary.ci95[0] >= args.threshold && floor_ok;
                fb = feedback(i, args.threshold, public, &result.records);
                eprintln!(
                    "factory: iteration {i}: satisfaction {:.1}% (95% CI {:.1}–{:.1}%)",
                    public.summary.satisfaction * 100.0,
                    public.summary.ci95[0] * 100.0,
                    public.summary.ci95[1] * 100.0
                );
            } else {
                it.status = IterationStatus::BuildFailed;
                fb.status = IterationStatus::BuildFailed;
                fb.step_output = Some(tail(&format!("{}\n{}", build.stdout, build.stderr), 4000));
                eprintln!("factory: iteration {i}: build {}", build.describe());
            }
        } else {
            eprintln!("factory: iteration {i}: coder {}", coder.describe());
        }
        append_line(&log_path, &it)?;
        write_json(&feedback_path, &fb)?;
        write_json(&out.join(format!("feedback-{i:03}.json")), &fb)?;
        let done = it.converged;
        log.push(it);
        plot(&out, &log, args.threshold)?;
        last = Some(fb);
        if done {
            converged = true;
            break;
        }
    }
    Ok(FactoryOutcome { converged, iterations: log })
}

/// `dtu factory`: exit 0 when converged, 1 when the budget ran out.
pub fn run_cli(args: &FactoryArgs, twins: Vec<Arc<dyn Twin>>) -> Result<ExitCode> {
    let outcome = crate::cli::runtime()?.block_on(async {
        tokio::select! {
            r = run(args, twins) => r,
            _ = tokio::signal::ctrl_c() => Err(crate::cli::interrupted()),
        }
    })?;
    let n = outcome.iterations.len();
    if outcome.converged {
        println!("converged after {n} iteration(s); log in {}", args.out.join("iterations.jsonl").display());
        Ok(ExitCode::SUCCESS)
    } else {
        println!("not converged after {n} iteration(s); log in {}", args.out.join("iterations.jsonl").display());
        Ok(ExitCode::from(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_text_is_capped_and_names_holdout_tags_only() {
        let f = Feedback {
            iteration: 2,
            status: IterationStatus::Evaluated,
            threshold: 0.8,
            satisfaction: Some(0.5),
            ci95: Some([0.2, 0.8]),
            scenarios: vec![ScenarioFeedback {
                id: "dev-1".into(),
                title: "Dev".into(),
                satisfied: 1,
                runs: 2,
                failed_checks: vec!["posted: expected 1".into()],
                agent: Some("exited 1".into()),
                stderr_tail: Some("x".repeat(MAX_FEEDBACK_BYTES * 2)),
            }],
            holdout: Some(HoldoutFeedback { scenarios: 3, satisfaction: 0.25, failing_tags: vec!["okta".into()] }),
            step_output: None,
        };
        let t = feedback_text(&f);
        assert!(t.len() <= MAX_FEEDBACK_BYTES + 40);
        assert!(t.contains("satisfaction 50.0% (95% CI 20.0–80.0%)"), "{t}");
        assert!(t.contains("failed posted: expected 1") && t.contains("agent exited 1"));
        assert!(t.ends_with("[feedback truncated]\n"));
        let short = Feedback { scenarios: vec![], ..f };
        let t = feedback_text(&short);
        assert!(t.contains("Holdout (3 scenario(s), details withheld): satisfaction 25.0%; failing tags: okta"), "{t}");
    }
}
