//! Sweeps past one machine. `dtu eval --shard I/N` runs a deterministic share of the
//! planned runs (scenario × repetition, holdouts included) and writes a shard result;
//! `dtu eval merge` checks that the shards come from one plan and cover every run
//! exactly once, then writes what one unsharded evaluation would have written.
//!
//! The partition is greedy longest-processing-time over the runs' expected costs (the
//! scenario's timeout, or its measured mean duration from an earlier `runs.jsonl`),
//! ties broken by scenario hash and repetition: it depends on the plan only, so every
//! machine computes the same shares without talking to the others.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{EvalError, Result};
use crate::results::{aggregate_meta, Outcome, Results, RunRecord, ScenarioMeta, EVALUATOR_VERSION};
use crate::scenario::{Loaded, Split};

/// The schema of a shard's `results.json`.
pub const SHARD_SCHEMA: &str = "dtu.eval.shard/v1";
/// The variable Kubernetes sets in each pod of an Indexed Job.
pub const JOB_INDEX_ENV: &str = "JOB_COMPLETION_INDEX";
/// The most shards a sweep may have.
pub const MAX_SHARDS: u32 = 10_000;

/// Problems of `--shard` and of merging shards.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error("--shard {given:?}: {problem} (give I/N with 0 <= I < N <= {MAX_SHARDS}, or auto/N to take I from {JOB_INDEX_ENV})")]
    BadArg { given: String, problem: String },
    #[error("--shard auto/{count}: {JOB_INDEX_ENV} is not set (Kubernetes sets it in the pods of an Indexed Job; elsewhere give --shard I/{count})")]
    NoIndex { count: u32 },
    #[error("--shard auto/{count}: {JOB_INDEX_ENV}={value:?} is not an index from 0 to {}", count - 1)]
    BadIndex { count: u32, value: String },
    #[error("{dir}: {problem}")]
    Unreadable { dir: PathBuf, problem: String },
    #[error("shard {index} ({dir}): {problem}")]
    Invalid { index: u32, dir: PathBuf, problem: String },
    #[error("shard {index} ({dir}) is not of the same sweep as shard {ref_index} ({ref_dir}): {differences}")]
    Mismatch { index: u32, dir: PathBuf, ref_index: u32, ref_dir: PathBuf, differences: String },
    #[error("shard {index} given twice: {first} and {second} (a rerun of a shard replaces it: give one directory per index)")]
    Duplicate { index: u32, first: PathBuf, second: PathBuf },
    #[error(
        "missing shard(s) {missing} of {count}: give their directories, or run them (dtu eval … --shard I/{count})"
    )]
    Missing { missing: String, count: u32 },
    #[error("{0}")]
    Usage(String),
}

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `--shard`: a fixed `I/N`, or `auto/N` with `I` from [`JOB_INDEX_ENV`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardArg {
    Fixed(ShardSpec),
    FromEnv { count: u32 },
}

fn parse_count(given: &str, n: &str) -> std::result::Result<u32, ShardError> {
    let bad = |problem: &str| ShardError::BadArg { given: given.into(), problem: problem.into() };
    let count: u32 = n.trim().parse().map_err(|_| bad("N is not a whole number"))?;
    if count == 0 || count > MAX_SHARDS {
        return Err(bad("N is out of range"));
    }
    Ok(count)
}

impl FromStr for ShardArg {
    type Err = ShardError;

    fn from_str(s: &str) -> std::result::Result<Self, ShardError> {
        let bad = |problem: &str| ShardError::BadArg { given: s.into(), problem: problem.into() };
        let (i, n) = s.split_once('/').ok_or_else(|| bad("no '/'"))?;
        let count = parse_count(s, n)?;
        if i.trim() == "auto" {
            return Ok(ShardArg::FromEnv { count });
        }
        let index: u32 = i.trim().parse().map_err(|_| bad("I is neither a whole number nor 'auto'"))?;
        if index >= count {
            return Err(bad(&format!("index {index} is not below the shard count {count}")));
        }
        Ok(ShardArg::Fixed(ShardSpec { index, count }))
    }
}

impl ShardArg {
    /// The shard, reading the index from `env` (the process environment in `dtu`)
    /// for `auto/N`.
    pub fn resolve(self, env: impl Fn(&str) -> Option<String>) -> std::result::Result<ShardSpec, ShardError> {
        match self {
            ShardArg::Fixed(spec) => Ok(spec),
            ShardArg::FromEnv { count } => {
                let value = env(JOB_INDEX_ENV).ok_or(ShardError::NoIndex { count })?;
                match value.trim().parse::<u32>() {
                    Ok(index) if index < count => Ok(ShardSpec { index, count }),
                    _ => Err(ShardError::BadIndex { count, value }),
                }
            }
        }
    }
}

/// Where the costs that balance the shards came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostSource {
    /// Each scenario's timeout (the worst case).
    Timeout,
    /// Measured mean durations from an earlier evaluation (`--shard-costs`).
    Measured,
}

/// A scenario of the plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlanScenario {
    #[serde(flatten)]
    pub meta: ScenarioMeta,
    pub split: Split,
    pub repetitions: u32,
    /// Expected milliseconds of one run: what the partition balances.
    pub cost_ms: u64,
}

/// Everything that decides which runs exist and which shard runs each.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Plan {
    pub agent: String,
    pub evaluator_version: String,
    pub costs: CostSource,
    /// In the order an unsharded evaluation reports them.
    pub scenarios: Vec<PlanScenario>,
}

/// One run of the plan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RunKey {
    pub scenario_hash: String,
    pub repetition: u32,
}

impl RunKey {
    pub fn of(r: &RunRecord) -> Self {
        RunKey { scenario_hash: r.scenario_hash.clone(), repetition: r.repetition }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl Plan {
    /// Builds the plan of an evaluation. `measured` (scenario hash or id → mean ms)
    /// replaces the timeouts as costs when given.
    pub fn new(
        scenarios: &[(Loaded, Split)],
        repetitions: Option<u32>,
        timeout_s: Option<f64>,
        agent: &str,
        measured: Option<&Measured>,
    ) -> Plan {
        let timeout_ms = |l: &Loaded| ((timeout_s.unwrap_or(l.scenario.timeout_s) * 1000.0).round() as u64).max(1);
        let costs: Vec<u64> = match measured {
            None => scenarios.iter().map(|(l, _)| timeout_ms(l)).collect(),
            Some(m) => {
                let known: Vec<Option<f64>> = scenarios.iter().map(|(l, _)| m.of(l)).collect();
                // Unmeasured scenarios: their timeout scaled by the median measured share of timeout.
                let mut shares: Vec<f64> = scenarios
                    .iter()
                    .zip(&known)
                    .filter_map(|((l, _), k)| k.map(|ms| ms / timeout_ms(l) as f64))
                    .collect();
                shares.sort_by(f64::total_cmp);
                let share = shares.get(shares.len() / 2).copied().unwrap_or(1.0);
                scenarios
                    .iter()
                    .zip(known)
                    .map(|((l, _), k)| (k.unwrap_or(timeout_ms(l) as f64 * share).round() as u64).max(1))
                    .collect()
            }
        };
        Plan {
            agent: agent.to_string(),
            evaluator_version: EVALUATOR_VERSION.to_string(),
            costs: if measured.is_some() { CostSource::Measured } else { CostSource::Timeout },
            scenarios: scenarios
                .iter()
                .zip(costs)
                .map(|((l, split), cost_ms)| PlanScenario {
                    meta: ScenarioMeta::from(l),
                    split: *split,
                    repetitions: repetitions.unwrap_or(l.scenario.repetitions),
                    cost_ms,
                })
                .collect(),
        }
    }

    /// sha256 of the plan's JSON: equal hashes, equal plans.
    pub fn hash(&self) -> String {
        sha256_hex(&serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn runs(&self) -> u64 {
        self.scenarios.iter().map(|s| u64::from(s.repetitions)).sum()
    }

    fn holdouts(&self) -> usize {
        self.scenarios.iter().filter(|s| s.split == Split::Holdout).count()
    }

    /// The plan without its holdout scenarios (what `--out` may hold).
    fn redacted(&self) -> Plan {
        Plan { scenarios: self.scenarios.iter().filter(|s| s.split == Split::Dev).cloned().collect(), ..self.clone() }
    }

    /// Every shard's runs, sorted: the longest expected runs first, each to the least
    /// loaded shard (the lowest index on a tie).
    pub fn assign(&self, count: u32) -> Vec<Vec<RunKey>> {
        let mut runs: Vec<(u64, &str, u32)> = self
            .scenarios
            .iter()
            .flat_map(|s| (0..s.repetitions).map(move |r| (s.cost_ms, s.meta.hash.as_str(), r)))
            .collect();
        runs.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)).then(a.2.cmp(&b.2)));
        let count = count.max(1);
        let mut shards: Vec<Vec<RunKey>> = vec![Vec::new(); count as usize];
        let mut load: BinaryHeap<Reverse<(u128, u32)>> = (0..count).map(|i| Reverse((0, i))).collect();
        for (cost, hash, repetition) in runs {
            let Some(Reverse((l, i))) = load.pop() else { break };
            shards[i as usize].push(RunKey { scenario_hash: hash.to_string(), repetition });
            load.push(Reverse((l + u128::from(cost), i)));
        }
        for s in &mut shards {
            s.sort();
        }
        shards
    }

    /// Expected milliseconds of each shard.
    pub fn loads(&self, count: u32) -> Vec<u64> {
        let cost: BTreeMap<&str, u64> = self.scenarios.iter().map(|s| (s.meta.hash.as_str(), s.cost_ms)).collect();
        self.assign(count)
            .iter()
            .map(|runs| runs.iter().map(|k| cost.get(k.scenario_hash.as_str()).copied().unwrap_or(0)).sum())
            .collect()
    }

    fn id_of<'a>(&'a self, hash: &'a str) -> &'a str {
        self.scenarios.iter().find(|s| s.meta.hash == hash).map(|s| s.meta.id.as_str()).unwrap_or(hash)
    }
}

/// Measured mean durations of an earlier evaluation, by scenario hash and by id.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    by_hash: BTreeMap<String, f64>,
    by_id: BTreeMap<String, f64>,
}

impl Measured {
    /// From an earlier `runs.jsonl` (or the directory holding it); infra errors are
    /// left out.
    pub fn read(path: &Path) -> Result<Measured> {
        let file = if path.is_dir() { path.join("runs.jsonl") } else { path.to_path_buf() };
        if !file.is_file() {
            return Err(EvalError::Usage(format!(
                "--shard-costs {}: no such runs.jsonl (give the runs.jsonl of an earlier evaluation, or its --out directory)",
                path.display()
            )));
        }
        let records = crate::runner::read_records(&file)?;
        let mut by_hash: BTreeMap<String, (f64, u32)> = BTreeMap::new();
        let mut by_id: BTreeMap<String, (f64, u32)> = BTreeMap::new();
        for r in records.iter().filter(|r| r.outcome.counts()) {
            for (map, key) in [(&mut by_hash, &r.scenario_hash), (&mut by_id, &r.scenario)] {
                let e = map.entry(key.clone()).or_insert((0.0, 0));
                e.0 += r.duration_ms;
                e.1 += 1;
            }
        }
        if by_hash.is_empty() {
            return Err(EvalError::Usage(format!("--shard-costs {}: no finished runs to measure", file.display())));
        }
        let means = |m: BTreeMap<String, (f64, u32)>| m.into_iter().map(|(k, (s, n))| (k, s / f64::from(n))).collect();
        Ok(Measured { by_hash: means(by_hash), by_id: means(by_id) })
    }

    fn of(&self, l: &Loaded) -> Option<f64> {
        self.by_hash.get(&l.hash).or_else(|| self.by_id.get(&l.scenario.id)).copied()
    }
}

/// A shard's `results.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardResult {
    pub schema: String,
    pub shard: ShardSpec,
    /// The hash of the whole plan (holdouts included, even when they are left out here).
    pub plan_hash: String,
    pub generated_at: DateTime<Utc>,
    /// True when the plan's holdout scenarios and their runs are left out (the `--out`
    /// copy; the `--private-out` copy has everything).
    pub redacted: bool,
    /// Holdout scenarios in the whole plan.
    pub holdout_scenarios: usize,
    pub plan: Plan,
    /// This shard's share of the runs.
    pub runs: Vec<RunKey>,
    /// A record for each of `runs`.
    pub records: Vec<RunRecord>,
}

impl ShardResult {
    /// The shard result of `spec` with its records; `redact` leaves holdouts out.
    pub fn new(plan: &Plan, spec: ShardSpec, records: &[RunRecord], redact: bool) -> ShardResult {
        let holdouts = plan.holdouts();
        let redacted = redact && holdouts > 0;
        let shown = if redacted { plan.redacted() } else { plan.clone() };
        let keep: BTreeSet<&str> = shown.scenarios.iter().map(|s| s.meta.hash.as_str()).collect();
        let runs = plan
            .assign(spec.count)
            .swap_remove(spec.index as usize)
            .into_iter()
            .filter(|k| keep.contains(k.scenario_hash.as_str()))
            .collect();
        let mut records: Vec<RunRecord> =
            records.iter().filter(|r| keep.contains(r.scenario_hash.as_str())).cloned().collect();
        records.sort_by_key(RunKey::of);
        ShardResult {
            schema: SHARD_SCHEMA.into(),
            shard: spec,
            plan_hash: plan.hash(),
            generated_at: Utc::now(),
            redacted,
            holdout_scenarios: holdouts,
            plan: shown,
            runs,
            records,
        }
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join("results.json");
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| EvalError::BadFile { path: path.clone(), message: e.to_string() })?;
        crate::report::write_atomic(&path, &text)
    }
}

fn unreadable(dir: &Path, problem: impl Into<String>) -> EvalError {
    ShardError::Unreadable { dir: dir.to_path_buf(), problem: problem.into() }.into()
}

/// Reads a shard's `results.json` (`path` is its directory or the file).
pub fn read_shard(path: &Path) -> Result<ShardResult> {
    if !path.exists() {
        return Err(unreadable(path, "no such shard directory"));
    }
    let file = if path.is_dir() { path.join("results.json") } else { path.to_path_buf() };
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(unreadable(
                path,
                "no results.json: the shard has not finished (run it again with the same command to finish it)",
            ))
        }
        Err(e) => return Err(EvalError::io(&file, e)),
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        let what = if e.is_eof() { "truncated" } else { "not JSON" };
        unreadable(path, format!("results.json is {what} ({e}); run that shard again"))
    })?;
    match value.get("schema").and_then(serde_json::Value::as_str) {
        Some(SHARD_SCHEMA) => {}
        Some(crate::results::RESULTS_SCHEMA) => {
            return Err(unreadable(
                path,
                "holds the results of a whole evaluation, not of a shard (it ran without --shard)",
            ))
        }
        other => return Err(unreadable(path, format!("results.json has schema {other:?}, not {SHARD_SCHEMA}"))),
    }
    serde_json::from_value(value)
        .map_err(|e| unreadable(path, format!("results.json is not a valid shard result: {e}")))
}

/// What differs between two plans, in words.
fn plan_differences(a: &Plan, b: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    if a.agent != b.agent {
        out.push(format!("agent {:?} vs {:?}", b.agent, a.agent));
    }
    if a.evaluator_version != b.evaluator_version {
        out.push(format!("DTU version {} vs {}", b.evaluator_version, a.evaluator_version));
    }
    if a.costs != b.costs {
        out.push(format!("costs from {:?} vs {:?} (--shard-costs)", b.costs, a.costs));
    }
    let by_id = |p: &Plan| p.scenarios.iter().map(|s| (s.meta.id.clone(), s.clone())).collect::<BTreeMap<_, _>>();
    let (sa, sb) = (by_id(a), by_id(b));
    for (id, x) in &sb {
        match sa.get(id) {
            None => out.push(format!("scenario {id} only here")),
            Some(y) => {
                if x.meta.hash != y.meta.hash {
                    out.push(format!(
                        "scenario {id}: file hash {} vs {}",
                        &x.meta.hash[..12.min(x.meta.hash.len())],
                        &y.meta.hash[..12.min(y.meta.hash.len())]
                    ));
                }
                if x.repetitions != y.repetitions {
                    out.push(format!("scenario {id}: {} repetitions vs {}", x.repetitions, y.repetitions));
                }
                if x.split != y.split {
                    out.push(format!("scenario {id}: split {:?} vs {:?}", x.split, y.split));
                }
                if x.cost_ms != y.cost_ms {
                    out.push(format!(
                        "scenario {id}: cost {} ms vs {} ms (--timeout or --shard-costs)",
                        x.cost_ms, y.cost_ms
                    ));
                }
            }
        }
    }
    for id in sa.keys().filter(|id| !sb.contains_key(*id)) {
        out.push(format!("scenario {id} missing here"));
    }
    if out.is_empty() && a != b {
        out.push("scenario order or titles differ".into());
    }
    out
}

/// What `dtu eval merge` produced.
pub struct Merged {
    pub full: Results,
    pub public: Results,
    pub records: Vec<RunRecord>,
    pub count: u32,
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Checks every shard, then aggregates them. Writes nothing.
pub fn combine(dirs: &[PathBuf]) -> Result<Merged> {
    if dirs.is_empty() {
        return Err(ShardError::Usage("give the shard directories to merge".into()).into());
    }
    let mut shards: Vec<(PathBuf, ShardResult)> = Vec::with_capacity(dirs.len());
    for dir in dirs {
        shards.push((dir.clone(), read_shard(dir)?));
    }
    // Each shard on its own.
    for (dir, s) in &shards {
        let invalid = |problem: String| -> EvalError {
            ShardError::Invalid { index: s.shard.index, dir: dir.clone(), problem }.into()
        };
        if s.shard.count == 0 || s.shard.count > MAX_SHARDS || s.shard.index >= s.shard.count {
            return Err(invalid(format!("index {} is out of range for {} shard(s)", s.shard.index, s.shard.count)));
        }
        if s.redacted {
            return Err(invalid(format!(
                "this copy leaves out the plan's {} holdout scenario(s); merge the shards' --private-out directories (and give merge --private-out)",
                s.holdout_scenarios
            )));
        }
        if s.plan.hash() != s.plan_hash {
            return Err(invalid("its plan does not match its plan hash (the file was edited or damaged)".into()));
        }
        let expected = s.plan.assign(s.shard.count).swap_remove(s.shard.index as usize);
        if s.runs != expected {
            return Err(invalid(format!(
                "its runs are not this plan's share {} (written by another partition)",
                s.shard
            )));
        }
        let mut seen: BTreeSet<RunKey> = BTreeSet::new();
        for r in &s.records {
            let key = RunKey::of(r);
            if expected.binary_search(&key).is_err() {
                return Err(invalid(format!("a record of {} #{} that is not this shard's", r.scenario, r.repetition)));
            }
            if !seen.insert(key) {
                return Err(invalid(format!("two records of {} #{}", r.scenario, r.repetition)));
            }
        }
        let missing: Vec<String> = expected
            .iter()
            .filter(|k| !seen.contains(*k))
            .map(|k| format!("{} #{}", s.plan.id_of(&k.scenario_hash), k.repetition))
            .collect();
        if !missing.is_empty() {
            let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
            return Err(invalid(format!(
                "{} of its {} run(s) have no record ({}{}); run that shard again to finish it",
                missing.len(),
                expected.len(),
                shown.join(", "),
                if missing.len() > 5 { ", …" } else { "" }
            )));
        }
    }
    // Against each other.
    let (ref_dir, reference) = &shards[0];
    let mut by_index: BTreeMap<u32, &PathBuf> = BTreeMap::new();
    for (dir, s) in &shards {
        let mut differences = Vec::new();
        if s.shard.count != reference.shard.count {
            differences.push(format!("{} shard(s) vs {}", s.shard.count, reference.shard.count));
        }
        if s.plan_hash != reference.plan_hash {
            differences.extend(plan_differences(&reference.plan, &s.plan));
        }
        if !differences.is_empty() {
            return Err(ShardError::Mismatch {
                index: s.shard.index,
                dir: dir.clone(),
                ref_index: reference.shard.index,
                ref_dir: ref_dir.clone(),
                differences: differences.join("; "),
            }
            .into());
        }
        if let Some(first) = by_index.insert(s.shard.index, dir) {
            return Err(
                ShardError::Duplicate { index: s.shard.index, first: first.clone(), second: dir.clone() }.into()
            );
        }
    }
    let count = reference.shard.count;
    let missing: Vec<String> = (0..count).filter(|i| !by_index.contains_key(i)).map(|i| i.to_string()).collect();
    if !missing.is_empty() {
        return Err(ShardError::Missing { missing: missing.join(", "), count }.into());
    }
    // Every shard is its plan's share and has each of its runs once, and the shares
    // partition the plan: every run appears exactly once.
    let mut records: BTreeMap<RunKey, RunRecord> = BTreeMap::new();
    for (_, s) in &shards {
        for r in &s.records {
            records.insert(RunKey::of(r), r.clone());
        }
    }
    let plan = &reference.plan;
    debug_assert_eq!(records.len() as u64, plan.runs());
    let records: Vec<RunRecord> = records.into_values().collect();
    let metas: Vec<(ScenarioMeta, Split)> = plan.scenarios.iter().map(|s| (s.meta.clone(), s.split)).collect();
    let full = aggregate_meta(&metas, &records, &plan.agent, false);
    // Without holdouts the public results are the full ones (and the bootstrap is not free).
    let public = if plan.holdouts() > 0 { aggregate_meta(&metas, &records, &plan.agent, true) } else { full.clone() };
    Ok(Merged { full, public, records, count })
}

/// `dtu eval merge`: checks the shards (writing nothing when any is wrong), then writes
/// `results.json`, `junit.xml`, `report.html` and `runs.jsonl` into `out` (and the
/// holdouts' details into `private_out`) as one unsharded evaluation would.
pub fn merge(dirs: &[PathBuf], out: &Path, private_out: Option<&Path>) -> Result<Merged> {
    for dir in dirs {
        for (flag, target) in [("--out", Some(out)), ("--private-out", private_out)] {
            if let Some(target) = target {
                let shard_dir = if dir.is_file() { dir.parent().unwrap_or(dir) } else { dir.as_path() };
                if same_dir(shard_dir, target) {
                    return Err(ShardError::Usage(format!(
                        "{flag} {} is one of the shard directories; merge into another",
                        target.display()
                    ))
                    .into());
                }
            }
        }
    }
    if private_out.is_some_and(|p| same_dir(p, out)) {
        return Err(ShardError::Usage("--private-out must not be the --out directory".into()).into());
    }
    let merged = combine(dirs)?;
    let any_holdout = merged.full.scenarios.iter().any(|s| s.split == Split::Holdout);
    write_dir(out, &merged.public, &merged.records, Split::Dev)?;
    if let Some(private) = private_out {
        write_dir(private, &merged.full, &merged.records, Split::Holdout)?;
    } else if any_holdout {
        tracing::warn!("holdout runs' details are not kept: no --private-out");
    }
    Ok(merged)
}

/// The outputs of an evaluation in `dir`, with `runs.jsonl` holding the `split` runs
/// (as an unsharded evaluation's sink does).
fn write_dir(dir: &Path, results: &Results, records: &[RunRecord], split: Split) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| EvalError::io(dir, e))?;
    let mut lines = String::new();
    for r in records.iter().filter(|r| r.split == split) {
        let line = serde_json::to_string(r)
            .map_err(|e| EvalError::BadFile { path: dir.join("runs.jsonl"), message: e.to_string() })?;
        lines.push_str(&line);
        lines.push('\n');
    }
    crate::report::write_atomic(&dir.join("runs.jsonl"), &lines)?;
    crate::eval::write_meta(dir, &results.agent)?;
    crate::report::write_all(dir, results, records)
}

/// Counts of a merged sweep's outcomes, for the terminal.
pub fn merged_line(m: &Merged) -> String {
    let infra = m.records.iter().filter(|r| r.outcome == Outcome::InfraError).count();
    format!("merged {} shard(s): {} run(s), {infra} infra error(s)\n", m.count, m.records.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::tests::loaded;

    fn plan(specs: &[(&str, u32, f64)]) -> Plan {
        let scenarios: Vec<(Loaded, Split)> = specs
            .iter()
            .map(|(id, reps, t)| {
                let mut l = loaded(id, &["t"]);
                l.scenario.repetitions = *reps;
                l.scenario.timeout_s = *t;
                (l, Split::Dev)
            })
            .collect();
        Plan::new(&scenarios, None, None, "agent", None)
    }

    #[test]
    fn shard_args_parse_and_resolve() {
        assert_eq!("2/7".parse::<ShardArg>().unwrap(), ShardArg::Fixed(ShardSpec { index: 2, count: 7 }));
        assert_eq!("auto/7".parse::<ShardArg>().unwrap(), ShardArg::FromEnv { count: 7 });
        for bad in ["7/7", "1", "a/3", "0/0", "-1/3", "1/100000"] {
            assert!(bad.parse::<ShardArg>().is_err(), "{bad}");
        }
        let env =
            |v: Option<&'static str>| move |k: &str| (k == JOB_INDEX_ENV).then_some(v).flatten().map(String::from);
        let auto = ShardArg::FromEnv { count: 3 };
        assert_eq!(auto.resolve(env(Some("2"))).unwrap(), ShardSpec { index: 2, count: 3 });
        let e = auto.resolve(env(None)).unwrap_err().to_string();
        assert!(e.contains("JOB_COMPLETION_INDEX is not set"), "{e}");
        let e = auto.resolve(env(Some("3"))).unwrap_err().to_string();
        assert!(e.contains("\"3\" is not an index from 0 to 2"), "{e}");
    }

    #[test]
    fn assignment_partitions_balances_and_is_stable() {
        let p = plan(&[("a", 10, 60.0), ("b", 3, 600.0), ("c", 7, 5.0), ("d", 1, 1.0)]);
        for n in [1, 2, 3, 7, 25] {
            let shares = p.assign(n);
            assert_eq!(shares, p.assign(n), "deterministic");
            let mut all: Vec<RunKey> = shares.iter().flatten().cloned().collect();
            let total = all.len();
            all.sort();
            all.dedup();
            assert_eq!((total, all.len() as u64), (all.len(), p.runs()), "every run exactly once with {n} shards");
            // Greedy LPT: no shard exceeds the mean by more than the longest run.
            let loads = p.loads(n);
            let mean = loads.iter().sum::<u64>() as f64 / n as f64;
            assert!(loads.iter().all(|&l| (l as f64) <= mean + 600_000.0), "{loads:?}");
        }
        // The three 600 s runs go to three different shards of three.
        let shares = p.assign(3);
        assert!(shares.iter().all(|s| s.iter().filter(|k| k.scenario_hash == "h-b").count() == 1), "{shares:?}");
        assert_ne!(p.hash(), plan(&[("a", 10, 60.0), ("b", 3, 600.0), ("c", 7, 5.0), ("d", 2, 1.0)]).hash());
    }
}
