//! Command-line arguments of `dtu eval`, `dtu eval compare` and `dtu factory`, and
//! their entry points. The `dtu` binary only forwards to these.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use twin_core::Twin;

use crate::error::{EvalError, Result};
use crate::eval::{self, EvalOptions, ServerSource};
use crate::judge::JudgeConfig;

/// `dtu eval`: run scenarios against an agent and score it.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EvalCommand {
    #[command(subcommand)]
    pub sub: Option<EvalSub>,
    #[command(flatten)]
    pub run: EvalArgs,
}

#[derive(Subcommand, Debug)]
pub enum EvalSub {
    /// Compare two results.json files: per-scenario deltas, regressions, paired CI.
    Compare(crate::compare::CompareArgs),
    /// Merge the shards of a sweep (`dtu eval --shard I/N`) into the outputs one unsharded run would write.
    Merge(MergeArgs),
}

/// `dtu eval merge --out DIR SHARD_DIR...`
#[derive(Args, Debug, Clone)]
pub struct MergeArgs {
    /// The shards' output directories (their --private-out directories when the plan has holdouts).
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Where the merged results.json, junit.xml, report.html and runs.jsonl go.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Where the holdout scenarios' details go (keep it away from the agent's builder).
    #[arg(long, value_name = "DIR")]
    pub private_out: Option<PathBuf>,
    /// Exit 1 when satisfaction is below this (0-1).
    #[arg(long, value_name = "X")]
    pub fail_under: Option<f64>,
}

#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// A directory (searched recursively) or file of scenarios; repeat for more.
    #[arg(long = "scenarios", value_name = "DIR")]
    pub scenarios: Vec<PathBuf>,
    /// Scenarios that are holdouts whatever their files say; repeat for more.
    #[arg(long = "holdout-scenarios", value_name = "DIR")]
    pub holdout_scenarios: Vec<PathBuf>,
    /// The agent command, run with `sh -c` once per run.
    #[arg(long, value_name = "CMD")]
    pub agent: Option<String>,
    /// Run each scenario's own `gold` agent (validates the scenarios).
    #[arg(long)]
    pub gold: bool,
    /// Runs at once.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    /// Runs per scenario (default: each scenario's `repetitions`).
    #[arg(long)]
    pub repetitions: Option<u32>,
    /// Output directory (results.json, junit.xml, report.html, runs.jsonl); re-using it resumes.
    #[arg(long, default_value = "dtu-eval-out")]
    pub out: PathBuf,
    /// Where holdout runs' details go (keep it away from the agent's builder).
    #[arg(long, value_name = "DIR")]
    pub private_out: Option<PathBuf>,
    /// Treat every scenario as a holdout: outputs show aggregate satisfaction and failing tags only.
    #[arg(long)]
    pub holdout: bool,
    /// Use a running `dtu serve` (its control URL) instead of twins in this process.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The admin token of the `--server` (what `dtu serve` printed). Never given to agents.
    #[arg(long, env = "DTU_ADMIN_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub admin_token: Option<String>,
    /// Offer the fixtures (*.yaml) of this directory by name (in-process twins only).
    #[arg(long, value_name = "DIR")]
    pub fixtures_dir: Option<PathBuf>,
    /// Per-run timeout in seconds (default: each scenario's `timeout_s`).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Working directory of the agent (default: this one).
    #[arg(long, value_name = "DIR")]
    pub agent_cwd: Option<PathBuf>,
    /// A host environment variable to pass to the agent (the rest is cleared); repeat for more.
    #[arg(long = "agent-env", value_name = "NAME")]
    pub agent_env: Vec<String>,
    /// Show the agent's output live (dev scenarios only).
    #[arg(long)]
    pub passthrough: bool,
    /// OpenAI-compatible endpoint of the rubric judge (key from DTU_JUDGE_API_KEY).
    #[arg(long, value_name = "URL", requires = "judge_model")]
    pub judge_url: Option<String>,
    /// Model name for the judge.
    #[arg(long, value_name = "MODEL", requires = "judge_url")]
    pub judge_model: Option<String>,
    /// Forget earlier runs in the output directories.
    #[arg(long)]
    pub fresh: bool,
    /// Only load and validate the scenarios.
    #[arg(long)]
    pub check: bool,
    /// Exit 1 when satisfaction is below this (0-1).
    #[arg(long, value_name = "X")]
    pub fail_under: Option<f64>,
    /// Attempts after a harness failure before a run counts as an infra error.
    #[arg(long, default_value_t = 2)]
    pub infra_retries: u32,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Run shard I of N (0-based) of the planned runs and write a shard result for
    /// `dtu eval merge`; `auto/N` takes I from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::shard::ShardArg>,
    /// Balance shards by the measured durations in this earlier runs.jsonl (or its directory)
    /// instead of the scenarios' timeouts; every shard must get the same file.
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub shard_costs: Option<PathBuf>,
}

impl EvalArgs {
    /// The options, with `--shard auto/N` resolved from the process environment.
    pub fn options(&self) -> Result<EvalOptions> {
        self.options_with_env(|name| std::env::var(name).ok())
    }

    /// The options, with `--shard auto/N` resolved from `env` (a lookup by name).
    pub fn options_with_env(&self, env: impl Fn(&str) -> Option<String>) -> Result<EvalOptions> {
        let shard = self.shard.map(|s| s.resolve(env)).transpose()?;
        Ok(EvalOptions {
            scenarios: self.scenarios.clone(),
            holdout_scenarios: self.holdout_scenarios.clone(),
            agent: self.agent.clone(),
            use_gold: self.gold,
            jobs: self.jobs,
            repetitions: self.repetitions,
            out: self.out.clone(),
            private_out: self.private_out.clone(),
            holdout: self.holdout,
            timeout_s: self.timeout,
            agent_cwd: self.agent_cwd.clone(),
            pass_env: self.agent_env.clone(),
            passthrough: self.passthrough,
            judge: judge_config(self.judge_url.as_deref(), self.judge_model.as_deref()),
            progress: !self.no_progress,
            infra_retries: self.infra_retries.min(10),
            fresh: self.fresh,
            shard,
            shard_costs: self.shard_costs.clone(),
        })
    }
}

/// Ends the running agents' process groups after Ctrl-C; finished runs stay in
/// runs.jsonl, so the same command resumes.
pub fn interrupted() -> EvalError {
    let n = crate::agent::kill_all_running();
    EvalError::Usage(format!("interrupted ({n} running agent(s) killed); finished runs are kept: run again to resume"))
}

pub fn judge_config(url: Option<&str>, model: Option<&str>) -> Option<JudgeConfig> {
    Some(JudgeConfig {
        url: url?.to_string(),
        model: model?.to_string(),
        api_key: std::env::var("DTU_JUDGE_API_KEY").ok().filter(|k| !k.is_empty()),
        timeout: Duration::from_secs(120),
    })
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(EvalError::Runtime)
}

pub fn server_source(
    server: Option<&str>,
    admin_token: Option<&str>,
    fixtures_dir: Option<PathBuf>,
    twins: Vec<Arc<dyn Twin>>,
) -> ServerSource {
    match server {
        Some(url) => ServerSource::Remote { url: url.to_string(), admin_token: admin_token.map(str::to_string) },
        None => ServerSource::InProcess { twins, fixtures_dir },
    }
}

fn check_fail_under(x: Option<f64>) -> Result<()> {
    match x {
        Some(x) if !(0.0..=1.0).contains(&x) => {
            Err(EvalError::Usage("--fail-under takes a share between 0 and 1".into()))
        }
        _ => Ok(()),
    }
}

fn run_eval(args: &EvalArgs, twins: Vec<Arc<dyn Twin>>) -> Result<ExitCode> {
    let opts = args.options()?;
    if args.check {
        let scenarios = eval::load_scenarios(&opts)?;
        let runs: u32 = scenarios.iter().map(|(l, _)| opts.repetitions.unwrap_or(l.scenario.repetitions)).sum();
        println!("{} scenario(s) valid; {runs} run(s) planned", scenarios.len());
        if let Some(spec) = opts.shard {
            let plan = eval::plan(&opts, &scenarios)?;
            let share = plan.assign(spec.count).swap_remove(spec.index as usize);
            let loads = plan.loads(spec.count);
            println!(
                "shard {spec}: {} run(s), {:.0} s expected (shards range {:.0}-{:.0} s)",
                share.len(),
                loads[spec.index as usize] as f64 / 1000.0,
                loads.iter().min().copied().unwrap_or(0) as f64 / 1000.0,
                loads.iter().max().copied().unwrap_or(0) as f64 / 1000.0,
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    check_fail_under(args.fail_under)?;
    let source = server_source(args.server.as_deref(), args.admin_token.as_deref(), args.fixtures_dir.clone(), twins);
    let outcome = runtime()?.block_on(async {
        tokio::select! {
            r = eval::evaluate(&opts, source) => r,
            _ = tokio::signal::ctrl_c() => Err(interrupted()),
        }
    })?;
    if let Some(spec) = outcome.shard {
        println!(
            "shard {spec}: {} run(s) ({} new); its share only: merge every shard with `dtu eval merge --out DIR SHARD_DIR...`",
            outcome.records.len(),
            outcome.new_runs
        );
        println!("shard result in {}", opts.out.join("results.json").display());
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", eval::console_summary(&outcome.public, &outcome.records));
    println!("outputs in {}", opts.out.display());
    if let Some(x) = args.fail_under {
        if outcome.public.summary.satisfaction < x {
            eprintln!("satisfaction {:.3} is below --fail-under {x}", outcome.public.summary.satisfaction);
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_merge(args: &MergeArgs) -> Result<ExitCode> {
    check_fail_under(args.fail_under)?;
    let merged = crate::shard::merge(&args.shards, &args.out, args.private_out.as_deref())?;
    print!("{}", crate::shard::merged_line(&merged));
    print!("{}", eval::console_summary(&merged.public, &merged.records));
    println!("outputs in {}", args.out.display());
    if let Some(x) = args.fail_under {
        if merged.public.summary.satisfaction < x {
            eprintln!("satisfaction {:.3} is below --fail-under {x}", merged.public.summary.satisfaction);
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `dtu eval …`, `dtu eval compare …` and `dtu eval merge …`. Exit 0 on success, 1 when a gate fails
/// (`--fail-under`, a regression in compare), 2 on errors.
pub fn eval_main(cmd: EvalCommand, twins: Vec<Arc<dyn Twin>>) -> ExitCode {
    let result = match &cmd.sub {
        Some(EvalSub::Compare(args)) => crate::compare::run(args),
        Some(EvalSub::Merge(args)) => run_merge(args),
        None => run_eval(&cmd.run, twins),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dtu eval: {e}");
            ExitCode::from(2)
        }
    }
}

/// `dtu factory …`: exit 0 when converged, 1 when the budget ran out, 2 on errors.
pub fn factory_main(args: crate::factory::FactoryArgs, twins: Vec<Arc<dyn Twin>>) -> ExitCode {
    match crate::factory::run_cli(&args, twins) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dtu factory: {e}");
            ExitCode::from(2)
        }
    }
}
