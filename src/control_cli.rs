//! `dtu universe|journal|chaos|clock|state`: a thin command line over the control
//! plane (`openapi/dtu-control.yaml`) of a running `dtu serve`. Human tables by default,
//! `--json` for scripts; a refusal of the control plane is one line and a non-zero exit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use reqwest::blocking::{Client, Response};
use reqwest::Method;
use serde_json::{json, Value};

/// Where the control plane is and how to open it: every control command takes these.
#[derive(Args, Debug, Clone)]
pub struct Target {
    /// The control plane (a port of `dtu serve`; `/_dtu/` is added when missing).
    #[arg(long, env = "DTU_URL", default_value = "http://127.0.0.1:8700", global = true)]
    url: String,
    /// The admin token `dtu serve` printed.
    #[arg(long, env = "DTU_ADMIN_TOKEN", hide_env_values = true, global = true)]
    admin_token: Option<String>,
    /// Print the control plane's JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand, Debug)]
pub enum UniverseCommand {
    /// Every universe, with its fixture and creation time.
    List,
    /// A fresh universe from a fixture (by name, as offered by `dtu serve`).
    Create {
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        fixture: Option<String>,
        #[arg(long)]
        seed: Option<u64>,
    },
    /// A copy-on-write fork of a universe, or of one of its snapshots.
    Fork {
        from: String,
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        snapshot: Option<String>,
    },
    /// Delete a universe (its forks are independent and stay).
    Delete { universe: String },
    /// Back to the state the universe was created (or forked) with.
    Reset { universe: String },
    /// Take a named snapshot.
    Snapshot { universe: String, name: String },
    /// Restore a named snapshot.
    Restore { universe: String, name: String },
    /// The whole universe as JSON (to a file with -o).
    Export {
        universe: String,
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Replace a universe's state with an export.
    Import { universe: String, file: PathBuf },
    /// What changed since a snapshot (default: since the universe was made).
    Diff {
        universe: String,
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        service: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct JournalArgs {
    #[arg(default_value = "default")]
    universe: String,
    /// Keep printing new entries until interrupted (or the universe is deleted).
    #[arg(long)]
    follow: bool,
    #[arg(long)]
    service: Option<String>,
    #[arg(long)]
    operation: Option<String>,
    /// At most this many entries (the newest).
    #[arg(long)]
    limit: Option<usize>,
}

#[derive(Subcommand, Debug)]
pub enum ChaosCommand {
    /// Rules with their hit counts (global ones without --universe).
    List {
        #[arg(long)]
        universe: Option<String>,
    },
    /// Add a rule given as JSON (`{"match": …, "trigger": …, "action": …}`).
    Add {
        rule: String,
        #[arg(long)]
        universe: Option<String>,
    },
    /// Delete one rule, or every rule with --all.
    Rm {
        id: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long)]
        universe: Option<String>,
    },
    /// Add every rule of a profile: a YAML file, or the name of one in ./chaos.
    Apply {
        profile: PathBuf,
        #[arg(long)]
        universe: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClockCommand {
    Get {
        #[arg(default_value = "default")]
        universe: String,
    },
    /// Set the time (RFC 3339), freeze or thaw it.
    Set {
        universe: String,
        #[arg(long)]
        now: Option<String>,
        #[arg(long, conflicts_with = "thaw")]
        freeze: bool,
        #[arg(long)]
        thaw: bool,
    },
    /// Move the clock by this many seconds (negative goes back).
    Advance {
        universe: String,
        #[arg(allow_hyphen_values = true)]
        seconds: f64,
    },
}

#[derive(Args, Debug)]
pub struct StateArgs {
    #[arg(default_value = "default")]
    universe: String,
    #[arg(long)]
    service: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Refused(String),
    #[error("cannot reach the control plane at {url}: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    Usage(String),
}

type Result<T> = std::result::Result<T, CliError>;

struct Control {
    http: Client,
    base: String,
    token: Option<String>,
    json: bool,
}

impl Control {
    fn new(target: &Target) -> Result<Self> {
        let trimmed = target.url.trim().trim_end_matches('/');
        let base = if trimmed.ends_with("/_dtu") { format!("{trimmed}/") } else { format!("{trimmed}/_dtu/") };
        let http = Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|source| CliError::Unreachable { url: base.clone(), source })?;
        Ok(Self { http, base, token: target.admin_token.clone(), json: target.json })
    }

    fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<Response> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body);
        }
        let response = req.send().map_err(|source| CliError::Unreachable { url: self.base.clone(), source })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let text = response.text().unwrap_or_default();
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
            .unwrap_or(text);
        let hint = if status == 401 { " (set DTU_ADMIN_TOKEN or --admin-token)" } else { "" };
        Err(CliError::Refused(format!("the control plane refused ({status}): {message}{hint}")))
    }

    fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value> {
        let body = body.map(|b| b.to_string().into_bytes());
        let response = self.send(method, path, body)?;
        let text = response.text().unwrap_or_default();
        Ok(if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        })
    }

    /// Prints `value` as JSON with --json, else as `human` renders it.
    fn show(&self, value: &Value, human: impl FnOnce(&Value) -> String) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
        } else {
            print!("{}", human(value));
        }
    }
}

fn enc(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// A table with aligned columns.
fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(headers.iter().map(|h| h.to_uppercase()).collect());
    for row in rows {
        out += &line(row);
    }
    out
}

fn universe_line(u: &Value) -> String {
    let services: Vec<&str> = ["slack", "okta", "jira", "google"].into_iter().filter(|k| u.get(*k).is_some()).collect();
    format!(
        "{}  fixture {}  created {}  twins {}\n",
        s(&u["id"]),
        s(&u["fixture"]),
        s(&u["created_at"]),
        services.join(",")
    )
}

pub fn universe(target: &Target, command: UniverseCommand) -> Result<()> {
    let c = Control::new(target)?;
    match command {
        UniverseCommand::List => {
            let v = c.call(Method::GET, "universes", None)?;
            c.show(&v, |v| {
                let rows = v["universes"]
                    .as_array()
                    .map(|us| us.iter().map(|u| vec![s(&u["id"]), s(&u["fixture"]), s(&u["created_at"])]).collect())
                    .unwrap_or_default();
                table(&["id", "fixture", "created"], rows)
            });
        }
        UniverseCommand::Create { id, fixture, seed } => {
            let mut body = json!({});
            if let Some(id) = id {
                body["id"] = json!(id);
            }
            if let Some(f) = fixture {
                body["fixture"] = json!(f);
            }
            if let Some(seed) = seed {
                body["seed"] = json!(seed);
            }
            let v = c.call(Method::POST, "universes", Some(body))?;
            c.show(&v, universe_line);
        }
        UniverseCommand::Fork { from, id, snapshot } => {
            let mut body = json!({"from": from});
            if let Some(id) = id {
                body["id"] = json!(id);
            }
            if let Some(name) = snapshot {
                body["snapshot"] = json!(name);
            }
            let v = c.call(Method::POST, "universes", Some(body))?;
            c.show(&v, universe_line);
        }
        UniverseCommand::Delete { universe } => {
            c.call(Method::DELETE, &format!("universes/{}", enc(&universe)), None)?;
            c.show(&json!({"deleted": universe}), |_| format!("deleted {universe}\n"));
        }
        UniverseCommand::Reset { universe } => {
            let v = c.call(Method::POST, &format!("universes/{}/reset", enc(&universe)), None)?;
            c.show(&v, |_| format!("reset {universe}\n"));
        }
        UniverseCommand::Snapshot { universe, name } => {
            let v =
                c.call(Method::POST, &format!("universes/{}/snapshots", enc(&universe)), Some(json!({"name": name})))?;
            c.show(&v, |v| format!("snapshot {} of {universe} at {}\n", s(&v["name"]), s(&v["created_at"])));
        }
        UniverseCommand::Restore { universe, name } => {
            let path = format!("universes/{}/snapshots/{}/restore", enc(&universe), enc(&name));
            let v = c.call(Method::POST, &path, None)?;
            c.show(&v, |_| format!("restored {universe} to {name}\n"));
        }
        UniverseCommand::Export { universe, output } => {
            let mut response = c.send(Method::GET, &format!("universes/{}/export", enc(&universe)), None)?;
            let io = |path: &str, e: std::io::Error| CliError::File { path: path.into(), message: e.to_string() };
            match output {
                Some(path) => {
                    let name = path.display().to_string();
                    let mut file = std::fs::File::create(&path).map_err(|e| io(&name, e))?;
                    let bytes = response.copy_to(&mut file).map_err(|e| CliError::Refused(e.to_string()))?;
                    eprintln!("exported {universe} to {name} ({bytes} bytes)");
                }
                None => {
                    let mut out = std::io::stdout().lock();
                    response.copy_to(&mut out).map_err(|e| CliError::Refused(e.to_string()))?;
                    let _ = out.write_all(b"\n");
                }
            }
        }
        UniverseCommand::Import { universe, file } => {
            let name = file.display().to_string();
            let body =
                std::fs::read(&file).map_err(|e| CliError::File { path: name.clone(), message: e.to_string() })?;
            let response = c.send(Method::PUT, &format!("universes/{}/import", enc(&universe)), Some(body))?;
            let v: Value = response.json().unwrap_or(Value::Null);
            c.show(&v, |_| format!("imported {name} into {universe}\n"));
        }
        UniverseCommand::Diff { universe, since, service } => {
            let mut query = Vec::new();
            if let Some(since) = since {
                query.push(format!("since={}", enc(&since)));
            }
            if let Some(service) = service {
                query.push(format!("service={}", enc(&service)));
            }
            let path = format!("universes/{}/diff?{}", enc(&universe), query.join("&"));
            let v = c.call(Method::GET, &path, None)?;
            c.show(&v, diff_text);
        }
    }
    Ok(())
}

/// A diff as a change list: one line per created, updated or deleted record.
fn diff_text(v: &Value) -> String {
    let mut rows = Vec::new();
    for (service, collections) in v["services"].as_object().into_iter().flatten() {
        for (collection, changes) in collections.as_object().into_iter().flatten() {
            for kind in ["created", "updated", "deleted"] {
                for item in changes[kind].as_array().into_iter().flatten() {
                    let fields = item["fields"].as_array().map(|f| f.iter().map(s).collect::<Vec<_>>().join(","));
                    rows.push(vec![
                        kind.to_string(),
                        format!("{service}.{collection}"),
                        s(&item["id"]),
                        fields.unwrap_or_default(),
                    ]);
                }
            }
        }
    }
    if rows.is_empty() {
        return format!("no changes since {}\n", s(&v["since"]));
    }
    table(&["change", "collection", "id", "fields"], rows)
}

fn journal_row(e: &Value) -> Vec<String> {
    vec![
        s(&e["seq"]),
        s(&e["time"]),
        s(&e["service"]),
        s(&e["operation"]),
        s(&e["status"]),
        format!("{:.1}", e["latency_ms"].as_f64().unwrap_or(0.0)),
        s(&e["fault"]),
    ]
}

const JOURNAL_HEADERS: [&str; 7] = ["seq", "time", "service", "operation", "status", "ms", "fault"];

pub fn journal(target: &Target, args: JournalArgs) -> Result<()> {
    let c = Control::new(target)?;
    let mut query = Vec::new();
    if let Some(service) = &args.service {
        query.push(format!("service={}", enc(service)));
    }
    if let Some(op) = &args.operation {
        query.push(format!("operation={}", enc(op)));
    }
    if let Some(limit) = args.limit {
        query.push(format!("limit={limit}"));
    }
    if !c.json {
        // The table shows no bodies: the server need not send them.
        query.push("response_bodies=false".into());
    }
    let base = format!("universes/{}/journal", enc(&args.universe));
    let fetch = |extra: &[String]| -> Result<Vec<Value>> {
        let all: Vec<String> = query.iter().chain(extra).cloned().collect();
        let text = c.send(Method::GET, &format!("{base}?{}", all.join("&")), None)?.text().unwrap_or_default();
        Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
    };
    let entries = fetch(&[])?;
    let mut last_seq = entries.iter().filter_map(|e| e["seq"].as_u64()).max();
    if c.json {
        for e in &entries {
            println!("{e}");
        }
    } else {
        print!("{}", table(&JOURNAL_HEADERS, entries.iter().map(journal_row).collect()));
    }
    if !args.follow {
        return Ok(());
    }
    loop {
        std::thread::sleep(Duration::from_millis(500));
        // By seq, not time: a clock set back must not hide new entries.
        let extra: Vec<String> = last_seq.iter().map(|n| format!("after_seq={n}")).collect();
        let fresh = match fetch(&extra) {
            Ok(f) => f,
            Err(CliError::Refused(m)) if m.contains("(404)") => {
                return Err(CliError::Refused(format!("universe {} was deleted", args.universe)))
            }
            Err(e) => return Err(e),
        };
        let mut out = std::io::stdout().lock();
        let seen = last_seq;
        for e in fresh.iter().filter(|e| e["seq"].as_u64() > seen) {
            let line = if c.json { e.to_string() } else { journal_row(e).join("  ") };
            let _ = writeln!(out, "{line}");
            last_seq = e["seq"].as_u64().max(last_seq);
        }
        let _ = out.flush();
    }
}

fn rules_path(universe: &Option<String>) -> String {
    match universe {
        Some(u) => format!("universes/{}/chaos/rules", enc(u)),
        None => "chaos/rules".into(),
    }
}

fn rule_rows(v: &Value) -> String {
    let rows = v["rules"]
        .as_array()
        .map(|rules| {
            rules
                .iter()
                .map(|r| {
                    vec![
                        s(&r["id"]),
                        s(&r["match"]["service"]),
                        s(&r["match"]["operation"]),
                        s(&r["action"]["kind"]),
                        s(&r["hits"]),
                        s(&r["spent"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    table(&["id", "service", "operation", "action", "hits", "spent"], rows)
}

/// A profile by path, or by bare name from ./chaos (as `dtu serve --chaos` takes it).
fn profile_rules(given: &Path) -> Result<Vec<Value>> {
    let by_name = Path::new("chaos").join(given).with_extension("yaml");
    let path =
        if !given.exists() && given.components().count() == 1 && by_name.exists() { by_name } else { given.into() };
    let name = path.display().to_string();
    let err = |message: String| CliError::File { path: name.clone(), message };
    let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
    let profile: Value = serde_yaml_ng::from_str(&text).map_err(|e| err(e.to_string()))?;
    profile["rules"].as_array().cloned().ok_or_else(|| err("a profile is `rules: [...]`".into()))
}

pub fn chaos(target: &Target, command: ChaosCommand) -> Result<()> {
    let c = Control::new(target)?;
    match command {
        ChaosCommand::List { universe } => {
            let v = c.call(Method::GET, &rules_path(&universe), None)?;
            c.show(&v, rule_rows);
        }
        ChaosCommand::Add { rule, universe } => {
            let rule: Value =
                serde_json::from_str(&rule).map_err(|e| CliError::Usage(format!("the rule is not JSON: {e}")))?;
            let v = c.call(Method::POST, &rules_path(&universe), Some(rule))?;
            c.show(&v, |v| format!("added rule {}\n", s(&v["id"])));
        }
        ChaosCommand::Rm { id, all, universe } => match (id, all) {
            (Some(id), false) => {
                c.call(Method::DELETE, &format!("{}/{}", rules_path(&universe), enc(&id)), None)?;
                c.show(&json!({"deleted": id}), |_| format!("deleted rule {id}\n"));
            }
            (None, true) => {
                c.call(Method::DELETE, &rules_path(&universe), None)?;
                c.show(&json!({"deleted": "all"}), |_| "deleted every rule\n".into());
            }
            _ => return Err(CliError::Usage("give a rule id, or --all".into())),
        },
        ChaosCommand::Apply { profile, universe } => {
            let mut added = Vec::new();
            for rule in profile_rules(&profile)? {
                added.push(c.call(Method::POST, &rules_path(&universe), Some(rule))?);
            }
            let v = json!({"rules": added});
            c.show(&v, |v| format!("added {} rule(s)\n{}", added.len(), rule_rows(v)));
        }
    }
    Ok(())
}

pub fn clock(target: &Target, command: ClockCommand) -> Result<()> {
    let c = Control::new(target)?;
    let v = match command {
        ClockCommand::Get { universe } => c.call(Method::GET, &format!("universes/{}/clock", enc(&universe)), None)?,
        ClockCommand::Set { universe, now, freeze, thaw } => {
            let mut body = json!({});
            if let Some(now) = now {
                body["now"] = json!(now);
            }
            if freeze || thaw {
                body["frozen"] = json!(freeze);
            }
            c.call(Method::PUT, &format!("universes/{}/clock", enc(&universe)), Some(body))?
        }
        ClockCommand::Advance { universe, seconds } => c.call(
            Method::POST,
            &format!("universes/{}/clock/advance", enc(&universe)),
            Some(json!({"seconds": seconds})),
        )?,
    };
    c.show(&v, |v| format!("{}{}\n", s(&v["now"]), if v["frozen"].as_bool() == Some(true) { " (frozen)" } else { "" }));
    Ok(())
}

pub fn state(target: &Target, args: StateArgs) -> Result<()> {
    let c = Control::new(target)?;
    let query = args.service.as_deref().map(|s| format!("?service={}", enc(s))).unwrap_or_default();
    let v = c.call(Method::GET, &format!("universes/{}/state{query}", enc(&args.universe)), None)?;
    c.show(&v, |v| {
        let mut rows = Vec::new();
        for (service, collections) in v.as_object().into_iter().flatten() {
            for (name, records) in collections.as_object().into_iter().flatten() {
                let count = records.as_object().map_or_else(|| records.as_array().map_or(1, Vec::len), |m| m.len());
                rows.push(vec![service.clone(), name.clone(), count.to_string()]);
            }
        }
        table(&["service", "collection", "records"], rows)
    });
    Ok(())
}
