//! The factory loop with a scripted coder that improves a tiny product (a shell
//! agent) one step at a time, guided only by the feedback it is given.

mod common;

use std::path::{Path, PathBuf};

use dtu_evaluator::factory::{run, FactoryArgs, IterationStatus};

/// Reads the feedback; fixes one thing per iteration: first posting (from the dev
/// scenario's failed check), then rate limits (from the holdout's failing tags).
const CODER: &str = r##"
import json, os, pathlib
state_file = pathlib.Path("coder-state.json")
state = json.loads(state_file.read_text()) if state_file.exists() else {"post": False, "retry": False}
fb_path = os.environ.get("DTU_FACTORY_FEEDBACK")
spec = os.environ["DTU_FACTORY_SPEC"]
assert pathlib.Path(spec).read_text().startswith("Build an agent"), "the spec is readable"
if fb_path:
    fb = json.load(open(fb_path))
    dev_posting_fails = any(c.startswith("posted") for s in fb["scenarios"] for c in s["failed_checks"])
    holdout_tags = (fb.get("holdout") or {}).get("failing_tags", [])
    if dev_posting_fails and not state["post"]:
        state["post"] = True
    elif "chaos" in holdout_tags and not state["retry"]:
        state["retry"] = True
state_file.write_text(json.dumps(state))
post = 'curl -sf -H "Authorization: Bearer $SLACK_BOT_TOKEN" --data-urlencode channel=general --data-urlencode text=hello "${SLACK_API_URL}chat.postMessage" >/dev/null'
retry = '''for i in 1 2 3 4 5; do
  ra=$(curl -s -D - -o body.$$ -H "Authorization: Bearer $SLACK_BOT_TOKEN" --data-urlencode channel=general --data-urlencode text=hello "${SLACK_API_URL}chat.postMessage" | tr -d '\r' | awk -F': ' 'tolower($1)=="retry-after"{print $2}')
  if grep -q '"ok":true' body.$$; then rm -f body.$$; exit 0; fi
  sleep "${ra:-1}"
done
exit 1'''
body = retry if state["retry"] else (post if state["post"] else "exit 0")
pathlib.Path("agent.sh").write_text("#!/bin/sh\n" + body + "\n")
print("coder wrote", "retry" if state["retry"] else ("post" if state["post"] else "noop"))
"##;

fn setup(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let dev = dir.join("dev");
    let holdout = dir.join("holdout");
    common::scenario(&dev, "hello.yaml", common::POST_HELLO);
    common::scenario(&holdout, "storm.yaml", &common::storm("[chaos, slack]", 3));
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("coder.py"), CODER).unwrap();
    let spec = dir.join("spec.md");
    std::fs::write(&spec, "Build an agent that says hello in #general, even when Slack rate limits it.\n").unwrap();
    (dev, holdout, spec)
}

fn args(dir: &Path, dev: PathBuf, holdout: PathBuf, spec: PathBuf) -> FactoryArgs {
    FactoryArgs {
        spec,
        coder: "python3 coder.py".into(),
        build: "sh -n agent.sh && cp agent.sh built.sh".into(),
        agent: "sh built.sh".into(),
        scenarios: vec![dev],
        holdout_scenarios: vec![holdout],
        threshold: 0.5,
        floor: None,
        max_iterations: 5,
        workdir: Some(dir.join("work")),
        out: dir.join("out"),
        private_out: Some(dir.join("private")),
        jobs: 3,
        repetitions: None,
        timeout: None,
        coder_timeout: 60.0,
        build_timeout: 60.0,
        agent_env: vec![],
        server: None,
        admin_token: None,
        fixtures_dir: None,
        judge_url: None,
        judge_model: None,
        no_progress: true,
        quiet: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scripted_coder_converges_step_by_step_without_seeing_holdouts() {
    let dir = tempfile::tempdir().unwrap();
    let (dev, holdout, spec) = setup(dir.path());
    let a = args(dir.path(), dev, holdout, spec);
    let outcome = run(&a, common::twins()).await.unwrap();
    let sat: Vec<Option<f64>> = outcome.iterations.iter().map(|i| i.satisfaction).collect();
    // noop → posts (dev passes, holdout storm fails) → honours Retry-After.
    assert_eq!(sat, vec![Some(0.0), Some(0.5), Some(1.0)], "{:#?}", outcome.iterations);
    assert!(outcome.converged);
    assert!(outcome.iterations[2].converged && !outcome.iterations[1].converged);
    assert!(outcome.iterations[2].ci95.unwrap()[0] >= 0.5);
    assert_eq!(outcome.iterations[1].holdout_satisfaction, Some(0.0));

    let out = dir.path().join("out");
    let log = std::fs::read_to_string(out.join("iterations.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 3);
    let svg = std::fs::read_to_string(out.join("satisfaction.svg")).unwrap();
    assert!(svg.contains("<polyline") && svg.contains("threshold 50.0%"));
    // What the coder can read never names a holdout scenario or check.
    for entry in walk(&out) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        for secret in ["post-in-a-storm", "waited", "Post during a rate-limit storm"] {
            assert!(!text.contains(secret), "{secret} leaked into {}", entry.display());
        }
    }
    let fb2 = std::fs::read_to_string(out.join("feedback-002.json")).unwrap();
    assert!(fb2.contains("\"failing_tags\": [\n      \"chaos\""), "{fb2}");
    let fb1 = std::fs::read_to_string(out.join("feedback-001.json")).unwrap();
    assert!(fb1.contains("posted: "), "dev failures come with details: {fb1}");
    // The private side has the holdout details.
    let private = std::fs::read_to_string(dir.path().join("private/iter-002/results.json")).unwrap();
    assert!(private.contains("post-in-a-storm"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn build_failures_are_logged_and_the_budget_ends_the_loop() {
    let dir = tempfile::tempdir().unwrap();
    let (dev, holdout, spec) = setup(dir.path());
    let a = FactoryArgs {
        coder: "printf 'if then\\n' > agent.sh".into(),
        max_iterations: 2,
        ..args(dir.path(), dev, holdout, spec)
    };
    let outcome = run(&a, common::twins()).await.unwrap();
    assert!(!outcome.converged);
    assert_eq!(outcome.iterations.len(), 2);
    assert!(outcome.iterations.iter().all(|i| i.status == IterationStatus::BuildFailed && i.satisfaction.is_none()));
    let fb = std::fs::read_to_string(dir.path().join("out/feedback.json")).unwrap();
    assert!(fb.contains("build_failed") && fb.contains("step_output"), "{fb}");
    assert!(dir.path().join("out/satisfaction.svg").exists());
    // A failing coder is logged as such.
    let (dev, holdout, spec) = (dir.path().join("dev"), dir.path().join("holdout"), dir.path().join("spec.md"));
    let a = FactoryArgs { coder: "exit 3".into(), max_iterations: 1, ..args(dir.path(), dev, holdout, spec) };
    let outcome = run(&a, common::twins()).await.unwrap();
    assert_eq!(outcome.iterations[0].status, IterationStatus::CoderFailed);
    assert_eq!(outcome.iterations[0].coder.exit_code, Some(3));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
