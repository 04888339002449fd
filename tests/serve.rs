//! `dtu serve` as a user runs it: the manifest, the banner, chaos profiles, shutdown.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Serve {
    child: Child,
    manifest: Value,
}

fn start(extra: &[&str]) -> Serve {
    start_with_env(extra, &[])
}

fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Serve {
    // One manifest per server: tests run in parallel, and two servers writing one path
    // let a test read (and later lose) another test's server.
    static SERVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("dtu-serve-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest_path = dir.join(format!("manifest-{n}.json"));
    let _ = std::fs::remove_file(&manifest_path);
    let child = Command::new(env!("CARGO_BIN_EXE_dtu"))
        .args(["serve", "--port-base", "0", "--manifest"])
        .arg(&manifest_path)
        .args(extra)
        .env_remove("DTU_ADMIN_TOKEN")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // The file may exist before it is whole: wait until it parses.
    let manifest = loop {
        let text = std::fs::read_to_string(&manifest_path).unwrap_or_default();
        if let Ok(manifest) = serde_json::from_str::<Value>(&text) {
            break manifest;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no manifest after 20 s");
        std::thread::sleep(Duration::from_millis(10));
    };
    Serve { child, manifest }
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().no_proxy().build().unwrap()
}

impl Serve {
    /// A control-plane GET with the admin token of the manifest.
    fn control(&self, path: &str) -> Value {
        let token = self.manifest["admin_token"].as_str().unwrap_or_default();
        self.control_as(path, &[("authorization", &format!("Bearer {token}"))]).1
    }

    /// A control-plane GET with these headers: the status and the JSON body.
    fn control_as(&self, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        self.get(&format!("{}{path}", self.manifest["control_url"].as_str().unwrap()), headers)
    }

    fn get(&self, url: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut req = http().get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().unwrap_or(Value::Null))
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
    // the manifest is the universe object, plus what only the harness gets
    let mut object = m.clone();
    let token = object.as_object_mut().unwrap().remove("admin_token").unwrap();
    assert!(token.as_str().unwrap().starts_with("dtu-admin-"), "{token}");
    assert_eq!(object.as_object_mut().unwrap().remove("bind").unwrap(), "127.0.0.1");
    assert_eq!(serve.control("universes/default"), object);
    let health = serve.control("health");
    assert_eq!(health["status"], "ok");
    let (code, out, err) = serve.stop();
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.contains("control plane") && out.contains(slack_url), "{out}");
    assert!(out.contains(token.as_str().unwrap()), "the banner prints the admin token: {out}");
    assert!(!out.contains("WARNING"), "{out}");
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
    let rules: Value = http()
        .get(format!("{}chaos/rules", m["control_url"].as_str().unwrap()))
        .bearer_auth(m["admin_token"].as_str().unwrap())
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(rules["rules"][0]["trigger"]["first_n"], 20);
    let _ = child.kill();
    let _ = child.wait();
}

/// The control plane answers the admin token and nothing else: no twin credential, on
/// any port, prefix or universe header; no browser's cross-site request. Each refusal
/// is journaled in the universe it named or whose credential it carried.
#[test]
fn the_control_plane_answers_only_the_admin_token() {
    let serve = start(&[]);
    let m = serve.manifest.clone();
    let token = m["admin_token"].as_str().unwrap().to_string();
    let admin = format!("Bearer {token}");
    let bot = format!("Bearer {}", m["slack"]["bot_token"].as_str().unwrap());
    let ssws = format!("SSWS {}", m["okta"]["api_token"].as_str().unwrap());
    let slack_origin = m["slack"]["base_url"].as_str().unwrap().trim_end_matches("/api/").to_string();
    let okta_origin = m["okta"]["org_url"].as_str().unwrap().to_string();

    // Open to all: health and the API's description.
    assert_eq!(serve.control_as("health", &[]).0, 200);
    let openapi = http().get(format!("{}openapi.yaml", m["control_url"].as_str().unwrap())).send().unwrap();
    assert_eq!(openapi.status().as_u16(), 200);

    let refusals: Vec<(String, Vec<(&str, String)>)> = vec![
        ("universes/default".into(), vec![]),
        ("universes".into(), vec![("authorization", bot.clone())]),
        ("universes/default/export".into(), vec![("authorization", bot.clone())]),
        ("universes/default/state".into(), vec![("authorization", ssws.clone())]),
        ("universes".into(), vec![("authorization", "Bearer wrong-token-wrong-token".into())]),
        ("universes".into(), vec![("authorization", token.clone())]),
        ("universes".into(), vec![("authorization", "Basic Zm9vOmJhcg==".into())]),
        ("universes".into(), vec![("x-dtu-universe", "default".into()), ("authorization", bot.clone())]),
        ("chaos/rules".into(), vec![("cookie", format!("admin_token={token}"))]),
    ];
    for (path, headers) in &refusals {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = serve.control_as(path, &headers);
        assert_eq!(status, 401, "{path} {headers:?}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    }
    // The twins' ports serve the control plane under /_dtu/ by the same rule.
    for origin in [&slack_origin, &okta_origin] {
        for auth in [&bot, &ssws] {
            let (status, body) = serve.get(&format!("{origin}/_dtu/universes"), &[("authorization", auth)]);
            assert_eq!(status, 401, "{origin} {auth}: {body}");
        }
        let (status, _) = serve.get(&format!("{origin}/_dtu/universes/default/slack/app"), &[]);
        assert_eq!(status, 401, "a twin's own control endpoints are control plane too");
        assert_eq!(serve.get(&format!("{origin}/_dtu/universes"), &[("authorization", &admin)]).0, 200);
    }
    // A universe prefix never leads into the control plane.
    let (status, body) = serve.get(&format!("{slack_origin}/u/default/_dtu/universes"), &[("authorization", &admin)]);
    assert!(body.get("universes").is_none(), "{status} {body}");
    // Cross-site: refused even with the token.
    let (status, body) =
        serve.control_as("universes/default/reset", &[("authorization", &admin), ("origin", "http://evil.test")]);
    assert_eq!(status, 403, "{body}");
    let (status, _) = serve.control_as("universes", &[("authorization", &admin), ("sec-fetch-site", "cross-site")]);
    assert_eq!(status, 403);

    // Refusals that named the default universe or carried its credentials are in its journal.
    let (_, _) = serve.control_as("universes", &[]);
    let journal = http()
        .get(format!("{}universes/default/journal?service=control", m["control_url"].as_str().unwrap()))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let refused: Vec<Value> = journal.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(refused.len() >= 10, "{journal}");
    assert!(refused.iter().all(|e| e["operation"] == "control.refused"));
    assert!(refused.iter().any(|e| e["path"] == "/_dtu/universes/default/export" && e["status"] == 401));
    assert!(refused.iter().any(|e| e["status"] == 403));
    let metrics = http()
        .get(format!("{}metrics", m["control_url"].as_str().unwrap()))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let count: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("dtu_control_refused_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no refusal counter in {metrics}"));
    assert!(count >= 18.0, "{count}");
    serve.stop();
}

#[test]
fn the_admin_token_can_be_given_and_the_control_plane_opened_on_loopback_only() {
    let given = "dtu-admin-given-by-the-harness-0123";
    let serve = start_with_env(&[], &[("DTU_ADMIN_TOKEN", given)]);
    assert_eq!(serve.manifest["admin_token"], given);
    assert_eq!(serve.control_as("universes/default", &[("authorization", &format!("Bearer {given}"))]).0, 200);
    serve.stop();

    let open = start(&["--open-control-plane"]);
    assert_eq!(open.manifest["admin_token"], Value::Null);
    assert_eq!(open.control_as("universes/default", &[]).0, 200);
    // Open or not, a web page cannot drive it.
    assert_eq!(open.control_as("universes/default", &[("origin", "http://evil.test")]).0, 403);
    open.stop();

    let out = Command::new(env!("CARGO_BIN_EXE_dtu"))
        .args(["serve", "--port-base", "0", "--bind", "0.0.0.0", "--open-control-plane"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback only"));
    let out = Command::new(env!("CARGO_BIN_EXE_dtu"))
        .args(["serve", "--port-base", "0", "--admin-token", "short"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn binding_beyond_loopback_warns() {
    let serve = start(&["--bind", "0.0.0.0"]);
    assert_eq!(serve.manifest["bind"], "0.0.0.0");
    let (code, out, _) = serve.stop();
    assert_eq!(code, 0);
    assert!(out.contains("WARNING: listening on 0.0.0.0"), "{out}");
}

/// `--state-budget`: a universe past it refuses what would add to its state, in each
/// vendor's dialect, while reads keep working.
#[test]
fn a_universe_past_its_state_budget_refuses_writes_as_the_vendor_would() {
    let serve = start(&["--state-budget", "1"]);
    let m = serve.manifest.clone();
    let slack = m["slack"]["base_url"].as_str().unwrap();
    let bot = m["slack"]["bot_token"].as_str().unwrap();
    let post = http()
        .post(format!("{slack}chat.postMessage"))
        .bearer_auth(bot)
        .form(&[("channel", "general"), ("text", "one too many")])
        .send()
        .unwrap();
    assert_eq!(post.status().as_u16(), 200);
    let body: Value = post.json().unwrap();
    assert_eq!((body["ok"].as_bool(), body["error"].as_str()), (Some(false), Some("message_limit_exceeded")));
    let list: Value =
        http().post(format!("{slack}conversations.list")).bearer_auth(bot).send().unwrap().json().unwrap();
    assert_eq!(list["ok"], true, "reads still work: {list}");
    let okta = m["okta"]["org_url"].as_str().unwrap();
    let created = http()
        .post(format!("{okta}/api/v1/users?activate=false"))
        .header("authorization", format!("SSWS {}", m["okta"]["api_token"].as_str().unwrap()))
        .json(&json!({"profile": {"firstName": "N", "lastName": "N", "email": "n@acme.test", "login": "n@acme.test"}}))
        .send()
        .unwrap();
    assert_eq!(created.status().as_u16(), 403);
    let users = http()
        .get(format!("{okta}/api/v1/users"))
        .header("authorization", format!("SSWS {}", m["okta"]["api_token"].as_str().unwrap()))
        .send()
        .unwrap();
    assert_eq!(users.status().as_u16(), 200);
    serve.stop();
}

/// The control CLI over a running `dtu serve`: every command, tables and `--json`, and
/// a refusal shown as one line with a non-zero exit.
#[test]
fn the_control_cli_drives_a_running_server() {
    let serve = start(&[]);
    let url = serve.manifest["control_url"].as_str().unwrap().to_string();
    let token = serve.manifest["admin_token"].as_str().unwrap().to_string();
    let dir = std::env::temp_dir().join(format!("dtu-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dtu = |args: &[&str], with_token: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dtu"));
        cmd.args(args).env("DTU_URL", &url).env_remove("DTU_ADMIN_TOKEN");
        if with_token {
            cmd.env("DTU_ADMIN_TOKEN", &token);
        }
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let ok = |args: &[&str]| {
        let (success, out, err) = dtu(args, true);
        assert!(success, "dtu {args:?} failed: {err}");
        out
    };
    let json = |args: &[&str]| -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&ok(&all)).unwrap()
    };

    assert!(ok(&["universe", "list"]).lines().any(|l| l.starts_with("default ")));
    assert_eq!(json(&["universe", "create", "--id", "cli-u"])["id"], "cli-u");
    assert_eq!(json(&["universe", "fork", "cli-u", "--id", "cli-f"])["id"], "cli-f");
    let ids: Vec<Value> =
        json(&["universe", "list"])["universes"].as_array().unwrap().iter().map(|u| u["id"].clone()).collect();
    assert!(ids.contains(&json!("cli-u")) && ids.contains(&json!("cli-f")), "{ids:?}");
    assert!(ok(&["universe", "snapshot", "cli-u", "before"]).contains("snapshot before of cli-u"));
    let frozen = json(&["clock", "set", "cli-u", "--now", "2030-01-01T09:00:00Z", "--freeze"]);
    assert_eq!((frozen["now"].as_str(), frozen["frozen"].as_bool()), (Some("2030-01-01T09:00:00Z"), Some(true)));
    assert!(ok(&["clock", "advance", "cli-u", "-60"]).starts_with("2030-01-01T08:59:00Z (frozen)"));
    let rule = r#"{"match":{"service":"slack","operation":"chat.postMessage"},"action":{"kind":"rate_limit","retry_after_s":1}}"#;
    assert!(ok(&["chaos", "add", rule, "--universe", "cli-u"]).starts_with("added rule "));
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("chaos/outage.yaml");
    assert!(ok(&["chaos", "apply", profile.to_str().unwrap(), "--universe", "cli-u"]).contains("added"));
    let listed = ok(&["chaos", "list", "--universe", "cli-u"]);
    assert!(listed.starts_with("ID") && listed.contains("rate_limit"), "{listed}");
    assert!(ok(&["chaos", "rm", "--all", "--universe", "cli-u"]).contains("deleted every rule"));
    assert_eq!(json(&["chaos", "list", "--universe", "cli-u"])["rules"], json!([]));

    // A twin call, so the journal, state and diff have something to show.
    let fork = json(&["universe", "list"])["universes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "cli-u")
        .cloned()
        .unwrap();
    let slack = fork["slack"]["base_url"].as_str().unwrap();
    let posted: Value = http()
        .post(format!("{slack}chat.postMessage"))
        .bearer_auth(fork["slack"]["bot_token"].as_str().unwrap())
        .form(&[("channel", "general"), ("text", "from the cli test")])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(posted["ok"], true, "{posted}");
    let journal = ok(&["journal", "cli-u", "--service", "slack"]);
    assert!(journal.starts_with("SEQ") && journal.contains("chat.postMessage"), "{journal}");
    let diff = ok(&["universe", "diff", "cli-u", "--since", "before"]);
    assert!(diff.contains("created") && diff.contains("slack.messages"), "{diff}");
    assert!(ok(&["state", "cli-u", "--service", "slack"]).contains("messages"));
    let file = dir.join("cli-u.json");
    ok(&["universe", "export", "cli-u", "-o", file.to_str().unwrap()]);
    assert!(ok(&["universe", "import", "cli-f", file.to_str().unwrap()]).contains("imported"));
    assert!(ok(&["universe", "diff", "cli-f"]).contains("slack.messages"), "the import carried the post");
    assert!(ok(&["universe", "restore", "cli-u", "before"]).contains("restored"));
    assert!(ok(&["universe", "diff", "cli-u", "--since", "before"]).starts_with("no changes"));
    assert!(ok(&["universe", "reset", "cli-f"]).contains("reset cli-f"));
    for id in ["cli-u", "cli-f"] {
        assert!(ok(&["universe", "delete", id]).contains("deleted"));
    }

    // Refusals: one clear line and a non-zero exit.
    let (success, _, err) = dtu(&["universe", "list"], false);
    assert!(!success);
    assert!(
        err.trim().lines().count() == 1 && err.contains("refused (401)") && err.contains("DTU_ADMIN_TOKEN"),
        "{err}"
    );
    let (success, _, err) = dtu(&["universe", "delete", "nope"], true);
    assert!(!success && err.contains("(404)") && err.contains("nope"), "{err}");
    let (success, _, err) = dtu(&["chaos", "add", "{not json"], true);
    assert!(!success && err.contains("not JSON"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    serve.stop();
}

/// `dtu journal --follow` follows by seq: an entry made after the universe clock was set
/// back (stamped earlier than the last one shown) still appears.
#[test]
fn journal_follow_sees_entries_after_the_clock_is_set_back() {
    let serve = start(&[]);
    let url = serve.manifest["control_url"].as_str().unwrap().to_string();
    let token = serve.manifest["admin_token"].as_str().unwrap().to_string();
    let trimmed = url.trim_end_matches('/');
    let control = if trimmed.ends_with("/_dtu") { trimmed.to_string() } else { format!("{trimmed}/_dtu") };
    let created =
        http().post(format!("{control}/universes")).bearer_auth(&token).json(&json!({"id": "follow-u"})).send();
    assert!(created.unwrap().status().is_success());
    let universe: Value =
        http().get(format!("{control}/universes/follow-u")).bearer_auth(&token).send().unwrap().json().unwrap();
    let slack = universe["slack"]["base_url"].as_str().unwrap().to_string();
    let bot = universe["slack"]["bot_token"].as_str().unwrap().to_string();
    let post = |text: &str| {
        let r: Value = http()
            .post(format!("{slack}chat.postMessage"))
            .bearer_auth(&bot)
            .form(&[("channel", "general"), ("text", text)])
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(r["ok"], true, "{r}");
    };
    let set_clock = |now: &str| {
        let r = http()
            .put(format!("{control}/universes/follow-u/clock"))
            .bearer_auth(&token)
            .json(&json!({"now": now, "frozen": true}))
            .send()
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    };
    set_clock("2030-01-01T09:00:00Z");
    post("first");
    let mut follower = Command::new(env!("CARGO_BIN_EXE_dtu"))
        .args(["journal", "follow-u", "--json", "--follow"])
        .env("DTU_URL", &url)
        .env("DTU_ADMIN_TOKEN", &token)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = follower.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = lines_rx.recv_timeout(Duration::from_secs(20)).expect("the entry already there");
    assert!(first.contains("chat.postMessage"), "{first}");
    let answered: Value = serde_json::from_str(&first).unwrap();
    let body = answered["response"]["body"].as_str().unwrap_or_default();
    assert!(body.contains("\"ok\":true") && body.contains("first"), "--json shows the answer's body: {first}");
    set_clock("2029-01-01T09:00:00Z");
    post("after the clock went back");
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        match lines_rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let entry: Value = serde_json::from_str(&line).unwrap();
                seen.push(entry.clone());
                if entry["operation"] == "chat.postMessage" {
                    break;
                }
            }
            Err(_) => continue,
        }
    }
    let _ = follower.kill();
    let _ = follower.wait();
    assert!(
        seen.iter()
            .any(|e| e["operation"] == "chat.postMessage" && e["time"].as_str().is_some_and(|t| t.starts_with("2029"))),
        "the follower missed the entry stamped before the last one: {seen:?}"
    );
    serve.stop();
}

/// The dashboard on the control port is behind the control plane's own rule: the admin
/// token (as a Bearer, or as the Basic password a browser asks its user for), never a
/// twin credential, never a cross-site request; twin ports do not serve it.
#[test]
fn the_dashboard_answers_only_the_admin_token() {
    use base64::Engine as _;
    let serve = start(&[]);
    let m = serve.manifest.clone();
    let token = m["admin_token"].as_str().unwrap().to_string();
    let root = m["control_url"].as_str().unwrap().trim_end_matches("_dtu/").to_string();
    let basic = |user_pass: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(user_pass));
    let page = |path: &str, headers: &[(&str, String)]| {
        let mut req = http().get(format!("{root}{path}"));
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req.send().unwrap()
    };

    let anonymous = page("", &[]);
    assert_eq!(anonymous.status().as_u16(), 401);
    let challenges: Vec<&str> =
        anonymous.headers().get_all("www-authenticate").iter().filter_map(|v| v.to_str().ok()).collect();
    assert!(challenges.iter().any(|c| c.starts_with("Bearer")), "{challenges:?}");
    assert!(challenges.iter().any(|c| c.starts_with("Basic")), "{challenges:?}");

    for auth in [basic(&format!("anyone:{token}")), basic(&format!(":{token}")), format!("Bearer {token}")] {
        let ok = page("", &[("authorization", auth.clone())]);
        assert_eq!(ok.status().as_u16(), 200, "{auth}");
        assert_eq!(ok.headers()["x-frame-options"], "DENY");
        assert!(ok.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
        assert!(ok.text().unwrap().contains("data-page=\"universes\""));
        let api = page("_dtu/universes", &[("authorization", auth)]);
        assert_eq!(api.status().as_u16(), 200);
    }
    let bot = format!("Bearer {}", m["slack"]["bot_token"].as_str().unwrap());
    for (path, auth) in [
        ("", basic("anyone:wrong-token-wrong-token")),
        ("", basic(&format!("{token}:"))),
        ("", "Basic not-base64!".to_string()),
        ("universes/default", bot.clone()),
        ("evals", basic(&m["slack"]["bot_token"].as_str().map(|t| format!("x:{t}")).unwrap())),
        ("dashboard/app.js", String::new()),
        ("dashboard/api/evals", bot),
    ] {
        let refused = page(path, &[("authorization", auth.clone())]);
        assert_eq!(refused.status().as_u16(), 401, "{path} {auth}");
        assert!(!refused.text().unwrap().contains("data-page"));
    }
    let cross = page("", &[("authorization", basic(&format!("x:{token}"))), ("sec-fetch-site", "cross-site".into())]);
    assert_eq!(cross.status().as_u16(), 403);

    let admin = [("authorization", format!("Bearer {token}"))];
    let gone = page("universes/never-was", &admin);
    assert_eq!(gone.status().as_u16(), 404);
    assert!(gone.text().unwrap().contains("There is no universe <code>never-was</code>"));
    assert_eq!(page("dashboard/api/evals/0/results.json", &admin).status().as_u16(), 404);
    let profiles: Value = page("dashboard/api/chaos-profiles", &admin).json().unwrap();
    assert!(profiles["profiles"].as_array().unwrap().iter().any(|p| p["name"] == "flaky-slack"));

    // A twin's port answers its own `/`, never the dashboard.
    let slack_root = m["slack"]["base_url"].as_str().unwrap().trim_end_matches("api/").to_string();
    let twin = http().get(&slack_root).header("authorization", basic(&format!("x:{token}"))).send().unwrap();
    assert!(!twin.text().unwrap().contains("data-page"));
    let (_, out, _) = serve.stop();
    assert!(out.contains(&format!("dashboard    {root}")), "{out}");
}

#[test]
fn an_eval_dir_must_be_a_directory() {
    let out = Command::new(env!("CARGO_BIN_EXE_dtu"))
        .args(["serve", "--port-base", "0", "--eval-dir", "/no/such/dtu/eval/dir"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--eval-dir /no/such/dtu/eval/dir: not a directory"));
}
