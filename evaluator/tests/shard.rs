//! Sharded sweeps simulated on one machine: the same scenarios run unsharded, then as
//! 3 and 7 shards (each shard's index taken from JOB_COMPLETION_INDEX, as in a pod of a
//! Kubernetes Indexed Job, given per call), merged, and compared with the unsharded
//! outputs; then every way a merge must refuse. The miniature Slack twin and shell
//! agents keep it to seconds.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use dtu_evaluator::cli::EvalArgs;
use dtu_evaluator::compare::{compare, CompareArgs};
use dtu_evaluator::eval::{evaluate, EvalOptions, ServerSource};
use dtu_evaluator::results::{Results, RunRecord};
use dtu_evaluator::runner::read_records;
use dtu_evaluator::shard::{merge, Plan, JOB_INDEX_ENV};
use serde_json::Value;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    run: EvalArgs,
}

fn server() -> ServerSource {
    ServerSource::InProcess { twins: common::twins(), fixtures_dir: None }
}

/// One agent for every scenario, led by the intent: "crash" exits 3 (an agent error),
/// "nothing" does nothing (unsatisfied), otherwise it says hello in the #channel named.
const AGENT: &str = r#"case "$DTU_PROMPT" in *crash*) exit 3;; *nothing*) exit 0;; esac
chan=$(printf '%s' "$DTU_PROMPT" | sed -n 's/.*#\([a-z]*\).*/\1/p')
curl -sf -H "Authorization: Bearer $SLACK_BOT_TOKEN" --data-urlencode "channel=$chan" --data-urlencode 'text=hello there' "${SLACK_API_URL}chat.postMessage" >/dev/null"#;

fn scenario_text(id: &str, intent: &str, chan: &str, tags: &str, split: &str, reps: u32, timeout: u32) -> String {
    format!(
        r#"
id: {id}
title: "{intent}"
tags: {tags}
split: {split}
intent: "{intent}"
bindings:
  chan: "slack.channels.* | [?name=='{chan}'] | [0].id"
checks:
  - id: posted
    state:
      query: "length(slack.messages.* | [?channel == {{{{chan}}}} && contains(text, 'hello')])"
      equals: 1
  - id: nothing-else
    collateral:
      allow:
        - {{service: slack, collection: messages, change: created, max: 1}}
repetitions: {reps}
timeout_s: {timeout}
"#
    )
}

/// Six scenarios, 16 runs: satisfied, unsatisfied and agent errors, dev and holdout,
/// unequal timeouts (so the partition has costs to balance).
fn scenarios(dir: &Path) -> PathBuf {
    let sc = dir.join("scenarios");
    let files = [
        ("hello-general", "Say hello in #general.", "general", "[mini, write]", "dev", 3, 20),
        ("hello-random", "Say hello in #random.", "random", "[mini, write, random]", "dev", 4, 40),
        ("idle", "Think, do nothing about #general.", "general", "[mini, idle]", "dev", 2, 10),
        ("crashy", "Say hello in #general, then crash.", "general", "[mini, errors]", "dev", 2, 5),
        ("secret-hello", "Say hello in #random.", "random", "[secret-write]", "holdout", 3, 15),
        ("secret-idle", "Do nothing in #general.", "general", "[secret-idle]", "holdout", 2, 30),
    ];
    for (id, intent, chan, tags, split, reps, timeout) in files {
        common::scenario(&sc, &format!("{id}.yaml"), &scenario_text(id, intent, chan, tags, split, reps, timeout));
    }
    sc
}

/// The command line every pod of the sweep runs (only the output directories carry the
/// index, as `$(JOB_COMPLETION_INDEX)` in the manifests does).
fn shard_args(sc: &Path, out: &Path, private: &Path, count: u32, agent: &str) -> EvalArgs {
    let argv: Vec<String> = vec![
        "dtu-eval".into(),
        "--scenarios".into(),
        sc.display().to_string(),
        "--agent".into(),
        agent.into(),
        "--out".into(),
        out.display().to_string(),
        "--private-out".into(),
        private.display().to_string(),
        "--shard".into(),
        format!("auto/{count}"),
        "--jobs".into(),
        "3".into(),
        "--no-progress".into(),
    ];
    Cli::try_parse_from(argv).expect("the shard command line parses").run
}

struct Sweep {
    public: Vec<PathBuf>,
    private: Vec<PathBuf>,
}

/// Runs all `count` shards at once (as an Indexed Job's pods would), each with its
/// index given as JOB_COMPLETION_INDEX.
async fn run_shards(sc: &Path, root: &Path, count: u32, agent: &str) -> Sweep {
    let mut tasks = Vec::new();
    let mut sweep = Sweep { public: vec![], private: vec![] };
    for i in 0..count {
        let (out, private) = (root.join(format!("out/shard-{i}")), root.join(format!("private/shard-{i}")));
        sweep.public.push(out.clone());
        sweep.private.push(private.clone());
        let args = shard_args(sc, &out, &private, count, agent);
        let env = move |name: &str| (name == JOB_INDEX_ENV).then(|| i.to_string());
        let opts = args.options_with_env(env).expect("auto/N resolves from JOB_COMPLETION_INDEX");
        assert_eq!(opts.shard.map(|s| (s.index, s.count)), Some((i, count)));
        tasks.push(tokio::spawn(async move { evaluate(&opts, server()).await }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let outcome = t.await.expect("the shard task").unwrap_or_else(|e| panic!("shard {i}/{count}: {e}"));
        assert_eq!(outcome.new_runs, outcome.records.len(), "shard {i}/{count} ran its share once");
    }
    sweep
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// results.json without its timestamp.
fn results_json(dir: &Path) -> Value {
    let mut v = json(&dir.join("results.json"));
    v.as_object_mut().unwrap().remove("generated_at").expect("generated_at");
    v
}

/// What a run decided, without when or how long it took.
fn decided(records: Vec<RunRecord>) -> Vec<Value> {
    let mut out: Vec<Value> = records
        .into_iter()
        .map(|r| {
            serde_json::json!({
                "scenario": r.scenario, "hash": r.scenario_hash, "split": r.split, "tags": r.tags,
                "repetition": r.repetition, "outcome": r.outcome, "checks": r.checks, "error": r.error,
                "exit": r.agent.as_ref().map(|a| (a.exit_code, a.signal, a.timed_out)),
            })
        })
        .collect();
    out.sort_by_key(|v| (v["hash"].as_str().unwrap().to_string(), v["repetition"].as_u64().unwrap()));
    out
}

fn junit_without_times(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(" time=\"") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 7..];
        rest = &after[after.find('"').unwrap() + 1..];
    }
    out.push_str(rest);
    out
}

fn headline(dir: &Path) -> String {
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let start = html.find("<p class=\"big\">").expect("the headline");
    html[start..start + html[start..].find("</p>").unwrap()].to_string()
}

fn results(dir: &Path) -> Results {
    serde_json::from_value(json(&dir.join("results.json"))).unwrap()
}

/// The merged outputs equal the unsharded ones: every figure, every run's verdict.
fn assert_same(unsharded: &Path, merged: &Path, what: &str) {
    assert_eq!(results_json(merged), results_json(unsharded), "{what}: results.json");
    assert_eq!(
        decided(read_records(&merged.join("runs.jsonl")).unwrap()),
        decided(read_records(&unsharded.join("runs.jsonl")).unwrap()),
        "{what}: runs.jsonl"
    );
    assert_eq!(junit_without_times(merged), junit_without_times(unsharded), "{what}: junit.xml");
    assert_eq!(headline(merged), headline(unsharded), "{what}: report.html");
}

fn merge_err(dirs: &[PathBuf], out: &Path) -> String {
    let err = match merge(dirs, out, Some(&out.with_extension("private"))) {
        Ok(_) => panic!("the merge of {dirs:?} was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(!out.exists() && !out.with_extension("private").exists(), "a refused merge wrote {}", out.display());
    err
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn edit_shard(dir: &Path, edit: impl FnOnce(&mut Value)) {
    let mut v = json(&dir.join("results.json"));
    edit(&mut v);
    std::fs::write(dir.join("results.json"), serde_json::to_string(&v).unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sharded_sweeps_merge_into_the_unsharded_result() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let sc = scenarios(root);

    let unsharded = EvalOptions {
        scenarios: vec![sc.clone()],
        agent: Some(AGENT.into()),
        out: root.join("unsharded/out"),
        private_out: Some(root.join("unsharded/private")),
        jobs: 4,
        ..EvalOptions::default()
    };
    let whole = evaluate(&unsharded, server()).await.unwrap();
    let s = &whole.full.summary;
    // The figures are worth comparing: mixed outcomes, a real interval, holdouts.
    assert_eq!((s.scenarios, s.runs, s.satisfied, s.agent_errors), (6, 16, 10, 2), "{:#?}", whole.records);
    assert!(s.ci95[0] < s.satisfaction && s.satisfaction < s.ci95[1], "{s:?}");
    assert_eq!(whole.public.holdout.as_ref().map(|h| h.failing_tags.clone()), Some(vec!["secret-idle".to_string()]));

    for count in [3u32, 7] {
        let sweep_root = root.join(format!("n{count}"));
        let sweep = run_shards(&sc, &sweep_root, count, AGENT).await;
        // A shard's --out keeps the holdouts out, its --private-out has them.
        for (public, private) in sweep.public.iter().zip(&sweep.private) {
            let text = std::fs::read_to_string(public.join("results.json")).unwrap();
            assert!(!text.contains("secret-") && !text.contains("Do nothing"), "holdout details in {text}");
            let full = json(&private.join("results.json"));
            assert_eq!(full["plan"]["scenarios"].as_array().unwrap().len(), 6);
        }
        let shares: Vec<usize> =
            sweep.private.iter().map(|d| json(&d.join("results.json"))["records"].as_array().unwrap().len()).collect();
        assert_eq!(shares.iter().sum::<usize>(), 16, "{shares:?}");
        assert!(shares.iter().all(|&n| n > 0), "every shard has work: {shares:?}");

        // Given in any order.
        let mut dirs = sweep.private.clone();
        dirs.reverse();
        let merged_out = sweep_root.join("merged/out");
        let merged_private = sweep_root.join("merged/private");
        let merged = merge(&dirs, &merged_out, Some(&merged_private)).unwrap();
        assert_eq!(merged.count, count);
        assert_same(&root.join("unsharded/out"), &merged_out, &format!("{count} shards, public"));
        assert_same(&root.join("unsharded/private"), &merged_private, &format!("{count} shards, private"));

        // compare takes merged results and finds nothing changed.
        let c = compare(&results(&root.join("unsharded/out")), &results(&merged_out), 0.05);
        assert_eq!((c.paired_delta, c.regressions.len(), c.shared), (Some(0.0), 0, 4), "{c:?}");
        let args = CompareArgs {
            a: root.join("unsharded/out/results.json"),
            b: merged_out.join("results.json"),
            alpha: 0.05,
            out: None,
            fail_on_regression: true,
            tolerance: 0.0,
        };
        assert_eq!(dtu_evaluator::compare::run(&args).unwrap(), ExitCode::SUCCESS);
        // ... and refuses a lone shard.
        let lone = CompareArgs { b: sweep.public[0].join("results.json"), ..args };
        let e = dtu_evaluator::compare::run(&lone).unwrap_err().to_string();
        assert!(e.contains("one shard of a sweep") && e.contains("dtu eval merge"), "{e}");
    }

    // Refusals, each naming the shard and writing nothing.
    let n7 = run_dirs(root, "n7");
    let n3 = run_dirs(root, "n3");
    let bad = root.join("bad");

    let without_4: Vec<PathBuf> = n7.iter().enumerate().filter(|(i, _)| *i != 4).map(|(_, d)| d.clone()).collect();
    let e = merge_err(&without_4, &bad.join("a"));
    assert!(e.contains("missing shard(s) 4 of 7"), "{e}");

    let copy = root.join("copy-of-2");
    copy_dir(&n7[2], &copy);
    let mut twice = n7.clone();
    twice.push(copy.clone());
    let e = merge_err(&twice, &bad.join("b"));
    assert!(e.contains("shard 2 given twice") && e.contains("copy-of-2"), "{e}");

    let mut mixed = n3.clone();
    mixed.push(n7[5].clone());
    let e = merge_err(&mixed, &bad.join("c"));
    assert!(e.contains("shard 5") && e.contains("not of the same sweep") && e.contains("7 shard(s) vs 3"), "{e}");

    let public = run_dirs_public(root, "n3");
    let e = merge_err(&public, &bad.join("d"));
    assert!(e.contains("shard 0") && e.contains("2 holdout scenario(s)") && e.contains("--private-out"), "{e}");

    let truncated = root.join("truncated-1");
    copy_dir(&n3[1], &truncated);
    let text = std::fs::read_to_string(truncated.join("results.json")).unwrap();
    std::fs::write(truncated.join("results.json"), &text[..text.len() / 2]).unwrap();
    let e = merge_err(&[n3[0].clone(), truncated.clone(), n3[2].clone()], &bad.join("e"));
    assert!(e.contains("truncated-1") && e.contains("truncated"), "{e}");

    let out_of_range = root.join("index-9");
    copy_dir(&n7[6], &out_of_range);
    edit_shard(&out_of_range, |v| v["shard"]["index"] = 9.into());
    let e = merge_err(std::slice::from_ref(&out_of_range), &bad.join("f"));
    assert!(e.contains("shard 9") && e.contains("index-9") && e.contains("out of range for 7 shard(s)"), "{e}");

    let edited = root.join("edited-0");
    copy_dir(&n3[0], &edited);
    edit_shard(&edited, |v| v["plan"]["scenarios"][0]["repetitions"] = 9.into());
    let e = merge_err(&[edited, n3[1].clone(), n3[2].clone()], &bad.join("g"));
    assert!(e.contains("does not match its plan hash"), "{e}");

    // Another DTU version: a consistent shard of another plan, named for what differs.
    let older = root.join("older-1");
    copy_dir(&n3[1], &older);
    edit_shard(&older, |v| {
        v["plan"]["evaluator_version"] = "0.0.9".into();
        let plan: Plan = serde_json::from_value(v["plan"].clone()).unwrap();
        v["plan_hash"] = plan.hash().into();
    });
    let e = merge_err(&[n3[0].clone(), older, n3[2].clone()], &bad.join("k"));
    assert!(e.contains("shard 1") && e.contains("older-1") && e.contains("DTU version 0.0.9 vs"), "{e}");

    let unsharded_dir = root.join("unsharded/out");
    let e = merge_err(&[unsharded_dir], &bad.join("h"));
    assert!(e.contains("not of a shard"), "{e}");

    // Another agent's shard: a different plan, named.
    let other = run_shards(&sc, &root.join("other"), 3, "true").await;
    let e = merge_err(&[n3[0].clone(), other.private[1].clone(), n3[2].clone()], &bad.join("i"));
    assert!(e.contains("shard 1") && e.contains("agent \"true\" vs"), "{e}");

    let e = merge(&n3, &n3[0], None).err().expect("merging into a shard directory").to_string();
    assert!(e.contains("is one of the shard directories"), "{e}");

    // A shard that died part-way: refused by name; running it again finishes only its
    // missing runs, and the merge then equals the unsharded result.
    let (dead_out, dead_private) = (root.join("n3/out/shard-1"), root.join("n3/private/shard-1"));
    let share = read_records(&dead_out.join("runs.jsonl")).unwrap().len()
        + read_records(&dead_private.join("runs.jsonl")).unwrap().len();
    for d in [&dead_out, &dead_private] {
        std::fs::remove_file(d.join("results.json")).unwrap();
    }
    let runs = std::fs::read_to_string(dead_out.join("runs.jsonl")).unwrap();
    let kept: Vec<&str> = runs.lines().take(1).collect();
    std::fs::write(dead_out.join("runs.jsonl"), format!("{}\n", kept.join("\n"))).unwrap();
    let e = merge_err(&n3, &bad.join("j"));
    assert!(e.contains("shard-1") && e.contains("has not finished"), "{e}");
    let before: BTreeMap<PathBuf, String> = [&n3[0], &n3[2]]
        .iter()
        .map(|d| ((*d).clone(), std::fs::read_to_string(d.join("results.json")).unwrap()))
        .collect();
    let args = shard_args(&sc, &dead_out, &dead_private, 3, AGENT);
    let opts = args.options_with_env(|name| (name == JOB_INDEX_ENV).then(|| "1".to_string())).unwrap();
    let again = evaluate(&opts, server()).await.unwrap();
    let lost = runs.lines().count() - kept.len();
    assert!(lost > 0, "shard 1 of 3 has more than one dev run: {runs}");
    assert_eq!(again.records.len(), share);
    assert_eq!(again.new_runs, lost, "only the missing runs ran");
    for (d, text) in &before {
        assert_eq!(&std::fs::read_to_string(d.join("results.json")).unwrap(), text, "{} untouched", d.display());
    }
    let out = root.join("n3/remerged/out");
    merge(&n3, &out, Some(&root.join("n3/remerged/private"))).unwrap();
    assert_same(&root.join("unsharded/out"), &out, "after a rerun of shard 1");
}

fn run_dirs(root: &Path, sweep: &str) -> Vec<PathBuf> {
    let count = if sweep == "n7" { 7 } else { 3 };
    (0..count).map(|i| root.join(format!("{sweep}/private/shard-{i}"))).collect()
}

fn run_dirs_public(root: &Path, sweep: &str) -> Vec<PathBuf> {
    (0..3).map(|i| root.join(format!("{sweep}/out/shard-{i}"))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_without_holdouts_merges_from_its_out_directories() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("scenarios");
    common::scenario(&sc, "hello.yaml", common::POST_HELLO);
    let whole = EvalOptions {
        scenarios: vec![sc.clone()],
        agent: Some(common::post("general", "hello")),
        out: dir.path().join("whole"),
        repetitions: Some(5),
        ..EvalOptions::default()
    };
    evaluate(&whole, server()).await.unwrap();
    let mut dirs = Vec::new();
    for i in 0..2 {
        let opts = EvalOptions {
            out: dir.path().join(format!("shard-{i}")),
            shard: Some(dtu_evaluator::shard::ShardSpec { index: i, count: 2 }),
            ..whole.clone()
        };
        evaluate(&opts, server()).await.unwrap();
        dirs.push(opts.out);
    }
    let out = dir.path().join("merged");
    merge(&dirs, &out, None).unwrap();
    assert_same(&dir.path().join("whole"), &out, "no holdouts");

    // Balanced by the durations the whole run measured: the same answer; a shard
    // balanced otherwise is of another plan.
    let mut measured = Vec::new();
    for i in 0..2 {
        let opts = EvalOptions {
            out: dir.path().join(format!("measured-{i}")),
            shard: Some(dtu_evaluator::shard::ShardSpec { index: i, count: 2 }),
            shard_costs: Some(dir.path().join("whole")),
            ..whole.clone()
        };
        evaluate(&opts, server()).await.unwrap();
        assert_eq!(json(&opts.out.join("results.json"))["plan"]["costs"], "measured");
        measured.push(opts.out);
    }
    merge(&measured, &dir.path().join("merged-measured"), None).unwrap();
    assert_same(&dir.path().join("whole"), &dir.path().join("merged-measured"), "measured costs");
    let e = merge_err(&[dirs[0].clone(), measured[1].clone()], &dir.path().join("mixed-costs"));
    assert!(e.contains("shard 1") && e.contains("costs from Measured vs Timeout"), "{e}");
    // Holdouts in the plan need --private-out when sharded.
    let opts = EvalOptions {
        holdout: true,
        out: dir.path().join("h"),
        shard: Some(dtu_evaluator::shard::ShardSpec { index: 0, count: 2 }),
        ..whole.clone()
    };
    let e = evaluate(&opts, server()).await.err().expect("refused").to_string();
    assert!(e.contains("--shard with holdout scenarios needs --private-out"), "{e}");
}
