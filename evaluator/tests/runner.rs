//! The runner end to end against a miniature Slack-like twin served in-process:
//! scripted agents (shell + curl) that do the task, do nothing, do damage, ignore
//! rate limits, hang, or succeed every other time.

mod common;

use std::path::{Path, PathBuf};

use dtu_evaluator::eval::{evaluate, EvalOptions, ServerSource};
use dtu_evaluator::results::{Outcome, Results};
use dtu_evaluator::scenario::Split;
use serde_json::Value;

fn opts(scenarios: &Path, out: &Path, agent: &str) -> EvalOptions {
    EvalOptions {
        scenarios: vec![scenarios.to_path_buf()],
        agent: Some(agent.to_string()),
        out: out.to_path_buf(),
        jobs: 4,
        ..EvalOptions::default()
    }
}

fn server() -> ServerSource {
    ServerSource::InProcess { twins: common::twins(), fixtures_dir: None }
}

fn scenario_result<'a>(r: &'a Results, id: &str) -> &'a dtu_evaluator::results::ScenarioResult {
    r.scenarios.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("no scenario {id}"))
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|t| t.lines().count()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gold_satisfies_noop_does_not_and_outputs_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "hello.yaml", common::POST_HELLO);

    let out = dir.path().join("gold");
    let gold = evaluate(&opts(&sc, &out, &common::post("general", "hello world")), server()).await.unwrap();
    let s = scenario_result(&gold.public, "post-hello");
    assert_eq!((s.satisfied, s.runs), (3, 3), "{:#?}", gold.records);
    assert_eq!(gold.public.summary.satisfaction, 1.0);
    assert_eq!(gold.new_runs, 3);
    assert_eq!(lines(&out.join("runs.jsonl")), 3);
    for f in ["results.json", "junit.xml", "report.html"] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let results: Value = serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["summary"]["satisfaction"], 1.0);

    let out = dir.path().join("noop");
    let noop = evaluate(&opts(&sc, &out, "true"), server()).await.unwrap();
    let s = scenario_result(&noop.public, "post-hello");
    assert_eq!((s.satisfied, s.runs), (0, 3));
    assert_eq!(s.failed_checks.get("posted"), Some(&3));
    assert_eq!(s.failed_checks.get("used-post"), Some(&3));
    assert!(!s.failed_checks.contains_key("nothing-else"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Runs not satisfied (3)") && html.contains("<svg"));
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("failures=\"3\""), "{junit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn collateral_damage_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "hello.yaml", common::POST_HELLO);
    let agent = format!("{} && {}", common::post("general", "hello"), common::post("random", "spam"));
    let r = evaluate(&EvalOptions { repetitions: Some(2), ..opts(&sc, &dir.path().join("out"), &agent) }, server())
        .await
        .unwrap();
    let s = scenario_result(&r.public, "post-hello");
    assert_eq!((s.satisfied, s.runs), (0, 2));
    assert_eq!(s.failed_checks.keys().collect::<Vec<_>>(), vec!["nothing-else"]);
    let failed = &r.records[0].checks.iter().find(|c| c.id == "nothing-else").unwrap().message;
    assert!(failed.contains("1 change(s) not allowed: slack.messages created M0002"), "{failed}");
    let detail = r.records[0].detail.as_ref().unwrap();
    assert!(detail.journal.iter().any(|l| l.contains("chat.postMessage")), "{:?}", detail.journal);
}

/// Posts until Slack says ok; waits for Retry-After when `polite`.
fn retrying_agent(polite: bool) -> String {
    let wait = if polite { "sleep \"$ra\"" } else { "sleep 0.05" };
    format!(
        r#"for i in 1 2 3 4 5 6; do
  ra=$(curl -s -D - -o /tmp/dtu-eval-body-$$ -H "Authorization: Bearer $SLACK_BOT_TOKEN" --data-urlencode channel=general --data-urlencode text=hello "${{SLACK_API_URL}}chat.postMessage" | tr -d '\r' | awk -F': ' 'tolower($1)=="retry-after"{{print $2}}')
  if grep -q '"ok":true' /tmp/dtu-eval-body-$$; then rm -f /tmp/dtu-eval-body-$$; exit 0; fi
  {wait}
done
exit 1"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retry_after_is_checked_against_chaos_rules() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "storm.yaml", &common::storm("[mini, chaos]", 2));
    let polite = evaluate(&opts(&sc, &dir.path().join("polite"), &retrying_agent(true)), server()).await.unwrap();
    let s = scenario_result(&polite.public, "post-in-a-storm");
    assert_eq!((s.satisfied, s.runs), (2, 2), "{:#?}", polite.records);
    let rude = evaluate(&opts(&sc, &dir.path().join("rude"), &retrying_agent(false)), server()).await.unwrap();
    let s = scenario_result(&rude.public, "post-in-a-storm");
    assert_eq!((s.satisfied, s.runs), (0, 2), "{:#?}", rude.records);
    assert_eq!(s.failed_checks.keys().collect::<Vec<_>>(), vec!["waited"]);
    let msg = &rude.records[0].checks[1].message;
    assert!(msg.contains("2 early retries") && msg.contains("asking for 1000 ms"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timeouts_are_agent_errors_and_cost_no_more_than_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "hello.yaml", common::POST_HELLO);
    let started = std::time::Instant::now();
    let o =
        EvalOptions { timeout_s: Some(0.5), repetitions: Some(2), ..opts(&sc, &dir.path().join("out"), "sleep 30") };
    let r = evaluate(&o, server()).await.unwrap();
    assert!(started.elapsed().as_secs_f64() < 10.0, "{:?}", started.elapsed());
    assert!(r.records.iter().all(|x| x.outcome == Outcome::AgentError));
    assert!(r.records[0].agent.as_ref().unwrap().timed_out);
    assert_eq!(r.public.summary.agent_errors, 2);
    assert_eq!(r.public.summary.satisfaction, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resume_skips_finished_runs_and_refuses_another_agent() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "hello.yaml", common::POST_HELLO);
    let out = dir.path().join("out");
    let agent = common::post("general", "hello");
    let o = EvalOptions { repetitions: Some(2), ..opts(&sc, &out, &agent) };
    assert_eq!(evaluate(&o, server()).await.unwrap().new_runs, 2);
    // More repetitions: only the new ones run.
    let o4 = EvalOptions { repetitions: Some(4), ..o.clone() };
    let r = evaluate(&o4, server()).await.unwrap();
    assert_eq!(r.new_runs, 2);
    assert_eq!(scenario_result(&r.public, "post-hello").runs, 4);
    assert_eq!(evaluate(&o4, server()).await.unwrap().new_runs, 0);
    // A torn last line (a crash mid-write) is skipped, and that run is made again.
    let runs = out.join("runs.jsonl");
    let text = std::fs::read_to_string(&runs).unwrap();
    let keep: Vec<&str> = text.lines().take(3).collect();
    std::fs::write(&runs, format!("{}\n{{\"scenario\": \"post-hel", keep.join("\n"))).unwrap();
    assert_eq!(evaluate(&o4, server()).await.unwrap().new_runs, 1);
    // Another agent in the same directory is refused; --fresh starts over.
    let other = opts(&sc, &out, "true");
    let err = evaluate(&other, server()).await.err().unwrap().to_string();
    assert!(err.contains("another agent"), "{err}");
    let fresh = EvalOptions { fresh: true, repetitions: Some(1), ..other };
    assert_eq!(evaluate(&fresh, server()).await.unwrap().new_runs, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn agent_sees_sdk_variables_and_never_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "hello.yaml", common::POST_HELLO);
    let dump = dir.path().join("env.txt");
    let agent = format!(
        "env > {}; cat >> {}; echo >> {}; {}",
        dump.display(),
        dump.display(),
        dump.display(),
        common::post("general", "hello")
    );
    let r = evaluate(
        &EvalOptions { repetitions: Some(1), jobs: 1, ..opts(&sc, &dir.path().join("out"), &agent) },
        server(),
    )
    .await
    .unwrap();
    assert_eq!(r.public.summary.satisfied, 1);
    let env = std::fs::read_to_string(&dump).unwrap();
    for var in [
        "SLACK_BOT_TOKEN=xoxb-",
        "SLACK_USER_TOKEN=xoxp-",
        "SLACK_APP_TOKEN=xapp-",
        "SLACK_API_URL=http://127.0.0.1:",
        "DTU_UNIVERSE=",
        "DTU_PROMPT=Say hello in #general.",
    ] {
        assert!(env.contains(var), "{var} missing from\n{env}");
    }
    for secret in ["DTU_CONTROL_URL", "DTU_ADMIN_TOKEN", "dtu-admin-", "_dtu"] {
        assert!(!env.contains(secret), "the control plane leaked to the agent ({secret}):\n{env}");
    }
    assert!(env.contains("\nSay hello in #general."), "the intent is on stdin");
    assert!(!env.contains("OKTA_CLIENT_ORGURL"), "no okta twin, no okta variables");
    for secret in ["post-hello", "hello.yaml", "nothing-else", "scenarios"] {
        assert!(!env.contains(secret), "{secret} leaked to the agent:\n{env}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn holdout_outputs_reveal_aggregates_and_failing_tags_only() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "hello.yaml", common::POST_HELLO);
    common::scenario(&sc, "storm.yaml", &common::storm("[mini, chaos]", 2));
    let out = dir.path().join("public");
    let private = dir.path().join("private");
    let o = EvalOptions {
        holdout: true,
        private_out: Some(private.clone()),
        repetitions: Some(1),
        ..opts(&sc, &out, &common::post("general", "hello"))
    };
    let r = evaluate(&o, server()).await.unwrap();
    assert!(r.public.redacted);
    let h = r.public.holdout.as_ref().unwrap();
    assert_eq!(h.scenarios, 2);
    // The plain poster ignores the storm (curl -f fails on 429): that scenario fails.
    assert_eq!(h.failing_tags, vec!["chaos".to_string(), "mini".to_string()]);
    for entry in std::fs::read_dir(&out).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for secret in ["post-hello", "post-in-a-storm", "waited", "nothing-else", "Say hello"] {
            assert!(!text.contains(secret), "{secret} in the public output");
        }
    }
    let private_results = std::fs::read_to_string(private.join("results.json")).unwrap();
    assert!(private_results.contains("post-in-a-storm"));
    assert_eq!(lines(&private.join("runs.jsonl")), 2);
    // --passthrough would show holdout output: refused.
    let err = evaluate(&EvalOptions { passthrough: true, ..o }, server()).await.err().unwrap().to_string();
    assert!(err.contains("passthrough"), "{err}");
    assert!(r.records.iter().all(|x| x.split == Split::Holdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flaky_agent_gives_exact_rates_and_pass_k() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "hello.yaml", common::POST_HELLO);
    let counter = dir.path().join("count");
    // Succeeds on every other call (jobs = 1 keeps the order).
    let agent = format!(
        "n=$(cat {c} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {c}; if [ $((n % 2)) -eq 1 ]; then {post}; fi",
        c = counter.display(),
        post = common::post("general", "hello")
    );
    let o = EvalOptions { jobs: 1, repetitions: Some(4), ..opts(&sc, &dir.path().join("out"), &agent) };
    let r = evaluate(&o, server()).await.unwrap();
    let s = scenario_result(&r.public, "post-hello");
    assert_eq!((s.satisfied, s.runs), (2, 4));
    assert_eq!(s.rate, 0.5);
    // pass^2 = C(2,2)/C(4,2) = 1/6; pass^3 = 0; pass@2 = 1 − C(2,2)/C(4,2) = 5/6.
    assert!((s.pass_hat_k[1].value - 1.0 / 6.0).abs() < 1e-12);
    assert_eq!(s.pass_hat_k[2].value, 0.0);
    assert!((s.pass_at_k[1].value - 5.0 / 6.0).abs() < 1e-12);
}

const SETUP: &str = r#"
id: answer-from-history
title: Setup calls and bindings
tags: [mini]
fixture: default
clock: {start: "2030-01-01T09:00:00Z"}
intent: "Repeat the last message of #random in #general."
bindings:
  general: "slack.channels.* | [?name=='general'] | [0].id"
  random: "slack.channels.* | [?name=='random'] | [0].id"
setup:
  - call: {service: slack, path: chat.postMessage, form: {channel: "{{random}}", text: "the answer is 42"}}
  - control: {method: POST, path: clock/advance, body: {seconds: 60}}
checks:
  - state: {source: diff, query: "services.slack.messages.created[?record.channel == {{general}}].record.text | [0]", equals: "the answer is 42"}
  - state: {query: "length(slack.messages.*)", equals: 2}
repetitions: 1
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setup_calls_and_bindings_prepare_the_world() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "setup.yaml", SETUP);
    let agent = r#"text=$(curl -s -H "Authorization: Bearer $SLACK_BOT_TOKEN" "${SLACK_API_URL}conversations.list" >/dev/null; echo "the answer is 42"); curl -sf -H "Authorization: Bearer $SLACK_BOT_TOKEN" --data-urlencode channel=general --data-urlencode "text=$text" "${SLACK_API_URL}chat.postMessage" >/dev/null"#;
    let r = evaluate(&opts(&sc, &dir.path().join("out"), agent), server()).await.unwrap();
    assert_eq!(r.public.summary.satisfied, 1, "{:#?}", r.records);
    let noop = evaluate(&opts(&sc, &dir.path().join("noop"), "true"), server()).await.unwrap();
    assert_eq!(noop.public.summary.satisfied, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_malformed_scenario_stops_everything_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "good.yaml", common::POST_HELLO);
    common::scenario(
        &sc,
        "bad.yaml",
        &common::POST_HELLO.replace("id: post-hello", "id: bad").replace("equals: 1", "equal: 1"),
    );
    let out = dir.path().join("out");
    let marker: PathBuf = dir.path().join("ran");
    let err =
        evaluate(&opts(&sc, &out, &format!("touch {}", marker.display())), server()).await.err().unwrap().to_string();
    assert!(err.contains("bad.yaml:"), "{err}");
    assert!(err.contains("equal"), "{err}");
    assert!(!marker.exists());
    assert!(!out.join("runs.jsonl").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_running_server_is_used_through_its_control_url() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "hello.yaml", common::POST_HELLO);
    let library = dtu_evaluator::server::fixture_library(None).unwrap();
    let server = dtu_evaluator::server::InProcess::start(common::twins(), library, 64).await.unwrap();
    let url = server.control_url.trim_end_matches("_dtu/").to_string();
    let remote = |admin_token: Option<&str>| ServerSource::Remote {
        url: url.clone(),
        admin_token: admin_token.map(str::to_string),
    };
    // Without the admin token the server refuses the evaluator itself.
    let refused = evaluate(&opts(&sc, &dir.path().join("out0"), "true"), remote(None)).await.err().unwrap();
    assert!(refused.to_string().contains("401"), "{refused}");
    let r = evaluate(
        &opts(&sc, &dir.path().join("out"), &common::post("general", "hello")),
        remote(Some(&server.admin_token)),
    )
    .await
    .unwrap();
    assert_eq!(r.public.summary.satisfied, 3);
    // Every universe the evaluation made is gone again.
    let list: Value = reqwest::Client::new()
        .get(format!("{url}_dtu/universes"))
        .bearer_auth(&server.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["universes"].as_array().unwrap().len(), 0, "{list}");
    let token = server.admin_token.clone();
    server.stop().await;
    let err = evaluate(&opts(&sc, &dir.path().join("out2"), "true"), remote(Some(&token))).await.err().unwrap();
    assert!(err.to_string().contains("control plane"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn agents_that_try_the_control_plane_fail_integrity() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "storm.yaml", &common::storm("[mini, chaos]", 2));
    // Tries to delete its chaos rules (and to move its clock instead of waiting out
    // Retry-After) through the twin's port with its bot token; both are refused, so it
    // then does the task properly, and fails on integrity alone.
    let sneaky = r#"origin="${SLACK_API_URL%/api/}"
curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $SLACK_BOT_TOKEN" "$origin/_dtu/universes/$DTU_UNIVERSE/chaos/rules"
curl -s -o /dev/null -X POST -H 'content-type: application/json' -d '{"seconds": 5}' "$origin/_dtu/universes/$DTU_UNIVERSE/clock/advance"
for i in 1 2 3 4; do
  if curl -sf -H "Authorization: Bearer $SLACK_BOT_TOKEN" --data-urlencode channel=general --data-urlencode text=hello "${SLACK_API_URL}chat.postMessage" | grep -q '"ok":true'; then exit 0; fi
  sleep 1.1
done
exit 1"#;
    let r = evaluate(&opts(&sc, &dir.path().join("a"), sneaky), server()).await.unwrap();
    let s = scenario_result(&r.public, "post-in-a-storm");
    assert_eq!(s.satisfied, 0);
    assert_eq!(s.failed_checks.keys().collect::<Vec<_>>(), vec!["integrity"], "{:#?}", r.records[0].checks);
    let msg = &r.records[0].checks.iter().find(|c| c.id == "integrity").unwrap().message;
    assert!(msg.contains("2 time(s)"), "{msg}");
    assert!(msg.contains("DELETE /_dtu/universes/") && msg.contains("/clock/advance"), "{msg}");
}

/// An agent that cannot import its SDK: what a missing `.venv` looks like.
const MISSING_SDK: &str = r#"printf 'Traceback (most recent call last):\n  File "agent.py", line 3, in <module>\n    from slack_sdk import WebClient\n' >&2; echo "ModuleNotFoundError: No module named 'slack_sdk'" >&2; exit 1"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_summary_names_why_agents_failed_and_the_report_links_each_run() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "hello.yaml", common::POST_HELLO);
    let out = dir.path().join("out");
    let r = evaluate(&EvalOptions { repetitions: Some(2), ..opts(&sc, &out, MISSING_SDK) }, server()).await.unwrap();
    assert!(r.records.iter().all(|x| x.outcome == Outcome::AgentError), "{:#?}", r.records);
    let text = dtu_evaluator::eval::console_summary(&r.public, &r.records);
    assert!(
        text.contains("why: 2 of 2 failed run(s) (agent errors): ModuleNotFoundError: No module named 'slack_sdk'\n"),
        "{text}"
    );
    // The first lines of one run's stderr, then what to do.
    assert!(
        text.contains("  stderr of post-hello run ") && text.contains("    Traceback (most recent call last):\n"),
        "{text}"
    );
    assert!(text.contains("\n        from slack_sdk import WebClient\n"), "indentation kept: {text}");
    assert!(
        text.contains("  to fix: the example agents need the pinned Python SDKs in the repository's .venv: run `scripts/test` once, or `python3 -m venv .venv && .venv/bin/pip install -r tests/sdk/python/requirements.lock`"),
        "{text}"
    );

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<p id=\"cause\">Most common cause"), "{html}");
    assert!(html.contains("No module named &#39;slack_sdk&#39;"), "{html}");
    for rep in 0..2 {
        let anchor = format!("run-post-hello-{rep}");
        // Linked from the scenario's row and from the index, and the detail is there.
        assert!(html.contains(&format!("<a href=\"#{anchor}\">run {rep}</a>")), "{anchor}: {html}");
        assert!(html.contains(&format!("<td><a href=\"#{anchor}\">post-hello run {rep}</a></td>")), "{anchor}: {html}");
        let start =
            html.find(&format!("<details id=\"{anchor}\">")).unwrap_or_else(|| panic!("{anchor} has no detail"));
        let detail = &html[start..start + html[start..].find("</details>").unwrap()];
        for part in [
            "<h3>Checks</h3>",
            "<h3>Agent stderr</h3><pre>Traceback",
            "<h3>Diff since the prepared state</h3>",
            "<h3>Trajectory (the run's requests, from the journal)</h3><pre>(no requests)</pre>",
        ] {
            assert!(detail.contains(part), "{anchor} lacks {part}: {detail}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_summary_says_nothing_of_a_holdout_runs_output() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "hello.yaml", common::POST_HELLO);
    let agent = "echo 'RuntimeError: secret holdout detail' >&2; exit 1";
    let o = EvalOptions {
        repetitions: Some(1),
        holdout: true,
        private_out: Some(dir.path().join("private")),
        ..opts(&sc, &dir.path().join("out"), agent)
    };
    let r = evaluate(&o, server()).await.unwrap();
    assert_eq!(r.records[0].outcome, Outcome::AgentError);
    let text = dtu_evaluator::eval::console_summary(&r.public, &r.records);
    assert!(!text.contains("secret") && !text.contains("why:"), "{text}");
    // The private report names it.
    let private = std::fs::read_to_string(dir.path().join("private/report.html")).unwrap();
    assert!(private.contains("RuntimeError: secret holdout detail"), "{private}");
}
