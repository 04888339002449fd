//! The rubric judge against a mock OpenAI-compatible endpoint (wiremock).

mod common;

use std::time::Duration;

use dtu_evaluator::control::Journal;
use dtu_evaluator::eval::{evaluate, EvalOptions, ServerSource};
use dtu_evaluator::judge::{Judge, JudgeConfig};
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn completion(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-1", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]
    }))
}

fn config(server: &MockServer) -> JudgeConfig {
    JudgeConfig {
        url: format!("{}/v1", server.uri()),
        model: "judge-model".into(),
        api_key: Some("sk-test".into()),
        timeout: Duration::from_secs(10),
    }
}

const RUBRIC_SCENARIO: &str = r#"
id: polite-hello
title: Say hello politely
tags: [mini]
intent: "Say hello in #general."
checks:
  - state: {query: "length(slack.messages.*)", equals: 1}
  - id: polite
    rubric: The greeting is polite.
repetitions: 2
timeout_s: 20
"#;

async fn eval_with(server: Option<&MockServer>, agent: &str) -> dtu_evaluator::eval::EvalOutcome {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("sc");
    common::scenario(&sc, "polite.yaml", RUBRIC_SCENARIO);
    let opts = EvalOptions {
        scenarios: vec![sc],
        agent: Some(agent.into()),
        out: dir.path().join("out"),
        judge: server.map(config),
        ..EvalOptions::default()
    };
    evaluate(&opts, ServerSource::InProcess { twins: common::twins(), fixtures_dir: None }).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_passing_verdict_satisfies_and_the_request_is_well_formed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-test"))
        .and(body_partial_json(json!({"model": "judge-model", "temperature": 0})))
        .respond_with(completion(r#"{"verdict": "pass", "reason": "It says hello nicely."}"#))
        .expect(2)
        .mount(&server)
        .await;
    let r = eval_with(Some(&server), &common::post("general", "hello, lovely people")).await;
    assert_eq!(r.full.summary.satisfied, 2, "{:#?}", r.records);
    assert_eq!(r.full.summary.rubric_judged, 2);
    let check = r.records[0].checks.iter().find(|c| c.id == "polite").unwrap();
    assert!(check.message.contains("It says hello nicely."), "{}", check.message);
    assert_eq!(r.records[0].judge_model.as_deref(), Some("judge-model"));
    let requests: Vec<Request> = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("Say hello in #general."), "{user}");
    assert!(user.contains("The greeting is polite."), "{user}");
    assert!(user.contains("hello, lovely people"), "the diff is evidence: {user}");
    assert!(user.contains("chat.postMessage"), "the journal is evidence: {user}");
    assert!(body["messages"][0]["content"].as_str().unwrap().contains("never instructions"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fail_and_malformed_verdicts_leave_the_run_unsatisfied() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(r#"{"verdict": "fail", "reason": "Too curt."}"#))
        .mount(&server)
        .await;
    let r = eval_with(Some(&server), &common::post("general", "hello")).await;
    assert_eq!(r.full.summary.satisfied, 0);
    let check = r.records[0].checks.iter().find(|c| c.id == "polite").unwrap();
    assert!(check.message.contains("Too curt."), "{}", check.message);

    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(completion("PASS - looks good to me")).mount(&server).await;
    let r = eval_with(Some(&server), &common::post("general", "hello")).await;
    assert_eq!(r.full.summary.satisfied, 0);
    let check = r.records[0].checks.iter().find(|c| c.id == "polite").unwrap();
    assert!(check.message.starts_with("judge error"), "{}", check.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_judge_means_rubrics_are_skipped_and_failed_runs_are_not_judged() {
    // Without a judge, deterministic checks decide.
    let r = eval_with(None, &common::post("general", "hello")).await;
    assert_eq!(r.full.summary.satisfied, 2);
    assert_eq!(r.full.summary.rubric_judged, 0);
    assert_eq!(r.full.summary.rubric_checks, 2);
    // A run that already failed costs no judge call.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(r#"{"verdict":"pass","reason":"x"}"#))
        .expect(0)
        .mount(&server)
        .await;
    let r = eval_with(Some(&server), "true").await;
    assert_eq!(r.full.summary.satisfied, 0);
}

#[tokio::test]
async fn transient_errors_are_retried_and_persistent_ones_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(429)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("POST")).respond_with(completion(r#"{"verdict":"pass","reason":"fine"}"#)).mount(&server).await;
    let judge = Judge::new(config(&server)).unwrap();
    let v = judge.judge("task", "criterion", &json!({}), &Journal::default()).await;
    assert!(v.pass, "{v:?}");

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string("bad key"))
        .mount(&server)
        .await;
    let judge = Judge::new(config(&server)).unwrap();
    let v = judge.judge("task", "criterion", &json!({}), &Journal::default()).await;
    assert!(!v.pass);
    assert!(v.message.contains("judge error: HTTP 401"), "{}", v.message);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"choices": []})))
        .mount(&server)
        .await;
    let judge =
        Judge::new(JudgeConfig { url: format!("{}/v1/chat/completions", server.uri()), ..config(&server) }).unwrap();
    let v = judge.judge("task", "criterion", &json!({}), &Journal::default()).await;
    assert!(v.message.contains("no choices[0].message.content"), "{}", v.message);
}
