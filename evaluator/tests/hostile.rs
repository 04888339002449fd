//! An agent under evaluation cannot touch the control plane. The hostile example agent
//! (`examples/agents/hostile.py`) tries every control-plane route it can find from its
//! environment, on every port, with and without its SDK credentials; it must score 0,
//! have every attempt refused (and the run's integrity check name them), and leave
//! every other universe and the global chaos rules as they were.

mod common;

use std::sync::Arc;

use dtu_evaluator::eval::{evaluate, EvalOptions, ServerSource};
use dtu_evaluator::results::Outcome;
use serde_json::{json, Value};
use twin_core::Twin;

use common::root;

fn twins() -> Vec<Arc<dyn Twin>> {
    vec![Arc::new(twin_slack::SlackTwin::new()), Arc::new(twin_okta::OktaTwin::new())]
}

struct Admin {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Admin {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hostile_agent_scores_zero_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let library = dtu_evaluator::server::fixture_library(None).unwrap();
    let server = dtu_evaluator::server::InProcess::start(twins(), library, 64).await.unwrap();
    let admin =
        Admin { http: reqwest::Client::new(), base: server.control_url.clone(), token: server.admin_token.clone() };
    // Another run's universe, sharing the server: the agent must not reach it.
    let (status, _) = admin.call(reqwest::Method::POST, "universes", Some(json!({"id": "bystander"}))).await;
    assert_eq!(status, 201);

    let opts = EvalOptions {
        scenarios: vec![
            root().join("scenarios/slack/invite-new-hire.yaml"),
            root().join("scenarios/okta/add-to-group.yaml"),
        ],
        out: dir.path().join("out"),
        agent: Some("python3 examples/agents/hostile.py".into()),
        agent_cwd: Some(root()),
        repetitions: Some(1),
        jobs: 2,
        ..EvalOptions::default()
    };
    let url = server.control_url.trim_end_matches("_dtu/").to_string();
    let outcome = evaluate(&opts, ServerSource::Remote { url, admin_token: Some(server.admin_token.clone()) })
        .await
        .expect("the evaluation runs");

    assert_eq!(outcome.full.summary.satisfied, 0);
    assert_eq!(outcome.records.len(), 2);
    for run in &outcome.records {
        assert_eq!(run.outcome, Outcome::Unsatisfied, "{run:#?}");
        let integrity = run.checks.iter().find(|c| c.id == "integrity").expect("an integrity check");
        assert_eq!(integrity.status, dtu_evaluator::checks::Status::Fail, "{}", integrity.message);
        assert!(integrity.message.contains("tried the control plane"), "{}", integrity.message);
        let stdout = &run.detail.as_ref().expect("failed runs keep their detail").stdout;
        let tried: usize = stdout
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("the agent reports its attempts: {stdout}"));
        assert!(tried >= 100, "the agent found the control plane on the twin ports: {stdout}");
        assert!(stdout.contains(" 0 accepted"), "every attempt is refused: {stdout}");
    }

    // Nothing changed anywhere else.
    let (_, diff) = admin.call(reqwest::Method::GET, "universes/bystander/diff", None).await;
    for (service, collections) in diff["services"].as_object().unwrap() {
        assert!(collections.as_object().is_none_or(|c| c.is_empty()), "bystander's {service} changed: {diff}");
    }
    let (_, rules) = admin.call(reqwest::Method::GET, "chaos/rules", None).await;
    assert_eq!(rules["rules"], json!([]));
    let (_, clock) = admin.call(reqwest::Method::GET, "universes/bystander/clock", None).await;
    assert_eq!(clock["frozen"], false);
    let (_, list) = admin.call(reqwest::Method::GET, "universes", None).await;
    let ids: Vec<&str> = list["universes"].as_array().unwrap().iter().filter_map(|u| u["id"].as_str()).collect();
    assert_eq!(ids, ["bystander"], "no universe was made or deleted by the agent");
    let (_, snapshots) = admin.call(reqwest::Method::GET, "universes/bystander/snapshots", None).await;
    assert_eq!(snapshots["snapshots"], json!([]), "no snapshot was taken");
    let metrics = admin.http.get(format!("{}metrics", admin.base)).bearer_auth(&admin.token).send().await.unwrap();
    let text = metrics.text().await.unwrap();
    assert!(text.contains("dtu_control_refused_total"), "{text}");
    server.stop().await;
}
