//! `dtu eval compare A.json B.json`: per-scenario deltas between a baseline (A) and
//! a candidate (B), regressions flagged by Fisher's exact test, and a paired
//! cluster-bootstrap interval on the overall change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};
use crate::results::{Results, ScenarioResult};
use crate::stats;

/// The significance level of Fisher's exact test unless `--alpha` says otherwise.
pub const DEFAULT_ALPHA: f64 = 0.05;

#[derive(Args, Debug, Clone)]
pub struct CompareArgs {
    /// Baseline results.json.
    pub a: PathBuf,
    /// Candidate results.json.
    pub b: PathBuf,
    /// Significance level of Fisher's exact test.
    #[arg(long, default_value_t = DEFAULT_ALPHA)]
    pub alpha: f64,
    /// Also write the comparison as JSON here.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 1 when a scenario regressed or the whole paired interval lies below −tolerance.
    #[arg(long)]
    pub fail_on_regression: bool,
    /// Allowed overall drop for --fail-on-regression (share, e.g. 0.02).
    #[arg(long, default_value_t = 0.0)]
    pub tolerance: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Always satisfied before, never now.
    NewlyBroken,
    /// Lower, and Fisher's test says the drop is unlikely to be chance.
    Regressed,
    /// Higher, significantly.
    Improved,
    /// Neither always nor never satisfied, in both.
    Flaky,
    StablePass,
    StableFail,
    /// A difference within chance.
    Unchanged,
    /// The scenario file changed between the runs: not compared.
    Changed,
    Added,
    Removed,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::NewlyBroken => "newly_broken",
            Label::Regressed => "regressed",
            Label::Improved => "improved",
            Label::Flaky => "flaky",
            Label::StablePass => "stable_pass",
            Label::StableFail => "stable_fail",
            Label::Unchanged => "unchanged",
            Label::Changed => "changed (scenario file differs)",
            Label::Added => "added",
            Label::Removed => "removed",
        }
    }

    pub fn is_regression(self) -> bool {
        matches!(self, Label::NewlyBroken | Label::Regressed)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioDelta {
    pub id: String,
    pub label: Label,
    pub a: Option<[u64; 2]>,
    pub b: Option<[u64; 2]>,
    pub delta: Option<f64>,
    pub p_value: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Comparison {
    pub schema: String,
    pub satisfaction_a: f64,
    pub satisfaction_b: f64,
    /// Mean per-scenario change over the scenarios both runs share.
    pub paired_delta: Option<f64>,
    pub paired_ci95: Option<[f64; 2]>,
    pub shared: usize,
    pub holdout_delta: Option<f64>,
    pub scenarios: Vec<ScenarioDelta>,
    pub regressions: Vec<String>,
}

fn rate(s: &ScenarioResult) -> f64 {
    if s.runs == 0 {
        0.0
    } else {
        s.satisfied as f64 / s.runs as f64
    }
}

fn label(a: &ScenarioResult, b: &ScenarioResult, p: f64, alpha: f64) -> Label {
    let (ra, rb) = (rate(a), rate(b));
    if ra == 1.0 && rb == 0.0 {
        Label::NewlyBroken
    } else if rb < ra && p < alpha {
        Label::Regressed
    } else if rb > ra && p < alpha {
        Label::Improved
    } else if ra == 1.0 && rb == 1.0 {
        Label::StablePass
    } else if ra == 0.0 && rb == 0.0 {
        Label::StableFail
    } else if ra > 0.0 && ra < 1.0 && rb > 0.0 && rb < 1.0 {
        Label::Flaky
    } else {
        Label::Unchanged
    }
}

/// Compares two results.
pub fn compare(a: &Results, b: &Results, alpha: f64) -> Comparison {
    let by_a: BTreeMap<&str, &ScenarioResult> = a.scenarios.iter().map(|s| (s.id.as_str(), s)).collect();
    let by_b: BTreeMap<&str, &ScenarioResult> = b.scenarios.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut ids: Vec<&str> = by_a.keys().chain(by_b.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut scenarios = Vec::new();
    let mut pairs = Vec::new();
    for id in ids {
        let (sa, sb) = (by_a.get(id), by_b.get(id));
        let counts = |s: &ScenarioResult| [s.satisfied, s.runs];
        let delta = match (sa, sb) {
            (Some(x), Some(y)) if x.hash != y.hash => ScenarioDelta {
                id: id.into(),
                label: Label::Changed,
                a: Some(counts(x)),
                b: Some(counts(y)),
                delta: None,
                p_value: None,
            },
            (Some(x), Some(y)) if x.runs > 0 && y.runs > 0 => {
                let p = stats::fisher_exact(x.satisfied, x.runs - x.satisfied, y.satisfied, y.runs - y.satisfied);
                pairs.push(((x.satisfied, x.runs), (y.satisfied, y.runs)));
                ScenarioDelta {
                    id: id.into(),
                    label: label(x, y, p, alpha),
                    a: Some(counts(x)),
                    b: Some(counts(y)),
                    delta: Some(rate(y) - rate(x)),
                    p_value: Some(p),
                }
            }
            (Some(x), Some(y)) => ScenarioDelta {
                id: id.into(),
                label: Label::Unchanged,
                a: Some(counts(x)),
                b: Some(counts(y)),
                delta: None,
                p_value: None,
            },
            (Some(x), None) => ScenarioDelta {
                id: id.into(),
                label: Label::Removed,
                a: Some(counts(x)),
                b: None,
                delta: None,
                p_value: None,
            },
            (None, Some(y)) => ScenarioDelta {
                id: id.into(),
                label: Label::Added,
                a: None,
                b: Some(counts(y)),
                delta: None,
                p_value: None,
            },
            (None, None) => continue,
        };
        scenarios.push(delta);
    }
    let paired_delta = (!pairs.is_empty()).then(|| {
        pairs.iter().map(|((ca, na), (cb, nb))| *cb as f64 / *nb as f64 - *ca as f64 / *na as f64).sum::<f64>()
            / pairs.len() as f64
    });
    let paired_ci95 = (!pairs.is_empty()).then(|| {
        let (lo, hi) = stats::paired_bootstrap(&pairs, stats::BOOTSTRAP_DRAWS, stats::BOOTSTRAP_SEED);
        [lo, hi]
    });
    let holdout_delta = match (&a.holdout, &b.holdout) {
        (Some(x), Some(y)) => Some(y.satisfaction - x.satisfaction),
        _ => None,
    };
    let regressions = scenarios.iter().filter(|s| s.label.is_regression()).map(|s| s.id.clone()).collect();
    Comparison {
        schema: "dtu.eval.compare/v1".into(),
        satisfaction_a: a.summary.satisfaction,
        satisfaction_b: b.summary.satisfaction,
        paired_delta,
        paired_ci95,
        shared: pairs.len(),
        holdout_delta,
        scenarios,
        regressions,
    }
}

fn read(path: &Path) -> Result<Results> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::io(path, e))?;
    parse(path, &text)
}

/// A `results.json` (`path` names it in errors): refused when it is one shard of a
/// sweep or of another schema. The dashboard's compare view reads its files so too.
pub fn parse(path: &Path, text: &str) -> Result<Results> {
    let schema = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("schema").and_then(serde_json::Value::as_str).map(str::to_string));
    if schema.as_deref() == Some(crate::shard::SHARD_SCHEMA) {
        return Err(EvalError::BadFile {
            path: path.into(),
            message: "is one shard of a sweep; merge the shards first (dtu eval merge --out DIR SHARD_DIR...) and compare the merged results.json".into(),
        });
    }
    let r: Results =
        serde_json::from_str(text).map_err(|e| EvalError::BadFile { path: path.into(), message: e.to_string() })?;
    if r.schema != crate::results::RESULTS_SCHEMA {
        return Err(EvalError::BadFile {
            path: path.into(),
            message: format!("schema {:?} is not {}", r.schema, crate::results::RESULTS_SCHEMA),
        });
    }
    Ok(r)
}

pub fn text(c: &Comparison) -> String {
    let mut out = format!(
        "satisfaction {:.1}% → {:.1}% ({:+.1} points)\n",
        c.satisfaction_a * 100.0,
        c.satisfaction_b * 100.0,
        (c.satisfaction_b - c.satisfaction_a) * 100.0
    );
    if let (Some(d), Some([lo, hi])) = (c.paired_delta, c.paired_ci95) {
        out += &format!(
            "paired change over {} shared scenario(s): {:+.1} points (95% CI {:+.1} to {:+.1})\n",
            c.shared,
            d * 100.0,
            lo * 100.0,
            hi * 100.0
        );
    }
    if let Some(h) = c.holdout_delta {
        out += &format!("holdout satisfaction change: {:+.1} points\n", h * 100.0);
    }
    for s in &c.scenarios {
        let f = |x: Option<[u64; 2]>| x.map(|[c, n]| format!("{c}/{n}")).unwrap_or_else(|| "-".into());
        let p = s.p_value.map(|p| format!("p={p:.3}")).unwrap_or_default();
        let d = s.delta.map(|d| format!("{:+.0}%", d * 100.0)).unwrap_or_default();
        let flag = if s.label.is_regression() { "  ← REGRESSION" } else { "" };
        out += &format!("  {:<40} {:>7} → {:<7} {:>6} {:<9} {}{flag}\n", s.id, f(s.a), f(s.b), d, p, s.label.as_str());
    }
    out
}

pub fn run(args: &CompareArgs) -> Result<ExitCode> {
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        return Err(EvalError::Usage("--alpha must be between 0 and 1".into()));
    }
    let (a, b) = (read(&args.a)?, read(&args.b)?);
    let c = compare(&a, &b, args.alpha);
    print!("{}", text(&c));
    if let Some(path) = &args.out {
        let json = serde_json::to_string_pretty(&c)
            .map_err(|e| EvalError::BadFile { path: path.clone(), message: e.to_string() })?;
        std::fs::write(path, json).map_err(|e| EvalError::io(path, e))?;
    }
    let overall_drop = c.paired_ci95.is_some_and(|[_, hi]| hi < -args.tolerance);
    if args.fail_on_regression && (!c.regressions.is_empty() || overall_drop) {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{aggregate, tests::loaded, tests::record, Outcome};
    use crate::scenario::Split;

    fn results(counts: &[(&str, u32, u32)]) -> Results {
        let scenarios: Vec<_> = counts.iter().map(|(id, _, _)| (loaded(id, &["t"]), Split::Dev)).collect();
        let mut records = vec![];
        for (id, c, n) in counts {
            for rep in 0..*n {
                records.push(record(id, rep, if rep < *c { Outcome::Satisfied } else { Outcome::Unsatisfied }));
            }
        }
        aggregate(&scenarios, &records, "a", false)
    }

    #[test]
    fn labels_and_paired_interval() {
        let a = results(&[
            ("broke", 10, 10),
            ("slipped", 10, 10),
            ("same", 5, 10),
            ("fixed", 0, 10),
            ("ok", 10, 10),
            ("gone", 3, 3),
        ]);
        let b = results(&[
            ("broke", 0, 10),
            ("slipped", 6, 10),
            ("same", 6, 10),
            ("fixed", 10, 10),
            ("ok", 10, 10),
            ("new", 1, 1),
        ]);
        let c = compare(&a, &b, 0.05);
        let label = |id: &str| c.scenarios.iter().find(|s| s.id == id).unwrap().label;
        assert_eq!(label("broke"), Label::NewlyBroken);
        // 10/10 → 6/10: Fisher p = 0.087, not significant at 0.05.
        assert_eq!(label("slipped"), Label::Unchanged);
        assert_eq!(label("same"), Label::Flaky);
        assert_eq!(label("fixed"), Label::Improved);
        assert_eq!(label("ok"), Label::StablePass);
        assert_eq!(label("gone"), Label::Removed);
        assert_eq!(label("new"), Label::Added);
        assert_eq!(c.regressions, vec!["broke".to_string()]);
        assert_eq!(c.shared, 5);
        let d = c.paired_delta.unwrap();
        assert!((d - (-1.0 - 0.4 + 0.1 + 1.0 + 0.0) / 5.0).abs() < 1e-12, "{d}");
        let [lo, hi] = c.paired_ci95.unwrap();
        assert!(lo < d && d < hi);
        let t = text(&c);
        assert!(t.contains("REGRESSION") && t.contains("broke"), "{t}");
    }

    #[test]
    fn significant_drop_is_regressed_and_changed_files_are_not_compared() {
        let a = results(&[("s", 10, 10)]);
        let b = results(&[("s", 2, 10)]);
        let c = compare(&a, &b, 0.05);
        assert_eq!(c.scenarios[0].label, Label::Regressed);
        assert!(c.scenarios[0].p_value.unwrap() < 0.01);
        let mut b2 = b.clone();
        b2.scenarios[0].hash = "other".into();
        let c = compare(&a, &b2, 0.05);
        assert_eq!(c.scenarios[0].label, Label::Changed);
        assert_eq!(c.shared, 0);
        assert!(c.paired_ci95.is_none());
    }

    #[test]
    fn cli_gate_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let (pa, pb, po) = (dir.path().join("a.json"), dir.path().join("b.json"), dir.path().join("c.json"));
        std::fs::write(&pa, serde_json::to_string(&results(&[("s", 10, 10)])).unwrap()).unwrap();
        std::fs::write(&pb, serde_json::to_string(&results(&[("s", 0, 10)])).unwrap()).unwrap();
        let args = CompareArgs {
            a: pa.clone(),
            b: pb.clone(),
            alpha: 0.05,
            out: Some(po.clone()),
            fail_on_regression: true,
            tolerance: 0.0,
        };
        assert_eq!(run(&args).unwrap(), ExitCode::from(1));
        let c: Comparison = serde_json::from_str(&std::fs::read_to_string(&po).unwrap()).unwrap();
        assert_eq!(c.regressions, vec!["s".to_string()]);
        let same = CompareArgs { b: pa.clone(), ..args.clone() };
        assert_eq!(run(&same).unwrap(), ExitCode::SUCCESS);
        std::fs::write(&pb, "{}").unwrap();
        assert!(run(&args).is_err());
    }
}
