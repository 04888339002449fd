//! Run records and their aggregation into results: satisfaction per scenario, per
//! tag and overall, with intervals and pass^k.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::checks::{CheckResult, Status};
use crate::scenario::{Loaded, Split};
use crate::stats;

pub const RESULTS_SCHEMA: &str = "dtu.eval.results/v1";
pub const EVALUATOR_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every deterministic check passed (and the judge agreed, when configured).
    Satisfied,
    /// Some check failed.
    Unsatisfied,
    /// The agent crashed, exited non-zero or timed out: counts as unsatisfied.
    AgentError,
    /// The harness or a twin failed: retried, then left out of every rate.
    InfraError,
}

impl Outcome {
    pub fn counts(self) -> bool {
        self != Outcome::InfraError
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AgentSummary {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub duration_ms: f64,
    pub description: String,
}

/// What the report shows of a run that was not satisfied.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunDetail {
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
    /// The diff since the prepared state, or a summary of it when large.
    #[serde(default)]
    pub diff: Value,
    /// One line per journal entry (first and last ones when long).
    #[serde(default)]
    pub journal: Vec<String>,
}

/// One finished run: a line of `runs.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    pub scenario: String,
    pub scenario_hash: String,
    pub split: Split,
    #[serde(default)]
    pub tags: Vec<String>,
    pub repetition: u32,
    pub outcome: Outcome,
    #[serde(default)]
    pub agent: Option<AgentSummary>,
    #[serde(default)]
    pub checks: Vec<CheckResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_model: Option<String>,
    pub started_at: DateTime<Utc>,
    pub duration_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<RunDetail>,
}

impl RunRecord {
    pub fn satisfied(&self) -> bool {
        self.outcome == Outcome::Satisfied
    }

    pub fn failed_checks(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.status == Status::Fail)
    }

    /// Share of evaluated deterministic checks that passed (a diagnostic, never a score).
    pub fn partial_credit(&self) -> Option<f64> {
        let judged: Vec<&CheckResult> =
            self.checks.iter().filter(|c| c.kind != "rubric" && c.status != Status::Skipped).collect();
        if judged.is_empty() {
            return None;
        }
        Some(judged.iter().filter(|c| c.status == Status::Pass).count() as f64 / judged.len() as f64)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KValue {
    pub k: u64,
    pub value: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioResult {
    pub id: String,
    pub title: String,
    pub tags: Vec<String>,
    pub split: Split,
    pub hash: String,
    /// Runs that count (all but infra errors).
    pub runs: u64,
    pub satisfied: u64,
    pub agent_errors: u64,
    pub infra_errors: u64,
    pub rate: f64,
    pub wilson95: [f64; 2],
    pub pass_hat_k: Vec<KValue>,
    pub pass_at_k: Vec<KValue>,
    /// Check id → runs in which it failed.
    pub failed_checks: BTreeMap<String, u64>,
    pub partial_credit: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TagResult {
    pub tag: String,
    pub scenarios: usize,
    pub satisfaction: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub scenarios: usize,
    pub runs: u64,
    pub satisfied: u64,
    pub agent_errors: u64,
    pub infra_errors: u64,
    /// Mean over scenarios of each scenario's satisfied share.
    pub satisfaction: f64,
    /// 95% interval of `satisfaction` (see `stats::satisfaction_ci`).
    pub ci95: [f64; 2],
    /// Satisfied share of all counted runs.
    pub micro: f64,
    /// Mean pass^k over scenarios, for k up to the fewest runs of any scenario.
    pub pass_hat_k: Vec<KValue>,
    pub rubric_checks: u64,
    pub rubric_judged: u64,
}

/// What may be told about holdout scenarios.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HoldoutSummary {
    pub scenarios: usize,
    pub runs: u64,
    pub satisfaction: f64,
    pub ci95: [f64; 2],
    /// Tags of holdout scenarios with at least one unsatisfied run.
    pub failing_tags: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Results {
    pub schema: String,
    pub evaluator_version: String,
    pub generated_at: DateTime<Utc>,
    pub agent: String,
    /// True when holdout scenarios are summarised only.
    pub redacted: bool,
    pub summary: Summary,
    /// Per scenario (dev scenarios only when redacted).
    pub scenarios: Vec<ScenarioResult>,
    /// Per tag (over the scenarios listed).
    pub tags: Vec<TagResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<HoldoutSummary>,
}

/// What aggregation needs of a scenario: enough to describe it without its file, so a
/// merge of shards (which carry their plan, not the scenario files) aggregates alike.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScenarioMeta {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// sha256 of the scenario file.
    pub hash: String,
}

impl From<&Loaded> for ScenarioMeta {
    fn from(l: &Loaded) -> Self {
        ScenarioMeta {
            id: l.scenario.id.clone(),
            title: l.scenario.title.clone(),
            tags: l.scenario.tags.clone(),
            hash: l.hash.clone(),
        }
    }
}

fn scenario_result(meta: &ScenarioMeta, split: Split, runs: &[&RunRecord]) -> ScenarioResult {
    let counted: Vec<&&RunRecord> = runs.iter().filter(|r| r.outcome.counts()).collect();
    let n = counted.len() as u64;
    let c = counted.iter().filter(|r| r.satisfied()).count() as u64;
    let mut failed_checks = BTreeMap::new();
    for r in &counted {
        for f in r.failed_checks() {
            *failed_checks.entry(f.id.clone()).or_insert(0) += 1;
        }
    }
    let credits: Vec<f64> = counted.iter().filter_map(|r| r.partial_credit()).collect();
    let (wl, wh) = stats::wilson(c, n);
    ScenarioResult {
        id: meta.id.clone(),
        title: meta.title.clone(),
        tags: meta.tags.clone(),
        split,
        hash: meta.hash.clone(),
        runs: n,
        satisfied: c,
        agent_errors: counted.iter().filter(|r| r.outcome == Outcome::AgentError).count() as u64,
        infra_errors: runs.iter().filter(|r| !r.outcome.counts()).count() as u64,
        rate: if n == 0 { 0.0 } else { c as f64 / n as f64 },
        wilson95: [wl, wh],
        pass_hat_k: (1..=n).filter_map(|k| stats::pass_hat_k(c, n, k).map(|value| KValue { k, value })).collect(),
        pass_at_k: (1..=n).filter_map(|k| stats::pass_at_k(c, n, k).map(|value| KValue { k, value })).collect(),
        failed_checks,
        partial_credit: (!credits.is_empty()).then(|| credits.iter().sum::<f64>() / credits.len() as f64),
    }
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

fn tags_of(results: &[&ScenarioResult]) -> Vec<TagResult> {
    let mut by_tag: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for s in results.iter().filter(|s| s.runs > 0) {
        for t in &s.tags {
            by_tag.entry(t).or_default().push(s.rate);
        }
    }
    by_tag
        .into_iter()
        .map(|(tag, rates)| TagResult {
            tag: tag.to_string(),
            scenarios: rates.len(),
            satisfaction: mean(rates.into_iter()),
        })
        .collect()
}

fn pooled(results: &[&ScenarioResult]) -> Vec<(u64, u64)> {
    results.iter().filter(|s| s.runs > 0).map(|s| (s.satisfied, s.runs)).collect()
}

/// Aggregates the records of the given scenarios (records of other scenarios, or of
/// older versions of a scenario file, are ignored). `splits` gives each scenario's
/// effective split; `redact` hides holdout scenarios' details.
pub fn aggregate(scenarios: &[(Loaded, Split)], records: &[RunRecord], agent: &str, redact: bool) -> Results {
    let metas: Vec<(ScenarioMeta, Split)> = scenarios.iter().map(|(l, s)| (ScenarioMeta::from(l), *s)).collect();
    aggregate_meta(&metas, records, agent, redact)
}

/// [`aggregate`] over scenario descriptions (what a shard's plan carries).
pub fn aggregate_meta(
    scenarios: &[(ScenarioMeta, Split)],
    records: &[RunRecord],
    agent: &str,
    redact: bool,
) -> Results {
    let mut per: BTreeMap<&str, Vec<&RunRecord>> = BTreeMap::new();
    for r in records {
        per.entry(r.scenario_hash.as_str()).or_default().push(r);
    }
    let all: Vec<ScenarioResult> = scenarios
        .iter()
        .map(|(l, split)| scenario_result(l, *split, per.get(l.hash.as_str()).map(Vec::as_slice).unwrap_or(&[])))
        .collect();
    let refs: Vec<&ScenarioResult> = all.iter().collect();
    let counted: Vec<&ScenarioResult> = refs.iter().copied().filter(|s| s.runs > 0).collect();
    let runs: u64 = counted.iter().map(|s| s.runs).sum();
    let satisfied: u64 = counted.iter().map(|s| s.satisfied).sum();
    let (lo, hi) = stats::satisfaction_ci(&pooled(&refs));
    let min_n = counted.iter().map(|s| s.runs).min().unwrap_or(0);
    let pass_hat_k = (1..=min_n)
        .map(|k| KValue { k, value: mean(counted.iter().filter_map(|s| stats::pass_hat_k(s.satisfied, s.runs, k))) })
        .collect();
    let matching: Vec<&RunRecord> = records
        .iter()
        .filter(|r| scenarios.iter().any(|(m, _)| m.hash == r.scenario_hash) && r.outcome.counts())
        .collect();
    let rubric_checks = matching.iter().flat_map(|r| &r.checks).filter(|c| c.kind == "rubric").count() as u64;
    let rubric_judged =
        matching.iter().flat_map(|r| &r.checks).filter(|c| c.kind == "rubric" && c.status != Status::Skipped).count()
            as u64;
    let summary = Summary {
        scenarios: scenarios.len(),
        runs,
        satisfied,
        agent_errors: counted.iter().map(|s| s.agent_errors).sum(),
        infra_errors: refs.iter().map(|s| s.infra_errors).sum(),
        satisfaction: mean(counted.iter().map(|s| s.rate)),
        ci95: [lo, hi],
        micro: if runs == 0 { 0.0 } else { satisfied as f64 / runs as f64 },
        pass_hat_k,
        rubric_checks,
        rubric_judged,
    };
    let holdout_refs: Vec<&ScenarioResult> = refs.iter().copied().filter(|s| s.split == Split::Holdout).collect();
    let holdout = (!holdout_refs.is_empty()).then(|| {
        let (lo, hi) = stats::satisfaction_ci(&pooled(&holdout_refs));
        let failing: BTreeSet<String> =
            holdout_refs.iter().filter(|s| s.satisfied < s.runs).flat_map(|s| s.tags.iter().cloned()).collect();
        HoldoutSummary {
            scenarios: holdout_refs.len(),
            runs: holdout_refs.iter().map(|s| s.runs).sum(),
            satisfaction: mean(holdout_refs.iter().filter(|s| s.runs > 0).map(|s| s.rate)),
            ci95: [lo, hi],
            failing_tags: failing.into_iter().collect(),
        }
    });
    let shown: Vec<ScenarioResult> =
        if redact { all.iter().filter(|s| s.split == Split::Dev).cloned().collect() } else { all.clone() };
    let shown_refs: Vec<&ScenarioResult> = shown.iter().collect();
    Results {
        schema: RESULTS_SCHEMA.into(),
        evaluator_version: EVALUATOR_VERSION.into(),
        generated_at: Utc::now(),
        agent: agent.to_string(),
        redacted: redact && holdout.is_some(),
        summary,
        tags: tags_of(&shown_refs),
        scenarios: shown,
        holdout,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scenario::parse;
    use std::path::{Path, PathBuf};

    pub(crate) fn loaded(id: &str, tags: &[&str]) -> Loaded {
        let text = format!(
            "id: {id}\ntitle: {id}\ntags: [{}]\nintent: x\nchecks:\n  - trajectory: {{max_calls: 5}}\n",
            tags.join(", ")
        );
        Loaded {
            path: PathBuf::from(format!("{id}.yaml")),
            hash: format!("h-{id}"),
            scenario: parse(Path::new("x"), &text).unwrap(),
        }
    }

    pub(crate) fn record(id: &str, rep: u32, outcome: Outcome) -> RunRecord {
        RunRecord {
            scenario: id.into(),
            scenario_hash: format!("h-{id}"),
            split: Split::Dev,
            tags: vec![],
            repetition: rep,
            outcome,
            agent: None,
            checks: vec![CheckResult {
                id: "trajectory-1".into(),
                kind: "trajectory".into(),
                status: if outcome == Outcome::Satisfied { Status::Pass } else { Status::Fail },
                message: String::new(),
            }],
            error: None,
            judge_model: None,
            started_at: Utc::now(),
            duration_ms: 1.0,
            detail: None,
        }
    }

    #[test]
    fn aggregates_rates_tags_and_pass_k() {
        let scenarios = vec![(loaded("a", &["slack", "write"]), Split::Dev), (loaded("b", &["slack"]), Split::Dev)];
        let mut records = vec![];
        for rep in 0..4 {
            records.push(record("a", rep, if rep < 3 { Outcome::Satisfied } else { Outcome::Unsatisfied }));
            records.push(record("b", rep, if rep == 0 { Outcome::Satisfied } else { Outcome::AgentError }));
        }
        records.push(record("b", 4, Outcome::InfraError));
        records.push(record("zzz", 0, Outcome::Satisfied)); // not a loaded scenario
        let r = aggregate(&scenarios, &records, "agent", false);
        assert_eq!(r.summary.runs, 8);
        assert_eq!(r.summary.satisfied, 4);
        assert_eq!(r.summary.infra_errors, 1);
        assert_eq!(r.summary.agent_errors, 3);
        assert!((r.summary.satisfaction - (0.75 + 0.25) / 2.0).abs() < 1e-12);
        assert!(r.summary.ci95[0] < 0.5 && r.summary.ci95[1] > 0.5);
        // pass^2: a: C(3,2)/C(4,2) = 0.5; b: 0 → mean 0.25
        assert_eq!(r.summary.pass_hat_k[1], KValue { k: 2, value: 0.25 });
        assert_eq!(r.summary.pass_hat_k.len(), 4);
        let a = &r.scenarios[0];
        assert_eq!((a.runs, a.satisfied), (4, 3));
        assert_eq!(a.failed_checks["trajectory-1"], 1);
        let slack = r.tags.iter().find(|t| t.tag == "slack").unwrap();
        assert_eq!(slack.scenarios, 2);
        assert!((slack.satisfaction - 0.5).abs() < 1e-12);
        assert!(r.holdout.is_none());
        assert!(!r.redacted);
    }

    #[test]
    fn redaction_keeps_holdout_to_aggregates_and_failing_tags() {
        let scenarios = vec![
            (loaded("dev1", &["slack"]), Split::Dev),
            (loaded("secret1", &["okta", "offboarding"]), Split::Holdout),
            (loaded("secret2", &["okta", "groups"]), Split::Holdout),
        ];
        let mut records = vec![];
        for rep in 0..2 {
            records.push(record("dev1", rep, Outcome::Satisfied));
            records.push(record("secret1", rep, if rep == 0 { Outcome::Unsatisfied } else { Outcome::Satisfied }));
            records.push(record("secret2", rep, Outcome::Satisfied));
        }
        let r = aggregate(&scenarios, &records, "agent", true);
        assert!(r.redacted);
        assert_eq!(r.scenarios.len(), 1);
        assert_eq!(r.scenarios[0].id, "dev1");
        assert!(r.tags.iter().all(|t| t.tag == "slack"));
        let h = r.holdout.as_ref().unwrap();
        assert_eq!(h.scenarios, 2);
        assert_eq!(h.failing_tags, vec!["offboarding".to_string(), "okta".to_string()]);
        assert!((h.satisfaction - 0.75).abs() < 1e-12);
        let text = serde_json::to_string(&r).unwrap();
        assert!(!text.contains("secret1") && !text.contains("h-secret"), "{text}");
    }
}
