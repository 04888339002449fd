//! The example scenarios (`scenarios/`) validated with the example agents
//! (`examples/agents/`, Python and the official SDKs) against the real Slack and
//! Okta twins served in-process:
//! - the gold agent satisfies every scenario in every repetition;
//! - the no-op agent satisfies none;
//! - the collateral agent fails exactly the collateral checks;
//! - the agent that ignores rate limits fails exactly the Retry-After checks.
//!
//! Uses the repository's Python environment (`.venv`, made from
//! `tests/sdk/python/requirements.lock` when missing).

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use dtu_evaluator::eval::{evaluate, load_scenarios, EvalOptions, ServerSource};
use dtu_evaluator::results::Results;
use dtu_evaluator::scenario::{CheckKind, TrajectoryCheck};
use twin_core::Twin;

use common::root;

fn python_agent(name: &str) -> String {
    common::python();
    format!(".venv/bin/python examples/agents/{name}.py")
}

/// Every twin `dtu serve` serves: the examples span all of them.
fn twins() -> Vec<Arc<dyn Twin>> {
    vec![
        Arc::new(twin_slack::SlackTwin::new()),
        Arc::new(twin_okta::OktaTwin::new()),
        Arc::new(twin_jira::JiraTwin::new()),
        Arc::new(twin_google::GoogleTwin::new()),
    ]
}

fn options(out: &std::path::Path) -> EvalOptions {
    EvalOptions {
        scenarios: vec![root().join("scenarios")],
        out: out.to_path_buf(),
        agent_cwd: Some(root()),
        jobs: 4,
        ..EvalOptions::default()
    }
}

async fn run(opts: EvalOptions) -> Results {
    evaluate(&opts, ServerSource::InProcess { twins: twins(), fixtures_dir: None })
        .await
        .expect("the evaluation runs")
        .full
}

/// Check ids of each scenario that match `pred`.
fn check_ids(pred: impl Fn(&CheckKind) -> bool) -> Vec<(String, BTreeSet<String>)> {
    let scenarios = load_scenarios(&options(std::path::Path::new("unused"))).expect("the example scenarios load");
    scenarios
        .iter()
        .map(|(l, _)| {
            let ids = l.scenario.checks.iter().filter(|c| pred(&c.kind)).map(|c| c.id.clone()).collect();
            (l.scenario.id.clone(), ids)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn example_scenarios_gold_noop_collateral_and_rate_limits() {
    common::python();
    let dir = tempfile::tempdir().unwrap();
    let loaded = load_scenarios(&options(dir.path())).expect("the example scenarios load");
    assert!(loaded.len() >= 14, "expected the Slack, Okta and cross-service examples, found {}", loaded.len());
    assert!(loaded.iter().all(|(l, _)| l.scenario.gold.is_some()), "every example names its gold agent");
    let cross = loaded.iter().filter(|(l, _)| l.scenario.tags.iter().any(|t| t == "cross")).count();
    assert!(cross >= 4, "expected cross-service (Slack and Okta) examples tagged `cross`, found {cross}");

    let gold = run(EvalOptions { use_gold: true, ..options(&dir.path().join("gold")) }).await;
    for (l, _) in &loaded {
        let s = gold.scenarios.iter().find(|s| s.id == l.scenario.id).unwrap();
        assert_eq!(
            (s.satisfied, s.runs),
            (l.scenario.repetitions as u64, l.scenario.repetitions as u64),
            "gold must satisfy {} every time; failing checks {:?}",
            s.id,
            s.failed_checks
        );
    }
    assert_eq!(gold.summary.infra_errors, 0);

    let noop = run(EvalOptions { agent: Some(python_agent("noop")), ..options(&dir.path().join("noop")) }).await;
    for s in &noop.scenarios {
        assert_eq!(s.satisfied, 0, "noop satisfied {}", s.id);
        assert_eq!(s.runs, loaded.iter().find(|(l, _)| l.scenario.id == s.id).unwrap().0.scenario.repetitions as u64);
    }

    let collateral_ids = check_ids(|k| matches!(k, CheckKind::Collateral(_)));
    let collateral = run(EvalOptions {
        agent: Some(python_agent("collateral")),
        repetitions: Some(1),
        ..options(&dir.path().join("collateral"))
    })
    .await;
    for (id, ids) in &collateral_ids {
        let s = collateral.scenarios.iter().find(|s| &s.id == id).unwrap();
        assert!(!ids.is_empty(), "{id} has no collateral check");
        let failed: BTreeSet<String> = s.failed_checks.keys().cloned().collect();
        assert_eq!(&failed, ids, "the collateral agent must fail exactly the collateral checks of {id}");
    }

    let retry_ids = check_ids(|k| matches!(k, CheckKind::Trajectory(TrajectoryCheck::RetryAfterHonoured { .. })));
    assert!(retry_ids.iter().any(|(_, ids)| !ids.is_empty()), "some example has a rate-limit storm");
    // A storm on each twin: Slack (slack_sdk's Retry-After handler) and Okta (the okta
    // SDK's X-Rate-Limit-Reset back-off).
    let stormy: BTreeSet<String> = loaded
        .iter()
        .filter(|(l, _)| retry_ids.iter().any(|(id, ids)| *id == l.scenario.id && !ids.is_empty()))
        .flat_map(|(l, _)| l.scenario.chaos.iter().filter_map(|r| r.matcher.service.clone()))
        .collect();
    assert!(stormy.contains("slack") && stormy.contains("okta"), "rate-limit storms cover {stormy:?}");
    let rude = run(EvalOptions {
        agent: Some(python_agent("ignores_rate_limits")),
        repetitions: Some(1),
        ..options(&dir.path().join("rude"))
    })
    .await;
    for (id, ids) in &retry_ids {
        let s = rude.scenarios.iter().find(|s| &s.id == id).unwrap();
        let failed: BTreeSet<String> = s.failed_checks.keys().cloned().collect();
        assert_eq!(&failed, ids, "ignoring Retry-After must fail exactly the retry checks of {id}");
    }
}
