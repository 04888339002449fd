//! `dtu serve` as a user runs it: the manifest, the banner, chaos profiles, shutdown.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Serve {
    child: Child,
    manifest: Value,
}

fn start(extra: &[&str]) -> Serve {
    let dir = std::env::temp_dir().join(format!("dtu-serve-test-{}-{}", std::process::id(), extra.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest_path = dir.join(format!("manifest-{}.json", Instant::now().elapsed().as_nanos()));
    let _ = std::fs::remove_file(&manifest_path);
    let child = Command::new(env!("CARGO_BIN_EXE_dtu"))
        .args(["serve", "--port-base", "0", "--manifest"])
        .arg(&manifest_path)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !manifest_path.exists() {
        assert!(started.elapsed() < Duration::from_secs(20), "no manifest after 20 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    let manifest = serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    Serve { child, manifest }
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().no_proxy().build().unwrap()
}

impl Serve {
    fn control(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.manifest["control_url"].as_str().unwrap());
        http().get(url).send().unwrap().json().unwrap()
    }

    /// SIGTERM, then the exit status and what it printed.
    fn stop(mut self) -> (i32, String, String) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "still running 10 s after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        let (mut out, mut err) = (String::new(), String::new());
        self.child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        self.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        (status.code().unwrap_or(-1), out, err)
    }
}

#[test]
fn serve_writes_the_manifest_prints_the_banner_and_stops_cleanly() {
    let serve = start(&[]);
    let m = serve.manifest.clone();
    assert_eq!(m["id"], "default");
    assert_eq!(m["fixture"], "default");
    let slack_url = m["slack"]["base_url"].as_str().unwrap();
    assert!(slack_url.starts_with("http://127.0.0.1:") && slack_url.ends_with("/api/"), "{slack_url}");
    assert!(m["slack"]["bot_token"].as_str().unwrap().starts_with("xoxb-"));
    // the manifest is the universe object
    assert_eq!(serve.control("universes/default"), m);
    let health = serve.control("health");
    assert_eq!(health["status"], "ok");
    let (code, out, err) = serve.stop();
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.contains("control plane") && out.contains(slack_url), "{out}");
    assert!(!err.contains("panicked"), "{err}");
}

fn profiles() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("chaos");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_chaos_profile_installs() {
    let all = profiles();
    assert!(!all.is_empty());
    for profile in all {
        let text = std::fs::read_to_string(&profile).unwrap();
        let expected = text.lines().filter(|l| l.trim_start().starts_with("- ")).count();
        let serve = start(&["--chaos", profile.to_str().unwrap()]);
        let rules = serve.control("chaos/rules");
        assert_eq!(rules["rules"].as_array().unwrap().len(), expected, "{}", profile.display());
        serve.stop();
    }
}

#[test]
fn a_bad_chaos_profile_or_fixture_stops_before_serving() {
    let dir = std::env::temp_dir().join(format!("dtu-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_chaos = dir.join("bad.yaml");
    std::fs::write(&bad_chaos, "rules:\n  - action: {kind: explode}\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dtu"))
        .args(["serve", "--port-base", "0", "--chaos"])
        .arg(&bad_chaos)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml") && err.contains("explode"), "{err}");

    let bad_fixture = dir.join("broken.yaml");
    std::fs::write(&bad_fixture, "name: x\ncompany: {name: X, domain: x.test}\npeople: [1, 2]\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dtu"))
        .args(["serve", "--port-base", "0", "--fixture"])
        .arg(&bad_fixture)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.yaml") && err.contains("line 3"), "{err}");
}

#[test]
fn a_chaos_profile_can_be_named() {
    // Run from the repository root, where ./chaos holds the profiles.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::env::temp_dir().join(format!("dtu-named-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&manifest);
    let mut child = Command::new(env!("CARGO_BIN_EXE_dtu"))
        .current_dir(dir)
        .args(["serve", "--port-base", "0", "--chaos", "outage", "--manifest"])
        .arg(&manifest)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !manifest.exists() {
        assert!(started.elapsed() < Duration::from_secs(20), "no manifest");
        std::thread::sleep(Duration::from_millis(10));
    }
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let rules: Value =
        http().get(format!("{}chaos/rules", m["control_url"].as_str().unwrap())).send().unwrap().json().unwrap();
    assert_eq!(rules["rules"][0]["trigger"]["first_n"], 20);
    let _ = child.kill();
    let _ = child.wait();
}
